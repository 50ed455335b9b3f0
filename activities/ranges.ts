import { availableParallelism } from 'node:os';
import { and, count, eq, sql } from 'drizzle-orm';
import { targetConcurrency } from '../connectors/saas-targets';
import { objectDependencies } from '../plan/load';
import type { ObjectPlan, Plan } from '../plan/schema';
import { stagedRecords } from '../staging/schema';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { pageScope } from './load';
import { frozenGold } from './map-options';
import { orderedField, orderedParts, type LoadGroup } from './order-groups';

/**
 * A contiguous slice of an object's records in source-id order: after `after` (exclusive; null: from the first)
 * up to `until` (inclusive; null: to the last), and with `group`, only that group's records (see `LoadGroup`). The
 * ranges of one split cover every record exactly once.
 */
export interface LoadRange {
  after: string | null;
  until: string | null;
  group?: LoadGroup;
}

export interface SplitRangesInput extends PinnedPlanInput {
  migrationId: string;
  object: string;
  phase: string;
  /** The records the phase loads, when the caller has counted them (`countToLoad`); counted here otherwise. */
  records?: number;
}

export interface SplitRangesResult {
  ranges: LoadRange[];
  /** Ranges the plan (or its default) asked for; fewer are made when the object has fewer pages. */
  concurrency: number;
}

/** Database targets load this many ranges per core when the plan does not say (pages wait on round trips). */
const RANGES_PER_CORE = 2;
const MAX_DEFAULT_RANGES = 8;

/**
 * How many ranges of an object load at once. The plan's `loadConcurrency` decides; unset, database targets load two
 * per core. A SaaS target loads one range, except an object whose records sharing a value go in order (a Front
 * thread's messages, a conversation's notes): it loads in groups of that value (`order-groups.ts`), two per core and no more than the
 * requests the vendor's budget lets be in flight, so one group's requests go on while another does its staging and
 * ledger work. Its other objects' keys are matched in the target (a contact's email, a template's name), and two
 * records sharing one must not race for it.
 *
 * An object whose records reference records of the same object always loads one range: a reference
 * resolves only to a record already written, and a record in another range may not be yet. So does an object that
 * writes a column the target keeps unique (other than its key): when two records carry the same value, the one
 * written first is loaded and the other refused, so which record wins must not depend on which range got there
 * first (the dry run predicts the load in source order, and a re-run must decide the same way). So does an object
 * whose records go in order by a value its mapping does not say which records share (see `valueParts`).
 */
export function loadConcurrency(
  plan: Plan,
  object: ObjectPlan,
  cores: number = availableParallelism(),
  uniqueColumns: readonly string[] = [],
): number {
  if (objectDependencies(object).includes(object.name)) return 1;
  if (writesUniqueColumn(object, uniqueColumns)) return 1;
  const ordered = orderedField(plan, object) !== null;
  if (ordered && orderedParts(plan, object) === null) return 1;
  if (object.loadConcurrency !== undefined) return object.loadConcurrency;
  const perCore = Math.min(MAX_DEFAULT_RANGES, Math.max(1, cores * RANGES_PER_CORE));
  if (plan.target.kind === 'postgres') return perCore;
  return ordered ? Math.min(perCore, targetConcurrency(plan) ?? 1) : 1;
}

/** Whether the object writes a target column (other than its key) that the target keeps unique. */
export function writesUniqueColumn(object: ObjectPlan, uniqueColumns: readonly string[]): boolean {
  return object.fields.some((f) => f.to !== object.target.key && uniqueColumns.includes(f.to));
}

/**
 * The ranges between sorted boundaries: each boundary is the last source id of one range and the exclusive start
 * of the next, so no id falls in two ranges and none in none.
 */
export function rangesBetween(boundaries: readonly string[]): LoadRange[] {
  const ranges: LoadRange[] = [];
  let after: string | null = null;
  for (const until of boundaries) {
    ranges.push({ after, until });
    after = until;
  }
  ranges.push({ after, until: null });
  return ranges;
}

/** Ranges of `of` groups, each over every source id: together they cover every record once. */
export function groupRanges(of: number): LoadRange[] {
  return Array.from({ length: of }, (_, index) => ({ after: null, until: null, group: { index, of } }));
}

/** How many ranges to make: as asked, but never a range of less than one page. */
export function rangeCount(concurrency: number, records: number, pageSize: number): number {
  return Math.max(1, Math.min(concurrency, Math.ceil(records / pageSize)));
}

/**
 * Splits the records a load page of this phase would read (the same scope as `loadPage`) into contiguous
 * source-id ranges of about equal size, by `ntile` over the staged records in source-id order. The database
 * orders and compares the ids, so the boundaries use the same collation as the pages' `after`/`until`.
 */
export async function splitLoadRanges(ctx: ActivityContext, input: SplitRangesInput): Promise<SplitRangesResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  // The frozen gold schema knows the target's unique columns (none before preferences ran).
  const unique = (await frozenGold(ctx, input.migrationId))?.tables[object.target.table]?.uniqueColumns ?? [];
  const concurrency = loadConcurrency(plan, object, availableParallelism(), unique);
  if (concurrency === 1) return { ranges: rangesBetween([]), concurrency };
  const scope = and(
    eq(stagedRecords.migrationId, input.migrationId),
    eq(stagedRecords.object, input.object),
    ...pageScope(input.phase),
  );
  const records = input.records ?? (await ctx.db.select({ n: count() }).from(stagedRecords).where(scope))[0]?.n ?? 0;
  const tiles = rangeCount(concurrency, records, object.pageSize);
  if (tiles === 1) return { ranges: rangesBetween([]), concurrency };
  // Records that go in order by a value they share: one range per group of that value, each over every source id.
  if (orderedField(plan, object) !== null) return { ranges: groupRanges(tiles), concurrency };
  const tiled = ctx.db
    .select({
      sourceId: stagedRecords.sourceId,
      tile: sql<number>`ntile(${tiles}) over (order by ${stagedRecords.sourceId})`.as('tile'),
    })
    .from(stagedRecords)
    .where(scope)
    .as('tiled');
  const lasts = await ctx.db
    .select({ last: sql<string>`max(${tiled.sourceId})` })
    .from(tiled)
    .groupBy(tiled.tile)
    .orderBy(tiled.tile);
  // The last tile's end is no boundary: the last range is open above.
  return { ranges: rangesBetween(lasts.slice(0, -1).map((r) => r.last)), concurrency };
}
