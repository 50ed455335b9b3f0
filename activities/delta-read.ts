import { Context } from '@temporalio/activity';
import { pagesAhead } from '../common/pages-ahead';
import type { KeyedSource, OpenedSource } from '../connectors/sources';
import type { ActivityContext } from './deps';

/** What a delta reads of one object's source (activities/delta.ts), and the id comparison of a `changed` read. */

/** Staged ids compared with the source's per query. */
export const ID_PAGE = 50_000;

export type ReadPlan =
  | { scope: 'whole'; reason: string }
  | { scope: 'feed'; reason: string; since: Date }
  | { scope: 'changed'; reason: string; since: Date; keyed: KeyedSource; ids: Set<string> };

/**
 * Which read a delta makes of this source (see extractDelta). A `changed` read lists the source's ids first: a
 * null or repeated id is a row only a whole read can quarantine, so such a source is read whole.
 */
export async function chooseRead(
  source: OpenedSource,
  asked: 'changed' | 'whole',
  threshold: number | null,
  kind: string,
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
  const ids = new Set<string>();
  let repeated = 0;
  let untrimmed = 0;
  for await (const page of source.keyed.ids()) {
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
  return {
    scope: 'changed',
    reason: 'rows whose updated-at is at or after the previous mark minus the overlap, and the ids alone',
    since,
    keyed: source.keyed,
    ids,
  };
}

/**
 * Compares the ids a source lists with every record staging holds for the object, a page of staged ids at a
 * time: a live staged record the source no longer lists (and this read did not find) is handed to `gone`.
 * Returns the listed ids staging holds no live record of, in id order, for reading by id; `listed` is emptied
 * of the others.
 */
export async function compareIds(
  ctx: ActivityContext,
  m: string,
  o: string,
  listed: Set<string>,
  seen: ReadonlyMap<string, string>,
  gone: (ids: string[]) => Promise<void>,
): Promise<string[]> {
  const unstaged = listed; // consumed: the listing is not needed afterwards, and a copy would double its memory
  // The next page of staged ids is read while this one is compared.
  const pages = pagesAhead(
    (previous: { source_id: string; deleted: boolean }[] | null) =>
      Promise.resolve(ctx.sql<{ source_id: string; deleted: boolean }[]>`
        select source_id, source_deleted_at is not null as deleted from staged_records
        where migration_id = ${m} and object = ${o} and source_id > ${previous ? previous[previous.length - 1]!.source_id : ''}
        order by source_id limit ${ID_PAGE}`),
    (page) => page.length === ID_PAGE,
  );
  for await (const page of pages) {
    const absent: string[] = [];
    for (const r of page) {
      if (r.deleted) continue;
      if (listed.has(r.source_id) || seen.has(r.source_id)) unstaged.delete(r.source_id);
      else absent.push(r.source_id);
    }
    await gone(absent);
  }
  return [...unstaged].filter((id) => !seen.has(id));
}
