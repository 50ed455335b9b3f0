import {
  allHandlersFinished,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { LoadPageResult, LoadRange, ObjectReconciliation, TernActivities } from '../activities';
import type { DeltaExtractResult } from '../activities/delta';
import type { ObjectSample } from '../activities/sample';
import { loadTaskQueue, phaseWorkflowId, type Phase } from './ids';
import { rollbackRequestProblem } from './requests';
import { rollbackWorkflow } from './rollback';
import { BOOKKEEPING, EXTRACT, LOAD_PAGE, PROFILE, RECONCILE } from './options';

const { extractObject, extractDelta } = proxyActivities<TernActivities>(EXTRACT);
const { reconcileObject } = proxyActivities<TernActivities>(RECONCILE);
const { recordPhaseEvent, checkGoldSchema, countToLoad, liftWriteFence, splitLoadRanges } =
  proxyActivities<TernActivities>(BOOKKEEPING);
const { applyRules, selectSample } = proxyActivities<TernActivities>(PROFILE);

/** The loading phases: a stratified sample, everything, or what changed since. */
export type LoadPhase = Extract<Phase, 'sample' | 'full' | 'delta'>;

export interface ObjectProgress {
  object: string;
  stage: 'waiting' | 'extracting' | 'prepared' | 'loading' | 'reconciling' | 'done';
  /** Records this phase will load (known once prepared). */
  total: number;
  /** Records processed by load pages (written, unchanged or quarantined). */
  done: number;
  written: number;
  quarantined: number;
  deleted: number;
  conflicts: number;
  /** Records per second over the load so far, from the activities' clocks. */
  rate: number | null;
  /** Seconds left at the current rate. */
  etaSeconds: number | null;
  /** Where the only range stands (a load made before ranges; kept for a progress carried from it). */
  cursor: string | null;
  /** The object's source-id ranges, each with its own cursor (`after`); one entry per range, never per page. */
  ranges?: RangeProgress[];
  firstPageAt?: number;
  lastPageAt?: number;
}

/** One range of an object's load: its cursor moves through `after`, and it is finished when a page finds nothing. */
export interface RangeProgress extends LoadRange {
  finished: boolean;
}

function newProgress(object: string, stage: ObjectProgress['stage']): ObjectProgress {
  return {
    object,
    stage,
    total: 0,
    done: 0,
    written: 0,
    quarantined: 0,
    deleted: 0,
    conflicts: 0,
    rate: null,
    etaSeconds: null,
    cursor: null,
  };
}

export interface Approval {
  by: string;
  reason: string;
}

export interface PhaseState {
  objects: ObjectProgress[];
  reconciliations: ObjectReconciliation[];
  prepared: boolean;
  sample?: ObjectSample[];
  delta?: DeltaExtractResult[];
  paused: boolean;
  pauseReason?: string;
  approval?: Approval;
}

export interface PhaseInput {
  migrationId: string;
  phase: LoadPhase;
  /** Object names in dependency order (from the plan; names only, never credentials). */
  objects: string[];
  /** Wait for an `approve` Update (who and why) before writing to the target. */
  gate?: boolean;
  /** Delta only: seconds before the previous high-water mark still read as changed. */
  overlapSeconds?: number;
  /** The plan's target kind: a SaaS target's load pages run on its vendor's task queue. */
  targetKind?: string;
  /** Carried across continue-as-new. */
  state?: PhaseState;
}

export interface PhaseResult {
  migrationId: string;
  phase: Phase;
  ok: boolean;
  objects: ObjectReconciliation[];
  sample?: ObjectSample[];
  delta?: DeltaExtractResult[];
  approval?: Approval;
}

export interface PhaseProgress {
  migrationId: string;
  phase: Phase;
  paused: boolean;
  pauseReason?: string;
  awaitingApproval: boolean;
  approval?: Approval;
  objects: Omit<ObjectProgress, 'cursor' | 'ranges' | 'firstPageAt' | 'lastPageAt'>[];
}

export const progressQuery = defineQuery<PhaseProgress>('progress');
/** One object's load, answered by its child workflow. */
export const objectProgressQuery = defineQuery<ObjectProgress>('progress');
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal('resume');
/** A cutover manager lets a gated phase write to the target: who, and why (both required). */
export const approveUpdate = defineUpdate<Approval, [Approval]>('approve');
/**
 * A cutover manager asks for a rollback from the running phase (who and why, validated): the phase starts
 * the rollback workflow, which cancels the phase's work in flight and undoes what Tern wrote.
 */
export const rollbackUpdate = defineUpdate<{ rollbackWorkflowId: string }, [{ reason: string; by: string }]>(
  'rollback',
);
/** A child tells its phase how its object is doing, after every page. */
export const objectProgressSignal = defineSignal<[ObjectProgress]>('objectProgress');

/** The workflow id of the child that loads one object in one phase. */
export function objectWorkflowId(migrationId: string, phase: LoadPhase, object: string): string {
  return `${migrationId}/${phase}/${object}`;
}

export interface ObjectLoadInput {
  migrationId: string;
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

/** Adds one page to the object's progress: counts, and a rate and ETA from the activities' clocks. */
function count(progress: ObjectProgress, page: LoadPageResult): void {
  progress.done += page.read;
  progress.written += page.written;
  progress.quarantined += page.quarantined;
  progress.deleted += page.deleted;
  progress.conflicts += page.conflicts;
  progress.total = Math.max(progress.total, progress.done);
  progress.firstPageAt = Math.min(progress.firstPageAt ?? page.startedAt, page.startedAt);
  progress.lastPageAt = Math.max(progress.lastPageAt ?? page.finishedAt, page.finishedAt);
  const seconds = (progress.lastPageAt - progress.firstPageAt) / 1000;
  progress.rate = seconds > 0 ? Math.round((progress.done / seconds) * 10) / 10 : null;
  progress.etaSeconds = progress.rate ? Math.ceil(Math.max(progress.total - progress.done, 0) / progress.rate) : null;
}

/**
 * Loads one object of a phase through the idempotent write protocol, then reconciles it: its records are split
 * into source-id ranges (`splitLoadRanges`: one for SaaS targets, several for databases) loaded concurrently, each
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
  const parent = workflowInfo().parent;
  const report = async () => {
    if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(objectProgressSignal, { ...progress });
  };
  if (progress.stage === 'loading') {
    // Split once; the ranges (and each one's cursor) travel with the progress across continue-as-new.
    progress.ranges ??=
      progress.cursor !== null
        ? [{ after: progress.cursor, until: null, finished: false }]
        : (
            await splitLoadRanges({ migrationId: input.migrationId, object: input.object, phase: input.phase })
          ).ranges.map((range) => ({ ...range, finished: false }));
    /** Set when the history asks for a new run, or a range failed: every range stops at its next page boundary. */
    let stopping = false;
    const loadRange = async (range: RangeProgress) => {
      while (!range.finished) {
        await condition(() => !paused || stopping);
        if (stopping) return;
        const page = await loadPage({
          migrationId: input.migrationId,
          object: input.object,
          phase: input.phase,
          after: range.after,
          until: range.until,
        });
        if (page.next === null) range.finished = true;
        else range.after = page.next;
        count(progress, page);
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
      await condition(allHandlersFinished);
      return continueAsNew<typeof objectLoadWorkflow>({ ...input, paused, progress });
    }
    progress.stage = 'reconciling';
    await report();
  }
  const reconciliation = await reconcileObject({
    migrationId: input.migrationId,
    object: input.object,
    phase: input.phase,
  });
  progress.stage = 'done';
  progress.etaSeconds = 0;
  await report();
  await condition(allHandlersFinished);
  return reconciliation;
}

/**
 * One loading phase of a migration. Prepare every object (extract into staging once — or, for a delta, find
 * what changed — then apply the plan's rules); for the sample, draw it; wait for approval when gated; then
 * per object in dependency order load page by page through the idempotent write protocol and reconcile.
 * Durable: a killed worker or restarted server resumes at the last page; long runs continue-as-new with
 * their progress.
 */
export async function migrationPhaseWorkflow(input: PhaseInput): Promise<PhaseResult> {
  try {
    return await runPhase(input);
  } catch (err) {
    // Cancelled (a rollback, an operator): said in the runs and the audit log, even though the phase is cancelled.
    if (isCancellation(err))
      await CancellationScope.nonCancellable(() =>
        recordPhaseEvent({ migrationId: input.migrationId, phase: input.phase, event: 'cancelled' }),
      );
    throw err;
  }
}

async function runPhase(input: PhaseInput): Promise<PhaseResult> {
  const state: PhaseState = input.state ?? {
    objects: input.objects.map((object) => newProgress(object, 'waiting')),
    reconciliations: [],
    prepared: false,
    paused: false,
  };
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
  /** The child loading now, so pause/resume reach it. */
  let running: string | undefined;
  setHandler(pauseSignal, async (args) => {
    state.paused = true;
    state.pauseReason = args?.reason;
    if (running) await getExternalWorkflowHandle(running).signal(pauseSignal, args);
  });
  setHandler(resumeSignal, async () => {
    state.paused = false;
    state.pauseReason = undefined;
    if (running) await getExternalWorkflowHandle(running).signal(resumeSignal);
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
      await recordPhaseEvent({
        migrationId: input.migrationId,
        phase: input.phase,
        event: 'approved',
        summary: { by: state.approval.by, reason: state.approval.reason },
      });
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

  if (!input.state) {
    await recordPhaseEvent({ migrationId: input.migrationId, phase: input.phase, event: 'started' });
    // A new loading phase may write again: it lifts the fence a finished rollback left (not one raised since).
    await liftWriteFence({
      migrationId: input.migrationId,
      phase: input.phase,
      phaseStartedAt: workflowInfo().startTime.toISOString(),
    });
    // Refuses to write into a target whose schema changed since preferences froze it.
    await checkGoldSchema({ migrationId: input.migrationId });
  }

  if (!state.prepared) {
    const delta: DeltaExtractResult[] = [];
    for (const progress of state.objects) {
      progress.stage = 'extracting';
      if (input.phase === 'delta') {
        delta.push(
          await extractDelta({
            migrationId: input.migrationId,
            object: progress.object,
            overlapSeconds: input.overlapSeconds ?? 300,
          }),
        );
      } else {
        const extracted = await extractObject({
          migrationId: input.migrationId,
          object: progress.object,
          phase: input.phase,
        });
        log.info('object extracted', { object: progress.object, ...extracted });
      }
      // The purge and deduplication decide which staged records are not to be loaded.
      await applyRules({ migrationId: input.migrationId, object: progress.object });
      progress.stage = 'prepared';
    }
    if (input.phase === 'delta') state.delta = delta;
    if (input.phase === 'sample')
      state.sample = await selectSample({ migrationId: input.migrationId, objects: input.objects });
    for (const progress of state.objects)
      progress.total = await countToLoad({
        migrationId: input.migrationId,
        object: progress.object,
        phase: input.phase,
      });
    state.prepared = true;
  }

  if (input.gate) await condition(() => state.approval !== undefined);

  for (const progress of state.objects) {
    if (progress.stage === 'done') continue;
    progress.stage = 'loading';
    await condition(() => !state.paused);
    running = objectWorkflowId(input.migrationId, input.phase, progress.object);
    const reconciliation = await executeChild(objectLoadWorkflow, {
      workflowId: running,
      // Cancelled with its phase, the phase waits until the child (and its page) has stopped.
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      args: [
        {
          migrationId: input.migrationId,
          phase: input.phase,
          object: progress.object,
          paused: state.paused,
          total: progress.total,
          targetKind: input.targetKind,
        },
      ],
    });
    running = undefined;
    state.reconciliations.push(reconciliation);
    const done = state.objects.findIndex((o) => o.object === progress.object);
    state.objects[done] = { ...state.objects[done]!, stage: 'done', etaSeconds: 0 };
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof migrationPhaseWorkflow>({ ...input, state });
    }
  }

  const result: PhaseResult = {
    migrationId: input.migrationId,
    phase: input.phase,
    ok: state.reconciliations.every((r) => r.ok),
    objects: state.reconciliations,
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
