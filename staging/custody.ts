import { createHash } from 'node:crypto';
import { appendAudit } from './audit';
import type { StagingDb } from './db';

/**
 * What an action did to records, as the audit log keeps it: how many, and a digest of their source ids. Source ids
 * are business data (customer numbers, emails used as keys), so they never enter the log in clear; whoever holds
 * the ledger can recompute a digest from the ids it lists and find the entry that accounts for them.
 */

/**
 * sha256 (hex) of the JSON array of the ids sorted by UTF-16 code unit: the same set gives the same digest, and
 * no id can run into the next (an id may hold any character).
 */
export function idsDigest(ids: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([...ids].sort()))
    .digest('hex');
}

/** What records an action touched: written, refused, deleted, set aside, rolled back, their quarantine resolved. */
export interface RecordsAction {
  migrationId: string;
  /** `records.written`, `records.deleted`, `quarantine.resolved`, … */
  action: string;
  /** The phase that acted (absent for the rules, which every phase applies the same way). */
  phase?: string;
  object: string;
  /** The source ids the action touched (only their count and digest are kept). */
  ids: readonly string[];
  /** Other counts of the action (never ids or record content). */
  details?: Record<string, unknown>;
  actor?: string;
}

/**
 * Appends the entry for an action on records, on the transaction that made the change (so the change and its
 * entry commit together, or neither does). An action that touched no record is not an action: nothing is written.
 * Call it last in the transaction: the audit chain's lock is then held only until the commit.
 */
export async function auditRecords(tx: StagingDb, entry: RecordsAction): Promise<void> {
  if (entry.ids.length === 0) return;
  await appendAudit(tx, {
    migrationId: entry.migrationId,
    actor: entry.actor ?? 'tern',
    action: entry.action,
    details: {
      phase: entry.phase,
      object: entry.object,
      records: entry.ids.length,
      digest: idsDigest(entry.ids),
      ...entry.details,
    },
  });
}
