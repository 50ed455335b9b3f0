import type { ActivityOptions, RetryPolicy } from '@temporalio/workflow';

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
/** A load page heartbeats between its steps; a worker that dies mid-page is noticed within 15 s. */
export const LOAD_PAGE: ActivityOptions = { startToCloseTimeout: '10m', heartbeatTimeout: '15s', retry };
export const RECONCILE: ActivityOptions = { startToCloseTimeout: '2h', heartbeatTimeout: '2m', retry };
export const BOOKKEEPING: ActivityOptions = { startToCloseTimeout: '1m', retry };
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
