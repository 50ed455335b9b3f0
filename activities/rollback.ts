import { and, asc, eq, gt, inArray, ne } from 'drizzle-orm';
import type { RecordRef, TargetRecords, TargetRow } from '../connectors/target';
import { checksum } from '../plan/checksum';
import { appendAudit } from '../staging/audit';
import { auditRecords } from '../staging/custody';
import type { StagingDb } from '../staging/db';
import { idMap } from '../staging/schema';
import { analyzeStaging } from '../staging/analyze';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { refOf } from './load';
import { whileAlive } from './liveness';

export interface RollbackPageInput extends PinnedPlanInput {
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
/** Records undone between two heartbeats of a rollback page: what a retry does not do again. */
const CHUNK = 50;

type LedgerRow = typeof idMap.$inferSelect;

/** A row Tern created (or whose first write found nothing there): undone by removing it. */
const createdByTern = (r: LedgerRow) => r.createdByTern !== false || r.beforeImage === null;

/** Where a retried rollback page resumes: the last chunk it finished, and what it had done by then. */
interface PageDetails {
  after: string | null;
  cursor: string;
  deleted: number;
  restored: number;
}

function pageResume(details: unknown, input: RollbackPageInput): PageDetails | undefined {
  const d = details as Partial<PageDetails> | undefined;
  if (!d || typeof d.cursor !== 'string' || d.after !== input.after) return undefined;
  if (typeof d.deleted !== 'number' || typeof d.restored !== 'number') return undefined;
  return { after: input.after, cursor: d.cursor, deleted: d.deleted, restored: d.restored };
}

/**
 * Undoes one page of what Tern did to an object's target, whatever each record's ledger state (pending,
 * written, refused, set aside, deleted): rows it created are deleted, rows it overwrote (or a delta deleted) get
 * their before-image back; the ledger says `rolled_back`. Chunk by chunk, heartbeating the last finished chunk
 * and the counts so far: a retried page resumes there. Idempotent: deleting an absent row and restoring a
 * restored one change nothing.
 */
export async function rollbackPage(ctx: ActivityContext, input: RollbackPageInput): Promise<RollbackPageResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  return whileAlive(undefined, async (liveness) => {
    // Until this attempt gets further, its heartbeats carry where the last one got: a retry of a retry resumes too.
    if (liveness.resumeDetails !== undefined) liveness.beat(liveness.resumeDetails);
    // The target's requests heartbeat through the liveness, so they carry its resume details.
    const writer = await (await ctx.target(plan, input.migrationId, undefined, liveness)).records(input.object);
    const resumed = pageResume(liveness.resumeDetails, input);
    // The loads just bulk-wrote the ledger: its statistics must know its size before it is paged through.
    if (input.after === null && !resumed) await analyzeStaging(ctx.sql, ['id_map']);
    let cursor = resumed?.cursor ?? input.after;
    let deleted = resumed?.deleted ?? 0;
    let restored = resumed?.restored ?? 0;
    const page = await ctx.db
      .select()
      .from(idMap)
      .where(
        and(
          eq(idMap.migrationId, input.migrationId),
          eq(idMap.object, input.object),
          ne(idMap.state, 'rolled_back'),
          cursor === null ? undefined : gt(idMap.sourceId, cursor),
        ),
      )
      .orderBy(asc(idMap.sourceId))
      .limit(PAGE);
    if (page.length === 0) return { next: null, deleted, restored };
    for (let i = 0; i < page.length; i += CHUNK) {
      const chunk = page.slice(i, i + CHUNK);
      liveness.throwIfCancelled();
      const created = chunk.filter(createdByTern);
      const overwritten = chunk.filter((r) => !createdByTern(r));
      const removed = await writer.remove(created.map((r) => refOf(r.sourceId, r)));
      await writer.restore(overwritten.map((r) => ({ ref: refOf(r.sourceId, r), image: r.beforeImage as TargetRow })));
      // The ledger rows and the entry saying what the target removed and restored for them: one transaction.
      await ctx.db.transaction(async (tx) => {
        const marked = await markRolledBack(
          tx,
          input,
          chunk.map((r) => r.sourceId),
        );
        await auditRecords(tx, {
          migrationId: input.migrationId,
          action: 'records.rolled_back',
          phase: 'rollback',
          object: input.object,
          ids: marked,
          details: { removed, restored: overwritten.length },
        });
      });
      deleted += created.length;
      restored += overwritten.length;
      cursor = chunk[chunk.length - 1]!.sourceId;
      liveness.beat({ after: input.after, cursor, deleted, restored } satisfies PageDetails);
    }
    return { next: cursor, deleted, restored };
  });
}

