import type { TernSettings } from '../../common/config';
import { ConfigError } from '../../common/errors';
import type { LoadedPlan } from '../../plan/load';
import type { Plan } from '../../plan/schema';
import { appendAudit } from '../../staging/audit';
import type { Staging } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import { phaseWorkflowId } from '../../workflows/ids';
import type { PhaseResult } from '../../workflows/phase';
import { defaultMigrationId, formatPhaseResult, resolvePlanPaths } from '../client/phases';
import { runPhase } from './run-phase';
import { isoColumn } from '../../staging/iso';
import { requireMigration } from './shared';

/** One group of quarantined records: an object, the stage that set them aside, and the reason. */
export interface QuarantineGroup {
  object: string;
  stage: string;
  reason: string;
  open: number;
  /** Only with `--all`: records of this group resolved since (a plan fix let them through). */
  resolved?: number;
}

export interface QuarantineList {
  migration: string;
  open: number;
  resolved?: number;
  groups: QuarantineGroup[];
}

function requireObject(plan: Plan, object: string | undefined): void {
  if (object && !plan.objects.some((o) => o.name === object))
    throw new ConfigError(
      `object "${object}" is not in plan "${plan.name}"`,
      `use one of: ${plan.objects.map((o) => o.name).join(', ')}`,
    );
}

/** Counts of quarantined records by object, stage and reason: open ones, or all with `all`. */
export async function listQuarantine(
  staging: Staging,
  migrationId: string,
  options: { object?: string; reason?: string; all?: boolean } = {},
): Promise<QuarantineList> {
  const { plan } = await requireMigration(staging.db, migrationId);
  requireObject(plan, options.object);
  const sql = staging.sql;
  const rows = await sql<{ object: string; stage: string; reason: string; open: number; resolved: number }[]>`
    select object, stage, reason_code as reason,
      count(*) filter (where resolved_at is null)::int as open,
      count(*) filter (where resolved_at is not null)::int as resolved
    from quarantine
    where migration_id = ${migrationId}
      ${options.object ? sql`and object = ${options.object}` : sql``}
      ${options.reason ? sql`and reason_code = ${options.reason}` : sql``}
      ${options.all ? sql`` : sql`and resolved_at is null`}
    group by object, stage, reason_code
    order by object, stage, reason_code`;
  const rank = (o: string) => {
    const i = plan.objects.findIndex((x) => x.name === o);
    return i < 0 ? plan.objects.length : i;
  };
  const groups = rows
    .map((r) => ({
      object: r.object,
      stage: r.stage,
      reason: r.reason,
      open: r.open,
      ...(options.all ? { resolved: r.resolved } : {}),
    }))
    .sort((a, b) => rank(a.object) - rank(b.object));
  return {
    migration: migrationId,
    open: groups.reduce((n, g) => n + g.open, 0),
    ...(options.all ? { resolved: groups.reduce((n, g) => n + (g.resolved ?? 0), 0) } : {}),
    groups,
  };
}

