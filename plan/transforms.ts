import { DateTime, IANAZone } from 'luxon';
// The "max" metadata: `isValid()` checks the number against each country's real numbering plan (area codes,
// mobile ranges); the "min" metadata only checks lengths and would let numbers such as 555-0100 through.
// Tern runs on a server, so the larger bundle costs nothing that matters.
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { textOf } from './text';

/**
 * The transform library: pure functions from a legacy value to a target value. A transform that cannot
 * produce a valid value throws a RecordRejection, which quarantines the record (never the whole run).
 *
 * Conventions shared by every transform:
 * - null/undefined and blank text (empty after trimming) pass through as null, unless a transform says
 *   otherwise (`default`, `required`, `coalesce`, `concat`, `template` read other values; text transforms
 *   such as `trim` keep "" as "");
 * - value transforms (text, numbers, dates, lookups) apply to each element of an array (what `split`
 *   produces); elements that become null are dropped and an empty list becomes null; `map` and `picklist`
 *   also drop duplicate results (a multi-value field holds each value once);
 * - text is never NFC-normalised in the output (trim means trim); comparisons of legacy text against plan
 *   keys (`map`, `picklist`, `user`, `boolean` words) NFC-normalise both sides, so a decomposed "é" matches;
 * - rejection messages quote at most 60 characters of the value, so a 1 MB value cannot flood a report;
 * - no regular expression can backtrack catastrophically: a 1 MB value is handled in linear time.
 */

/** A record cannot be mapped; `code` groups quarantine reports, the message names the value and the fix. */
export class RecordRejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RecordRejection';
  }
}

/** What a transform may read besides its value: the whole raw record, and references to other objects. */
export interface TransformContext {
  /** The staged source record being mapped. */
  record: Record<string, unknown>;
  /**
   * Resolves a reference to a record of another object of the migration: the target id when it is loaded,
   * `{ found: true }` without an id in a dry run where it is staged, `{ found: false }` when it is absent.
   */
  resolveReference(object: string, sourceId: string): { found: boolean; targetId?: string };
}

export type TransformFn = (value: unknown, ctx: TransformContext) => unknown;

/** A built-in transform: how to check its plan arguments, and how to build it from them. */
export interface TransformDefinition {
  /** zod schema of the arguments as written in the plan (`{ name: args }`); undefined: takes none. */
  args?: z.ZodType;
  /** One line for `tern plan schema` and error messages. */
  description: string;
  build(args: Record<string, unknown>): TransformFn;
}

// ---------------------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------------------

const isBlank = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
const asText = textOf;

/** A value quoted for a message: JSON-quoted, cut after 60 characters with its full length. */
export function quoteValue(value: unknown): string {
  const text = textOf(value);
  if (text.length <= 60) return JSON.stringify(text);
  const head = Array.from(text.slice(0, 61)).slice(0, 60).join('');
  return `${JSON.stringify(`${head}…`)} (${text.length} characters)`;
}

/** Applies a string function, passing null/undefined through unchanged. */
const onText =
  (fn: (s: string) => unknown): TransformFn =>
  (v) =>
    v === null || v === undefined ? v : fn(textOf(v));

/**
 * Applies a scalar transform to each element of an array (and to a scalar as is). Null results are dropped
 * from the list, an empty list becomes null; `unique` drops results whose text was already produced.
 */
const elementwise =
  (fn: TransformFn, options: { unique?: boolean } = {}): TransformFn =>
  (v, ctx) => {
    if (!Array.isArray(v)) return fn(v, ctx);
    const out: unknown[] = [];
    const seen = new Set<string>();
    for (const element of v) {
      const result = fn(element, ctx);
      if (result === null || result === undefined) continue;
      if (options.unique) {
        const key = textOf(result);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      out.push(result);
    }
    return out.length === 0 ? null : out;
  };

/** Comparison key: NFC, trimmed, inner whitespace collapsed, lower-cased. */
const looseKey = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
/** Comparison key: NFC and trimmed only. */
const exactKey = (s: string): string => s.normalize('NFC').trim();

/** Number of Unicode code points, without building an array. */
function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The first `n` code points of `s` (never splits a surrogate pair). */
function codePointSlice(s: string, n: number): string {
  let count = 0;
  let i = 0;
  while (i < s.length && count < n) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    count++;
  }
  return s.slice(0, i);
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * A policy enum for the plan. YAML reads a bare `null` as null rather than the word, so `onInvalid: null`
 * is accepted either way and becomes the string 'null'.
 */
function policy<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .union([z.enum(values), z.null()])
    .transform((v) => v ?? 'null')
    .default(fallback as never);
}

/** An IANA time zone name (or UTC), checked against the zones this Node.js knows. */
const zoneName = z
  .string()
  .min(1)
  .refine((zone) => IANAZone.isValidZone(zone), {
    message: 'is not a known time zone; use an IANA name such as UTC, Europe/Paris or America/New_York',
  });

/** Defines a transform with typed, zod-checked arguments. */
function define<S extends z.ZodType>(
  description: string,
  args: S,
  build: (args: z.output<S>) => TransformFn,
): TransformDefinition {
  return { description, args, build: (raw) => build(raw as z.output<S>) };
}

const none = (description: string, fn: TransformFn): TransformDefinition => ({ description, build: () => fn });

// ---------------------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------------------

/**
 * Title case: every word lower-cased with its first letter upper-cased. Words are runs of letters, digits
 * and marks, so "mary-jane" → "Mary-Jane"; apostrophes join a word, and after a one-letter prefix
 * ("o'brien", "l'oréal") the next letter is capitalised too, while "don't" stays "Don't". A word that starts
 * with a digit ("3rd") is left lower-case.
 */
