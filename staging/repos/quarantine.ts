import { and, eq, inArray, isNull } from 'drizzle-orm';
import { auditRecords } from '../custody';
import type { StagingDb } from '../db';
import { quarantine } from '../schema';

/** Staging's drizzle handle or a transaction on it. */
export type StagingExecutor = Pick<StagingDb, 'insert' | 'update' | 'select' | 'delete'>;

/** A record (or an unreadable piece of the source) that could not be moved, and why. */
export interface QuarantineEntry {
  /** The source id, or `line:N` / `id:N` when the record could not even be parsed. */
  recordKey: string;
  /** extract, map, load, … */
  stage: string;
  reasonCode: string;
  field: string | null;
  /** One line: what is wrong and how to fix it. Never more of the record than the operator already sees. */
  message: string;
  raw: unknown;
  sourcePosition?: string | null;
}

/**
 * Quarantines records: the one way anything enters `quarantine`. `replace` (loads) puts the latest reason over an
 * earlier one and reopens it; otherwise (extraction) the first reason for a key stands.
 */
export async function quarantineRecords(
  db: StagingExecutor,
  scope: { migrationId: string; object: string },
  entries: readonly QuarantineEntry[],
  options: { replace: boolean },
): Promise<void> {
  if (entries.length === 0) return;
  // One row per key: the last entry for a key in this call wins.
  const byKey = new Map(entries.map((e) => [e.recordKey, e]));
  const values = [...byKey.values()].map((e) => ({
    migrationId: scope.migrationId,
    object: scope.object,
    recordKey: e.recordKey,
    stage: e.stage,
    reasonCode: e.reasonCode,
    field: e.field,
    message: e.message,
    raw: e.raw ?? null,
    sourcePosition: e.sourcePosition ?? null,
  }));
  const insert = db.insert(quarantine).values(values);
  if (!options.replace) {
    await insert.onConflictDoNothing();
    return;
  }
  for (const v of values) {
    await db
      .insert(quarantine)
      .values(v)
      .onConflictDoUpdate({
        target: [quarantine.migrationId, quarantine.object, quarantine.recordKey],
        set: {
          stage: v.stage,
          reasonCode: v.reasonCode,
          field: v.field,
          message: v.message,
          raw: v.raw,
          sourcePosition: v.sourcePosition,
          resolvedAt: null,
        },
      });
  }
}

/**
 * Closes the open quarantine entries of these records (they moved after all), with the audit entry of the
 * resolution (how many, a digest of their keys, and why) in the same transaction.
 */
export async function resolveQuarantined(
  db: StagingDb,
  scope: { migrationId: string; object: string; phase: string },
  recordKeys: readonly string[],
  reason: string,
): Promise<void> {
  if (recordKeys.length === 0) return;
  await db.transaction(async (tx) => {
    const resolved = await tx
      .update(quarantine)
      .set({ resolvedAt: new Date() })
      .where(
        and(
          eq(quarantine.migrationId, scope.migrationId),
          eq(quarantine.object, scope.object),
          inArray(quarantine.recordKey, [...recordKeys]),
          isNull(quarantine.resolvedAt),
        ),
      )
      .returning({ key: quarantine.recordKey });
    await auditRecords(tx, {
      ...scope,
      action: 'quarantine.resolved',
      ids: resolved.map((r) => r.key),
      details: { reason },
    });
  });
}
