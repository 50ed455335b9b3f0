import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  TemporalFailure,
} from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { PhaseEventInput } from '../activities/runs';
import { BOOKKEEPING } from './options';

const { recordPhaseEvent } = proxyActivities<TernActivities>(BOOKKEEPING);

/**
 * Runs started from this version on record what people do to them (pause, resume, in the order they came with
 * the approval) and how they end when they fail (and, for the rollback and preferences, when they are cancelled)
 * in the audit log. Runs started before replay without those activities. See docs/architecture.md on retiring it.
 */
export const AUDITED_ACTIONS_PATCH = 'audited-actions';

/** Whether this run records every action (see AUDITED_ACTIONS_PATCH). */
export function auditsEveryAction(): boolean {
  return patched(AUDITED_ACTIONS_PATCH);
}

/**
 * Records events one after another, each once the one before is recorded, so the audit log has them in the order
 * they came (two signals close together would otherwise race in two activities). A cancellation of the run does
 * not stop an event that came before it from being recorded.
 */
export function recorderInOrder(): (input: PhaseEventInput) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (input) => {
    const next = last
      .catch(() => undefined)
      .then(() => CancellationScope.nonCancellable(() => recordPhaseEvent(input)));
    last = next;
    return next;
  };
}

/**
 * Runs a workflow's body and, when it fails or is cancelled, records that end in the runs table and the audit log
 * before the failure goes on. Only failures that fail the run count: a continue-as-new and a bug (which retries
 * the workflow task) are not ends. `cancellationRecordedBefore`: the workflow recorded its cancellation before the
 * patch (the loading phases), so it keeps doing so whatever the run's version.
 */
export async function recordingEnd<T>(
  run: { migrationId: string; phase: string; cancellationRecordedBefore?: boolean },
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const record = (input: Omit<PhaseEventInput, 'migrationId' | 'phase'>) =>
      CancellationScope.nonCancellable(() =>
        recordPhaseEvent({ migrationId: run.migrationId, phase: run.phase, ...input }),
      );
    if (isCancellation(err)) {
      if (run.cancellationRecordedBefore === true || auditsEveryAction()) await record({ event: 'cancelled' });
    } else if (err instanceof TemporalFailure && auditsEveryAction())
      await record({ event: 'failed', summary: failureSummary(err) });
    throw err;
  }
}

/** The failure as one line (its deepest cause's, which names the problem and its fix) and the error's type. */
export function failureSummary(err: Error): { error: string; errorType?: string } {
  let root = err;
  while (root.cause instanceof Error) root = root.cause;
  const type = root instanceof ApplicationFailure ? root.type : root.name;
  const line = (root.message.split('\n')[0] ?? '').slice(0, 500);
  return { error: line, ...(type ? { errorType: type } : {}) };
}
