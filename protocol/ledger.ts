import type { TargetRow } from '../connectors/target';
import type { ConflictPolicy } from './write';

/**
 * The ledger the write protocol keeps for every record it touches (staging's `id_map`). Its rows are never
 * deleted: a refusal is recorded beside the last good state, a removal changes the state, and the first view of
 * what the target held before Tern (created by Tern or not, and the before-image) is kept for the rollback.
 */
export type LedgerState = 'pending' | 'written' | 'refused' | 'set_aside' | 'deleted' | 'rolled_back';

export interface LedgerEntry {
  sourceId: string;
  state: LedgerState;
  /** Bumped by every attempt that marks the record pending: the attempt's fencing token. */
  attempt: number;
  targetId: string | null;
  checksum: string | null;
  /** null until Tern first tried to write the record. */
  createdByTern: boolean | null;
  beforeImage: TargetRow | null;
}

export interface BeginItem {
  sourceId: string;
  /** What this attempt saw in the target; only the first attempt's view is kept. */
  createdByTern: boolean;
  beforeImage: TargetRow | null;
}

export interface WrittenItem {
  sourceId: string;
  targetId: string | null;
  checksum: string;
  /** Per-field checksums of the canonical row written (`plan/checksum.ts` `fieldChecksums`). */
  fieldChecksums: Record<string, string>;
  /** The attempt number `begin` returned: a superseded attempt marks nothing. */
  attempt: number;
  /** Set when this write overwrote a change made in the target since Tern wrote the record: the policy that let it. */
  overwrote?: ConflictPolicy;
}

export interface RefusedItem {
  sourceId: string;
  message: string;
  attempt: number;
}

/** One migration object's ledger, as the write protocol needs it. */
export interface Ledger {
  /** The ledger's rows for these records (absent: Tern never tried to write them). */
  entries(sourceIds: readonly string[]): Promise<Map<string, LedgerEntry>>;
  /**
   * Marks the records pending for a new attempt and returns each one's attempt number. Throws
   * `WritesFencedError` when a rollback raised the migration's write fence: nothing may be written then.
   */
  begin(items: readonly BeginItem[]): Promise<Map<string, number>>;
  /**
   * Marks records written, only where this attempt is still the record's latest and the fence is down; returns
   * the source ids it marked. A record left pending is looked up by the next attempt before anything is created.
   * What it marked (and what it overwrote) goes to the audit log in the same transaction.
   */
  written(items: readonly WrittenItem[]): Promise<Set<string>>;
  /**
   * Records the target's refusal of this attempt's write beside the last good state: a record Tern had written
   * stays `written` (its target id, checksum and before-image intact) with the refusal noted; one an earlier
   * attempt left pending stays pending (that write may have landed); one never written becomes `refused`.
   */
  refused(items: readonly RefusedItem[], before: ReadonlyMap<string, LedgerEntry>): Promise<void>;
  /** Throws `WritesFencedError` when a rollback raised the migration's write fence. */
  assertWritable(): Promise<void>;
  /** Records whose target rows were removed or restored: the source deleted them, or the rules set them aside. */
  removed(sourceIds: readonly string[], state: 'deleted' | 'set_aside'): Promise<void>;
}