export function titleCase(s: string): string {
  return s.toLowerCase().replace(/[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu, (word) => {
    const first = String.fromCodePoint(word.codePointAt(0)!);
    if (!/\p{L}/u.test(first)) return word;
    let rest = word.slice(first.length);
    if (/^['’]\p{L}/u.test(rest)) {
      const next = String.fromCodePoint(rest.codePointAt(1)!);
      rest = `${rest[0]}${next.toUpperCase()}${rest.slice(1 + next.length)}`;
    }
    return `${first.toUpperCase()}${rest}`;
  });
}

const EMAIL_MAX_LENGTH = 254;

/** `^[^\s@]+@[^\s@]+\.[^\s@]+$` without a backtracking regular expression (and at most 254 characters). */
function isEmail(s: string): boolean {
  if (s.length > EMAIL_MAX_LENGTH || /\s/.test(s)) return false;
  const at = s.indexOf('@');
  if (at <= 0 || at !== s.lastIndexOf('@')) return false;
  const domain = s.slice(at + 1);
  return domain.length >= 3 && domain.slice(1, -1).includes('.');
}

// ---------------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------------

/** Characters accepted as thousands separators, by decimal separator. */
const GROUP_SEPARATORS: Record<'.' | ',', string> = {
  '.': ", '’_\u00a0\u202f\u2009",
  ',': ". '’_\u00a0\u202f\u2009",
};

/** A number's text exactly as a JS number prints it, without exponent notation (1e21 → "1000…0"). */
function numberText(n: number): string {
  const s = String(n);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const digits = `${m[2]}${m[3] ?? ''}`;
  const point = m[2]!.length + Number(m[4]);
  const body =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? `${digits}${'0'.repeat(point - digits.length)}`
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${m[1]}${body}`;
}

interface ParsedDecimal {
  negative: boolean;
  int: string;
  frac: string;
}

/**
 * Reads a decimal number written with `decimalSeparator`, exactly. Thousands separators (the other of
 * "." and ",", spaces, apostrophes, _) are accepted only in groups of three ("1,234,567", "1 234"), so
 * "1.5" read with a "," decimal separator is refused rather than read as 15. No exponents.
 */
function parseDecimalText(raw: string, decimalSeparator: '.' | ',', allowSign = true): ParsedDecimal | undefined {
  let s = raw.trim();
  let negative = false;
  if (allowSign && (s.startsWith('-') || s.startsWith('+'))) {
    negative = s.startsWith('-');
    s = s.slice(1).trimStart();
  }
  const at = s.indexOf(decimalSeparator);
  if (at !== s.lastIndexOf(decimalSeparator)) return undefined;
  const intPart = at < 0 ? s : s.slice(0, at);
  const frac = at < 0 ? '' : s.slice(at + 1);
  if (!/^\d*$/.test(frac)) return undefined;
  let int: string;
  if (/^\d*$/.test(intPart)) {
    int = intPart;
  } else {
    const group = /^\d{1,3}(\D)/.exec(intPart)?.[1];
    if (group === undefined || !GROUP_SEPARATORS[decimalSeparator].includes(group)) return undefined;
    const parts = intPart.split(group);
    if (parts.slice(1).some((p) => !/^\d{3}$/.test(p))) return undefined;
    int = parts.join('');
  }
  if (int === '' && frac === '') return undefined;
  int = int.replace(/^0+(?=\d)/, '') || '0';
  return { negative, int, frac };
}

function formatDecimal({ negative, int, frac }: ParsedDecimal): string {
  const zero = /^0*$/.test(int) && /^0*$/.test(frac);
  return `${negative && !zero ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** A number from a typed source value (JSON number, bigint) or text in the given notation. */
function readNumber(v: unknown, decimalSeparator: '.' | ','): ParsedDecimal | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? parseDecimalText(numberText(v), '.') : undefined;
  if (typeof v === 'bigint') return parseDecimalText(v.toString(), '.');
  return parseDecimalText(asText(v), decimalSeparator);
}

const NUMBER_EXAMPLE = { '.': '1,234.56', ',': '1.234,56' } as const;

/**
 * Removes currency decorations: symbols (any Unicode currency sign: $ € £ ¥ ₹ …) and 3-letter upper-case
 * ISO codes before or after the number, a sign before or after it, and accounting parentheses. Returns the
 * bare number text and whether it is negative; undefined when it is both signed and parenthesised.
 */
function stripCurrency(raw: string): { body: string; negative: boolean } | undefined {
  let s = raw.trim();
  let negative = false;
  let signed = false;
  let parenthesised = false;
  for (let round = 0; round < 10; round++) {
    const before = s;
    s = s.trim();
    if (!parenthesised && s.startsWith('(') && s.endsWith(')')) {
      parenthesised = true;
      s = s.slice(1, -1);
      continue;
    }
    if (!signed && (s.startsWith('-') || s.startsWith('+'))) {
      signed = true;
      negative = s.startsWith('-');
      s = s.slice(1);
    } else if (!signed && s.length > 1 && (s.endsWith('-') || s.endsWith('+'))) {
      signed = true;
      negative = s.endsWith('-');
      s = s.slice(0, -1);
    }
    s = s.trim();
    const leading = /^\p{Sc}/u.exec(s.slice(0, 2));
    if (leading) s = s.slice(leading[0].length);
    const trailing = /\p{Sc}$/u.exec(s.slice(-2));
    if (trailing) s = s.slice(0, -trailing[0].length);
    s = s.trim();
    if (/^[A-Z]{3}(?![A-Za-z])/.test(s.slice(0, 4))) s = s.slice(3);
    if (/^[A-Z]{3}$/.test(s.slice(-3)) && !/[A-Za-z]/.test(s.slice(-4, -3))) s = s.slice(0, -3);
    if (s === before) break;
  }
  if (signed && parenthesised) return undefined;
  return { body: s.trim(), negative: negative || parenthesised };
}

// ---------------------------------------------------------------------------------------------------------
// Dates and times
// ---------------------------------------------------------------------------------------------------------

export const DATE_FORMATS = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY', 'DD.MM.YYYY', 'auto'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** Parses a date in a known format into YYYY-MM-DD; returns undefined when it is not a real date. */
export function parseDate(text: string, format: DateFormat): string | undefined {
  const s = text.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(s);
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (iso) {
    // ISO dates are unambiguous, whatever format the column mostly uses.
    [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (slashed && format !== 'YYYY-MM-DD') {
    const a = Number(slashed[1]);
    const b = Number(slashed[2]);
    y = Number(slashed[3]);
    if (format === 'MM/DD/YYYY') [m, d] = [a, b];
    else if (format === 'DD/MM/YYYY' || format === 'DD.MM.YYYY') [d, m] = [a, b];
    else if (a > 12 && b <= 12) [d, m] = [a, b];
    else if (b > 12 && a <= 12) [m, d] = [a, b];
    else if (a === b) [m, d] = [a, b];
    else return undefined; // auto and ambiguous: the caller must name the format
  } else {
    return undefined;
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/** A slashed date whose parts are both ≤ 12 and different: month-first and day-first read differently. */
export function isAmbiguousDate(text: string): boolean {
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text.trim());
  if (!slashed) return false;
  const a = Number(slashed[1]);
  const b = Number(slashed[2]);
  return a >= 1 && b >= 1 && a <= 12 && b <= 12 && a !== b;
}

/** No legitimate date or date-time is this long; longer values are refused before any parsing. */
const MAX_DATETIME_LENGTH = 100;

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const sameWallTime = (a: WallTime, b: WallTime): boolean =>
  a.year === b.year &&
  a.month === b.month &&
  a.day === b.day &&
  a.hour === b.hour &&
  a.minute === b.minute &&
  a.second === b.second &&
  a.millisecond === b.millisecond;

type Parsed = { ok: true; dt: DateTime } | { ok: false; reason: 'syntax' | 'invalid' | 'gap' };

/**
 * An ISO 8601 calendar date-time (`2024-03-01T14:05`, `2024-03-01 14:05:00.123`, `2024-03-01`, with an
 * optional `Z`/`±HH`/`±HHMM`/`±HH:MM` offset). Without an offset it is wall time in `zone`; a wall time that
 * does not exist there (skipped by a daylight-saving change) is refused; an hour that occurs twice (clocks
 * turned back) is read as luxon does, in the later, standard-time offset. Fractions finer than milliseconds
 * are cut to milliseconds.
 */
function parseIsoDateTime(text: string, zone: string): Parsed {
  const m = ISO_DATETIME.exec(text);
  if (!m) return { ok: false, reason: 'syntax' };
  const wall: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millisecond: Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)),
  };
  let offsetZone: string | undefined;
  if (m[8] !== undefined) {
    const o = m[8].toUpperCase();
    offsetZone = o === 'Z' ? 'UTC' : `UTC${o.slice(0, 3)}:${o.slice(3).replace(':', '') || '00'}`;
  }
  const dt = DateTime.fromObject(wall, { zone: offsetZone ?? zone });
  if (!dt.isValid) return { ok: false, reason: 'invalid' };
  if (!sameWallTime(dt, wall)) return { ok: false, reason: 'gap' };
  return { ok: true, dt };
}

/** A date-time in a luxon format; the same daylight-saving gap rule as ISO. */
function parseFormattedDateTime(text: string, format: string, zone: string): Parsed {
  const dt = DateTime.fromFormat(text, format, { zone, setZone: true });
  if (!dt.isValid) return { ok: false, reason: 'syntax' };
  const wall = DateTime.fromFormat(text, format, { zone: 'UTC', setZone: true });
  if (!sameWallTime(dt, wall)) return { ok: false, reason: 'gap' };
  return { ok: true, dt };
}

/** A luxon format must name the year (or be epoch seconds/milliseconds), else luxon assumes this year. */
function formatHasYear(format: string): boolean {
  const unquoted = format.replace(/'[^']*'/g, '');
  return /[yXx]/.test(unquoted);
}

const toIsoUtc = (dt: DateTime): string => dt.toUTC().toISO({ suppressMilliseconds: false })!;

// ---------------------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------------------

/**
 * Splits text on any of `separators`. A part that begins (after whitespace) with `quote` runs to the
 * closing quote and may contain separators; a doubled quote inside is one quote character. An unclosed
 * quote is read as a plain character. Parts are returned untrimmed, empty ones included. Linear time.
 */
export function splitList(text: string, separators: readonly string[], quote: string | false): string[] {
  const parts: string[] = [];
  let piece = '';
  let start = 0;
  let blankSoFar = true;
  let quotesUsable = quote !== false;
  let i = 0;
  while (i < text.length) {
    const sep = separators.find((s) => text.startsWith(s, i));
    if (sep !== undefined) {
      parts.push(piece + text.slice(start, i));
      piece = '';
      i += sep.length;
      start = i;
      blankSoFar = true;
      continue;
    }
    const ch = text[i]!;
    if (quotesUsable && blankSoFar && ch === quote) {
      const quoted = readQuoted(text, i, quote);
      if (quoted) {
        piece += quoted.value;
        i = quoted.end;
        start = i;
        blankSoFar = false;
        continue;
      }
      // No closing quote anywhere after this one: every later quote is plain text too.
      quotesUsable = false;
    }
    if (blankSoFar && !/\s/.test(ch)) blankSoFar = false;
    i++;
  }
  parts.push(piece + text.slice(start));
  return parts;
}

function readQuoted(text: string, open: number, quote: string): { value: string; end: number } | undefined {
  let value = '';
  let from = open + 1;
  for (;;) {
    const close = text.indexOf(quote, from);
    if (close < 0) return undefined;
    value += text.slice(from, close);
    if (text[close + 1] === quote) {
      value += quote;
      from = close + 2;
      continue;
    }
    return { value, end: close + 1 };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------------------

type TemplatePart = { text: string } | { field: string };

/** Parses `{field}` placeholders; `{{` and `}}` are literal braces. Throws an Error naming the problem. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      text += '{';
      i += 2;
    } else if (ch === '}' && template[i + 1] === '}') {
      text += '}';
      i += 2;
    } else if (ch === '{') {
      const close = template.indexOf('}', i + 1);
      const nextOpen = template.indexOf('{', i + 1);
      if (close < 0 || (nextOpen >= 0 && nextOpen < close))
        throw new Error(`the "{" at position ${i + 1} is not closed; write {field}, or {{ for a literal brace`);
      const field = template.slice(i + 1, close).trim();
      if (field === '') throw new Error(`empty placeholder "{}" at position ${i + 1}; write {field_name}`);
      if (text) parts.push({ text });
      text = '';
      parts.push({ field });
      i = close + 1;
    } else if (ch === '}') {
      throw new Error(`a lone "}" at position ${i + 1}; write }} for a literal brace`);
    } else {
      text += ch;
      i++;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

const recordText = (record: Record<string, unknown>, field: string): string => {
  const v = record[field];
  return isBlank(v) ? '' : asText(v).trim();
};

// ---------------------------------------------------------------------------------------------------------
// Argument schemas
// ---------------------------------------------------------------------------------------------------------

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);

const fieldList = z.array(z.string().min(1)).min(1, 'list at least one source field');

const booleanArgs = z
  .strictObject({
    true: z.array(z.string().min(1)).default([]),
    false: z.array(z.string().min(1)).default([]),
  })
  .superRefine((args, ctx) => {
    const trueWords = new Set([...TRUE_WORDS, ...args.true.map(looseKey)]);
    const falseWords = new Set([...FALSE_WORDS, ...args.false.map(looseKey)]);
    for (const [list, other] of [
      ['true', falseWords],
      ['false', trueWords],
    ] as const) {
      args[list].forEach((word, i) => {
        if (other.has(looseKey(word)))
          ctx.addIssue({
            code: 'custom',
            path: [list, i],
            message: `"${word}" would mean both true and false; remove it from one list`,
          });
      });
    }
  });

const truncateArgs = z.strictObject({
  length: z.number().int().min(1),
  onOverflow: z.enum(['quarantine', 'truncate']).default('quarantine'),
});

const decimalSeparator = z.enum(['.', ',']).default('.');
const numberArgs = z.strictObject({ decimalSeparator });
const currencyArgs = z.strictObject({
  decimals: z.number().int().min(0).max(12).default(2),
  decimalSeparator,
  /** What a value that is no amount at all ("TBD", "n/a") becomes: the record quarantined, or no amount. */
  onInvalid: policy(['quarantine', 'null'], 'quarantine'),
});

const domainArgs = z.strictObject({ onInvalid: policy(['quarantine', 'null'], 'quarantine') });

/** A host name as CRMs accept it: labels of letters, digits and hyphens, a top-level domain of 2+ letters. */
const DOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.[a-z0-9-]{1,63})*\.[a-z]{2,}$/;

/** "https://www.Acme.com/about" → "acme.com"; undefined when what remains is not a domain. */
export function domainOf(text: string): string | undefined {
  let s = text.trim().toLowerCase();
  if (s.length > 2048) return undefined;
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/^[^@/]*@/, '');
  s = s.split(/[/?#]/, 1)[0]!.replace(/:\d+$/, '').replace(/\.$/, '');
  if (s.startsWith('www.')) s = s.slice(4);
  return s.length <= 253 && DOMAIN.test(s) ? s : undefined;
}

const phoneArgs = z.strictObject({
  defaultCountry: z
    .string()
    .refine((c) => isSupportedCountry(c), {
      message: 'is not a country code libphonenumber knows; use an ISO 3166 code such as US, GB or FR',
    })
    .optional(),
  onInvalid: policy(['quarantine', 'null'], 'quarantine'),
});

const datetimeArgs = z.strictObject({
  format: z
    .string()
    .min(1)
    .refine((f) => f === 'auto' || formatHasYear(f), {
      message: 'a datetime format must include the year (yyyy), or be auto',
    })
    .default('auto'),
  zone: zoneName.default('UTC'),
});

const timezoneArgs = z.strictObject({ from: zoneName, to: zoneName });

const splitArgs = z
  .strictObject({
    separators: z.array(z.string().min(1)).min(1).default([',', ';']),
    quote: z.union([z.string().length(1), z.literal(false)]).default('"'),
    unique: z.boolean().default(true),
    lowercase: z.boolean().default(false),
  })
  .superRefine((args, ctx) => {
    if (args.quote !== false && args.separators.some((s) => s.includes(args.quote as string)))
      ctx.addIssue({ code: 'custom', path: ['quote'], message: 'the quote character cannot be part of a separator' });
  });

const mapArgs = z
  .strictObject({
    values: z.record(z.string(), z.unknown()),
    caseInsensitive: z.boolean().default(true),
    unmapped: z.enum(['quarantine', 'default', 'keep']).default('quarantine'),
    default: z.unknown().optional(),
  })
  .superRefine((args, ctx) => {
    if (Object.keys(args.values).length === 0)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'list at least one legacy value: { legacy: new }' });
    if (args.unmapped === 'default' && !('default' in args))
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'unmapped: default needs a default value' });
    const key = args.caseInsensitive ? looseKey : exactKey;
    const seen = new Map<string, string>();
    for (const [legacy, target] of Object.entries(args.values)) {
      const k = key(legacy);
      const earlier = seen.get(k);
      if (earlier !== undefined && JSON.stringify(args.values[earlier]) !== JSON.stringify(target))
        ctx.addIssue({
          code: 'custom',
          path: ['values', legacy],
          message: `"${legacy}" and "${earlier}" are the same legacy value${args.caseInsensitive ? ' (case-insensitively)' : ''} but map to different values; keep one`,
        });
      seen.set(k, legacy);
    }
  });

