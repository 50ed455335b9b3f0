import type { MergedObjectPlan } from '../plan/merge-schema';
import type { ActivityContext } from './deps';

/**
 * The reconciliation of a merged object per source (docs/merge.md): for each source, every record it gave is loaded
 * as the survivor of its group, merged into another source's record, quarantined or filtered; the merged groups are
 * counted; and the money of the records that were not merged adds up source by source, while the merged groups'
 * money shows each source's figure beside the rule's outcome.
 */

export interface MergeSourceCount {
  source: string;
  /** Records the source gave: staged ones, and those that could not be staged (no id, an id used twice). */
  read: number;
  /** Records whose group's merged record is in the target under their own ref. */
  survivors: number;
  /** Records merged into another record whose merged record is in the target. */
  mergedInto: number;
  /** Records quarantined themselves, or whose group's merged record is (a group under review, a refused merge). */
  quarantined: number;
  filtered: number;
  /** Records the source deleted since (a delta removed their part). */
  deleted: number;
  /** Records none of the above: must be 0. */
  unaccounted: number;
}

export interface MergeSumLine {
  /** Records that were not merged with another, in the target: each source's total, and theirs together. */
  single: { bySource: Record<string, string>; total: string; merged: string; ok: boolean };
  /** Merged groups in the target: each source's members' total beside the merged records' (the rule's outcome). */
  merged: { groups: number; bySource: Record<string, string>; outcome: string };
}

export interface MergeReconciliation {
  sources: MergeSourceCount[];
  groups: {
    merged: number;
    mergedRecords: number;
    review: number;
    reviewRecords: number;
    rejected: number;
    single: number;
  };
  sums: Record<string, MergeSumLine>;
  /** Every source's equation holds (unaccounted 0) and the single records' sums add up. */
  ok: boolean;
}

