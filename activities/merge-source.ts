import { Context } from '@temporalio/activity';
import type { DeletedItem, SourceItem } from '../connectors/source';
import { openSource, type OpenedSource, type OpenSourceOptions } from '../connectors/sources';
import { compileMerge, type MergeResult, type SourceItemRead } from '../plan/merge';
import type { MergeSourcePlan } from '../plan/merge-schema';
import { namedSource, type ObjectPlan, type Plan } from '../plan/schema';
import { replaceMergeStaging } from '../staging/repos/merge-write';
import { readCheckpoint, saveCheckpoint, type CheckpointKey } from '../staging/repos/checkpoints';
import { checksum } from '../plan/checksum';
import { MERGE_REF_FIELD, mergeRef } from '../plan/merge-ref';
import { textOf } from '../plan/text';
import { stageChanges, type StagedChange } from '../staging/repos/staged-changes';
import type { ActivityContext } from './deps';
import type { RequestMeter } from './meter';

/** What a merge source reads of one of its sources: its records (with where), and what it could not read. */
interface SourceRead {
  records: SourceItemRead[];
  broken: SourceItem[];
  /** Refs of the source's records staging holds that the source deleted (a change read says so). */
  deleted: string[];
  /** How it was read: whole, or what changed since the source's own mark. */
  how: string;
}

/**
 * The source of a merged object (docs/merge.md): every source it names, merged (plan/merge.ts), the members and lineage
 * written to staging, and the merge's records given to the extraction (or the delta) as any source's records are. The
 * extraction reads each source whole. A delta (`changes`) reads of each source what changed since that source's own
 * mark, where it has a change read (a SQL table with its updated-at column, a vendor's change feed), takes the rest from
 * the source records staging kept, and merges again; a source without one is read whole. A retried read merges again
 * (the same records give the same merge) and resumes after the cursor it was given.
 */
export function openMergedSource(
  ctx: ActivityContext,
  migrationId: string,
  plan: Plan,
  object: ObjectPlan,
  meter: RequestMeter,
  options: { overlapSeconds?: number } = {},
): OpenedSource {
  const merge = object.merge;
  if (!merge) throw new Error(`object "${object.name}" is not merged`);
  const open = (source: MergeSourcePlan) =>
    openSource(
      { ...plan, source: namedSource(plan, source.source), sources: undefined },
      feederObject(object, source, namedSource(plan, source.source).kind),
      ctx.env,
      sourceOptions(ctx, meter),
    );
  const merged = async function* (
    reads: ReadonlyMap<string, SourceRead>,
    cursor: string | null,
  ): AsyncGenerator<SourceItem | DeletedItem> {
    const result = await mergeAndKeep(
      ctx,
      migrationId,
      plan,
      object,
      new Map([...reads].map(([name, read]) => [name, read.records])),
    );
    // A retried extraction or delta reads and stages again, so the merge is the plan's from here on.
    await saveCheckpoint(ctx.db, mergeCheckpoint(migrationId, object.name), { cursor: mergeSpecHash(plan, object) });
    // Deletions: what a change read reported; for a source read whole (and read without fault), every staged record
    // of it the merge no longer holds.
    const produced = new Set(
      result.items.flatMap((i) => (i.kind === 'record' ? [String(i.record[MERGE_REF_FIELD])] : [])),
    );
    const live = (
      await ctx.sql<{ source_id: string }[]>`
        select source_id from staged_records
        where migration_id = ${migrationId} and object = ${object.name} and source_deleted_at is null`
    ).map((r) => r.source_id);
    const gone = [...reads].flatMap(([name, read]) =>
      read.how !== 'whole'
        ? read.deleted
        : read.broken.length > 0
          ? []
          : live.filter((ref) => ref.startsWith(`${name}/`) && !produced.has(ref)),
    );
    const deleted: DeletedItem[] = gone.map((ref) => ({ kind: 'deleted', position: `deleted ${ref}`, sourceId: ref }));
    const broken = [...reads.values()].flatMap((read) => read.broken);
    const items = [...broken, ...result.items, ...deleted].map((item, i) => ({ ...item, cursor: String(i + 1) }));
    const after = cursor === null ? 0 : Number(cursor);
    for (const item of items.slice(after)) yield item;
  };
  const reader = async function* (cursor: string | null): AsyncGenerator<SourceItem> {
    const reads = new Map<string, SourceRead>();
    for (const source of merge.sources) reads.set(source.source, await readWhole(source, await open(source)));
    for await (const item of merged(reads, cursor)) if (item.kind !== 'deleted') yield item;
  };
  let last = { description: '', everySourceWhole: false };
  const changes = async function* (): AsyncGenerator<SourceItem | DeletedItem> {
    const kept = await keptRecords(ctx, migrationId, object.name);
    const reads = new Map<string, SourceRead>();
    for (const source of merge.sources) {
      const previous = kept.get(source.source);
      const opened = await open(source);
      const since = previous?.mark ? new Date(previous.mark.getTime() - (options.overlapSeconds ?? 300) * 1000) : null;
      reads.set(
        source.source,
        previous && since ? await readChanged(source, opened, previous, since) : await readWhole(source, opened),
      );
    }
    last = {
      description: [...reads].map(([name, read]) => `${name} ${read.how}`).join(', '),
      everySourceWhole: [...reads.values()].every((read) => read.how === 'whole'),
    };
    yield* merged(reads, null);
  };
  return { reader, changes, close: () => Promise.resolve(), lastRead: () => last };

  /** Every record of one source. */
  async function readWhole(source: MergeSourcePlan, opened: OpenedSource): Promise<SourceRead> {
    const read: SourceRead = { records: [], broken: [], deleted: [], how: 'whole' };
    try {
      for await (const item of opened.reader(null)) {
        if (item.kind === 'record') read.records.push({ position: item.position, record: item.record });
        else read.broken.push({ ...item, position: `${source.source} ${item.position}` });
        if ((read.records.length + read.broken.length) % 5000 === 0)
          Context.current().heartbeat({ source: source.source });
      }
    } finally {
      await opened.close();
    }
    return read;
  }

  /**
   * What changed in one source since its mark, on top of the records staging kept of it: a SQL table by its updated-at
   * column (its ids listed, so deletions and rows whose updated-at did not move past the mark are found too), a
   * vendor's change feed (records and deletions). A source with neither is read whole.
   */
  async function readChanged(
    source: MergeSourcePlan,
    opened: OpenedSource,
    previous: KeptSource,
    since: Date,
  ): Promise<SourceRead> {
    const byId = new Map(previous.records.map((r) => [r.sourceId, r.item]));
    const read: SourceRead = { records: [], broken: [], deleted: [], how: '' };
    const take = async (items: AsyncGenerator<SourceItem | DeletedItem>) => {
      for await (const item of items) {
        if (item.kind === 'deleted') {
          if (item.sourceId === undefined) throw new Error(`${source.source}: a deletion by field cannot be merged`);
          if (byId.delete(item.sourceId)) read.deleted.push(mergeRef(source.source, item.sourceId));
        } else if (item.kind === 'broken') read.broken.push({ ...item, position: `${source.source} ${item.position}` });
        else byId.set(textOf(item.record[source.id] ?? '').trim(), { position: item.position, record: item.record });
      }
    };
    try {
      const keyed = opened.keyed && !(await opened.keyed.unavailable()) ? opened.keyed : undefined;
      if (opened.changes) {
        read.how = 'change feed';
        await take(opened.changes(since));
      } else if (keyed) {
        read.how = 'changed rows and the ids';
        await take(keyed.changes(since));
        const listed = new Set<string>();
        for await (const page of keyed.ids()) for (const id of page) listed.add(id);
        for (const id of [...byId.keys()])
          if (!listed.has(id)) {
            byId.delete(id);
            read.deleted.push(mergeRef(source.source, id));
          }
        const unknown = [...listed].filter((id) => !byId.has(id));
        if (unknown.length > 0) await take(keyed.byIds(unknown));
      } else {
        return await readWhole(source, opened);
      }
    } finally {
      await opened.close();
    }
    read.records = [...byId.values()];
    return read;
  }
}