const picklistArgs = z
  .strictObject({
    options: z.array(z.string().min(1)).min(1, 'list at least one option'),
    aliases: z.record(z.string(), z.string()).default({}),
    /**
     * A mapping file (`tern map suggest` writes one), relative to the plan file. Plan loading reads it: its
     * entries join `aliases` (and its options fill `options` when the plan lists none); the transform itself
     * never reads files.
     */
    aliasesFile: z.string().min(1).optional(),
    /** Values the mapping file leaves null (a person has not decided yet), filled in by plan loading. */
    unfilled: z.array(z.string()).default([]),
    /**
     * quarantine: an unmapped value quarantines its record; default: it becomes `default`; strict: like
     * quarantine at run time, and any unmapped value found in the source is a plan error at validation.
     */
    unmapped: z.enum(['quarantine', 'default', 'strict']).default('quarantine'),
    default: z.string().optional(),
  })
  .superRefine((args, ctx) => {
    const options = new Map<string, string>();
    args.options.forEach((option, i) => {
      const earlier = options.get(looseKey(option));
      if (earlier !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['options', i],
          message: `option "${option}" repeats "${earlier}" (options are matched case-insensitively); keep one`,
        });
      else options.set(looseKey(option), option);
    });
    for (const [alias, target] of Object.entries(args.aliases)) {
      const option = options.get(looseKey(target));
      if (option === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['aliases', alias],
          message: `alias "${alias}" maps to "${target}", which is not among the options; map it to one of: ${args.options.join(', ')}`,
        });
        continue;
      }
      const shadowed = options.get(looseKey(alias));
      if (shadowed !== undefined && shadowed !== option)
        ctx.addIssue({
          code: 'custom',
          path: ['aliases', alias],
          message: `alias "${alias}" is itself the option "${shadowed}" but maps to "${option}"; remove the alias or rename the option`,
        });
    }
    if (args.unmapped === 'default' && args.default === undefined)
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'unmapped: default needs a default option' });
    if (args.default !== undefined && !options.has(looseKey(args.default)))
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `default "${args.default}" is not among the options; use one of: ${args.options.join(', ')}`,
      });
  });

