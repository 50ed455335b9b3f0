import { Context } from '@temporalio/activity';
import { and, eq, isNull, sql as raw } from 'drizzle-orm';
import { describeSchemaDrift, goldSchemaHash } from '../plan/gold';
import { TargetSchemaError } from '../connectors/postgres/target';
import { ProfileBuilder, type ObjectProfile } from '../plan/profile';
import { Deduplicator, firstMatchingFilter, type DuplicateGroups } from '../plan/rules';
import { MERGE_INFO_FIELD, qualifiedReference } from '../plan/merge-ref';
import type { ObjectPlan } from '../plan/schema';
import { checkPlanAgainstTarget, type TargetIssue } from '../plan/target-check';
import { transformArgs, transformName } from '../plan/transforms';
import { appendAudit } from '../staging/audit';
import { auditRecords } from '../staging/custody';
import { inTransaction } from '../staging/transaction';
import { migrations, profiles, runs } from '../staging/schema';
import { analyzeStaging } from '../staging/analyze';
import type { ActivityContext, PinnedPlanInput } from './deps';
import type { DryRunCounts, PreflightFinding } from './dry-run';
import { frozenGold } from './map-options';
import { remergeIfPlanChanged } from './merge-source';

export { dryRunObject, type DryRunCounts, type PreflightFinding } from './dry-run';

/** The preferences phase's activities: rules, profile, gold schema and plan validation; the dry run is ./dry-run.ts. */

export interface ObjectInput extends PinnedPlanInput {
  migrationId: string;
  object: string;
}

const PAGE = 5000;

interface StagedRow {
  source_id: string;
  ordinal: number;
  raw: Record<string, unknown>;
  source_updated_at: Date | null;
  disposition: string | null;
  disposition_reason: string | null;
  duplicate_of: string | null;
}

/** Staged records of an object in source order, a page at a time (keyset on the ordinal). */
async function* stagedInOrder(ctx: ActivityContext, migrationId: string, object: string): AsyncGenerator<StagedRow[]> {
  let after = 0;
  for (;;) {
    const page = await ctx.sql<StagedRow[]>`
      select source_id, ordinal::float8 as ordinal, raw, source_updated_at, disposition, disposition_reason, duplicate_of
      from staged_records
      where migration_id = ${migrationId} and object = ${object} and ordinal > ${after}
      -- The table's column, not the float8 output column of the same name: only it can use the ordinal index
      -- (ordering by the output column sorted every staged row for each page: quadratic, 379 ms a page at 1M).
      order by staged_records.ordinal
      limit ${PAGE}`;
    if (page.length === 0) return;
    after = page[page.length - 1]!.ordinal;
    yield page;
    Context.current().heartbeat({ object, ordinal: after });
  }
}

/** A record's disposition by the rules: a = disposition, b = its reason, c = the survivor it duplicates. */
interface Disposition {
  a: string | null;
  b: string | null;
  c: string | null;
}

/** Writes the rules' disposition of many staged records at once. */
async function setDispositions(
  ctx: ActivityContext,
  input: ObjectInput,
  rows: ({ sourceId: string } & Disposition)[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    const ids = chunk.map((r) => r.sourceId);
    const a = chunk.map((r) => r.a);
    const b = chunk.map((r) => r.b);
    const c = chunk.map((r) => r.c);
    await ctx.sql`
      update staged_records s set disposition = v.a, disposition_reason = v.b, duplicate_of = v.c
      from (select unnest(${ids}::text[]) as id, unnest(${a}::text[]) as a, unnest(${b}::text[]) as b,
                   unnest(${c}::text[]) as c) v
      where s.migration_id = ${input.migrationId} and s.object = ${input.object} and s.source_id = v.id`;
  }
}

/**
 * The dispositions of a merged object's staged records, from the merge's note on each: a record merged into another
 * is `deduplicated` with that record as its survivor (references follow it); every other record is to be loaded.
 */
async function applyMergeDispositions(
  ctx: ActivityContext,
  input: ObjectInput,
): Promise<{ changed: number; deduplicated: number; groups: number }> {
  const into = ctx.sql`raw -> ${MERGE_INFO_FIELD} ->> 'into'`;
  const disposition = ctx.sql`case when ${into} is null then null else 'deduplicated' end`;
  const reason = ctx.sql`case when ${into} is null then null
    else 'merged by ' || coalesce(raw -> ${MERGE_INFO_FIELD} ->> 'rule', 'a review decision') end`;
  const changed = await ctx.sql`
    update staged_records set disposition = ${disposition}, disposition_reason = ${reason}, duplicate_of = ${into}
    where migration_id = ${input.migrationId} and object = ${input.object}
      and (disposition, disposition_reason, duplicate_of) is distinct from (${disposition}, ${reason}, ${into})`;
  const [counts] = await ctx.sql<{ deduplicated: number; groups: number }[]>`
    select count(*)::int as deduplicated, count(distinct duplicate_of)::int as groups from staged_records
    where migration_id = ${input.migrationId} and object = ${input.object} and duplicate_of is not null`;
  return { changed: changed.count, deduplicated: counts?.deduplicated ?? 0, groups: counts?.groups ?? 0 };
}

