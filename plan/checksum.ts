import { createHash } from 'node:crypto';

/** A JSON value as Tern canonicalises it: plain data, keys sorted, no undefined. */
export type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/** Serialises a value with object keys sorted, so equal data always gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 of the canonical JSON of a value, hex encoded. */
export function checksum(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** A field's checksum: the first 16 hex digits of the sha256 of its canonical JSON (enough to name a change). */
export function fieldChecksum(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value ?? null))
    .digest('hex')
    .slice(0, 16);
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
