import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { workflowUiUrl, type TernSettings } from '../../common/config';
import { PlanPinnedError } from '../../common/errors';
import { estimateFullPhase } from '../../connectors/estimate';
import {
  cutoverTimeline,
  formatMinutes,
  stepDeadlineSeconds,
  type StepEstimate,
  type TimelineStep,
} from '../../plan/cutover';
import type { CutoverStepName } from '../../plan/cutover-schema';
import { sourceKinds } from '../../plan/schema';
import type { LoadedPlan } from '../../plan/load';
import { objectPrerequisites } from '../../plan/load-order';
import { objectProofPrerequisites } from '../../connectors/saas-targets';
import type { Staging } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import type { cutoverWorkflow, CutoverInput } from '../../workflows/cutover';
import { cutoverWorkflowId } from '../../workflows/ids';
import { migrationSearchAttributes } from '../../workflows/search-attributes';
import { defaultMigrationId, resolvePlanPaths } from './phases';

/**
 * Each step's duration as measured before in staging's runs: the final delta from the last delta (else the last
 * full run, an upper bound, else the full phase at the vendors' documented limits from the sample), the rollback
 * from the last rollback (else the last full run: undoing costs about what writing did).
 */
export async function measuredEstimates(
  staging: Staging,
  migrationId: string,
  loaded: LoadedPlan,
): Promise<Partial<Record<CutoverStepName, StepEstimate>>> {
  const rows = await staging.sql<{ phase: string; seconds: number; finished: string }[]>`
    select distinct on (phase) phase,
      extract(epoch from finished_at - started_at)::float8 as seconds,
      to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as finished
    from runs
    where migration_id = ${migrationId} and status = 'completed' and finished_at is not null
      and phase in ('sample', 'full', 'delta', 'rollback')
    order by phase, finished_at desc`;
  const last = new Map(rows.map((r) => [r.phase, r]));
  const measured = (phase: string, what: string): StepEstimate | undefined => {
    const r = last.get(phase);
    return r
      ? { minutes: r.seconds / 60, from: `${what} (${formatMinutes(r.seconds / 60)}, ${r.finished} UTC)` }
      : undefined;
  };
  const estimates: Partial<Record<CutoverStepName, StepEstimate>> = {};
  let delta = measured('delta', 'last delta') ?? measured('full', 'last full run, an upper bound');
  if (!delta) {
    const atLimits = await estimateFullPhase(staging.sql, migrationId, loaded.plan).catch(() => null);
    if (atLimits)
      delta = {
        minutes: atLimits.seconds / 60,
        from: "full phase at the vendors' documented limits, from the sample — an upper bound",
      };
  }
  if (delta) estimates.delta = delta;
  const rollback = measured('rollback', 'last rollback') ?? measured('full', 'last full run');
  if (rollback) estimates.rollback = rollback;
  return estimates;
}

/** The plan's cutover timeline with what staging measured. */
export async function planTimeline(staging: Staging, migrationId: string, loaded: LoadedPlan): Promise<TimelineStep[]> {
  return cutoverTimeline(loaded.plan.cutover, await measuredEstimates(staging, migrationId, loaded));
}

export interface StartedCutover {
  migrationId: string;
  workflowId: string;
  uiUrl: string;
  timeline: TimelineStep[];
  handle: WorkflowHandleWithFirstExecutionRunId<typeof cutoverWorkflow>;
}

/**
 * Saves the plan and starts the cutover workflow (`<migration>/cutover`) with the plan's hash pinned and each step's
 * deadline; a cutover already running is attached to, and refuses another version of the plan.
 */
export async function startCutover(
  client: Client,
  settings: TernSettings,
  staging: Staging,
  loaded: LoadedPlan,
  options: { migrationId?: string; by: string; overlapSeconds?: number },
): Promise<StartedCutover> {
  const plan = resolvePlanPaths(loaded);
  const migrationId = options.migrationId ?? defaultMigrationId(plan);
  const workflowId = cutoverWorkflowId(migrationId);
  await refuseAnotherPlan(client, settings, workflowId, loaded.hash);
  await saveMigration(staging.db, { id: migrationId, plan, planHash: loaded.hash, actor: options.by });
  const timeline = await planTimeline(staging, migrationId, loaded);
  const input: CutoverInput = {
    migrationId,
    planHash: loaded.hash,
    objects: plan.objects.map((o) => o.name),
    prerequisites: objectPrerequisites(plan),
    proofPrerequisites: objectProofPrerequisites(plan),
    sourceKind: sourceKinds(plan),
    targetKind: plan.target.kind,
    overlapSeconds: options.overlapSeconds,
    deadlines: stepDeadlineSeconds(timeline),
    by: options.by,
  };
  const handle = await client.workflow.start<typeof cutoverWorkflow>('cutoverWorkflow', {
    taskQueue: settings.taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: migrationSearchAttributes({
      migrationId,
      phase: 'cutover',
      sourceKind: sourceKinds(plan),
      targetKind: plan.target.kind,
    }),
    memo: { plan: plan.name, planHash: loaded.hash },
  });
  await refuseAnotherPlan(client, settings, workflowId, loaded.hash);
  return { migrationId, workflowId, uiUrl: workflowUiUrl(settings.temporal, workflowId), timeline, handle };
}

/** A running cutover keeps the plan it started with, as a running phase does. */
async function refuseAnotherPlan(
  client: Client,
  settings: TernSettings,
  workflowId: string,
  planHash: string,
): Promise<void> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    throw err;
  }
  if (description.status.name !== 'RUNNING') return;
  const pinned = description.memo?.planHash;
  if (typeof pinned !== 'string' || pinned === planHash) return;
  throw new PlanPinnedError(
    `the cutover ${workflowId} is running with the plan it started with (hash ${pinned.slice(0, 12)}), and this plan differs from it (hash ${planHash.slice(0, 12)})`,
    `let it finish (\`tern status <plan>\`), or cancel it (Temporal UI: ${workflowUiUrl(settings.temporal, workflowId)}) and start the cutover again with this plan`,
  );
}
