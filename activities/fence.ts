import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { appendAudit } from '../staging/audit';
import { liftFence, raiseFence } from '../staging/repos/fence';
import { inTransaction } from '../staging/transaction';
import { phaseWorkflowId } from '../workflows/ids';
import { objectWorkflowId, type LoadPhase } from '../workflows/phase';
import type { ActivityContext } from './deps';
import { whileAlive } from './liveness';

/**
 * What stands between a rollback and the loads of its migration: the write fence (raised first, so no attempt
 * still in flight can write or mark anything written after it) and the wait until every loading workflow has
 * closed (so no page is still running when the rollback starts undoing).
 */

const LOADING_PHASES: readonly LoadPhase[] = ['sample', 'full', 'delta'];

/** How often a rollback looks again at the loading workflows it waits for. */
const POLL_MS = 500;

export interface FenceInput {
  migrationId: string;
  /** Who asked for the rollback (audited). */
  by: string;
  reason: string;
}

/** Raises the write fence of a migration: the first thing a rollback does, before it cancels anything. */
export async function raiseWriteFence(ctx: ActivityContext, input: FenceInput): Promise<void> {
  await inTransaction(ctx.db, async (tx, sql) => {
    await raiseFence(sql, input.migrationId, input.by);
    await appendAudit(tx, {
      migrationId: input.migrationId,
      actor: input.by,
      action: 'writes.fenced',
      details: { reason: input.reason },
    });
  });
}

/**
 * Lifts the write fence when a loading phase starts: only a fence raised before the phase started (a rollback
 * that has run its course), never one a rollback raised while this phase was starting.
 */
export async function liftWriteFence(
  ctx: ActivityContext,
  input: { migrationId: string; phase: string; phaseStartedAt: string },
): Promise<{ lifted: boolean }> {
  const lifted = await inTransaction(ctx.db, async (tx, sql) => {
    if (!(await liftFence(sql, input.migrationId, new Date(input.phaseStartedAt)))) return false;
    await appendAudit(tx, {
      migrationId: input.migrationId,
      actor: 'tern',
      action: 'writes.unfenced',
      details: { phase: input.phase },
    });
    return true;
  });
  return { lifted };
}

export interface AwaitLoadsInput {
  migrationId: string;
  /** The plan's object names: each loading phase runs one child workflow per object. */
  objects: string[];
}

export interface AwaitLoadsResult {
  /** Loading workflows that were still running when the rollback looked, each now closed. */
  waitedFor: string[];
}

/** Every loading workflow of a migration: the phases, and the child that loads each object in each of them. */
export function loadingWorkflows(migrationId: string, objects: readonly string[]): { id: string; parent?: string }[] {
  return LOADING_PHASES.flatMap((phase) => {
    const parent = phaseWorkflowId(migrationId, phase);
    return [{ id: parent }, ...objects.map((object) => ({ id: objectWorkflowId(migrationId, phase, object), parent }))];
  });
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false; // never started
    throw err;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits until no loading workflow of the migration is running. A loading phase still running is asked to stop
 * (the rollback workflow asked already; asking again is harmless), and so is an object's load whose phase is no
 * longer there to stop it; a phase stops its running child itself and waits for it. Loading workflows wait for
 * their page to stop, so once all are closed no write of theirs is in flight.
 */
export async function awaitLoadsClosed(ctx: ActivityContext, input: AwaitLoadsInput): Promise<AwaitLoadsResult> {
  const client = ctx.temporalClient();
  const workflows = loadingWorkflows(input.migrationId, input.objects);
  return whileAlive({ running: [] }, async (liveness) => {
    const waitedFor = new Set<string>();
    const asked = new Set<string>();
    for (;;) {
      liveness.throwIfCancelled();
      const running = new Set<string>();
      for (const w of workflows) if (await isRunning(client, w.id)) running.add(w.id);
      if (running.size === 0) break;
      for (const w of workflows) {
        if (!running.has(w.id)) continue;
        waitedFor.add(w.id);
        const orphan = w.parent !== undefined && !running.has(w.parent);
        if ((w.parent === undefined || orphan) && !asked.has(w.id)) {
          asked.add(w.id);
          await client.workflow
            .getHandle(w.id)
            .cancel()
            // Closed meanwhile: the next look sees it.
            .catch(() => undefined);
        }
      }
      liveness.beat({ running: [...running] });
      await pause(POLL_MS, liveness.signal);
    }
    if (waitedFor.size > 0)
      await appendAudit(ctx.db, {
        migrationId: input.migrationId,
        actor: 'tern',
        action: 'loads.stopped',
        details: { workflows: [...waitedFor].sort() },
      });
    return { waitedFor: [...waitedFor].sort() };
  });
}
