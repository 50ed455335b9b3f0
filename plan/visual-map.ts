import type { FilterRule, ObjectPlan, Plan } from './schema';
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
  let objects = plan.objects;
  if (options.object !== undefined) {
    objects = objects.filter((o) => o.name === options.object);
    if (objects.length === 0)
      throw new Error(
        `the plan has no object "${options.object}"; its objects are: ${plan.objects.map((o) => o.name).join(', ')}`,
      );
  }
  return objects.map((object) => renderObject(plan, object).join('\n')).join('\n\n');
}

function renderObject(plan: Plan, object: ObjectPlan): string[] {
  const lines = [
    `${object.name}: ${sourceName(plan, object)} → ${plan.target.kind === 'postgres' ? `${plan.target.schema}.${object.target.table}` : `${plan.target.kind} ${object.target.table}`} (key ${object.target.key})`,
  ];
  if (object.filters.length === 0) lines.push('  filters: (none)');
  object.filters.forEach((rule) => lines.push(`  filter${rule.name ? ` ${rule.name}` : ''}: ${describeFilter(rule)}`));
  lines.push(
    object.dedupe
      ? `  dedupe: key ${object.dedupe.key.join(' + ')}, survivor ${object.dedupe.survivor}`
      : '  dedupe: (none)',
  );
  const rows = object.fields.map((field) => ({
    from: field.from ?? '—',
    chain: field.transform.length === 0 ? '(none)' : field.transform.map((spec) => describeTransform(spec)).join(' → '),
    to: field.to,
  }));
  const fromWidth = Math.max(...rows.map((r) => width(r.from)));
  const chainWidth = Math.max(...rows.map((r) => width(r.chain)));
  for (const row of rows) lines.push(`  ${pad(row.from, fromWidth)} → ${pad(row.chain, chainWidth)} → ${row.to}`);
  return lines;
}

/** Where an object's records come from: its file, its (schema-qualified) table, or "query". */
function sourceName(plan: Plan, object: ObjectPlan): string {
  if (object.source.file !== undefined) return object.source.file;
  if (object.source.table !== undefined) {
    const schema = 'schema' in plan.source ? plan.source.schema : undefined;
    return schema !== undefined && !object.source.table.includes('.')
      ? `${schema}.${object.source.table}`
      : object.source.table;
  }
  if (object.source.resource !== undefined) return `${plan.source.kind} ${object.source.resource}`;
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
