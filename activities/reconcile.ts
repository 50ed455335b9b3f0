import { refOf } from './load';
import type { TargetRecords, TargetRow } from '../connectors/target';
import { checksum, differingFields } from '../plan/checksum';
import {
  addDeletedValue,
  addSourceValue,
  addTargetValue,
  addUnreadable,
  amountFormatOf,
  emptyAccumulator,
  isAccumulator,
  settleSum,
  type AmountFormat,
  type Disposition,
  type SumAccumulator,
  type SumReconciliation,
} from '../plan/sum-equation';
import { appendAudit } from '../staging/audit';
import { analyzeStaging } from '../staging/analyze';
import { reconciliations } from '../staging/schema';
import { checkFidelityAs, fidelityPlan } from '../plan/fidelity';
import { columnKindOf } from '../plan/target-values';
import { goldColumns } from './map-options';
import type { ActivityContext } from './deps';
import { whileAlive, type Liveness } from './liveness';
import { RequestMeter } from './meter';

export interface ReconcileInput {
  migrationId: string;
  object: string;
  phase: string;
}

/** A written record that reads back differently: which fields differ (names only, never values). */
export interface MismatchExample {
  sourceId: string;
  /** The fields whose read-back differs from what was written; empty when the record is gone from the target. */
  fields: string[];
  /** The record is not in the target at all. */
  missing?: boolean;
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
  /** Up to 20 records whose target row differs from what Tern wrote, with the differing fields. */
  mismatchExamples: MismatchExample[];
  /** Mismatching records per field (a record with two differing fields counts under both). */
  mismatchesByField: Record<string, number>;
  /** The money line per `sums` field, term by term (plan/sum-equation.ts). */
  sums: Record<string, SumReconciliation>;
  /** The target compared with the source value read at full precision (plan/fidelity.ts). */
  fidelity: FidelityReport;
  ok: boolean;
}

/** What the fidelity check compared and found: fields and source ids only, never values. */
export interface FidelityReport {
  /** Target fields mapped by value-preserving transforms: the ones checked. */
  fields: string[];
  /** Loaded records whose fields were compared. */
  records: number;
  /** Records with at least one field whose target value is not the source's. */
  mismatches: number;
  byField: Record<string, number>;
  examples: MismatchExample[];
}

/** Records per read-back page: one target lookup (a query, or a vendor listing) each. */
const READ_BACK_PAGE = 2000;

/** How far a reconciliation's read-back got: heartbeated after every page, resumed by the next attempt. */
export interface ReadBackProgress {
  /** The last source id read back (pages go in source id order). */
  after: string;
  mismatches: number;
  examples: MismatchExample[];
  byField: Record<string, number>;
  sums: Record<string, SumAccumulator>;
  fidelity: Omit<FidelityReport, 'fields'>;
}

