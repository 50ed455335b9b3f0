/**
 * The fidelity check: does the target hold what the source really holds?
 *
 * A checksum compares the target with Tern's own payload, so a transform that loses information (a date-time
 * cut to milliseconds, a decimal rounded) is invisible to it. This module reads the source value itself, at
 * full precision, for every field whose transform chain only keeps a value's meaning (trim, case, whitespace,
 * null_if_empty, required, email, phone, integer, decimal, number, currency, boolean, date, datetime), and
 * compares that reading with the value read back from the target. It never calls the transforms that built
 * the payload (plan/fidelity-values.ts has its own readings).
 *
 * API (pure, no I/O):
 * - `fidelityPlan(object, columnKinds?)`: the fields of a plan object that can be checked, with the kind of
 *   value they compare as (the chain's, else the target column's when given).
 * - `fieldFidelity(field, rawValue, readBack)`: `{ checked, ok, expected? }` for one field of one record.
 * - `checkFidelity(fields, raw, row)`: the fields of one record whose target value differs from the source's.
 *   Mismatches carry the values for local reports only: record content stays out of workflow histories
 *   and logs (report the source id, field and count there).
 */
import type { FieldMapping } from './schema';
import { canonicalValue, type ColumnKind } from './target-values';
import { textOf } from './text';
import { READINGS, UNREADABLE, type Reading, type ReadingStep } from './fidelity-values';
import { transformArgs, transformName, type TransformSpec } from './transforms';

/** A field the fidelity check can judge: its source field, target field, chain and comparison kind. */
export interface FidelityField {
  from: string;
  to: string;
  transform: readonly TransformSpec[];
  /** How the source reading and the read-back are compared (plan/target-values kinds). */
  kind: ColumnKind;
}

export interface FieldFidelity {
  /** False when the value cannot be judged (a reading the load would have refused, a list value). */
  checked: boolean;
  ok: boolean;
  /** The source value read at full precision, canonical for the field's kind (null: no value). */
  expected?: string | null;
}

export interface FidelityMismatch {
  /** Target field. */
  field: string;
  /** Source field. */
  from: string;
  expected: string | null;
  actual: string | null;
}

/** Kinds whose values a reading can be compared with; lists and JSON are out of scope. */
const COMPARABLE: readonly ColumnKind[] = ['text', 'integer', 'decimal', 'boolean', 'date', 'timestamp'];

/**
 * The fields of an object the fidelity check can judge: mapped from a source field, through transforms that
 * each keep the value's meaning (an empty chain included). `columnKinds` (target field → kind) decides how a
 * chain that ends in text compares (a text date copied into a timestamp column compares as a timestamp).
 */
export function fidelityPlan(
  object: { fields: readonly Pick<FieldMapping, 'from' | 'to' | 'transform'>[] },
  columnKinds: ReadonlyMap<string, ColumnKind> = new Map(),
): FidelityField[] {
  const out: FidelityField[] = [];
  for (const field of object.fields) {
    if (field.from === undefined) continue;
    if (!field.transform.every((spec) => transformName(spec) in READINGS)) continue;
    const typed = [...field.transform].reverse().find((spec) => READINGS[transformName(spec)]!.kind !== 'text');
    const kind = typed ? READINGS[transformName(typed)]!.kind : (columnKinds.get(field.to) ?? 'text');
    if (COMPARABLE.includes(kind)) out.push({ from: field.from, to: field.to, transform: field.transform, kind });
  }
  return out;
}

/** One step of a field's chain with its options, looked up once. */
interface ChainStep {
  reading: { read: ReadingStep } | undefined;
  args: Record<string, unknown>;
}

/** Each chain's steps, looked up once per chain (a reconciliation reads the same fields record after record). */
const chains = new WeakMap<readonly TransformSpec[], readonly ChainStep[]>();

