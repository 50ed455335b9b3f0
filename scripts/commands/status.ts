import type { Client } from '@temporalio/client';
import { workflowUiUrl, type TernSettings } from '../../common/config';
import { ConfigError } from '../../common/errors';
import { sumLine, type SumReconciliation } from '../../plan/sum-equation';
import type { Staging } from '../../staging/db';
import { getMigration, UnknownMigrationError } from '../../staging/migrations-repo';
import { estimateFullPhase, type FullPhaseEstimate } from '../../connectors/estimate';
import { PHASES, phaseWorkflowId, type Phase } from '../../workflows/ids';
import { progressQuery, type PhaseProgress } from '../../workflows/phase';
import { preferencesProgressQuery, type PreferencesProgress } from '../../workflows/preferences';
import { rollbackProgressQuery, type RollbackProgress } from '../../workflows/rollback';
import { formatDuration } from '../client/progress';
import { mergeReconciliationLines } from '../client/merge-reconciliation';
import type { MergeReconciliation } from '../../activities/reconcile-merge';
import { reasonMeaning } from '../../report/reasons';
import { isoColumn } from '../../staging/iso';
import { formatCutoverStatus, loadCutoverStatus, type CutoverStatus } from './cutover-status';
import { CallTimeoutError, describePhase, firstLine, within, workflowStatus, type WorkflowStatus } from './shared';

/** One phase's workflow as Temporal knows it, with its live progress while it runs. */
export interface PhaseStatus {
  phase: Phase;
  workflowId: string;
  runId: string;
  status: WorkflowStatus;
  startedAt: string;
  closedAt: string | null;
  uiUrl: string;
  /** The workflow's `progress` query, for running phases (answered by a worker). */
  progress?: PhaseProgress | PreferencesProgress | RollbackProgress;
  /** Why the progress of a running phase is missing (no worker answered, …). */
  progressError?: string;
}

