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
 * What a target field's value is built from, when its mapping is one `template` and nothing else: two records whose
 * values are equal have these parts equal, up to whitespace (the template trims and collapses it) and the text a
 * source value prints as. Null for any other mapping: there, two different source values may map to one value
 * (a `lowercase`, a `map`, a `coalesce`), so nothing read from the source alone says which records share a value.
 * Loads that must keep records sharing a value in order split by these parts (`activities/order-groups.ts`).
 */
export function valueParts(object: ObjectPlan, to: string): ValueParts | null {
  const fields = object.fields.filter((f) => f.to === to);
  if (fields.length !== 1) return null;
  const [field] = fields;
  if (field!.transform.length !== 1 || transformName(field!.transform[0]!) !== 'template') return null;
  const template = transformArgs(field!.transform[0]!).template;
  if (typeof template !== 'string') return null;
  const parts: ValueParts = [];
  for (const part of parseTemplate(template)) {
    if ('text' in part) parts.push(part);
    // `{value}` is the mapped source field's value; without one it renders empty.
    else if (part.field === 'value') {
      if (field!.from !== undefined) parts.push({ field: field!.from });
    } else parts.push(part);
  }
  return parts.some((p) => 'field' in p) ? parts : null;
}
