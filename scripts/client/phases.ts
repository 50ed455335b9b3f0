import path from 'node:path';
import { type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { workflowUiUrl, type TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import { objectPrerequisites } from '../../plan/load-order';
import { objectProofPrerequisites } from '../../connectors/saas-targets';
import { sourceKinds, type Plan, type SourcePlan } from '../../plan/schema';
import type { StagingDb } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import { phaseWorkflowId, type Phase } from '../../workflows/ids';
import type { migrationPhaseWorkflow, PhaseResult } from '../../workflows/phase';
import type { preferencesWorkflow } from '../../workflows/preferences';
import type { RollbackResult, rollbackWorkflow } from '../../workflows/rollback';
import { rollbackRequestProblem } from '../../workflows/requests';
import { migrationSearchAttributes } from '../../workflows/search-attributes';
import { ConfigError, PlanPinnedError } from '../../common/errors';
import { sumLine } from '../../plan/sum-equation';
import { mergeReconciliationLines } from './merge-reconciliation';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import { formatAuditHead, type AuditHead } from '../../staging/audit';

/** The default migration id of a plan: `mig_` and its name as a slug. */
export function defaultMigrationId(plan: Plan): string {
  const slug = plan.name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return `mig_${slug || 'unnamed'}`;
}

/** The plan as workers execute it: paths made absolute against the plan file's folder. */
export function resolvePlanPaths(loaded: LoadedPlan): Plan {
  const { plan } = loaded;
  const resolved = <S extends SourcePlan>(source: S): S =>
    source.kind === 'csv' || source.kind === 'jsonl'
      ? { ...source, directory: path.resolve(loaded.baseDir, source.directory) }
      : source;
  const source = plan.source && resolved(plan.source);
  const sources =
    plan.sources && Object.fromEntries(Object.entries(plan.sources).map(([name, s]) => [name, resolved(s)]));
  const customTransforms = Object.fromEntries(
    Object.entries(plan.customTransforms).map(([name, t]) => [
      name,
      { ...t, module: path.resolve(loaded.baseDir, t.module) },
    ]),
  );
  return { ...plan, source, sources, customTransforms };
}

/** Every phase, and the workflow that runs each. */
export type RunnablePhase = Phase;
export type PhaseWorkflow<P extends RunnablePhase> = P extends 'preferences'
  ? typeof preferencesWorkflow
  : P extends 'rollback'
    ? typeof rollbackWorkflow
    : typeof migrationPhaseWorkflow;
const WORKFLOW_TYPE: Record<RunnablePhase, string> = {
  preferences: 'preferencesWorkflow',
  sample: 'migrationPhaseWorkflow',
  full: 'migrationPhaseWorkflow',
  delta: 'migrationPhaseWorkflow',
  rollback: 'rollbackWorkflow',
};

/** What a phase needs beyond the plan: a gate for loading phases, a reason for a rollback. */
export interface PhaseOptions {
  /** Loading phases: wait for `tern approve` before writing. */
  gate?: boolean;
  /** Delta: seconds before the last high-water mark still read as changed. */
  overlapSeconds?: number;
  /** Rollback: why, and who asks (required). */
  reason?: string;
  by?: string;
}

export interface StartedPhase<P extends RunnablePhase = RunnablePhase> {
  migrationId: string;
  workflowId: string;
  uiUrl: string;
  handle: WorkflowHandleWithFirstExecutionRunId<PhaseWorkflow<P>>;
  /** The plan differed from the migration's current plan in staging: it was saved as the new current plan. */
  planChanged: boolean;
}

/**
 * Saves the plan in staging and starts a phase workflow, pinning the plan's hash in its input (its activities load
 * that version); a phase already running is attached to, never started twice, and refuses another plan.
 */
export async function startPhase<P extends RunnablePhase>(
  client: Client,
  settings: TernSettings,
  db: StagingDb,
  loaded: LoadedPlan,
  options: { phase: P; migrationId?: string; actor?: string } & PhaseOptions,
): Promise<StartedPhase<P>> {
  const plan = resolvePlanPaths(loaded);
  const migrationId = options.migrationId ?? defaultMigrationId(plan);
  // Before the plan is saved: a phase running another version leaves the current plan as it is.
  await refuseAnotherPinnedPlan(client, settings, migrationId, options.phase, loaded.hash);
  const saved = await saveMigration(db, {
    id: migrationId,
    plan,
    planHash: loaded.hash,
    actor: options.actor ?? process.env.USER ?? 'operator',
  });
  const workflowId = phaseWorkflowId(migrationId, options.phase);
  const objects = plan.objects.map((o) => o.name);
  const actor = options.actor ?? process.env.USER ?? 'operator';
  let args: unknown[];
  if (options.phase === 'preferences') args = [{ migrationId, planHash: loaded.hash, objects }];
  else if (options.phase === 'rollback') {
    const request = {
      migrationId,
      planHash: loaded.hash,
      objects,
      reason: options.reason ?? '',
      by: options.by ?? actor,
    };
    const problem = rollbackRequestProblem(request);
    if (problem)
      throw new ConfigError(problem, 'tern rollback <plan> --reason "why the cutover is rolled back" [--by name]');
    args = [request];
  } else
    args = [
      {
        migrationId,
        planHash: loaded.hash,
        phase: options.phase,
        objects,
        prerequisites: objectPrerequisites(plan),
        proofPrerequisites: objectProofPrerequisites(plan),
        gate: options.gate,
        overlapSeconds: options.overlapSeconds,
        targetKind: plan.target.kind,
      },
    ];
  const handle = await client.workflow.start<PhaseWorkflow<P>>(WORKFLOW_TYPE[options.phase], {
    taskQueue: settings.taskQueue,
    workflowId,
    args: args as Parameters<PhaseWorkflow<P>>,
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: migrationSearchAttributes({
      migrationId,
      phase: options.phase,
      sourceKind: sourceKinds(plan),
      targetKind: plan.target.kind,
    }),
    memo: { plan: plan.name, planHash: loaded.hash },
  });
  // A start with another plan may have come between the check and this start, which then attached to it.
  await refuseAnotherPinnedPlan(client, settings, migrationId, options.phase, loaded.hash);
  return {
    migrationId,
    workflowId,
    uiUrl: workflowUiUrl(settings.temporal, workflowId),
    handle,
    planChanged: saved.planChanged,
  };
}

/**
 * A running phase keeps the plan it started with (the hash in its memo, as in its input): starting it again with
 * another version of the plan is refused, with the way out. Nothing running, or the same plan, passes.
 */
export async function refuseAnotherPinnedPlan(
  client: Client,
  settings: TernSettings,
  migrationId: string,
  phase: RunnablePhase,
  planHash: string,
): Promise<void> {
  const workflowId = phaseWorkflowId(migrationId, phase);
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    throw err;
  }
  if (description.status.name !== 'RUNNING' && description.status.name !== 'PAUSED') return;
  const pinned = description.memo?.planHash;
  if (typeof pinned !== 'string' || pinned === planHash) return;
  const again = phase === 'rollback' ? 'tern rollback <plan> --reason "…"' : `tern run ${phase} <plan>`;
  throw new PlanPinnedError(
    `the ${phase} phase of ${migrationId} is running with the plan it started with (hash ${pinned.slice(0, 12)}), and this plan differs from it (hash ${planHash.slice(0, 12)}): a running phase keeps its plan`,
    `wait until the phase ends (\`tern status <plan>\`) and run it again, or cancel it (Temporal UI: ${workflowUiUrl(settings.temporal, workflowId)}) and run \`${again}\` to start over with this plan`,
  );
}

/** Renders a phase result as the table people read at the end of a run. */
export function formatPhaseResult(result: PhaseResult): string {
  const header = [
    'object',
    'source',
    'loaded',
    'quarantined',
    'filtered',
    'deduplicated',
    'deleted',
    'conflicts',
    'checksum mismatches',
    'ok',
  ];
  const rows = result.objects.map((o) =>
    [
      o.object,
      o.source,
      o.loaded,
      o.quarantined,
      o.filtered,
      o.deduplicated,
      o.deleted,
      o.conflicts,
      o.checksumMismatches,
      o.ok ? 'yes' : 'NO',
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  for (const o of result.objects) {
    for (const [field, s] of Object.entries(o.sums)) out.push(`  ${sumLine(`${o.object}.${field}`, s)}`);
    if (o.merge)
      out.push(
        `  ${o.object} per source: ${o.merge.ok ? 'ok' : 'NOT ok'}`,
        ...mergeReconciliationLines(o.merge, '    ', (field) => `${o.object}.${field}`),
      );
    if (o.mismatchExamples.length > 0)
      out.push(`  ${o.object}: target rows differing from what Tern wrote: ${mismatchText(o)}`);
    if (o.unaccounted > 0) out.push(`  ${o.object}: ${o.unaccounted} staged records neither loaded nor quarantined`);
    if (o.readBack && (o.readBack.scope === 'touched' || o.readBack.deletedChecked > 0))
      out.push(
        `  ${o.object}: read back ${o.readBack.records} written records (${o.readBack.scope === 'touched' ? `touched since ${o.readBack.since}; counts cover every record` : 'all'}), ${o.readBack.deletedChecked} deleted records looked up: ${o.readBack.deletedPresent === 0 ? 'all absent' : `${o.readBack.deletedPresent} still in the target (${o.readBack.deletedExamples.slice(0, 5).join(', ')})`}`,
      );
    if (o.fidelity && o.fidelity.fields.length > 0)
      out.push(
        `  ${o.object}: fidelity (target vs the source read at full precision) ${o.fidelity.records} records, ` +
          `${o.fidelity.fields.length} fields: ${o.fidelity.mismatches === 0 ? 'all equal' : `${o.fidelity.mismatches} differing — ${mismatchText({ mismatchExamples: o.fidelity.examples, mismatchesByField: o.fidelity.byField })}`}`,
      );
  }
  for (const s of result.sample ?? [])
    out.push(
      `  sample ${s.object}: drew ${s.drawn} of ${s.eligible} (${s.eligible ? ((100 * s.drawn) / s.eligible).toFixed(1) : '0.0'}%), ${s.strataRepresented}/${s.strata} strata, +${s.referenced} referenced records`,
    );
  for (const d of result.delta ?? [])
    out.push(
      `  delta ${d.object}: ${d.inserted} new, ${d.updated} changed, ${d.deleted} deleted at the source${d.changedBehindWatermark ? `, ${d.changedBehindWatermark} changed behind the watermark` : ''}${d.duplicateIds ? `, ${d.duplicateIds} repeated ids quarantined` : ''}; watermark ${d.watermark ?? '(none)'}${d.complete === false ? `; read incomplete: ${d.unreadable} unreadable lines quarantined, no deletions inferred (fix them in the source, then run a delta again)` : ''}${d.readScope ? `; read ${d.readScope} (${d.read} rows): ${d.readReason}` : ''}`,
    );
  if (result.approval) out.push(`  approved by ${result.approval.by}: ${result.approval.reason}`);
  const head = latestAuditHead(result.objects);
  if (head) out.push(`  audit chain head: ${formatAuditHead(head)}`);
  out.push(`reconciliation ${result.ok ? 'OK' : 'FAILED'}: ${result.phase} phase of ${result.migrationId}`);
  return out.join('\n');
}

/** The latest audit head the objects' proofs recorded: the chain held at least this far when the result was made. */
export function latestAuditHead(objects: readonly Pick<ObjectReconciliation, 'auditHead'>[]): AuditHead | undefined {
  return objects
    .map((o) => o.auditHead)
    .reduce<AuditHead | undefined>((a, b) => (b && (!a || b.seq > a.seq) ? b : a), undefined);
}

/** Renders a rollback's proof. */
export function formatRollbackResult(result: RollbackResult): string {
  const out = result.objects.map(
    (o) =>
      `${o.object}: ${o.removed} created rows removed, ${o.restored} overwritten rows restored, ${o.mismatches} mismatches${o.mismatchExamples.length ? ` (e.g. ${o.mismatchExamples.slice(0, 5).join(', ')})` : ''}`,
  );
  out.push(`rollback ${result.ok ? 'OK' : 'FAILED'} for ${result.migrationId} — by ${result.by}: ${result.reason}`);
  return out.join('\n');
}

/** Records whose target rows differ from what Tern wrote, each with the fields that differ. */
function mismatchText(o: Pick<ObjectReconciliation, 'mismatchExamples' | 'mismatchesByField'>): string {
  const records = o.mismatchExamples
    .map((e) => `${e.sourceId} (${e.missing ? 'missing from the target' : e.fields.join(', ') || 'fields unknown'})`)
    .join(', ');
  const fields = Object.entries(o.mismatchesByField ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  return fields ? `${records}; by field: ${fields}` : records;
}
