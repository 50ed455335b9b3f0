import path from 'node:path';
import { type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { workflowUiUrl, type TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import type { Plan } from '../../plan/schema';
import type { StagingDb } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import { phaseWorkflowId, type Phase } from '../../workflows/ids';
import type { migrationPhaseWorkflow, PhaseResult } from '../../workflows/phase';
import type { preferencesWorkflow } from '../../workflows/preferences';

export const searchAttributes = {
  MigrationId: defineSearchAttributeKey('MigrationId', SearchAttributeType.KEYWORD),
  Phase: defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD),
  Source: defineSearchAttributeKey('Source', SearchAttributeType.KEYWORD),
  Target: defineSearchAttributeKey('Target', SearchAttributeType.KEYWORD),
};

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
  const source =
    plan.source.kind === 'csv' || plan.source.kind === 'jsonl'
      ? { ...plan.source, directory: path.resolve(loaded.baseDir, plan.source.directory) }
      : plan.source;
  const customTransforms = Object.fromEntries(
    Object.entries(plan.customTransforms).map(([name, t]) => [
      name,
      { ...t, module: path.resolve(loaded.baseDir, t.module) },
    ]),
  );
  return { ...plan, source, customTransforms };
}

/** The phases the CLI starts today, and the workflow that runs each. */
export type RunnablePhase = Extract<Phase, 'preferences' | 'full'>;
type PhaseWorkflow<P extends RunnablePhase> = P extends 'preferences'
  ? typeof preferencesWorkflow
  : typeof migrationPhaseWorkflow;
const WORKFLOW_TYPE: Record<RunnablePhase, string> = {
  preferences: 'preferencesWorkflow',
  full: 'migrationPhaseWorkflow',
};

export interface StartedPhase<P extends RunnablePhase = RunnablePhase> {
  migrationId: string;
  workflowId: string;
  uiUrl: string;
  handle: WorkflowHandleWithFirstExecutionRunId<PhaseWorkflow<P>>;
}

/**
 * Saves the plan in staging and starts a phase workflow; a phase already running is attached to, never
 * started twice.
 */
export async function startPhase<P extends RunnablePhase>(
  client: Client,
  settings: TernSettings,
  db: StagingDb,
  loaded: LoadedPlan,
  options: { phase: P; migrationId?: string; actor?: string },
): Promise<StartedPhase<P>> {
  const plan = resolvePlanPaths(loaded);
  const migrationId = options.migrationId ?? defaultMigrationId(plan);
  await saveMigration(db, {
    id: migrationId,
    plan,
    planHash: loaded.hash,
    actor: options.actor ?? process.env.USER ?? 'operator',
  });
  const workflowId = phaseWorkflowId(migrationId, options.phase);
  const objects = plan.objects.map((o) => o.name);
  const args =
    options.phase === 'preferences' ? [{ migrationId, objects }] : [{ migrationId, phase: options.phase, objects }];
  const handle = await client.workflow.start<PhaseWorkflow<P>>(WORKFLOW_TYPE[options.phase], {
    taskQueue: settings.taskQueue,
    workflowId,
    args: args as Parameters<PhaseWorkflow<P>>,
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: searchAttributes.MigrationId, value: migrationId },
      { key: searchAttributes.Phase, value: options.phase },
      { key: searchAttributes.Source, value: plan.source.kind },
      { key: searchAttributes.Target, value: plan.target.kind },
    ],
    memo: { plan: plan.name, planHash: loaded.hash },
  });
  return { migrationId, workflowId, uiUrl: workflowUiUrl(settings.temporal, workflowId), handle };
}

/** Renders a phase result as the table people read at the end of a run. */
export function formatPhaseResult(result: PhaseResult): string {
  const header = ['object', 'source', 'loaded', 'quarantined', 'filtered', 'deduplicated', 'checksum mismatches', 'ok'];
  const rows = result.objects.map((o) =>
    [
      o.object,
      o.source,
      o.loaded,
      o.quarantined,
      o.filtered,
      o.deduplicated,
      o.checksumMismatches,
      o.ok ? 'yes' : 'NO',
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  for (const o of result.objects) {
    for (const [field, s] of Object.entries(o.sums))
      out.push(`  ${o.object}.${field}: Sum(legacy) ${s.legacy} ${s.legacy === s.new ? '==' : '!='} Sum(new) ${s.new}`);
    if (o.mismatchExamples.length > 0)
      out.push(`  ${o.object}: target rows differing from what Tern wrote: ${o.mismatchExamples.join(', ')}`);
    if (o.unaccounted > 0) out.push(`  ${o.object}: ${o.unaccounted} staged records neither loaded nor quarantined`);
  }
  out.push(`reconciliation ${result.ok ? 'OK' : 'FAILED'}: ${result.phase} phase of ${result.migrationId}`);
  return out.join('\n');
}