export function formatQuarantineList(list: QuarantineList, planFile = '<plan>'): string {
  const out = [
    `quarantine of ${list.migration}: ${list.open} open${list.resolved !== undefined ? `, ${list.resolved} resolved` : ''}`,
  ];
  if (list.groups.length === 0) return out.join('\n');
  const header = ['object', 'stage', 'reason', 'open', ...(list.resolved !== undefined ? ['resolved'] : [])];
  const rows = list.groups.map((g) => [
    g.object,
    g.stage,
    g.reason,
    String(g.open),
    ...(list.resolved !== undefined ? [String(g.resolved ?? 0)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  out.push(`  ${line(header)}`, ...rows.map((r) => `  ${line(r)}`));
  out.push(`records: \`tern quarantine show ${planFile} --object <name> [--reason <code>]\``);
  return out.join('\n');
}

/** One quarantined record as people look at it; the raw source record only when asked for. */
export interface QuarantineRecord {
  key: string;
  stage: string;
  field: string | null;
  reason: string;
  message: string;
  position: string | null;
  createdAt: string;
  resolvedAt: string | null;
  raw?: unknown;
}

export interface QuarantineShow {
  migration: string;
  object: string;
  /** Records matching the filters; `records` holds the first `limit` of them. */
  total: number;
  records: QuarantineRecord[];
}

/** The quarantined records of one object (open ones unless `all`), oldest first. */
export async function showQuarantine(
  staging: Staging,
  migrationId: string,
  options: { object?: string; reason?: string; limit?: number; all?: boolean; raw?: boolean },
): Promise<QuarantineShow> {
  const { plan } = await requireMigration(staging.db, migrationId);
  if (!options.object)
    throw new ConfigError(
      '`tern quarantine show` needs --object',
      `add --object <${plan.objects.map((o) => o.name).join('|')}>; \`tern quarantine list <plan>\` counts them all`,
    );
  requireObject(plan, options.object);
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1)
    throw new ConfigError(`--limit ${String(options.limit)} is not a positive whole number`, 'pass e.g. --limit 20');
  const sql = staging.sql;
  const where = sql`
    migration_id = ${migrationId} and object = ${options.object}
    ${options.reason ? sql`and reason_code = ${options.reason}` : sql``}
    ${options.all ? sql`` : sql`and resolved_at is null`}`;
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from quarantine where ${where}`;
  const rows = await sql<
    {
      record_key: string;
      stage: string;
      field: string | null;
      reason_code: string;
      message: string;
      source_position: string | null;
      created_at: string;
      resolved_at: string | null;
      raw: unknown;
    }[]
  >`
    select record_key, stage, field, reason_code, message, source_position,
      ${isoColumn(sql, 'created_at')} as created_at, ${isoColumn(sql, 'resolved_at')} as resolved_at,
      ${options.raw ? sql`raw` : sql`null::jsonb as raw`}
    from quarantine where ${where}
    order by id
    limit ${limit}`;
  return {
    migration: migrationId,
    object: options.object,
    total: count?.n ?? 0,
    records: rows.map((r) => ({
      key: r.record_key,
      stage: r.stage,
      field: r.field,
      reason: r.reason_code,
      message: r.message,
      position: r.source_position,
      createdAt: r.created_at,
      resolvedAt: r.resolved_at,
      ...(options.raw ? { raw: r.raw } : {}),
    })),
  };
}

export function formatQuarantineShow(show: QuarantineShow): string {
  const out = [
    `quarantine of ${show.migration}, ${show.object}: ${show.total} record(s), showing ${show.records.length}`,
  ];
  for (const r of show.records) {
    out.push(
      `  ${r.key}${r.position ? ` (${r.position})` : ''}  ${r.stage}/${r.reason}${r.field ? ` ${r.field}` : ''}: ${r.message}${r.resolvedAt ? ` [resolved ${r.resolvedAt}]` : ''}`,
    );
    if (r.raw !== undefined) out.push(`    raw: ${JSON.stringify(r.raw)}`);
  }
  return out.join('\n');
}

/** Open quarantine counts per object, and how many of them were set aside at extraction. */
export interface OpenCounts {
  open: number;
  byObject: Record<string, number>;
  /** Unreadable source lines and repeated ids: never staged, so a replay cannot re-map them. */
  extract: number;
}

async function openCounts(staging: Staging, migrationId: string, object?: string): Promise<OpenCounts> {
  const sql = staging.sql;
  const rows = await sql<{ object: string; open: number; extract: number }[]>`
    select object, count(*)::int as open, count(*) filter (where stage = 'extract')::int as extract
    from quarantine
    where migration_id = ${migrationId} and resolved_at is null ${object ? sql`and object = ${object}` : sql``}
    group by object`;
  return {
    open: rows.reduce((n, r) => n + r.open, 0),
    byObject: Object.fromEntries(rows.map((r) => [r.object, r.open])),
    extract: rows.reduce((n, r) => n + r.extract, 0),
  };
}

/** What `tern quarantine replay` did. */
export interface ReplayOutcome {
  migration: string;
  workflowId: string;
  uiUrl: string;
  /** The plan file differed from the plan staging held: it was saved before the replay. */
  planChanged: boolean;
  object?: string;
  before: OpenCounts;
  after: OpenCounts;
  /** Quarantined records the replay let through (their quarantine rows resolved). */
  resolved: number;
  ok: boolean;
  result: PhaseResult;
}

/**
 * After a plan fix: saves the plan and runs the full phase again. Its load pages re-map every staged
 * record (unchanged writes are skipped; previously quarantined records that map now are written and their
 * quarantine rows resolved); extraction is not repeated, its checkpoint being done. `object` narrows the
 * counts reported, not the phase.
 */
export async function replayQuarantine(
  loaded: LoadedPlan,
  options: {
    migrationId?: string;
    object?: string;
    say: (line: string) => void;
    settings?: TernSettings;
    actor?: string;
  },
): Promise<ReplayOutcome> {
  const migrationId = options.migrationId ?? defaultMigrationId(loaded.plan);
  requireObject(loaded.plan, options.object);
  let before: OpenCounts | undefined;
  let after: OpenCounts | undefined;
  let resolved = 0;
  let planChanged = false;
  let replayStartedAt = new Date();
  const actor = options.actor ?? process.env.USER ?? 'operator';
  const scope = options.object ? { object: options.object } : {};
  const outcome = await runPhase(loaded, 'full', {
    migrationId,
    inProcessWorker: true,
    wait: true,
    say: options.say,
    settings: options.settings,
    actor: options.actor,
    prepare: async (staging) => {
      await requireMigration(staging.db, migrationId);
      const [staged] = await staging.sql<{ n: number }[]>`
        select count(*)::int as n from staged_records where migration_id = ${migrationId}`;
      if (!staged?.n)
        throw new ConfigError(
          `migration ${migrationId} has no staged records to replay`,
          'run a phase that extracts first (`tern run full <plan>`)',
        );
      before = await openCounts(staging, migrationId, options.object);
      const saved = await saveMigration(staging.db, {
        id: migrationId,
        plan: resolvePlanPaths(loaded),
        planHash: loaded.hash,
        actor,
      });
      planChanged = saved.planChanged;
      if (planChanged) options.say(`saved the changed plan (hash ${loaded.hash.slice(0, 12)}) for ${migrationId}`);
      // Who replayed, with which plan; each record it lets through is audited by the load page that resolves it.
      await appendAudit(staging.db, {
        migrationId,
        actor,
        action: 'quarantine.replay',
        details: { ...scope, planHash: loaded.hash, planChanged, open: before.open, extract: before.extract },
      });
      replayStartedAt = new Date();
    },
    after: async (staging) => {
      after = await openCounts(staging, migrationId, options.object);
      const [row] = await staging.sql<{ n: number }[]>`
        select count(*)::int as n from quarantine
        where migration_id = ${migrationId} and resolved_at >= ${replayStartedAt.toISOString()}::timestamptz
          ${options.object ? staging.sql`and object = ${options.object}` : staging.sql``}`;
      resolved = row?.n ?? 0;
      await appendAudit(staging.db, {
        migrationId,
        actor,
        action: 'quarantine.replayed',
        details: { ...scope, resolved, open: after.open, workflowId: phaseWorkflowId(migrationId, 'full') },
      });
    },
  });
  const result = outcome.result!;
  return {
    migration: outcome.migrationId,
    workflowId: outcome.workflowId,
    uiUrl: outcome.uiUrl,
    planChanged,
    ...(options.object ? { object: options.object } : {}),
    before: before!,
    after: after!,
    resolved,
    ok: result.ok,
    result,
  };
}

export function formatReplayOutcome(outcome: ReplayOutcome): string {
  const out = [
    `replayed the quarantine of ${outcome.migration}${outcome.object ? ` (${outcome.object})` : ''} with the plan as it is now${outcome.planChanged ? ' (changed, saved)' : ' (unchanged)'}: ${outcome.resolved} record(s) resolved; open ${outcome.before.open} → ${outcome.after.open}`,
  ];
  const objects = new Set([...Object.keys(outcome.before.byObject), ...Object.keys(outcome.after.byObject)]);
  for (const o of objects)
    out.push(`  ${o}: open ${outcome.before.byObject[o] ?? 0} → ${outcome.after.byObject[o] ?? 0}`);
  if (outcome.after.extract > 0)
    out.push(
      `  ${outcome.after.extract} record(s) set aside at extraction (unreadable lines, repeated ids) stay open: they were never staged; fix the source to move them`,
    );
  out.push(formatPhaseResult(outcome.result), `workflow ${outcome.workflowId}: ${outcome.uiUrl}`);
  return out.join('\n');
}