export type PicklistArgs = z.output<typeof picklistArgs>;

const referenceArgs = z
  .strictObject({
    object: z.string().min(1),
    onMissing: policy(['quarantine', 'null', 'placeholder'], 'quarantine'),
    placeholder: z.string().min(1).optional(),
  })
  .superRefine((args, ctx) => {
    if (args.onMissing === 'placeholder' && args.placeholder === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['placeholder'],
        message: 'onMissing: placeholder needs the placeholder value (the target id to use)',
      });
    if (args.onMissing !== 'placeholder' && args.placeholder !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['placeholder'],
        message: 'placeholder is used only with onMissing: placeholder; remove it or set onMissing: placeholder',
      });
  });

const userArgs = z
  .strictObject({
    map: z.record(z.string(), z.string().min(1).nullable()),
    inactive: z.array(z.string().min(1)).default([]),
    fallback: z.string().min(1).optional(),
    unmapped: z.enum(['quarantine', 'fallback']).default('quarantine'),
  })
  .superRefine((args, ctx) => {
    if (args.fallback !== undefined) return;
    if (args.unmapped === 'fallback')
      ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'unmapped: fallback needs a fallback user' });
    else if (args.inactive.length > 0)
      ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'inactive users need a fallback user' });
    else if (Object.values(args.map).some((v) => v === null))
      ctx.addIssue({
        code: 'custom',
        path: ['fallback'],
        message: 'users mapped to null need a fallback user',
      });
  });

