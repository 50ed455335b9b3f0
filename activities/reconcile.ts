import { and, asc, eq, gt } from 'drizzle-orm';
import { refOf } from './load';
import { checksum } from '../plan/checksum';
import { addDecimals } from '../plan/decimal';
import { appendAudit } from '../staging/audit';
import { analyzeStaging } from '../staging/analyze';
import { idMap, reconciliations, stagedRecords } from '../staging/schema';
import type { ActivityContext } from './deps';
import { whileAlive, type Liveness } from './liveness';
import { RequestMeter } from './meter';

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
  /** Records the source deleted (a delta deleted their target rows); no longer part of `source`. */
  deleted: number;
  /** Open conflicts: target rows changed since Tern wrote them, kept by policy and reported here. */
  conflicts: number;
  checksumMismatches: number;
  /** Up to 20 source ids whose target row differs from what Tern wrote, for people to look at. */
  mismatchExamples: string[];
  sums: Record<string, { legacy: string; new: string }>;
  ok: boolean;
}

const READ_BACK_PAGE = 1000;

/** How far a reconciliation's read-back got: heartbeated after every page, resumed by the next attempt. */
export interface ReadBackProgress {
  /** The last source id read back (pages go in source id order). */
  after: string;
  mismatches: number;
  examples: string[];
  legacySums: Record<string, string>;
  newSums: Record<string, string>;
}

/** The read-back's starting point: the previous attempt's heartbeated progress when it has one, else zero. */
export function resumedReadBack(details: unknown, sumFields: readonly string[]): ReadBackProgress {
  const zero = (): Record<string, string> => Object.fromEntries(sumFields.map((f) => [f, '0']));
  const d = details as Partial<ReadBackProgress> | null | undefined;
  const sums = (v: unknown): v is Record<string, string> =>
    typeof v === 'object' &&
    v !== null &&
    sumFields.every((f) => typeof (v as Record<string, unknown>)[f] === 'string');
  if (
    !d ||
    typeof d.after !== 'string' ||
    typeof d.mismatches !== 'number' ||
    !Array.isArray(d.examples) ||
    !sums(d.legacySums) ||
    !sums(d.newSums)
  )
    return { after: '', mismatches: 0, examples: [], legacySums: zero(), newSums: zero() };
  return {
    after: d.after,
    mismatches: d.mismatches,
    examples: d.examples.map(String).slice(0, 20),
    legacySums: { ...zero(), ...d.legacySums },
    newSums: { ...zero(), ...d.newSums },
  };
}

/**
 * Reconciles one object: counts from staging, and every written record read back from the target and
 * compared with the checksum Tern stored when it wrote it.
 */
export async function reconcileObject(ctx: ActivityContext, input: ReconcileInput): Promise<ObjectReconciliation> {
  // Reading an object back at a vendor's rate can take longer than one attempt may run: every page heartbeats
  // its cursor and running counts, and a retry carries on from there instead of starting over.
  await analyzeStaging(ctx.sql, ['staged_records', 'id_map', 'quarantine', 'conflicts']); // loads bulk-wrote them
  return whileAlive(undefined, (live) => reconcileAlive(ctx, input, live));
}

async function reconcileAlive(
  ctx: ActivityContext,
  input: ReconcileInput,
  live: Liveness,
): Promise<ObjectReconciliation> {
  const { plan } = await ctx.migration(input.migrationId);
  const object = ctx.object(plan, input.object);
  const meter = new RequestMeter();
  const writer = await (await ctx.target(plan, input.migrationId, meter, live)).records(input.object);
  const m = input.migrationId;
  const o = input.object;

  // The sample phase answers for the sample; every other phase for everything the source still holds.
  const sample = input.phase === 'sample';
  const inScope = sample
    ? ctx.sql`s.sampled and s.disposition is null and s.source_deleted_at is null`
    : ctx.sql`s.source_deleted_at is null`;
  const [counts] = await ctx.sql<
    {
      staged: number;
      extract_rejects: number;
      loaded: number;
      quarantined: number;
      filtered: number;
      deduplicated: number;
      unaccounted: number;
      deleted: number;
    }[]
  >`
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
  const c = counts ?? {
    staged: 0,
    extract_rejects: 0,
    loaded: 0,
    quarantined: 0,
    filtered: 0,
    deduplicated: 0,
    unaccounted: 0,
    deleted: 0,
  };
  const openConflicts = new Set(
    (
      await ctx.sql<{ source_id: string }[]>`
        select distinct source_id from conflicts
        where migration_id = ${m} and object = ${o} and resolved_at is null and outcome in ('skipped', 'kept')`
    ).map((r) => r.source_id),
  );

  const columns = object.fields.map((f) => f.to);
  const sumFields = object.sums;
  const sumSources = new Map(sumFields.map((f) => [f, object.fields.find((x) => x.to === f)?.from]));
  const progress = resumedReadBack(live.resumeDetails, sumFields);
  const { legacySums, newSums, examples } = progress;
  let { mismatches, after } = progress;
  for (;;) {
    const page = await ctx.db
      .select({ sourceId: idMap.sourceId, checksum: idMap.checksum, targetId: idMap.targetId, raw: stagedRecords.raw })
      .from(idMap)
      .innerJoin(
        stagedRecords,
        and(
          eq(stagedRecords.migrationId, idMap.migrationId),
          eq(stagedRecords.object, idMap.object),
          eq(stagedRecords.sourceId, idMap.sourceId),
        ),
      )
      .where(
        and(
          eq(idMap.migrationId, m),
          eq(idMap.object, o),
          eq(idMap.state, 'written'),
          gt(idMap.sourceId, after),
          sample ? eq(stagedRecords.sampled, true) : undefined,
        ),
      )
      .orderBy(asc(idMap.sourceId))
      .limit(READ_BACK_PAGE);
    if (page.length === 0) break;
    live.throwIfCancelled();
    const readBack = await writer.lookup(
      page.map((p) => refOf(p.sourceId, { targetId: p.targetId, state: 'written' })),
    );
    for (const record of page) {
      const row = readBack.get(record.sourceId);
      if (openConflicts.has(record.sourceId)) continue; // reported as a conflict, not hidden as a mismatch
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
    after = page[page.length - 1]!.sourceId;
    // The page is counted: a retry resumes after it, with the counts so far.
    live.beat({ after, mismatches, examples, legacySums, newSums } satisfies ReadBackProgress);
  }
  await meter.record(ctx, { migrationId: m, phase: input.phase, object: o, stage: 'reconcile' }, c.loaded);
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
    deleted: c.deleted,
    conflicts: openConflicts.size,
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
