import { textOf } from './text';

/**
 * The transform library: pure functions from a legacy value to a target value. A transform that cannot
 * produce a valid value throws a RecordRejection, which quarantines the record (never the whole run).
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

export type TransformFn = (value: unknown) => unknown;
type TransformFactory = (args: Record<string, unknown>) => TransformFn;

const isBlank = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
const asText = textOf;
/** Applies a string function, passing null/undefined through unchanged. */
const onText =
  (fn: (s: string) => unknown): TransformFn =>
  (v) =>
    v === null || v === undefined ? v : fn(textOf(v));

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);

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

const factories: Record<string, TransformFactory> = {
  trim: () => onText((s) => s.trim()),
  lowercase: () => onText((s) => s.toLowerCase()),
  uppercase: () => onText((s) => s.toUpperCase()),
  collapse_whitespace: () => onText((s) => s.replace(/\s+/g, ' ').trim()),
  null_if_empty: () => (v) => (isBlank(v) ? null : v),
  default: (args) => (v) => (isBlank(v) ? args.value : v),
  required: () => (v) => {
    if (isBlank(v)) throw new RecordRejection('required_missing', 'a required value is empty');
    return v;
  },
  integer: () => (v) => {
    if (isBlank(v)) return null;
    const s = asText(v)
      .trim()
      .replace(/[,_\s]/g, '');
    if (!/^[+-]?\d+$/.test(s)) throw new RecordRejection('not_an_integer', `"${asText(v)}" is not a whole number`);
    return s.replace(/^\+/, '');
  },
  decimal: () => (v) => {
    if (isBlank(v)) return null;
    const s = asText(v)
      .trim()
      .replace(/[$€£\s,]/g, '');
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s))
      throw new RecordRejection('not_a_number', `"${asText(v)}" is not a number`);
    return s.replace(/^\+/, '');
  },
  boolean: () => (v) => {
    if (isBlank(v)) return null;
    const s = asText(v).trim().toLowerCase();
    if (TRUE_WORDS.has(s)) return true;
    if (FALSE_WORDS.has(s)) return false;
    throw new RecordRejection('not_a_boolean', `"${asText(v)}" is not yes/no, true/false or 1/0`);
  },
  email: () => (v) => {
    if (isBlank(v)) return null;
    const s = asText(v).trim().toLowerCase();
    if (!EMAIL.test(s)) throw new RecordRejection('invalid_email', `"${asText(v)}" is not an email address`);
    return s;
  },
  date: (args) => {
    const format = (args.format as DateFormat | undefined) ?? 'auto';
    return (v) => {
      if (isBlank(v)) return null;
      const parsed = parseDate(asText(v), format);
      if (parsed === undefined) {
        throw new RecordRejection(
          format === 'auto' ? 'ambiguous_or_invalid_date' : 'invalid_date',
          `"${asText(v)}" is not a valid date${format === 'auto' ? ' (or is ambiguous: set date.format)' : ` in ${format}`}`,
        );
      }
      return parsed;
    };
  },
};

/** Names of every built-in transform, for plan validation and error messages. */
export const TRANSFORM_NAMES = Object.keys(factories).sort();

/** A transform as written in a plan: `trim` or `{ date: { format: DD/MM/YYYY } }`. */
export type TransformSpec = string | Record<string, unknown>;

export function transformName(spec: TransformSpec): string {
  return typeof spec === 'string' ? spec : (Object.keys(spec)[0] ?? '');
}

/** Builds one transform from its plan spec; throws a plain Error naming the unknown transform. */
export function buildTransform(spec: TransformSpec): TransformFn {
  const name = transformName(spec);
  const factory = factories[name];
  if (!factory) throw new Error(`unknown transform "${name}"; known: ${TRANSFORM_NAMES.join(', ')}`);
  const raw = typeof spec === 'string' ? {} : spec[name];
  const args = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : { value: raw };
  return factory(args);
}

/** Composes transforms left to right. */
export function composeTransforms(specs: readonly TransformSpec[]): TransformFn {
  const fns = specs.map(buildTransform);
  return (value) => fns.reduce((v, fn) => fn(v), value);
}
