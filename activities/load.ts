import { ApplicationFailure } from '@temporalio/common';
import type postgres from 'postgres';
import { and, asc, eq, gt, isNotNull, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { checksum, fieldChecksums } from '../plan/checksum';
import type { ObjectPlan, Plan } from '../plan/schema';
import { textOf } from '../plan/text';
import { ConfigError } from '../common/errors';
import type { TargetRow } from '../connectors/target';
import type { LedgerEntry, LedgerState } from '../protocol/ledger';
import { mapPage } from '../protocol/page';
import { type Candidate, removeRecords, writeRecords, type ProtocolDeps } from '../protocol/write';
import { recordConflicts } from '../staging/repos/conflicts';
import { WritesFencedError } from '../staging/repos/fence';
import { entryOf, IdMapLedger } from '../staging/repos/id-map';
import { quarantineRecords, resolveQuarantined } from '../staging/repos/quarantine';
import { idMap, quarantine, stagedRecords } from '../staging/schema';
import type { ActivityContext, PinnedPlanInput } from './deps';
import { type Liveness, whileAlive } from './liveness';
import { RequestMeter } from './meter';
import { mapPageOptions } from './map-options';
import { groupCondition, orderedParts, type LoadGroup } from './order-groups';

export { refOf } from '../protocol/write';
export interface LoadPageInput extends PinnedPlanInput {
  migrationId: string;
  object: string;
  phase: string;
  /** Source id after which this page starts (exclusive); null for the first page. */
  after: string | null;
  /** The last source id of this page's range (inclusive); null or absent: no upper bound. */
  until?: string | null;
  /** Only this group's records (a range of records loaded in order by a value they share). */
  group?: LoadGroup;
}

export interface LoadPageResult {
  /** Cursor for the next page, or null when the object is finished. */
  next: string | null;
  read: number;
  written: number;
  /** Already written with the same checksum by an earlier attempt or run: nothing to do. */
  unchanged: number;
  quarantined: number;
  /** Target rows deleted because the source deleted their record (delta). */
  deleted: number;
  /** Records Tern had written that the rules now set aside: taken out of the target (or restored). */
  setAside: number;
  /** Records whose target row was changed since Tern wrote it (handled by the plan's conflict policy). */
  conflicts: number;
  /** The activity's clock at start and end (epoch ms), so the workflow can report rates deterministically. */
  startedAt: number;
  finishedAt: number;
}

/** A row of the page read, as selected: the staged record, its ledger entry (flat), whether it is quarantined. */
type PageRow = [
  sourceId: string,
  raw: Record<string, unknown>,
  disposition: string | null,
  deltaPending: string | null,
  state: LedgerState | null,
  attempt: number | null,
  targetId: string | null,
  checksum: string | null,
  createdByTern: boolean | null,
  beforeImage: TargetRow | null,
  quarantined: boolean | null,
];

/** Ledger states whose record may have a row of Tern's in the target. */
const IN_TARGET = new Set(['written', 'pending']);

/**
 * Loads one page of staged records: read the page with the ledger's view of each record → map it (pure) → the
 * write protocol (`protocol/write.ts`). Records the source deleted, or the rules now set aside, are taken back out
 * of the target; records that cannot be moved are quarantined with their reason. Where the next page starts is the
 * workflow's (each range's cursor travels with the object's progress); a page shorter than the page size ends
 * its range. The page runs under a timer heartbeat and stops
 * before its next write when Temporal cancels it (a rollback) or a rollback raised the write fence.
 */
export async function loadPage(ctx: ActivityContext, input: LoadPageInput): Promise<LoadPageResult> {
  try {
    return await whileAlive({ after: input.after }, (live) => loadPageAlive(ctx, input, live));
  } catch (err) {
    if (err instanceof WritesFencedError)
      throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: true });
    throw err;
  }
}