/** Opens the source an object's records come from: its own, or for a merged object the merge of its sources. */
export async function openObjectSource(
  ctx: ActivityContext,
  migrationId: string,
  plan: Plan,
  object: ObjectPlan,
  meter: RequestMeter,
  options: { overlapSeconds?: number } = {},
): Promise<OpenedSource> {
  if (object.merge) return openMergedSource(ctx, migrationId, plan, object, meter, options);
  return openSource(plan, object, ctx.env, sourceOptions(ctx, meter));
}

/** How an activity opens a source: sharing staging's connection (the embedded database), under the vendor budgets. */
const sourceOptions = (ctx: ActivityContext, meter: RequestMeter): OpenSourceOptions => ({
  shared: { url: ctx.deps.staging.url, sql: ctx.sql },
  saas: ctx.saasDeps(meter),
});

/** A merge source as a one-source object of the plan's kind: its object is a file, a table or a vendor resource. */
function feederObject(object: ObjectPlan, source: MergeSourcePlan, kind: string): ObjectPlan {
  const where =
    kind === 'csv' || kind === 'jsonl'
      ? { file: source.object }
      : kind === 'postgres' || kind === 'mysql'
        ? { table: source.object }
        : { resource: source.object };
  return {
    ...object,
    merge: undefined,
    source: { ...where, id: source.id, updatedAt: source.updatedAt, encoding: 'utf8', delimiter: ',' },
    fields: source.fields,
  };
}

/** Merges the records of a merged object's sources (by source name) and keeps its members and lineage in staging. */
async function mergeAndKeep(
  ctx: ActivityContext,
  migrationId: string,
  plan: Plan,
  object: ObjectPlan,
  bySource: ReadonlyMap<string, readonly SourceItemRead[]>,
): Promise<MergeResult> {
  const result = compileMerge(
    object.merge!,
    await ctx.customTransforms(plan),
    new Set(plan.objects.filter((o) => o.merge).map((o) => o.name)),
  )(bySource, await previousAnchors(ctx, migrationId, object.name));
  await replaceMergeStaging(ctx.db, { migrationId, object: object.name }, result);
  return result;
}

