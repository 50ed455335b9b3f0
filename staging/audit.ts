import { createHash } from 'node:crypto';
import { asc, desc, eq } from 'drizzle-orm';
import { canonicalJson } from '../plan/checksum';
import type { StagingDb } from './db';
import { auditLog } from './schema';

/**
 * The append-only audit log. Each entry's hash covers the previous entry's hash and its own content, so
 * any edit or deletion breaks the chain and `verifyAuditChain` names the first broken entry.
 */
export async function appendAudit(
  db: StagingDb,
  entry: { migrationId: string; actor: string; action: string; details: Record<string, unknown> },
): Promise<void> {
  await db.transaction(async (tx) => {
    // Serialise writers of one migration's chain.
    await tx.execute(
      `select pg_advisory_xact_lock(hashtext('tern-audit:' || '${entry.migrationId.replace(/'/g, "''")}'))`,
    );
    const [last] = await tx
      .select({ hash: auditLog.hash })
      .from(auditLog)
      .where(eq(auditLog.migrationId, entry.migrationId))
      .orderBy(desc(auditLog.id))
      .limit(1);
    const at = new Date();
    const prevHash = last?.hash ?? null;
    const hash = entryHash(prevHash, entry.migrationId, at, entry.actor, entry.action, entry.details);
    await tx.insert(auditLog).values({ ...entry, at, prevHash, hash });
  });
}

function entryHash(
  prev: string | null,
  migrationId: string,
  at: Date,
  actor: string,
  action: string,
  details: unknown,
): string {
  return createHash('sha256')
    .update(canonicalJson({ prev, migrationId, at: at.toISOString(), actor, action, details }))
    .digest('hex');
}

/** Recomputes the chain; returns the id of the first entry that does not match, or null when intact. */
export async function verifyAuditChain(
  db: StagingDb,
  migrationId: string,
): Promise<{ entries: number; brokenAt: number | null }> {
  const rows = await db.select().from(auditLog).where(eq(auditLog.migrationId, migrationId)).orderBy(asc(auditLog.id));
  let prev: string | null = null;
  for (const row of rows) {
    const expected = entryHash(prev, row.migrationId, row.at, row.actor, row.action, row.details);
    if (row.prevHash !== prev || row.hash !== expected) return { entries: rows.length, brokenAt: row.id };
    prev = row.hash;
  }
  return { entries: rows.length, brokenAt: null };
}
