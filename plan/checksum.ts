import * as crypto from 'node:crypto';

/** A JSON value as Tern canonicalises it: plain data, keys sorted, no undefined. */
export type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/** Serialises a value with object keys sorted, so equal data always gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * The last key list sorted and its order: the reconciliation and the load canonicalise row after row with the
 * same columns, so the sort is done once for them. Only the order of the keys is remembered (a key list equal
 * element for element sorts the same), never a value.
 */
let lastKeys: readonly string[] = [];
let lastSorted: readonly string[] = [];

function sortedKeys(value: object): readonly string[] {
  const keys = Object.keys(value);
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === lastKeys[i];
    if (same) return lastSorted;
  }
  const sorted = [...keys].sort();
  lastKeys = keys;
  lastSorted = sorted;
  return sorted;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of sortedKeys(value)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * sha256 of a text, hex encoded (UTF-8, as `createHash('sha256').update(text)` reads it): one call where the
 * runtime has `crypto.hash` (Node 20.12 and later), a hash object otherwise.
 */
export const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** sha256 of the canonical JSON of a value, hex encoded. */
export function checksum(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** A field's checksum: the first 16 hex digits of the sha256 of its canonical JSON (enough to name a change). */
export function fieldChecksum(value: unknown): string {
  return sha256Hex(canonicalJson(value ?? null)).slice(0, 16);
}

/** Per-field checksums of a canonical row: what reconciliation reads back and compares, field by field. */
export function fieldChecksums(row: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(row)
      .sort()
      .map((field) => [field, fieldChecksum(row[field])]),
  );
}

/** The fields of a read-back canonical row whose checksum differs from the one stored when it was written. */
export function differingFields(stored: Record<string, string>, readBack: Record<string, unknown>): string[] {
  return Object.keys(stored)
    .sort()
    .filter((field) => fieldChecksum(readBack[field]) !== stored[field]);
}
