import { log, proxyActivities } from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { DeltaExtractResult } from '../activities/delta';
import { BOOKKEEPING, EXTRACT, PROFILE } from './options';
import type { ObjectProgress, PhaseInput, PhaseState } from './phase-state';
import { boundedEach } from './schedule';

const { extractObject, extractDelta } = proxyActivities<TernActivities>(EXTRACT);
const { countToLoad } = proxyActivities<TernActivities>(BOOKKEEPING);
const { applyRules, selectSample } = proxyActivities<TernActivities>(PROFILE);

/** Objects extracted at once: each extraction streams a whole source object and keeps a core busy. */
export const EXTRACTS_AT_ONCE = 2;

/**
 * Prepares every object of the phase: extract into staging (a delta finds what changed instead), then the plan's
 * rules, object by object; then the sample, and the count each object will load. With `concurrent`, objects are
 * extracted `EXTRACTS_AT_ONCE` at a time (each one's rules right after its own extraction) and counted at once;
 * without, one after another (phases started before objects ran concurrently replay this way).
 */
export async function preparePhase(input: PhaseInput, state: PhaseState, concurrent: boolean): Promise<void> {
  const delta: DeltaExtractResult[] = [];
  const prepare = async (progress: ObjectProgress, index: number) => {
    progress.stage = 'extracting';
    if (input.phase === 'delta') {
      delta[index] = await extractDelta({
        migrationId: input.migrationId,
        planHash: input.planHash,
        object: progress.object,
        overlapSeconds: input.overlapSeconds ?? 300,
      });
    } else {
      const extracted = await extractObject({
        migrationId: input.migrationId,
        planHash: input.planHash,
        object: progress.object,
        phase: input.phase,
      });
      log.info('object extracted', { object: progress.object, ...extracted });
    }
    // The purge and deduplication decide which staged records are not to be loaded.
    await applyRules({ migrationId: input.migrationId, planHash: input.planHash, object: progress.object });
    progress.stage = 'prepared';
  };
  const count = async (progress: ObjectProgress) => {
    progress.total = await countToLoad({ migrationId: input.migrationId, object: progress.object, phase: input.phase });
  };

  if (concurrent) await boundedEach(state.objects, EXTRACTS_AT_ONCE, prepare);
  else for (const [index, progress] of state.objects.entries()) await prepare(progress, index);
  if (input.phase === 'delta') state.delta = delta;
  if (input.phase === 'sample')
    state.sample = await selectSample({
      migrationId: input.migrationId,
      planHash: input.planHash,
      objects: input.objects,
    });
  if (concurrent) await Promise.all(state.objects.map(count));
  else for (const progress of state.objects) await count(progress);
  state.prepared = true;
}
