import { Context } from '@temporalio/activity';
import { and, eq, isNull } from 'drizzle-orm';
import { appendAudit } from '../staging/audit';
import { runs } from '../staging/schema';
import type { ActivityContext } from './deps';

/** What a phase's run went through: its start and end, and what people did to it on the way. */
export type PhaseEvent = 'started' | 'completed' | 'failed' | 'cancelled' | 'approved' | 'paused' | 'resumed';

export interface PhaseEventInput {
  migrationId: string;
  phase: string;
  event: PhaseEvent;
  /** Counts, who and why; for `approved`, `paused` and `resumed` its `by` is the entry's actor. */
  summary?: Record<string, unknown>;
}

const ENDS = new Set<PhaseEvent>(['completed', 'failed', 'cancelled']);
/** Events a person caused: the entry's actor is who (`summary.by`). */
const BY_PEOPLE = new Set<PhaseEvent>(['approved', 'paused', 'resumed']);

/**
 * Records a phase's start or end in the runs table and the audit log, in one transaction (idempotent per workflow
 * run); approvals, pauses and resumes go to the audit log, with who asked.
 */
export async function recordPhaseEvent(ctx: ActivityContext, input: PhaseEventInput): Promise<void> {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? `${input.migrationId}/${input.phase}`;
  const temporalRunId = info.workflowExecution?.runId ?? null;
  const by = input.summary?.by;
  await ctx.db.transaction(async (tx) => {
    if (input.event === 'started') {
      const [open] = await tx
        .select({ id: runs.id })
        .from(runs)
        .where(and(eq(runs.workflowId, workflowId), isNull(runs.finishedAt)));
      if (open) return;
      await tx
        .insert(runs)
        .values({ migrationId: input.migrationId, phase: input.phase, workflowId, temporalRunId, status: 'running' });
    } else if (ENDS.has(input.event)) {
      await tx
        .update(runs)
        .set({ status: input.event, summary: input.summary ?? null, finishedAt: new Date() })
        .where(and(eq(runs.workflowId, workflowId), isNull(runs.finishedAt)));
    }
    await appendAudit(tx, {
      migrationId: input.migrationId,
      actor: BY_PEOPLE.has(input.event) && typeof by === 'string' ? by : 'tern',
      action: `phase.${input.event}`,
      details: { phase: input.phase, workflowId, ...(input.summary ?? {}) },
    });
  });
}