const templateArgs = z.strictObject({
  template: z
    .string()
    .min(1)
    .superRefine((template, ctx) => {
      try {
        parseTemplate(template);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
});

const concatArgs = z.strictObject({ fields: fieldList, separator: z.string().default(' ') });
const coalesceArgs = z.strictObject({ fields: fieldList });

// ---------------------------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------------------------

export const TRANSFORMS: Record<string, TransformDefinition> = {
  trim: none('remove leading and trailing whitespace', elementwise(onText((s) => s.trim()))),
  lowercase: none('lower-case text', elementwise(onText((s) => s.toLowerCase()))),
  uppercase: none('upper-case text', elementwise(onText((s) => s.toUpperCase()))),
  titlecase: none(
    'lower-case text, then upper-case the first letter of each word ("mary-jane o\'brien" → "Mary-Jane O\'Brien")',
    elementwise(onText(titleCase)),
  ),
  collapse_whitespace: none(
    'trim and turn runs of whitespace into one space',
    elementwise(onText((s) => s.replace(/\s+/g, ' ').trim())),
  ),
  truncate: define(
    'limit text to N characters (code points): { truncate: { length: N, onOverflow: quarantine | truncate } }',
    truncateArgs,
    ({ length, onOverflow }) =>
      elementwise(
        onText((s) => {
          if (s.length <= length || codePointLength(s) <= length) return s;
          if (onOverflow === 'truncate') return codePointSlice(s, length);
          throw new RecordRejection(
            'too_long',
            `${quoteValue(s)} is ${codePointLength(s)} characters, longer than ${length}; shorten it in the source or set truncate.onOverflow: truncate`,
          );
        }),
      ),
  ),
  null_if_empty: none('turn blank text (or an empty list) into null', (v) => (isBlank(v) ? null : v)),
  default: {
    description: 'use this value when the source value is blank: { default: value }',
    args: z.object({ value: z.unknown() }),
    build: (args) => (v) => (isBlank(v) ? args.value : v),
  },
  required: none('quarantine the record when the value is blank', (v) => {
    if (isBlank(v)) throw new RecordRejection('required_missing', 'a required value is empty');
    return v;
  }),
  integer: none(
    'a whole number; thousands separators allowed',
    elementwise((v) => {
      if (isBlank(v)) return null;
      const s = asText(v)
        .trim()
        .replace(/[,_\s]/g, '');
      if (!/^[+-]?\d+$/.test(s)) throw new RecordRejection('not_an_integer', `${quoteValue(v)} is not a whole number`);
      return s.replace(/^\+/, '');
    }),
  ),
  decimal: none(
    'an exact decimal number; currency symbols and separators removed',
    elementwise((v) => {
      if (isBlank(v)) return null;
      const s = asText(v)
        .trim()
        .replace(/[$€£\s,]/g, '');
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s))
        throw new RecordRejection('not_a_number', `${quoteValue(v)} is not a number`);
      return s.replace(/^\+/, '');
    }),
  ),
  number: define(
    "an exact decimal number (never through a float) → \"1234.56\": { number: { decimalSeparator: '.' | ',' } }; thousands separators in groups of 3",
    numberArgs,
    ({ decimalSeparator }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const parsed = readNumber(v, decimalSeparator);
        if (!parsed)
          throw new RecordRejection(
            'not_a_number',
            `${quoteValue(v)} is not a number written like ${NUMBER_EXAMPLE[decimalSeparator]}; correct it in the source${decimalSeparator === '.' ? " or set number.decimalSeparator: ','" : ''}`,
          );
        return formatDecimal(parsed);
      }),
  ),
  currency: define(
    "an amount of money → exact decimal with `decimals` places; symbols, ISO codes and (negative) parentheses removed: { currency: { decimals: 2, decimalSeparator: '.', onInvalid: quarantine | null } }",
    currencyArgs,
    ({ decimals, decimalSeparator, onInvalid }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const reject = (why: string) => new RecordRejection('invalid_currency', `${quoteValue(v)} ${why}`);
        let parsed: ParsedDecimal | undefined;
        if (typeof v === 'number' || typeof v === 'bigint') parsed = readNumber(v, '.');
        else {
          const stripped = stripCurrency(asText(v));
          if (!stripped) throw reject('is both signed and in parentheses; write one of -12.50 or (12.50)');
          parsed = parseDecimalText(stripped.body, decimalSeparator, false);
          if (parsed) parsed.negative = stripped.negative;
        }
        if (!parsed) {
          if (onInvalid === 'null') return null;
          throw reject(
            `is not an amount written like ${NUMBER_EXAMPLE[decimalSeparator]} (with an optional symbol or currency code); correct it in the source, or set currency.onInvalid: null`,
          );
        }
        if (parsed.frac.length > decimals)
          throw reject(
            `has ${parsed.frac.length} decimal places, more than the ${decimals} allowed (never rounded); correct the source or raise currency.decimals`,
          );
        return formatDecimal({ ...parsed, frac: parsed.frac.padEnd(decimals, '0') });
      }),
  ),
  boolean: define(
    'yes/no, true/false, 1/0, on/off, y/n, t/f; more words: { boolean: { true: [si, oui], false: [non] } }',
    booleanArgs,
    (args) => {
      const trueWords = new Set([...TRUE_WORDS, ...args.true.map(looseKey)]);
      const falseWords = new Set([...FALSE_WORDS, ...args.false.map(looseKey)]);
      return elementwise((v) => {
        if (isBlank(v)) return null;
        if (typeof v === 'boolean') return v;
        const s = looseKey(asText(v));
        if (trueWords.has(s)) return true;
        if (falseWords.has(s)) return false;
        throw new RecordRejection(
          'not_a_boolean',
          `${quoteValue(v)} is not yes/no, true/false or 1/0; fix the source or add it to boolean.true or boolean.false`,
        );
      });
    },
  ),
  email: none(
    'normalise (trim, lower-case) and validate an email address (at most 254 characters)',
    elementwise((v) => {
      if (isBlank(v)) return null;
      const s = asText(v).trim().toLowerCase();
      if (!isEmail(s)) throw new RecordRejection('invalid_email', `${quoteValue(v)} is not an email address`);
      return s;
    }),
  ),
  domain: define(
    'a website, URL or host → its domain, lower-case, without www. ("https://www.Acme.com/about" → "acme.com"): { domain: { onInvalid: quarantine | null } }',
    domainArgs,
    ({ onInvalid }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const domain = domainOf(asText(v));
        if (domain !== undefined) return domain;
        if (onInvalid === 'null') return null;
        throw new RecordRejection(
          'invalid_domain',
          `${quoteValue(v)} is not a website or domain; correct it in the source or set domain.onInvalid: null`,
        );
      }),
  ),
  phone: define(
    'a phone number → E.164 (+12125550123; extensions are dropped): { phone: { defaultCountry: US, onInvalid: quarantine | null } }',
    phoneArgs,
    ({ defaultCountry, onInvalid }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v).trim();
        // `extract: false`: the whole value must be the number (an extension may follow), so "call 212-555-0123
        // after 5" is refused rather than guessed. libphonenumber refuses inputs over 250 characters itself;
        // checked here so the intent is plain.
        const parsed =
          text.length > 250
            ? undefined
            : parsePhoneNumberFromString(text, {
                defaultCountry: defaultCountry,
                extract: false,
              });
        if (parsed?.isValid()) return parsed.number;
        if (onInvalid === 'null') return null;
        throw new RecordRejection(
          'invalid_phone',
          `${quoteValue(v)} is not a valid phone number${defaultCountry ? ` (numbers without +country code are read as ${defaultCountry})` : ' (no +country code, and phone.defaultCountry is not set)'}; correct it in the source or set phone.onInvalid: null`,
        );
      }),
  ),
  date: {
    description: `a calendar date → YYYY-MM-DD: { date: { format: ${DATE_FORMATS.join(' | ')} } } (ISO always accepted)`,
    args: z.strictObject({ format: z.enum(DATE_FORMATS).default('auto') }),
    build: (args) => {
      const format = (args.format as DateFormat | undefined) ?? 'auto';
      return elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v);
        const parsed = text.length > MAX_DATETIME_LENGTH ? undefined : parseDate(text, format);
        if (parsed !== undefined) return parsed;
        if (format === 'auto' && isAmbiguousDate(text)) {
          throw new RecordRejection(
            'ambiguous_date',
            `${quoteValue(v)} is ambiguous: it reads as month/day or day/month; set date.format to MM/DD/YYYY or DD/MM/YYYY`,
          );
        }
        throw new RecordRejection(
          'invalid_date',
          `${quoteValue(v)} is not a valid date${format === 'auto' ? ' (YYYY-MM-DD, or DD/MM/YYYY or MM/DD/YYYY with a day above 12; set date.format otherwise)' : ` in ${format}`}`,
        );
      });
    },
  },
  datetime: define(
    'a date-time → ISO 8601 UTC with milliseconds (2024-03-01T14:05:00.000Z): { datetime: { format: auto | <luxon format>, zone: UTC | <IANA zone> } }; values without an offset are wall time in zone',
    datetimeArgs,
    ({ format, zone }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        if (v instanceof Date) {
          if (Number.isNaN(v.getTime()))
            throw new RecordRejection('invalid_datetime', 'an invalid Date object is not a date-time');
          return v.toISOString();
        }
        const text = asText(v).trim();
        let parsed: Parsed = { ok: false, reason: 'syntax' };
        if (text.length <= MAX_DATETIME_LENGTH) {
          if (format !== 'auto') parsed = parseFormattedDateTime(text, format, zone);
          // ISO is unambiguous, so it is accepted whatever format the column mostly uses.
          if (!parsed.ok && parsed.reason === 'syntax') parsed = parseIsoDateTime(text, zone);
        }
        if (parsed.ok) return toIsoUtc(parsed.dt);
        throw new RecordRejection(
          'invalid_datetime',
          parsed.reason === 'gap'
            ? `${quoteValue(v)} does not exist in ${zone} (skipped by a daylight-saving change); correct it in the source`
            : parsed.reason === 'invalid'
              ? `${quoteValue(v)} is not a real date-time; correct it in the source`
              : `${quoteValue(v)} is not a date-time in ${format === 'auto' ? 'ISO 8601 (2024-03-01T14:05 or 2024-03-01 14:05:00)' : `the format "${format}" or ISO 8601`}; ${format === 'auto' ? 'set datetime.format (a luxon format such as MM/dd/yyyy HH:mm)' : 'correct datetime.format or the source'}`,
        );
      }),
  ),
  timezone: define(
    'convert an ISO wall time from one zone to another → ISO 8601 with the offset of `to` (Z for UTC): { timezone: { from: <IANA zone>, to: <IANA zone> | UTC } }',
    timezoneArgs,
    ({ from, to }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v).trim();
        const parsed: Parsed =
          v instanceof Date
            ? { ok: true, dt: DateTime.fromJSDate(v) }
            : text.length <= MAX_DATETIME_LENGTH
              ? parseIsoDateTime(text, from)
              : { ok: false, reason: 'syntax' };
        if (parsed.ok && parsed.dt.isValid) return parsed.dt.setZone(to).toISO({ suppressMilliseconds: false });
        throw new RecordRejection(
          'invalid_datetime',
          !parsed.ok && parsed.reason === 'gap'
            ? `${quoteValue(v)} does not exist in ${from} (skipped by a daylight-saving change); correct it in the source`
            : `${quoteValue(v)} is not an ISO 8601 date-time (2024-03-01T14:05); convert it with datetime first`,
        );
      }),
  ),
  split: define(
    'split text into a list of trimmed, non-empty parts: { split: { separators: [",", ";"], quote: \'"\', unique: true, lowercase: false } }; blank → null',
    splitArgs,
    ({ separators, quote, unique, lowercase }) =>
      (v) => {
        if (isBlank(v)) return null;
        const out: string[] = [];
        const seen = new Set<string>();
        for (const item of Array.isArray(v) ? v : [v]) {
          if (isBlank(item)) continue;
          for (const raw of splitList(asText(item), separators, quote)) {
            const part = lowercase ? raw.trim().toLowerCase() : raw.trim();
            if (part === '' || (unique && seen.has(part))) continue;
            seen.add(part);
            out.push(part);
          }
        }
        return out.length === 0 ? null : out;
      },
  ),
  map: define(
    'replace legacy values: { map: { values: { legacy: new }, caseInsensitive: true, unmapped: quarantine | default | keep, default: value } }',
    mapArgs,
    (args) => {
      const key = args.caseInsensitive ? looseKey : exactKey;
      const table = new Map(Object.entries(args.values).map(([legacy, target]) => [key(legacy), target]));
      return elementwise(
        (v) => {
          if (isBlank(v)) return null;
          const k = key(asText(v));
          if (table.has(k)) return table.get(k);
          if (args.unmapped === 'keep') return v;
          if (args.unmapped === 'default') return args.default;
          throw new RecordRejection(
            'unmapped_value',
            `${quoteValue(asText(v).trim())} is not a known legacy value; add it to map.values (or set map.unmapped: default | keep)`,
          );
        },
        { unique: true },
      );
    },
  ),
  picklist: define(
    'one of a fixed list of options, matched case-insensitively, plus aliases: { picklist: { options: [..], aliases: { legacy: option }, aliasesFile: mappings/<object>.<field>.yaml, unmapped: quarantine | default | strict, default: option } }',
    picklistArgs,
    (args) => {
      const lookup = picklistLookup(args);
      const fallback = args.default === undefined ? undefined : lookup.get(looseKey(args.default));
      return elementwise(
        (v) => {
          if (isBlank(v)) return null;
          const option = lookup.get(looseKey(asText(v)));
          if (option !== undefined) return option;
          if (args.unmapped === 'default' && fallback !== undefined) return fallback;
          throw new RecordRejection(
            'unmapped_value',
            `${quoteValue(asText(v).trim())} is not one of the ${args.options.length} picklist options; ${args.aliasesFile ? `map it to an option in ${args.aliasesFile}` : 'add it to picklist.aliases (legacy: option)'} or set picklist.unmapped: default`,
          );
        },
        { unique: true },
      );
    },
  ),
  reference: define(
    'the target id of a record of another object: { reference: { object: name, onMissing: quarantine | null | placeholder, placeholder: id } }',
    referenceArgs,
    ({ object, onMissing, placeholder }) =>
      elementwise((v, ctx) => {
        if (isBlank(v)) return null;
        const id = asText(v).trim();
        const resolved = ctx.resolveReference(object, id);
        if (resolved.found) return resolved.targetId ?? id;
        if (onMissing === 'null') return null;
        if (onMissing === 'placeholder') return placeholder;
        throw new RecordRejection(
          'orphan_reference',
          `${object} ${quoteValue(id)} does not exist (or is not migrated); fix the source, or set reference.onMissing: null | placeholder`,
        );
      }),
  ),
  user: define(
    'a legacy user → a target user: { user: { map: { legacy: target }, inactive: [legacy], fallback: target, unmapped: quarantine | fallback } }',
    userArgs,
    (args) => {
      const table = new Map(Object.entries(args.map).map(([legacy, target]) => [looseKey(legacy), target]));
      const inactive = new Set(args.inactive.map(looseKey));
      return elementwise((v) => {
        if (isBlank(v)) return null;
        const k = looseKey(asText(v));
        if (inactive.has(k)) return args.fallback ?? null;
        if (table.has(k)) return table.get(k) ?? args.fallback ?? null;
        if (args.unmapped === 'fallback') return args.fallback ?? null;
        throw new RecordRejection(
          'unmapped_user',
          `legacy user ${quoteValue(asText(v).trim())} is not in user.map; add it there (or to user.inactive), or set user.unmapped: fallback`,
        );
      });
    },
  ),
  template: define(
    "text built from fields of the record: { template: { template: '{first_name} {last_name} <{email}>' } }; {value} is the current value; blank fields render empty; whitespace collapsed; blank → null",
    templateArgs,
    ({ template }) => {
      const parts = parseTemplate(template);
      return (v, ctx) => {
        const text = parts
          .map((p) => {
            if ('text' in p) return p.text;
            if (p.field === 'value') return isBlank(v) ? '' : asText(v);
            return recordText(ctx.record, p.field);
          })
          .join('')
          .replace(/\s+/g, ' ')
          .trim();
        return text === '' ? null : text;
      };
    },
  ),
  concat: define(
    "join the non-blank, trimmed values of record fields (the current value is ignored): { concat: { fields: [a, b], separator: ' ' } }; none → null",
    concatArgs,
    ({ fields, separator }) =>
      (_v, ctx) => {
        const values = fields.map((f) => recordText(ctx.record, f)).filter((s) => s !== '');
        return values.length === 0 ? null : values.join(separator);
      },
  ),
  coalesce: define(
    'the first non-blank of the current value, then these record fields (returned unchanged): { coalesce: { fields: [a, b] } }; none → null',
    coalesceArgs,
    ({ fields }) =>
      (v, ctx) => {
        if (!isBlank(v)) return v;
        for (const f of fields) if (!isBlank(ctx.record[f])) return ctx.record[f];
        return null;
      },
  ),
};

