import { sql, type SQL } from 'drizzle-orm';
import { FRONT_ORDERED_BY, type FrontResource } from '../connectors/front/target';
import { valueParts, type ValueParts } from '../plan/load-order';
import type { ObjectPlan, Plan } from '../plan/schema';
import { stagedRecords } from '../staging/schema';

/**
 * One share of an object's records, split by a value whose records must reach the target in order: the records
 * whose value hashes to `index` of `of`. Every record of one value is in one group, so groups load side by side and
 * each value's records still go one after another, in source order, within its group's pages.
 */
export interface LoadGroup {
  index: number;
  of: number;
}

/**
 * The target field whose records sharing a value reach the target in source order, one after another (Front's
 * threads and their notes). Null: none.
 */
export function orderedField(plan: Plan, object: ObjectPlan): string | null {
  if (plan.target.kind !== 'front') return null;
  return FRONT_ORDERED_BY[(object.target.resource ?? object.name) as FrontResource] ?? null;
}

/**
 * What the object's ordered field is built from, when it can be split into groups: null when it has no ordered field
 * or when its mapping could make one value of different source values (then it loads in one range).
 */
export function orderedParts(plan: Plan, object: ObjectPlan): ValueParts | null {
  const field = orderedField(plan, object);
  return field === null ? null : valueParts(plan, object, field);
}

/** JavaScript's `\s`: what a template trims and collapses, removed whole from the group's key. */
const WHITESPACE = '[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]';

/**
 * A JSON number as JavaScript prints it (what the template writes): the shortest decimal that reads back as the same
 * double, in plain notation from 10^-6 to 10^21 and in JavaScript's exponent notation outside; `Infinity` beyond
 * the doubles' range, `0` below it.
 */
function numberText(value: SQL): SQL {
  const n = sql`(${value}::numeric)`;
  const double = sql`(${n}::float8)`;
  return sql`(case
    when abs(${n}) > 1.7976931348623157e308 then case when ${n} > 0 then 'Infinity' else '-Infinity' end
    when abs(${n}) < 4.9e-324 then '0'
    when abs(${double}) >= 1e21 or (abs(${double}) < 1e-6 and ${double} <> 0)
      then regexp_replace(${double}::text, 'e([+-])0*', 'e\\1')
    else trim_scale(${double}::text::numeric)::text end)`;
}

/**
 * A staged record's source field as a template prints it, up to whitespace: a string as is, a number as JavaScript
 * prints it, a boolean as `true`/`false`, nothing for null, an empty list or a missing field, and a list or object
 * as its JSON (an object's keys in PostgreSQL's order).
 */
function fieldText(field: string): SQL {
  const value = sql`(${stagedRecords.raw} -> ${field}::text)`;
  return sql`(case jsonb_typeof(${value})
    when 'string' then ${value} #>> '{}'
    when 'number' then ${numberText(value)}
    when 'boolean' then ${value}::text
    when 'array' then case when jsonb_array_length(${value}) = 0 then '' else ${value}::text end
    when 'object' then ${value}::text
    else '' end)`;
}

/**
 * The key records share when their ordered field's values are equal: the value's parts printed, every whitespace
 * character removed (the template collapses it, so records whose values differ only there share a key, never the
 * reverse). Coarser than the value is safe: records of one value always share a key.
 */
export function groupKey(parts: ValueParts): SQL {
  const text = sql.join(
    parts.map((p) => ('text' in p ? sql`${p.text}::text` : fieldText(p.field))),
    sql` || `,
  );
  return sql`regexp_replace(${text}, ${WHITESPACE}::text, '', 'g')`;
}

/**
 * The page read's condition for one group: its key's digest (stable across servers and versions) picks the group.
 *
 * Wrapped in `coalesce(…, false)` for the planner: it estimates an equality on an expression it has no statistics
 * of at 0.5% of the rows, and from that a walk of the primary key to find a page of 200 looked dearer than reading
 * every row after the cursor and sorting them: at 5,000 Zendesk tickets each page read took 60 ms, and it grew with
 * the object (test/integration/order-groups.test.ts reads the plan). A `coalesce` it estimates at half the rows,
 * near the truth for a few groups, and the page read stays a walk of the key that stops at the page's end.
 */
export function groupCondition(parts: ValueParts, group: LoadGroup): SQL {
  return sql`coalesce(mod(get_byte(decode(md5(${groupKey(parts)}), 'hex'), 0), ${group.of}::int) = ${group.index}::int, false)`;
}
