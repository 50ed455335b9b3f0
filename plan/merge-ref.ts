/** A record of a merged object is known by its ref, `source/source id` (docs/merge.md). No imports: transforms use it. */

/** A source record's ref. */
export const mergeRef = (source: string, sourceId: string): string => `${source}/${sourceId}`;

/** A reference to a record of a merged object: its ref when the reference names the source, else the id as given. */
export function qualifiedReference(source: string | undefined, id: string): string {
  return source === undefined ? id : mergeRef(source, id);
}

/** The record's ref, `source/source id`: its staged source id, and the target key of a merged record. */
export const MERGE_REF_FIELD = '_ref';
/** Tern's note on the record: its group, the record it was merged into, or why it cannot be loaded. */
export const MERGE_INFO_FIELD = '_merge';
/** Target field names Tern keeps for itself in a merged object. */
export const RESERVED_MERGE_FIELDS: readonly string[] = [MERGE_REF_FIELD, MERGE_INFO_FIELD];
