import type postgres from 'postgres';
import { objectDependencies } from '../plan/load';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { referenceFields } from './preferences';

export interface SampleInput extends PinnedPlanInput {
  migrationId: string;
  /** Objects in dependency order. */
  objects: string[];
}

export interface ObjectSample {
  object: string;
  /** Records the rules leave to migrate (not filtered, not deduplicated, not deleted at the source). */
  eligible: number;
  /** Chosen by the stratified draw. */
  drawn: number;
  /**
   * Added because a sampled record references them (so the sample loads without orphans), or because the
   * record they belong to was sampled (`sample.with`).
   */
  referenced: number;
  /** Strata seen, and how many of them the sample represents (all, by construction). */
  strata: number;
  strataRepresented: number;
}

/**
 * Chooses the sample of every object, deterministically: within each stratum (the plan's `sample.strata`
 * fields, trimmed and lower-cased), records are ranked by the md5 of their source id and the first
 * round(n × percent) are drawn — at least one, so every stratum is represented. Then, from the last object to
 * the first, every record a sampled record references is added (following duplicates to their survivors),
 * so the sample's references resolve. Recomputed from scratch: idempotent.
 */
export async function selectSample(ctx: ActivityContext, input: SampleInput): Promise<ObjectSample[]> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const m = input.migrationId;
  await ctx.sql`
    update staged_records set sampled = false, sample_reason = null
    where migration_id = ${m} and object = any(${input.objects}::text[]) and sampled`;
  const results = new Map<string, ObjectSample>();
  for (const name of [...input.objects].reverse()) {
    const object = ctx.object(plan, name);
    if (object.sample.with) continue;
    const stratum = stratumExpression(ctx.sql, object.sample.strata);
    const [drawn] = await ctx.sql<{ eligible: number; drawn: number; strata: number; represented: number }[]>`
      with ranked as (
        select source_id, ${stratum} as stratum,
               row_number() over (partition by ${stratum} order by md5(source_id), source_id) as rn,
               count(*) over (partition by ${stratum}) as n
        from staged_records
        where migration_id = ${m} and object = ${name} and disposition is null and source_deleted_at is null
      ), chosen as (
        update staged_records s set sampled = true, sample_reason = 'stratum ' || r.stratum
        from ranked r
        where s.migration_id = ${m} and s.object = ${name} and s.source_id = r.source_id
          and r.rn <= greatest(1, round(r.n * ${object.sample.percent}::numeric / 100))
        returning r.stratum
      )
      select (select count(*)::int from ranked) as eligible, (select count(*)::int from chosen) as drawn,
             (select count(distinct stratum)::int from ranked) as strata,
             (select count(distinct stratum)::int from chosen) as represented`;
    results.set(name, {
      object: name,
      eligible: drawn?.eligible ?? 0,
      drawn: drawn?.drawn ?? 0,
      referenced: 0,
      strata: drawn?.strata ?? 0,
      strataRepresented: drawn?.represented ?? 0,
    });
    // The records this object's sample references must be loaded too.
    for (const ref of referenceFields(object)) {
      if (!objectDependencies(object).includes(ref.object)) continue;
      await ctx.sql`
        update staged_records p set sampled = true, sample_reason = ${`referenced by ${name}.${ref.field}`}
        from (
          select distinct coalesce(d.duplicate_of, d.source_id) as source_id
          from staged_records c
          join staged_records d on d.migration_id = c.migration_id and d.object = ${ref.object}
                               and d.source_id = ${ref.prefix} || btrim(c.raw ->> ${ref.field})
          where c.migration_id = ${m} and c.object = ${name} and c.sampled
        ) r
        where p.migration_id = ${m} and p.object = ${ref.object} and p.source_id = r.source_id
          and not p.sampled and p.disposition is null`;
    }
  }
  // Objects sampled with their owner: every record whose owner is in the sample.
  for (const name of input.objects) {
    const owner = ctx.object(plan, name).sample.with;
    if (!owner) continue;
    const [counted] = await ctx.sql<{ eligible: number }[]>`
      select count(*)::int as eligible from staged_records
      where migration_id = ${m} and object = ${name} and disposition is null and source_deleted_at is null`;
    // Each record probes its owner by the owner's key (a lateral subquery the planner cannot turn around): a plain
    // join, planned on statistics taken before the draw marked anything sampled, scanned every record once per
    // sampled owner (over two minutes at 5,000 tickets, and quadratic).
    await ctx.sql`
      update staged_records c set sampled = true, sample_reason = ${`with ${owner.object}`}
      from staged_records k cross join lateral (
        select 1 from staged_records o
        where o.migration_id = ${m} and o.object = ${owner.object} and o.source_id = btrim(k.raw ->> ${owner.field})
          and o.sampled
        limit 1) as owned
      where k.migration_id = ${m} and k.object = ${name} and k.disposition is null and k.source_deleted_at is null
        and c.migration_id = ${m} and c.object = ${name} and c.source_id = k.source_id`;
    results.set(name, {
      object: name,
      eligible: counted?.eligible ?? 0,
      drawn: 0,
      referenced: 0,
      strata: 0,
      strataRepresented: 0,
    });
  }
  // A parent's own draw may choose records its children already pulled in: count from what is marked.
  const marked = await ctx.sql<{ object: string; drawn: number; referenced: number }[]>`
    select object, count(*) filter (where sample_reason like 'stratum %')::int as drawn,
           count(*) filter (where sample_reason like 'referenced %' or sample_reason like 'with %')::int as referenced
    from staged_records where migration_id = ${m} and object = any(${input.objects}::text[]) and sampled
    group by object`;
  return input.objects.map((o) => {
    const r = results.get(o)!;
    const counts = marked.find((x) => x.object === o);
    return { ...r, drawn: counts?.drawn ?? 0, referenced: counts?.referenced ?? 0 };
  });
}

/** The SQL expression of a record's stratum: its strata fields, normalised, joined by `|`. */
function stratumExpression(sql: postgres.Sql, fields: readonly string[]): postgres.PendingQuery<postgres.Row[]> {
  if (fields.length === 0) return sql`''`;
  const parts = fields.map((f) => sql`lower(btrim(coalesce(raw ->> ${f}, '')))`);
  return parts.reduce((acc, part) => sql`${acc} || '|' || ${part}`);
}

/** How many staged records a loading phase will process for an object (for progress and ETA). */
export async function countToLoad(
  ctx: ActivityContext,
  input: { migrationId: string; object: string; phase: string },
): Promise<number> {
  const scope =
    input.phase === 'sample'
      ? ctx.sql`sampled and disposition is null and source_deleted_at is null`
      : input.phase === 'delta'
        ? ctx.sql`delta_pending is not null`
        : ctx.sql`disposition is null and source_deleted_at is null`;
  const [row] = await ctx.sql<{ n: number }[]>`
    select count(*)::int as n from staged_records
    where migration_id = ${input.migrationId} and object = ${input.object} and ${scope}`;
  return row?.n ?? 0;
}
