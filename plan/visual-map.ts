import { sourceOf, type FilterRule, type ObjectPlan, type Plan } from './schema';
import { matchRuleName, type MergedObjectPlan } from './merge-schema';
import { describeTransform } from './transforms';

/**
 * The plan as a plain-text map, for operators reviewing it (`tern plan map`): per object its source and
 * target, the purge filters, the dedupe rule, then one line per field, aligned in columns:
 *
 *     accounts: legacy_crm.accounts → crm_target.accounts (key legacy_id)
 *       filter closed-before-2015: closed_at before 2015-01-01
 *       dedupe: key name + city, survivor latest_updated
 *       account_id → trim → required     → legacy_id
 *       Name       → collapse_whitespace → name
 *       —          → default("active")   → status
 *
 * `(none)` stands for a field without transforms, `—` for a field without a source column. No colours; the
 * output depends only on the plan, so it can be diffed and asserted.
 */
export function renderVisualMap(plan: Plan, options: { object?: string } = {}): string {
  return visualMapModel(plan, options)
    .map((object) => renderObject(object).join('\n'))
    .join('\n\n');
}

/** One object of the visual map, as data: what the text map prints and the proof pack draws. */
export interface VisualMapObject {
  object: string;
  /** Where its records come from: its file, its (schema-qualified) table, its vendor resource, or "query". */
  source: string;
  /** Where they go: the schema-qualified table, or the vendor and its resource. */
  target: string;
  key: string;
  /** The purge filters: each rule's name (null when unnamed) and the rule as one line (`closed_at before 2015-01-01`). */
  filters: { name: string | null; rule: string }[];
  /** The dedupe rule as one line, or null without one. */
  dedupe: string | null;
  /** One row per target field: its source column (null when it has none) and its transforms, described. */
  fields: { from: string | null; transforms: string[]; to: string }[];
  /**
   * A merged object: its match rules in order, and each target field's survivorship rule (`fields` then holds every
   * source's field map, each source column written `source.column`).
   */
  merge?: { match: string[]; survivorship: string[] };
}

/** The visual map as data, per object in plan order (or only `options.object`). */
export function visualMapModel(plan: Plan, options: { object?: string } = {}): VisualMapObject[] {
  let objects = plan.objects;
  if (options.object !== undefined) {
    objects = objects.filter((o) => o.name === options.object);
    if (objects.length === 0)
      throw new Error(
        `the plan has no object "${options.object}"; its objects are: ${plan.objects.map((o) => o.name).join(', ')}`,
      );
  }
  return objects.map((object) => ({
    object: object.name,
    source: sourceName(plan, object),
    target:
      plan.target.kind === 'postgres'
        ? `${plan.target.schema}.${object.target.table}`
        : `${plan.target.kind} ${object.target.table}`,
    key: object.target.key,
    filters: object.filters.map((rule) => ({ name: rule.name ?? null, rule: describeFilter(rule) })),
    dedupe: object.dedupe ? `key ${object.dedupe.key.join(' + ')}, survivor ${object.dedupe.survivor}` : null,
    fields: (object.merge
      ? object.merge.sources.flatMap((s) => s.fields.map((f) => ({ ...f, from: f.from && `${s.source}.${f.from}` })))
      : object.fields
    ).map((field) => ({
      from: field.from ?? null,
      transforms: field.transform.map((spec) => describeTransform(spec)),
      to: field.to,
    })),
    ...(object.merge ? { merge: mergeModel(object.merge) } : {}),
  }));
}

/** A merged object's match rules and survivorship, one line each. */
function mergeModel(merge: MergedObjectPlan): { match: string[]; survivorship: string[] } {
  const sources = merge.sources.map((s) => s.source);
  const fields = [...new Set(merge.sources.flatMap((s) => s.fields.map((f) => f.to)))];
  const rule = (field: string): string => {
    const r = merge.survivorship[field];
    if (!r) return `priority ${sources.join(' > ')} (default)`;
    if (r.rule === 'priority')
      return `priority ${[...r.sources, ...sources.filter((s) => !r.sources.includes(s))].join(' > ')}`;
    if (r.rule === 'transform') return `transform ${describeTransform(r.transform)}`;
    return r.rule;
  };
  return { match: merge.match.map(matchRuleName), survivorship: fields.map((f) => `${f}: ${rule(f)}`) };
}

function renderObject(object: VisualMapObject): string[] {
  const lines = [`${object.object}: ${object.source} → ${object.target} (key ${object.key})`];
  if (object.filters.length === 0) lines.push('  filters: (none)');
  object.filters.forEach((f) => lines.push(`  filter${f.name ? ` ${f.name}` : ''}: ${f.rule}`));
  lines.push(`  dedupe: ${object.dedupe ?? '(none)'}`);
  if (object.merge) {
    lines.push(`  match: ${object.merge.match.join(', then ')}`);
    lines.push(`  survivorship: ${object.merge.survivorship.join('; ')}`);
  }
  const rows = object.fields.map((field) => ({
    from: field.from ?? '—',
    chain: field.transforms.length === 0 ? '(none)' : field.transforms.join(' → '),
    to: field.to,
  }));
  const fromWidth = Math.max(...rows.map((r) => width(r.from)));
  const chainWidth = Math.max(...rows.map((r) => width(r.chain)));
  for (const row of rows) lines.push(`  ${pad(row.from, fromWidth)} → ${pad(row.chain, chainWidth)} → ${row.to}`);
  return lines;
}

/** Where an object's records come from: its file, its (schema-qualified) table, or "query". */
function sourceName(plan: Plan, object: ObjectPlan): string {
  if (object.merge) return `merged from ${object.merge.sources.map((s) => `${s.source} ${s.object}`).join(' + ')}`;
  const source = sourceOf(plan, object);
  if (object.source.file !== undefined) return object.source.file;
  if (object.source.table !== undefined) {
    const schema = 'schema' in source ? source.schema : undefined;
    return schema !== undefined && !object.source.table.includes('.')
      ? `${schema}.${object.source.table}`
      : object.source.table;
  }
  if (object.source.resource !== undefined) return `${source.kind} ${object.source.resource}`;
  return 'query';
}

function describeFilter(rule: FilterRule): string {
  if (rule.in !== undefined) return `${rule.field} in [${rule.in.map((v) => JSON.stringify(v)).join(', ')}]`;
  if (rule.blank !== undefined) return `${rule.field} is ${rule.blank ? '' : 'not '}blank`;
  if (rule.before !== undefined) return `${rule.field} before ${rule.before}`;
  if (rule.onOrAfter !== undefined) return `${rule.field} on or after ${rule.onOrAfter}`;
  if (rule.matches !== undefined) return `${rule.field} matches /${rule.matches}/`;
  return rule.field;
}

/** Width in code points, so names with accents or emoji still line up. */
const width = (s: string): number => Array.from(s).length;
const pad = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - width(s)));
