import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { DateTime } from 'luxon';
import { canonicalDecimal, canonicalTimestamp, type ColumnKind } from './target-values';
import { textOf } from './text';
import { daysInMonth, formatUtc, epochSecondsOf, parseTimestampText, type WallTime } from './timestamps';

/**
 * What a source value means, read at full precision by Tern's fidelity check, apart from the transforms that
 * built the payload (plan/transforms*): each value-preserving transform of a plan has its own reading here,
 * written from the transform's contract (docs/transforms.md), not from its code. A reading returns the
 * value's canonical text (as plan/target-values prints a read-back of that kind), null for no value, or
 * UNREADABLE when the value cannot be judged (the load would have quarantined it).
 */
export const UNREADABLE = Symbol('unreadable');
export type Reading = string | null | typeof UNREADABLE;

/** One step of a chain: the reading of the previous step's output, with the transform's options. */
export type ReadingStep = (value: string | null, args: Record<string, unknown>) => Reading;

/** `onInvalid: null` as a plan writes it (YAML null) or as parsed options hold it ('null'). */
const nullOnInvalid = (args: Record<string, unknown>) => args.onInvalid === null || args.onInvalid === 'null';

const blank = (v: string | null): v is null | '' => v === null || v.trim() === '';

/** NFC, runs of whitespace as one space, trimmed, lower-cased: how transforms compare words. */
const looseKey = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();

