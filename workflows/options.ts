import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';

/** Errors a retry cannot fix: the phase stops and the message names the fix. */
export const NON_RETRYABLE = [
  'SourceFileError',
  'PlanError',
  'ConfigError',
  'TargetSchemaError',
  'UnknownMigrationError',
  'DatabaseUnreachableError',
];

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  nonRetryableErrorTypes: NON_RETRYABLE,
};

/** Activity option presets, defined once. */
export const EXTRACT: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '1m', retry };
/**
 * A load page heartbeats on a timer; a worker that dies mid-page is noticed within 15 s. Cancelled (a rollback,
 * a cancelled phase), the workflow waits until the page has stopped: the page learns of the cancellation through
 * its heartbeat, sends nothing more, and records what it had already sent before it ends. So a closed loading
 * workflow has no write left in flight. Rollback pages use the same preset.
 */
export const LOAD_PAGE: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '15s',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};
export const RECONCILE: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '2m', retry };
export const BOOKKEEPING: ActivityOptions = { startToCloseTimeout: '1m', retry };
/**
 * A rollback waiting for every loading workflow of its migration to close: as long as their last pages take to
 * stop (each bounded by its request timeouts), heartbeating while it waits.
 */
export const STOP_LOADS: ActivityOptions = { startToCloseTimeout: '1h', heartbeatTimeout: '1m', retry };
/** Profiling and dry-run activities read every staged record of an object and heartbeat per page. */
export const PROFILE: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '2m', retry };
/**
 * A batch of vendor writes: heartbeats after every record, so a killed worker's batch moves to another worker
 * within 15 s; retried without limit (the write protocol makes a retry safe), 429s after the vendor's delay.
 */
export const VENDOR_BATCH: ActivityOptions = {
  startToCloseTimeout: '30m',
  heartbeatTimeout: '15s',
  retry: { ...retry, nonRetryableErrorTypes: [...NON_RETRYABLE, 'CredentialError', 'VendorError'] },
};