/** The per-source reconciliation of a merged object, from staging and the ledger (read after the read-back proved them). */
export async function reconcileMergeSources(
  ctx: ActivityContext,
  migrationId: string,
  object: string,
  merge: MergedObjectPlan,
  sums: readonly string[],
): Promise<MergeReconciliation> {
  const rows = await ctx.sql<
    {
      source: string;
      survivors: number;
      merged_into: number;
      quarantined: number;
      filtered: number;
      deleted: number;
      members: number;
    }[]
  >`
    with member as (
      select mm.source, mm.ref, mm.merged_ref, (mm.ref = mm.merged_ref) as anchor,
             s.disposition, s.source_deleted_at,
             exists (select 1 from quarantine q where q.migration_id = mm.migration_id and q.object = mm.object
                       and q.record_key = mm.merged_ref and q.resolved_at is null) as group_quarantined,
             exists (select 1 from quarantine q where q.migration_id = mm.migration_id and q.object = mm.object
                       and q.record_key = mm.ref and q.resolved_at is null) as own_quarantined,
             exists (select 1 from id_map i where i.migration_id = mm.migration_id and i.object = mm.object
                       and i.source_id = mm.merged_ref and i.state = 'written') as group_written
      from merge_members mm
      left join staged_records s on s.migration_id = mm.migration_id and s.object = mm.object and s.source_id = mm.ref
      where mm.migration_id = ${migrationId} and mm.object = ${object}
    )
    select source,
           count(*)::int as members,
           count(*) filter (where source_deleted_at is not null)::int as deleted,
           count(*) filter (where source_deleted_at is null and disposition = 'filtered')::int as filtered,
           count(*) filter (where source_deleted_at is null and coalesce(disposition, '') <> 'filtered'
                              and (own_quarantined or group_quarantined))::int as quarantined,
           count(*) filter (where source_deleted_at is null and coalesce(disposition, '') <> 'filtered'
                              and not own_quarantined and not group_quarantined and group_written and anchor)::int as survivors,
           count(*) filter (where source_deleted_at is null and coalesce(disposition, '') <> 'filtered'
                              and not own_quarantined and not group_quarantined and group_written and not anchor)::int as merged_into
    from member group by source`;
  // Records a source gave that could not be staged: quarantined at extraction, their position names the source.
  const unstaged = await ctx.sql<{ source_position: string | null }[]>`
    select source_position from quarantine
    where migration_id = ${migrationId} and object = ${object} and stage = 'extract' and resolved_at is null`;
  // Records a source deleted since they were staged: the merge no longer holds them, staging keeps them as deleted.
  const gone = await ctx.sql<{ source: string; n: number }[]>`
    select split_part(s.source_id, '/', 1) as source, count(*)::int as n from staged_records s
    where s.migration_id = ${migrationId} and s.object = ${object} and s.source_deleted_at is not null
      and not exists (select 1 from merge_members mm where mm.migration_id = s.migration_id
                        and mm.object = s.object and mm.ref = s.source_id)
    group by 1`;
  const sources: MergeSourceCount[] = merge.sources.map(({ source }) => {
    const r = rows.find((x) => x.source === source);
    const extractRejects = unstaged.filter((u) => u.source_position?.startsWith(`${source} `)).length;
    const members = r?.members ?? 0;
    const survivors = r?.survivors ?? 0;
    const mergedInto = r?.merged_into ?? 0;
    const quarantined = (r?.quarantined ?? 0) + extractRejects;
    const filtered = r?.filtered ?? 0;
    const deletedSince = gone.find((g) => g.source === source)?.n ?? 0;
    const deleted = (r?.deleted ?? 0) + deletedSince;
    const read = members + extractRejects + deletedSince;
    return {
      source,
      read,
      survivors,
      mergedInto,
      quarantined,
      filtered,
      deleted,
      unaccounted: read - deleted - survivors - mergedInto - quarantined - filtered,
    };
  });

  const [g] = await ctx.sql<
    {
      merged: number;
      merged_records: number;
      review: number;
      review_records: number;
      rejected: number;
      single: number;
    }[]
  >`
    select count(distinct group_id) filter (where status = 'merged')::int as merged,
           count(*) filter (where status = 'merged')::int as merged_records,
           count(distinct group_id) filter (where status = 'review')::int as review,
           count(*) filter (where status = 'review')::int as review_records,
           count(*) filter (where status = 'rejected')::int as rejected,
           count(*) filter (where status = 'single')::int as single
    from merge_members where migration_id = ${migrationId} and object = ${object}`;

  const sumLines: Record<string, MergeSumLine> = {};
  for (const field of sums) {
    // A value that is not a plain decimal number counts as none (the ordinary sums report it as unparseable).
    const own = ctx.sql`case when btrim(mm.fields ->> ${field}) ~ '^[-+]?[0-9]+([.][0-9]+)?$'
                             then btrim(mm.fields ->> ${field})::numeric end`;
    const outcome = ctx.sql`case when btrim(s.raw ->> ${field}) ~ '^[-+]?[0-9]+([.][0-9]+)?$'
                                 then btrim(s.raw ->> ${field})::numeric end`;
    // One pass over the members of merged records in the target: each source's own values (by whether their record
    // was merged with another), and the values their merged records hold; exact numeric, never floating point.
    const rows = await ctx.sql<
      { source: string | null; status: string; own: string; groups: number; outcome: string; equal: boolean }[]
    >`
      with written as (
        select mm.source, mm.status, mm.ref = mm.merged_ref as anchor, ${own} as own, ${outcome} as outcome
        from merge_members mm
        left join staged_records s on mm.ref = mm.merged_ref and s.migration_id = mm.migration_id
                                  and s.object = mm.object and s.source_id = mm.ref
        where mm.migration_id = ${migrationId} and mm.object = ${object} and mm.status in ('single', 'merged')
          and exists (select 1 from id_map i where i.migration_id = mm.migration_id and i.object = mm.object
                        and i.source_id = mm.merged_ref and i.state = 'written'))
      select source, status, coalesce(sum(own), 0)::text as own, count(*) filter (where anchor)::int as groups,
             coalesce(sum(outcome) filter (where anchor), 0)::text as outcome,
             coalesce(sum(own), 0) = coalesce(sum(outcome) filter (where anchor), 0) as equal
      from written group by grouping sets ((source, status), (status))`;
    const line = (status: string) => {
      const total = rows.find((r) => r.source === null && r.status === status);
      const bySource = Object.fromEntries(
        merge.sources.map(({ source }) => [
          source,
          rows.find((r) => r.source === source && r.status === status)?.own ?? '0',
        ]),
      );
      return { total, bySource };
    };
    const single = line('single');
    const merged = line('merged');
    sumLines[field] = {
      single: {
        bySource: single.bySource,
        total: single.total?.own ?? '0',
        merged: single.total?.outcome ?? '0',
        ok: single.total?.equal ?? true,
      },
      merged: { groups: merged.total?.groups ?? 0, bySource: merged.bySource, outcome: merged.total?.outcome ?? '0' },
    };
  }
  const ok = sources.every((s) => s.unaccounted === 0) && Object.values(sumLines).every((l) => l.single.ok);
  return {
    sources,
    groups: {
      merged: g?.merged ?? 0,
      mergedRecords: g?.merged_records ?? 0,
      review: g?.review ?? 0,
      reviewRecords: g?.review_records ?? 0,
      rejected: g?.rejected ?? 0,
      single: g?.single ?? 0,
    },
    sums: sumLines,
    ok,
  };
}
