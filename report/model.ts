import type { DryRunCounts } from '../activities/dry-run';
import type { MergeReconciliation } from '../activities/reconcile-merge';
import type { FidelityReport, ReadBackCoverage } from '../activities/reconciliation';
import { checksum } from '../plan/checksum';
import type { DateClasses } from '../plan/profile';
import type { SumReconciliation } from '../plan/sum-equation';
import type { TargetIssue } from '../plan/target-check';
import type { VisualMapObject } from '../plan/visual-map';
import type { AuditHead, AuditVerification } from '../staging/audit';
import type { PreferencesVerdict } from './preferences';

/**
 * The proof pack of one migration (`tern report <plan> --json | --html <dir>`): everything a stakeholder signs off
 * from, built once from staging and rendered twice (JSON, and one self-contained HTML page). Record content (values
 * of quarantined records, pre-flight examples) is in it only when the operator asked for it (`includeValues`).
 */

export const PROOF_PACK_FORMAT = 'tern.proof-pack/1';

export interface ProofPack {
  format: typeof PROOF_PACK_FORMAT;
  /**
   * sha256 of the pack's canonical JSON without this field and `generatedAt`: the same staging state gives the same
   * hash, so a sign-off that cites it can be checked by building the pack again.
   */
  contentHash: string;
  /** When the pack was built (outside the content hash). */
  generatedAt: string;
  /** Record content is included (`--include-values`). */
  includeValues: boolean;
  migration: MigrationFacts;
  /** What a person should look at before signing, and whether every proof holds. */
  verdict: PackVerdict;
  /** The loading phases that ran (sample, full, delta), each with its runs and its latest proof per object. */
  phases: PhaseSection[];
  preferences: PreferencesSection | null;
  fieldMap: VisualMapObject[];
  quarantine: QuarantineSection;
  conflicts: ConflictSection;
  custody: CustodySection;
  approvals: ApprovalLine[];
  rollback: RollbackSection | null;
}

export interface MigrationFacts {
  id: string;
  name: string;
  planHash: string;
  source: string;
  target: string;
  goldSchemaHash: string | null;
  createdAt: string;
}

export interface PackVerdict {
  /** Nothing fails: every latest proof holds, the custody chain verifies, the rollback rehearsal (if any) proved. */
  ok: boolean;
  /** One line per thing that fails. */
  failures: string[];
  /** What a signer accepts knowingly: records set aside (open quarantine), target edits kept (open conflicts). */
  toAccept: string[];
}

export interface RunLine {
  status: string;
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
  workflowId: string;
}

export interface PhaseSection {
  phase: string;
  runs: RunLine[];
  /** Every object's latest proof of this phase (a phase's own, or `tern reconcile`'s since), in plan order. */
  objects: ObjectProof[];
  /** Every object's latest proof holds; null when the phase has no proof yet. */
  ok: boolean | null;
}

/** One object's latest proof, as staging stored it. */
export interface ObjectProof {
  object: string;
  provenAt: string;
  /** How many proofs of this object and phase staging holds (the phase's own, and each `tern reconcile`). */
  proofs: number;
  source: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  /** source = loaded + quarantined + filtered + deduplicated. */
  countsHold: boolean;
  checksumMismatches: number;
  sums: Record<string, SumReconciliation>;
  /** Null for proofs taken before the fidelity check existed. */
  fidelity: FidelityReport | null;
  /** What the read-back covered, from the proof's audit entry; null when staging does not say. */
  readBack: Pick<ReadBackCoverage, 'scope' | 'reason' | 'records'> | null;
  /**
   * A merged object's proof per source, as staging stored it: each source's count equation (read = survivors +
   * merged into + quarantined + filtered + deleted, unaccounted 0), the merged groups, and per sums field the records
   * that were not merged source by source against the target, the merged groups' figures beside the rules' outcome.
   * Absent for a one-source object (and for proofs stored before it was kept).
   */
  merge?: MergeReconciliation;
  ok: boolean;
  /** The audit chain's head recorded with the proof. */
  auditHead: AuditHead | null;
}

export interface PreferencesSection {
  status: string;
  startedAt: string;
  seconds: number | null;
  verdict: PreferencesVerdict;
  issues: TargetIssue[];
  objects: ObjectProfileSection[];
}

export interface ObjectProfileSection {
  object: string;
  rows: number;
  unreadable: number;
  duplicateSourceIds: number;
  duplicates: { key: string[]; groups: number; records: number; excess: number } | null;
  /** Reference values that name no record of the referenced object (examples are those values: source ids). */
  orphans: { field: string; object: string; count: number; examples: string[] }[];
  fields: FieldProfileLine[];
  dryRun: DryRunCounts | null;
  /** What the target would refuse; examples' values only with `includeValues`. */
  preflight: {
    field: string;
    code: string;
    records: number;
    fix: string;
    examples: { record: string; value?: string | null }[];
  }[];
}

export interface FieldProfileLine {
  field: string;
  blank: number;
  blankPercent: number;
  distinct: number;
  dominantType: string | null;
  typeAnomalies: number;
  multiValue: number;
  /** Date-format classes, for fields that hold dates. */
  dates: (DateClasses & { verdict: string }) | null;
  /** Few distinct values: the field could be a picklist. */
  picklistCandidate: boolean;
  /**
   * A candidate's every distinct value with its count: listed when the plan maps the field value by value (picklist,
   * map, boolean), else only with `includeValues` (they are record content).
   */
  picklist: { value: string; count: number }[] | null;
}

export interface QuarantineExample {
  sourceId: string;
  field: string | null;
  /** Where the record was found in the source (a file line, a page). */
  position: string | null;
  /** The message quotes the value: only with `includeValues`. */
  message?: string;
  raw?: unknown;
}

export interface QuarantineGroup {
  object: string;
  stage: string;
  reason: string;
  open: number;
  resolved: number;
  /** Up to 5 open records of the group (resolved ones when none is open). */
  examples: QuarantineExample[];
}

export interface QuarantineSection {
  open: number;
  resolved: number;
  groups: QuarantineGroup[];
}

export interface ConflictLine {
  object: string;
  sourceId: string;
  phase: string;
  policy: string;
  outcome: string;
  detectedAt: string;
  resolvedAt: string | null;
}

export interface ConflictSection {
  total: number;
  open: number;
  /** Up to 100 conflicts, newest first. */
  list: ConflictLine[];
}

export interface CustodySection {
  head: AuditHead | null;
  verification: Omit<AuditVerification, 'migrationId'>;
}

/** A gated phase opened by a person: who, and why. */
export interface ApprovalLine {
  phase: string;
  by: string;
  reason: string;
  at: string;
}

export interface RollbackSection {
  status: string;
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
  by: string | null;
  reason: string | null;
  /** The rollback proved the target back to what it was before Tern (null while it has not completed). */
  ok: boolean | null;
  objects: {
    object: string;
    removed: number;
    restored: number;
    mismatches: number;
    rounds: number;
    leftoversRepaired: number;
  }[];
}

/** The pack's content hash: sha256 of its canonical JSON, without the hash itself and the time it was built. */
export function proofPackHash(pack: Omit<ProofPack, 'contentHash'>): string {
  return checksum({ ...pack, contentHash: undefined, generatedAt: undefined });
}
