import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { CutoverStepEvent } from '../activities/cutover';
import { recordingEnd } from './audited';
import {
  cutoverProgressQuery,
  cutoverRequestProblem,
  decisionUpdate,
  freezeUpdate,
  signoffUpdate,
  type CutoverInput,
  type CutoverProgress,
  type CutoverRequest,
  type CutoverResult,
  type CutoverStepName,
  type CutoverStepStatus,
  type StepState,
} from './cutover-state';
import { phaseWorkflowId } from './ids';
import { BOOKKEEPING, RECONCILE } from './options';
import { migrationPhaseWorkflow } from './phase';
import { rollbackWorkflow } from './rollback';

export * from './cutover-state';

const { recordPhaseEvent, recordCutoverStep, announceCutover, writeSignoffPack, proofPackHash } =
  proxyActivities<TernActivities>(BOOKKEEPING);
const { reconcileObject } = proxyActivities<TernActivities>(RECONCILE);

/**
 * The go-live weekend as one workflow (`<migration>/cutover`), step by step as the runbook goes: announce the
 * freeze; wait for the `freeze` Update (who froze the source); load the final delta (the delta phase, a child);
 * reconcile the whole target; wait for the sign-off (who, why, the proof pack's content hash); wait for go or
 * no-go. On go the migration is live; on a no-go or a failed delta or reconciliation it rolls back (the rollback
 * workflow, a child) and proves it. Each step has its deadline from the plan's timeline: a missed one is alerted
 * (audit, memo, query) while the step goes on. Every step's start and end is in the audit log.
 */
export async function cutoverWorkflow(input: CutoverInput): Promise<CutoverResult> {
  return recordingEnd({ migrationId: input.migrationId, phase: 'cutover' }, () => runCutover(input));
}

async function runCutover(input: CutoverInput): Promise<CutoverResult> {
  const started = workflowInfo().startTime;
  const progress: CutoverProgress = {
    migrationId: input.migrationId,
    phase: 'cutover',
    startedAt: started.toISOString(),
    current: null,
    steps: input.deadlines.map(({ step, seconds }) => ({
      step,
      state: 'pending',
      deadlineAt: new Date(started.getTime() + seconds * 1000).toISOString(),
      overdue: false,
    })),
  };
  const record = recorderInOrder(input.migrationId);
  handleRequests(progress, input.migrationId);
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: 'cutover',
    event: 'started',
    summary: { by: input.by },
  });
  const step = stepRunner(progress, record);
  const base = { migrationId: input.migrationId, planHash: input.planHash };

  await step('announce', () =>
    announceCutover({
      ...base,
      by: input.by,
      deadlines: progress.steps.map((s) => ({ step: s.step, at: s.deadlineAt })),
    }),
  );
  await step('freeze', () => condition(() => progress.freeze !== undefined));

  const deltaWorkflowId = phaseWorkflowId(input.migrationId, 'delta');
  progress.deltaOk = await step('delta', async () => {
    try {
      const result = await executeChild(migrationPhaseWorkflow, {
        workflowId: deltaWorkflowId,
        args: [
          {
            ...base,
            phase: 'delta',
            objects: input.objects,
            prerequisites: input.prerequisites,
            proofPrerequisites: input.proofPrerequisites,
            overlapSeconds: input.overlapSeconds,
            targetKind: input.targetKind,
          },
        ],
      });
      return result.ok;
    } catch (err) {
      if (CancellationScope.current().consideredCancelled) throw err;
      return false; // The delta failed: said in its own history and audit entries; the cutover rolls back.
    }
  });

  let reconciliation: CutoverResult['reconciliation'] = [];
  if (progress.deltaOk) {
    reconciliation = await step('reconcile', async () => {
      const proofs = [];
      // The whole target read back, not only what the delta touched: an edit behind Tern's back anywhere fails it.
      for (const object of input.objects) {
        const r = await reconcileObject({ ...base, object, phase: 'delta', readBack: 'whole' });
        proofs.push({ object, ok: r.ok, checksumMismatches: r.checksumMismatches });
      }
      return proofs;
    });
    progress.reconcileOk = reconciliation.every((r) => r.ok);
  } else await skip(progress, record, 'reconcile', 'the final delta failed');

  if (progress.reconcileOk) {
    await step('signoff', async () => {
      // The pack to sign, written where staging is (the embedded database opens in one process only).
      const { migrationId: _m, ...pack } = await writeSignoffPack({ migrationId: input.migrationId });
      progress.proofPack = pack;
      await condition(() => progress.signoff !== undefined || progress.decision !== undefined);
      // A no-go came before any sign-off: nothing was signed.
      if (!progress.signoff) markSkipped(progress, 'signoff');
    });
    await step('decision', () => condition(() => progress.decision !== undefined));
  } else {
    await skip(progress, record, 'signoff', 'nothing to sign off: the proof failed');
    await skip(progress, record, 'decision', 'no-go: the proof failed');
  }

  const go = progress.reconcileOk === true && progress.decision?.go === true;
  let rollbackOk: boolean | undefined;
  const rollbackWorkflowId = phaseWorkflowId(input.migrationId, 'rollback');
  if (go) {
    await skip(progress, record, 'rollback', 'go: the migration is live');
    progress.outcome = 'live';
  } else {
    progress.rollbackReason = progress.decision
      ? `cutover no-go by ${progress.decision.by}: ${progress.decision.reason}`
      : progress.deltaOk
        ? 'cutover: the whole reconciliation after the final delta failed'
        : 'cutover: the final delta failed';
    rollbackOk = await step('rollback', async () => {
      const result = await executeChild(rollbackWorkflow, {
        workflowId: rollbackWorkflowId,
        args: [
          {
            ...base,
            objects: input.objects,
            reason: progress.rollbackReason!,
            by: progress.decision?.by ?? input.by,
          },
        ],
      });
      return result.ok;
    });
    progress.outcome = rollbackOk ? 'rolled back' : 'rollback failed';
  }
  progress.current = null;
  publish(progress);

  const { current: _current, ...rest } = progress;
  const result: CutoverResult = {
    ...rest,
    ok: go,
    outcome: progress.outcome,
    deltaWorkflowId,
    ...(go ? {} : { rollbackWorkflowId, rollbackOk }),
    reconciliation,
  };
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: 'cutover',
    event: 'completed',
    summary: {
      ok: go,
      outcome: result.outcome,
      live: go,
      freeze: progress.freeze,
      signoff: progress.signoff,
      decision: progress.decision,
      overdue: progress.steps.filter((s) => s.overdue).map((s) => s.step),
      ...(go ? {} : { rollbackReason: progress.rollbackReason, rollbackOk }),
    },
  });
  await condition(allHandlersFinished);
  return result;
}

