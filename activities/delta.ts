import { Context } from '@temporalio/activity';
import { ID_BUCKETS } from '../common/id-digests';
import type { DeletedItem, SourceItem } from '../connectors/source';
import { chooseRead, compareIds, ID_PAGE, type ReadPlan, stagedIds } from './delta-read';
import { checksum } from '../plan/checksum';
import { sourceOf } from '../plan/schema';
import { textOf } from '../plan/text';
import { appendAudit } from '../staging/audit';
import { analyzeStaging, worthAnalyzing } from '../staging/analyze';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { openObjectSource } from './merge-source';
import { RequestMeter } from './meter';
import { parseTimestamp } from './extract';
import type { QuarantineEntry } from '../staging/repos/quarantine';
import { stageChanges, type StagedChange } from '../staging/repos/staged-changes';
import {
  closeReadableAgain,
  duplicateIdEntry,
  missingIdEntry,
  quarantineUnreadable,
  unparseableEntry,
} from './unreadable';

export interface DeltaExtractInput extends PinnedPlanInput {
  migrationId: string;
  object: string;
  /** Seconds before the last high-water mark still treated as "since": clocks and commits are not exact. */
  overlapSeconds: number;
}

export interface DeltaExtractResult {
  object: string;
  /** Source rows read: every row for a whole read; the changed rows (and rows read by id) otherwise. */
  read: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Changed records whose updated-at is older than the previous high-water mark minus the overlap. */
  changedBehindWatermark: number;
  /** Read from the source's change feed or its updated-at column since the previous mark (else read whole). */
  incremental?: boolean;
  /**
   * Which read was made: `whole` (every row read and hashed), `changed` (a SQL source: the rows whose updated-at
   * is at or after the previous mark minus the overlap, and its ids alone for deletions and new rows), `feed`
   * (a vendor's change feed, which names its deletions).
   */
  readScope: 'whole' | 'changed' | 'feed';
  /** Why that read, in one line. */
  readReason: string;
  /** A `changed` read: ids the source listed (ids only), compared with staging's. */
  idsListed?: number;
  /**
   * A `changed` read: the id buckets (of ID_BUCKETS, common/id-digests.ts) whose ids were listed and compared: the
   * buckets whose digests differ from staging's, or all of them when those hold more than half of the ids.
   */
  idBucketsListed?: number;
  /** A `changed` read: rows read by id because the change read could not see them (new rows with an older updated-at). */
  readById?: number;
  /** The previous and the new high-water mark (max source updated-at), ISO; null without an updated-at column. */
  previousWatermark: string | null;
  watermark: string | null;
  /**
   * Lines or rows that could not be read (unparseable, or without a source id): quarantined with their
   * position, never taken as deletions.
   */
  unreadable: number;
  /** Rows reusing an id an earlier row of the same read holds: quarantined, the first row stands. */
  duplicateIds: number;
  /** Every item of the source was read (no unreadable item, the read reached its end). */
  complete: boolean;
  /**
   * Deletions were inferred from absence (a complete whole read, or the id listing of a `changed` read). False
   * for an incomplete read (no record is deleted for missing from it) and for a change feed (it names its
   * deletions, which apply).
   */
  deletionsInferred: boolean;
  /** Why the read is incomplete, in one line with the fix; absent when complete. */
  incompleteReason?: string;
  /** Unreadable entries of earlier reads closed because this whole read found those positions readable. */
  unreadableClosed: number;
}

const BATCH = 1000;

/**
 * Finds what changed in the source since staging last saw it, and stages each change with `delta_pending` until
 * the delta load applies it. Three reads (the result's `readScope` says which was made, and why):
 *
 * - `changed`, a SQL source with `source.updatedAt` (the default, `delta.read: changed`): only the rows whose
 *   updated-at is at or after the previous high-water mark minus the overlap, and the source's ids alone.
 *   Staged records whose id the source no longer lists were deleted; ids the source lists that staging does not
 *   hold live are read by id (a new row whose updated-at is older than the mark is still found). A row changed
 *   without its updated-at moving is not seen: `delta.read: whole` is the read that finds it.
 * - `feed`, a source with a change feed (Zendesk, HubSpot): what changed since the mark, deletions named.
 * - `whole`, any other source, the first delta, or `delta.read: whole`: every record is read and its hash
 *   compared with the staged one, and staged records the read did not find were deleted.
 *
 * A change older than the previous mark minus the overlap window is still applied, and counted, because a source
 * that changes a record without bumping its updated-at is an anomaly the cutover manager must hear about.
 *
 * An item the read could not use (an unparseable line, an empty id, an id an earlier row of the read holds) is
 * quarantined with its position through the same path as a full extract, and is never deletion evidence: the
 * record it was may be staged under an id this read could not see. So a read with any unreadable item is
 * incomplete and infers no deletion at all (a change feed's named deletions still apply); the result says so.
 * A SQL source whose ids include nulls or repeats is read whole, so those rows are quarantined as in a full read.
 */