/**
 * Records the rules now set aside that the target still holds are taken out of it by the next load, and references
 * other objects wrote to them would be left pointing at nothing (a delta loads only what changed, and the records
 * holding those references did not). Each such referencing record is marked changed, so the delta writes it again,
 * its reference now following the set-aside record to its survivor (a merged record that became part of another).
 */
async function repointReferences(
  ctx: ActivityContext,
  input: ObjectInput,
  objects: readonly ObjectPlan[],
): Promise<void> {
  for (const dependent of objects)
    for (const ref of referenceFields(dependent)) {
      if (ref.object !== input.object) continue;
      await ctx.sql`
        update staged_records d set delta_pending = 'changed'
        where d.migration_id = ${input.migrationId} and d.object = ${dependent.name}
          and d.delta_pending is null and d.source_deleted_at is null
          and ${ref.prefix} || btrim(d.raw ->> ${ref.field}) in (
            select s.source_id from staged_records s
            join id_map i on i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id
            where s.migration_id = ${input.migrationId} and s.object = ${input.object}
              and s.disposition = 'deduplicated' and i.state in ('written', 'pending'))`;
    }
}

export interface RulesResult {
  object: string;
  /** Records purged, by filter rule. */
  filtered: Record<string, number>;
  deduplicated: number;
  duplicateGroups: number;
}

/**
 * Applies the plan's filters and dedupe rule to every staged record of an object and records each
 * record's disposition (filtered / deduplicated with its survivor). Recomputed from scratch: idempotent.
 */
export async function applyRules(ctx: ActivityContext, input: ObjectInput): Promise<RulesResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const filtered: Record<string, number> = {};
  const dedupe = object.dedupe ? new Deduplicator(object.dedupe) : undefined;
  let groups: ReturnType<Deduplicator['result']> | undefined;
  let changed = 0;
  let setAside = 0;
  let merged: { changed: number; deduplicated: number; groups: number } | undefined;
  if (object.merge) {
    // A merged object's merge already decided (plan/merge.ts): a record merged into another is set aside for it.
    // The plan's merge may have changed since the records were staged (a rule, a review decision): merge again first.
    await remergeIfPlanChanged(ctx, input.migrationId, plan, object);
    merged = await applyMergeDispositions(ctx, input);
    changed = merged.changed;
    setAside = merged.deduplicated;
  } else if (object.filters.length === 0 && !dedupe) {
    // Without filters or a dedupe rule every record is to be migrated: nothing to read, only earlier rules to undo.
    const reset = await ctx.sql`
      update staged_records set disposition = null, disposition_reason = null, duplicate_of = null
      where migration_id = ${input.migrationId} and object = ${input.object} and disposition is not null`;
    changed = reset.count;
  } else {
    // Each record's disposition as the rules decide it now, beside the one staging holds (an earlier run's): only
    // records whose disposition differs are written, so rules that did not change rewrite nothing.
    const held = new Map<string, Disposition>();
    const decided = new Map<string, Disposition>();
    for await (const page of stagedInOrder(ctx, input.migrationId, input.object)) {
      for (const row of page) {
        if (row.disposition !== null)
          held.set(row.source_id, { a: row.disposition, b: row.disposition_reason, c: row.duplicate_of });
        const rule = firstMatchingFilter(object.filters, row.raw);
        if (rule !== undefined) {
          filtered[rule] = (filtered[rule] ?? 0) + 1;
          decided.set(row.source_id, { a: 'filtered', b: rule, c: null });
          continue;
        }
        dedupe?.add({
          sourceId: row.source_id,
          ordinal: row.ordinal,
          updatedAt: row.source_updated_at ? new Date(row.source_updated_at) : null,
          record: row.raw,
        });
      }
    }
    groups = dedupe?.result();
    for (const [sourceId, { survivor }] of groups?.duplicates ?? [])
      decided.set(sourceId, { a: 'deduplicated', b: object.dedupe!.key.join('+'), c: survivor });
    const updates: ({ sourceId: string } & Disposition)[] = [];
    for (const [sourceId, d] of decided) {
      const h = held.get(sourceId);
      if (!h || h.a !== d.a || h.b !== d.b || h.c !== d.c) updates.push({ sourceId, ...d });
    }
    for (const sourceId of held.keys())
      if (!decided.has(sourceId)) updates.push({ sourceId, a: null, b: null, c: null });
    await setDispositions(ctx, input, updates);
    changed = updates.length;
    setAside = decided.size;
  }
  if (setAside > 0) {
    // A record the rules now set aside is no longer quarantined for mapping or loading (the plan changed).
    await inTransaction(ctx.db, async (tx, sql) => {
      const resolved = await sql<{ key: string }[]>`
        update quarantine q set resolved_at = now()
        from staged_records s
        where q.migration_id = ${input.migrationId} and q.object = ${input.object} and q.resolved_at is null
          and q.stage <> 'extract' and s.migration_id = q.migration_id and s.object = q.object
          and s.source_id = q.record_key and s.disposition is not null
        returning q.record_key as key`;
      await auditRecords(tx, {
        migrationId: input.migrationId,
        action: 'quarantine.resolved',
        object: input.object,
        ids: resolved.map((r) => r.key),
        details: { reason: 'set aside by the rules' },
      });
    });
  }
  if (setAside > 0) await repointReferences(ctx, input, plan.objects);
  // The planner's statistics change only with the dispositions (the extraction just before analysed the rest).
  if (changed > 0) await analyzeStaging(ctx.sql, ['staged_records', 'quarantine']);
  return {
    object: input.object,
    filtered,
    deduplicated: merged?.deduplicated ?? groups?.duplicates.size ?? 0,
    duplicateGroups: merged?.groups ?? groups?.figures.groups ?? 0,
  };
}

