import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ObjectReconciliation, TernActivities } from '../activities';
import type { Phase } from './ids';
import { BOOKKEEPING, EXTRACT, LOAD_PAGE, PROFILE, RECONCILE } from './options';

const { extractObject } = proxyActivities<TernActivities>(EXTRACT);
const { loadPage } = proxyActivities<TernActivities>(LOAD_PAGE);
const { reconcileObject } = proxyActivities<TernActivities>(RECONCILE);
const { recordPhaseEvent } = proxyActivities<TernActivities>(BOOKKEEPING);
const { applyRules } = proxyActivities<TernActivities>(PROFILE);

export interface ObjectProgress {
  object: string;
  stage: 'waiting' | 'extracting' | 'loading' | 'reconciling' | 'done';
  /** Records staged from the source (known after extraction). */
  total: number;
  /** Records processed by load pages (written, unchanged or quarantined). */
  done: number;
  written: number;
  quarantined: number;
  /** Records per second over the load so far, from the activities' clocks. */
  rate: number | null;
  /** Seconds left at the current rate. */
  etaSeconds: number | null;
  cursor: string | null;
  firstPageAt?: number;
  lastPageAt?: number;
}

export interface PhaseState {
  objects: ObjectProgress[];
  reconciliations: ObjectReconciliation[];
  paused: boolean;
  pauseReason?: string;
}

export interface PhaseInput {
  migrationId: string;
  phase: Extract<Phase, 'full'>;
  /** Object names in dependency order (from the plan; names only, never credentials). */
  objects: string[];
  /** Carried across continue-as-new. */
  state?: PhaseState;
}

export interface PhaseResult {
  migrationId: string;
  phase: Phase;
  ok: boolean;
  objects: ObjectReconciliation[];
}

export interface PhaseProgress {
  migrationId: string;
  phase: Phase;
  paused: boolean;
  pauseReason?: string;
  objects: Omit<ObjectProgress, 'cursor' | 'firstPageAt' | 'lastPageAt'>[];
}

export const progressQuery = defineQuery<PhaseProgress>('progress');
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal('resume');

/**
 * One phase of a migration: per object in dependency order, extract into staging once, load page by page
 * through the idempotent write protocol, then reconcile. Durable: a killed worker or restarted server
 * resumes at the last page; long runs continue-as-new with their progress.
 */
export async function migrationPhaseWorkflow(input: PhaseInput): Promise<PhaseResult> {
  const state: PhaseState = input.state ?? {
    objects: input.objects.map((object) => ({
      object,
      stage: 'waiting',
      total: 0,
      done: 0,
      written: 0,
      quarantined: 0,
      rate: null,
      etaSeconds: null,
      cursor: null,
    })),
    reconciliations: [],
    paused: false,
  };

  setHandler(progressQuery, () => ({
    migrationId: input.migrationId,
    phase: input.phase,
    paused: state.paused,
    pauseReason: state.pauseReason,
    objects: state.objects.map(({ cursor: _c, firstPageAt: _f, lastPageAt: _l, ...rest }) => rest),
  }));
  setHandler(pauseSignal, (args) => {
    state.paused = true;
    state.pauseReason = args?.reason;
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    state.pauseReason = undefined;
  });

  if (!input.state) await recordPhaseEvent({ migrationId: input.migrationId, phase: input.phase, event: 'started' });

  for (const progress of state.objects) {
    if (progress.stage === 'done') continue;
    if (progress.stage === 'waiting' || progress.stage === 'extracting') {
      progress.stage = 'extracting';
      const extracted = await extractObject({
        migrationId: input.migrationId,
        object: progress.object,
        phase: input.phase,
      });
      progress.total = extracted.staged;
      // The purge and deduplication decide which staged records are not to be loaded.
      await applyRules({ migrationId: input.migrationId, object: progress.object });
      progress.stage = 'loading';
      log.info('object extracted', { object: progress.object, ...extracted });
    }
    while (progress.stage === 'loading') {
      await condition(() => !state.paused);
      const page = await loadPage({
        migrationId: input.migrationId,
        object: progress.object,
        phase: input.phase,
        after: progress.cursor,
      });
      progress.done += page.read;
      progress.written += page.written;
      progress.quarantined += page.quarantined;
      progress.cursor = page.next;
      progress.firstPageAt ??= page.startedAt;
      progress.lastPageAt = page.finishedAt;
      const seconds = (progress.lastPageAt - progress.firstPageAt) / 1000;
      progress.rate = seconds > 0 ? Math.round((progress.done / seconds) * 10) / 10 : null;
      progress.etaSeconds = progress.rate
        ? Math.ceil(Math.max(progress.total - progress.done, 0) / progress.rate)
        : null;
      if (page.next === null) progress.stage = 'reconciling';
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof migrationPhaseWorkflow>({ ...input, state });
      }
    }
    const reconciliation = await reconcileObject({
      migrationId: input.migrationId,
      object: progress.object,
      phase: input.phase,
    });
    state.reconciliations.push(reconciliation);
    progress.stage = 'done';
    progress.etaSeconds = 0;
  }

  const result: PhaseResult = {
    migrationId: input.migrationId,
    phase: input.phase,
    ok: state.reconciliations.every((r) => r.ok),
    objects: state.reconciliations,
  };
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: input.phase,
    event: 'completed',
    summary: {
      ok: result.ok,
      objects: result.objects.map((o) => ({
        object: o.object,
        source: o.source,
        loaded: o.loaded,
        quarantined: o.quarantined,
        checksumMismatches: o.checksumMismatches,
      })),
    },
  });
  await condition(allHandlersFinished);
  return result;
}