function picklistLookup(args: PicklistArgs): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const option of args.options) if (!lookup.has(looseKey(option))) lookup.set(looseKey(option), option);
  for (const [alias, target] of Object.entries(args.aliases)) {
    const option = lookup.get(looseKey(target));
    // Options win over aliases that collide with them (validation reports such aliases).
    if (option !== undefined && !args.options.some((o) => looseKey(o) === looseKey(alias)))
      lookup.set(looseKey(alias), option);
  }
  return lookup;
}

/**
 * The values (e.g. a field's profiled distinct values) that match neither an option nor an alias of a
 * picklist, in the order given, each once; blanks are ignored. They are listed whatever `unmapped` would do
 * with them. `args` are the picklist's plan arguments (checked; throws a ZodError when they are invalid).
 */
export function picklistCoverage(args: Record<string, unknown>, values: readonly string[]): { unmapped: string[] } {
  const lookup = picklistLookup(picklistArgs.parse(args));
  const unmapped: string[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    if (isBlank(value) || seen.has(value)) continue;
    seen.add(value);
    if (!lookup.has(looseKey(value))) unmapped.push(value);
  }
  return { unmapped };
}

/** Names of every built-in transform, for plan validation and error messages. */
export const TRANSFORM_NAMES = Object.keys(TRANSFORMS).sort();