/** The read-back's starting point: the previous attempt's heartbeated progress when it has one, else zero. */
export function resumedReadBack(details: unknown, sumFields: readonly string[]): ReadBackProgress {
  const zero = (): ReadBackProgress => ({
    after: '',
    mismatches: 0,
    examples: [],
    byField: {},
    sums: Object.fromEntries(sumFields.map((f) => [f, emptyAccumulator()])),
    fidelity: { records: 0, mismatches: 0, byField: {}, examples: [] },
  });
  const d = details as Partial<ReadBackProgress> | null | undefined;
  if (
    !d ||
    typeof d.after !== 'string' ||
    typeof d.mismatches !== 'number' ||
    !Array.isArray(d.examples) ||
    typeof d.byField !== 'object' ||
    d.byField === null ||
    typeof d.sums !== 'object' ||
    d.sums === null ||
    !sumFields.every((f) => isAccumulator((d.sums as Record<string, unknown>)[f])) ||
    typeof d.fidelity !== 'object' ||
    d.fidelity === null ||
    typeof d.fidelity.records !== 'number'
  )
    return zero();
  return {
    after: d.after,
    mismatches: d.mismatches,
    examples: d.examples
      .filter((e): e is MismatchExample => typeof e === 'object' && e !== null && typeof e.sourceId === 'string')
      .slice(0, 20),
    byField: { ...d.byField },
    sums: d.sums,
    fidelity: d.fidelity,
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
  const inScope = scopeOf(ctx, sample);
  const c = await countDispositions(ctx, m, o, sample);
  const openConflicts = new Set(
    (
      await ctx.sql<{ source_id: string }[]>`
        select distinct source_id from conflicts
        where migration_id = ${m} and object = ${o} and resolved_at is null and outcome in ('skipped', 'kept')`
    ).map((r) => r.source_id),
  );

  const planFields = object.fields.map((f) => f.to);
  const sumFields = object.sums;
  const sumSources = new Map(
    sumFields.map((f) => {
      const mapping = object.fields.find((x) => x.to === f);
      return [f, { from: mapping?.from, format: amountFormatOf(mapping?.transform) }] as const;
    }),
  );
  const gold = await goldColumns(ctx, m, object.target.table);
  const fidelityFields = fidelityPlan(object, new Map(gold.map((g) => [g.name, columnKindOf(g.dataType)]))).filter(
    (f) => writer.storesAsSent?.(f.to) ?? true,
  );
  const rawFields = [
    ...new Set([
      ...[...sumSources.values()].map((s) => s.from).filter((f): f is string => !!f),
      ...fidelityFields.map((f) => f.from),
    ]),
  ];
  const progress = resumedReadBack(live.resumeDetails, sumFields);
  const { examples, byField, sums, fidelity } = progress;
  let { mismatches, after } = progress;

  // One pass over the source's records in scope, in source id order: each lands in exactly one term of the
  // equation (the partition the counts use); the loaded ones are read back from the target, page by page.
  for (;;) {
    const page = await ctx.sql<
      {
        source_id: string;
        disposition: string | null;
        written: boolean;
        quarantined: boolean;
        checksum: string | null;
        field_checksums: Record<string, string> | null;
        target_id: string | null;
        values: Record<string, unknown> | null;
      }[]
    >`
      select s.source_id, s.disposition, coalesce(i.state = 'written', false) as written,
        exists (select 1 from quarantine q where q.migration_id = s.migration_id and q.object = s.object
                and q.record_key = s.source_id and q.resolved_at is null) as quarantined,
        i.checksum, i.field_checksums, i.target_id,
        ${rawFields.length ? ctx.sql`(select jsonb_object_agg(k, s.raw -> k) from unnest(${rawFields}::text[]) k)` : ctx.sql`null::jsonb`} as values
      from staged_records s
      left join id_map i on i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id
      where s.migration_id = ${m} and s.object = ${o} and ${inScope} and s.source_id > ${after}
      order by s.source_id
      limit ${READ_BACK_PAGE}`;
    if (page.length === 0) break;
    live.throwIfCancelled();
    const loaded = page.filter((r) => r.written);
    // Only the fields that were written are read back (the checksums name them; older ledger rows: the plan's).
    const readFields = [
      ...new Set(loaded.flatMap((r) => (r.field_checksums ? Object.keys(r.field_checksums) : planFields))),
    ];
    const readBack =
      loaded.length === 0
        ? new Map<string, TargetRow>()
        : await writer.lookup(
            loaded.map((r) => refOf(r.source_id, { targetId: r.target_id, state: 'written' })),
            [...new Set([...readFields, ...sumFields])],
          );
    for (const record of page) {
      const disposition: Disposition = record.written
        ? 'loaded'
        : record.disposition === 'filtered' || record.disposition === 'deduplicated'
          ? record.disposition
          : record.quarantined
            ? 'quarantined'
            : 'unaccounted';
      const row = record.written ? readBack.get(record.source_id) : undefined;
      for (const field of sumFields) {
        const { from, format } = sumSources.get(field)!;
        addSourceValue(sums[field]!, disposition, record.source_id, from ? record.values?.[from] : undefined, format);
        if (record.written) addTargetValue(sums[field]!, row?.[field]);
      }
      if (!record.written || openConflicts.has(record.source_id)) continue; // a conflict is reported as one
      const differing = readBackDifference(writer, record, row, planFields);
      if (differing) {
        mismatches += 1;
        for (const f of differing.fields) byField[f] = (byField[f] ?? 0) + 1;
        if (examples.length < 20) examples.push(differing);
      }
      if (row && fidelityFields.length > 0) {
        // Not Tern's payload: the source value itself, read at full precision, against the target.
        const lost = checkFidelityAs(
          fidelityFields,
          record.values ?? {},
          (field, expected) => writer.canonical({ [field]: expected })[field] ?? null,
          (field) => writer.canonicalReadBack(row, [field])[field] ?? null,
        );
        fidelity.records += 1;
        if (lost.length > 0) {
          fidelity.mismatches += 1;
          for (const f of lost) fidelity.byField[f] = (fidelity.byField[f] ?? 0) + 1;
          if (fidelity.examples.length < 20) fidelity.examples.push({ sourceId: record.source_id, fields: lost });
        }
      }
    }
    after = page[page.length - 1]!.source_id;
    // The page is counted: a retry resumes after it, with the counts so far.
    live.beat({ after, mismatches, examples, byField, sums, fidelity } satisfies ReadBackProgress);
  }
  if (!sample) await addOutsideScope(ctx, m, o, sumSources, sums);
  await meter.record(ctx, { migrationId: m, phase: input.phase, object: o, stage: 'reconcile' }, c.loaded);
  const source = c.staged + c.extract_rejects;
  const { filtered, deduplicated } = c;
  const settled = Object.fromEntries(sumFields.map((f) => [f, settleSum(sums[f]!)]));
  const ok =
    source === c.loaded + c.quarantined + filtered + deduplicated &&
    c.unaccounted === 0 &&
    mismatches === 0 &&
    fidelity.mismatches === 0 &&
    Object.values(settled).every((s) => s.ok);
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
    mismatchesByField: byField,
    sums: settled,
    fidelity: { fields: fidelityFields.map((f) => f.to), ...fidelity },
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
    sums: settled,
    fidelity: report.fidelity,
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
      fidelityMismatches: fidelity.mismatches,
      ok,
    },
  });
  return report;
}

