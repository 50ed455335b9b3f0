import {
  ApplicationFailure,
  defineQuery,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { RollbackVerification } from '../activities/rollback';
import { phaseWorkflowId } from './ids';
import { rollbackRequestProblem } from './requests';
import { BOOKKEEPING, LOAD_PAGE, RECONCILE } from './options';

const { rollbackPage, rollbackTargetExtras } = proxyActivities<TernActivities>(LOAD_PAGE);
const { verifyRollback } = proxyActivities<TernActivities>(RECONCILE);
const { recordPhaseEvent } = proxyActivities<TernActivities>(BOOKKEEPING);

export interface RollbackInput {
  migrationId: string;
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
  objects: (RollbackVerification & { deleted: number; restoredWrites: number })[];
  /** Resources besides records (SaaS tags): removed, and any Tern created that are still there. */
  extras: { removed: number; remaining: string[] };
}

export interface RollbackProgress {
  migrationId: string;
  stage: 'cancelling' | 'rolling back' | 'verifying' | 'done';
  objects: { object: string; deleted: number; restored: number; done: boolean }[];
}

export const rollbackProgressQuery = defineQuery<RollbackProgress>('progress');

/**
 * Rolls a migration back: cancels the loading phases still in flight, then, in reverse dependency order,
 * deletes what Tern created and restores the before-image of what it overwrote, page by page (resumable,
 * idempotent), and proves it: created rows are gone, overwritten rows equal their before-images.
 */
export async function rollbackWorkflow(input: RollbackInput): Promise<RollbackResult> {
  const problem = rollbackRequestProblem(input);
  if (problem) throw ApplicationFailure.create({ message: problem, type: 'PlanError', nonRetryable: true });
  const progress: RollbackProgress = {
    migrationId: input.migrationId,
    stage: 'cancelling',
    objects: [...input.objects].reverse().map((object) => ({ object, deleted: 0, restored: 0, done: false })),
  };
  setHandler(rollbackProgressQuery, () => progress);
  await recordPhaseEvent({
    migrationId: input.migrationId,
    phase: 'rollback',
    event: 'started',
    summary: { reason: input.reason, by: input.by },
  });
  for (const phase of ['sample', 'full', 'delta'] as const) {
    try {
      await getExternalWorkflowHandle(phaseWorkflowId(input.migrationId, phase)).cancel();
    } catch {
      // Not running (finished, or never started): nothing in flight to stop.
    }
  }
  progress.stage = 'rolling back';
  for (const o of progress.objects) {
    let after: string | null = null;
    for (;;) {
      const page: { next: string | null; deleted: number; restored: number } = await rollbackPage({
        migrationId: input.migrationId,
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
  // Tags and the like that Tern created in a SaaS target go once no record uses them.
  const extras = await rollbackTargetExtras({ migrationId: input.migrationId });
  progress.stage = 'verifying';
  const objects: RollbackResult['objects'] = [];
  for (const o of progress.objects) {
    const verified = await verifyRollback({ migrationId: input.migrationId, object: o.object });
    objects.push({ ...verified, deleted: o.deleted, restoredWrites: o.restored });
  }
  progress.stage = 'done';
  const result: RollbackResult = {
    migrationId: input.migrationId,
    phase: 'rollback',
    ok: objects.every((o) => o.ok) && extras.remaining.length === 0,
    reason: input.reason,
    by: input.by,
    objects,
    extras,
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
      })),
    },
  });
  return result;
}
