import { createHash, createHmac } from 'node:crypto';
import { loadSettings } from '../common/config';
import { loadKeyRing, type KeyRing, type SecretKey } from '../common/keys';
import { canonicalJson } from '../plan/checksum';

/**
 * How the audit chain is hashed (staging/audit.ts appends, staging/audit-verify.ts verifies): each entry's hash is
 * an HMAC, under a key held outside the staging database, of its content, its key's id and the previous entry's
 * hash.
 */

/** The last entry of a chain: its 1-based position, its id, hash and time. Recorded in reconciliations and reports. */
export interface AuditHead {
  seq: number;
  id: number;
  hash: string;
  at: string;
}

/** What an entry's hash covers. */
export interface ChainedEntry {
  prevHash: string | null;
  migrationId: string;
  at: Date;
  actor: string;
  action: string;
  details: unknown;
  keyId: string | null;
}

let processKeys: KeyRing | undefined;

/** This process's audit key ring (settings.auditKey), loaded once. */
export function auditKeys(): KeyRing {
  processKeys ??= loadKeyRing(loadSettings().auditKey);
  return processKeys;
}

/**
 * An entry's hash: HMAC-SHA256 under its key of the entry's canonical JSON (its key id included). Without a key:
 * the sha256 entries were chained with before they were keyed, which verification accepts only before a keyed
 * entry that vouches for them.
 */
export function entryHash(entry: ChainedEntry, key: SecretKey | undefined): string {
  const content = {
    prev: entry.prevHash,
    migrationId: entry.migrationId,
    at: entry.at.toISOString(),
    actor: entry.actor,
    action: entry.action,
    details: entry.details,
  };
  if (!key) return createHash('sha256').update(canonicalJson(content)).digest('hex');
  return createHmac('sha256', key.secret)
    .update(canonicalJson({ ...content, keyId: key.id }))
    .digest('hex');
}
