import path from 'node:path';
import { PlanError } from '../common/errors';
import type { CustomTransformFn } from './compile';
import type { Plan } from './schema';

/**
 * Loads a plan's custom transform modules (TypeScript or JavaScript; paths are absolute once the plan is
 * resolved). Each declared export must be a function `(value, ctx, args) => newValue`.
 */
export function loadCustomTransforms(plan: Plan, baseDir = process.cwd()): Record<string, CustomTransformFn> {
  const out: Record<string, CustomTransformFn> = {};
  for (const [name, decl] of Object.entries(plan.customTransforms)) {
    const file = path.resolve(baseDir, decl.module);
    let mod: Record<string, unknown>;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(file) as Record<string, unknown>;
    } catch (err) {
      throw new PlanError(
        `customTransforms.${name}: cannot load module ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
        'check the module path (relative to the plan file) and that it compiles',
      );
    }
    const fn = mod[decl.export];
    if (typeof fn !== 'function') {
      throw new PlanError(
        `customTransforms.${name}: ${file} has no exported function "${decl.export}"`,
        `export a function (value, ctx, args) => newValue named ${decl.export}, or set customTransforms.${name}.export`,
      );
    }
    out[name] = fn as CustomTransformFn;
  }
  return out;
}
