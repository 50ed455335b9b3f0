import { Context } from '@temporalio/activity';
import { differingBuckets, ID_BUCKETS, idBucketSql, idDigestsSql, type IdDigest } from '../common/id-digests';
import { pagesAhead } from '../common/pages-ahead';
import type { KeyedSource, OpenedSource } from '../connectors/sources';
import type { ActivityContext } from './deps';

/** What a delta reads of one object's source (activities/delta.ts), and the id comparison of a `changed` read. */

/** Staged ids compared with the source's per query. */
export const ID_PAGE = 50_000;

export type ReadPlan =
  | { scope: 'whole'; reason: string }
  | { scope: 'feed'; reason: string; since: Date }
  | {
      scope: 'changed';
      reason: string;
      since: Date;
      keyed: KeyedSource;
      /** The ids the source listed: those of `buckets`, or every id when null. */
      ids: Set<string>;
      /** The id buckets whose digests differ from staging's (common/id-digests.ts); null: every id was listed. */
      buckets: number[] | null;
      /**
       * Staging's live ids in `buckets`, read while the source lists its own and the changes are read (compareIds
       * awaits them); null with `buckets`: compareIds pages through every staged id.
       */
      stagedIds: Promise<string[]> | null;
    };

/** Staging's side of a `changed` read's id comparison, for one object. */
export interface StagedIds {
  /** Its live ids digested by bucket, as the source's are (common/id-digests.ts). */
  digests(): Promise<IdDigest[]>;
  /** Its live ids in these buckets, in one statement. */
  inBuckets(buckets: readonly number[]): Promise<string[]>;
}

/**
 * Which read a delta makes of this source (see extractDelta). A `changed` read compares the source's ids with
 * staging's first, by bucket digests (common/id-digests.ts), and lists the ids of the buckets that differ (or
 * every id, when those buckets hold most of them): a null or repeated id is a row only a whole read can
 * quarantine, so such a source is read whole. A repeated or padded id changes its bucket's digest, so it is
 * always among the ids listed. Staging's ids of those buckets are read beside the source's listing.
 */
export async function chooseRead(
  source: OpenedSource,
  asked: 'changed' | 'whole',
  threshold: number | null,
  kind: string,
  staged: StagedIds,
): Promise<ReadPlan> {
  if (threshold === null)
    return { scope: 'whole', reason: 'no earlier high-water mark (no updated-at column, or none staged yet)' };
  const since = new Date(threshold);
  if (source.changes) return { scope: 'feed', reason: `the ${kind} change feed since the mark`, since };
  if (asked === 'whole') return { scope: 'whole', reason: 'the plan asks for it (delta.read: whole)' };
  if (!source.keyed) return { scope: 'whole', reason: `a ${kind} source is read whole` };
  const unavailable = await source.keyed.unavailable();
  if (unavailable) return { scope: 'whole', reason: unavailable };
  const withoutId = await source.keyed.withoutId();
  // Both databases digest their ids side by side.
  const stagedDigests = staged.digests();
  stagedDigests.catch(() => undefined); // awaited below, unless the source cannot digest
  const sourceDigests = await source.keyed.idDigests();
  const buckets = sourceDigests && listedBuckets(sourceDigests, await stagedDigests);
  // Both sides list the buckets' ids at once; staging's are awaited by compareIds, after the change read.
  const stagedIds = buckets === null ? null : buckets.length === 0 ? Promise.resolve([]) : staged.inBuckets(buckets);
  stagedIds?.catch(() => undefined); // a failure surfaces where compareIds awaits it
  const ids = new Set<string>();
  let repeated = 0;
  let untrimmed = 0;
  if (buckets?.length !== 0)
    for await (const page of source.keyed.ids(buckets ?? undefined)) {
      for (const id of page) {
        if (id.trim() !== id || id === '') untrimmed += 1;
        else if (ids.has(id)) repeated += 1;
        else ids.add(id);
      }
      Context.current().heartbeat({ listed: ids.size });
    }
  if (withoutId > 0 || repeated > 0 || untrimmed > 0)
    return {
      scope: 'whole',
      reason: `the source holds ${withoutId} row(s) without an id, ${repeated} repeated id(s) and ${untrimmed} id(s) blank or padded with spaces: a whole read stages or quarantines them as a full extract does`,
    };
  const listing =
    buckets === null
      ? `every id (${sourceDigests ? 'most id buckets differ from staging' : 'the source database cannot digest its ids'})`
      : `the ids of the ${buckets.length} of ${ID_BUCKETS} id buckets whose digests differ from staging's`;
  return {
    scope: 'changed',
    reason: `rows whose updated-at is at or after the previous mark minus the overlap, and ${listing}`,
    since,
    keyed: source.keyed,
    ids,
    buckets,
    stagedIds,
  };
}

