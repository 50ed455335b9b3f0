import type { ObjectPlan } from './schema';
import { composeTransforms, RecordRejection, type TransformContext, type TransformFn } from './transforms';

/** The outcome of mapping one staged record. */
export type MapResult =
  { ok: true; payload: Record<string, unknown> } | { ok: false; field: string; code: string; message: string };

export type RecordMapper = (
  raw: Record<string, unknown>,
  resolveReference?: TransformContext['resolveReference'],
) => MapResult;

/** Compiles an object's field mappings into one pure function from a raw record to a target payload. */
export function compileObjectMapper(object: ObjectPlan): RecordMapper {
  const steps: { from?: string; to: string; fn: TransformFn }[] = object.fields.map((f) => ({
    from: f.from,
    to: f.to,
    fn: composeTransforms(f.transform),
  }));
  return (raw, resolveReference = () => ({ found: false })) => {
    const ctx: TransformContext = { record: raw, resolveReference };
    const payload: Record<string, unknown> = {};
    for (const step of steps) {
      const value = step.from === undefined ? null : raw[step.from];
      try {
        payload[step.to] = step.fn(value === undefined ? null : value, ctx);
      } catch (err) {
        if (err instanceof RecordRejection) {
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
