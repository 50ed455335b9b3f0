import { and, asc, eq, gt, isNotNull } from 'drizzle-orm';
import type { KeyRing } from '../common/keys';
import { auditKeys, entryHash, type AuditHead } from './audit-chain';
import type { StagingDb } from './db';
import { auditLog, reconciliations } from './schema';

/**
 * Verifies a migration's audit chain (staging/audit.ts): every entry's keyed hash recomputed with the key its id
 * names, every link to the previous entry, and the chain against the heads recorded in reconciliations (and any
 * a person kept from a report), which find a tail cut off below them.
 */

/** One entry as an auditor reads it: `tern audit export` writes these, one JSON object a line. */
export interface AuditRecord {
  /** Position in the migration's chain, from 1. */
  seq: number;
  id: number;
  migrationId: string;
  at: string;
  actor: string;
  action: string;
  details: unknown;
  keyId: string | null;
  prevHash: string | null;
  hash: string;
}

/** The first place the chain is not what was written: the entry (null id when it is missing) and what is wrong. */
export interface AuditBreak {
  seq: number;
  id: number | null;
  action: string | null;
  at: string | null;
  problem: string;
}

export interface AuditVerification {
  migrationId: string;
  ok: boolean;
  entries: number;
  head: AuditHead | null;
  /** The keys the chain was signed with (their ids). */
  keyIds: string[];
  /** Entries without a key id: in an intact chain, written before entries were keyed and vouched for by the first keyed one after them. */
  unkeyed: number;
  /** Heads the chain was compared with: recorded by reconciliations, and given by the caller. */
  headsChecked: number;
  broken: AuditBreak | null;
}

/** A head someone recorded, and where: a reconciliation, or a report kept outside staging. */
export interface RecordedHead {
  head: Pick<AuditHead, 'seq' | 'hash'> & Partial<AuditHead>;
  recordedBy: string;
}

const PAGE = 1_000;

/** Every entry of a migration's chain in order, a page at a time. */
export async function* readAuditChain(db: StagingDb, migrationId: string): AsyncGenerator<AuditRecord> {
  let after = 0;
  let seq = 0;
  for (;;) {
    const rows = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.migrationId, migrationId), gt(auditLog.id, after)))
      .orderBy(asc(auditLog.id))
      .limit(PAGE);
    for (const row of rows) {
      seq += 1;
      yield {
        seq,
        id: row.id,
        migrationId: row.migrationId,
        at: row.at.toISOString(),
        actor: row.actor,
        action: row.action,
        details: row.details,
        keyId: row.keyId,
        prevHash: row.prevHash,
        hash: row.hash,
      };
    }
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** The heads reconciliations recorded for a migration, oldest first. */
export async function reconciliationHeads(db: StagingDb, migrationId: string): Promise<RecordedHead[]> {
  const rows = await db
    .select({
      phase: reconciliations.phase,
      object: reconciliations.object,
      at: reconciliations.createdAt,
      head: reconciliations.auditHead,
    })
    .from(reconciliations)
    .where(and(eq(reconciliations.migrationId, migrationId), isNotNull(reconciliations.auditHead)))
    .orderBy(asc(reconciliations.id));
  return rows
    .filter((r) => isHead(r.head))
    .map((r) => ({
      head: r.head as AuditHead,
      recordedBy: `the ${r.phase} reconciliation of ${r.object} (${r.at.toISOString()})`,
    }));
}

function isHead(value: unknown): value is AuditHead {
  const h = value as Partial<AuditHead> | null;
  return !!h && Number.isInteger(h.seq) && typeof h.hash === 'string';
}

/**
 * Recomputes the chain with the key ring and compares it with the recorded heads; names the first broken entry.
 * `heads`: more heads to hold it to (from reports kept outside staging).
 */
