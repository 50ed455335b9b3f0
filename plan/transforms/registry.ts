import { type TransformContext, type TransformDefinition, type TransformFn } from './core';
import { DATE_TRANSFORMS } from './dates';
import { LIST_TRANSFORMS } from './lists';
import { LOOKUP_TRANSFORMS } from './lookups';
import { NUMBER_TRANSFORMS } from './numbers';
import { RECORD_TRANSFORMS } from './records';
import { REWRITE_TRANSFORMS } from './rewrite';
import { TEXT_TRANSFORMS } from './text';

/** Every built-in transform, by the name a plan uses. */
export const TRANSFORMS: Record<string, TransformDefinition> = {
  ...TEXT_TRANSFORMS,
  ...REWRITE_TRANSFORMS,
  ...RECORD_TRANSFORMS,
  ...NUMBER_TRANSFORMS,
  ...LOOKUP_TRANSFORMS,
  ...DATE_TRANSFORMS,
  ...LIST_TRANSFORMS,
};

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