type Recorder = (step: CutoverStepName, event: CutoverStepEvent, summary?: Record<string, unknown>) => Promise<void>;

/** Audit entries one after another in the order they came; a cancellation does not drop one that came before it. */
function recorderInOrder(migrationId: string): Recorder {
  let last: Promise<void> = Promise.resolve();
  return (step, event, summary) => {
    const next = last
      .catch(() => undefined)
      .then(() => CancellationScope.nonCancellable(() => recordCutoverStep({ migrationId, step, event, summary })));
    last = next;
    return next;
  };
}

/** The memo the Temporal UI shows: the step running now, its deadline, the steps that missed theirs. */
function publish(progress: CutoverProgress): void {
  const current = progress.steps.find((s) => s.step === progress.current);
  upsertMemo({
    cutoverStep: progress.current ?? progress.outcome ?? null,
    stepDeadline: current?.deadlineAt ?? null,
    overdue: progress.steps.filter((s) => s.overdue).map((s) => s.step),
  });
}

/**
 * Runs one step: running in the query and memo, audited when it starts and ends. A timer races the step: when the
 * deadline passes first the step is marked overdue (memo, query, audit) and goes on.
 */
function stepRunner(progress: CutoverProgress, record: Recorder) {
  return async <T>(name: CutoverStepName, body: () => Promise<T>): Promise<T> => {
    const s = stepOf(progress, name);
    // Audited before it shows as running: whoever sees the step (a proof pack for the sign-off) sees its entry.
    await record(name, 'started', { deadline: s.deadlineAt });
    s.state = 'running';
    s.startedAt = new Date().toISOString();
    progress.current = name;
    publish(progress);
    let finished = false;
    const watch = watchDeadline(progress, s, () => finished, record);
    try {
      const value = await body();
      if (s.state === 'running') s.state = 'done';
      return value;
    } catch (err) {
      s.state = 'failed';
      throw err;
    } finally {
      finished = true;
      s.endedAt = new Date().toISOString();
      await watch;
      // The body may have set the step's end itself (skipped).
      const end = s.state as StepState;
      await record(name, end === 'done' ? 'completed' : end === 'skipped' ? 'skipped' : 'failed', {
        ...stepSummary(progress, name),
        deadline: s.deadlineAt,
        overdue: s.overdue,
      });
      publish(progress);
    }
  };
}

async function watchDeadline(
  progress: CutoverProgress,
  s: CutoverStepStatus,
  finished: () => boolean,
  record: Recorder,
): Promise<void> {
  const left = new Date(s.deadlineAt).getTime() - new Date().getTime();
  const inTime = left > 0 ? await condition(finished, left) : finished();
  if (inTime) return;
  s.overdue = true;
  s.overdueAt = new Date().toISOString();
  publish(progress);
  await record(s.step, 'overdue', { deadline: s.deadlineAt });
}