/** A transform as written in a plan: `trim` or `{ date: { format: DD/MM/YYYY } }`. */
export type TransformSpec = string | Record<string, unknown>;

export function transformName(spec: TransformSpec): string {
  return typeof spec === 'string' ? spec : (Object.keys(spec)[0] ?? '');
}

/** The arguments of a spec as an object (`{ default: 0 }` means `{ value: 0 }`). */
export function transformArgs(spec: TransformSpec): Record<string, unknown> {
  if (typeof spec === 'string') return {};
  const raw = spec[transformName(spec)];
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw)
    ? (raw as Record<string, unknown>)
    : { value: raw };
}

/** Builds one transform from its plan spec; throws a plain Error naming the unknown transform or bad args. */
export function buildTransform(spec: TransformSpec): TransformFn {
  const name = transformName(spec);
  const definition = TRANSFORMS[name];
  if (!definition) throw new Error(`unknown transform "${name}"; known: ${TRANSFORM_NAMES.join(', ')}`);
  const args = definition.args ? (definition.args.parse(transformArgs(spec)) as Record<string, unknown>) : {};
  return definition.build(args);
}

/** Composes transforms left to right. */
export function composeTransforms(specs: readonly TransformSpec[]): TransformFn {
  const fns = specs.map(buildTransform);
  return (value, ctx) => fns.reduce((v, fn) => fn(v, ctx), value);
}

