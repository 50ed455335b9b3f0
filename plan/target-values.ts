import { textOf } from './text';

/**
 * Canonical text of a value for a target column type. Both the payload Tern sends and the row it reads back
 * go through this, so a checksum mismatch means the target really holds something else (rounded,
 * truncated, shifted), never that two drivers print the same value differently.
 */
export type ColumnKind = 'text' | 'integer' | 'decimal' | 'boolean' | 'date' | 'timestamp' | 'json' | 'array';

export function columnKindOf(dataType: string): ColumnKind {
  const t = dataType.toLowerCase();
  if (/^(smallint|integer|bigint|int2|int4|int8)$/.test(t)) return 'integer';
  if (/^(numeric|decimal|real|double precision|float4|float8)/.test(t)) return 'decimal';
  if (t === 'boolean' || t === 'bool') return 'boolean';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'json' || t === 'jsonb') return 'json';
  // information_schema reports every array column as data_type ARRAY (its udt_name says of what: _text, _int4).
  if (t === 'array' || t.endsWith('[]')) return 'array';
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
    case 'array':
      return JSON.stringify(arrayElements(value));
    case 'json':
    case 'text':
      return textOf(value);
  }
}

/** An element of an array column as text (null for SQL NULL); nested lists for multi-dimensional arrays. */
export type ArrayElement = string | null | ArrayElement[];

/**
 * The elements of a value bound for (or read from) an array column, each as its text: a JS array element by
 * element; text in PostgreSQL's array syntax (`{a,"b c",NULL}`, what `::text` prints) parsed; text holding a
 * JSON array parsed; any other scalar is a one-element list. Element texts are compared as they are, so an
 * integer[] element written as "007" reads back as "7" (a mismatch): send integer arrays in canonical form.
 */
export function arrayElements(value: unknown): ArrayElement[] {
  if (Array.isArray(value)) return value.map(elementOf);
  const text = textOf(value);
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = parsePgArray(trimmed);
    if (parsed !== undefined) return parsed;
  }
  if (trimmed.startsWith('[')) {
    try {
      const json: unknown = JSON.parse(trimmed);
      if (Array.isArray(json)) return json.map(elementOf);
    } catch {
      // not JSON: a plain value
    }
  }
  return [text];
}

const elementOf = (v: unknown): ArrayElement =>
  v === null || v === undefined ? null : Array.isArray(v) ? v.map(elementOf) : textOf(v);

/**
 * Parses PostgreSQL's text form of an array: `{a,"b c",NULL,"NULL","say \"hi\""}`, nested `{{1,2},{3,4}}`,
 * with optional bounds `[0:1]={…}`, at most 6 dimensions. Unquoted NULL (any case) is SQL NULL; quoted "NULL" is the text. Returns
 * undefined when the text is not an array literal. Linear time.
 */
export function parsePgArray(text: string): ArrayElement[] | undefined {
  let i = 0;
  const s = text.trim();
  const bounds = /^(\[-?\d+:-?\d+\])+=/.exec(s);
  if (bounds) i = bounds[0].length;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  // PostgreSQL arrays have at most 6 dimensions; deeper nesting is not an array literal (and cannot recurse deep).
  const parseList = (depth: number): ArrayElement[] | undefined => {
    if (s[i] !== '{' || depth > 6) return undefined;
    i++;
    const out: ArrayElement[] = [];
    skipSpace();
    if (s[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (s[i] === '{') {
        const nested = parseList(depth + 1);
        if (nested === undefined) return undefined;
        out.push(nested);
      } else if (s[i] === '"') {
        i++;
        let value = '';
        let from = i;
        for (;;) {
          if (i >= s.length) return undefined;
          const c = s[i]!;
          if (c === '\\') {
            value += s.slice(from, i) + (s[i + 1] ?? '');
            i += 2;
            from = i;
          } else if (c === '"') {
            value += s.slice(from, i);
            i++;
            break;
          } else i++;
        }
        out.push(value);
      } else {
        let value = '';
        let from = i;
        while (i < s.length && s[i] !== ',' && s[i] !== '}') {
          if (s[i] === '\\') {
            value += s.slice(from, i) + (s[i + 1] ?? '');
            i += 2;
            from = i;
          } else i++;
        }
        value = (value + s.slice(from, i)).trim();
        if (value === '') return undefined;
        out.push(value.toUpperCase() === 'NULL' ? null : value);
      }
      skipSpace();
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '}') {
        i++;
        return out;
      }
      return undefined;
    }
  };
  const list = parseList(1);
  skipSpace();
  return list !== undefined && i === s.length ? list : undefined;
}

/** PostgreSQL's text form of a list, every element quoted (so "NULL", commas and braces stay text). */
export function pgArrayLiteral(elements: readonly ArrayElement[]): string {
  return `{${elements
    .map((e) =>
      e === null ? 'NULL' : Array.isArray(e) ? pgArrayLiteral(e) : `"${e.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
    )
    .join(',')}}`;
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