/** What the end of a step records: the person's decision it waited for, or its verdict. */
function stepSummary(progress: CutoverProgress, name: CutoverStepName): Record<string, unknown> {
  if (name === 'freeze') return { ...progress.freeze };
  if (name === 'signoff') {
    const presented = progress.proofPack ? { presented: progress.proofPack.contentHash } : {};
    return progress.signoff
      ? { ...progress.signoff, ...presented }
      : { why: 'no-go before the sign-off', ...presented };
  }
  if (name === 'decision') return { ...progress.decision, ...(progress.decision?.go ? { live: true } : {}) };
  if (name === 'delta') return { ok: progress.deltaOk ?? false };
  return {};
}

function stepOf(progress: CutoverProgress, name: CutoverStepName): CutoverStepStatus {
  const s = progress.steps.find((x) => x.step === name);
  if (!s) throw ApplicationFailure.create({ message: `cutover step ${name} has no deadline`, nonRetryable: true });
  return s;
}

function markSkipped(progress: CutoverProgress, name: CutoverStepName): void {
  stepOf(progress, name).state = 'skipped';
}

async function skip(progress: CutoverProgress, record: Recorder, name: CutoverStepName, why: string): Promise<void> {
  markSkipped(progress, name);
  await record(name, 'skipped', { why });
}

/** The people's controls: freeze, sign-off, go / no-go, each validated (who, why, when it may come) and kept once. */
function handleRequests(progress: CutoverProgress, migrationId: string): void {
  setHandler(cutoverProgressQuery, () => progress);
  const at = () => new Date().toISOString();
  const refuse = (problem: string | null) => {
    if (problem) throw new Error(problem);
  };
  const state = (name: CutoverStepName) => stepOf(progress, name).state;
  setHandler(
    freezeUpdate,
    (request) => {
      progress.freeze ??= { by: request.by.trim(), reason: request.reason.trim(), at: at() };
      return progress.freeze;
    },
    {
      validator: (request: Partial<CutoverRequest> | undefined) => {
        refuse(cutoverRequestProblem('freeze', request));
        if (!progress.freeze && state('freeze') !== 'pending' && state('freeze') !== 'running')
          refuse('the freeze step is over');
      },
    },
  );
  setHandler(
    signoffUpdate,
    async (request) => {
      if (progress.signoff) return progress.signoff;
      // The pack signed must be the one presented, or the one staging gives now: else it was read before a later proof.
      const presented = progress.proofPack?.contentHash;
      if (request.reportHash !== presented) {
        const now = await proofPackHash({ migrationId });
        if (request.reportHash !== now)
          throw ApplicationFailure.create({
            type: 'ProofPackChanged',
            nonRetryable: true,
            message: `the proof pack of ${migrationId} is not the one signed off: its content hash is ${now} now${presented && presented !== now ? ` (the cutover presented ${presented})` : ''}, not ${request.reportHash}`,
          });
        if (progress.current !== 'signoff' && !progress.signoff)
          throw ApplicationFailure.create({
            type: 'SignoffClosed',
            nonRetryable: true,
            message: `the sign-off step ended while the pack was checked (the cutover's step now: ${progress.current ?? 'none, it is over'})`,
          });
      }
      progress.signoff ??= {
        by: request.by.trim(),
        reason: request.reason.trim(),
        reportHash: request.reportHash,
        at: at(),
      };
      return progress.signoff;
    },
    {
      validator: (request: Partial<CutoverRequest & { reportHash: string }> | undefined) => {
        refuse(cutoverRequestProblem('signoff', request));
        if (!progress.signoff && progress.current !== 'signoff')
          refuse(`the cutover is not waiting for a sign-off (its step now: ${progress.current ?? 'none, it is over'})`);
      },
    },
  );
  setHandler(
    decisionUpdate,
    (request) => {
      progress.decision ??= { go: request.go, by: request.by.trim(), reason: request.reason.trim(), at: at() };
      return progress.decision;
    },
    {
      validator: (request: Partial<CutoverRequest & { go: boolean }> | undefined) => {
        if (typeof request?.go !== 'boolean') refuse('a decision needs `go`: true (go live) or false (no-go)');
        refuse(cutoverRequestProblem(request?.go ? 'go' : 'nogo', request));
        if (progress.decision) return;
        if (request?.go && progress.current !== 'decision')
          refuse(
            `go comes after the sign-off, at the decision step (the cutover's step now: ${progress.current ?? 'none, it is over'})`,
          );
        if (!request?.go && progress.current !== 'signoff' && progress.current !== 'decision')
          refuse(
            `no-go comes after the whole reconciliation, at the sign-off or the decision (the cutover's step now: ${progress.current ?? 'none, it is over'})`,
          );
      },
    },
  );
}
