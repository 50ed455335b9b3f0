import { and, asc, eq, gt, sql as raw } from 'drizzle-orm';
import { discoverTable, PostgresTableWriter } from '../connectors/postgres/target';
import { checksum } from '../plan/checksum';
import { addDecimals } from '../plan/decimal';
import { appendAudit } from '../staging/audit';
import { idMap, reconciliations, stagedRecords } from '../staging/schema';
import type { ActivityContext } from './deps';

export interface ReconcileInput {
  migrationId: string;
  object: string;
  phase: string;
}

/** The proof for one object. `source = loaded + quarantined + filtered + deduplicated` must hold. */
export interface ObjectReconciliation {
  object: string;
  source: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  /** Staged records that are neither loaded nor quarantined: must be 0 at the end of a phase. */
  unaccounted: number;
  checksumMismatches: number;
  /** Up to 20 source ids whose target row differs from what Tern wrote, for people to look at. */
  mismatchExamples: string[];
  sums: Record<string, { legacy: string; new: string }>;
  ok: boolean;
}

const READ_BACK_PAGE = 1000;

/**
 * Reconciles one object: counts from staging, and every written record read back from the target and
 * compared with the checksum Tern stored when it wrote it.
 */
export async function reconcileObject(ctx: ActivityContext, input: ReconcileInput): Promise<ObjectReconciliation> {
  const { plan } = await ctx.migration(input.migrationId);
  const object = ctx.object(plan, input.object);
  const target = await ctx.targetSql(plan);
  const writer = new PostgresTableWriter(
    target,
    await discoverTable(target, plan.target.schema, object.target.table),
    object.target.key,
  );
  const m = input.migrationId;
  const o = input.object;

  const [counts] = await ctx.db.execute<{
    staged: number;
    extract_rejects: number;
    loaded: number;
    quarantined: number;
    filtered: number;
    deduplicated: number;
    unaccounted: number;
  }>(raw`
    select
      (select count(*)::int from staged_records where migration_id = ${m} and object = ${o}) as staged,
      (select count(*)::int from quarantine where migration_id = ${m} and object = ${o} and stage = 'extract' and resolved_at is null) as extract_rejects,
      (select count(*)::int from id_map where migration_id = ${m} and object = ${o} and state = 'written') as loaded,
      (select count(*)::int from quarantine where migration_id = ${m} and object = ${o} and resolved_at is null) as quarantined,
      (select count(*)::int from staged_records where migration_id = ${m} and object = ${o} and disposition = 'filtered') as filtered,
      (select count(*)::int from staged_records where migration_id = ${m} and object = ${o} and disposition = 'deduplicated') as deduplicated,
      (select count(*)::int from staged_records s
        where s.migration_id = ${m} and s.object = ${o} and s.disposition is null
          and not exists (select 1 from id_map i where i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id and i.state = 'written')
          and not exists (select 1 from quarantine q where q.migration_id = s.migration_id and q.object = s.object and q.record_key = s.source_id and q.resolved_at is null)
      ) as unaccounted`);
  const c = counts ?? {
    staged: 0,
    extract_rejects: 0,
    loaded: 0,
    quarantined: 0,
    filtered: 0,
    deduplicated: 0,
    unaccounted: 0,
  };

  const columns = object.fields.map((f) => f.to);
  const sumFields = object.sums;
  const legacySums: Record<string, string> = Object.fromEntries(sumFields.map((f) => [f, '0']));
  const newSums: Record<string, string> = Object.fromEntries(sumFields.map((f) => [f, '0']));
  const sumSources = new Map(sumFields.map((f) => [f, object.fields.find((x) => x.to === f)?.from]));
  let mismatches = 0;
  const examples: string[] = [];
  let after = '';
  for (;;) {
    const page = await ctx.db
      .select({ sourceId: idMap.sourceId, checksum: idMap.checksum, raw: stagedRecords.raw })
      .from(idMap)
      .innerJoin(
        stagedRecords,
        and(
          eq(stagedRecords.migrationId, idMap.migrationId),
          eq(stagedRecords.object, idMap.object),
          eq(stagedRecords.sourceId, idMap.sourceId),
        ),
      )
      .where(and(eq(idMap.migrationId, m), eq(idMap.object, o), eq(idMap.state, 'written'), gt(idMap.sourceId, after)))
      .orderBy(asc(idMap.sourceId))
      .limit(READ_BACK_PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.sourceId;
    const readBack = await writer.lookup(page.map((p) => p.sourceId));
    for (const record of page) {
      const row = readBack.get(record.sourceId);
      if (!row || checksum(writer.canonicalReadBack(row, columns)) !== record.checksum) {
        mismatches += 1;
        if (examples.length < 20) examples.push(record.sourceId);
      }
      for (const field of sumFields) {
        const from = sumSources.get(field);
        const legacy = from ? (record.raw as Record<string, unknown>)[from] : undefined;
        legacySums[field] = addDecimals(legacySums[field]!, legacy);
        newSums[field] = addDecimals(newSums[field]!, row?.[field]);
      }
    }
  }
  const source = c.staged + c.extract_rejects;
  const { filtered, deduplicated } = c;
  const sums = Object.fromEntries(sumFields.map((f) => [f, { legacy: legacySums[f]!, new: newSums[f]! }]));
  const ok =
    source === c.loaded + c.quarantined + filtered + deduplicated &&
    c.unaccounted === 0 &&
    mismatches === 0 &&
    Object.values(sums).every((s) => s.legacy === s.new);
  const report: ObjectReconciliation = {
    object: o,
    source,
    loaded: c.loaded,
    quarantined: c.quarantined,
    filtered,
    deduplicated,
    unaccounted: c.unaccounted,
    checksumMismatches: mismatches,
    mismatchExamples: examples,
    sums,
    ok,
  };
  await ctx.db.insert(reconciliations).values({
    migrationId: m,
    phase: input.phase,
    object: o,
    source,
    loaded: c.loaded,
    quarantined: c.quarantined,
    filtered,
    deduplicated,
    checksumMismatches: mismatches,
    sums,
    ok,
  });
  await appendAudit(ctx.db, {
    migrationId: m,
    actor: 'tern',
    action: 'object.reconciled',
    details: {
      phase: input.phase,
      object: o,
      source,
      loaded: c.loaded,
      quarantined: c.quarantined,
      checksumMismatches: mismatches,
      ok,
    },
  });
  return report;
}
