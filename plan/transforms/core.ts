import { z } from 'zod';
import { textOf } from '../text';

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

/** The kind of value a transform produces, for type checks against target columns. */
export type TransformOutputKind = 'text' | 'number' | 'integer' | 'date' | 'timestamp' | 'boolean' | 'array' | 'any';

/** A value run through a transform, for the reference; `references` resolve as `object/sourceId` → target id. */
export interface TransformRun {
  /** The transform's plan arguments; omitted for transforms that take none (or to use the defaults). */
  args?: Record<string, unknown>;
  value: unknown;
  /** Other fields of the record, for transforms that read them. */
  record?: Record<string, unknown>;
  references?: Record<string, string>;
}

/** The reference of a transform (docs/transforms.md, `tern plan schema`): data checked by the unit tests. */
export interface TransformReference {
  /** What it reads, in words: `text`, `text or number`, `any value`, `fields of the record`. */
  input: string;
  /** The kind it produces; `input`: the kind it was given (e.g. `required`). */
  output: TransformOutputKind | 'input';
  /** The output in words, when the kind alone says too little (`ISO 8601 text in UTC`). */
  outputForm?: string;
  /** Applied to each element of a list (what `split` produces) rather than to the list. */
  elementwise: boolean;
  /** Every reason code it quarantines a record with, when, and a value that shows it. */
  quarantines: { code: string; when: string; example: TransformRun }[];
  /** Values and what they become. */
  examples: (TransformRun & { result: unknown })[];
}

/** A built-in transform: how to check its plan arguments, how to build it from them, and its reference. */
export interface TransformDefinition {
  /** zod schema of the arguments as written in the plan (`{ name: args }`); undefined: takes none. */
  args?: z.ZodType;
  /** One line for `tern plan schema` and error messages. */
  description: string;
  reference: TransformReference;
  build(args: Record<string, unknown>): TransformFn;
}

export const isBlank = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
export const asText = textOf;

/** A value quoted for a message: JSON-quoted, cut after 60 characters with its full length. */
export function quoteValue(value: unknown): string {
  const text = textOf(value);
  if (text.length <= 60) return JSON.stringify(text);
  const head = Array.from(text.slice(0, 61)).slice(0, 60).join('');
  return `${JSON.stringify(`${head}…`)} (${text.length} characters)`;
}

/** Applies a string function, passing null/undefined through unchanged. */
export const onText =
  (fn: (s: string) => unknown): TransformFn =>
  (v) =>
    v === null || v === undefined ? v : fn(textOf(v));

/**
 * Applies a scalar transform to each element of an array (and to a scalar as is). Null results are dropped
 * from the list, an empty list becomes null; `unique` drops results whose text was already produced.
 */
export const elementwise =
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
export const looseKey = (s: string): string => s.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
/** Comparison key: NFC and trimmed only. */
export const exactKey = (s: string): string => s.normalize('NFC').trim();

/** Number of Unicode code points, without building an array. */
export function codePointLength(s: string): number {
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
export function codePointSlice(s: string, n: number): string {
  let count = 0;
  let i = 0;
  while (i < s.length && count < n) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    count++;
  }
  return s.slice(0, i);
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * A policy enum for the plan. YAML reads a bare `null` as null rather than the word, so `onInvalid: null`
 * is accepted either way and becomes the string 'null'.
 */
export function policy<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z
    .union([z.enum(values), z.null()])
    .transform((v) => v ?? 'null')
    .default(fallback as never);
}

/** An IANA time zone name (or UTC), checked against the zones this Node.js knows. */
/** Defines a transform with typed, zod-checked arguments. */
export function define<S extends z.ZodType>(
  description: string,
  reference: TransformReference,
  args: S,
  build: (args: z.output<S>) => TransformFn,
): TransformDefinition {
  return { description, reference, args, build: (raw) => build(raw as z.output<S>) };
}

/** Defines a transform that takes no arguments. */
export const none = (description: string, reference: TransformReference, fn: TransformFn): TransformDefinition => ({
  description,
  reference,
  build: () => fn,
});
