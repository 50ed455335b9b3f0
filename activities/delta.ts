import { Context } from '@temporalio/activity';
import { openSource } from '../connectors/sources';
import { checksum } from '../plan/checksum';
import { textOf } from '../plan/text';
import { appendAudit } from '../staging/audit';
import { analyzeStaging } from '../staging/analyze';
import type { ActivityContext } from './deps';
import { RequestMeter } from './meter';
import { parseTimestamp } from './extract';
import type { QuarantineEntry } from '../staging/repos/quarantine';
import {
  closeReadableAgain,
  duplicateIdEntry,
  missingIdEntry,
  quarantineUnreadable,
  unparseableEntry,
} from './unreadable';

export interface DeltaExtractInput {
  migrationId: string;
  object: string;
  /** Seconds before the last high-water mark still treated as "since": clocks and commits are not exact. */
  overlapSeconds: number;
}

export interface DeltaExtractResult {
  object: string;
  read: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** Changed records whose updated-at is older than the previous high-water mark minus the overlap. */
  changedBehindWatermark: number;
  /** Read from the source's change feed since the previous mark (else the whole source was read). */
  incremental?: boolean;
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
   * Deletions were inferred from absence (a whole read that was complete). False for an incomplete read (no
   * record is deleted for missing from it) and for a change feed (it names its deletions, which apply).
   */
  deletionsInferred: boolean;
  /** Why the read is incomplete, in one line with the fix; absent when complete. */
  incompleteReason?: string;
  /** Unreadable entries of earlier reads closed because this whole read found those positions readable. */
  unreadableClosed: number;
}

const BATCH = 1000;

/**
 * Finds what changed in the source since staging last saw it: every record is read and its hash compared
 * with the staged one (new → inserted, different → updated), and staged records the source no longer holds
 * are marked deleted. Each change is staged with `delta_pending` until the delta load applies it. The
 * high-water mark (latest updated-at) is kept per object; a change older than the previous mark minus the
 * overlap window is still applied, and counted, because a source that changes a record without bumping its
 * updated-at is an anomaly the cutover manager must hear about.
 *
 * An item the read could not use (an unparseable line, an empty id, an id an earlier row of the read holds) is
 * quarantined with its position through the same path as a full extract, and is never deletion evidence: the
 * record it was may be staged under an id this read could not see. So a read with any unreadable item is
 * incomplete and infers no deletion at all (a change feed's named deletions still apply); the result says so.
 */
export async function extractDelta(ctx: ActivityContext, input: DeltaExtractInput): Promise<DeltaExtractResult> {
  const { plan } = await ctx.migration(input.migrationId);
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
  const flush = async () => {
    if (batch.length === 0 && brokenBatch.length === 0) return;
    const entries: QuarantineEntry[] = brokenBatch.map(unparseableEntry);
    result.unreadable += brokenBatch.length;
    const rows: {
      sourceId: string;
      position: string;
      record: Record<string, unknown>;
      hash: string;
      updatedAt: Date | null;
    }[] = [];
    for (const { position, record } of batch) {
      const sourceId = textOf(record[object.source.id] ?? '').trim();
      if (sourceId === '') {
        entries.push(missingIdEntry(object.source.id, position, record));
        result.unreadable += 1;
        continue;
      }
      const first = seen.get(sourceId);
      if (first !== undefined && since === null) {
        entries.push(duplicateIdEntry(object.source.id, { sourceId, position, raw: record }, first));
        result.duplicateIds += 1;
        continue;
      }
      // A change feed may name a record again when it changed again while being read: the later one stands.
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
    for (const r of rows) {
      const before = known.get(r.sourceId);
      if (before && before.source_hash === r.hash && !before.deleted) continue;
      const kind = before ? 'changed' : 'new';
      if (before) result.updated += 1;
      else result.inserted += 1;
      if (before && threshold !== null && r.updatedAt && r.updatedAt.getTime() < threshold)
        result.changedBehindWatermark += 1;
      await ctx.sql`
        insert into staged_records (migration_id, object, source_id, raw, source_hash, source_updated_at,
                                    source_position, delta_pending)
        values (${m}, ${o}, ${r.sourceId}, ${JSON.stringify(r.record)}::jsonb, ${r.hash},
                ${r.updatedAt?.toISOString() ?? null}::timestamptz, ${r.position}, ${kind})
        on conflict (migration_id, object, source_id) do update set
          raw = excluded.raw, source_hash = excluded.source_hash, source_updated_at = excluded.source_updated_at,
          source_position = excluded.source_position, delta_pending = excluded.delta_pending,
          source_deleted_at = null, predicted = null, predicted_reason = null`;
    }
    Context.current().heartbeat({ read: result.read });
  };
  const source = await openSource(plan, object, ctx.env, {
    shared: { url: ctx.deps.staging.url, sql: ctx.sql },
    saas: ctx.saasDeps(meter),
  });
  // A source with a change feed is read from the previous high-water mark (minus the overlap) only; it names
  // its deletions. Any other source is read whole, and what it no longer holds was deleted.
  const since = source.changes && threshold !== null ? new Date(threshold) : null;
  result.incremental = since !== null;
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
  try {
    const items = since ? source.changes!(since) : source.reader(null);
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
  } finally {
    await source.close();
  }
  // Here the read reached its end (a reader that fails throws, and this attempt ends before inferring anything).
  result.complete = result.unreadable === 0;
  if (!result.complete)
    result.incompleteReason = `${result.unreadable} unreadable item(s) quarantined with their positions: a record among them cannot be told from a deleted one, so no deletions were inferred; fix those lines in the source (tern quarantine list), then run a delta again`;
  // A whole read that reached its end is the source's current state: unreadable entries of earlier reads at
  // positions it read without fault are closed.
  if (since === null) result.unreadableClosed = await closeReadableAgain(ctx.db, scope, unreadableKeys);
  // Staged records a complete whole read did not find were deleted at the source.
  result.deletionsInferred = since === null && result.complete;
  let after = '';
  for (;;) {
    if (!result.deletionsInferred) break;
    const page = await ctx.sql<{ source_id: string }[]>`
      select source_id from staged_records
      where migration_id = ${m} and object = ${o} and source_deleted_at is null and source_id > ${after}
      order by source_id limit 5000`;
    if (page.length === 0) break;
    after = page[page.length - 1]!.source_id;
    const gone = page.map((r) => r.source_id).filter((id) => !seen.has(id));
    if (gone.length > 0) {
      const marked = await ctx.sql`
        update staged_records set delta_pending = 'deleted', source_deleted_at = now()
        where migration_id = ${m} and object = ${o} and source_id = any(${gone}::text[])`;
      result.deleted += marked.count;
    }
  }
  await analyzeStaging(ctx.sql, ['staged_records', 'quarantine']);
  await meter.record(ctx, { migrationId: m, phase: 'delta', object: o, stage: 'extract' }, result.read);
  const [now] = await ctx.sql<{ watermark: Date | string | null }[]>`
    select max(source_updated_at) as watermark from staged_records where migration_id = ${m} and object = ${o}`;
  result.watermark = now?.watermark ? new Date(now.watermark).toISOString() : null;
  await appendAudit(ctx.db, {
    migrationId: m,
    actor: 'tern',
    action: 'delta.extracted',
    details: { ...result },
  });
  return result;
}
