import {
  allHandlersFinished,
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { PhaseEvent } from '../activities/runs';
import { auditsEveryAction, recorderInOrder, recordingEnd } from './audited';
import { phaseWorkflowId } from './ids';
import { loadInOrder, loadInWaves, type ObjectChildren } from './load-objects';
import {
  approveUpdate,
  objectProgressSignal,
  pauseSignal,
  progressQuery,
  resumeSignal,
  rollbackUpdate,
} from './messages';
import { BOOKKEEPING } from './options';
import { newProgress, type Approval, type PhaseInput, type PhaseResult, type PhaseState } from './phase-state';
import { preparePhase } from './prepare';
import { rollbackRequestProblem } from './requests';
import { rollbackWorkflow } from './rollback';

// The names clients and activities import from here.
export { objectWorkflowId, type LoadPhase } from './ids';
export * from './messages';
export { objectLoadWorkflow, type ObjectLoadInput } from './object-load';
export type * from './phase-state';

const { recordPhaseEvent, checkGoldSchema, liftWriteFence } = proxyActivities<TernActivities>(BOOKKEEPING);

/**
 * Phases started from this version on extract and load objects concurrently (`preparePhase`, `loadInWaves`);
 * phases started before replay one object after another. See docs/architecture.md on retiring it.
 */
export const CONCURRENT_OBJECTS_PATCH = 'concurrent-objects';

/**
 * One loading phase of a migration. Prepare every object (extract into staging once — or, for a delta, find
 * what changed — then apply the plan's rules); for the sample, draw it; wait for approval when gated; then load
 * each object in a child workflow, an object as soon as the objects it references have loaded, and reconcile.
 * Durable: a killed worker or restarted server resumes at the last page; long runs continue-as-new with
 * their progress.
 */
export async function migrationPhaseWorkflow(input: PhaseInput): Promise<PhaseResult> {
  // Failed or cancelled (a rollback, an operator): said in the runs and the audit log, even though the phase ended.
  return recordingEnd({ migrationId: input.migrationId, phase: input.phase, cancellationRecordedBefore: true }, () =>
    runPhase(input),
  );
}

async function runPhase(input: PhaseInput): Promise<PhaseResult> {
  const concurrent = patched(CONCURRENT_OBJECTS_PATCH);
  const state: PhaseState = input.state ?? {
    objects: input.objects.map((object) => newProgress(object, 'waiting')),
    reconciliations: [],
    prepared: false,
    paused: false,
  };
  const children: ObjectChildren = { running: new Set() };
  handleRequests(input, state, children);

  if (!input.state) {
    await recordPhaseEvent({ migrationId: input.migrationId, phase: input.phase, event: 'started' });
    // A new loading phase may write again: it lifts the fence a finished rollback left (not one raised since).
    await liftWriteFence({
      migrationId: input.migrationId,
      phase: input.phase,
      phaseStartedAt: workflowInfo().startTime.toISOString(),
    });
    // Refuses to write into a target whose schema changed since preferences froze it.
    await checkGoldSchema({ migrationId: input.migrationId, planHash: input.planHash });
  }

  if (!state.prepared) await preparePhase(input, state, concurrent);

  if (input.gate) await condition(() => state.approval !== undefined);

  const outcome = await (concurrent ? loadInWaves : loadInOrder)(input, state, children);
  if (outcome === 'continue') {
    await condition(allHandlersFinished);
    return continueAsNew<typeof migrationPhaseWorkflow>({ ...input, state });
  }

  const order = new Map(input.objects.map((object, i) => [object, i]));
  const result: PhaseResult = {
    migrationId: input.migrationId,
    phase: input.phase,
    ok: state.reconciliations.every((r) => r.ok),
    // In the plan's order, whichever object finished first.
    objects: [...state.reconciliations].sort((a, b) => (order.get(a.object) ?? 0) - (order.get(b.object) ?? 0)),
    sample: state.sample,
    delta: state.delta,
    approval: state.approval,
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
        filtered: o.filtered,
        deduplicated: o.deduplicated,
        deleted: o.deleted,
        conflicts: o.conflicts,
        checksumMismatches: o.checksumMismatches,
      })),
    },
  });
  await condition(allHandlersFinished);
  return result;
}

