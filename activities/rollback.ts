import { Context } from '@temporalio/activity';
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { checksum } from '../plan/checksum';
import { appendAudit } from '../staging/audit';
import { idMap } from '../staging/schema';
import type { ActivityContext } from './deps';
import { refOf } from './load';

export interface RollbackPageInput {
  migrationId: string;
  object: string;
  after: string | null;
}

export interface RollbackPageResult {
  next: string | null;
  /** Target rows Tern had created, deleted. */
  deleted: number;
  /** Target rows Tern had overwritten (or a delta deleted), put back as they were. */
  restored: number;
}

const PAGE = 500;
/** Ledger states whose target rows Tern touched and a rollback must undo. */
const TOUCHED = ['written', 'pending', 'deleted'];

/**
 * Undoes one page of what Tern did to an object's target: rows it created are deleted, rows it overwrote
 * (or a delta deleted) get their before-image back; the ledger says `rolled_back`. Idempotent: deleting an
 * absent row and restoring a restored one change nothing, so a retried page is harmless.
 */
export async function rollbackPage(ctx: ActivityContext, input: RollbackPageInput): Promise<RollbackPageResult> {
  const { plan } = await ctx.migration(input.migrationId);
  const writer = await (await ctx.target(plan, input.migrationId)).records(input.object);
  const page = await ctx.db
    .select()
    .from(idMap)
    .where(
      and(
        eq(idMap.migrationId, input.migrationId),
        eq(idMap.object, input.object),
        inArray(idMap.state, TOUCHED),
        input.after === null ? undefined : gt(idMap.sourceId, input.after),
      ),
    )
    .orderBy(asc(idMap.sourceId))
    .limit(PAGE);
  if (page.length === 0) return { next: null, deleted: 0, restored: 0 };
  const created = page.filter((r) => r.createdByTern !== false || r.beforeImage === null);
  const overwritten = page.filter((r) => r.createdByTern === false && r.beforeImage !== null);
  await writer.remove(created.map((r) => refOf(r.sourceId, r)));
  Context.current().heartbeat({ after: input.after });
  await writer.restore(
    overwritten.map((r) => ({ ref: refOf(r.sourceId, r), image: r.beforeImage as Record<string, string | null> })),
  );
  await ctx.db
    .update(idMap)
    .set({ state: 'rolled_back', runPhase: 'rollback', updatedAt: new Date() })
    .where(
      and(
        eq(idMap.migrationId, input.migrationId),
        eq(idMap.object, input.object),
        inArray(
          idMap.sourceId,
          page.map((r) => r.sourceId),
        ),
      ),
    );
  return { next: page[page.length - 1]!.sourceId, deleted: created.length, restored: overwritten.length };
}

export interface RollbackVerification {
  object: string;
  rolledBack: number;
  /** Rows Tern created that are gone, as they must be. */
  removed: number;
  /** Rows Tern overwrote that read back equal to their before-image. */
  restored: number;
  /** Rows still present that Tern created, or restored rows that differ from their before-image. */
  mismatches: number;
  mismatchExamples: string[];
  ok: boolean;
}

/** Proves a rollback: every row Tern created is absent, every overwritten row equals its before-image. */
export async function verifyRollback(
  ctx: ActivityContext,
  input: { migrationId: string; object: string },
): Promise<RollbackVerification> {
  const { plan } = await ctx.migration(input.migrationId);
  const writer = await (await ctx.target(plan, input.migrationId)).records(input.object);
  const result: RollbackVerification = {
    object: input.object,
    rolledBack: 0,
    removed: 0,
    restored: 0,
    mismatches: 0,
    mismatchExamples: [],
    ok: false,
  };
  let after = '';
  for (;;) {
    const page = await ctx.db
      .select()
      .from(idMap)
      .where(
        and(
          eq(idMap.migrationId, input.migrationId),
          eq(idMap.object, input.object),
          eq(idMap.state, 'rolled_back'),
          gt(idMap.sourceId, after),
        ),
      )
      .orderBy(asc(idMap.sourceId))
      .limit(1000);
    if (page.length === 0) break;
    after = page[page.length - 1]!.sourceId;
    const now = await writer.lookup(page.map((r) => refOf(r.sourceId, r)));
    for (const r of page) {
      result.rolledBack += 1;
      const row = now.get(r.sourceId);
      const image = r.beforeImage as Record<string, string | null> | null;
      const restoredOk =
        image !== null &&
        r.createdByTern === false &&
        row !== undefined &&
        checksum(writer.canonicalReadBack(row, Object.keys(image))) ===
          checksum(writer.canonicalReadBack(image, Object.keys(image)));
      const removedOk = (image === null || r.createdByTern !== false) && row === undefined;
      if (restoredOk) result.restored += 1;
      else if (removedOk) result.removed += 1;
      else {
        result.mismatches += 1;
        if (result.mismatchExamples.length < 20) result.mismatchExamples.push(r.sourceId);
      }
    }
    Context.current().heartbeat({ after });
  }
  result.ok = result.mismatches === 0;
  await appendAudit(ctx.db, {
    migrationId: input.migrationId,
    actor: 'tern',
    action: 'object.rolled_back',
    details: { ...result, mismatchExamples: result.mismatchExamples.length },
  });
  return result;
}

/** Removes what a SaaS target adapter created besides records (Front tags), after every object's pages. */
export async function rollbackTargetExtras(
  ctx: ActivityContext,
  input: { migrationId: string },
): Promise<{ removed: number; remaining: string[] }> {
  const { plan } = await ctx.migration(input.migrationId);
  const target = await ctx.target(plan, input.migrationId);
  const removed = (await target.rollbackExtras?.())?.removed ?? 0;
  const remaining = (await target.verifyExtras?.())?.remaining ?? [];
  if (removed > 0 || remaining.length > 0)
    await appendAudit(ctx.db, {
      migrationId: input.migrationId,
      actor: 'tern',
      action: 'target_extras.rolled_back',
      details: { removed, remaining },
    });
  return { removed, remaining };
}
