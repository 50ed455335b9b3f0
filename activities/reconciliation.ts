import type { AuditHead } from '../staging/audit';
import type { PinnedPlanInput } from './deps';
import type { MergeReconciliation } from './reconcile-merge';
import { emptyAccumulator, isAccumulator, type SumAccumulator, type SumReconciliation } from '../plan/sum-equation';

/**
 * What a reconciliation reports, and the progress its read-back heartbeats so that a retry resumes where the
 * previous attempt got to (activities/reconcile.ts runs it).
 */

export interface ReconcileInput extends PinnedPlanInput {
  migrationId: string;
  object: string;
  phase: string;
  /**
   * What is read back from the target. `whole`: every written record in the phase's scope (the sample, or
   * everything the source still holds). `touched`: only the records written or deleted since the object was last
   * proven whole-and-ok, the deleted ones verified absent; the count equation stays whole. Unset: `touched` for a
   * delta, `whole` for the other phases (`tern reconcile` reads back whole).
   */
  readBack?: 'whole' | 'touched';
}

/** What the read-back of a reconciliation covered: the report says it, so a partial read-back never passes for a whole one. */
export interface ReadBackCoverage {
  /** `whole`: every written record in scope; `touched`: those written or deleted since `since`. */
  scope: 'whole' | 'touched';
  /** Why this scope, in one line. */
  reason: string;
  /** `touched`: the reconciliation the scope starts from (ISO instant): records untouched since were proven then. */
  since?: string;
  /** Written records read back from the target and compared with their checksums (and sums, fidelity). */
  records: number;
  /** Records the source deleted whose target row Tern removed (or should have), looked up in the target. */
  deletedChecked: number;
  /** Of those, rows still in the target: each is a failure. */
  deletedPresent: number;
  /** Up to 20 source ids of deleted records still in the target. */
  deletedExamples: string[];
}

/** A written record that reads back differently: which fields differ (names only, never values). */
export interface MismatchExample {
  sourceId: string;
  /** The fields whose read-back differs from what was written; empty when the record is gone from the target. */
  fields: string[];
  /** The record is not in the target at all. */
  missing?: boolean;
}

/** The proof for one object. `source = loaded + quarantined + filtered + deduplicated` must hold. */
export interface ObjectReconciliation {
  object: string;
  source: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  /** Staged records that are neither loaded nor quarantined: must be 0 at the end of a phase. */
  unaccounted: number;
  /** Records the source deleted (a delta deleted their target rows); no longer part of `source`. */
  deleted: number;
  /** Open conflicts: target rows changed since Tern wrote them, kept by policy and reported here. */
  conflicts: number;
  checksumMismatches: number;
  /** Up to 20 records whose target row differs from what Tern wrote, with the differing fields. */
  mismatchExamples: MismatchExample[];
  /** Mismatching records per field (a record with two differing fields counts under both). */
  mismatchesByField: Record<string, number>;
  /** The money line per `sums` field, term by term (plan/sum-equation.ts). */
  sums: Record<string, SumReconciliation>;
  /** The target compared with the source value read at full precision (plan/fidelity.ts). */
  fidelity: FidelityReport;
  /**
   * What was read back: checksums, sums and fidelity cover these records; the count equation (source = loaded +
   * quarantined + filtered + deduplicated, unaccounted = 0) always covers the whole object.
   */
  readBack: ReadBackCoverage;
  /** A merged object: the same proof per source, its merged groups, and its sums source by source. */
  merge?: MergeReconciliation;
  ok: boolean;
  /**
   * The audit chain's head once this proof was audited (its own entry): kept with the proof in staging and printed
   * with it, so a chain cut below it is found (`tern audit verify`). Absent from proofs taken before it existed.
   */
  auditHead?: AuditHead;
}

/** What the fidelity check compared and found: fields and source ids only, never values. */
export interface FidelityReport {
  /** Target fields mapped by value-preserving transforms: the ones checked. */
  fields: string[];
  /** Loaded records whose fields were compared. */
  records: number;
  /** Records with at least one field whose target value is not the source's. */
  mismatches: number;
  byField: Record<string, number>;
  examples: MismatchExample[];
}

/** How far a reconciliation's read-back got: heartbeated after every page, resumed by the next attempt. */
export interface ReadBackProgress {
  /** The last source id read back (pages go in source id order). */
  after: string;
  /** Written records read back so far. */
  records?: number;
  mismatches: number;
  examples: MismatchExample[];
  byField: Record<string, number>;
  sums: Record<string, SumAccumulator>;
  fidelity: Omit<FidelityReport, 'fields'>;
}

/** The read-back's starting point: the previous attempt's heartbeated progress when it has one, else zero. */
export function resumedReadBack(details: unknown, sumFields: readonly string[]): ReadBackProgress {
  const zero = (): ReadBackProgress => ({
    after: '',
    records: 0,
    mismatches: 0,
    examples: [],
    byField: {},
    sums: Object.fromEntries(sumFields.map((f) => [f, emptyAccumulator()])),
    fidelity: { records: 0, mismatches: 0, byField: {}, examples: [] },
  });
  const d = details as Partial<ReadBackProgress> | null | undefined;
  if (
    !d ||
    typeof d.after !== 'string' ||
    typeof d.mismatches !== 'number' ||
    !Array.isArray(d.examples) ||
    typeof d.byField !== 'object' ||
    d.byField === null ||
    typeof d.sums !== 'object' ||
    d.sums === null ||
    !sumFields.every((f) => isAccumulator((d.sums as Record<string, unknown>)[f])) ||
    typeof d.fidelity !== 'object' ||
    d.fidelity === null ||
    typeof d.fidelity.records !== 'number'
  )
    return zero();
  return {
    after: d.after,
    records: typeof d.records === 'number' ? d.records : 0,
    mismatches: d.mismatches,
    examples: d.examples
      .filter((e): e is MismatchExample => typeof e === 'object' && e !== null && typeof e.sourceId === 'string')
      .slice(0, 20),
    byField: { ...d.byField },
    sums: d.sums,
    fidelity: d.fidelity,
  };
}