/** The phase's query, signals and updates: progress, pause/resume (passed on to running children), approve, rollback. */
function handleRequests(input: PhaseInput, state: PhaseState, children: ObjectChildren): void {
  const awaitingApproval = () => input.gate === true && state.approval === undefined && state.prepared;
  setHandler(progressQuery, () => ({
    migrationId: input.migrationId,
    phase: input.phase,
    paused: state.paused,
    pauseReason: state.pauseReason,
    awaitingApproval: awaitingApproval(),
    approval: state.approval,
    objects: state.objects.map(({ cursor: _c, ranges: _r, firstPageAt: _f, lastPageAt: _l, ...rest }) => rest),
  }));
  /** Passes a signal on to every running child; one that closed meanwhile has nothing left to pause. */
  const forward = async (send: (workflowId: string) => Promise<void>) => {
    const sent = await Promise.allSettled([...children.running].map(send));
    for (const outcome of sent)
      if (outcome.status === 'rejected') log.info('a child closed before the signal reached it', { outcome });
  };
  // What people do to the phase goes to the audit log in the order it came (runs started before: approvals only).
  const record = recorderInOrder();
  const event = (event: PhaseEvent, summary: Record<string, unknown>) =>
    record({ migrationId: input.migrationId, phase: input.phase, event, summary });
  // Each is queued for the log when it arrives, before the children hear of it, so the log keeps their order.
  setHandler(pauseSignal, async (args) => {
    state.paused = true;
    state.pauseReason = args?.reason;
    const recorded = auditsEveryAction()
      ? event('paused', { by: args?.by ?? 'operator', reason: args?.reason ?? null })
      : undefined;
    await forward((id) => getExternalWorkflowHandle(id).signal(pauseSignal, args));
    await recorded;
  });
  setHandler(resumeSignal, async (args) => {
    state.paused = false;
    state.pauseReason = undefined;
    const recorded = auditsEveryAction() ? event('resumed', { by: args?.by ?? 'operator' }) : undefined;
    await forward((id) => getExternalWorkflowHandle(id).signal(resumeSignal));
    await recorded;
  });
  setHandler(objectProgressSignal, (update) => {
    const i = state.objects.findIndex((o) => o.object === update.object);
    if (i >= 0 && state.objects[i]!.stage !== 'done') state.objects[i] = update;
  });
  setHandler(
    approveUpdate,
    async (approval) => {
      if (state.approval) return state.approval;
      state.approval = { by: approval.by.trim(), reason: approval.reason.trim() };
      const summary = { by: state.approval.by, reason: state.approval.reason };
      if (auditsEveryAction()) await event('approved', summary);
      else await recordPhaseEvent({ migrationId: input.migrationId, phase: input.phase, event: 'approved', summary });
      return state.approval;
    },
    {
      validator: (approval: Partial<Approval> | undefined) => {
        const by = typeof approval?.by === 'string' ? approval.by.trim() : '';
        const reason = typeof approval?.reason === 'string' ? approval.reason.trim() : '';
        if (!by) throw new Error('approve needs `by`: who approves');
        if (reason.length < 5)
          throw new Error('approve needs a `reason` of at least 5 characters: why this phase may write');
      },
    },
  );
  setHandler(
    rollbackUpdate,
    async (request) => {
      const workflowId = phaseWorkflowId(input.migrationId, 'rollback');
      await startChild(rollbackWorkflow, {
        workflowId,
        args: [
          {
            migrationId: input.migrationId,
            planHash: input.planHash,
            objects: input.objects,
            reason: request.reason.trim(),
            by: request.by.trim(),
          },
        ],
        // The rollback cancels this phase: it must outlive it, and not be cancelled with it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      });
      return { rollbackWorkflowId: workflowId };
    },
    {
      validator: (request: { reason?: unknown; by?: unknown } | undefined) => {
        const problem = rollbackRequestProblem({
          reason: typeof request?.reason === 'string' ? request.reason : undefined,
          by: typeof request?.by === 'string' ? request.by : undefined,
        });
        if (problem) throw new Error(problem);
      },
    },
  );
}
