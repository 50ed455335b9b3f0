import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PlanError } from '../common/errors';
import type { CustomTransformFn } from './compile';
import type { PlanIssue } from './load';
import type { Plan } from './schema';

/**
 * Custom transform modules, as a plan file names them: each must be a file inside the plan's folder (or below
 * it), symbolic links followed, so a plan runs no code from elsewhere on the workers. Returns each module's
 * content hash (sha256), which the loader puts into the plan and so into the plan's hash.
 */
export function customModules(data: unknown, baseDir: string): { issues: PlanIssue[]; sha256: Record<string, string> } {
  const issues: PlanIssue[] = [];
  const sha256: Record<string, string> = {};
  const fix = "move the module into the plan's folder (or a folder below it) and name it relative to the plan file";
  let realBase: string | undefined;
  for (const [name, raw] of Object.entries(asRecord(asRecord(data).customTransforms))) {
    const decl = asRecord(raw);
    if (decl.sha256 !== undefined)
      issues.push({
        path: `customTransforms.${name}.sha256`,
        message: "is Tern's own (the module's content hash, computed when the plan is loaded); remove it",
      });
    if (typeof decl.module !== 'string' || decl.module === '') continue;
    const where = `customTransforms.${name}.module`;
    const file = path.resolve(baseDir, decl.module);
    if (!isInside(baseDir, file)) {
      issues.push({ path: where, message: `${decl.module} (${file}) is outside the plan's folder ${baseDir}; ${fix}` });
      continue;
    }
    let real: string;
    let content: Buffer;
    try {
      realBase ??= fs.realpathSync(baseDir);
      real = fs.realpathSync(file);
      content = fs.readFileSync(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      issues.push({
        path: where,
        message: `cannot read module ${decl.module} (${file}: ${code}); check the path (relative to the plan file)`,
      });
      continue;
    }
    if (!isInside(realBase, real)) {
      issues.push({
        path: where,
        message: `${decl.module} is a symbolic link to ${real}, outside the plan's folder ${realBase}; ${fix}`,
      });
      continue;
    }
    sha256[name] = contentHash(content);
  }
  return { issues, sha256 };
}

/** The content hash of each module this process has loaded, by file: a module edited since is loaded again. */
const loadedContent = new Map<string, string>();

/**
 * Loads a plan's custom transform modules (TypeScript or JavaScript; paths are absolute once the plan is
 * resolved). Each declared export must be a function `(value, ctx, args) => newValue`. A module the plan pinned
 * (`sha256`) runs only with that content: the version this process loaded before if it matches, else the file
 * if it still holds it; a module edited since refuses, so a phase never runs code its plan did not hash.
 */
export function loadCustomTransforms(plan: Plan, baseDir = process.cwd()): Record<string, CustomTransformFn> {
  const out: Record<string, CustomTransformFn> = {};
  for (const [name, decl] of Object.entries(plan.customTransforms)) {
    const file = path.resolve(baseDir, decl.module);
    if (decl.sha256 !== undefined && loadedContent.get(file) !== decl.sha256) {
      let now: string | undefined;
      try {
        now = contentHash(fs.readFileSync(file));
      } catch {
        // Missing or unreadable: `require` below says why.
      }
      if (now !== undefined && now !== decl.sha256)
        throw new PlanError(
          `customTransforms.${name}: ${file} changed since this version of the plan was loaded (its content hash is ${now.slice(0, 12)}, the plan's ${decl.sha256.slice(0, 12)})`,
          'put the module back as it was until the phase running this plan ends, or cancel that phase and run it again with the edited plan',
        );
      // Another content of the file was loaded before: forget it, so `require` reads the file again.
      if (loadedContent.has(file)) delete require.cache[file];
    }
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
    if (decl.sha256 !== undefined) loadedContent.set(file, decl.sha256);
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

function contentHash(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Whether `file` is below `dir`. */
function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
