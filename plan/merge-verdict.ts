import { MERGE_INFO_FIELD } from './merge-ref';

/** What staging notes on each record of a merged object (docs/merge.md), and what the load makes of it. */

/** Tern's note on a staged record of a merged object (its `_merge` field). */
export interface MergeNote {
  group: string;
  status: 'single' | 'merged' | 'review' | 'rejected';
  /** The first match rule that joined the group. */
  rule?: string;
  /** A member other than the anchor: the anchor's ref, whose staged record holds the merged values. */
  into?: string;
  /** The anchor: how many source records its values were chosen from. */
  members?: number;
  /** Why the record cannot be loaded: its field map or the group's survivorship refused it. */
  rejected?: { field: string; code: string; message: string };
  /** A rejected record's values as its source gave them (the quarantine shows them). */
  source?: Record<string, unknown>;
}

/**
 * Why a staged record of a merged object cannot be loaded, or null: a group awaiting review, a field map or a
 * survivorship that refused it. The load quarantines it with this reason.
 */
export function mergeVerdict(raw: Record<string, unknown>): { field: string; code: string; message: string } | null {
  const note = raw[MERGE_INFO_FIELD] as MergeNote | undefined;
  if (!note || typeof note !== 'object') return null;
  if (note.rejected) return note.rejected;
  if (note.status === 'review')
    return {
      field: MERGE_INFO_FIELD,
      code: 'merge_review_pending',
      message: `group ${note.group} joined two records of one source; decide it in the object's review file (tern merge review), then run the phase again`,
    };
  return null;
}
