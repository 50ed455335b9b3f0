import path from 'node:path';
import { loadSettings } from '../common/config';
import { buildProofPack } from '../report/load';
import { writeProofPack } from '../report/write';
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

/** The proof pack the cutover presents for sign-off: where the worker wrote it, and its content hash. */
export interface SignoffPack {
  migrationId: string;
  contentHash: string;
  /** The HTML page on the worker's machine (`<TERN_HOME>/reports/`); its JSON lies beside it. */
  path: string;
  bytes: number;
  /** The pack's own verdict: every proof holds, and how many fail. */
  ok: boolean;
  failures: number;
}

/**
 * Writes the migration's proof pack for the sign-off, where the worker keeps its files (`<TERN_HOME>/reports`),
 * from staging as it stands: on the embedded database only the process running the cutover can read staging, so
 * the pack a person signs is written there. The workflow keeps only the path, the hash and the verdict.
 */
export async function writeSignoffPack(ctx: ActivityContext, input: { migrationId: string }): Promise<SignoffPack> {
  const dir = path.join(loadSettings(ctx.env).homeDir, 'reports');
  const written = await writeProofPack(ctx.deps.staging, input.migrationId, dir);
  return {
    migrationId: input.migrationId,
    contentHash: written.pack.contentHash,
    path: written.html,
    bytes: written.bytes,
    ok: written.pack.verdict.ok,
    failures: written.pack.verdict.failures.length,
  };
}

/** The content hash of the proof pack staging gives now: a sign-off names it, or the pack read was not this one. */
export async function proofPackHash(ctx: ActivityContext, input: { migrationId: string }): Promise<string> {
  return (await buildProofPack(ctx.deps.staging, input.migrationId)).contentHash;
}