const TRUE_WORDS = ['true', 't', 'yes', 'y', '1', 'on'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0', 'off'];

const words = (v: unknown): string[] => (Array.isArray(v) ? v.map((w) => looseKey(textOf(w))) : []);

/** Group separators a number may carry between groups of three digits, by decimal separator. */
const GROUPS = { '.': /[,'’_\s\u00a0\u202f\u2009]/g, ',': /[.'’_\s\u00a0\u202f\u2009]/g } as const;

/** A number in a given notation as canonical decimal text, or UNREADABLE. */
function readNumber(text: string, separator: '.' | ','): Reading {
  let s = text.trim().replace(GROUPS[separator], '');
  if (separator === ',') s = s.replace(',', '.');
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(s) ? canonicalDecimal(s) : UNREADABLE;
}

/** An amount of money: currency signs and ISO codes around it, a sign before or after, (negative) parentheses. */
function readAmount(text: string, separator: '.' | ','): Reading {
  let s = text.trim();
  let negative = false;
  if (/^\(.*\)$/.test(s)) {
    negative = true;
    s = s.slice(1, -1);
  }
  s = s
    .replace(/\p{Sc}/gu, '')
    .replace(/^\s*[A-Z]{3}(?![A-Za-z])|(?<![A-Za-z])[A-Z]{3}\s*$/g, '')
    .trim();
  const sign = /^[+-]|[+-]$/.exec(s)?.[0];
  if (sign) {
    negative = negative || sign === '-';
    s = (s.startsWith(sign) ? s.slice(1) : s.slice(0, -1)).trim();
  }
  const value = readNumber(s, separator);
  if (typeof value !== 'string') return value;
  return negative && value !== '0' ? canonicalDecimal(`-${value}`) : value;
}

const DATE_PATTERNS: Record<string, RegExp> = {
  iso: /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/,
  slashed: /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/,
};

/** A calendar date as YYYY-MM-DD: ISO always; D/M/Y or M/D/Y as the format says (auto: when unambiguous). */
function readDate(text: string, format: string): Reading {
  const s = text.trim();
  let y: number, m: number, d: number;
  const iso = DATE_PATTERNS.iso!.exec(s);
  const slashed = iso ? null : DATE_PATTERNS.slashed!.exec(s);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (slashed && format !== 'YYYY-MM-DD') {
    const [a, b] = [Number(slashed[1]), Number(slashed[2])];
    y = Number(slashed[3]);
    const dayFirst = format === 'DD/MM/YYYY' || format === 'DD.MM.YYYY' || (format === 'auto' && a > 12);
    if (format === 'auto' && a <= 12 && b <= 12 && a !== b) return UNREADABLE;
    [d, m] = dayFirst ? [a, b] : [b, a];
  } else return UNREADABLE;
  // A day that exists (what reading `YYYY-M-D` as a timestamp would accept).
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return UNREADABLE;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The fraction of a second a date-time text carries after its seconds (":05.123456" → "123456"). */
const FRACTION = /:\d{2}[.,](\d+)(?!.*:\d{2}[.,]\d)/;

/**
 * A date-time as ISO 8601 UTC with every fraction digit: ISO 8601 text (offset as written, else wall time in
 * `zone`), or text in a luxon format (luxon reads the fields; the fraction's digits are carried from the text,
 * since luxon keeps milliseconds only). A wall time the zone skips is UNREADABLE (the load refuses it).
 */
function readDateTime(text: string, format: string, zone: string): Reading {
  const s = text.trim();
  if (format !== 'auto') {
    const formatted = readFormatted(s, format, zone);
    if (formatted !== UNREADABLE) return formatted;
  }
  // In UTC, a text with or without an offset reads as plan/target-values reads a timestamp column's text.
  if (zone === 'UTC') return canonicalTimestamp(s) ?? UNREADABLE;
  const parsed = parseTimestampText(s);
  if (!parsed) return UNREADABLE;
  const offset = parsed.offsetSeconds ?? zoneOffsetSeconds(parsed.wall, zone);
  return offset === undefined ? UNREADABLE : formatUtc(epochSecondsOf(parsed.wall, offset), parsed.wall.fraction);
}

/** The offset of `zone` at a wall time; undefined when the zone skips that wall time (daylight saving). */
function zoneOffsetSeconds(wall: WallTime, zone: string): number | undefined {
  if (zone === 'UTC') return 0;
  const { fraction: _fraction, ...fields } = wall;
  const dt = DateTime.fromObject(fields, { zone });
  if (!dt.isValid || dt.hour !== wall.hour || dt.minute !== wall.minute || dt.day !== wall.day) return undefined;
  return dt.offset * 60;
}

function readFormatted(text: string, format: string, zone: string): Reading {
  const digits = FRACTION.exec(text)?.[1];
  let dt = DateTime.fromFormat(text, format, { zone, setZone: true });
  if (!dt.isValid && digits !== undefined && digits.length > 3)
    dt = DateTime.fromFormat(text.replace(`${digits}`, digits.slice(0, 3)), format, { zone, setZone: true });
  if (!dt.isValid) return UNREADABLE;
  const wall = DateTime.fromFormat(text.replace(`${digits ?? ''}`, (digits ?? '').slice(0, 3)), format, {
    zone: 'UTC',
    setZone: true,
  });
  if (wall.isValid && (wall.hour !== dt.hour || wall.day !== dt.day || wall.minute !== dt.minute)) return UNREADABLE;
  const millis = dt.toMillis();
  const seconds = Math.floor(millis / 1000);
  const ms = String(millis - seconds * 1000).padStart(3, '0');
  // The text's own digits when luxon read the same milliseconds from them; else what luxon read.
  const fraction = digits !== undefined && digits.padEnd(3, '0').slice(0, 3) === ms ? digits : ms;
  return formatUtc(seconds, fraction);
}

/** Readings of the transforms that keep a value's meaning, by transform name. */
export const READINGS: Record<string, { kind: ColumnKind; read: ReadingStep }> = {
  trim: { kind: 'text', read: (v) => v?.trim() ?? null },
  lowercase: { kind: 'text', read: (v) => v?.toLowerCase() ?? null },
  uppercase: { kind: 'text', read: (v) => v?.toUpperCase() ?? null },
  collapse_whitespace: { kind: 'text', read: (v) => v?.replace(/\s+/g, ' ').trim() ?? null },
  null_if_empty: { kind: 'text', read: (v) => (blank(v) ? null : v) },
  required: { kind: 'text', read: (v) => (blank(v) ? UNREADABLE : v) },
  email: { kind: 'text', read: (v) => (blank(v) ? null : v.trim().toLowerCase()) },
  integer: {
    kind: 'integer',
    read: (v) => {
      if (blank(v)) return null;
      const s = v.trim().replace(/[,_\s]/g, '');
      return /^[+-]?\d+$/.test(s) ? BigInt(s).toString() : UNREADABLE;
    },
  },
  decimal: {
    kind: 'decimal',
    read: (v) => (blank(v) ? null : readNumber(v.replace(/[$€£]/g, ''), '.')),
  },
  number: {
    kind: 'decimal',
    read: (v, args) => (blank(v) ? null : readNumber(v, args.decimalSeparator === ',' ? ',' : '.')),
  },
  currency: {
    kind: 'decimal',
    read: (v, args) => {
      if (blank(v)) return null;
      const amount = readAmount(v, args.decimalSeparator === ',' ? ',' : '.');
      return amount === UNREADABLE && nullOnInvalid(args) ? null : amount;
    },
  },
  boolean: {
    kind: 'boolean',
    read: (v, args) => {
      if (blank(v)) return null;
      const word = looseKey(v);
      if ([...TRUE_WORDS, ...words(args.true)].includes(word)) return 'true';
      if ([...FALSE_WORDS, ...words(args.false)].includes(word)) return 'false';
      return UNREADABLE;
    },
  },
  phone: {
    kind: 'text',
    read: (v, args) => {
      if (blank(v)) return null;
      const country = typeof args.defaultCountry === 'string' ? (args.defaultCountry as CountryCode) : undefined;
      const parsed = parsePhoneNumberFromString(v.trim(), { defaultCountry: country, extract: false });
      if (parsed?.isValid()) return parsed.number;
      return nullOnInvalid(args) ? null : UNREADABLE;
    },
  },
  date: {
    kind: 'date',
    read: (v, args) => (blank(v) ? null : readDate(v, typeof args.format === 'string' ? args.format : 'auto')),
  },
  datetime: {
    kind: 'timestamp',
    read: (v, args) =>
      blank(v)
        ? null
        : readDateTime(
            v,
            typeof args.format === 'string' ? args.format : 'auto',
            typeof args.zone === 'string' ? args.zone : 'UTC',
          ),
  },
};
