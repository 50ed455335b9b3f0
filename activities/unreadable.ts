import { and, eq, inArray, isNull, notInArray } from 'drizzle-orm';
import { auditRecords } from '../staging/custody';
import type { StagingDb } from '../staging/db';
import { quarantine } from '../staging/schema';
import { quarantineRecords, type QuarantineEntry, type StagingExecutor } from '../staging/repos/quarantine';

/**
 * Source items that cannot be staged, wherever they are read (a full extract or a delta): a line or row that
 * could not be parsed, a record without a source id, a record reusing an id an earlier one holds. Each is
 * quarantined at stage `extract`, keyed by its position (`line:N`), never by an id it may not have; the
 * reconciliation counts them in the source. In a delta they are never evidence that a record was deleted.
 */
export const UNREADABLE_REASONS = ['unparseable_row', 'missing_source_id', 'duplicate_source_id'] as const;
export type UnreadableReason = (typeof UNREADABLE_REASONS)[number];

/** A line or row the reader could not parse (the reader's `broken` item). */
export function unparseableEntry(broken: { position: string; text: string; message: string }): QuarantineEntry {
  // One line; a reader's message without its own fix (`problem; fix`) gets the generic one.
  const problem = firstLine(broken.message);
  const fix = problem.includes('; ') ? '' : '; fix the line in the source, then run a delta';
  return {
    recordKey: positionKey(broken.position),
    stage: 'extract',
    reasonCode: 'unparseable_row',
    field: null,
    message: `${broken.position}: ${problem}${fix}`,
    raw: { text: broken.text },
    sourcePosition: broken.position,
  };
}

/** A record whose source id is empty. */
export function missingIdEntry(idField: string, position: string, raw: unknown): QuarantineEntry {
  return {
    recordKey: positionKey(position),
    stage: 'extract',
    reasonCode: 'missing_source_id',
    field: idField,
    message: `${position}: ${idField} is empty; every record needs a source id: fill it in the source, then run a delta`,
    raw,
    sourcePosition: position,
  };
}

/** A record whose source id an earlier record of the same read already holds. */
export function duplicateIdEntry(
  idField: string,
  row: { sourceId: string; position: string; raw: unknown },
  firstPosition: string | null,
): QuarantineEntry {
  return {
    recordKey: positionKey(row.position),
    stage: 'extract',
    reasonCode: 'duplicate_source_id',
    field: idField,
    message: `${row.position}: ${idField}=${row.sourceId} was already used at ${firstPosition ?? 'an earlier line'}; fix the source or choose a unique id column`,
    raw: row.raw,
    sourcePosition: row.position,
  };
}

/**
 * Quarantines unreadable items through staging's one quarantine write. A full extract keeps the first reason
 * for a key (a retried attempt reads the same lines again); a delta re-reads the whole source, so its reason is
 * the current one and reopens an entry an earlier read had closed.
 */
export async function quarantineUnreadable(
  db: StagingExecutor,
  scope: { migrationId: string; object: string },
  entries: readonly QuarantineEntry[],
  options: { reread: boolean },
): Promise<void> {
  await quarantineRecords(db, scope, entries, { replace: options.reread });
}

/**
 * After a read of the whole source that reached its end: closes the open unreadable entries of positions this
 * read found readable (the source was fixed there, or its lines moved), with the resolution's audit entry in the
 * same transaction. `stillUnreadable` are the keys the read quarantined again.
 */
export async function closeReadableAgain(
  db: StagingDb,
  scope: { migrationId: string; object: string; phase: string },
  stillUnreadable: readonly string[],
): Promise<number> {
  return db.transaction(async (tx) => {
    const closed = await tx
      .update(quarantine)
      .set({ resolvedAt: new Date() })
      .where(
        and(
          eq(quarantine.migrationId, scope.migrationId),
          eq(quarantine.object, scope.object),
          eq(quarantine.stage, 'extract'),
          inArray(quarantine.reasonCode, [...UNREADABLE_REASONS]),
          isNull(quarantine.resolvedAt),
          stillUnreadable.length > 0 ? notInArray(quarantine.recordKey, [...stillUnreadable]) : undefined,
        ),
      )
      .returning({ key: quarantine.recordKey });
    await auditRecords(tx, {
      ...scope,
      action: 'quarantine.resolved',
      ids: closed.map((r) => r.key),
      details: { reason: 'readable again' },
    });
    return closed.length;
  });
}

/** A quarantine key from a source position: `line 12` → `line:12`, `id 7` → `id:7`. */
export function positionKey(position: string | null): string {
  return (position ?? 'unknown').replace(' ', ':');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
