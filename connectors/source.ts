/**
 * What every source connector yields while extracting one object: records, and items that could not be
 * read (to be quarantined with their position). `cursor` resumes the read just after the item.
 *
 * A reader accounts for every item of the source: what it cannot parse it yields as `broken`, never skips in
 * silence. A delta infers deletions from what a whole read did not yield, and a `broken` item (or a record
 * without an id) makes that read incomplete, so it infers none (activities/delta.ts).
 */
export type SourceItem =
  | { kind: 'record'; position: string; cursor: string; record: Record<string, unknown> }
  | { kind: 'broken'; position: string; cursor: string; text: string; message: string };

/** Reads one object of a source from a cursor (null: from the start). */
export type SourceReader = (cursor: string | null) => AsyncGenerator<SourceItem>;

/**
 * A deletion an incremental read reports: one record by id, or every record whose `field` holds `value` (the
 * comments of a deleted ticket).
 */
export interface DeletedItem {
  kind: 'deleted';
  position: string;
  sourceId?: string;
  field?: string;
  value?: string;
}

/** Reads only what changed since an instant (records, and deletions): sources with a change feed. */
export type ChangeReader = (since: Date) => AsyncGenerator<SourceItem | DeletedItem>;
