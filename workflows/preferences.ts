import { allHandlersFinished, condition, defineQuery, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { DryRunCounts, ProfileSummary } from '../activities/preferences';
import { recordingEnd } from './audited';
import { BOOKKEEPING, EXTRACT, PROFILE } from './options';

const { extractObject } = proxyActivities<TernActivities>(EXTRACT);
const { applyRules, profileObject, dryRunObject, freezeGoldSchema, validatePlan } =
  proxyActivities<TernActivities>(PROFILE);
const { recordPhaseEvent } = proxyActivities<TernActivities>(BOOKKEEPING);

export interface PreferencesInput {
  migrationId: string;
  /** The plan version the phase runs, pinned when it started (absent in phases started before: the current plan). */
  planHash?: string;
  /** Object names in dependency order (names only, never credentials). */
  objects: string[];
}

export interface PreferencesObjectResult {
  object: string;
  rows: number;
  unreadable: number;
  duplicateIds: number;
  profile: ProfileSummary;
  dryRun: DryRunCounts;
}

export interface PreferencesResult {
  migrationId: string;
  phase: 'preferences';
  /**
   * No plan error and no object whose load would stop: the plan fits the target and the data (warnings may
   * remain). Records predicted quarantined do not make it false; they make the verdict (`tern run preferences`)
   * not clean.
   */
  ok: boolean;
  goldSchemaHash: string;
  errors: number;
  warnings: number;
  /** Records the dry run predicts quarantined, over every object (the reasons are in each object's dry run). */
  predictedQuarantined: number;
  /** Objects whose load would stop before writing (the dry run's `blocked`). */
  blocked: string[];
  objects: PreferencesObjectResult[];
}

export interface PreferencesProgress {
  migrationId: string;
  stage: 'extracting' | 'schema' | 'profiling' | 'validating' | 'done';
  objects: { object: string; stage: 'waiting' | 'extracted' | 'profiled' | 'dry-run done'; rows: number }[];
}

export const preferencesProgressQuery = defineQuery<PreferencesProgress>('progress');

/**
 * The preferences phase: extract every object into staging once, freeze the target's gold schema, apply
 * the plan's rules, profile every object, dry-run every record, and validate the plan against the target
 * and the data. Writes nothing to the target. Only counts cross the workflow history; profiles (which quote
 * source values) stay in staging.
 */
export async function preferencesWorkflow(input: PreferencesInput): Promise<PreferencesResult> {
  return recordingEnd({ migrationId: input.migrationId, phase: 'preferences' }, () => runPreferences(input));
}

async function runPreferences(input: PreferencesInput): Promise<PreferencesResult> {
  const progress: PreferencesProgress = {
    migrationId: input.migrationId,
    stage: 'extracting',
    objects: input.objects.map((object) => ({ object, stage: 'waiting', rows: 0 })),
  };
  setHandler(preferencesProgressQuery, () => progress);
  await recordPhaseEvent({ migrationId: input.migrationId, phase: 'preferences', event: 'started' });

  const extracted = new Map<string, { staged: number; broken: number; duplicateIds: number }>();
  for (const o of progress.objects) {
    const result = await extractObject({
      migrationId: input.migrationId,
      planHash: input.planHash,
      object: o.object,
      phase: 'preferences',
    });
    extracted.set(o.object, result);
    o.stage = 'extracted';
    o.rows = result.staged;
  }
  progress.stage = 'schema';
  const gold = await freezeGoldSchema({ migrationId: input.migrationId, planHash: input.planHash });
  log.info('gold schema frozen', { hash: gold.goldSchemaHash, tables: gold.tables, missing: gold.missingTables });

  progress.stage = 'profiling';
  const objects: PreferencesObjectResult[] = [];
  for (const o of progress.objects) {
    await applyRules({ migrationId: input.migrationId, planHash: input.planHash, object: o.object });
    const profile = await profileObject({ migrationId: input.migrationId, planHash: input.planHash, object: o.object });
    o.stage = 'profiled';
    const dryRun = await dryRunObject({ migrationId: input.migrationId, planHash: input.planHash, object: o.object });
    o.stage = 'dry-run done';
    const e = extracted.get(o.object)!;
    objects.push({
      object: o.object,
      rows: e.staged,
      unreadable: e.broken,
      duplicateIds: e.duplicateIds,
      profile,
      dryRun,
    });
  }
  progress.stage = 'validating';
  const validation = await validatePlan({ migrationId: input.migrationId, planHash: input.planHash });
  progress.stage = 'done';

  const blocked = objects.filter((o) => o.dryRun.blocked).map((o) => o.object);
  const result: PreferencesResult = {
    migrationId: input.migrationId,
    phase: 'preferences',
    ok: validation.errors === 0 && blocked.length === 0,
    goldSchemaHash: gold.goldSchemaHash,
    errors: validation.errors,
    warnings: validation.warnings,
    predictedQuarantined: objects.reduce(
      (n, o) => n + Object.values(o.dryRun.quarantined).reduce((a, b) => a + b, 0),
      0,
    ),
    blocked,
    objects,
  };
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: 'preferences',
    event: 'completed',
    summary: {
      ok: result.ok,
      goldSchemaHash: result.goldSchemaHash,
      errors: result.errors,
      warnings: result.warnings,
      predictedQuarantined: result.predictedQuarantined,
      blocked,
      objects: objects.map((o) => ({ object: o.object, rows: o.rows, dryRun: o.dryRun })),
    },
  });
  await condition(allHandlersFinished);
  return result;
}
