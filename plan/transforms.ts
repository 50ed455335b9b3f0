import { z } from 'zod';
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

const none = (description: string, fn: TransformFn): TransformDefinition => ({ description, build: () => fn });

export const TRANSFORMS: Record<string, TransformDefinition> = {
  trim: none(
    'remove leading and trailing whitespace',
    onText((s) => s.trim()),
  ),
  lowercase: none(
    'lower-case text',
    onText((s) => s.toLowerCase()),
  ),
  uppercase: none(
    'upper-case text',
    onText((s) => s.toUpperCase()),
  ),
  collapse_whitespace: none(
    'trim and turn runs of whitespace into one space',
    onText((s) => s.replace(/\s+/g, ' ').trim()),
  ),
  null_if_empty: none('turn blank text into null', (v) => (isBlank(v) ? null : v)),
  default: {
    description: 'use this value when the source value is blank: { default: value }',
    args: z.object({ value: z.unknown() }),
    build: (args) => (v) => (isBlank(v) ? args.value : v),
  },
  required: none('quarantine the record when the value is blank', (v) => {
    if (isBlank(v)) throw new RecordRejection('required_missing', 'a required value is empty');
    return v;
  }),
  integer: none('a whole number; thousands separators allowed', (v) => {
    if (isBlank(v)) return null;
    const s = asText(v)
      .trim()
      .replace(/[,_\s]/g, '');
    if (!/^[+-]?\d+$/.test(s)) throw new RecordRejection('not_an_integer', `"${asText(v)}" is not a whole number`);
    return s.replace(/^\+/, '');
  }),
  decimal: none('an exact decimal number; currency symbols and separators removed', (v) => {
    if (isBlank(v)) return null;
    const s = asText(v)
      .trim()
      .replace(/[$€£\s,]/g, '');
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s))
      throw new RecordRejection('not_a_number', `"${asText(v)}" is not a number`);
    return s.replace(/^\+/, '');
  }),
  boolean: none('yes/no, true/false, 1/0, on/off, y/n', (v) => {
    if (isBlank(v)) return null;
    const s = asText(v).trim().toLowerCase();
    if (TRUE_WORDS.has(s)) return true;
    if (FALSE_WORDS.has(s)) return false;
    throw new RecordRejection('not_a_boolean', `"${asText(v)}" is not yes/no, true/false or 1/0`);
  }),
  email: none('normalise and validate an email address', (v) => {
    if (isBlank(v)) return null;
    const s = asText(v).trim().toLowerCase();
    if (!EMAIL.test(s)) throw new RecordRejection('invalid_email', `"${asText(v)}" is not an email address`);
    return s;
  }),
  date: {
    description: `a calendar date → YYYY-MM-DD: { date: { format: ${DATE_FORMATS.join(' | ')} } } (ISO always accepted)`,
    args: z.strictObject({ format: z.enum(DATE_FORMATS).default('auto') }),
    build: (args) => {
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
  },
};

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