/** A context for transforms used outside a migration (tests, previews): no references resolve. */
export function standaloneContext(record: Record<string, unknown> = {}): TransformContext {
  return { record, resolveReference: () => ({ found: false }) };
}

// ---------------------------------------------------------------------------------------------------------
// Descriptions and output kinds, for plan reports and type checks against target columns
// ---------------------------------------------------------------------------------------------------------

/** Parsed arguments of a built-in spec; undefined for custom/unknown transforms or invalid arguments. */
function parsedArgs(spec: TransformSpec): Record<string, unknown> | undefined {
  const definition = TRANSFORMS[transformName(spec)];
  if (!definition) return undefined;
  if (!definition.args) return {};
  const parsed = definition.args.safeParse(transformArgs(spec));
  return parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
}

const short = (s: string, max = 40): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const count = (v: unknown): number =>
  Array.isArray(v) ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : 0;

const DESCRIBERS: Record<string, (a: Record<string, unknown>) => string | undefined> = {
  default: (a) => short(JSON.stringify(a.value) ?? 'undefined'),
  date: (a) => String(a.format),
  truncate: (a) => `${String(a.length)}, overflow→${String(a.onOverflow)}`,
  number: (a) => NUMBER_EXAMPLE[a.decimalSeparator as '.' | ','],
  currency: (a) => `${plural(a.decimals as number, 'decimal')}, ${NUMBER_EXAMPLE[a.decimalSeparator as '.' | ',']}`,
  boolean: (a) =>
    count(a.true) + count(a.false) === 0 ? undefined : `+${count(a.true)} true, +${count(a.false)} false words`,
  phone: (a) =>
    `${typeof a.defaultCountry === 'string' ? a.defaultCountry : 'international'}, invalid→${String(a.onInvalid)}`,
  datetime: (a) => `${String(a.format)}, ${String(a.zone)}`,
  timezone: (a) => `${String(a.from)}→${String(a.to)}`,
  split: (a) =>
    [
      (a.separators as string[]).map((s) => JSON.stringify(s)).join(' '),
      ...(a.unique ? ['unique'] : []),
      ...(a.lowercase ? ['lowercase'] : []),
    ].join(', '),
  map: (a) => `${plural(count(a.values), 'value')}, unmapped→${String(a.unmapped)}`,
  picklist: (a) =>
    `${plural(count(a.options), 'option')}, ${plural(count(a.aliases), 'alias', 'aliases')}, unmapped→${String(a.unmapped)}`,
  reference: (a) =>
    `${String(a.object)}, missing→${a.onMissing === 'placeholder' ? `placeholder ${JSON.stringify(a.placeholder)}` : String(a.onMissing)}`,
  user: (a) =>
    `${plural(count(a.map), 'user')}${count(a.inactive) > 0 ? `, ${count(a.inactive)} inactive` : ''}, unmapped→${String(a.unmapped)}`,
  template: (a) => JSON.stringify(short(String(a.template))),
  concat: (a) => (a.fields as string[]).join(' + '),
  coalesce: (a) => ['value', ...(a.fields as string[])].join(', '),
};

/**
 * A short human rendering of a spec: `trim`, `date(MM/DD/YYYY)`, `picklist(6 options, 12 aliases,
 * unmapped→quarantine)`, `reference(accounts, missing→quarantine)`. Custom transforms render as their name;
 * built-ins with invalid arguments as `name(invalid arguments)`.
 */
export function describeTransform(spec: TransformSpec): string {
  const name = transformName(spec);
  if (!(name in TRANSFORMS)) return name;
  const args = parsedArgs(spec);
  if (args === undefined) return `${name}(invalid arguments)`;
  const detail = DESCRIBERS[name]?.(args);
  return detail === undefined ? name : `${name}(${detail})`;
}

export type TransformOutputKind = 'text' | 'number' | 'integer' | 'date' | 'timestamp' | 'boolean' | 'array' | 'any';

function kindOfValue(v: unknown): TransformOutputKind {
  if (typeof v === 'string') return 'text';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'timestamp';
  return 'any';
}

/** A kind shared by every value of a list, else `any`. */
function commonKind(values: unknown[]): TransformOutputKind {
  const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map(kindOfValue));
  if (kinds.size === 1) return [...kinds][0]!;
  if (kinds.size === 2 && kinds.has('integer') && kinds.has('number')) return 'number';
  return 'any';
}

/** The kind a single transform produces from a value of kind `input`. */
function kindAfter(input: TransformOutputKind, spec: TransformSpec): TransformOutputKind {
  const name = transformName(spec);
  const args = parsedArgs(spec);
  // Value transforms work element-wise: a list stays a list.
  const scalar = (kind: TransformOutputKind): TransformOutputKind => (input === 'array' ? 'array' : kind);
  switch (name) {
    case 'trim':
    case 'lowercase':
    case 'uppercase':
    case 'titlecase':
    case 'collapse_whitespace':
    case 'truncate':
    case 'email':
    case 'domain':
    case 'phone':
    case 'picklist':
    case 'reference':
    case 'user':
      return scalar('text');
    case 'integer':
      return scalar('integer');
    case 'decimal':
    case 'number':
    case 'currency':
      return scalar('number');
    case 'boolean':
      return scalar('boolean');
    case 'date':
      return scalar('date');
    case 'datetime':
    case 'timezone':
      return scalar('timestamp');
    case 'split':
      return 'array';
    case 'template':
    case 'concat':
      return 'text';
    case 'null_if_empty':
    case 'required':
      return input;
    case 'default':
      return input !== 'any' ? input : args ? kindOfValue(args.value) : 'any';
    case 'map': {
      if (input === 'array') return 'array';
      if (!args) return 'any';
      const values = Object.values(args.values as Record<string, unknown>);
      if (args.unmapped === 'default') values.push(args.default);
      const kind = commonKind(values);
      if (args.unmapped === 'keep') return kind === 'text' && (input === 'text' || input === 'any') ? 'text' : 'any';
      return kind;
    }
    default:
      // coalesce (the current value or other fields) and the plan's custom transforms.
      return 'any';
  }
}

/**
 * The kind of value a transform, or a chain of them, ends with, for type checks against target columns;
 * `any` when it cannot be known (custom transforms, `coalesce`, an empty chain: the raw source value).
 */
export function transformOutputKind(spec: TransformSpec | readonly TransformSpec[]): TransformOutputKind {
  const chain: readonly TransformSpec[] = Array.isArray(spec) ? spec : [spec as TransformSpec];
  return chain.reduce<TransformOutputKind>((kind, s) => kindAfter(kind, s), 'any');
}