export async function verifyAuditChain(
  db: StagingDb,
  migrationId: string,
  options: { keys?: KeyRing; heads?: RecordedHead[] } = {},
): Promise<AuditVerification> {
  const keys = options.keys ?? auditKeys();
  const chain: ChainPoint[] = [];
  const keyIds = new Set<string>();
  let unkeyed = 0;
  let last: AuditRecord | undefined;
  let broken: AuditBreak | null = null;
  const brokenAt = (entry: AuditRecord, problem: string): AuditBreak => ({
    seq: entry.seq,
    id: entry.id,
    action: entry.action,
    at: entry.at,
    problem,
  });
  for await (const entry of readAuditChain(db, migrationId)) {
    const prev = last?.hash ?? null;
    chain.push({ seq: entry.seq, id: entry.id, action: entry.action, at: entry.at, hash: entry.hash });
    last = entry;
    const keyedBefore = keyIds.size > 0;
    if (entry.keyId === null) unkeyed += 1;
    else keyIds.add(entry.keyId);
    if (broken) continue;
    if (entry.prevHash !== prev) {
      broken = brokenAt(
        entry,
        prev === null
          ? 'it points to a previous entry that is not in the chain: entries before it were deleted'
          : `its previous hash is not entry #${entry.seq - 1}'s: an entry between them was deleted, or entries were reordered`,
      );
      continue;
    }
    if (entry.keyId === null && keyedBefore) {
      broken = brokenAt(entry, 'it is not keyed, after keyed entries: it was written without the key');
      continue;
    }
    const key = entry.keyId === null ? undefined : keys.byId.get(entry.keyId);
    if (entry.keyId !== null && !key) {
      broken = brokenAt(
        entry,
        `it is signed with key ${entry.keyId}, which the key ring (${keys.origin}) does not hold: written with another key, or the ring lacks a rotated key`,
      );
      continue;
    }
    const expected = entryHash({ ...entry, at: new Date(entry.at) }, key);
    if (entry.hash !== expected)
      broken = brokenAt(
        entry,
        key
          ? `its content does not match its keyed hash: it was edited, or written without key ${key.id}`
          : 'its content does not match its hash: it was edited',
      );
  }
  if (!broken && last && last.keyId === null)
    broken = brokenAt(
      last,
      'the chain ends in an entry that is not keyed: nothing keyed vouches for it or the entries before it',
    );
  const heads = [...(await reconciliationHeads(db, migrationId)), ...(options.heads ?? [])];
  for (const { head, recordedBy } of heads) {
    const problem = headBreak(chain, head, recordedBy);
    if (problem && (!broken || problem.seq < broken.seq)) broken = problem;
  }
  return {
    migrationId,
    ok: broken === null,
    entries: chain.length,
    head: last ? { seq: last.seq, id: last.id, hash: last.hash, at: last.at } : null,
    keyIds: [...keyIds],
    unkeyed,
    headsChecked: heads.length,
    broken,
  };
}

type ChainPoint = Pick<AuditRecord, 'seq' | 'id' | 'action' | 'at' | 'hash'>;

/** How the chain fails a recorded head: cut below it, or different at its position; undefined when it holds. */
function headBreak(
  chain: readonly ChainPoint[],
  head: RecordedHead['head'],
  recordedBy: string,
): AuditBreak | undefined {
  const named = `entry #${head.seq}${head.id ? ` (id ${head.id}, ${head.at})` : ''}`;
  const there = chain[head.seq - 1];
  if (!there)
    return {
      seq: chain.length + 1,
      id: null,
      action: null,
      at: null,
      problem: `it is missing: the chain ends at entry #${chain.length}, but ${recordedBy} recorded ${named} as its head — entries were removed from its end`,
    };
  if (there.hash === head.hash) return undefined;
  return {
    seq: there.seq,
    id: there.id,
    action: there.action,
    at: there.at,
    problem: `its hash is not the one ${recordedBy} recorded for ${named}: the chain was cut there and written again`,
  };
}
