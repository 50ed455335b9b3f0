import fs from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { PlanError } from '../common/errors';
import { checksum } from './checksum';
import { customModules } from './custom';
import { DATABASE_PAGE_SIZE, DATABASE_TARGET_KINDS, planSchema, type Plan } from './schema';
import { sourceQueryProblem, type SqlDialect } from './source-query';
import { parseReviewFile } from './identity';
import { unknownMergeTransforms } from './merge-schema';
import { parseMappingFile } from './suggest';
import { TRANSFORM_NAMES, TRANSFORMS, transformArgs, transformName, type TransformSpec } from './transforms';

/** A validated plan with where it came from. Paths inside it are resolved against `baseDir`. */
export interface LoadedPlan {
  plan: Plan;
  file: string;
  baseDir: string;
  hash: string;
  /** The plan file's text, to place later findings (target checks) on their lines. */
  text: string;
}

/** One problem in a plan file: where (path and line), what, and how to fix it. */
export interface PlanIssue {
  path: string;
  line?: number;
  message: string;
}

export function formatIssue(file: string, issue: PlanIssue): string {
  return `${file}${issue.line ? `:${issue.line}` : ''} ${issue.path || '(top level)'}: ${issue.message}`;
}

/** How to load a plan. */
export interface PlanLoadOptions {
  /**
   * Load a plan whose picklist names an `aliasesFile` that does not exist yet (as if it named none):
   * `tern map suggest` creates that file from such a plan.
   */
  allowMissingAliasesFiles?: boolean;
}

/**
 * Merged objects naming a `review` file (relative to the plan file): reads each person's decisions into the raw plan
 * as `decisions` (by group) and the groups still undecided as `undecided`, so the merge stays pure and the plan's hash
 * covers the decisions. A review file not written yet holds no decisions (`tern merge review` writes it).
 */
function resolveReviewFiles(data: unknown, baseDir: string): PlanIssue[] {
  const issues: PlanIssue[] = [];
  asArray(asRecord(data).objects).forEach((rawObject, i) => {
    const object = asRecord(rawObject);
    if (typeof object.review !== 'string' || object.review.trim() === '') return;
    const file = path.resolve(baseDir, object.review);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      issues.push({
        path: `objects.${i}.review`,
        message: `cannot read review file ${object.review} (${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      });
      return;
    }
    const review = parseReviewFile(text);
    for (const problem of review.issues)
      issues.push({
        path: `objects.${i}.review`,
        message: `${object.review}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`,
      });
    const text_ = (r: { source: string; sourceId: string }) => `${r.source}/${r.sourceId}`;
    object.decisions = Object.fromEntries(
      [...review.decisions].map(([group, d]) => [
        group,
        d.kind === 'merge' ? 'merge' : { split: d.parts.map((part) => part.map(text_)) },
      ]),
    );
    object.undecided = review.pending;
  });
  return issues;
}

/** Reads, parses and validates a plan file; throws a PlanError listing every problem with its line. */
export function loadPlanFile(file: string, options: PlanLoadOptions = {}): LoadedPlan {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlanError(
      `cannot read plan file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'check the path; plans are YAML files such as examples/demo-customers.yaml',
    );
  }
  return parsePlan(text, file, options);
}

export function parsePlan(text: string, file: string, options: PlanLoadOptions = {}): LoadedPlan {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      path: '',
      line: lineCounter.linePos(e.pos[0]).line,
      message: `YAML syntax error: ${e.message.split('\n')[0]}`,
    }));
    throw planError(file, issues);
  }
  const data: unknown = doc.toJS();
  const baseDir = path.dirname(path.resolve(file));
  const mappingIssues = [...resolveAliasesFiles(data, baseDir, options), ...resolveReviewFiles(data, baseDir)];
  const modules = customModules(data, baseDir);
  const result = planSchema.safeParse(pageSizeDefaults(data));
  // Cross-checks read the raw data defensively, so one run reports shape errors and reference errors together.
  const issues = [
    ...mappingIssues,
    ...modules.issues,
    ...(result.success ? [] : zodIssues(result.error, doc, lineCounter, data)),
    ...crossChecks(data),
    ...(result.success ? mergeTransformChecks(result.data) : []),
  ];
  if (issues.length > 0 || !result.success) {
    throw planError(
      file,
      issues.map((i) => ({ ...i, line: i.line ?? lineOf(doc, lineCounter, i.path) })),
    );
  }
  // Each module's content hash goes into the plan, so the plan's hash changes when a module does.
  for (const [name, sha256] of Object.entries(modules.sha256)) result.data.customTransforms[name]!.sha256 = sha256;
  return { plan: result.data, file, baseDir, hash: checksum(result.data), text };
}

