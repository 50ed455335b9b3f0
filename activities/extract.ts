import { Context } from '@temporalio/activity';
import { and, eq, sql as raw } from 'drizzle-orm';
import { openSource } from '../connectors/sources';
import { textOf } from '../plan/text';
import { checksum } from '../plan/checksum';
import type { QuarantineEntry } from '../staging/repos/quarantine';
import { readCheckpoint, saveCheckpoint } from '../staging/repos/checkpoints';
import { stagedRecords } from '../staging/schema';
import { analyzeStaging } from '../staging/analyze';
import type { ActivityContext } from './deps';
import { RequestMeter } from './meter';
import { duplicateIdEntry, missingIdEntry, quarantineUnreadable, unparseableEntry } from './unreadable';

export interface ExtractInput {
  migrationId: string;
  object: string;
  phase: string;
}

export interface ExtractResult {
  /** Records now staged for this object (all of them, not only this run's). */
  staged: number;
  /** Lines that could not be read, quarantined with their line numbers. */
  broken: number;
  /** Rows whose source id was already used by an earlier row, quarantined. */
  duplicateIds: number;
}

const BATCH = 500;

/**
 * Extracts one object from its source into staging, once. Resumable: a checkpoint after each batch holds
 * the last line committed, and a retried attempt skips what is already staged.
 */
export async function extractObject(ctx: ActivityContext, input: ExtractInput): Promise<ExtractResult> {
  const { plan } = await ctx.migration(input.migrationId);
  const object = ctx.object(plan, input.object);
  const key = { migrationId: input.migrationId, object: input.object, phase: 'extract', stage: 'extract' };
  const checkpoint = await readCheckpoint(ctx.db, key);
  if (!checkpoint?.done) {
    const meter = new RequestMeter();
    let read = 0;
    const resumeAfter = checkpoint?.cursor ?? null;
    let batch: { position: string; record: Record<string, unknown> }[] = [];
    let brokenBatch: { position: string; text: string; message: string }[] = [];
    let lastCursor = resumeAfter;
    const scope = { migrationId: input.migrationId, object: input.object };

    const flush = async () => {
      await ctx.db.transaction(async (tx) => {
        const unreadable: QuarantineEntry[] = [];
        if (batch.length > 0) {
          const rows = batch.map(({ position, record }) => ({
            migrationId: input.migrationId,
            object: input.object,
            sourceId: textOf(record[object.source.id] ?? '').trim(),
            raw: record,
            sourceHash: checksum(record),
            sourceUpdatedAt: object.source.updatedAt ? parseTimestamp(record[object.source.updatedAt]) : null,
            sourcePosition: position,
          }));
          const missingId = rows.filter((r) => r.sourceId === '');
          const withId = dedupeWithinBatch(rows.filter((r) => r.sourceId !== ''));
          const inserted =
            withId.unique.length === 0
              ? []
              : await tx
                  .insert(stagedRecords)
                  .values(withId.unique)
                  .onConflictDoNothing()
                  .returning({ sourceId: stagedRecords.sourceId });
          const insertedIds = new Set(inserted.map((r) => r.sourceId));
          // A conflict is either this same line staged by an earlier attempt, or a second row reusing an id.
          const conflicts = [...withId.unique.filter((r) => !insertedIds.has(r.sourceId)), ...withId.repeats];
          for (const row of conflicts) {
            const [existing] = await tx
              .select({ pos: stagedRecords.sourcePosition })
              .from(stagedRecords)
              .where(
                and(
                  eq(stagedRecords.migrationId, input.migrationId),
                  eq(stagedRecords.object, input.object),
                  eq(stagedRecords.sourceId, row.sourceId),
                ),
              );
            if (existing?.pos === row.sourcePosition) continue;
            unreadable.push(
              duplicateIdEntry(
                object.source.id,
                { sourceId: row.sourceId, position: row.sourcePosition, raw: row.raw },
                existing?.pos ?? null,
              ),
            );
          }
          for (const row of missingId) unreadable.push(missingIdEntry(object.source.id, row.sourcePosition, row.raw));
        }
        for (const broken of brokenBatch) unreadable.push(unparseableEntry(broken));
        await quarantineUnreadable(tx, scope, unreadable, { reread: false });
        await saveCheckpoint(tx, key, { cursor: lastCursor });
      });
      batch = [];
      brokenBatch = [];
      Context.current().heartbeat({ cursor: lastCursor });
    };

    const source = await openSource(plan, object, ctx.env, {
      shared: { url: ctx.deps.staging.url, sql: ctx.sql },
      saas: ctx.saasDeps(meter),
    });
    try {
      for await (const item of source.reader(resumeAfter)) {
        lastCursor = item.cursor;
        if (item.kind === 'record') batch.push({ position: item.position, record: item.record });
        else brokenBatch.push({ position: item.position, text: item.text, message: item.message });
        read += 1;
        if (batch.length + brokenBatch.length >= BATCH) await flush();
      }
      await flush();
    } finally {
      await source.close();
      await meter.record(ctx, { ...key, phase: input.phase }, read);
    }
    await saveCheckpoint(ctx.db, key, { cursor: lastCursor, done: true });
  }
  // Staging was just bulk-written: what comes next (rules, loads, reconciliation) must be planned for its size.
  await analyzeStaging(ctx.sql, ['staged_records', 'quarantine']);
  const [counts] = await ctx.db.execute<{ staged: number; broken: number; duplicates: number }>(raw`
    select
      (select count(*)::int from staged_records where migration_id = ${input.migrationId} and object = ${input.object}) as staged,
      (select count(*)::int from quarantine where migration_id = ${input.migrationId} and object = ${input.object} and stage = 'extract' and reason_code = 'unparseable_row') as broken,
      (select count(*)::int from quarantine where migration_id = ${input.migrationId} and object = ${input.object} and stage = 'extract' and reason_code <> 'unparseable_row') as duplicates`);
  return { staged: counts?.staged ?? 0, broken: counts?.broken ?? 0, duplicateIds: counts?.duplicates ?? 0 };
}

function dedupeWithinBatch<T extends { sourceId: string }>(rows: T[]): { unique: T[]; repeats: T[] } {
  const seen = new Set<string>();
  const unique: T[] = [];
  const repeats: T[] = [];
  for (const row of rows) {
    if (seen.has(row.sourceId)) repeats.push(row);
    else {
      seen.add(row.sourceId);
      unique.push(row);
    }
  }
  return { unique, repeats };
}

export function parseTimestamp(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const text = textOf(value).trim();
  if (!text) return null;
  // PostgreSQL prints "2024-01-02 03:04:05+00": make it ISO 8601 before parsing.
  const d = new Date(text.replace(/^(\d{4}-\d\d-\d\d) /, '$1T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? null : d;
}
