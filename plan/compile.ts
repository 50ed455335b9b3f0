import { mergeVerdict } from './merge-verdict';
import type { ObjectPlan } from './schema';
import {
  assertFaithfulText,
  buildTransform,
  RecordRejection,
  transformArgs,
  transformName,
  type TransformContext,
  type TransformFn,
  type TransformSpec,
} from './transforms';

/** The outcome of mapping one staged record. */
export type MapResult =
  { ok: true; payload: Record<string, unknown> } | { ok: false; field: string; code: string; message: string };

export type RecordMapper = (
  raw: Record<string, unknown>,
  resolveReference?: TransformContext['resolveReference'],
) => MapResult;

/** A plan's own transform: `(value, ctx, args) => newValue`; throw a RecordRejection to quarantine. */
export type CustomTransformFn = (value: unknown, ctx: TransformContext, args: Record<string, unknown>) => unknown;

/** Thrown by a custom transform that failed in an unplanned way: the record is quarantined with the message. */
const isRejection = (err: unknown): err is { code: string; message: string } =>
  err instanceof RecordRejection ||
  (err instanceof Error && err.name === 'RecordRejection' && typeof (err as { code?: unknown }).code === 'string');

/** A transform step by name: built in, or the plan's own (given its plan arguments, its failures quarantined). */
export function buildStep(spec: TransformSpec, custom: Readonly<Record<string, CustomTransformFn>>): TransformFn {
  const name = transformName(spec);
  const own = custom[name];
  if (!own) return buildTransform(spec);
  const args = transformArgs(spec);
  return (value, ctx) => {
    try {
      return own(value, ctx, args);
    } catch (err) {
      if (isRejection(err)) throw err;
      // The plan's code failed on this record: quarantine it with the error, never stop the run.
      throw new RecordRejection(
        'custom_transform_failed',
        `custom transform "${name}" failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };
}

/** Compiles an object's field mappings into one pure function from a raw record to a target payload. */
export function compileObjectMapper(
  object: ObjectPlan,
  custom: Readonly<Record<string, CustomTransformFn>> = {},
): RecordMapper {
  const steps: { from?: string; to: string; fns: TransformFn[] }[] = object.fields.map((f) => ({
    from: f.from,
    to: f.to,
    fns: f.transform.map((spec) => buildStep(spec, custom)),
  }));
  const merged = object.merge !== undefined;
  return (raw, resolveReference = () => ({ found: false })) => {
    // A merged object's record that cannot be loaded says why in staging (a group under review, a refused merge).
    const verdict = merged ? mergeVerdict(raw) : null;
    if (verdict) return { ok: false, ...verdict };
    const ctx: TransformContext = { record: raw, resolveReference };
    const payload: Record<string, unknown> = {};
    for (const step of steps) {
      const value = step.from === undefined ? null : raw[step.from];
      try {
        // Characters that text cannot carry are quarantined, in the source value and in what is written.
        assertFaithfulText(value);
        let out: unknown = value === undefined ? null : value;
        for (const fn of step.fns) out = fn(out, ctx);
        payload[step.to] = out;
        // A text or number that came through unchanged was checked above (a list or object is checked again: a
        // plan's own transform may have changed it in place).
        if (out !== value || (out !== null && typeof out === 'object')) assertFaithfulText(out);
      } catch (err) {
        if (isRejection(err)) {
          return {
            ok: false,
            field: step.from ?? step.to,
            code: err.code,
            message: `${step.from ?? step.to} → ${step.to}: ${err.message}`,
          };
        }
        throw err;
      }
    }
    return { ok: true, payload };
  };
}
