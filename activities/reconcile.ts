import { refOf } from './load';
import type { TargetRecords, TargetRow } from '../connectors/target';
import { checksum, differingFields } from '../plan/checksum';
import { addSourceValue, addTargetValue, amountFormatOf, settleSum, type Disposition } from '../plan/sum-equation';
import {
  addOutsideScope,
  countDispositions,
  rawValues,
  READ_BACK_PAGE,
  readBackScope,
  scopeOf,
  type ReadBackScope,
} from './reconcile-counts';
import {
  resumedReadBack,
  type MismatchExample,
  type ReadBackCoverage,
  type ObjectReconciliation,
  type ReadBackProgress,
  type ReconcileInput,
} from './reconciliation';
import { appendAudit } from '../staging/audit';
import { analyzeStaging, worthAnalyzing } from '../staging/analyze';
import { reconciliations } from '../staging/schema';
import { checkFidelityAs, fidelityPlan } from '../plan/fidelity';
import { columnKindOf } from '../plan/target-values';
import { goldColumns } from './map-options';
import { reconcileMergeSources } from './reconcile-merge';
import type { ActivityContext } from './deps';
import { whileAlive, type Liveness } from './liveness';
import { RequestMeter } from './meter';

/**
 * Reconciles one object: counts from staging, and the written records read back from the target and compared
 * with the checksum Tern stored when it wrote it — every one of them, or for a delta the ones it touched (its
 * deletions verified absent from the target); the report's `readBack` says which.
 */
export async function reconcileObject(ctx: ActivityContext, input: ReconcileInput): Promise<ObjectReconciliation> {
  // Reading an object back at a vendor's rate can take longer than one attempt may run: every page heartbeats
  // its cursor and running counts, and a retry carries on from there instead of starting over.
  const coverage = await readBackScope(ctx, input.migrationId, input.object, input.phase, input.readBack);
  // Loads bulk-wrote these tables; a delta that touched a few records leaves the statistics true. A SaaS load also
  // fills `target_extras` (a Front thread a ticket), which the read-back looks up by target id: planned without
  // fresh statistics, or from statistics taken before this migration wrote its rows, each lookup could walk the
  // migration's rows by the primary key instead of probing `target_extras_target_idx`.
  if (await writtenInBulk(ctx, input, coverage.since))
    await analyzeStaging(ctx.sql, ['staged_records', 'id_map', 'quarantine', 'conflicts', 'target_extras']);
  return whileAlive(undefined, (live) => reconcileAlive(ctx, input, coverage, live));
}

/** Whether the ledger rows written since `since` (all of them without one) warrant fresh statistics. */
async function writtenInBulk(ctx: ActivityContext, input: ReconcileInput, since: string | null): Promise<boolean> {
  if (since === null) return true;
  const [row] = await ctx.sql<{ total: number; touched: number }[]>`
    select count(*)::int as total, count(*) filter (where updated_at > ${since}::timestamptz)::int as touched
    from id_map where migration_id = ${input.migrationId} and object = ${input.object}`;
  return worthAnalyzing(row?.touched ?? 0, row?.total ?? 0);
}

/** A staged record as the read-back pages it: its term of the equation, what was written, the raw values compared. */
interface StagedRecord {
  source_id: string;
  disposition: string | null;
  written: boolean;
  /** An open quarantine entry holds the record; asked only when it is not written (false otherwise). */
  quarantined: boolean;
  checksum: string | null;
  field_checksums: Record<string, string> | null;
  target_id: string | null;
  values: Record<string, unknown> | null;
}

/**
 * Staged records after `after`, page by page in source id order, each page with its written records read back
 * from the target. The next page is read from staging as soon as this one's ids are known, and from the target
 * while the caller compares this one: the queries run beside the comparison instead of between pages. Pages are
 * handed out one at a time and in order, so each record is compared once.
 */
