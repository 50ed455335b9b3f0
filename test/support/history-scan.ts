import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { ENCRYPTED_ENCODING } from '../../common/payload-codec';

/** Everything one workflow history shows a reader without the payload key, sorted for the assertions. */
export interface HistoryScan {
  /** Every string and every byte field (read as UTF-8), the payloads' raw bytes included. */
  text: string[];
  /** Payloads the codec sealed. */
  encrypted: Payload[];
  /** Payloads stored as they are, with where they sit (event type and field path). */
  plain: { at: string; payload: Payload }[];
  /** Failures (activity, child, workflow) as stored: their visible message, and their encoded attributes. */
  failures: { message: string; stackTrace: string; encodedAttributes?: Payload }[];
}

const isPayload = (value: object): value is Payload =>
  'data' in value && 'metadata' in value && value.metadata !== null && typeof value.metadata === 'object';

const encodingOf = (payload: Payload) => Buffer.from(payload.metadata?.encoding ?? []).toString('utf8');

/** Walks one history's events as the server returns them (raw protobuf: bytes as they are stored). */
export function scanHistory(events: temporal.api.history.v1.IHistoryEvent[]): HistoryScan {
  const scan: HistoryScan = { text: [], encrypted: [], plain: [], failures: [] };
  const walk = (value: unknown, at: string): void => {
    if (typeof value === 'string') scan.text.push(value);
    else if (value instanceof Uint8Array) scan.text.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${at}[${i}]`));
    else if (value !== null && typeof value === 'object') {
      if (isPayload(value)) {
        if (encodingOf(value) === ENCRYPTED_ENCODING) scan.encrypted.push(value);
        else scan.plain.push({ at, payload: value });
      }
      if ('message' in value && 'stackTrace' in value && 'encodedAttributes' in value) {
        const failure = value as temporal.api.failure.v1.IFailure;
        scan.failures.push({
          message: failure.message ?? '',
          stackTrace: failure.stackTrace ?? '',
          encodedAttributes: failure.encodedAttributes ?? undefined,
        });
      }
      for (const [key, item] of Object.entries(value)) walk(item, `${at}.${key}`);
    }
  };
  for (const event of events) walk(event, `event ${String(event.eventId)} (${String(event.eventType)})`);
  return scan;
}

/** Every execution (every run, children included) that ran on a task queue, as visibility lists them (raw). */
export async function executionsOn(
  client: Client,
  taskQueue: string,
): Promise<{ workflowId: string; runId: string }[]> {
  const out: { workflowId: string; runId: string }[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query: `TaskQueue = "${taskQueue}"`,
      nextPageToken,
    });
    for (const e of page.executions ?? [])
      out.push({ workflowId: e.execution!.workflowId!, runId: e.execution!.runId! });
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}

/** One execution's raw events, every page, straight from the workflow service (no data converter involved). */
export async function rawEvents(
  client: Client,
  execution: { workflowId: string; runId: string },
): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution,
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}