export async function extractDelta(ctx: ActivityContext, input: DeltaExtractInput): Promise<DeltaExtractResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const m = input.migrationId;
  const o = input.object;
  const meter = new RequestMeter();
  const [previous] = await ctx.sql<{ watermark: Date | string | null }[]>`
    select max(source_updated_at) as watermark from staged_records where migration_id = ${m} and object = ${o}`;
  const previousWatermark = previous?.watermark ? new Date(previous.watermark) : null;
  const threshold = previousWatermark ? previousWatermark.getTime() - input.overlapSeconds * 1000 : null;
  const result: DeltaExtractResult = {
    object: o,
    read: 0,
    inserted: 0,
    updated: 0,
    deleted: 0,
    changedBehindWatermark: 0,
    readScope: 'whole',
    readReason: '',
    previousWatermark: previousWatermark?.toISOString() ?? null,
    watermark: null,
    unreadable: 0,
    duplicateIds: 0,
    complete: false,
    deletionsInferred: false,
    unreadableClosed: 0,
  };
  const scope = { migrationId: m, object: o };
  // Ids seen in this read, with the position of their first row (a few tens of bytes each: 700k ids ≈ 80 MB).
  const seen = new Map<string, string>();
  // Quarantine keys of this read's unreadable items (`line:N`).
  const unreadableKeys: string[] = [];
  let batch: { position: string; record: Record<string, unknown> }[] = [];
  let brokenBatch: { position: string; text: string; message: string }[] = [];
  let whole = true;
  const flush = async () => {
    if (batch.length === 0 && brokenBatch.length === 0) return;
    const entries: QuarantineEntry[] = brokenBatch.map(unparseableEntry);
    result.unreadable += brokenBatch.length;
    const rows: StagedChange[] = [];
    for (const { position, record } of batch) {
      const sourceId = textOf(record[object.source.id] ?? '').trim();
      if (sourceId === '') {
        entries.push(missingIdEntry(object.source.id, position, record));
        result.unreadable += 1;
        continue;
      }
      const first = seen.get(sourceId);
      if (first !== undefined && whole) {
        entries.push(duplicateIdEntry(object.source.id, { sourceId, position, raw: record }, first));
        result.duplicateIds += 1;
        continue;
      }
      // A change read may name a record again when it changed again while being read: the later one stands.
      if (first === undefined) seen.set(sourceId, position);
      else {
        const earlier = rows.findIndex((r) => r.sourceId === sourceId);
        if (earlier >= 0) rows.splice(earlier, 1);
      }
      rows.push({
        sourceId,
        position,
        record,
        hash: checksum(record),
        updatedAt: object.source.updatedAt ? parseTimestamp(record[object.source.updatedAt]) : null,
        kind: 'new',
      });
    }
    batch = [];
    brokenBatch = [];
    for (const e of entries) unreadableKeys.push(e.recordKey);
    await quarantineUnreadable(ctx.db, scope, entries, { reread: true });
    const ids = rows.map((r) => r.sourceId);
    const known = new Map(
      (
        await ctx.sql<{ source_id: string; source_hash: string; deleted: boolean }[]>`
          select source_id, source_hash, source_deleted_at is not null as deleted from staged_records
          where migration_id = ${m} and object = ${o} and source_id = any(${ids}::text[])`
      ).map((r) => [r.source_id, r]),
    );
    const changes: StagedChange[] = [];
    for (const r of rows) {
      const before = known.get(r.sourceId);
      if (before && before.source_hash === r.hash && !before.deleted) continue;
      r.kind = before ? 'changed' : 'new';
      if (before) result.updated += 1;
      else result.inserted += 1;
      if (before && threshold !== null && r.updatedAt && r.updatedAt.getTime() < threshold)
        result.changedBehindWatermark += 1;
      changes.push(r);
    }
    await stageChanges(ctx.sql, m, o, changes);
    Context.current().heartbeat({ read: result.read });
  };
  const source = await openObjectSource(ctx, input.migrationId, plan, object, meter, {
    overlapSeconds: input.overlapSeconds,
  });
  const markDeleted = async (where: { sourceId?: string; field?: string; value?: string }) => {
    const marked =
      where.sourceId !== undefined
        ? await ctx.sql`
            update staged_records set delta_pending = 'deleted', source_deleted_at = now()
            where migration_id = ${m} and object = ${o} and source_id = ${where.sourceId} and source_deleted_at is null`
        : await ctx.sql`
            update staged_records set delta_pending = 'deleted', source_deleted_at = now()
            where migration_id = ${m} and object = ${o} and raw ->> ${where.field!} = ${where.value!}
              and source_deleted_at is null`;
    result.deleted += marked.count;
  };
  const take = async (items: AsyncIterable<SourceItem | DeletedItem>) => {
    for await (const item of items) {
      if (item.kind === 'deleted') {
        await flush();
        await markDeleted(item);
        continue;
      }
      result.read += 1;
      if (item.kind === 'record') batch.push({ position: item.position, record: item.record });
      else brokenBatch.push({ position: item.position, text: item.text, message: item.message });
      if (batch.length + brokenBatch.length >= BATCH) await flush();
    }
    await flush();
  };
  let read: ReadPlan;
  try {
    read = object.merge
      ? {
          scope: 'feed',
          reason:
            'each source of the merge by what changed since its own mark where it can be read so (else whole), merged again',
          since: new Date(0),
        }
      : await chooseRead(source, object.delta.read, threshold, sourceOf(plan, object).kind, stagedIds(ctx, m, o));
    whole = read.scope === 'whole';
    result.readScope = read.scope;
    result.readReason = read.reason;
    result.incremental = !whole;
    if (read.scope === 'whole') await take(source.reader(null));
    else if (read.scope === 'feed') await take(source.changes!(read.since));
    else {
      result.idsListed = read.ids.size;
      result.idBucketsListed = read.buckets?.length ?? ID_BUCKETS;
      await take(read.keyed.changes(read.since));
      // The ids the source lists against staging's: absent ones were deleted; listed ones staging does not hold
      // live are read by id (new rows whose updated-at did not reach the mark, rows that came back).
      const unstaged = await compareIds(ctx, m, o, read.ids, read.stagedIds, seen, async (gone) => {
        result.deleted += await markGone(ctx, m, o, gone);
      });
      const before = result.read;
      await take(read.keyed.byIds(unstaged));
      result.readById = result.read - before;
    }
  } finally {
    await source.close();
  }
  // Here the read reached its end (a reader that fails throws, and this attempt ends before inferring anything).
  result.complete = result.unreadable === 0;
  if (!result.complete)
    result.incompleteReason = `${result.unreadable} unreadable item(s) quarantined with their positions: a record among them cannot be told from a deleted one, so no deletions were inferred; fix those lines in the source (tern quarantine list), then run a delta again`;
  // A whole read that reached its end is the source's current state: unreadable entries of earlier reads at
  // positions it read without fault are closed.
  const merged = source.lastRead?.();
  if (merged) result.readReason = `${read.reason}: ${merged.description}`;
  if (whole || merged?.everySourceWhole)
    result.unreadableClosed = await closeReadableAgain(ctx.db, { ...scope, phase: 'delta' }, unreadableKeys);
  // Staged records a complete whole read did not find were deleted at the source (a `changed` read marked its
  // deletions from the id listing above).
  result.deletionsInferred = (whole || read.scope === 'changed') && result.complete;
  if (whole && result.deletionsInferred) {
    let after = '';
    for (;;) {
      const page = await ctx.sql<{ source_id: string }[]>`
        select source_id from staged_records
        where migration_id = ${m} and object = ${o} and source_deleted_at is null and source_id > ${after}
        order by source_id limit ${ID_PAGE}`;
      if (page.length === 0) break;
      after = page[page.length - 1]!.source_id;
      result.deleted += await markGone(
        ctx,
        m,
        o,
        page.map((r) => r.source_id).filter((id) => !seen.has(id)),
      );
    }
  }
  // One pass over the object's staged records: their number (for the statistics) and the new high-water mark.
  const [staged] = await ctx.sql<{ n: number; watermark: Date | string | null }[]>`
    select count(*)::int as n, max(source_updated_at) as watermark
    from staged_records where migration_id = ${m} and object = ${o}`;
  if (worthAnalyzing(result.inserted + result.updated + result.deleted + result.unreadable, staged?.n ?? 0))
    await analyzeStaging(ctx.sql, ['staged_records', 'quarantine']);
  await meter.record(ctx, { migrationId: m, phase: 'delta', object: o, stage: 'extract' }, result.read);
  result.watermark = staged?.watermark ? new Date(staged.watermark).toISOString() : null;
  await appendAudit(ctx.db, {
    migrationId: m,
    actor: 'tern',
    action: 'delta.extracted',
    details: { ...result },
  });
  return result;
}

/** Marks staged records deleted at the source; returns how many were live. */
async function markGone(ctx: ActivityContext, m: string, o: string, gone: readonly string[]): Promise<number> {
  if (gone.length === 0) return 0;
  const marked = await ctx.sql`
    update staged_records set delta_pending = 'deleted', source_deleted_at = now()
    where migration_id = ${m} and object = ${o} and source_id = any(${gone}::text[]) and source_deleted_at is null`;
  return marked.count;
}
