import { objectDependencies } from './load';
import type { Plan } from './schema';

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
