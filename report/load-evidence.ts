import type { Plan } from '../plan/schema';
import { auditHead, verifyAuditChain } from '../staging/audit';
import type { Staging } from '../staging/db';
import { isoColumn } from '../staging/iso';
import type {
  ApprovalLine,
  ConflictSection,
  CustodySection,
  QuarantineExample,
  QuarantineSection,
  RollbackSection,
} from './model';

/** The proof pack's evidence besides the proofs: quarantine, conflicts, custody, approvals, the rollback rehearsal. */

const EXAMPLES_PER_GROUP = 5;

/** Seconds between two ISO instants, to a tenth; null while unfinished. */
export function secondsBetween(start: string, end: string | null): number | null {
  return end ? Math.round((Date.parse(end) - Date.parse(start)) / 100) / 10 : null;
}
const CONFLICTS_LISTED = 100;

/** Quarantined records by object, stage and reason, with a few examples each; values only with `includeValues`. */
export async function loadQuarantine(
  staging: Staging,
  migrationId: string,
  plan: Plan,
  includeValues: boolean,
): Promise<QuarantineSection> {
  const sql = staging.sql;
  const groups = await sql<{ object: string; stage: string; reason: string; open: number; resolved: number }[]>`
    select object, stage, reason_code as reason,
      count(*) filter (where resolved_at is null)::int as open,
      count(*) filter (where resolved_at is not null)::int as resolved
    from quarantine where migration_id = ${migrationId}
    group by object, stage, reason_code`;
  const examples = await sql<
    {
      object: string;
      stage: string;
      reason: string;
      record_key: string;
      field: string | null;
      source_position: string | null;
      message: string;
      raw: unknown;
    }[]
  >`
    select object, stage, reason, record_key, field, source_position, message, raw from (
      select object, stage, reason_code as reason, record_key, field, source_position,
        ${includeValues ? sql`message, raw` : sql`null::text as message, null::jsonb as raw`},
        row_number() over (partition by object, stage, reason_code order by resolved_at nulls first, id) as n
      from quarantine where migration_id = ${migrationId}
    ) q where n <= ${EXAMPLES_PER_GROUP}
    order by object, stage, reason, n`;
  const rank = new Map(plan.objects.map((o, i) => [o.name, i]));
  return {
    open: groups.reduce((n, g) => n + g.open, 0),
    resolved: groups.reduce((n, g) => n + g.resolved, 0),
    groups: groups
      .sort(
        (a, b) =>
          (rank.get(a.object) ?? rank.size) - (rank.get(b.object) ?? rank.size) ||
          b.open - a.open ||
          a.stage.localeCompare(b.stage) ||
          a.reason.localeCompare(b.reason),
      )
      .map((g) => ({
        ...g,
        examples: examples
          .filter((e) => e.object === g.object && e.stage === g.stage && e.reason === g.reason)
          .map((e): QuarantineExample => {
            const example: QuarantineExample = { sourceId: e.record_key, field: e.field, position: e.source_position };
            if (includeValues) Object.assign(example, { message: e.message, raw: e.raw });
            return example;
          }),
      })),
  };
}

/** Conflicts the loads found (target rows edited after Tern wrote them), newest first. */
export async function loadConflicts(staging: Staging, migrationId: string): Promise<ConflictSection> {
  const [counts] = await staging.sql<{ total: number; open: number }[]>`
    select count(*)::int as total, count(*) filter (where resolved_at is null)::int as open
    from conflicts where migration_id = ${migrationId}`;
  const rows = await staging.sql<
    {
      object: string;
      source_id: string;
      phase: string;
      policy: string;
      outcome: string;
      detected_at: string;
      resolved_at: string | null;
    }[]
  >`select object, source_id, phase, policy, outcome,
      ${isoColumn(staging.sql, 'detected_at')} as detected_at, ${isoColumn(staging.sql, 'resolved_at')} as resolved_at
    from conflicts
    where migration_id = ${migrationId} order by detected_at desc, id desc limit ${CONFLICTS_LISTED}`;
  return {
    total: counts?.total ?? 0,
    open: counts?.open ?? 0,
    list: rows.map((r) => ({
      object: r.object,
      sourceId: r.source_id,
      phase: r.phase,
      policy: r.policy,
      outcome: r.outcome,
      detectedAt: r.detected_at,
      resolvedAt: r.resolved_at,
    })),
  };
}

