import { Context } from '@temporalio/activity';
import { and, eq, isNull } from 'drizzle-orm';
import { appendAudit } from '../staging/audit';
import { runs } from '../staging/schema';
import type { ActivityContext } from './deps';

export interface PhaseEventInput {
  migrationId: string;
  phase: string;
  event: 'started' | 'completed' | 'failed' | 'approved' | 'cancelled';
  summary?: Record<string, unknown>;
}

/** Records a phase's start or end in the runs table and the audit log (idempotent per workflow run). */
export async function recordPhaseEvent(ctx: ActivityContext, input: PhaseEventInput): Promise<void> {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? `${input.migrationId}/${input.phase}`;
  const temporalRunId = info.workflowExecution?.runId ?? null;
  if (input.event === 'started') {
    const [open] = await ctx.db
      .select({ id: runs.id })
      .from(runs)
      .where(and(eq(runs.workflowId, workflowId), isNull(runs.finishedAt)));
    if (open) return;
    await ctx.db
      .insert(runs)
      .values({ migrationId: input.migrationId, phase: input.phase, workflowId, temporalRunId, status: 'running' });
  } else if (input.event !== 'approved') {
    await ctx.db
      .update(runs)
      .set({ status: input.event, summary: input.summary ?? null, finishedAt: new Date() })
      .where(and(eq(runs.workflowId, workflowId), isNull(runs.finishedAt)));
  }
  await appendAudit(ctx.db, {
    migrationId: input.migrationId,
    actor: input.event === 'approved' && typeof input.summary?.by === 'string' ? input.summary.by : 'tern',
    action: `phase.${input.event}`,
    details: { phase: input.phase, workflowId, ...(input.summary ?? {}) },
  });
}
