import { textOf } from './text';

/**
 * Canonical text of a value for a target column type. Both the payload Tern sends and the row it reads back
 * go through this, so a checksum mismatch means the target really holds something else (rounded,
 * truncated, shifted), never that two drivers print the same value differently.
 */
export type ColumnKind = 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'json';

export function columnKindOf(dataType: string): ColumnKind {
  const t = dataType.toLowerCase();
  if (/^(smallint|integer|bigint|int2|int4|int8)$/.test(t)) return 'integer';
  if (/^(numeric|decimal|real|double precision|float4|float8)/.test(t)) return 'decimal';
  if (t === 'boolean' || t === 'bool') return 'boolean';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'json' || t === 'jsonb') return 'json';
  return 'text';
}

export function canonicalValue(kind: ColumnKind, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'integer':
      return BigInt(textOf(value).trim()).toString();
    case 'decimal':
      return canonicalDecimal(textOf(value));
    case 'boolean': {
      const s = textOf(value).trim().toLowerCase();
      return s === 'true' || s === 't' ? 'true' : 'false';
    }
    case 'date':
      return textOf(value).slice(0, 10);
    case 'timestamp': {
      // PostgreSQL prints "2024-01-02 03:04:05.6+00"; make that ISO 8601 before parsing.
      const text = textOf(value)
        .trim()
        .replace(/^(\d{4}-\d\d-\d\d) /, '$1T')
        .replace(/([+-]\d\d)$/, '$1:00');
      const d = value instanceof Date ? value : new Date(text);
      return Number.isNaN(d.getTime()) ? textOf(value) : d.toISOString();
    }
    case 'json':
    case 'text':
      return textOf(value);
  }
}

/** "0012.5000" → "12.5", "-0.0" → "0", "1e3" → "1000"; keeps full precision (no float round-trip). */
export function canonicalDecimal(text: string): string {
  let s = text.trim();
  if (/e/i.test(s)) {
    const n = Number(s);
    if (!Number.isFinite(n)) return s;
    s = n.toString();
    if (/e/i.test(s)) return s;
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const int = (m[2] ?? '').replace(/^0+(?=\d)/, '') || '0';
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' ? '0' : `${m[1] === '-' ? '-' : ''}${body}`;
}
