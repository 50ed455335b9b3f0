import { eq } from 'drizzle-orm';
import type { GoldColumn, GoldSchema } from '../plan/gold';
import { compileObjectMapper } from '../plan/compile';
import type { ObjectPlan, Plan } from '../plan/schema';
import { textOf } from '../plan/text';
import type { MapPageOptions } from '../protocol/page';
import { migrations } from '../staging/schema';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { referenceFields } from './preferences';

/**
 * The one place `mapPage`'s options are built, for the load and for the dry run: the same mapper, the same
 * pre-flight columns, the same key rule. Only where a reference resolves differs: a load finds the records
 * already written (the ledger), a dry run the records it predicted loaded.
 */
export type ReferenceSource = 'written' | 'predicted loaded';

export async function mapPageOptions(
  ctx: ActivityContext,
  input: PinnedPlanInput & {
    object: ObjectPlan;
    /** The page's raw records: their references are looked up in one query per referenced object. */
    records: readonly Record<string, unknown>[];
    /** The target's own rule (`TargetRecords.keyIsSourceId`). */
    keyIsSourceId: boolean;
    references: ReferenceSource;
    /** The pinned plan when the caller has read it already (a load reads it once a page, not twice). */
    plan?: Plan;
  },
): Promise<MapPageOptions> {
  const plan = input.plan ?? (await ctx.migration(input.migrationId, input.planHash)).plan;
  return {
    mapper: compileObjectMapper(input.object, await ctx.customTransforms(plan)),
    resolveReference: await prefetchReferences(ctx, input),
    columns: await goldColumns(ctx, input.migrationId, input.object.target.table),
    keyField: input.object.target.key,
    keyIsSourceId: input.keyIsSourceId,
  };
}

/** The source ids a reference value may name: a list (`[split, reference]`: a deal's contacts) element by element. */
function referencedIds(value: unknown): string[] {
  if (value === null || value === undefined || textOf(value).trim() === '') return [];
  const parts = Array.isArray(value) ? value.map(textOf) : textOf(value).split(/[,;]/);
  return [textOf(value).trim(), ...parts.map((p) => p.trim()).filter((p) => p !== '')];
}

/**
 * Resolves references of a page of records in one query per referenced object: a reference finds the
 * target id Tern wrote for that record (or, in a dry run, a record predicted loaded), following a
 * deduplicated record to its survivor.
 */
async function prefetchReferences(
  ctx: ActivityContext,
  input: {
    migrationId: string;
    object: ObjectPlan;
    records: readonly Record<string, unknown>[];
    references: ReferenceSource;
  },
): Promise<MapPageOptions['resolveReference']> {
  const { migrationId } = input;
  const resolved = new Map<string, Map<string, string>>();
  const wanted = new Map<string, Set<string>>();
  for (const ref of referenceFields(input.object)) {
    const ids = wanted.get(ref.object) ?? new Set<string>();
    for (const r of input.records) for (const id of referencedIds(r[ref.field])) ids.add(ref.prefix + id);
    wanted.set(ref.object, ids);
  }
  for (const [dep, ids] of wanted) {
    // Two index lookups, never a join: the planner's row estimates for id_map lag behind a running load.
    const values = [...ids];
    const survivors = new Map(values.map((v) => [v, v]));
    if (values.length > 0) {
      const duplicates = await ctx.sql<{ source_id: string; duplicate_of: string }[]>`
        select source_id, duplicate_of from staged_records
        where migration_id = ${migrationId} and object = ${dep} and source_id = any(${values}::text[])
          and duplicate_of is not null`;
      for (const d of duplicates) survivors.set(d.source_id, d.duplicate_of);
    }
    const wantedIds = [...new Set(survivors.values())];
    const found =
      wantedIds.length === 0
        ? []
        : input.references === 'written'
          ? await ctx.sql<{ source_id: string; target_id: string | null }[]>`
              select source_id, target_id from id_map
              where migration_id = ${migrationId} and object = ${dep} and source_id = any(${wantedIds}::text[])
                and state = 'written'`
          : await ctx.sql<{ source_id: string; target_id: string | null }[]>`
              select source_id, null as target_id from staged_records
              where migration_id = ${migrationId} and object = ${dep} and source_id = any(${wantedIds}::text[])
                and predicted = 'loaded'`;
    // A dry run knows no target id yet: the reference carries the source id, as in a table target.
    const targets = new Map(found.map((w) => [w.source_id, w.target_id ?? w.source_id]));
    const byValue = new Map<string, string>();
    for (const [value, survivor] of survivors) {
      const targetId = targets.get(survivor);
      if (targetId !== undefined) byValue.set(value, targetId);
    }
    resolved.set(dep, byValue);
  }
  return (dep, sourceId) => {
    const targetId = resolved.get(dep)?.get(sourceId);
    return targetId === undefined ? { found: false } : { found: true, targetId };
  };
}

/** The frozen gold schema of the migration (undefined before preferences ran). */
export async function frozenGold(ctx: ActivityContext, migrationId: string): Promise<GoldSchema | undefined> {
  // Read for every load page: prepared (named), so it is one round trip, not a description first and then the read.
  const [row] = await ctx.db
    .select({ gold: migrations.goldSchema })
    .from(migrations)
    .where(eq(migrations.id, migrationId))
    .prepare('tern_frozen_gold')
    .execute();
  return (row?.gold as GoldSchema | null) ?? undefined;
}

/** The frozen gold schema's columns of a table (empty before preferences ran: the target decides alone). */
export async function goldColumns(ctx: ActivityContext, migrationId: string, table: string): Promise<GoldColumn[]> {
  return (await frozenGold(ctx, migrationId))?.tables[table]?.columns ?? [];
}