export interface RunStatus {
  phase: string;
  status: string;
  workflowId: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface QuarantineCount {
  object: string;
  stage: string;
  reason: string;
  count: number;
}

export interface ReconciliationStatus {
  object: string;
  source: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  checksumMismatches: number;
  /** Term by term since the sum equation; older reconciliations hold only legacy and new. */
  sums: Record<string, SumReconciliation | { legacy: string; new: string }>;
  /** A merged object: its proof per source (absent for a one-source object and proofs taken before it was stored). */
  merge?: MergeReconciliation;
  ok: boolean;
  at: string;
}

/** What `tern status` prints: Temporal's view of each phase, and staging's record of runs and proofs. */
export interface MigrationStatus {
  migration: string;
  plan: string | null;
  phases: PhaseStatus[];
  /** The latest run of each phase, from staging. */
  runs: RunStatus[];
  quarantine: { open: number; byObject: QuarantineCount[] };
  /** The latest reconciliation of each object for the phase reconciled last. */
  reconciliation: { phase: string; ok: boolean; objects: ReconciliationStatus[] } | null;
  /** After a sample against SaaS endpoints: the full phase's wall time at the vendors' documented limits. */
  estimate: FullPhaseEstimate | null;
  /** The go-live weekend (`tern cutover`), once started: its step, time left, missed deadlines, live or not. */
  cutover: CutoverStatus | null;
}

export interface StatusDeps {
  client: Client;
  staging: Staging;
  settings: TernSettings;
}

/** Collects the status of a migration from Temporal and staging. */
export async function loadStatus(
  deps: StatusDeps,
  migrationId: string,
  options: { queryTimeoutMs?: number } = {},
): Promise<MigrationStatus> {
  const { client, staging, settings } = deps;
  const phases: PhaseStatus[] = [];
  for (const phase of PHASES) {
    const description = await describePhase(client, migrationId, phase);
    if (!description) continue;
    const workflowId = phaseWorkflowId(migrationId, phase);
    const entry: PhaseStatus = {
      phase,
      workflowId,
      runId: description.runId,
      status: workflowStatus(description),
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
      uiUrl: workflowUiUrl(settings.temporal, workflowId),
    };
    if (entry.status === 'running') {
      const handle = client.workflow.getHandle(workflowId);
      const timeout = options.queryTimeoutMs ?? 5000;
      try {
        entry.progress = await within<NonNullable<PhaseStatus['progress']>>(client, timeout, () =>
          phase === 'preferences'
            ? handle.query(preferencesProgressQuery)
            : phase === 'rollback'
              ? handle.query(rollbackProgressQuery)
              : handle.query(progressQuery),
        );
      } catch (err) {
        const cause = err instanceof Error && !(err instanceof CallTimeoutError) ? err.cause : undefined;
        entry.progressError =
          err instanceof CallTimeoutError
            ? `no worker answered the progress query within ${timeout / 1000}s (is \`tern worker\` running on task queue ${description.taskQueue}?)`
            : `${firstLine(err)}${cause ? `: ${firstLine(cause)}` : ''}`;
      }
    }
    phases.push(entry);
  }

  let planName: string | null = null;
  let objectOrder: string[] = [];
  let estimate: FullPhaseEstimate | null = null;
  try {
    const migration = await getMigration(staging.db, migrationId);
    planName = migration.name;
    objectOrder = migration.plan.objects.map((o) => o.name);
    estimate = await estimateFullPhase(staging.sql, migrationId, migration.plan);
  } catch (err) {
    if (!(err instanceof UnknownMigrationError)) throw err;
  }
  const cutover = await loadCutoverStatus(deps, migrationId, options);
  if (!planName && phases.length === 0 && !cutover)
    throw new ConfigError(
      `migration ${migrationId} is unknown: no phase workflow in Temporal and nothing in staging`,
      'start it with `tern run preferences <plan>`, or pass the id it ran under with --migration <id>',
    );

  const sql = staging.sql;
  const runRows = await sql<
    { phase: string; status: string; workflow_id: string; started_at: string; finished_at: string | null }[]
  >`
    select distinct on (phase) phase, status, workflow_id, ${isoColumn(sql, 'started_at')} as started_at,
      ${isoColumn(sql, 'finished_at')} as finished_at
    from runs where migration_id = ${migrationId}
    order by phase, id desc`;
  const phaseOrder = (p: string) => {
    const i = (PHASES as readonly string[]).indexOf(p);
    return i < 0 ? PHASES.length : i;
  };
  const runs = runRows
    .map((r) => ({
      phase: r.phase,
      status: r.status,
      workflowId: r.workflow_id,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }))
    .sort((a, b) => phaseOrder(a.phase) - phaseOrder(b.phase));

  const objectRank = (o: string) => {
    const i = objectOrder.indexOf(o);
    return i < 0 ? objectOrder.length : i;
  };
  const byObject = (
    await sql<QuarantineCount[]>`
      select object, stage, reason_code as reason, count(*)::int as count
      from quarantine where migration_id = ${migrationId} and resolved_at is null
      group by object, stage, reason_code
      order by object, stage, reason_code`
  )
    .map((r) => ({ object: r.object, stage: r.stage, reason: r.reason, count: r.count }))
    .sort((a, b) => objectRank(a.object) - objectRank(b.object));

  let reconciliation: MigrationStatus['reconciliation'] = null;
  const [last] = await sql<{ phase: string }[]>`
    select phase from reconciliations where migration_id = ${migrationId} order by id desc limit 1`;
  if (last) {
    const rows = await sql<
      {
        object: string;
        source: number;
        loaded: number;
        quarantined: number;
        filtered: number;
        deduplicated: number;
        checksum_mismatches: number;
        sums: ReconciliationStatus['sums'];
        merge: MergeReconciliation | null;
        ok: boolean;
        created_at: string;
      }[]
    >`
      select distinct on (object) object, source, loaded, quarantined, filtered, deduplicated, checksum_mismatches,
        sums, merge, ok, ${isoColumn(sql, 'created_at')} as created_at
      from reconciliations where migration_id = ${migrationId} and phase = ${last.phase}
      order by object, id desc`;
    const objects = rows
      .map((r) => ({
        object: r.object,
        source: r.source,
        loaded: r.loaded,
        quarantined: r.quarantined,
        filtered: r.filtered,
        deduplicated: r.deduplicated,
        checksumMismatches: r.checksum_mismatches,
        sums: r.sums,
        ...(r.merge ? { merge: r.merge } : {}),
        ok: r.ok,
        at: r.created_at,
      }))
      .sort((a, b) => objectRank(a.object) - objectRank(b.object));
    reconciliation = { phase: last.phase, ok: objects.every((o) => o.ok), objects };
  }

  return {
    migration: migrationId,
    plan: planName,
    phases,
    runs,
    quarantine: { open: byObject.reduce((n, r) => n + r.count, 0), byObject },
    reconciliation,
    estimate,
    cutover,
  };
}

function formatProgress(phase: PhaseStatus, planFile: string): string[] {
  const out: string[] = [];
  if (phase.progressError) return [`    progress unavailable: ${phase.progressError}`];
  const progress = phase.progress;
  if (!progress) return out;
  if (phase.phase === 'preferences' || phase.phase === 'rollback') {
    const p = progress as PreferencesProgress | RollbackProgress;
    out.push(`    stage: ${p.stage}`);
    for (const o of p.objects as Record<string, unknown>[])
      out.push(
        `    ${String(o.object)}: ${Object.entries(o)
          .filter(([k]) => k !== 'object')
          .map(([k, v]) => `${k} ${String(v)}`)
          .join(', ')}`,
      );
    return out;
  }
  const p = progress as PhaseProgress;
  for (const o of p.objects) {
    const rate = o.rate !== null ? `, ${o.rate} records/s` : '';
    const eta = o.etaSeconds !== null && o.stage === 'loading' ? `, ETA ${formatDuration(o.etaSeconds)}` : '';
    out.push(
      `    ${o.object}: ${o.stage}, ${o.total > 0 ? `${o.done}/${o.total}` : o.done} done, ${o.written} written, ${o.quarantined} quarantined${rate}${eta}`,
    );
  }
  if (p.paused)
    out.push(
      `    PAUSED${p.pauseReason ? ` (${p.pauseReason})` : ''}: continue with \`tern resume ${planFile} --phase ${phase.phase}\``,
    );
  if (p.awaitingApproval)
    out.push(
      `    AWAITING APPROVAL: \`tern approve ${planFile} --phase ${phase.phase} --by <name> --reason "<why it may write>"\``,
    );
  else if (p.approval) out.push(`    approved by ${p.approval.by}: ${p.approval.reason}`);
  return out;
}

/** The status as text for a terminal. */
export function formatStatus(status: MigrationStatus, planFile = '<plan>'): string {
  const out: string[] = [`migration ${status.migration}${status.plan ? ` (plan "${status.plan}")` : ''}`];
  out.push('phases (Temporal):');
  if (status.phases.length === 0) out.push('  none started');
  for (const p of status.phases) {
    const closed = p.closedAt ? `, closed ${p.closedAt}` : '';
    out.push(`  ${p.phase.padEnd(11)} ${p.status.padEnd(10)} started ${p.startedAt}${closed}  ${p.uiUrl}`);
    out.push(...formatProgress(p, planFile));
  }
  out.push('runs (staging, latest per phase):');
  if (status.runs.length === 0) out.push('  none');
  for (const r of status.runs)
    out.push(
      `  ${r.phase.padEnd(11)} ${r.status.padEnd(10)} started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ''}`,
    );
  out.push(`quarantine: ${status.quarantine.open} open`);
  for (const q of status.quarantine.byObject) {
    const meaning = reasonMeaning(q.reason);
    out.push(`  ${q.object}  ${q.stage}  ${q.reason}${meaning ? ` (${meaning})` : ''}  ${q.count}`);
  }
  if (status.quarantine.open > 0) out.push(`  details: \`tern quarantine show ${planFile} --object <name>\``);
  if (status.reconciliation) {
    const r = status.reconciliation;
    out.push(`reconciliation (${r.phase} phase): ${r.ok ? 'OK' : 'FAILED'}`);
    for (const o of r.objects) {
      out.push(
        `  ${o.object}: source ${o.source} ${o.source === o.loaded + o.quarantined + o.filtered + o.deduplicated ? '=' : '!='} loaded ${o.loaded} + quarantined ${o.quarantined} + filtered ${o.filtered} + deduplicated ${o.deduplicated}; checksum mismatches ${o.checksumMismatches}; ${o.ok ? 'ok' : 'NOT ok'} (${o.at})`,
      );
      for (const [field, s] of Object.entries(o.sums)) out.push(`    ${sumLine(field, s)}`);
      if (o.merge)
        out.push(`    per source: ${o.merge.ok ? 'ok' : 'NOT ok'}`, ...mergeReconciliationLines(o.merge, '      '));
    }
  } else out.push('reconciliation: none yet');
  if (status.estimate) out.push(...formatEstimate(status.estimate));
  if (status.cutover) out.push(...formatCutoverStatus(status.cutover, planFile));
  return out.join('\n');
}

/** The full-phase estimate as text: the total, then each stage with its requests per vendor. */
export function formatEstimate(e: FullPhaseEstimate): string[] {
  const perMinute = (vendor: string) => `${vendor} ${Math.round((e.rates[vendor] ?? 0) * 60)}/min`;
  const out = [
    `full phase estimate at documented limits (${Object.keys(e.rates)
      .filter((v) => e.stages.some((s) => v in s.requests))
      .map(perMinute)
      .join(
        ', ',
      )}): ${formatDuration(e.seconds)} to load and reconcile what the sample did not (${formatDuration(e.secondsFromScratch)} from scratch, extraction included)`,
  ];
  for (const s of e.stages)
    out.push(
      `  ${s.object} ${s.stage}: ${s.records} records, ${Object.entries(s.requests)
        .map(([v, n]) => `${n} ${v} requests${s.setup[v] ? ` (${s.setup[v]} of them the account's set-up, once)` : ''}`)
        .join(' + ')} → ${formatDuration(s.seconds)}`,
    );
  return out;
}