export async function* readAhead<R extends { source_id: string }>(
  after: string,
  staged: (after: string) => PromiseLike<readonly R[]>,
  target: (page: readonly R[]) => Promise<Map<string, TargetRow>>,
): AsyncGenerator<{ page: readonly R[]; readBack: Map<string, TargetRow> }> {
  const read = (from: string) => {
    const page = Promise.resolve(staged(from));
    const rows = page.then(async (p) => ({ page: p, readBack: await target(p) }));
    // Awaited when its turn comes; a page read ahead of a caller that stopped (cancelled, failed) is dropped.
    rows.catch(() => undefined);
    return { page, rows };
  };
  let current = read(after);
  for (;;) {
    const page = await current.page;
    if (page.length === 0) return;
    const next = read(page[page.length - 1]!.source_id);
    yield await current.rows;
    current = next;
  }
}

/** Touched records' ids listed from the ledger per pass over the object's ledger rows. */
export const TOUCHED_WINDOW = 50_000;

/**
 * The staged pages of a `touched` read-back: the ids the delta touched are listed from the ledger, a window of
 * them per pass over the object's ledger rows, and each page reads just those from staging, instead of walking
 * every staged record in id order to find them. A page whose ids all left the scope (deleted since) is skipped,
 * never taken for the end. The pages are asked for in order, each after the one before (as `readAhead` does):
 * `after` is where the first listing starts (a resumed read-back's cursor), then the last page's last id.
 */
export function touchedPages<R extends { source_id: string }>(
  listIds: (after: string, limit: number) => PromiseLike<readonly { source_id: string }[]>,
  readIds: (ids: string[]) => PromiseLike<readonly R[]>,
  sizes: { window: number; page: number } = { window: TOUCHED_WINDOW, page: READ_BACK_PAGE },
): (after: string) => Promise<readonly R[]> {
  let queue: string[] = [];
  let listedTo: string | null = null;
  let complete = false;
  let last: string | null = null;
  return async (after) => {
    if (last !== null && after !== last) throw new Error(`touched pages asked for after ${after}, not after ${last}`);
    for (;;) {
      if (queue.length === 0) {
        if (complete) return [];
        queue = (await listIds(listedTo ?? after, sizes.window)).map((r) => r.source_id);
        complete = queue.length < sizes.window;
        if (queue.length === 0) return [];
        listedTo = queue[queue.length - 1]!;
      }
      const page = await readIds(queue.splice(0, sizes.page));
      if (page.length > 0) {
        last = page[page.length - 1]!.source_id;
        return page;
      }
    }
  };
}