/**
 * How a written record reads back against what was written: undefined when it matches. The fields compared are
 * the ones the write checksummed (including those the target adds itself); a ledger row written before
 * per-field checksums existed is compared over the plan's fields as a whole.
 */
function readBackDifference(
  writer: TargetRecords,
  record: { source_id: string; checksum: string | null; field_checksums: Record<string, string> | null },
  row: TargetRow | undefined,
  planFields: readonly string[],
): MismatchExample | undefined {
  const written = record.field_checksums;
  if (!row) return { sourceId: record.source_id, fields: written ? Object.keys(written).sort() : [], missing: true };
  if (!written) {
    return checksum(writer.canonicalReadBack(row, planFields)) === record.checksum
      ? undefined
      : { sourceId: record.source_id, fields: [] };
  }
  const canonical = writer.canonicalReadBack(row, Object.keys(written));
  if (checksum(canonical) === record.checksum) return undefined;
  const fields = differingFields(written, canonical);
  return { sourceId: record.source_id, fields };
}

/** The staged records a phase answers for (alias `s`): the sample, or everything the source still holds. */
function scopeOf(ctx: ActivityContext, sample: boolean) {
  return sample
    ? ctx.sql`s.sampled and s.disposition is null and s.source_deleted_at is null`
    : ctx.sql`s.source_deleted_at is null`;
}

interface DispositionCounts {
  staged: number;
  extract_rejects: number;
  loaded: number;
  quarantined: number;
  filtered: number;
  deduplicated: number;
  unaccounted: number;
  deleted: number;
}

/** The count equation's terms, from staging. */
async function countDispositions(
  ctx: ActivityContext,
  m: string,
  o: string,
  sample: boolean,
): Promise<DispositionCounts> {
  const inScope = scopeOf(ctx, sample);
  const [counts] = await ctx.sql<DispositionCounts[]>`
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
  return (
    counts ?? {
      staged: 0,
      extract_rejects: 0,
      loaded: 0,
      quarantined: 0,
      filtered: 0,
      deduplicated: 0,
      unaccounted: 0,
      deleted: 0,
    }
  );
}

/**
 * The parts of the money line outside the staged records in scope: source items Tern could not read
 * (extract-stage quarantine, no value to add: counted) and records the source deleted (shown beside the line).
 * Recomputed by every attempt, never resumed.
 */
async function addOutsideScope(
  ctx: ActivityContext,
  m: string,
  o: string,
  sumSources: ReadonlyMap<string, { from: string | undefined; format: AmountFormat }>,
  sums: Record<string, SumAccumulator>,
): Promise<void> {
  if (sumSources.size === 0) return;
  const unreadable = await ctx.sql<{ record_key: string }[]>`
    select record_key from quarantine
    where migration_id = ${m} and object = ${o} and stage = 'extract' and resolved_at is null
    order by record_key`;
  const fields = [...sumSources.values()].map((s) => s.from).filter((f): f is string => !!f);
  let after = '';
  for (;;) {
    const deleted = await ctx.sql<{ source_id: string; values: Record<string, unknown> }[]>`
      select source_id, (select jsonb_object_agg(k, raw -> k) from unnest(${fields}::text[]) k) as values
      from staged_records
      where migration_id = ${m} and object = ${o} and source_deleted_at is not null and source_id > ${after}
      order by source_id limit ${READ_BACK_PAGE}`;
    if (deleted.length === 0) break;
    for (const [field, { from, format }] of sumSources)
      for (const d of deleted) addDeletedValue(sums[field]!, from ? d.values?.[from] : undefined, format);
    after = deleted[deleted.length - 1]!.source_id;
  }
  for (const field of sumSources.keys())
    addUnreadable(
      sums[field]!,
      unreadable.map((u) => u.record_key),
    );
}