function chainOf(transform: readonly TransformSpec[]): readonly ChainStep[] {
  let steps = chains.get(transform);
  if (!steps) {
    steps = transform.map((spec) => ({ reading: READINGS[transformName(spec)], args: transformArgs(spec) }));
    chains.set(transform, steps);
  }
  return steps;
}

/** The source value of a field read at full precision, canonical for its kind; UNREADABLE when it cannot be. */
export function expectedValue(field: FidelityField, rawValue: unknown): Reading {
  if (Array.isArray(rawValue) || (rawValue !== null && typeof rawValue === 'object' && !(rawValue instanceof Date)))
    return UNREADABLE;
  let value: Reading = rawValue === null || rawValue === undefined ? null : textOf(rawValue);
  for (const step of chainOf(field.transform)) {
    if (value === UNREADABLE) return UNREADABLE;
    value = step.reading!.read(value, step.args);
  }
  if (value === null || value === UNREADABLE) return value;
  // A chain that ends in text into a typed column: the column's reading of that text.
  return field.kind === 'text' ? value : (canonicalValue(field.kind, value) ?? null);
}

const isBlank = (v: string | null) => v === null || v === '';

/**
 * Whether the target's read-back holds the source value of one field at full precision. Blank text and no
 * value compare equal (SaaS targets store an empty string as no value); everything else compares exactly,
 * by the field's kind: timestamps to the last fraction digit, decimals by value (1.50 = 1.5), integers as
 * bigint text.
 */
export function fieldFidelity(field: FidelityField, rawValue: unknown, readBack: unknown): FieldFidelity {
  const expected = expectedValue(field, rawValue);
  if (expected === UNREADABLE) return { checked: false, ok: true };
  const actual = readBack === undefined ? null : canonicalValue(field.kind, readBack);
  const ok = isBlank(expected) || isBlank(actual) ? isBlank(expected) && isBlank(actual) : expected === actual;
  return { checked: true, ok, expected };
}

/** The fields of one record whose target value is not the source value read at full precision. */
export function checkFidelity(
  fields: readonly FidelityField[],
  raw: Readonly<Record<string, unknown>>,
  row: Readonly<Record<string, unknown>>,
): FidelityMismatch[] {
  const out: FidelityMismatch[] = [];
  for (const field of fields) {
    const result = fieldFidelity(field, raw[field.from], row[field.to]);
    if (result.ok) continue;
    const actual = row[field.to];
    out.push({
      field: field.to,
      from: field.from,
      expected: result.expected ?? null,
      actual: actual === null || actual === undefined ? null : canonicalValue(field.kind, actual),
    });
  }
  return out;
}

/**
 * The fields of one record whose target value is not the source value read at full precision, compared in the
 * target's own canonical forms: `asSent(readings)` is how the target would hold the source's readings had they
 * been sent (an email in Attio's list form, a date-time as Front keeps it; one call for the record's readable,
 * non-blank readings, by target field), `asRead(field)` the read-back. A target that turns values into its own
 * terms is compared on its terms; a lossy transform still differs, because the reading comes from the source,
 * not from Tern's payload.
 */
export function checkFidelityAs(
  fields: readonly FidelityField[],
  raw: Readonly<Record<string, unknown>>,
  asSent: (readings: Readonly<Record<string, string>>) => Readonly<Record<string, string | null>>,
  asRead: (field: string) => string | null,
): string[] {
  const readings: Record<string, string> = {};
  const checked: { to: string; expected: string | null }[] = [];
  for (const field of fields) {
    const expected = expectedValue(field, raw[field.from]);
    if (expected === UNREADABLE) continue;
    checked.push({ to: field.to, expected });
    if (expected !== null) readings[field.to] = expected;
  }
  const sent = asSent(readings);
  const out: string[] = [];
  for (const { to, expected } of checked) {
    const want = expected === null ? null : (sent[to] ?? null);
    const got = asRead(to);
    const same = isBlank(want) || isBlank(got) ? isBlank(want) && isBlank(got) : want === got;
    if (!same) out.push(to);
  }
  return out;
}
