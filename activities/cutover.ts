import { appendAudit } from '../staging/audit';
import type { CutoverStepName } from '../plan/cutover-schema';
import type { ActivityContext } from './deps';

/** What a cutover step went through: its start and end, a missed deadline, and the people's decisions on the way. */
export type CutoverStepEvent = 'started' | 'completed' | 'failed' | 'skipped' | 'overdue';

export interface CutoverStepEventInput {
  migrationId: string;
  step: CutoverStepName;
  event: CutoverStepEvent;
  /** Who (a person's `by` is the entry's actor), why, deadlines, verdicts: names, hashes and counts only. */
  summary?: Record<string, unknown>;
}

/** Appends one audit entry for a cutover step (`cutover.<step>.<event>`), a person's `by` as its actor. */
export async function recordCutoverStep(ctx: ActivityContext, input: CutoverStepEventInput): Promise<void> {
  const by = input.summary?.by;
  await appendAudit(ctx.db, {
    migrationId: input.migrationId,
    actor: typeof by === 'string' && by ? by : 'tern',
    action: `cutover.${input.step}.${input.event}`,
    details: { step: input.step, ...(input.summary ?? {}) },
  });
}

export interface AnnounceCutoverInput {
  migrationId: string;
  planHash: string;
  by: string;
  /** Each step's deadline (ISO), as the cutover computed it from its start. */
  deadlines: { step: CutoverStepName; at: string }[];
}

/**
 * Announces the freeze: the audit log gets the timeline (every step's deadline) and the plan's announcement, read
 * from the plan version the cutover pinned, so its text never travels through the workflow's history.
 */
export async function announceCutover(ctx: ActivityContext, input: AnnounceCutoverInput): Promise<void> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  await appendAudit(ctx.db, {
    migrationId: input.migrationId,
    actor: input.by,
    action: 'cutover.announced',
    details: {
      plan: plan.name,
      planHash: input.planHash,
      announcement:
        plan.cutover?.announcement ??
        `${plan.name}: the source is about to be frozen for the cutover to the new system`,
      deadlines: input.deadlines,
    },
  });
}