/**
 * The buckets whose ids a `changed` read lists: those whose digests differ, each side's read in one statement
 * (a pass over its ids); null, every id in key order (pages read ahead), when those buckets hold more than half
 * of the ids, which costs about as much.
 */
export function listedBuckets(source: readonly IdDigest[], staged: readonly IdDigest[]): number[] | null {
  const differ = differingBuckets(source, staged);
  const total = Math.max(...[source, staged].map((d) => d.reduce((sum, b) => sum + b.n, 0)));
  return Math.max(differ.left, differ.right) <= total / 2 ? differ.buckets : null;
}

/** Staging's live ids of one object, for a `changed` read's comparison. */
export function stagedIds(ctx: ActivityContext, m: string, o: string): StagedIds {
  return {
    digests: () =>
      Promise.resolve(
        ctx.sql.unsafe<IdDigest[]>(
          idDigestsSql(
            'source_id',
            'from staged_records where migration_id = $1 and object = $2 and source_deleted_at is null',
          ),
          [m, o],
        ),
      ),
    // As many ids as the source lists for these buckets, about (at most half of the object's): one statement.
    inBuckets: async (buckets) =>
      (
        await ctx.sql.unsafe<{ source_id: string }[]>(
          `select source_id from staged_records
           where migration_id = $1 and object = $2 and source_deleted_at is null
             and ${idBucketSql('source_id')} = any($3::int[])`,
          [m, o, buckets as number[]],
        )
      ).map((r) => r.source_id),
  };
}

/**
 * Compares the ids a source lists with the live records staging holds for the object (all of them, or
 * `stagedIds`: those of the buckets whose ids were listed, read before this read's changes were staged): a live
 * staged record the source no longer lists (and this read did not find) is handed to `gone`. Returns the listed
 * ids staging holds no live record of, for reading by id; `listed` is emptied of the others. Buckets left out hold
 * the same ids on both sides (their digests agree). A record this read staged as new is in `seen`, so it is
 * neither gone nor read again, whether or not the staged ids were read before it was staged.
 */
export async function compareIds(
  ctx: ActivityContext,
  m: string,
  o: string,
  listed: Set<string>,
  stagedIds: Promise<readonly string[]> | null,
  seen: ReadonlyMap<string, string>,
  gone: (ids: string[]) => Promise<void>,
): Promise<string[]> {
  const unstaged = listed; // consumed: the listing is not needed afterwards, and a copy would double its memory
  const compare = async (live: readonly string[]) => {
    const absent: string[] = [];
    for (const id of live) {
      if (listed.has(id) || seen.has(id)) unstaged.delete(id);
      else absent.push(id);
    }
    await gone(absent);
  };
  if (stagedIds !== null) await compare(await stagedIds);
  else {
    // The next page of staged ids is read while this one is compared.
    const pages = pagesAhead(
      (previous: { source_id: string; deleted: boolean }[] | null) =>
        Promise.resolve(ctx.sql<{ source_id: string; deleted: boolean }[]>`
          select source_id, source_deleted_at is not null as deleted from staged_records
          where migration_id = ${m} and object = ${o} and source_id > ${previous ? previous[previous.length - 1]!.source_id : ''}
          order by source_id limit ${ID_PAGE}`),
      (page) => page.length === ID_PAGE,
    );
    for await (const page of pages) await compare(page.filter((r) => !r.deleted).map((r) => r.source_id));
  }
  return [...unstaged].filter((id) => !seen.has(id));
}
