import { Context } from '@temporalio/activity';
import type { SourceItem } from '../connectors/source';
import { openSource, type OpenedSource } from '../connectors/sources';
import { compileMerge, type SourceItemRead } from '../plan/merge';
import type { MergeSourcePlan } from '../plan/merge-schema';
import { namedSource, type ObjectPlan, type Plan } from '../plan/schema';
import { replaceMergeStaging } from '../staging/repos/merge-write';
import { readCheckpoint, saveCheckpoint, type CheckpointKey } from '../staging/repos/checkpoints';
import { checksum } from '../plan/checksum';
import { MERGE_REF_FIELD } from '../plan/merge-ref';
import { stageChanges, type StagedChange } from '../staging/repos/staged-changes';
import type { ActivityContext } from './deps';
import type { RequestMeter } from './meter';

/**
 * The source of a merged object (docs/merge.md): every source it names, read whole, merged (plan/merge.ts), the
 * members and lineage written to staging, and the merge's records given to the extraction (or the delta) as any
 * source's records are. A retried read merges again (the same records give the same merge) and resumes after the
 * cursor it was given.
 */
export function openMergedSource(
  ctx: ActivityContext,
  migrationId: string,
  plan: Plan,
  object: ObjectPlan,
  meter: RequestMeter,
): OpenedSource {
  const merge = object.merge;
  if (!merge) throw new Error(`object "${object.name}" is not merged`);
  const reader = async function* (cursor: string | null): AsyncGenerator<SourceItem> {
    const bySource = new Map<string, SourceItemRead[]>();
    const broken: SourceItem[] = [];
    for (const source of merge.sources) {
      const records: SourceItemRead[] = [];
      const opened = await openSource(
        { ...plan, source: namedSource(plan, source.source), sources: undefined },
        feederObject(object, source, namedSource(plan, source.source).kind),
        ctx.env,
        { shared: { url: ctx.deps.staging.url, sql: ctx.sql }, saas: ctx.saasDeps(meter) },
      );
      try {
        for await (const item of opened.reader(null)) {
          if (item.kind === 'record') records.push({ position: item.position, record: item.record });
          else broken.push({ ...item, position: `${source.source} ${item.position}` });
          if ((records.length + broken.length) % 5000 === 0) Context.current().heartbeat({ source: source.source });
        }
      } finally {
        await opened.close();
      }
      bySource.set(source.source, records);
    }
    const result = compileMerge(
      merge,
      await ctx.customTransforms(plan),
      new Set(plan.objects.filter((o) => o.merge).map((o) => o.name)),
    )(bySource, await previousAnchors(ctx, migrationId, object.name));
    await replaceMergeStaging(ctx.db, { migrationId, object: object.name }, result);
    await saveCheckpoint(ctx.db, mergeCheckpoint(migrationId, object.name), { cursor: mergeSpecHash(plan, object) });
    const items: SourceItem[] = [...broken, ...result.items].map((item, i) => ({ ...item, cursor: String(i + 1) }));
    const after = cursor === null ? 0 : Number(cursor);
    for (const item of items.slice(after)) yield item;
  };
  return { reader, close: () => Promise.resolve() };
}

/** Opens the source an object's records come from: its own, or for a merged object the merge of its sources. */
export async function openObjectSource(
  ctx: ActivityContext,
  migrationId: string,
  plan: Plan,
  object: ObjectPlan,
  meter: RequestMeter,
): Promise<OpenedSource> {
  if (object.merge) return openMergedSource(ctx, migrationId, plan, object, meter);
  return openSource(plan, object, ctx.env, {
    shared: { url: ctx.deps.staging.url, sql: ctx.sql },
    saas: ctx.saasDeps(meter),
  });
}

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
  for (const m of members)
    bySource.set(m.source, [...(bySource.get(m.source) ?? []), { position: m.source_position ?? '', record: m.raw! }]);
  const result = compileMerge(
    merge,
    await ctx.customTransforms(plan),
    new Set(plan.objects.filter((o) => o.merge).map((o) => o.name)),
  )(bySource, await previousAnchors(ctx, migrationId, object.name));
  await replaceMergeStaging(ctx.db, { migrationId, object: object.name }, result);
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
  await saveCheckpoint(ctx.db, key, { cursor: spec });
  return true;
}
