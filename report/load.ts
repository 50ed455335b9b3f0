import type { StoredProfile } from '../activities/preferences';
import type { MergeReconciliation } from '../activities/reconcile-merge';
import type { FidelityReport, ReadBackCoverage } from '../activities/reconciliation';
import type { Plan } from '../plan/schema';
import { transformName } from '../plan/transforms';
import type { SumReconciliation } from '../plan/sum-equation';
import { visualMapModel } from '../plan/visual-map';
import type { AuditHead } from '../staging/audit';
import type { Staging } from '../staging/db';
import { UnknownMigrationError } from '../staging/migrations-repo';
import { loadPreferencesReport } from './preferences';
import { isoColumn } from '../staging/iso';
import {
  loadApprovals,
  loadConflicts,
  loadCustody,
  loadQuarantine,
  loadRollback,
  secondsBetween,
} from './load-evidence';
import {
  PROOF_PACK_FORMAT,
  proofPackHash,
  type MigrationFacts,
  type ObjectProfileSection,
  type ObjectProof,
  type PackVerdict,
  type PhaseSection,
  type PreferencesSection,
  type ProofPack,
  type RunLine,
} from './model';

/** The loading phases, in the order a migration runs them. */
const LOADING_PHASES = ['sample', 'full', 'delta'];

export interface BuildOptions {
  /** Put record content in the pack: quarantined records' messages and raw records, pre-flight example values. */
  includeValues?: boolean;
  /** The time the pack is built (tests pin it). */
  now?: Date;
}

/** Builds the proof pack of a migration from staging: read-only, the audit chain verified with this process's keys. */
export async function buildProofPack(
  staging: Staging,
  migrationId: string,
  options: BuildOptions = {},
): Promise<ProofPack> {
  const includeValues = options.includeValues ?? false;
  const { facts, plan } = await loadMigration(staging, migrationId);
  const runs = await loadRuns(staging, migrationId);
  const phases = await loadPhases(staging, migrationId, plan, runs);
  const quarantine = await loadQuarantine(staging, migrationId, plan, includeValues);
  const conflicts = await loadConflicts(staging, migrationId);
  const custody = await loadCustody(staging, migrationId);
  const rollback = await loadRollback(staging, migrationId);
  const content: Omit<ProofPack, 'contentHash'> = {
    format: PROOF_PACK_FORMAT,
    generatedAt: (options.now ?? new Date()).toISOString(),
    includeValues,
    migration: facts,
    verdict: { ok: true, failures: [], toAccept: [] },
    phases,
    preferences: runs.some((r) => r.phase === 'preferences')
      ? await loadPreferences(staging, migrationId, plan, includeValues)
      : null,
    fieldMap: visualMapModel(plan),
    quarantine,
    conflicts,
    custody,
    approvals: await loadApprovals(staging, migrationId),
    rollback,
  };
  content.verdict = packVerdict(content);
  return { ...content, contentHash: proofPackHash(content) };
}

async function loadMigration(staging: Staging, migrationId: string): Promise<{ facts: MigrationFacts; plan: Plan }> {
  const [row] = await staging.sql<
    {
      id: string;
      name: string;
      plan: Plan;
      plan_hash: string;
      source_kind: string;
      target_kind: string;
      gold_schema_hash: string | null;
      created_at: string;
    }[]
  >`select id, name, plan, plan_hash, source_kind, target_kind, gold_schema_hash,
      ${isoColumn(staging.sql, 'created_at')} as created_at
    from migrations where id = ${migrationId}`;
  if (!row)
    throw new UnknownMigrationError(
      `migration ${migrationId} is not in staging`,
      'run a phase first (`tern run preferences <plan>`), or name the migration with --migration <id>',
    );
  return {
    plan: row.plan,
    facts: {
      id: row.id,
      name: row.name,
      planHash: row.plan_hash,
      source: row.source_kind,
      target: row.target_kind,
      goldSchemaHash: row.gold_schema_hash,
      createdAt: row.created_at,
    },
  };
}

