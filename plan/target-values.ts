import { textOf } from './text';
import { daysInMonth, parseTimestampText, utcText } from './timestamps';

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
      return canonicalInteger(value);
    case 'decimal':
      return canonicalDecimal(textOf(value));
    case 'boolean':
      return canonicalBoolean(value);
    case 'date':
      return textOf(value).trim().slice(0, 10);
    case 'timestamp':
      return canonicalTimestamp(value) ?? textOf(value);
    case 'array':
      return JSON.stringify(arrayElements(value));
    case 'json':
    case 'text':
      return textOf(value);
  }
}

/**
 * The last timestamp text read and its canonical form: a reconciliation reads the target's text of a record's
 * date-time and then the source's, most often the same text (both PostgreSQL's), and reads it once.
 */
let lastText: string | undefined;
let lastCanonical: string | undefined;

/**
 * A timestamp as ISO 8601 UTC with every fraction digit the value has (at least milliseconds), so
 * `2024-01-02 03:04:05.12345+00` and `2024-01-02T03:04:05.123450Z` are equal and `…05.123456` and `…05.123`
 * are not. Text without an offset (a timestamp without time zone) is read as UTC. Undefined when the value is
 * no timestamp (`infinity`, text a column refused).
 */
export function canonicalTimestamp(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value !== 'string') {
    const parsed = parseTimestampText(textOf(value));
    return parsed ? utcText(parsed) : undefined;
  }
  if (value === lastText) return lastCanonical;
  if (isCanonicalTimestamp(value)) return value;
  const parsed = parseTimestampText(value);
  lastText = value;
  lastCanonical = parsed ? utcText(parsed) : undefined;
  return lastCanonical;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.fffZ` naming a real instant, with at least three fraction digits and no trailing zero past
 * the third: what `canonicalTimestamp` prints, which it would print again (a fidelity reading of a date-time is
 * already in this form when the target's canonical form is asked for it).
 */
const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(?:\d*[1-9])?Z$/;

/** The number the two digits at `at` spell. */
const twoDigits = (text: string, at: number) => (text.charCodeAt(at) - 48) * 10 + text.charCodeAt(at + 1) - 48;

function isCanonicalTimestamp(text: string): boolean {
  if (!CANONICAL_TIMESTAMP.test(text)) return false;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    twoDigits(text, 11) <= 23 &&
    twoDigits(text, 14) <= 59 &&
    twoDigits(text, 17) <= 59
  );
}

/** Integer text in canonical form: no sign but a minus, no leading zero, not "-0". */
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d*)$/;

/** An integer as bigint text ("007" → "7", "+42" → "42"); text that is no integer stays as it is. */
function canonicalInteger(value: unknown): string {
  if (typeof value === 'string' && CANONICAL_INTEGER.test(value)) return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  const text = textOf(value).trim();
  return /^[+-]?\d+$/.test(text) ? BigInt(text).toString() : textOf(value);
}

const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/** true/false for every spelling PostgreSQL's boolean input accepts; other text stays as it is. */
function canonicalBoolean(value: unknown): string {
  if (typeof value === 'boolean') return String(value);
  const s = textOf(value).trim().toLowerCase();
  return TRUE_TEXT.has(s) ? 'true' : FALSE_TEXT.has(s) ? 'false' : textOf(value);
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

/** Decimal text in canonical form (what `canonicalDecimal` prints): "0", or no leading or trailing zeros, not "-0". */
const CANONICAL_DECIMAL = /^(?:0|-?(?:[1-9]\d*(?:\.\d*[1-9])?|0\.\d*[1-9]))$/;

/**
 * "0012.5000" → "12.5", "-0.0" → "0", "1e3" → "1000": a decimal by its value, digit for digit (exponents
 * shift the point; no float round-trip), so any number of digits survives. Text that is no number stays.
 */
export function canonicalDecimal(text: string): string {
  return CANONICAL_DECIMAL.test(text) ? text : decimalByParts(text);
}

/** canonicalDecimal worked out from the number's parts, for text not already in canonical form. */
export function decimalByParts(text: string): string {
  const s = text.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/.exec(s);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return s;
  let int = m[2] ?? '';
  let frac = m[3] ?? '';
  const exponent = Number(m[4] ?? 0);
  if (exponent > 0) {
    const padded = frac.padEnd(exponent, '0');
    int += padded.slice(0, exponent);
    frac = padded.slice(exponent);
  } else if (exponent < 0) {
    const padded = int.padStart(-exponent, '0');
    frac = padded.slice(padded.length + exponent) + frac;
    int = padded.slice(0, padded.length + exponent);
  }
  int = int.replace(/^0+(?=\d)/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return body === '0' ? '0' : `${m[1] === '-' ? '-' : ''}${body}`;
}
