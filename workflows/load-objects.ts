import {
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  executeChild,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ObjectReconciliation } from '../activities';
import { objectWorkflowId } from './ids';
import { pauseSignal, resumeSignal } from './messages';
import { objectLoadWorkflow } from './object-load';
import { hasLoaded, type ObjectProgress, type PhaseInput, type PhaseState } from './phase-state';
import { declaredOrder, startable } from './schedule';

/** Objects loading at once: each loads its own ranges concurrently, so two keep a small machine busy. */
export const LOADS_AT_ONCE = 2;

/** Where the phase's object children stand, shared with the phase's pause and resume handlers. */
export interface ObjectChildren {
  /** Workflow ids of the children started and not yet finished: pause and resume reach each of them. */
  running: Set<string>;
}

/** `done`: every object is loaded and reconciled; `continue`: the history is long, continue as new with the state. */
export type LoadOutcome = 'done' | 'continue';

function childOptions(input: PhaseInput, progress: ObjectProgress, paused: boolean) {
  return {
    workflowId: objectWorkflowId(input.migrationId, input.phase, progress.object),
    // Cancelled with its phase, the phase waits until the child (and its page) has stopped.
    cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    args: [
      {
        migrationId: input.migrationId,
        planHash: input.planHash,
        phase: input.phase,
        object: progress.object,
        paused,
        total: progress.total,
        targetKind: input.targetKind,
      },
    ] as [Parameters<typeof objectLoadWorkflow>[0]],
  };
}

function finish(state: PhaseState, object: string, reconciliation: ObjectReconciliation): void {
  state.reconciliations.push(reconciliation);
  const done = state.objects.findIndex((o) => o.object === object);
  state.objects[done] = { ...state.objects[done]!, stage: 'done', etaSeconds: 0 };
}

/** One object child after another, in the order given (phases started before objects ran concurrently). */
export async function loadInOrder(
  input: PhaseInput,
  state: PhaseState,
  children: ObjectChildren,
): Promise<LoadOutcome> {
  for (const progress of state.objects) {
    if (progress.stage === 'done') continue;
    progress.stage = 'loading';
    await condition(() => !state.paused);
    const options = childOptions(input, progress, state.paused);
    children.running.add(options.workflowId);
    const reconciliation = await executeChild(objectLoadWorkflow, options);
    children.running.delete(options.workflowId);
    finish(state, progress.object, reconciliation);
    if (workflowInfo().continueAsNewSuggested) return 'continue';
  }
  return 'done';
}

/**
 * Object children in dependency waves: an object starts as soon as every object it waits for has loaded (its
 * records are all in the target; it may still be reconciling), `LOADS_AT_ONCE` at most; objects that wait for
 * nothing load concurrently. Pause holds back objects not started yet (the running ones pause between pages).
 * When the history is long, no further object starts and the phase continues as new once the running ones
 * finished. A failed object cancels the others; cancelled (a rollback), the phase waits until every child has
 * stopped before it ends, so no write of theirs is left in flight.
 */
export async function loadInWaves(
  input: PhaseInput,
  state: PhaseState,
  children: ObjectChildren,
): Promise<LoadOutcome> {
  const order = state.objects.map((o) => o.object);
  const prerequisites = input.prerequisites ?? declaredOrder(order);
  const progressOf = (object: string) => state.objects.find((o) => o.object === object)!;
  const started = new Set(state.objects.filter((o) => o.stage === 'done').map((o) => o.object));
  const inFlight = new Map<string, Promise<void>>();
  let failure: { error: unknown } | undefined;
  const stopping = () => failure !== undefined || workflowInfo().continueAsNewSuggested;
  const ready = () => {
    if (state.paused || stopping()) return [];
    const loaded = new Set(order.filter((object) => hasLoaded(progressOf(object))));
    // Phases started before proof waits existed have none (and keep their schedule on replay).
    const proof = input.proofPrerequisites && {
      proofPrerequisites: input.proofPrerequisites,
      proven: new Set(order.filter((object) => progressOf(object).stage === 'done')),
    };
    return startable(order, prerequisites, loaded, started, LOADS_AT_ONCE - inFlight.size, proof);
  };
  const siblings = new CancellationScope();

  const load = async (object: string) => {
    const progress = progressOf(object);
    progress.stage = 'loading';
    const pausedAtStart = state.paused;
    const options = childOptions(input, progress, pausedAtStart);
    const child = await startChild(objectLoadWorkflow, options);
    children.running.add(options.workflowId);
    try {
      // A pause or resume that came while the child was starting did not reach it.
      if (state.paused !== pausedAtStart)
        await (state.paused ? child.signal(pauseSignal, { reason: state.pauseReason }) : child.signal(resumeSignal));
      finish(state, object, await child.result());
    } finally {
      children.running.delete(options.workflowId);
    }
  };
  const start = (object: string) => {
    started.add(object);
    const run = siblings
      .run(() => load(object))
      .catch((error: unknown) => {
        if (failure === undefined) {
          failure = { error };
          siblings.cancel();
        }
      })
      .finally(() => inFlight.delete(object));
    inFlight.set(object, run);
  };

  try {
    while (!stopping() && started.size < order.length) {
      await condition(() => stopping() || ready().length > 0);
      for (const object of ready()) start(object);
    }
  } finally {
    // Cancelled or not, the phase ends only once every child it started has ended.
    await CancellationScope.nonCancellable(() => Promise.all(inFlight.values()));
  }
  if (failure) throw failure.error;
  return state.objects.every((o) => o.stage === 'done') ? 'done' : 'continue';
}