async function loadRuns(staging: Staging, migrationId: string): Promise<(RunLine & { phase: string })[]> {
  const rows = await staging.sql<
    { phase: string; status: string; started_at: string; finished_at: string | null; workflow_id: string }[]
  >`select phase, status, workflow_id,
      ${isoColumn(staging.sql, 'started_at')} as started_at, ${isoColumn(staging.sql, 'finished_at')} as finished_at
    from runs
    where migration_id = ${migrationId} order by started_at, id`;
  return rows.map((r) => ({
    phase: r.phase,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    seconds: secondsBetween(r.started_at, r.finished_at),
    workflowId: r.workflow_id,
  }));
}

interface ProofRow {
  phase: string;
  object: string;
  source: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  checksum_mismatches: number;
  sums: Record<string, SumReconciliation>;
  fidelity: FidelityReport | null;
  merge: MergeReconciliation | null;
  ok: boolean;
  audit_head: AuditHead | null;
  created_at: string;
  proofs: number;
  read_back: Partial<ReadBackCoverage> | null;
}

/** Each loading phase that ran, with its runs and every object's latest proof (and how many proofs it has). */
async function loadPhases(
  staging: Staging,
  migrationId: string,
  plan: Plan,
  runs: (RunLine & { phase: string })[],
): Promise<PhaseSection[]> {
  // The latest proof per phase and object; its read-back scope is in the proof's own audit entry (its recorded head).
  const rows = await staging.sql<ProofRow[]>`
    select r.phase, r.object, r.source, r.loaded, r.quarantined, r.filtered, r.deduplicated, r.checksum_mismatches,
      r.sums, r.fidelity, r.merge, r.ok, r.audit_head, ${isoColumn(staging.sql, 'r.created_at')} as created_at, r.proofs, a.details -> 'readBack' as read_back
    from (
      select *, count(*) over (partition by phase, object)::int as proofs,
        row_number() over (partition by phase, object order by id desc) as latest
      from reconciliations where migration_id = ${migrationId}
    ) r
    left join audit_log a
      on a.migration_id = ${migrationId} and a.id = (r.audit_head ->> 'id')::bigint and a.action = 'object.reconciled'
    where r.latest = 1`;
  const order = new Map(plan.objects.map((o, i) => [o.name, i]));
  const phases = LOADING_PHASES.filter((p) => runs.some((r) => r.phase === p) || rows.some((r) => r.phase === p));
  return phases.map((phase) => {
    const objects = rows
      .filter((r) => r.phase === phase)
      .sort(
        (a, b) =>
          (order.get(a.object) ?? order.size) - (order.get(b.object) ?? order.size) || a.object.localeCompare(b.object),
      )
      .map(objectProof);
    return {
      phase,
      runs: runs.filter((r) => r.phase === phase).map(({ phase: _phase, ...run }) => run),
      objects,
      ok: objects.length === 0 ? null : objects.every((o) => o.ok),
    };
  });
}

function objectProof(r: ProofRow): ObjectProof {
  const rb = r.read_back;
  return {
    object: r.object,
    provenAt: r.created_at,
    proofs: r.proofs,
    source: r.source,
    loaded: r.loaded,
    quarantined: r.quarantined,
    filtered: r.filtered,
    deduplicated: r.deduplicated,
    countsHold: r.source === r.loaded + r.quarantined + r.filtered + r.deduplicated,
    checksumMismatches: r.checksum_mismatches,
    sums: r.sums,
    fidelity: r.fidelity,
    readBack:
      rb && (rb.scope === 'whole' || rb.scope === 'touched') && typeof rb.records === 'number'
        ? { scope: rb.scope, reason: String(rb.reason ?? ''), records: rb.records }
        : null,
    ...(r.merge ? { merge: r.merge } : {}),
    ok: r.ok,
    auditHead: r.audit_head,
  };
}

/** The preferences phase's profile, per object and field; record content only with `includeValues`. */
async function loadPreferences(
  staging: Staging,
  migrationId: string,
  plan: Plan,
  includeValues: boolean,
): Promise<PreferencesSection> {
  const report = await loadPreferencesReport(staging.db, migrationId);
  const mapped = valueMappedFields(plan);
  return {
    status: report.run.status,
    startedAt: report.run.startedAt,
    seconds: report.run.seconds,
    verdict: report.verdict,
    issues: report.issues,
    objects: report.objects.map((o) => objectProfile(o, mapped.get(o.object) ?? new Set(), includeValues)),
  };
}

