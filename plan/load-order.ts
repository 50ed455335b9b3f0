import { objectDependencies } from './load';
import type { ObjectPlan, Plan } from './schema';
import { parseTemplate, transformArgs, transformName } from './transforms';

/**
 * For each object of a plan, the objects that must have finished loading before it starts.
 *
 * Into a database, an object waits only for the objects it references (`reference` transforms, itself excepted:
 * a self-reference resolves within its own load); objects with no reference between them load concurrently.
 * A foreign key the plan maps without `reference` is unknown to Tern: map it through `reference`, or the target
 * may refuse a row whose referenced row is not there yet. Into a SaaS target, an object waits for the object
 * declared before it: such targets link records in ways the plan does not spell out (Front conversations are the
 * threads their messages opened) and their request budget is the limit anyway.
 */
export function objectPrerequisites(plan: Plan): Record<string, string[]> {
  const names = plan.objects.map((o) => o.name);
  if (plan.target.kind !== 'postgres')
    return Object.fromEntries(names.map((name, i) => [name, i === 0 ? [] : [names[i - 1]!]]));
  return Object.fromEntries(
    plan.objects.map((o) => [o.name, objectDependencies(o).filter((dep) => dep !== o.name && names.includes(dep))]),
  );
}

/** A field's value as the source fields it is built from: literal text and source fields, in order. */
export type ValueParts = ({ text: string } | { field: string })[];

/**
 * What a target field's value is built from, when records' source values alone say which records share a value:
 * - a `template` and nothing else: two records whose values are equal have these parts equal, up to whitespace (the
 *   template trims and collapses it) and the text a source value prints as;
 * - a `reference` and nothing else, to an object Tern neither deduplicates nor merges, missing records refused or
 *   left empty: the referenced record's target id, one per source id (a deduplicated record's references follow its
 *   survivor, a placeholder stands for every missing one: there, different source values share one).
 * Null for any other mapping: there, two different source values may map to one value (a `lowercase`, a `map`, a
 * `coalesce`). Loads that must keep records sharing a value in order split by these parts
 * (`activities/order-groups.ts`).
 */
export function valueParts(plan: Plan, object: ObjectPlan, to: string): ValueParts | null {
  const fields = object.fields.filter((f) => f.to === to);
  if (fields.length !== 1) return null;
  const field = fields[0]!;
  if (field.transform.length !== 1) return null;
  const spec = field.transform[0]!;
  const args = transformArgs(spec);
  if (transformName(spec) === 'reference') {
    const referenced = plan.objects.find((o) => o.name === args.object);
    const plain = referenced && !referenced.dedupe && !referenced.merge && args.source === undefined;
    return plain && args.onMissing !== 'placeholder' && field.from !== undefined ? [{ field: field.from }] : null;
  }
  if (transformName(spec) !== 'template' || typeof args.template !== 'string') return null;
  const parts: ValueParts = [];
  for (const part of parseTemplate(args.template)) {
    if ('text' in part) parts.push(part);
    // `{value}` is the mapped source field's value; without one it renders empty.
    else if (part.field === 'value') {
      if (field.from !== undefined) parts.push({ field: field.from });
    } else parts.push(part);
  }
  return parts.some((p) => 'field' in p) ? parts : null;
}