/** The records that anchored a merged record the target may hold (the last merge's anchors that were written). */
async function previousAnchors(ctx: ActivityContext, migrationId: string, object: string): Promise<Set<string>> {
  const rows = await ctx.sql<{ ref: string }[]>`
    select mm.ref from merge_members mm
    where mm.migration_id = ${migrationId} and mm.object = ${object} and mm.ref = mm.merged_ref
      and exists (select 1 from id_map i where i.migration_id = mm.migration_id and i.object = mm.object
                    and i.source_id = mm.ref and i.state = 'written')`;
  return new Set(rows.map((r) => r.ref));
}

/** What a merge depends on in the plan: its sources' field maps, match rules, survivorship, decisions, own transforms. */
export function mergeSpecHash(plan: Plan, object: ObjectPlan): string {
  return checksum({ merge: object.merge, customTransforms: plan.customTransforms });
}

/** Where staging keeps the hash of the plan's merge its staged records were made by. */
const mergeCheckpoint = (migrationId: string, object: string): CheckpointKey => ({
  migrationId,
  object,
  phase: 'merge',
  stage: 'merge',
});

/**
 * Makes a merged object's staged merge the plan's again when the plan's merge changed since it was made (a survivorship
 * rule, a match rule, a person's review decision written after the preferences phase): the merge is made again from
 * the source records staging kept (`merge_members.raw`), without reading the sources, and every staged record whose
 * values changed is staged again as changed. Returns whether it merged again.
 */
export async function remergeIfPlanChanged(
  ctx: ActivityContext,
  migrationId: string,
  plan: Plan,
  object: ObjectPlan,
): Promise<boolean> {
  const merge = object.merge;
  if (!merge) return false;
  const key = mergeCheckpoint(migrationId, object.name);
  const spec = mergeSpecHash(plan, object);
  const made = await readCheckpoint(ctx.db, key);
  if (made?.cursor === spec) return false;
  const members = await ctx.sql<
    { source: string; raw: Record<string, unknown> | null; source_position: string | null }[]
  >`
    select source, raw, source_position from merge_members
    where migration_id = ${migrationId} and object = ${object.name}`;
  // Nothing staged yet, or a merge staged before the members kept their source records: the next read merges.
  if (members.length === 0 || members.some((m) => m.raw === null)) return false;
  const bySource = new Map<string, SourceItemRead[]>();
  for (const m of members) {
    const records = bySource.get(m.source) ?? [];
    records.push({ position: m.source_position ?? '', record: m.raw! });
    bySource.set(m.source, records);
  }
  const result = await mergeAndKeep(ctx, migrationId, plan, object, bySource);
  const staged = new Map(
    (
      await ctx.sql<{ source_id: string; source_hash: string }[]>`
        select source_id, source_hash from staged_records where migration_id = ${migrationId} and object = ${object.name}`
    ).map((r) => [r.source_id, r.source_hash]),
  );
  const changes: StagedChange[] = [];
  for (const item of result.items) {
    if (item.kind !== 'record') continue;
    const sourceId = String(item.record[MERGE_REF_FIELD]);
    const hash = checksum(item.record);
    const before = staged.get(sourceId);
    if (before === hash) continue;
    changes.push({
      sourceId,
      position: item.position,
      record: item.record,
      hash,
      updatedAt: null,
      kind: before ? 'changed' : 'new',
    });
  }
  for (let i = 0; i < changes.length; i += 5000)
    await stageChanges(ctx.sql, migrationId, object.name, changes.slice(i, i + 5000));
  // Only now is the staged merge the plan's: a retry after a failure above merges again.
  await saveCheckpoint(ctx.db, key, { cursor: spec });
  return true;
}

/** The source records staging kept of one source of a merged object, and that source's mark (its latest updated-at). */
interface KeptSource {
  mark: Date | null;
  records: { sourceId: string; item: SourceItemRead }[];
}

/** What staging kept of each source of a merged object (none before its first merge). */
async function keptRecords(
  ctx: ActivityContext,
  migrationId: string,
  object: string,
): Promise<Map<string, KeptSource>> {
  const rows = await ctx.sql<
    {
      source: string;
      source_id: string;
      raw: Record<string, unknown> | null;
      source_position: string | null;
      source_updated_at: Date | string | null;
    }[]
  >`
    select source, source_id, raw, source_position, source_updated_at from merge_members
    where migration_id = ${migrationId} and object = ${object}`;
  const out = new Map<string, KeptSource>();
  // A merge staged before the members kept their records: its sources are read whole.
  if (rows.some((r) => r.raw === null)) return out;
  for (const r of rows) {
    const kept = out.get(r.source) ?? { mark: null, records: [] };
    const at = r.source_updated_at === null ? null : new Date(r.source_updated_at);
    if (at && (!kept.mark || at > kept.mark)) kept.mark = at;
    kept.records.push({ sourceId: r.source_id, item: { position: r.source_position ?? '', record: r.raw! } });
    out.set(r.source, kept);
  }
  return out;
}