/** Transforms that map legacy values one by one onto the target's: their fields' values are the mapping's subject. */
const VALUE_MAPPINGS = new Set(['picklist', 'map', 'boolean']);

/** Per object, the source fields the plan maps through a value mapping. */
function valueMappedFields(plan: Plan): Map<string, Set<string>> {
  return new Map(
    plan.objects.map((o) => [
      o.name,
      new Set(
        o.fields
          .filter((f) => f.from !== undefined && f.transform.some((spec) => VALUE_MAPPINGS.has(transformName(spec))))
          .map((f) => f.from!),
      ),
    ]),
  );
}

/**
 * One object's profile. A picklist candidate's values are listed when the plan maps the field value by value (the
 * values a stakeholder reviews the mapping against); other candidates' values (cities, streets, codes) are record
 * content, listed only with `includeValues`.
 */
function objectProfile(o: StoredProfile, mapped: Set<string>, includeValues: boolean): ObjectProfileSection {
  return {
    object: o.object,
    rows: o.rows,
    unreadable: o.unreadable,
    duplicateSourceIds: o.duplicateSourceIds,
    duplicates: o.duplicates
      ? {
          key: o.duplicates.key,
          groups: o.duplicates.groups,
          records: o.duplicates.records,
          excess: o.duplicates.excess,
        }
      : null,
    orphans: o.orphans.map((x) => ({ field: x.field, object: x.object, count: x.count, examples: x.examples })),
    fields: o.fields.map((f) => ({
      field: f.field,
      blank: f.blank,
      blankPercent: f.blankPercent,
      distinct: f.distinct,
      dominantType: f.dominantType,
      typeAnomalies: f.typeAnomalies,
      multiValue: f.multiValue,
      dates: f.dates ?? null,
      picklistCandidate: f.picklistCandidate,
      picklist: f.picklistCandidate && f.values && (includeValues || mapped.has(f.field)) ? f.values : null,
    })),
    dryRun: o.dryRun ?? null,
    preflight: (o.preflight ?? []).map((p) => ({
      field: p.field,
      code: p.code,
      records: p.records,
      fix: p.fix,
      examples: p.examples.map((e) => (includeValues ? { record: e.record, value: e.value } : { record: e.record })),
    })),
  };
}

/** What fails, and what a signer accepts knowingly, over the whole pack. */
export function packVerdict(pack: Omit<ProofPack, 'contentHash'>): PackVerdict {
  const failures: string[] = [];
  const toAccept: string[] = [];
  if (!pack.phases.some((p) => p.objects.length > 0)) failures.push('no loading phase has a proof yet');
  for (const phase of pack.phases)
    for (const o of phase.objects) if (!o.ok) failures.push(`the ${phase.phase} proof of ${o.object} does not hold`);
  const v = pack.custody.verification;
  if (!v.ok)
    failures.push(
      v.broken
        ? `the custody chain is broken at entry #${v.broken.seq}: ${v.broken.problem}`
        : 'the custody chain does not verify',
    );
  if (pack.rollback && pack.rollback.ok === false)
    failures.push('the rollback rehearsal did not prove the prior state');
  const rolledBackAt = pack.rollback?.status === 'completed' ? pack.rollback.finishedAt : null;
  const lastProof = pack.phases
    .flatMap((p) => p.objects.map((o) => o.provenAt))
    .sort()
    .pop();
  if (rolledBackAt && lastProof && rolledBackAt > lastProof)
    toAccept.push(
      `the target was rolled back after these proofs (${rolledBackAt.slice(0, 19).replace('T', ' ')} UTC): they prove the load as it was before the rollback`,
    );
  if (pack.quarantine.open > 0)
    toAccept.push(`${pack.quarantine.open} record(s) quarantined and not moved (by reason below)`);
  if (pack.conflicts.open > 0)
    toAccept.push(`${pack.conflicts.open} open conflict(s): target rows edited after Tern wrote them, kept by policy`);
  return { ok: failures.length === 0, failures, toAccept };
}
