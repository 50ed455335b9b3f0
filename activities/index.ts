import { extractObject, type ExtractInput } from './extract';
import { loadPage, type LoadPageInput } from './load';
import { splitLoadRanges, type SplitRangesInput } from './ranges';
import { reconcileObject } from './reconcile';
import type { ReconcileInput } from './reconciliation';
import { recordPhaseEvent, type PhaseEventInput } from './runs';
import {
  announceCutover,
  proofPackHash,
  recordCutoverStep,
  writeSignoffPack,
  type AnnounceCutoverInput,
  type CutoverStepEventInput,
} from './cutover';
import { extractDelta, type DeltaExtractInput } from './delta';
import {
  rollbackPage,
  rollbackTargetExtras,
  verifyRollback,
  type RollbackPageInput,
  type VerifyRollbackInput,
} from './rollback';
import { awaitLoadsClosed, liftWriteFence, raiseWriteFence, type AwaitLoadsInput, type FenceInput } from './fence';
import { countToLoad, selectSample, type SampleInput } from './sample';
import {
  applyRules,
  checkGoldSchema,
  dryRunObject,
  freezeGoldSchema,
  profileObject,
  validatePlan,
  type ObjectInput,
} from './preferences';
import { vendorActivity } from './vendor';
import { ApplicationFailure } from '@temporalio/common';
import { TernError, TransientDatabaseError } from '../common/errors';
import { countedActivities } from './metrics';
import { ActivityContext, type ActivityDeps, type PinnedPlanInput } from './deps';

/**
 * A TernError is a problem a person must fix (a missing file, a bad plan): retrying cannot help, so it
 * fails the activity for good, carrying its fix in the message the operator will see. A database that was
 * unreachable only for a moment (TransientDatabaseError: refused, reset, restarting) is retried instead.
 */
function personFixable<I, O>(fn: (input: I) => Promise<O>): (input: I) => Promise<O> {
  // Vendor errors first: a 429 or a transient failure is retried, not a problem for a person.
  const vendorAware = vendorActivity(fn);
  return async (input) => {
    try {
      return await vendorAware(input);
    } catch (err) {
      if (err instanceof TernError)
        throw ApplicationFailure.create({
          message: err.toLine(),
          type: err.name,
          nonRetryable: !(err instanceof TransientDatabaseError),
        });
      throw err;
    }
  };
}

/**
 * Tern's activities, built from their dependencies so tests and workers pass real databases.
 * Each one is thin: it calls connectors, plan code and staging.
 */
export function createActivities(deps: ActivityDeps) {
  const ctx = new ActivityContext(deps);
  const activities = {
    extractObject: personFixable((input: ExtractInput) => extractObject(ctx, input)),
    loadPage: personFixable((input: LoadPageInput) => loadPage(ctx, input)),
    splitLoadRanges: personFixable((input: SplitRangesInput) => splitLoadRanges(ctx, input)),
    reconcileObject: personFixable((input: ReconcileInput) => reconcileObject(ctx, input)),
    recordPhaseEvent: personFixable((input: PhaseEventInput) => recordPhaseEvent(ctx, input)),
    applyRules: personFixable((input: ObjectInput) => applyRules(ctx, input)),
    profileObject: personFixable((input: ObjectInput) => profileObject(ctx, input)),
    dryRunObject: personFixable((input: ObjectInput) => dryRunObject(ctx, input)),
    freezeGoldSchema: personFixable((input: PinnedPlanInput) => freezeGoldSchema(ctx, input)),
    validatePlan: personFixable((input: PinnedPlanInput) => validatePlan(ctx, input)),
    checkGoldSchema: personFixable((input: PinnedPlanInput) => checkGoldSchema(ctx, input)),
    selectSample: personFixable((input: SampleInput) => selectSample(ctx, input)),
    countToLoad: personFixable((input: { migrationId: string; object: string; phase: string }) =>
      countToLoad(ctx, input),
    ),
    extractDelta: personFixable((input: DeltaExtractInput) => extractDelta(ctx, input)),
    rollbackPage: personFixable((input: RollbackPageInput) => rollbackPage(ctx, input)),
    verifyRollback: personFixable((input: VerifyRollbackInput) => verifyRollback(ctx, input)),
    rollbackTargetExtras: personFixable((input: PinnedPlanInput) => rollbackTargetExtras(ctx, input)),
    raiseWriteFence: personFixable((input: FenceInput) => raiseWriteFence(ctx, input)),
    liftWriteFence: personFixable((input: { migrationId: string; phase: string; phaseStartedAt: string }) =>
      liftWriteFence(ctx, input),
    ),
    awaitLoadsClosed: personFixable((input: AwaitLoadsInput) => awaitLoadsClosed(ctx, input)),
    recordCutoverStep: personFixable((input: CutoverStepEventInput) => recordCutoverStep(ctx, input)),
    announceCutover: personFixable((input: AnnounceCutoverInput) => announceCutover(ctx, input)),
    writeSignoffPack: personFixable((input: { migrationId: string }) => writeSignoffPack(ctx, input)),
    proofPackHash: personFixable((input: { migrationId: string }) => proofPackHash(ctx, input)),
  };
  // What extraction, load pages and reconciliations return also feeds the worker's metrics (activities/metrics.ts).
  return countedActivities(activities);
}

export type TernActivities = ReturnType<typeof createActivities>;
export type { ExtractResult } from './extract';
export type { LoadPageResult } from './load';
export type { LoadRange, SplitRangesResult } from './ranges';
export type { ObjectReconciliation } from './reconciliation';
export type { PhaseEventInput } from './runs';