async function loadPageAlive(ctx: ActivityContext, input: LoadPageInput, live: Liveness): Promise<LoadPageResult> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const scope = { migrationId: input.migrationId, object: input.object };
  const meter = new RequestMeter();
  // The target's requests heartbeat through the page's liveness and stop waiting for budget when it is cancelled.
  const target = await (await ctx.target(plan, input.migrationId, meter, live)).records(input.object);
  const startedAt = Date.now();
  const { rows, known, quarantined } = await readPage(ctx, input, object.pageSize, groupOf(plan, object, input.group));
  const result: LoadPageResult = {
    // A short page is the range's last: nothing is staged after it within the range's bounds.
    next: rows.length < object.pageSize ? null : rows[rows.length - 1]!.sourceId,
    read: rows.length,
    written: 0,
    unchanged: 0,
    quarantined: 0,
    deleted: 0,
    setAside: 0,
    conflicts: 0,
    startedAt,
    finishedAt: startedAt,
  };
  const ledger = new IdMapLedger(ctx, input.migrationId, input.object, input.phase);
  const deps: ProtocolDeps = {
    ledger,
    target,
    conflictPolicy: object.delta.conflict,
    throwIfCancelled: () => live.throwIfCancelled(),
    beat: () => live.beat(),
  };

  // What the target holds of Tern's for records the source deleted, or the rules now set aside, comes out.
  const inTarget = (sourceId: string) => IN_TARGET.has(known.get(sourceId)?.state ?? '');
  const deleted = rows.filter((r) => r.deltaPending === 'deleted' && inTarget(r.sourceId));
  const setAside = rows.filter((r) => r.deltaPending !== 'deleted' && r.disposition !== null && inTarget(r.sourceId));
  const entriesOf = (list: typeof rows): LedgerEntry[] => list.map((r) => known.get(r.sourceId)!);
  result.deleted = (await removeRecords(deps, entriesOf(deleted), 'deleted')).removed;
  const undone = await removeRecords(deps, entriesOf(setAside), 'set_aside');
  result.setAside = undone.removed + undone.restored;

  const page = rows.filter((r) => r.deltaPending !== 'deleted' && r.disposition === null);
  const { mapped, rejected } = mapPage(
    page,
    await mapPageOptions(ctx, {
      migrationId: input.migrationId,
      planHash: input.planHash,
      object,
      records: page.map((r) => r.raw),
      keyIsSourceId: target.keyIsSourceId,
      references: 'written',
      plan,
    }),
  );
  await quarantineRecords(
    ctx.db,
    scope,
    rejected.map((r) => ({
      recordKey: r.sourceId,
      stage: 'map',
      reasonCode: r.code,
      field: r.field,
      message: r.message,
      raw: r.raw,
    })),
    { replace: true },
  );
  result.quarantined += rejected.length;
  // A record that maps now (after a plan fix) is no longer quarantined for mapping.
  await resolveQuarantined(
    ctx.db,
    { ...scope, phase: input.phase },
    mapped.filter((m) => quarantined.has(m.sourceId)).map((m) => m.sourceId),
    'maps now',
  );

  // The target's own terms (teammate ids, …) are part of what is written, so they are part of the checksum.
  const prepared = await target.prepare(mapped.map((m) => m.payload));
  const candidates: Candidate[] = [];
  mapped.forEach((m, i) => {
    const payload = prepared[i]!;
    const canonical = target.canonical(payload);
    const sum = checksum(canonical);
    const before = known.get(m.sourceId);
    if (before?.state === 'written' && before.checksum === sum) {
      result.unchanged += 1;
      return;
    }
    candidates.push({
      sourceId: m.sourceId,
      payload,
      checksum: sum,
      fieldChecksums: fieldChecksums(canonical),
      key: textOf(payload[object.target.key]),
    });
  });
  live.beat();

  const written = await writeRecords(deps, candidates, known);
  await recordConflicts(ctx.db, { ...scope, phase: input.phase }, written.conflicts);
  result.conflicts = written.conflicts.length;
  const rawOf = new Map(page.map((r) => [r.sourceId, r.raw]));
  await quarantineRecords(
    ctx.db,
    scope,
    [...written.refused].map(([sourceId, refusal]) => ({
      recordKey: sourceId,
      stage: 'load',
      reasonCode: refusal.notSent && refusal.code ? refusal.code : 'target_rejected',
      field: refusal.field ?? null,
      message: refusal.notSent ? `not sent: ${refusal.message}` : `the target refused the record: ${refusal.message}`,
      raw: rawOf.get(sourceId),
    })),
    { replace: true },
  );
  result.quarantined += written.refused.size;
  result.written = written.written.length;

  // The page's ids cross as one array parameter: a list of thousands of parameters costs more to parse and plan
  // than the update itself.
  if (input.phase === 'delta' && rows.length > 0)
    await ctx.sql`
      update staged_records set delta_pending = null
      where migration_id = ${input.migrationId} and object = ${input.object}
        and source_id = any(${rows.map((r) => r.sourceId)}::text[])`;
  await meter.record(ctx, { ...scope, phase: input.phase, stage: 'load' }, rows.length);
  return { ...result, finishedAt: Date.now() };
}

/** A group's condition on the page read; throws when the plan no longer splits the object into groups. */
function groupOf(plan: Plan, object: ObjectPlan, group: LoadGroup | undefined): SQL | undefined {
  if (!group) return undefined;
  const parts = orderedParts(plan, object);
  if (!parts)
    throw new ConfigError(
      `object "${object.name}": its load was split into groups its plan no longer makes (see valueParts)`,
      'run the phase again: its ranges are split anew from the plan it pins',
    );
  return groupCondition(parts, group);
}