/**
 * Picklists naming an `aliasesFile` (a mapping file, relative to the plan file): reads each file, checks
 * its entries against the picklist's options, and writes them into the raw plan as `aliases` (inline aliases
 * are kept beside them), its null entries as `unfilled`, and its options as `options` when the plan lists
 * none. The transform stays pure, and the plan stored in staging carries the whole mapping.
 */
function resolveAliasesFiles(data: unknown, baseDir: string, options: PlanLoadOptions): PlanIssue[] {
  const issues: PlanIssue[] = [];
  asArray(asRecord(data).objects).forEach((rawObject, i) =>
    asArray(asRecord(rawObject).fields).forEach((rawField, j) =>
      asArray(asRecord(rawField).transform).forEach((rawSpec, k) => {
        const spec = asRecord(rawSpec);
        const args = asRecord(spec.picklist);
        if (typeof args.aliasesFile !== 'string' || args.aliasesFile.trim() === '') return;
        const name = args.aliasesFile;
        const where = `objects.${i}.fields.${j}.transform.${k}.picklist.aliasesFile`;
        const field = `${String(asRecord(rawObject).name)}.${String(asRecord(rawField).from ?? asRecord(rawField).to)}`;
        const file = path.resolve(baseDir, name);
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? String(err);
          if (options.allowMissingAliasesFiles && code === 'ENOENT') return;
          issues.push({
            path: where,
            message: `cannot read mapping file ${name} (${file}: ${code}); create it with \`tern map suggest <plan> ${field}\`, or correct the path (relative to the plan file)`,
          });
          return;
        }
        const listed: unknown = args.options;
        const planOptions =
          Array.isArray(listed) && listed.every((o): o is string => typeof o === 'string') ? listed : undefined;
        const mapping = parseMappingFile(text, planOptions);
        for (const issue of mapping.issues)
          issues.push({ path: where, message: `${name}${issue.line ? `:${issue.line}` : ''}: ${issue.message}` });
        if (mapping.issues.length > 0) return;
        const inline = Object.entries(asRecord(args.aliases)).filter(
          (e): e is [string, string] => typeof e[1] === 'string',
        );
        const loose = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
        const inlineByKey = new Map(inline.map(([alias, option]) => [loose(alias), option]));
        const aliases: Record<string, string> = {};
        const unfilled: string[] = [];
        for (const entry of mapping.entries) {
          const written = inlineByKey.get(loose(entry.value));
          if (written !== undefined && entry.option !== null && loose(written) !== loose(entry.option)) {
            issues.push({
              path: where,
              message: `${name}:${entry.line}: "${entry.value}" maps to "${entry.option}" there and to "${written}" in picklist.aliases; keep one`,
            });
            continue;
          }
          if (written !== undefined) continue;
          if (entry.option === null) unfilled.push(entry.value);
          else aliases[entry.value] = entry.option;
        }
        spec.picklist = {
          ...args,
          ...(planOptions === undefined && mapping.options ? { options: mapping.options } : {}),
          aliases: { ...aliases, ...Object.fromEntries(inline) },
          unfilled,
        };
      }),
    ),
  );
  return issues;
}

