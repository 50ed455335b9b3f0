import type postgres from 'postgres';
import { addDeletedValue, addUnreadable, type AmountFormat, type SumAccumulator } from '../plan/sum-equation';
import type { ActivityContext } from './deps';

/**
 * The parts of a reconciliation that staging answers alone: the count equation's terms, and the parts of the
 * money line outside the records in scope.
 */

/** Records per read-back page: one target lookup (a query, or a vendor listing) each. */
export const READ_BACK_PAGE = 2000;

/** Arguments per jsonb_build_object call (PostgreSQL passes a function at most 100). */
const BUILD_PAIRS = 50;

/**
 * The named fields of a staged record's raw values as one jsonb object, a field the record lacks as null: built
 * per row by expressions (`jsonb_build_object`), which costs less than aggregating a subquery for every row.
 */
export function rawValues(ctx: ActivityContext, raw: postgres.PendingQuery<postgres.Row[]>, fields: readonly string[]) {
  if (fields.length === 0) return ctx.sql`null::jsonb`;
  const objects: postgres.PendingQuery<postgres.Row[]>[] = [];
  for (let i = 0; i < fields.length; i += BUILD_PAIRS) {
    const args = fields
      .slice(i, i + BUILD_PAIRS)
      .map((f) => ctx.sql`${f}::text, ${raw} -> ${f}::text`)
      .reduce((a, b) => ctx.sql`${a}, ${b}`);
    objects.push(ctx.sql`jsonb_build_object(${args})`);
  }
  return objects.reduce((a, b) => ctx.sql`${a} || ${b}`);
}

/** The staged records a phase answers for (alias `s`): the sample, or everything the source still holds. */
export function scopeOf(ctx: ActivityContext, sample: boolean) {
  return sample
    ? ctx.sql`s.sampled and s.disposition is null and s.source_deleted_at is null`
    : ctx.sql`s.source_deleted_at is null`;
}

export interface DispositionCounts {
  staged: number;
  extract_rejects: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  unaccounted: number;
  deleted: number;
}

/** The count equation's terms, from staging. */
export async function countDispositions(
  ctx: ActivityContext,
  m: string,
  o: string,
  sample: boolean,
): Promise<DispositionCounts> {
  const inScope = scopeOf(ctx, sample);
  const [counts] = await ctx.sql<DispositionCounts[]>`
    select
      count(*)::int as staged,
      ${sample ? ctx.sql`0` : ctx.sql`(select count(*)::int from quarantine where migration_id = ${m} and object = ${o} and stage = 'extract' and resolved_at is null)`} as extract_rejects,
      count(*) filter (where i.state = 'written')::int as loaded,
      (count(*) filter (where q.record_key is not null)
        + ${sample ? ctx.sql`0` : ctx.sql`(select count(*) from quarantine where migration_id = ${m} and object = ${o} and stage = 'extract' and resolved_at is null)`})::int as quarantined,
      count(*) filter (where s.disposition = 'filtered')::int as filtered,
      count(*) filter (where s.disposition = 'deduplicated')::int as deduplicated,
      count(*) filter (where s.disposition is null and i.state is distinct from 'written' and q.record_key is null)::int as unaccounted,
      (select count(*)::int from staged_records where migration_id = ${m} and object = ${o} and source_deleted_at is not null) as deleted
    from staged_records s
    left join id_map i on i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id
    left join quarantine q on q.migration_id = s.migration_id and q.object = s.object and q.record_key = s.source_id
      and q.resolved_at is null and s.disposition is null and i.state is distinct from 'written'
    where s.migration_id = ${m} and s.object = ${o} and ${inScope}`;
  return (
    counts ?? {
      staged: 0,
      extract_rejects: 0,
      loaded: 0,
      quarantined: 0,
      filtered: 0,
      deduplicated: 0,
      unaccounted: 0,
      deleted: 0,
    }
  );
}

/**
 * The parts of the money line outside the staged records in scope: source items Tern could not read
 * (extract-stage quarantine, no value to add: counted) and records the source deleted (shown beside the line).
 * Recomputed by every attempt, never resumed.
 */
export async function addOutsideScope(
  ctx: ActivityContext,
  m: string,
  o: string,
  sumSources: ReadonlyMap<string, { from: string | undefined; format: AmountFormat }>,
  sums: Record<string, SumAccumulator>,
): Promise<void> {
  if (sumSources.size === 0) return;
  const unreadable = await ctx.sql<{ record_key: string }[]>`
    select record_key from quarantine
    where migration_id = ${m} and object = ${o} and stage = 'extract' and resolved_at is null
    order by record_key`;
  const fields = [...sumSources.values()].map((s) => s.from).filter((f): f is string => !!f);
  let after = '';
  for (;;) {
    const deleted = await ctx.sql<{ source_id: string; values: Record<string, unknown> }[]>`
      select source_id, ${rawValues(ctx, ctx.sql`raw`, fields)} as values
      from staged_records
      where migration_id = ${m} and object = ${o} and source_deleted_at is not null and source_id > ${after}
      order by source_id limit ${READ_BACK_PAGE}`;
    if (deleted.length === 0) break;
    for (const [field, { from, format }] of sumSources)
      for (const d of deleted) addDeletedValue(sums[field]!, from ? d.values?.[from] : undefined, format);
    after = deleted[deleted.length - 1]!.source_id;
  }
  for (const field of sumSources.keys())
    addUnreadable(
      sums[field]!,
      unreadable.map((u) => u.record_key),
    );
}

/** What a reconciliation reads back (see ReconcileInput.readBack), and from when. */
export interface ReadBackScope {
  scope: 'whole' | 'touched';
  /** `touched`: records written or deleted after this instant (ISO, microseconds) are read back. */
  since: string | null;
  reason: string;
}

/**
 * The read-back's scope. A delta reads back what it touched: the records whose ledger row changed (written,
 * refused, deleted) or that the source deleted since the object's last ok reconciliation outside the sample, or
 * since this phase's run started if that is earlier (a reconciliation run beside the phase proves nothing about
 * its writes). Untouched records were read back by that reconciliation. Without one, everything is read back.
 */
export async function readBackScope(
  ctx: ActivityContext,
  m: string,
  o: string,
  phase: string,
  asked: 'whole' | 'touched' | undefined,
): Promise<ReadBackScope> {
  const wanted = phase === 'sample' ? 'whole' : (asked ?? (phase === 'delta' ? 'touched' : 'whole'));
  if (wanted === 'whole')
    return {
      scope: 'whole',
      since: null,
      reason:
        asked === 'whole' ? 'a whole read-back was asked for' : `a ${phase} phase reads back every record in its scope`,
    };
  // The instant as ISO text at PostgreSQL's full precision (microseconds), never rounded through a JS Date.
  const [row] = await ctx.sql<{ since: string | null }[]>`
    select to_char(case when run < proven then run else proven end at time zone 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as since
    from (select (select max(created_at) from reconciliations
                  where migration_id = ${m} and object = ${o} and phase <> 'sample' and ok) as proven,
                 (select max(started_at) from runs where migration_id = ${m} and phase = ${phase}) as run) x`;
  const since = row?.since ?? null;
  if (!since)
    return {
      scope: 'whole',
      since: null,
      reason: 'no earlier ok reconciliation of the object outside the sample: every record is read back',
    };
  return {
    scope: 'touched',
    since,
    reason: `the records written or deleted since ${since}; the others were read back by the object's last ok reconciliation`,
  };
}
