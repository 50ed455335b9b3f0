import { Context } from '@temporalio/activity';
import { sql as raw } from 'drizzle-orm';
import type postgres from 'postgres';
import { textOf } from '../plan/text';
import { canonicalJson, checksum, sha256Hex } from '../plan/checksum';
import type { QuarantineEntry } from '../staging/repos/quarantine';
import { readCheckpoint, saveCheckpoint, type CheckpointKey } from '../staging/repos/checkpoints';
import {
  copyIntoScratch,
  copyRows,
  ensureScratchTable,
  scratchTransport,
  UnstorableTextError,
  type ScratchTransport,
  type TextRow,
} from '../staging/copy-rows';
import { analyzeStaging } from '../staging/analyze';
import { holdMigration } from '../staging/repos/staged-changes';
import { transactionSql } from '../staging/transaction';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { openObjectSource } from './merge-source';
import { RequestMeter } from './meter';
import { duplicateIdEntry, missingIdEntry, quarantineUnreadable, unparseableEntry } from './unreadable';

export interface ExtractInput extends PinnedPlanInput {
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

/** A batch is written when it holds this many records, this much text, or has been filling this long. */
const BATCH_ROWS = 5000;
const BATCH_CHARS = 16 * 1024 * 1024;
const BATCH_MS = 5000;

/** A record with a source id, ready for staging: its scratch-table row is built as it is read. */
interface ReadRecord {
  sourceId: string;
  position: string;
  record: Record<string, unknown>;
  /** source_id, raw, source_hash, source_updated_at, source_position, as text. */
  text: TextRow;
}

/** What one transaction stages, quarantines and checkpoints. */
interface Batch {
  records: ReadRecord[];
  missingId: { position: string; record: Record<string, unknown> }[];
  broken: { position: string; text: string; message: string }[];
  /** The cursor after the batch's last item. */
  cursor: string | null;
  chars: number;
  /** When its first item was read. */
  startedAt: number;
}

const newBatch = (cursor: string | null): Batch => ({
  records: [],
  missingId: [],
  broken: [],
  cursor,
  chars: 0,
  startedAt: Date.now(),
});

const sizeOf = (batch: Batch): number => batch.records.length + batch.missingId.length + batch.broken.length;

/** The scratch table a batch is copied into before it is inserted into staged_records. */
const SCRATCH = 'tern_extract_batch';
const SCRATCH_COLUMNS = ['seq', 'source_id', 'raw', 'source_hash', 'source_updated_at', 'source_position'] as const;
/** The columns a batch is copied into when it goes straight into staged_records. */
const STAGED_COLUMNS = [
  'migration_id',
  'object',
  'source_id',
  'raw',
  'source_hash',
  'source_updated_at',
  'source_position',
] as const;

/**
 * Extracts one object from its source into staging, once. Resumable: a checkpoint after each batch holds
 * the last line committed, and a retried attempt skips what is already staged. The next batch is read while
 * the previous one is written (one batch in flight).
 */
export async function extractObject(ctx: ActivityContext, input: ExtractInput): Promise<ExtractResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const key = { migrationId: input.migrationId, object: input.object, phase: 'extract', stage: 'extract' };
  const checkpoint = await readCheckpoint(ctx.db, key);
  if (!checkpoint?.done) {
    const meter = new RequestMeter();
    let read = 0;
    const resumeAfter = checkpoint?.cursor ?? null;
    const scope = { migrationId: input.migrationId, object: input.object };
    const transport = await scratchTransport(ctx.sql);
    const write = (batch: Batch) => stageBatch(ctx, { ...scope, idField: object.source.id, key, transport }, batch);
    let filling = newBatch(resumeAfter);
    let writing: Promise<void> | undefined;
    const send = async () => {
      const full = filling;
      filling = newBatch(full.cursor);
      await writing;
      writing = write(full);
      // Its failure is thrown where it is awaited (the next send, or the end), not as an unhandled rejection.
      writing.catch(() => undefined);
    };

    const source = await openObjectSource(ctx, input.migrationId, plan, object, meter);
    try {
      for await (const item of source.reader(resumeAfter)) {
        if (sizeOf(filling) === 0) filling.startedAt = Date.now();
        filling.cursor = item.cursor;
        if (item.kind === 'record') addRecord(filling, object.source, item.position, item.record);
        else filling.broken.push({ position: item.position, text: item.text, message: item.message });
        read += 1;
        if (sizeOf(filling) >= BATCH_ROWS || filling.chars >= BATCH_CHARS || Date.now() - filling.startedAt >= BATCH_MS)
          await send();
      }
      await send();
      await writing;
    } finally {
      await writing?.catch(() => undefined);
      await source.close();
      await meter.record(ctx, { ...key, phase: input.phase }, read);
    }
    await saveCheckpoint(ctx.db, key, { cursor: filling.cursor, done: true });
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

/** Adds a read record to the batch, its text for the scratch table built now (while the previous batch is written). */
function addRecord(
  batch: Batch,
  source: { id: string; updatedAt?: string },
  position: string,
  record: Record<string, unknown>,
): void {
  const sourceId = textOf(record[source.id] ?? '').trim();
  if (sourceId === '') {
    batch.missingId.push({ position, record });
    return;
  }
  if (sourceId.includes('\u0000') || position.includes('\u0000'))
    throw new UnstorableTextError(
      `${position}: ${source.id} holds a NUL character, which staging cannot store`,
      'remove the NUL character from the source, then run the phase again',
    );
  const { raw, hash } = recordTexts(record);
  const updatedAt = source.updatedAt ? parseTimestamp(record[source.updatedAt]) : null;
  const text = [sourceId, raw, hash, updatedAt ? updatedAt.toISOString() : null, position];
  batch.records.push({ sourceId, position, record, text });
  batch.chars += raw.length + sourceId.length + position.length;
}

/**
 * A record's JSON text for staged_records.raw and its checksum (plan/checksum: the sha256 of its canonical JSON).
 *
 * A flat record (no value an object or an array: every record of a SQL source) gets one text for both, its
 * canonical JSON: the same fields and values as `JSON.stringify(record)` in another key order, which the jsonb
 * raw does not keep. Any other record, or one with an own `__proto__` key (which the canonical JSON does not
 * copy), takes the general way.
 */
export function recordTexts(record: Record<string, unknown>): { raw: string; hash: string } {
  const flat =
    !Object.prototype.hasOwnProperty.call(record, '__proto__') &&
    Object.values(record).every((value) => value === null || typeof value !== 'object');
  if (!flat) return { raw: JSON.stringify(record), hash: checksum(record) };
  const text = canonicalJson(record);
  return { raw: text, hash: sha256Hex(text) };
}

/**
 * Stages one batch in one transaction with its checkpoint: its records in read order (the ordinal follows it), its
 * unreadable items quarantined. The transaction first locks the migration row (holdMigration): a migration deleted
 * meanwhile stages nothing, or waits for the batch and then deletes it with the rest.
 *
 * The records go by COPY straight into staged_records, under a savepoint. When PostgreSQL refuses that COPY (a
 * record whose source id is already staged: an earlier attempt's, or an earlier row reusing the id) the savepoint
 * is rolled back and the batch goes the careful way: COPY into the scratch table and one INSERT … SELECT … ON
 * CONFLICT DO NOTHING in read order. On the embedded database (no COPY) it always goes the careful way.
 *
 * A record whose source id a staged record already holds is not staged: when that record is this same one (same
 * position: staged by an earlier attempt that died before its checkpoint) it is skipped, else it is quarantined
 * as a duplicate id and the first record stands. Ids are looked up once per batch, only when some conflicted.
 */
async function stageBatch(
  ctx: ActivityContext,
  scope: {
    migrationId: string;
    object: string;
    idField: string;
    key: CheckpointKey;
    transport: ScratchTransport;
  },
  batch: Batch,
): Promise<void> {
  if (sizeOf(batch) === 0) return;
  await ctx.db.transaction(async (db) => {
    // COPY needs the connection itself.
    const tx = transactionSql(db);
    // Once per batch, what staged_records' foreign key did once per record: the migration is there until this commits.
    await holdMigration(tx, scope.migrationId);
    const unreadable: QuarantineEntry[] = [];
    const { unique, repeats } = dedupeWithinBatch(batch.records);
    if (unique.length > 0) {
      const inserted =
        scope.transport === 'copy' && (await copyStraight(tx, scope, unique))
          ? unique.length
          : await insertFromScratch(tx, scope, unique);
      if (inserted < unique.length || repeats.length > 0) {
        const ids = [...new Set([...unique, ...repeats].map((r) => r.sourceId))];
        const staged = await tx<{ source_id: string; source_position: string | null }[]>`
          select source_id, source_position from staged_records
          where migration_id = ${scope.migrationId} and object = ${scope.object} and source_id = any(${ids}::text[])`;
        const firstAt = new Map(staged.map((r) => [r.source_id, r.source_position]));
        // A conflict is either this same line staged by an earlier attempt, or a second row reusing an id.
        for (const row of [...unique, ...repeats]) {
          const first = firstAt.get(row.sourceId);
          if (first === row.position) continue;
          unreadable.push(
            duplicateIdEntry(
              scope.idField,
              { sourceId: row.sourceId, position: row.position, raw: row.record },
              first ?? null,
            ),
          );
        }
      }
    }
    for (const row of batch.missingId) unreadable.push(missingIdEntry(scope.idField, row.position, row.record));
    for (const broken of batch.broken) unreadable.push(unparseableEntry(broken));
    await quarantineUnreadable(db, scope, unreadable, { reread: false });
    await saveCheckpoint(db, scope.key, { cursor: batch.cursor });
  });
  Context.current().heartbeat({ cursor: batch.cursor });
}

/**
 * COPY of records (ids distinct) straight into staged_records, in read order, under a savepoint. False when
 * PostgreSQL refused it: the savepoint rolled back, nothing of it staged.
 */
async function copyStraight(
  tx: postgres.Sql,
  scope: { migrationId: string; object: string },
  records: readonly ReadRecord[],
): Promise<boolean> {
  await tx.unsafe(`savepoint ${STRAIGHT}`);
  try {
    await copyRows(
      tx,
      'staged_records',
      STAGED_COLUMNS,
      records.map((r) => [scope.migrationId, scope.object, ...r.text]),
    );
    return true;
  } catch {
    // The careful way stages what can be staged, or fails with the reason.
    await tx.unsafe(`rollback to savepoint ${STRAIGHT}`);
    return false;
  }
}

const STRAIGHT = 'tern_extract_straight';

/** COPY of records into the scratch table, then one INSERT … SELECT … ON CONFLICT DO NOTHING: how many were staged. */
async function insertFromScratch(
  tx: postgres.Sql,
  scope: { migrationId: string; object: string; transport: ScratchTransport },
  records: readonly ReadRecord[],
): Promise<number> {
  await ensureScratchTable(tx, SCRATCH, SCRATCH_COLUMNS);
  await copyIntoScratch(
    tx,
    scope.transport,
    SCRATCH,
    SCRATCH_COLUMNS,
    records.map((r, i) => [String(i), ...r.text]),
  );
  const inserted = await tx`
    insert into staged_records
      (migration_id, object, source_id, raw, source_hash, source_updated_at, source_position)
    select ${scope.migrationId}, ${scope.object}, source_id, raw::jsonb, source_hash,
           source_updated_at::timestamptz, source_position
    from ${tx(SCRATCH)} order by seq::int
    on conflict do nothing`;
  return inserted.count;
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
