import type { Readable } from 'node:stream';
import { textOf } from '../../plan/text';
import { RecordRejectedError } from '../kit/errors';
import type { TargetExtras } from '../extras';
import type { RecordRef, TargetRow, WriteItem } from '../target';
import type { FrontAccount } from './account';
import type { FrontApi } from './api';
import { ALL_CUSTOM_FIELDS, customFieldsToSend, type FrontCustomField } from './custom-fields';
import type { Listings } from './listing';
import type { PageThreads } from './threads';

/** Opens an attachment of the source as a stream (the source's credentials stay with the source). */
export type AttachmentDownloads = (url: string) => Promise<Readable>;

/** What every Front resource works with: the API, the account's set-up, Tern's extras, the plan's custom fields. */
export interface FrontContext {
  api: FrontApi;
  account: FrontAccount;
  extras: TargetExtras;
  /** The resource's custom fields by plan key (`cf_…`); empty for resources without any. */
  customFields: ReadonlyMap<string, FrontCustomField>;
  /** The source's attachment downloads, when the source has attachments. */
  downloads?: AttachmentDownloads;
  /** Within a page of messages: the threads it imports into (see `PageThreads`). */
  threads?: PageThreads;
}

/** What the writes of one page share: read before the first, saved after the last. */
export interface PageWrites {
  ctx: FrontContext;
  close(): Promise<void>;
}

/** One Front resource: how its records are found, written, removed and put back. */
export interface FrontResourceHandler {
  /** The resource's rows for these records, by source id (absent: not in Front). */
  lookup(ctx: FrontContext, records: readonly RecordRef[]): Promise<Map<string, TargetRow>>;
  /** Opens a page of writes: what its records share is read once for them all (absent: nothing shared). */
  openPage?(ctx: FrontContext, items: readonly WriteItem[]): Promise<PageWrites>;
  /** Writes one record; its Front id, or null when it cannot be written yet (the reason is `NOT_WRITTEN`'s). */
  write(ctx: FrontContext, item: WriteItem): Promise<string | null>;
  /** Removes one record (absent is fine); whether it was there. */
  remove(ctx: FrontContext, record: RecordRef): Promise<boolean>;
  /**
   * The resource's rows for a reconciliation's read-back (every record here was written), through Front's listings
   * where they answer many records a request; absent: `lookup`, one record at a time.
   */
  readBack?(ctx: FrontContext, records: readonly RecordRef[], listings: Listings): Promise<Map<string, TargetRow>>;
  /** Puts a before-image back; absent for resources only Tern ever creates. */
  restore?(ctx: FrontContext, ref: RecordRef, image: TargetRow): Promise<void>;
}

/** A payload value as text, or undefined when there is none. */
export const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : textOf(v));

/**
 * A write that streams files from the source into a multipart form may take longer than a JSON call; each file is
 * watched for stalls by the download itself, the whole upload is bounded by this.
 */
export const UPLOAD_TIMEOUT_MS = 5 * 60_000;

/** `{ custom_fields }` to send with the record, or nothing when the plan maps none; a value of the wrong type refuses it. */
export function customFieldsOf(ctx: FrontContext, item: WriteItem): { custom_fields?: Record<string, unknown> } {
  const send = customFieldsToSend(ctx.customFields, item.payload, item.existing?.[ALL_CUSTOM_FIELDS]);
  if ('error' in send) throw new RecordRejectedError(send.error, 'front', 400, 'custom_field_type', send.field);
  return send.values ? { custom_fields: send.values } : {};
}

/** Splits `items` into at most `parts` runs of neighbours, in order. */
export function runsOf<T>(items: readonly T[], parts: number): T[][] {
  const size = Math.max(1, Math.ceil(items.length / Math.max(1, parts)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