/** Marks these ledger rows rolled back (those not already); returns the source ids it marked. */
async function markRolledBack(
  tx: StagingDb,
  input: { migrationId: string; object: string },
  sourceIds: string[],
): Promise<string[]> {
  if (sourceIds.length === 0) return [];
  const marked = await tx
    .update(idMap)
    .set({ state: 'rolled_back', runPhase: 'rollback', updatedAt: new Date() })
    .where(
      and(
        eq(idMap.migrationId, input.migrationId),
        eq(idMap.object, input.object),
        inArray(idMap.sourceId, sourceIds),
        ne(idMap.state, 'rolled_back'),
      ),
    )
    .returning({ sourceId: idMap.sourceId });
  return marked.map((r) => r.sourceId);
}

export interface RollbackVerification {
  object: string;
  /** Ledger rows checked against the target: every row of the object, whatever its state. */
  rolledBack: number;
  /** Rows Tern created that are gone, as they must be. */
  removed: number;
  /** Rows Tern overwrote that read back equal to their before-image. */
  restored: number;
  /**
   * Target rows of staged records the ledger has no entry for (targets keyed by the source id): a row Tern wrote
   * whose ledger entry was lost, or one that was there before Tern. Counted as mismatches, never removed: Tern
   * cannot prove it wrote them.
   */
  unledgered: number;
  /** Rows still present that Tern created, restored rows that differ from their before-image, unledgered rows. */
  mismatches: number;
  mismatchExamples: string[];
  /** Mismatches of Tern's rows this verification put right (removed, or restored again): look again. */
  repaired: number;
  ok: boolean;
}

export interface VerifyRollbackInput extends PinnedPlanInput {
  migrationId: string;
  object: string;
  /** Put right what is found (remove a leftover Tern created, restore a before-image again). */
  repair?: boolean;
}

/** Where a retried verification resumes: which pass, the last source id it finished, and its counts by then. */
interface VerifyDetails {
  pass: 'ledger' | 'staged';
  after: string;
  result: RollbackVerification;
}

const VERIFY_PAGE = 1000;

function verifyResume(details: unknown, object: string): VerifyDetails | undefined {
  const d = details as Partial<VerifyDetails> | undefined;
  if (!d || (d.pass !== 'ledger' && d.pass !== 'staged') || typeof d.after !== 'string') return undefined;
  if (d.result?.object !== object) return undefined;
  return { pass: d.pass, after: d.after, result: { ...d.result, mismatchExamples: [...d.result.mismatchExamples] } };
}

/**
 * Proves a rollback by reading the target itself. Every ledger row of the object, whatever its state: a row Tern
 * created must be absent, a row it overwrote must equal its before-image. For targets keyed by the source id,
 * every staged record the ledger has no entry for is looked up too, so a row Tern wrote whose ledger entry was
 * lost is found. With `repair`, leftovers of Tern's rows (a write that landed after the rollback's pages) are
 * removed or restored again, and counted; the caller verifies again. Resumes from its heartbeat details on retry.
 */