/** Rules zod cannot express on one field: uniqueness and references between parts of the plan. */
function crossChecks(data: unknown): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const objects = asArray(asRecord(data).objects);
  const seen = new Set<string>();
  objects.forEach((rawObject, i) => {
    const object = asRecord(rawObject);
    const name = typeof object.name === 'string' ? object.name : undefined;
    if (name !== undefined && seen.has(name)) {
      issues.push({
        path: `objects.${i}.name`,
        message: `object "${name}" is declared twice; give each object its own name`,
      });
    }
    if (name !== undefined) seen.add(name);
    if (Array.isArray(object.sources)) {
      // A merged object: its schema checks its sources' field maps; its sums name target fields they map.
      const mapped = new Set(rawFields(object).map(({ field }) => field.to));
      asArray(object.sums).forEach((sum, k) => {
        if (typeof sum === 'string' && !mapped.has(sum))
          issues.push({
            path: `objects.${i}.sums.${k}`,
            message: `"${sum}" is not a target field the sources map; sum a mapped numeric field`,
          });
      });
      return;
    }
    const fields = asArray(object.fields).map(asRecord);
    const targets = new Set<string>();
    fields.forEach((field, j) => {
      const to = typeof field.to === 'string' ? field.to : undefined;
      if (to !== undefined && targets.has(to)) {
        issues.push({
          path: `objects.${i}.fields.${j}.to`,
          message: `target field "${to}" is mapped twice; map each target field once`,
        });
      }
      if (to !== undefined) targets.add(to);
      // Without a source field, a value must come from a default or from other fields of the record.
      const produces = asArray(field.transform).some(
        (t) =>
          t !== null &&
          typeof t === 'object' &&
          ['default', 'template', 'concat', 'coalesce'].some((name) => name in (t as Record<string, unknown>)),
      );
      if (field.from === undefined && !produces) {
        issues.push({
          path: `objects.${i}.fields.${j}`,
          message:
            'a field without "from" needs a transform that produces a value: { default: … }, { template: … }, { concat: … } or { coalesce: … }',
        });
      }
    });
    const source = asRecord(object.source);
    const target = asRecord(object.target);
    if (typeof target.key === 'string' && fields.length > 0) {
      const keyField = fields.find((f) => f.to === target.key);
      if (!keyField) {
        issues.push({
          path: `objects.${i}.target.key`,
          message:
            typeof target.resource === 'string'
              ? `key field "${target.key}" is not among the mapped fields; map the record's external id in ${target.resource} to it`
              : `key column "${target.key}" is not among the mapped fields; map the source id (${String(source.id)}) to it`,
        });
      } else if (typeof source.id === 'string' && keyField.from !== source.id && typeof target.resource !== 'string') {
        issues.push({
          path: `objects.${i}.target.key`,
          message: `key column "${target.key}" must be mapped from the source id "${source.id}" (it is mapped from "${String(keyField.from)}"): Tern finds records in the target by it`,
        });
      }
    }
    asArray(object.sums).forEach((sum, k) => {
      if (typeof sum === 'string' && !targets.has(sum)) {
        issues.push({
          path: `objects.${i}.sums.${k}`,
          message: `"${sum}" is not a mapped target field; sum a mapped numeric field`,
        });
      }
    });
  });
  issues.push(...sourceChecks(asRecord(data), objects.map(asRecord)));
  issues.push(...transformChecks(asRecord(data), objects.map(asRecord)));
  issues.push(...dependencyChecks(objects.map(asRecord)));
  return issues;
}

const FILE_SOURCES = new Set(['csv', 'jsonl']);
const SQL_SOURCES = new Set(['postgres', 'mysql']);

