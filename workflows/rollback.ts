import {
  ApplicationFailure,
  defineQuery,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { RollbackVerification } from '../activities/rollback';
import { recordingEnd } from './audited';
import { phaseWorkflowId } from './ids';
import { rollbackRequestProblem } from './requests';
import { BOOKKEEPING, LOAD_PAGE, RECONCILE, STOP_LOADS } from './options';

const { rollbackPage, rollbackTargetExtras } = proxyActivities<TernActivities>(LOAD_PAGE);
const { verifyRollback } = proxyActivities<TernActivities>(RECONCILE);
const { recordPhaseEvent, raiseWriteFence } = proxyActivities<TernActivities>(BOOKKEEPING);
const { awaitLoadsClosed } = proxyActivities<TernActivities>(STOP_LOADS);

/** Verification rounds at most: each removes what the one before found (a late write that landed) and looks again. */
const VERIFY_ROUNDS = 3;

export interface RollbackInput {
  migrationId: string;
  /** The plan version the rollback runs, pinned when it started (absent in rollbacks started before: the current plan). */
  planHash?: string;
  /** Object names in dependency order; rolled back in reverse. */
  objects: string[];
  /** Why (required: it goes to the audit log), and who asked. */
  reason: string;
  by: string;
}

export interface RollbackResult {
  migrationId: string;
  phase: 'rollback';
  ok: boolean;
  reason: string;
  by: string;
  objects: (RollbackVerification & {
    deleted: number;
    restoredWrites: number;
    /** Verification rounds run: more than one when a round found (and put right) a leftover. */
    rounds: number;
    /** Leftovers verification found after the pages and put right (removed, or restored again). */
    leftoversRepaired: number;
  })[];
  /** Loading workflows that were still running when the rollback started, waited for until closed. */
  stoppedLoads: string[];
  /** Resources besides records (SaaS tags): removed, and any Tern created that are still there. */
  extras: { removed: number; remaining: string[] };
}

export interface RollbackProgress {
  migrationId: string;
  stage: 'fencing' | 'cancelling' | 'waiting for loads' | 'rolling back' | 'verifying' | 'done';
  objects: { object: string; deleted: number; restored: number; done: boolean }[];
}

export const rollbackProgressQuery = defineQuery<RollbackProgress>('progress');

/**
 * Rolls a migration back. First the write fence goes up (no load attempt still in flight can write, or mark a
 * record written, after it); then the loading phases are cancelled and the rollback waits until every loading
 * workflow of the migration is closed, i.e. no page is still running. Then, in reverse dependency order, it
 * deletes what Tern created and restores the before-image of what it overwrote, page by page (resumable,
 * idempotent), and proves it by reading the target: created rows are gone, overwritten rows equal their
 * before-images. A leftover the proof finds (a write that landed late) is put right and looked at again, a few
 * rounds at most; what remains is reported and the rollback is not OK.
 */
export async function rollbackWorkflow(input: RollbackInput): Promise<RollbackResult> {
  return recordingEnd({ migrationId: input.migrationId, phase: 'rollback' }, () => rollBack(input));
}

async function rollBack(input: RollbackInput): Promise<RollbackResult> {
  const problem = rollbackRequestProblem(input);
  if (problem) throw ApplicationFailure.create({ message: problem, type: 'PlanError', nonRetryable: true });
  const progress: RollbackProgress = {
    migrationId: input.migrationId,
    stage: 'fencing',
    objects: [...input.objects].reverse().map((object) => ({ object, deleted: 0, restored: 0, done: false })),
  };
  setHandler(rollbackProgressQuery, () => progress);
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: 'rollback',
    event: 'started',
    summary: { reason: input.reason, by: input.by },
  });
  await raiseWriteFence({ migrationId: input.migrationId, by: input.by, reason: input.reason });
  progress.stage = 'cancelling';
  for (const phase of ['sample', 'full', 'delta'] as const) {
    try {
      await getExternalWorkflowHandle(phaseWorkflowId(input.migrationId, phase)).cancel();
    } catch {
      // Not running (finished, or never started): nothing in flight to stop.
    }
  }
  progress.stage = 'waiting for loads';
  const { waitedFor } = await awaitLoadsClosed({ migrationId: input.migrationId, objects: input.objects });
  progress.stage = 'rolling back';
  for (const o of progress.objects) {
    let after: string | null = null;
    for (;;) {
      const page: { next: string | null; deleted: number; restored: number } = await rollbackPage({
        migrationId: input.migrationId,
        planHash: input.planHash,
        object: o.object,
        after,
      });
      o.deleted += page.deleted;
      o.restored += page.restored;
      if (page.next === null) break;
      after = page.next;
    }
    o.done = true;
  }
  // The records are proven before the extras go: a SaaS lookup needs the key attribute Tern created.
  progress.stage = 'verifying';
  const objects: RollbackResult['objects'] = [];
  for (const o of progress.objects) {
    let verified: RollbackVerification | undefined;
    let rounds = 0;
    let leftoversRepaired = 0;
    while (rounds < VERIFY_ROUNDS && (verified === undefined || !verified.ok)) {
      rounds += 1;
      // Every round but the last puts right what it finds; the last one only looks.
      verified = await verifyRollback({
        migrationId: input.migrationId,
        planHash: input.planHash,
        object: o.object,
        repair: rounds < VERIFY_ROUNDS,
      });
      leftoversRepaired += verified.repaired;
    }
    objects.push({ ...verified!, deleted: o.deleted, restoredWrites: o.restored, rounds, leftoversRepaired });
  }
  // Tags and the like that Tern created in a SaaS target go once no record uses them.
  const extras = await rollbackTargetExtras({ migrationId: input.migrationId, planHash: input.planHash });
  progress.stage = 'done';
  const result: RollbackResult = {
    migrationId: input.migrationId,
    phase: 'rollback',
    ok: objects.every((o) => o.ok) && extras.remaining.length === 0,
    reason: input.reason,
    by: input.by,
    objects,
    extras,
    stoppedLoads: waitedFor,
  };
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: 'rollback',
    event: 'completed',
    summary: {
      ok: result.ok,
      objects: objects.map((o) => ({
        object: o.object,
        removed: o.removed,
        restored: o.restored,
        mismatches: o.mismatches,
        rounds: o.rounds,
        leftoversRepaired: o.leftoversRepaired,
      })),
      stoppedLoads: waitedFor,
    },
  });
  return result;
}