export async function verifyRollback(ctx: ActivityContext, input: VerifyRollbackInput): Promise<RollbackVerification> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  return whileAlive(undefined, async (liveness) => {
    // Until this attempt gets further, its heartbeats carry where the last one got: a retry of a retry resumes too.
    if (liveness.resumeDetails !== undefined) liveness.beat(liveness.resumeDetails);
    // The target's requests heartbeat through the liveness, so they carry its resume details.
    const writer = await (await ctx.target(plan, input.migrationId, undefined, liveness)).records(input.object);
    const resumed = verifyResume(liveness.resumeDetails, input.object);
    const result: RollbackVerification = resumed?.result ?? {
      object: input.object,
      rolledBack: 0,
      removed: 0,
      restored: 0,
      unledgered: 0,
      mismatches: 0,
      mismatchExamples: [],
      repaired: 0,
      ok: false,
    };
    const mismatch = (sourceId: string) => {
      result.mismatches += 1;
      if (result.mismatchExamples.length < 20) result.mismatchExamples.push(sourceId);
    };
    let pass = resumed?.pass ?? 'ledger';
    let after = resumed?.after ?? '';
    if (pass === 'ledger') {
      for (;;) {
        const page = await ctx.db
          .select()
          .from(idMap)
          .where(
            and(eq(idMap.migrationId, input.migrationId), eq(idMap.object, input.object), gt(idMap.sourceId, after)),
          )
          .orderBy(asc(idMap.sourceId))
          .limit(VERIFY_PAGE);
        if (page.length === 0) break;
        const now = await writer.lookup(page.map((r) => refOf(r.sourceId, r)));
        const leftovers: LedgerRow[] = [];
        const differing: LedgerRow[] = [];
        for (const r of page) {
          result.rolledBack += 1;
          const row = now.get(r.sourceId);
          if (createdByTern(r)) {
            if (row === undefined) result.removed += 1;
            else {
              mismatch(r.sourceId);
              leftovers.push(r);
            }
          } else if (row !== undefined && sameAsBefore(writer, row, r.beforeImage as TargetRow)) result.restored += 1;
          else {
            mismatch(r.sourceId);
            differing.push(r);
          }
        }
        if (input.repair) await repair(ctx, input, writer, page, leftovers, differing, result);
        after = page[page.length - 1]!.sourceId;
        liveness.beat({ pass, after, result } satisfies VerifyDetails);
      }
      pass = 'staged';
      after = '';
      liveness.beat({ pass, after, result } satisfies VerifyDetails);
    }
    if (writer.keyIsSourceId) {
      for (;;) {
        const page = await ctx.sql<{ source_id: string }[]>`
          select s.source_id from staged_records s
          where s.migration_id = ${input.migrationId} and s.object = ${input.object} and s.source_id > ${after}
            and not exists (select 1 from id_map m where m.migration_id = s.migration_id and m.object = s.object
                                                     and m.source_id = s.source_id)
          order by s.source_id limit ${VERIFY_PAGE}`;
        if (page.length === 0) break;
        const now = await writer.lookup(page.map((r) => refOf(r.source_id, undefined)));
        for (const r of page)
          if (now.has(r.source_id)) {
            result.unledgered += 1;
            mismatch(r.source_id);
          }
        after = page[page.length - 1]!.source_id;
        liveness.beat({ pass, after, result } satisfies VerifyDetails);
      }
    }
    result.ok = result.mismatches === 0;
    await appendAudit(ctx.db, {
      migrationId: input.migrationId,
      actor: 'tern',
      action: 'object.rolled_back',
      details: { ...result, mismatchExamples: result.mismatchExamples.length },
    });
    return result;
  });
}

function sameAsBefore(writer: TargetRecords, row: TargetRow, image: TargetRow): boolean {
  const fields = Object.keys(image);
  return checksum(writer.canonicalReadBack(row, fields)) === checksum(writer.canonicalReadBack(image, fields));
}

/**
 * Puts right what a verification page found of Tern's rows, and marks the page's ledger rows rolled back; what it
 * put right and what it marked go to the audit log in the transaction that marks them.
 */
async function repair(
  ctx: ActivityContext,
  input: VerifyRollbackInput,
  writer: TargetRecords,
  page: LedgerRow[],
  leftovers: LedgerRow[],
  differing: LedgerRow[],
  result: RollbackVerification,
): Promise<void> {
  const ref = (r: LedgerRow): RecordRef => refOf(r.sourceId, r);
  const removed = leftovers.length > 0 ? await writer.remove(leftovers.map(ref)) : 0;
  const restored: string[] = [];
  for (const r of differing) {
    try {
      await writer.restore([{ ref: ref(r), image: r.beforeImage as TargetRow }]);
      restored.push(r.sourceId);
    } catch {
      // Cannot be put back here (a SaaS record that is gone cannot be recreated as it was): it stays a mismatch.
    }
  }
  result.repaired += removed + restored.length;
  const scope = { migrationId: input.migrationId, phase: 'rollback', object: input.object };
  await ctx.db.transaction(async (tx) => {
    const marked = await markRolledBack(
      tx,
      input,
      page.map((r) => r.sourceId),
    );
    await auditRecords(tx, { ...scope, action: 'records.rolled_back', ids: marked, details: { verification: true } });
    await auditRecords(tx, {
      ...scope,
      action: 'records.repaired',
      ids: [...leftovers.map((r) => r.sourceId), ...restored],
      details: { removed, restored: restored.length },
    });
  });
}

/** Removes what a SaaS target adapter created besides records (Front tags), after every object's pages. */
export async function rollbackTargetExtras(
  ctx: ActivityContext,
  input: PinnedPlanInput,
): Promise<{ removed: number; remaining: string[] }> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
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
