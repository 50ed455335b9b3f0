/**
 * What every source connector yields while extracting one object: records, and items that could not be
 * read (to be quarantined with their position). `cursor` resumes the read just after the item.
 */
export type SourceItem =
  | { kind: 'record'; position: string; cursor: string; record: Record<string, unknown> }
  | { kind: 'broken'; position: string; cursor: string; text: string; message: string };

/** Reads one object of a source from a cursor (null: from the start). */
export type SourceReader = (cursor: string | null) => AsyncGenerator<SourceItem>;
