import { Context } from '@temporalio/activity';
import { openSource } from '../connectors/sources';
import { checksum } from '../plan/checksum';
import { textOf } from '../plan/text';
import { appendAudit } from '../staging/audit';
import type { ActivityContext } from './deps';
import { RequestMeter } from './meter';
import { parseTimestamp } from './extract';

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
}

const BATCH = 1000;

/**
 * Finds what changed in the source since staging last saw it: every record is read and its hash compared
 * with the staged one (new → inserted, different → updated), and staged records the source no longer holds
 * are marked deleted. Each change is staged with `delta_pending` until the delta load applies it. The
 * high-water mark (latest updated-at) is kept per object; a change older than the previous mark minus the
 * overlap window is still applied, and counted, because a source that changes a record without bumping its
 * updated-at is an anomaly the cutover manager must hear about.
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
  };
  // Ids seen in this read (a few tens of bytes each: 700k ids ≈ 50 MB).
  const seen = new Set<string>();
  let batch: { position: string; record: Record<string, unknown> }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch
      .map(({ position, record }) => ({
        sourceId: textOf(record[object.source.id] ?? '').trim(),
        position,
        record,
        hash: checksum(record),
        updatedAt: object.source.updatedAt ? parseTimestamp(record[object.source.updatedAt]) : null,
      }))
      .filter((r) => r.sourceId !== '');
    batch = [];
    const ids = rows.map((r) => r.sourceId);
    for (const id of ids) seen.add(id);
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
      if (item.kind !== 'record') continue;
      result.read += 1;
      batch.push({ position: item.position, record: item.record });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    await source.close();
  }
  // Staged records the source no longer holds were deleted there.
  let after = '';
  for (;;) {
    if (since !== null) break;
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
