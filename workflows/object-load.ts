import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ObjectReconciliation, TernActivities } from '../activities';
import { loadTaskQueue, type LoadPhase } from './ids';
import { objectProgressQuery, objectProgressSignal, pauseSignal, resumeSignal } from './messages';
import { BOOKKEEPING, LOAD_PAGE, RECONCILE } from './options';
import { countPage, newProgress, type ObjectProgress, type RangeProgress } from './phase-state';

const { reconcileObject } = proxyActivities<TernActivities>(RECONCILE);
const { splitLoadRanges } = proxyActivities<TernActivities>(BOOKKEEPING);

/**
 * Object loads started from this version on tell their phase how they are doing without each page waiting for
 * the signal to arrive; loads started before replay waiting for it. See docs/architecture.md on retiring it.
 */
export const PROGRESS_WITHOUT_WAITING_PATCH = 'progress-without-waiting';

/** Sends the object's progress to the phase (if any): `report()` after a change, `delivered()` before the load ends. */
interface ProgressReporter {
  (): Promise<void>;
  delivered(): Promise<void>;
}

/**
 * Waiting (loads started before the patch): each report is one signal the page waits for. Not waiting: a report
 * marks the progress changed and returns; one signal is in flight at a time and carries the latest progress, so
 * the phase's history grows by at most one signal per round trip, however many pages ended meanwhile. A signal
 * that failed fails the load at `delivered()`, as it failed the page before.
 */
function progressReporter(progress: ObjectProgress, withoutWaiting: boolean): ProgressReporter {
  const parent = workflowInfo().parent;
  const send = () =>
    parent
      ? getExternalWorkflowHandle(parent.workflowId).signal(objectProgressSignal, { ...progress })
      : Promise.resolve();
  if (!withoutWaiting) return Object.assign(send, { delivered: () => Promise.resolve() });
  let changed = false;
  let inFlight: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const flush = async () => {
    while (changed && failure === undefined) {
      changed = false;
      try {
        await send();
      } catch (error) {
        failure = { error };
      }
    }
    inFlight = undefined;
  };
  const report = () => {
    if (!parent) return Promise.resolve();
    changed = true;
    inFlight ??= flush();
    return Promise.resolve();
  };
  return Object.assign(report, {
    delivered: async () => {
      while (inFlight) await inFlight;
      if (failure) throw failure.error;
    },
  });
}

export interface ObjectLoadInput {
  migrationId: string;
  /** The plan version its phase pinned (see PhaseInput). */
  planHash?: string;
  phase: LoadPhase;
  object: string;
  paused?: boolean;
  /** The plan's target kind: a SaaS target's load pages run on its vendor's task queue. */
  targetKind?: string;
  /** Records the phase will process for this object (for progress and ETA). */
  total?: number;
  /** Carried across continue-as-new. */
  progress?: ObjectProgress;
}

/**
 * Loads one object of a phase through the idempotent write protocol, then reconciles it: its records are split
 * into source-id ranges (`splitLoadRanges`: by source id, or by groups of records that go in order) loaded concurrently, each
 * page by page.
 * A child of the phase workflow (id `<migration>/<phase>/<object>`): its history holds one object's pages, it
 * continues-as-new on its own, answers `progress`, obeys `pause`/`resume`, and reports each page to its
 * parent.
 */
export async function objectLoadWorkflow(input: ObjectLoadInput): Promise<ObjectReconciliation> {
  const progress: ObjectProgress = input.progress ?? {
    ...newProgress(input.object, 'loading'),
    total: input.total ?? 0,
  };
  let paused = input.paused ?? false;
  setHandler(objectProgressQuery, () => progress);
  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  const { loadPage } = proxyActivities<TernActivities>({
    ...LOAD_PAGE,
    taskQueue: loadTaskQueue(workflowInfo().taskQueue, input.targetKind),
  });
  const report = progressReporter(progress, patched(PROGRESS_WITHOUT_WAITING_PATCH));
  if (progress.stage === 'loading') {
    // Split once; the ranges (and each one's cursor) travel with the progress across continue-as-new.
    progress.ranges ??=
      progress.cursor !== null
        ? [{ after: progress.cursor, until: null, finished: false }]
        : (
            await splitLoadRanges({
              migrationId: input.migrationId,
              planHash: input.planHash,
              object: input.object,
              phase: input.phase,
              ...(input.total ? { records: input.total } : {}),
            })
          ).ranges.map((range) => ({ ...range, finished: false }));
    /** Set when the history asks for a new run, or a range failed: every range stops at its next page boundary. */
    let stopping = false;
    const loadRange = async (range: RangeProgress) => {
      while (!range.finished) {
        await condition(() => !paused || stopping);
        if (stopping) return;
        const page = await loadPage({
          migrationId: input.migrationId,
          planHash: input.planHash,
          object: input.object,
          phase: input.phase,
          after: range.after,
          until: range.until,
          ...(range.group ? { group: range.group } : {}),
        });
        if (page.next === null) range.finished = true;
        else range.after = page.next;
        countPage(progress, page);
        await report();
        if (workflowInfo().continueAsNewSuggested) stopping = true;
      }
    };
    // Ranges load concurrently. The object ends only once every range's page has ended (a cancelled page stops
    // before its next write): a closed loading workflow has no write in flight, even when one range failed.
    const settled = await Promise.allSettled(
      progress.ranges.map((range) =>
        loadRange(range).catch((err: unknown) => {
          stopping = true;
          throw err;
        }),
      ),
    );
    const failed = settled.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    if (progress.ranges.some((range) => !range.finished)) {
      await report.delivered();
      await condition(allHandlersFinished);
      return continueAsNew<typeof objectLoadWorkflow>({ ...input, paused, progress });
    }
    progress.stage = 'reconciling';
    await report();
  }
  const reconciliation = await reconcileObject({
    migrationId: input.migrationId,
    planHash: input.planHash,
    object: input.object,
    phase: input.phase,
  });
  progress.stage = 'done';
  progress.etaSeconds = 0;
  await report();
  await report.delivered();
  await condition(allHandlersFinished);
  return reconciliation;
}