/** Orphans of one reference field: values naming no staged record of the referenced object. */
export interface OrphanFigure {
  field: string;
  object: string;
  count: number;
  /** Up to 10 orphan values, for people to look at. */
  examples: string[];
}

/** What preferences stores per object (the `profiles` table), beyond the field profile. */
export interface StoredProfile extends ObjectProfile {
  unreadable: number;
  duplicateSourceIds: number;
  duplicates?: DuplicateGroups & { key: string[] };
  orphans: OrphanFigure[];
  dryRun?: DryRunCounts;
  /** Pre-flight: what the target would refuse, per field and reason, with examples (kept out of histories). */
  preflight?: PreflightFinding[];
}

export interface ProfileSummary {
  object: string;
  rows: number;
  fields: number;
  duplicateExcess: number;
  orphans: number;
  ambiguousDates: number;
}

/**
 * Reference fields of an object: the source field, the object it points at, and what goes before its values to make
 * the other object's source ids (`legacy/` when the reference names a source of a merged object; else nothing).
 */
export function referenceFields(object: ObjectPlan): { field: string; object: string; prefix: string }[] {
  const out: { field: string; object: string; prefix: string }[] = [];
  for (const f of object.fields) {
    if (!f.from) continue;
    for (const spec of f.transform) {
      if (transformName(spec) !== 'reference') continue;
      const { object: target, source } = transformArgs(spec);
      if (typeof target === 'string')
        out.push({
          field: f.from,
          object: target,
          prefix: qualifiedReference(typeof source === 'string' ? source : undefined, ''),
        });
    }
  }
  return out;
}

/** Profiles one object (docs/preferences.md): fields, duplicates by the dedupe key, orphans by reference. */
export async function profileObject(ctx: ActivityContext, input: ObjectInput): Promise<ProfileSummary> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const builder = new ProfileBuilder(input.object);
  const dedupe = object.dedupe ? new Deduplicator({ ...object.dedupe, survivor: 'first' }) : undefined;
  for await (const page of stagedInOrder(ctx, input.migrationId, input.object)) {
    for (const row of page) {
      builder.add(row.raw);
      dedupe?.add({ sourceId: row.source_id, ordinal: row.ordinal, updatedAt: null, record: row.raw });
    }
  }
  const profile = builder.finish();
  const orphans: OrphanFigure[] = [];
  for (const ref of referenceFields(object)) {
    const rows = await ctx.sql<{ value: string; n: number }[]>`
      select btrim(s.raw ->> ${ref.field}) as value, count(*)::int as n
      from staged_records s
      where s.migration_id = ${input.migrationId} and s.object = ${input.object}
        and btrim(coalesce(s.raw ->> ${ref.field}, '')) <> ''
        and not exists (select 1 from staged_records r
                        where r.migration_id = s.migration_id and r.object = ${ref.object}
                          and r.source_id = ${ref.prefix} || btrim(s.raw ->> ${ref.field}))
      group by 1 order by 2 desc, 1`;
    orphans.push({
      field: ref.field,
      object: ref.object,
      count: rows.reduce((n, r) => n + r.n, 0),
      examples: rows.slice(0, 10).map((r) => r.value),
    });
  }
  const [rejects] = await ctx.sql<{ unreadable: number; duplicate_ids: number }[]>`
    select count(*) filter (where reason_code = 'unparseable_row')::int as unreadable,
           count(*) filter (where reason_code <> 'unparseable_row')::int as duplicate_ids
    from quarantine where migration_id = ${input.migrationId} and object = ${input.object} and stage = 'extract'`;
  const stored: StoredProfile = {
    ...profile,
    unreadable: rejects?.unreadable ?? 0,
    duplicateSourceIds: rejects?.duplicate_ids ?? 0,
    duplicates: dedupe && object.dedupe ? { key: object.dedupe.key, ...dedupe.result().figures } : undefined,
    orphans,
  };
  await ctx.db
    .insert(profiles)
    .values({ migrationId: input.migrationId, object: input.object, profile: stored })
    .onConflictDoUpdate({
      target: [profiles.migrationId, profiles.object],
      set: { profile: stored, createdAt: new Date() },
    });
  return {
    object: input.object,
    rows: profile.rows,
    fields: profile.fields.length,
    duplicateExcess: stored.duplicates?.excess ?? 0,
    orphans: orphans.reduce((n, o) => n + o.count, 0),
    ambiguousDates: profile.fields.reduce((n, f) => n + (f.dates?.ambiguous ?? 0), 0),
  };
}

