import { and, eq, ne, sql } from 'drizzle-orm';
import type { StagingDb } from '../db';
import { idMap } from '../schema';

/**
 * Per object, the ledger rows a rollback of the migration still has to undo (every state but `rolled_back`): each
 * becomes one record removed or restored, so it is the total a rollback's progress counts against.
 */
export async function ledgerRowsToUndo(db: StagingDb, migrationId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ object: idMap.object, rows: sql<number>`count(*)::int` })
    .from(idMap)
    .where(and(eq(idMap.migrationId, migrationId), ne(idMap.state, 'rolled_back')))
    .groupBy(idMap.object);
  return Object.fromEntries(rows.map((r) => [r.object, r.rows]));
}