/** Each object says where its records come from, in the way its source kind needs. */
function sourceChecks(plan: Record<string, unknown>, objects: Record<string, unknown>[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  objects.forEach((object, i) => {
    // A merged object names each source's object in its own way; the schema checks its sources.
    if (Array.isArray(object.sources)) return;
    const source = asRecord(object.source);
    const kind =
      typeof source.from === 'string' ? asRecord(asRecord(plan.sources)[source.from]).kind : asRecord(plan.source).kind;
    if (typeof kind === 'string' && FILE_SOURCES.has(kind)) {
      if (typeof source.file !== 'string')
        issues.push({
          path: `objects.${i}.source`,
          message: `a ${kind} source needs "file": the file name inside the source directory`,
        });
      if (source.table !== undefined || source.query !== undefined)
        issues.push({
          path: `objects.${i}.source`,
          message: `"table" and "query" are for SQL sources; a ${kind} source reads "file"`,
        });
    }
    if (typeof kind === 'string' && SQL_SOURCES.has(kind)) {
      const has = [source.table, source.query].filter((x) => x !== undefined).length;
      if (has !== 1)
        issues.push({
          path: `objects.${i}.source`,
          message: `a ${kind} source needs exactly one of "table" or "query"`,
        });
      if (source.file !== undefined)
        issues.push({
          path: `objects.${i}.source.file`,
          message: `"file" is for file sources; a ${kind} source reads "table" or "query"`,
        });
      const problem = typeof source.query === 'string' ? sourceQueryProblem(source.query, kind as SqlDialect) : null;
      if (problem) issues.push({ path: `objects.${i}.source.query`, message: `the source query ${problem}` });
    }
    if (kind === 'zendesk' && typeof source.resource !== 'string')
      issues.push({
        path: `objects.${i}.source`,
        message: 'a zendesk source needs "resource": users, organizations, tickets or comments',
      });
    if (kind === 'hubspot' && typeof source.resource !== 'string')
      issues.push({
        path: `objects.${i}.source`,
        message: 'a hubspot source needs "resource": companies, contacts, deals, owners or stages',
      });
    if (kind !== 'zendesk' && kind !== 'hubspot' && source.resource !== undefined)
      issues.push({
        path: `objects.${i}.source.resource`,
        message: `"resource" is for SaaS sources; a ${String(kind)} source reads ${FILE_SOURCES.has(String(kind)) ? '"file"' : '"table" or "query"'}`,
      });
    const sampleWith = asRecord(asRecord(object.sample).with);
    if (typeof sampleWith.object === 'string' && !objects.some((o) => o.name === sampleWith.object))
      issues.push({
        path: `objects.${i}.sample.with.object`,
        message: `"${sampleWith.object}" is not an object of this plan; name the object these records belong to`,
      });
  });
  return issues;
}

/** A merged object's blocking-key normalisers and survivorship transforms are built in or the plan's own. */
function mergeTransformChecks(plan: Plan): PlanIssue[] {
  const custom = Object.keys(plan.customTransforms);
  return plan.objects.flatMap((object, i) =>
    object.merge
      ? unknownMergeTransforms(object.merge, custom)
          // The sources' field maps are checked with every object's (transformChecks).
          .filter((u) => !u.path.startsWith('sources.'))
          .map((u) => ({
            path: `objects.${i}.${u.path}`,
            message: `unknown transform "${u.name}"; use one of: ${[...TRANSFORM_NAMES, ...custom].join(', ')}${custom.length === 0 ? ' (or declare it under customTransforms)' : ''}`,
          }))
      : [],
  );
}

/** Transform names are built-in or the plan's custom ones; custom modules exist and export the function. */
function transformChecks(plan: Record<string, unknown>, objects: Record<string, unknown>[]): PlanIssue[] {
  const custom = new Set(Object.keys(asRecord(plan.customTransforms)));
  const issues: PlanIssue[] = [];
  objects.forEach((object, i) =>
    rawFields(object).forEach(({ field: rawField, path: where }) =>
      asArray(rawField.transform).forEach((spec, k) => {
        if (typeof spec !== 'string' && (spec === null || typeof spec !== 'object')) return;
        const name = transformName(spec as TransformSpec);
        if (!(name in TRANSFORMS) && !custom.has(name)) {
          issues.push({
            path: `objects.${i}.${where}.transform.${k}`,
            message: `unknown transform "${name}"; use one of: ${[...TRANSFORM_NAMES, ...custom].join(', ')}${custom.size === 0 ? ' (or declare it under customTransforms)' : ''}`,
          });
        }
      }),
    ),
  );
  return issues;
}

/** The objects that each object references through `reference` transforms. */
export function objectDependencies(object: Record<string, unknown>): string[] {
  const deps = new Set<string>();
  for (const { field: rawField } of rawFields(object)) {
    for (const spec of asArray(rawField.transform)) {
      if (spec !== null && typeof spec === 'object' && transformName(spec as TransformSpec) === 'reference') {
        const target = transformArgs(spec as TransformSpec).object;
        if (typeof target === 'string') deps.add(target);
      }
    }
  }
  return [...deps];
}

/** Objects are declared in dependency order: what an object references is migrated before it; no cycles. */
function dependencyChecks(objects: Record<string, unknown>[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const index = new Map(objects.map((o, i) => [o.name, i] as const));
  const graph = new Map(objects.map((o) => [String(o.name), objectDependencies(o)]));
  objects.forEach((object, i) => {
    for (const dep of graph.get(String(object.name)) ?? []) {
      const at = index.get(dep);
      if (at === undefined)
        issues.push({
          path: `objects.${i}.fields`,
          message: `references object "${dep}", which the plan does not declare; add it or correct the name`,
        });
      else if (at === i)
        issues.push({
          path: `objects.${i}.fields`,
          message: `"${String(object.name)}" references itself: a dependency cycle; map the self-reference in a later object or drop it`,
        });
    }
  });
  // Cycles across objects, reported once with their path.
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const key = [...cycle].sort().join('>');
      if (cycle.length > 2 && !reported.has(key)) {
        reported.add(key);
        issues.push({
          path: `objects.${index.get(name) ?? 0}`,
          message: `dependency cycle ${cycle.join(' → ')}; an object cannot depend on itself through others`,
        });
      }
      return;
    }
    state.set(name, 'visiting');
    for (const dep of graph.get(name) ?? []) if (graph.has(dep) && dep !== name) visit(dep, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of graph.keys()) visit(name, []);
  if (reported.size === 0) {
    objects.forEach((object, i) => {
      for (const dep of graph.get(String(object.name)) ?? []) {
        const at = index.get(dep);
        if (at !== undefined && at > i) {
          issues.push({
            path: `objects.${i}`,
            message: `"${String(object.name)}" references "${dep}", declared after it; declare "${dep}" first (objects load in the order written)`,
          });
        }
      }
    });
  }
  return issues;
}

/**
 * An object that does not say `pageSize` gets its target kind's default: `DATABASE_PAGE_SIZE` for a database
 * target, else the schema's own. Applied to the raw plan, so the schema still checks every page size it is given.
 */
function pageSizeDefaults(data: unknown): unknown {
  const plan = asRecord(data);
  const kind = asRecord(plan.target).kind;
  if (typeof kind !== 'string' || !DATABASE_TARGET_KINDS.includes(kind) || !Array.isArray(plan.objects)) return data;
  const objects = plan.objects.map((object: unknown) => {
    const o = asRecord(object);
    return o === object && !('pageSize' in o) ? { ...o, pageSize: DATABASE_PAGE_SIZE } : object;
  });
  return { ...plan, objects };
}

/** An object's field maps with their paths: its own, or a merged object's sources' (`sources.0.fields.2`). */
function rawFields(object: Record<string, unknown>): { field: Record<string, unknown>; path: string }[] {
  if (Array.isArray(object.sources))
    return object.sources.flatMap((s, j) =>
      asArray(asRecord(s).fields).map((f, k) => ({ field: asRecord(f), path: `sources.${j}.fields.${k}` })),
    );
  return asArray(object.fields).map((f, k) => ({ field: asRecord(f), path: `fields.${k}` }));
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * An object is one-source or merged: when it fits neither, report the problems of the kind it is written as (with
 * `sources:`, merged), not zod's "Invalid input" for both.
 */
function objectKindIssues(issues: readonly z.core.$ZodIssue[], data: unknown): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const [top, index] = issue.path;
    if (issue.code !== 'invalid_union' || issue.path.length !== 2 || top !== 'objects' || typeof index !== 'number')
      return [issue];
    const merged = Array.isArray(asRecord(asArray(asRecord(data).objects)[index]).sources);
    const branch = issue.errors[merged ? 1 : 0] ?? [];
    return branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
  });
}

function zodIssues(error: z.ZodError, doc: Document, lineCounter: LineCounter, data: unknown): PlanIssue[] {
  return objectKindIssues(error.issues, data).map((issue) => {
    const p = issue.path.map(String).join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or correct them`;
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
      message = `is required (${issue.message})`;
    return { path: p, line: lineOf(doc, lineCounter, p), message };
  });
}

/** The 1-based line of a dotted path (`objects.1.fields.2.to`) in a plan's text. */
export function planLine(text: string, dotted: string): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return lineOf(doc, lineCounter, dotted);
}

/** The 1-based line of the node at a dotted path, or of its nearest existing parent. */
function lineOf(doc: Document, lineCounter: LineCounter, dotted: string): number | undefined {
  const parts = dotted === '' ? [] : dotted.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let n = parts.length; n >= 0; n--) {
    const node = doc.getIn(parts.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range && (isMap(node) || isSeq(node) || typeof node === 'object')) return lineCounter.linePos(range[0]).line;
  }
  return undefined;
}

function planError(file: string, issues: PlanIssue[]): PlanError {
  const lines = issues.map((i) => formatIssue(file, i));
  return new PlanError(
    `plan ${file} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`,
    'correct the plan at the lines named above and run `tern plan validate` again',
  );
}