export interface GoldSchemaResult {
  goldSchemaHash: string;
  tables: number;
  missingTables: number;
}

/** Discovers the target tables the plan writes and freezes them as the migration's gold schema. */
export async function freezeGoldSchema(ctx: ActivityContext, input: PinnedPlanInput): Promise<GoldSchemaResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const gold = await (await ctx.target(plan, input.migrationId)).discoverGold(plan.objects.map((o) => o.target.table));
  const hash = goldSchemaHash(gold);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(migrations)
      .set({ goldSchema: gold, goldSchemaHash: hash, updatedAt: new Date() })
      .where(eq(migrations.id, input.migrationId));
    await appendAudit(tx, {
      migrationId: input.migrationId,
      actor: 'tern',
      action: 'gold_schema.frozen',
      details: { hash, schema: gold.schema, tables: Object.keys(gold.tables) },
    });
  });
  return {
    goldSchemaHash: hash,
    tables: Object.keys(gold.tables).length,
    missingTables: Object.values(gold.tables).filter((t) => !t.exists).length,
  };
}

/**
 * Refuses to load into a target whose schema changed since preferences froze it: the plan was validated
 * against the gold schema, not against what is there now. Before preferences ever ran there is nothing to
 * compare, and the phase goes on (the target still validates every write).
 */
export async function checkGoldSchema(
  ctx: ActivityContext,
  input: PinnedPlanInput,
): Promise<{ frozen: boolean; hash: string | null }> {
  const gold = await frozenGold(ctx, input.migrationId);
  if (!gold) return { frozen: false, hash: null };
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const now = await (await ctx.target(plan, input.migrationId)).discoverGold(Object.keys(gold.tables));
  const drift = describeSchemaDrift(gold, now);
  if (drift.length > 0) {
    throw new TargetSchemaError(
      `the target schema drifted from the gold schema frozen by preferences: ${drift.slice(0, 10).join('; ')}${drift.length > 10 ? `; and ${drift.length - 10} more` : ''}`,
      'undo the change in the target, or run `tern run preferences <plan>` again to validate the plan against the new schema and freeze it',
    );
  }
  return { frozen: true, hash: goldSchemaHash(gold) };
}

async function loadProfiles(ctx: ActivityContext, migrationId: string): Promise<Map<string, StoredProfile>> {
  const rows = await ctx.db.select().from(profiles).where(eq(profiles.migrationId, migrationId));
  return new Map(rows.map((r) => [r.object, r.profile as StoredProfile]));
}

export interface ValidationSummary {
  errors: number;
  warnings: number;
}

/**
 * Validates the plan against the frozen gold schema and the profiles, and keeps the findings in the
 * preferences run's report (not in the workflow history: they quote source values).
 */
export async function validatePlan(ctx: ActivityContext, input: PinnedPlanInput): Promise<ValidationSummary> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const gold = await frozenGold(ctx, input.migrationId);
  const profileMap = await loadProfiles(ctx, input.migrationId);
  const issues: TargetIssue[] = gold ? checkPlanAgainstTarget(plan, gold, profileMap) : [];
  await saveRunReport(ctx, { issues });
  return {
    errors: issues.filter((i) => i.severity === 'error').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
}

/** Merges keys into the current run's report (the open run of this workflow). */
async function saveRunReport(ctx: ActivityContext, report: Record<string, unknown>): Promise<void> {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
  await ctx.db
    .update(runs)
    .set({ report: raw`coalesce(${runs.report}, '{}'::jsonb) || ${JSON.stringify(report)}::jsonb` })
    .where(and(eq(runs.workflowId, workflowId), isNull(runs.finishedAt)));
}
