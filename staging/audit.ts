import { count, desc, eq } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { KeyRing } from '../common/keys';
import { auditKeys, entryHash, type AuditHead, type ChainedEntry } from './audit-chain';
import type { StagingDb } from './db';
import { transactionSql } from './transaction';
import { auditLog } from './schema';

/**
 * The append-only audit log: one chain per migration. Each entry's hash is an HMAC, under a key held outside
 * the staging database, of its content and the previous entry's hash; the key's id is recorded with it. An
 * edit, a deletion or a reordering breaks the chain where it happened, and a chain rewritten without the key
 * fails verification. The head (last entry) is recorded in every reconciliation, so a tail cut off below
 * a recorded head is found too (staging/audit-verify.ts).
 */

export type { AuditHead } from './audit-chain';
export { verifyAuditChain, type AuditVerification } from './audit-verify';

/** A drizzle transaction over staging: appendAudit writes on it, so the entry commits with its work. */
export type StagingTx = Parameters<Parameters<StagingDb['transaction']>[0]>[0];

export interface AuditEntryInput {
  migrationId: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

/**
 * Appends an entry to its migration's chain, signed with the ring's current key, and returns the new head.
 * Writers of one chain are serialised by a transaction-scoped advisory lock; given a transaction, the entry is
 * written on it (no savepoint: its failure fails the caller's transaction, which undoes the entry with the work,
 * and a savepoint would cost two more round trips while the chain's lock is held) and the lock held until it ends.
 */
export async function appendAudit(
  db: StagingDb | StagingTx,
  entry: AuditEntryInput,
  keys: KeyRing = auditKeys(),
): Promise<AuditHead> {
  const append = async (tx: StagingTx): Promise<AuditHead> => {
    // A postgres.js statement, so prepared like the two below: one round trip, not a description first.
    await transactionSql(tx)`select pg_advisory_xact_lock(hashtext(${`tern-audit:${entry.migrationId}`}))`;
    const chain = eq(auditLog.migrationId, entry.migrationId);
    // Prepared (named), as the entry's insert below.
    const [last] = await tx
      .select({ hash: auditLog.hash, seq: auditLog.seq })
      .from(auditLog)
      .where(chain)
      .orderBy(desc(auditLog.id))
      .limit(1)
      .prepare('tern_audit_head')
      .execute();
    // The head's stored position; counted only for a head an older Tern wrote without one.
    const length = last ? (last.seq ?? (await chainLength(tx, entry.migrationId))) : 0;
    // The hash covers the details as the database will give them back (JSON: no undefined, dates as text).
    const details = JSON.parse(JSON.stringify(entry.details)) as Record<string, unknown>;
    const content: ChainedEntry = {
      ...entry,
      details,
      at: new Date(),
      prevHash: last?.hash ?? null,
      keyId: keys.current.id,
    };
    const hash = entryHash(content, keys.current);
    const [row] = await tx
      .insert(auditLog)
      .values({ ...content, hash, seq: length + 1 })
      .returning({ id: auditLog.id })
      .prepare('tern_audit_append')
      .execute();
    return { seq: length + 1, id: row!.id, hash, at: content.at.toISOString() };
  };
  return db instanceof PgTransaction ? append(db) : db.transaction(append);
}

/** The chain's head now, or null when the migration has no entry yet. */
export async function auditHead(db: StagingDb, migrationId: string): Promise<AuditHead | null> {
  const chain = eq(auditLog.migrationId, migrationId);
  const [last] = await db
    .select({ id: auditLog.id, hash: auditLog.hash, at: auditLog.at, seq: auditLog.seq })
    .from(auditLog)
    .where(chain)
    .orderBy(desc(auditLog.id))
    .limit(1);
  if (!last) return null;
  const seq = last.seq ?? (await chainLength(db, migrationId));
  return { seq, id: last.id, hash: last.hash, at: last.at.toISOString() };
}

async function chainLength(db: StagingDb | StagingTx, migrationId: string): Promise<number> {
  const [length] = await db.select({ n: count() }).from(auditLog).where(eq(auditLog.migrationId, migrationId));
  return length?.n ?? 0;
}

/** A head as one line for people, its whole hash, so a person can keep it and hold the chain to it later. */
export function formatAuditHead(head: AuditHead | null): string {
  return head ? `entry #${head.seq} (id ${head.id}, ${head.at}) hash ${head.hash}` : 'no entry yet';
}