async function reconcileAlive(
  ctx: ActivityContext,
  input: ReconcileInput,
  coverage: ReadBackScope,
  live: Liveness,
): Promise<ObjectReconciliation> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const meter = new RequestMeter();
  const writer = await (await ctx.target(plan, input.migrationId, meter, live)).records(input.object);
  const m = input.migrationId;
  const o = input.object;

  // The sample phase answers for the sample; every other phase for everything the source still holds.
  const sample = input.phase === 'sample';
  const inScope = scopeOf(ctx, sample);
  // The count equation is one pass over the object in staging: it runs while the records are read back and compared
  // (on the worker's thread), and is awaited after them. Awaited later, so a failure here must not go unhandled
  // while the read-back is still running; it surfaces at the await.
  const counting = countDispositions(ctx, m, o, sample);
  counting.catch(() => undefined);
  const touched = coverage.since ? ctx.sql`and i.updated_at > ${coverage.since}::timestamptz` : ctx.sql``;
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
  let records = progress.records ?? 0;

  // One pass over the source's records in scope, in source id order: each lands in exactly one term of the
  // equation (the partition the counts use); the loaded ones are read back from the target, page by page. The
  // next page is read from staging and the target while this one is compared (see `readAhead`); pages are
  // still compared and counted one after the other, in order, so a retry resumes after the last one counted.
  const stagedColumns = ctx.sql`
      s.source_id, s.disposition, coalesce(i.state = 'written', false) as written,
      -- Asked only of a record not written (a written one is loaded, whatever else holds): one probe fewer per record.
      case when i.state = 'written' then false
           else exists (select 1 from quarantine q where q.migration_id = s.migration_id and q.object = s.object
                        and q.record_key = s.source_id and q.resolved_at is null) end as quarantined,
      i.checksum, i.field_checksums, i.target_id,
      ${rawValues(ctx, ctx.sql`s.raw`, rawFields)} as values`;
  const stagedPage = coverage.since
    ? touchedPages(
        (from, limit) => ctx.sql<{ source_id: string }[]>`
          select source_id from id_map
          where migration_id = ${m} and object = ${o} and updated_at > ${coverage.since}::timestamptz
            and source_id > ${from}
          order by source_id limit ${limit}`,
        (ids) => ctx.sql<StagedRecord[]>`
          select ${stagedColumns}
          from staged_records s
          join id_map i on i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id
          where s.migration_id = ${m} and s.object = ${o} and ${inScope} and s.source_id = any(${ids}::text[]) ${touched}
          order by s.source_id`,
      )
    : (from: string) => ctx.sql<StagedRecord[]>`
          select ${stagedColumns}
          from staged_records s
          left join id_map i on i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id
          where s.migration_id = ${m} and s.object = ${o} and ${inScope} and s.source_id > ${from}
          order by s.source_id
          limit ${READ_BACK_PAGE}`;
  const readTarget = (page: readonly StagedRecord[]): Promise<Map<string, TargetRow>> => {
    const loaded = page.filter((r) => r.written);
    if (loaded.length === 0) return Promise.resolve(new Map<string, TargetRow>());
    // Only the fields that were written are read back (the checksums name them; older ledger rows: the plan's).
    const readFields = loaded.flatMap((r) => (r.field_checksums ? Object.keys(r.field_checksums) : planFields));
    return writer.lookup(
      loaded.map((r) => refOf(r.source_id, { targetId: r.target_id, state: 'written' })),
      [...new Set([...readFields, ...sumFields])],
    );
  };
  for await (const { page, readBack } of readAhead(after, stagedPage, readTarget)) {
    live.throwIfCancelled();
    records += page.filter((r) => r.written).length;
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
      // The read-back in the target's canonical form, over the fields the write checksummed (older ledger rows:
      // the plan's); the fidelity check below compares the same values and takes them from here.
      const canonical = row
        ? writer.canonicalReadBack(row, record.field_checksums ? Object.keys(record.field_checksums) : planFields)
        : undefined;
      const differing = readBackDifference(record, canonical);
      if (differing) {
        mismatches += 1;
        for (const f of differing.fields) byField[f] = (byField[f] ?? 0) + 1;
        if (examples.length < 20) examples.push(differing);
      }
      if (row && canonical && fidelityFields.length > 0) {
        // Not Tern's payload: the source value itself, read at full precision, against the target.
        const lost = checkFidelityAs(
          fidelityFields,
          record.values ?? {},
          (readings) => writer.canonical(readings),
          (field) => (field in canonical ? canonical[field] : writer.canonicalReadBack(row, [field])[field]) ?? null,
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
    live.beat({ after, records, mismatches, examples, byField, sums, fidelity } satisfies ReadBackProgress);
  }
  // The delta's deletions are looked up in the target while the count equation and the values outside the scope
  // are still being read (none of the three depends on another).
  const deleting =
    input.phase === 'delta'
      ? verifyDeleted(ctx, writer, m, o, coverage.since, openConflicts, live)
      : Promise.resolve({ checked: 0, present: 0, examples: [] });
  deleting.catch(() => undefined); // awaited below
  if (!sample) await addOutsideScope(ctx, m, o, sumSources, sums);
  const c = await counting;
  const deleted = await deleting;
  const readBack: ReadBackCoverage = {
    scope: coverage.scope,
    reason: coverage.reason,
    ...(coverage.since ? { since: coverage.since } : {}),
    records,
    deletedChecked: deleted.checked,
    deletedPresent: deleted.present,
    deletedExamples: deleted.examples,
  };
  await meter.record(ctx, { migrationId: m, phase: input.phase, object: o, stage: 'reconcile' }, c.loaded);
  const source = c.staged + c.extract_rejects;
  const { filtered, deduplicated } = c;
  const settled = Object.fromEntries(sumFields.map((f) => [f, settleSum(sums[f]!)]));
  // A merged object answers for each of its sources too (the sample answers for its records only).
  const merge = object.merge && !sample ? await reconcileMergeSources(ctx, m, o, object.merge, object.sums) : undefined;
  const ok =
    (merge?.ok ?? true) &&
    source === c.loaded + c.quarantined + filtered + deduplicated &&
    c.unaccounted === 0 &&
    mismatches === 0 &&
    fidelity.mismatches === 0 &&
    deleted.present === 0 &&
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
    readBack,
    ...(merge ? { merge } : {}),
    ok,
  };
  // The proof and its audit entry commit together; the proof keeps the chain's head (that entry), so a chain
  // later cut below it fails `tern audit verify`.
  report.auditHead = await ctx.db.transaction(async (tx) => {
    const head = await appendAudit(tx, {
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
        readBack,
        ok,
      },
    });
    await tx.insert(reconciliations).values({
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
      merge: merge ?? null,
      ok,
      auditHead: head,
    });
    return head;
  });
  return report;
}