/** The audit chain's head and its verification (every keyed hash recomputed, every recorded head held to). */
export async function loadCustody(staging: Staging, migrationId: string): Promise<CustodySection> {
  const { migrationId: _id, ...verification } = await verifyAuditChain(staging.db, migrationId);
  return { head: await auditHead(staging.db, migrationId), verification };
}

/** Gated phases people opened, from the audit log: who, why, when. */
export async function loadApprovals(staging: Staging, migrationId: string): Promise<ApprovalLine[]> {
  const rows = await staging.sql<{ action: string; actor: string; details: Record<string, unknown>; at: string }[]>`
    select action, actor, details, ${isoColumn(staging.sql, 'at')} as at from audit_log
    where migration_id = ${migrationId}
      and action in ('phase.approved', 'cutover.freeze.completed', 'cutover.signoff.completed', 'cutover.decision.completed')
    order by id`;
  return rows.map((r) => ({
    phase: approvalStep(r.action, r.details),
    by: typeof r.details.by === 'string' ? r.details.by : r.actor,
    reason: textOf(r.details.reason),
    at: r.at,
  }));
}

/** What a person approved: a gated phase, or a step of the cutover (the pack signed named by its hash). */
function approvalStep(action: string, details: Record<string, unknown>): string {
  if (action === 'cutover.freeze.completed') return 'cutover: source frozen';
  if (action === 'cutover.signoff.completed')
    return typeof details.reportHash === 'string'
      ? `cutover: sign-off of proof pack ${details.reportHash.slice(0, 16)}…`
      : 'cutover: no sign-off (no-go before it)';
  if (action === 'cutover.decision.completed') return details.go === true ? 'cutover: go' : 'cutover: no-go';
  return textOf(details.phase);
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

interface RollbackSummary {
  ok?: boolean;
  objects?: {
    object: string;
    removed: number;
    restored: number;
    mismatches: number;
    rounds: number;
    leftoversRepaired: number;
  }[];
}

/** The latest rollback: when, who asked and why, and what its verification proved per object. */
export async function loadRollback(staging: Staging, migrationId: string): Promise<RollbackSection | null> {
  const [run] = await staging.sql<
    { status: string; started_at: string; finished_at: string | null; summary: RollbackSummary | null }[]
  >`select status, summary,
      ${isoColumn(staging.sql, 'started_at')} as started_at, ${isoColumn(staging.sql, 'finished_at')} as finished_at
    from runs
    where migration_id = ${migrationId} and phase = 'rollback' order by started_at desc, id desc limit 1`;
  if (!run) return null;
  // Who asked and why is in the rollback's `phase.started` entry (the run row keeps only how it ended).
  const [asked] = await staging.sql<{ details: { by?: unknown; reason?: unknown } }[]>`
    select details from audit_log
    where migration_id = ${migrationId} and action = 'phase.started' and details ->> 'phase' = 'rollback'
    order by id desc limit 1`;
  const summary = run.summary ?? {};
  return {
    status: run.status,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
    seconds: secondsBetween(run.started_at, run.finished_at),
    by: typeof asked?.details.by === 'string' ? asked.details.by : null,
    reason: typeof asked?.details.reason === 'string' ? asked.details.reason : null,
    ok: run.status === 'completed' && typeof summary.ok === 'boolean' ? summary.ok : null,
    objects: (summary.objects ?? []).map((o) => ({
      object: o.object,
      removed: o.removed,
      restored: o.restored,
      mismatches: o.mismatches,
      rounds: o.rounds,
      leftoversRepaired: o.leftoversRepaired,
    })),
  };
}