/**
 * One page of staged records in source-id order (what the phase loads, and what it must take back out), each with
 * its ledger entry and whether it has an open quarantine entry: one statement. Both are found by an index probe per
 * staged row on their (migration, object, record) key: a lateral subquery with `limit 1` is never turned into a
 * join, and a merge or hash join would read the object's whole ledger (or quarantine) for every page.
 */
async function readPage(ctx: ActivityContext, input: LoadPageInput, pageSize: number, group: SQL | undefined) {
  const ledger = ctx.db
    .select({
      state: idMap.state,
      attempt: idMap.attempt,
      targetId: idMap.targetId,
      checksum: idMap.checksum,
      createdByTern: idMap.createdByTern,
      beforeImage: idMap.beforeImage,
    })
    .from(idMap)
    .where(
      and(
        eq(idMap.migrationId, stagedRecords.migrationId),
        eq(idMap.object, stagedRecords.object),
        eq(idMap.sourceId, stagedRecords.sourceId),
      ),
    )
    .limit(1)
    .as('ledger');
  // Whether open is read, not filtered on: a filter on `resolved_at is null` lets the planner pick the partial
  // index of open entries, which holds every open entry of the object, for each staged row.
  const entry = ctx.db
    .select({ open: sql<boolean>`${quarantine.resolvedAt} is null`.as('open') })
    .from(quarantine)
    .where(
      and(
        eq(quarantine.migrationId, stagedRecords.migrationId),
        eq(quarantine.object, stagedRecords.object),
        eq(quarantine.recordKey, stagedRecords.sourceId),
      ),
    )
    .limit(1)
    .as('quarantine_entry');
  const query = ctx.db
    .select({
      sourceId: stagedRecords.sourceId,
      raw: stagedRecords.raw,
      disposition: stagedRecords.disposition,
      deltaPending: stagedRecords.deltaPending,
      // Flat (a ledger row's state is never null: null means Tern never tried to write the record).
      state: ledger.state,
      attempt: ledger.attempt,
      targetId: ledger.targetId,
      checksum: ledger.checksum,
      createdByTern: ledger.createdByTern,
      beforeImage: ledger.beforeImage,
      quarantined: entry.open,
    })
    .from(stagedRecords)
    .leftJoinLateral(ledger, sql`true`)
    .leftJoinLateral(entry, sql`true`)
    .where(
      and(
        eq(stagedRecords.migrationId, input.migrationId),
        eq(stagedRecords.object, input.object),
        input.after === null ? undefined : gt(stagedRecords.sourceId, input.after),
        input.until == null ? undefined : lte(stagedRecords.sourceId, input.until),
        group,
        ...pageScope(input.phase),
      ),
    )
    .orderBy(asc(stagedRecords.sourceId))
    .limit(pageSize)
    .toSQL();
  // Run by postgres.js as a prepared statement, its rows as value lists in the order selected above (the JSON
  // columns parsed once by the driver): no column-by-column mapping of 5,000 rows, and one round trip, not two.
  const staged = (await ctx.sql
    .unsafe(query.sql, query.params as postgres.ParameterOrJSON<never>[], { prepare: true })
    .values()) as unknown as PageRow[];
  const known = new Map<string, LedgerEntry>();
  const quarantined = new Set<string>();
  const rows = staged.map((r) => {
    const [sourceId, raw, disposition, deltaPending, state, attempt, targetId, sum, createdByTern, beforeImage, open] =
      r;
    if (state !== null)
      known.set(
        sourceId,
        entryOf({
          source_id: sourceId,
          state,
          attempt: attempt!,
          target_id: targetId,
          checksum: sum,
          created_by_tern: createdByTern,
          before_image: beforeImage,
        }),
      );
    if (open === true) quarantined.add(sourceId);
    return { sourceId, disposition, deltaPending, raw };
  });
  return { rows, known, quarantined };
}

/** Which staged records a phase pages through: the sample, everything the source holds, or a delta's changes. */
export function pageScope(phase: string) {
  switch (phase) {
    case 'sample':
      return [
        eq(stagedRecords.sampled, true),
        isNull(stagedRecords.disposition),
        isNull(stagedRecords.sourceDeletedAt),
      ];
    case 'delta':
      return [isNotNull(stagedRecords.deltaPending)];
    default:
      // Filtered and deduplicated records are never loaded; they are read so that one Tern wrote before the rules
      // set it aside (a plan change, a sample) comes back out of the target.
      return [isNull(stagedRecords.sourceDeletedAt)];
  }
}