/**
 * Records the source deleted, looked up in the target: a delta removes the row Tern wrote, so none may be there.
 * Only records Tern's ledger holds are looked up (a record never written owns no target row); an open conflict
 * (the target changed the row, kept by policy) is reported as one instead. `since`: only those deleted, or whose
 * ledger row changed, after it.
 */
async function verifyDeleted(
  ctx: ActivityContext,
  writer: TargetRecords,
  m: string,
  o: string,
  since: string | null,
  openConflicts: ReadonlySet<string>,
  live: Liveness,
): Promise<{ checked: number; present: number; examples: string[] }> {
  const out = { checked: 0, present: 0, examples: [] as string[] };
  const recent = since
    ? ctx.sql`and (i.updated_at > ${since}::timestamptz or s.source_deleted_at > ${since}::timestamptz)`
    : ctx.sql``;
  let after = '';
  for (;;) {
    const page = await ctx.sql<{ source_id: string; target_id: string | null; state: string }[]>`
      select s.source_id, i.target_id, i.state from staged_records s
      join id_map i on i.migration_id = s.migration_id and i.object = s.object and i.source_id = s.source_id
      where s.migration_id = ${m} and s.object = ${o} and s.source_deleted_at is not null
        and i.state in ('deleted', 'written', 'pending') and s.source_id > ${after} ${recent}
      order by s.source_id limit ${READ_BACK_PAGE}`;
    if (page.length === 0) break;
    live.throwIfCancelled();
    const checked = page.filter((r) => !openConflicts.has(r.source_id));
    const found = await writer.lookup(
      checked.map((r) => refOf(r.source_id, { targetId: r.target_id, state: r.state })),
    );
    out.checked += checked.length;
    for (const r of checked)
      if (found.has(r.source_id)) {
        out.present += 1;
        if (out.examples.length < 20) out.examples.push(r.source_id);
      }
    after = page[page.length - 1]!.source_id;
  }
  return out;
}

/**
 * How a written record reads back against what was written: undefined when it matches. `canonical`: the
 * read-back row in the target's canonical form over the fields the write checksummed (including those the target
 * adds itself), or over the plan's fields for a ledger row written before per-field checksums existed (then it is
 * compared as a whole); absent when the record is gone from the target.
 */
function readBackDifference(
  record: { source_id: string; checksum: string | null; field_checksums: Record<string, string> | null },
  canonical: TargetRow | undefined,
): MismatchExample | undefined {
  const written = record.field_checksums;
  if (!canonical)
    return { sourceId: record.source_id, fields: written ? Object.keys(written).sort() : [], missing: true };
  if (checksum(canonical) === record.checksum) return undefined;
  return { sourceId: record.source_id, fields: written ? differingFields(written, canonical) : [] };
}
