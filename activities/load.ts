import { Context } from '@temporalio/activity';
import { and, asc, eq, gt, inArray, isNotNull, isNull, sql as raw } from 'drizzle-orm';
import type { RecordRef, TargetRow } from '../connectors/target';
import { checksum } from '../plan/checksum';
import { compileObjectMapper } from '../plan/compile';
import { textOf } from '../plan/text';
import { checkpoints, conflicts, idMap, migrations, quarantine, stagedRecords } from '../staging/schema';
import type { GoldColumn, GoldSchema } from '../connectors/postgres/schema';
import { columnRejection } from '../plan/target-check';
import type { ObjectPlan } from '../plan/schema';
import { referenceFields } from './preferences';
import type { ActivityContext } from './deps';
import { RequestMeter } from './meter';

export interface LoadPageInput {
  migrationId: string;
  object: string;
  phase: string;
  /** Source id after which this page starts; null for the first page. */
  after: string | null;
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
  /** Records whose target row was changed since Tern wrote it (handled by the plan's conflict policy). */
  conflicts: number;
  /** The activity's clock at start and end (epoch ms), so the workflow can report rates deterministically. */
  startedAt: number;
  finishedAt: number;
}

interface Candidate {
  sourceId: string;
  raw: Record<string, unknown>;
  payload: Record<string, unknown>;
  checksum: string;
  key: string;
}

/**
 * Maps and loads one page of staged records through the idempotent write protocol:
 * id map `pending` → target write → `written(target id, checksum)`. A record whose earlier attempt has an
 * unknown outcome is looked up in the target by its key before anything is created, so a killed worker
 * can never produce a duplicate.
 */
export async function loadPage(ctx: ActivityContext, input: LoadPageInput): Promise<LoadPageResult> {
  const { plan } = await ctx.migration(input.migrationId);
  const object = ctx.object(plan, input.object);
  const mapper = compileObjectMapper(object, await ctx.customTransforms(plan));
  const meter = new RequestMeter();
  const target = await (await ctx.target(plan, input.migrationId, meter)).records(input.object);
  const heartbeat = () => Context.current().heartbeat({ after: input.after });
  const startedAt = Date.now();

  const rows = await ctx.db
    .select({
      sourceId: stagedRecords.sourceId,
      raw: stagedRecords.raw,
      disposition: stagedRecords.disposition,
      deltaPending: stagedRecords.deltaPending,
    })
    .from(stagedRecords)
    .where(
      and(
        eq(stagedRecords.migrationId, input.migrationId),
        eq(stagedRecords.object, input.object),
        input.after === null ? undefined : gt(stagedRecords.sourceId, input.after),
        ...pageScope(input.phase),
      ),
    )
    .orderBy(asc(stagedRecords.sourceId))
    .limit(object.pageSize);
  const result: LoadPageResult = {
    next: null,
    read: rows.length,
    written: 0,
    unchanged: 0,
    quarantined: 0,
    deleted: 0,
    conflicts: 0,
    startedAt,
    finishedAt: startedAt,
  };
  const finish = async () => {
    if (input.phase === 'delta' && rows.length > 0) {
      await ctx.db
        .update(stagedRecords)
        .set({ deltaPending: null })
        .where(
          and(
            eq(stagedRecords.migrationId, input.migrationId),
            eq(stagedRecords.object, input.object),
            inArray(
              stagedRecords.sourceId,
              rows.map((r) => r.sourceId),
            ),
          ),
        );
    }
    await meter.record(
      ctx,
      { migrationId: input.migrationId, phase: input.phase, object: input.object, stage: 'load' },
      rows.length,
    );
    return { ...result, finishedAt: Date.now() };
  };
  if (rows.length === 0) return finish();
  result.next = rows[rows.length - 1]!.sourceId;
  heartbeat();
  // In a delta, a record the source deleted is deleted from the target; one the rules now set aside waits.
  const page = rows.filter((r) => r.deltaPending !== 'deleted' && r.disposition === null);

  const ids = rows.map((r) => r.sourceId);
  const ledger = new Map(
    (
      await ctx.db
        .select()
        .from(idMap)
        .where(
          and(eq(idMap.migrationId, input.migrationId), eq(idMap.object, input.object), inArray(idMap.sourceId, ids)),
        )
    ).map((r) => [r.sourceId, r]),
  );

  const deletions = rows.filter((r) => r.deltaPending === 'deleted' && ledger.get(r.sourceId)?.state === 'written');
  if (deletions.length > 0) {
    result.deleted = await target.remove(deletions.map((r) => refOf(r.sourceId, ledger.get(r.sourceId))));
    await ctx.db
      .update(idMap)
      .set({ state: 'deleted', runPhase: input.phase, updatedAt: new Date() })
      .where(
        and(
          eq(idMap.migrationId, input.migrationId),
          eq(idMap.object, input.object),
          inArray(
            idMap.sourceId,
            deletions.map((r) => r.sourceId),
          ),
        ),
      );
    heartbeat();
  }

  const resolveReference = await prefetchReferences(
    ctx,
    input.migrationId,
    object,
    page.map((r) => r.raw as Record<string, unknown>),
  );
  const columns = await goldColumns(ctx, input.migrationId, object.target.table);
  const candidates: Candidate[] = [];
  const mappedOk: string[] = [];
  const mappedPage: { sourceId: string; raw: Record<string, unknown>; payload: Record<string, unknown> }[] = [];
  for (const record of page) {
    const raw = record.raw as Record<string, unknown>;
    const mapped = mapper(raw, resolveReference);
    if (!mapped.ok) {
      await quarantineRecord(ctx, input, record.sourceId, 'map', mapped.code, mapped.field, mapped.message, raw);
      result.quarantined += 1;
      continue;
    }
    const refused = columnRejection(mapped.payload, columns);
    if (refused) {
      await quarantineRecord(ctx, input, record.sourceId, 'map', refused.code, refused.field, refused.message, raw);
      result.quarantined += 1;
      continue;
    }
    const key = mapped.payload[object.target.key];
    if (
      key === null ||
      key === undefined ||
      textOf(key).trim() === '' ||
      (target.keyIsSourceId && textOf(key) !== record.sourceId)
    ) {
      await quarantineRecord(
        ctx,
        input,
        record.sourceId,
        'map',
        'key_mismatch',
        object.target.key,
        target.keyIsSourceId
          ? `${object.target.key} must carry the source id ${record.sourceId}, got ${key === null || key === undefined ? 'nothing' : textOf(key)}`
          : `${object.target.key} is the record's external id in the target and must not be empty`,
        raw,
      );
      result.quarantined += 1;
      continue;
    }
    mappedOk.push(record.sourceId);
    mappedPage.push({ sourceId: record.sourceId, raw, payload: mapped.payload });
  }
  // The target's own terms (teammate ids, …) are part of what is written, so they are part of the checksum.
  const prepared = await target.prepare(mappedPage.map((m) => m.payload));
  mappedPage.forEach((m, i) => {
    const payload = prepared[i]!;
    const sum = checksum(target.canonical(payload));
    const known = ledger.get(m.sourceId);
    if (known?.state === 'written' && known.checksum === sum) {
      result.unchanged += 1;
      return;
    }
    candidates.push({
      sourceId: m.sourceId,
      raw: m.raw,
      payload,
      checksum: sum,
      key: textOf(payload[object.target.key]),
    });
  });
  // A record that maps now (after a plan fix) is no longer quarantined for mapping.
  if (mappedOk.length > 0) {
    await ctx.db
      .update(quarantine)
      .set({ resolvedAt: new Date() })
      .where(
        and(
          eq(quarantine.migrationId, input.migrationId),
          eq(quarantine.object, input.object),
          inArray(quarantine.recordKey, mappedOk),
          isNull(quarantine.resolvedAt),
        ),
      );
  }
  if (candidates.length === 0) return finish();

  // What the target holds now for these keys decides create vs. update, and what to keep as before-image.
  const existing = await target.lookup(candidates.map((c) => refOf(c.sourceId, ledger.get(c.sourceId), c.key)));
  // A row Tern wrote that no longer reads back as Tern wrote it was changed in the target: a conflict.
  const conflicted = new Set<string>();
  for (const c of candidates) {
    const known = ledger.get(c.sourceId);
    const row = existing.get(c.sourceId);
    if (known?.state !== 'written' || !known.checksum || !row) continue;
    const targetSum = checksum(target.canonicalReadBack(row, Object.keys(c.payload)));
    if (targetSum === known.checksum) continue;
    const policy = object.delta.conflict;
    const outcome = policy === 'source-wins' ? 'overwritten' : policy === 'target-wins' ? 'kept' : 'skipped';
    await ctx.db
      .insert(conflicts)
      .values({
        migrationId: input.migrationId,
        object: input.object,
        sourceId: c.sourceId,
        phase: input.phase,
        policy,
        outcome,
        ternChecksum: known.checksum,
        targetChecksum: targetSum,
      })
      .onConflictDoUpdate({
        target: [conflicts.migrationId, conflicts.object, conflicts.sourceId, conflicts.phase],
        set: { policy, outcome, targetChecksum: targetSum, detectedAt: new Date(), resolvedAt: null },
      });
    result.conflicts += 1;
    if (outcome !== 'overwritten') conflicted.add(c.sourceId);
  }
  if (conflicted.size > 0) {
    candidates.splice(0, candidates.length, ...candidates.filter((c) => !conflicted.has(c.sourceId)));
    if (candidates.length === 0) return finish();
  }
  await ctx.db
    .insert(idMap)
    .values(
      candidates.map((c) => {
        const present = existing.get(c.sourceId);
        // A resource that came into being through Tern's own writes (a conversation its messages opened) is Tern's.
        const ternMade = present?.__tern_created === 'true';
        return {
          migrationId: input.migrationId,
          object: input.object,
          sourceId: c.sourceId,
          state: 'pending',
          attempt: 1,
          createdByTern: !present || ternMade,
          beforeImage: present && !ternMade ? stripInternal(present) : null,
          runPhase: input.phase,
        };
      }),
    )
    .onConflictDoUpdate({
      target: [idMap.migrationId, idMap.object, idMap.sourceId],
      // The first attempt's view of the target is the truth about what was there before Tern: keep it.
      set: {
        state: 'pending',
        attempt: raw`${idMap.attempt} + 1`,
        runPhase: input.phase,
        updatedAt: new Date(),
        createdByTern: raw`coalesce(${idMap.createdByTern}, excluded.created_by_tern)`,
        beforeImage: raw`case when ${idMap.createdByTern} is null then excluded.before_image else ${idMap.beforeImage} end`,
      },
    });
  heartbeat();

  const { ids: targetIds, rejected } = await target.write(
    candidates.map((c) => ({
      sourceId: c.sourceId,
      payload: c.payload,
      existing: existing.get(c.sourceId),
      targetId: ledger.get(c.sourceId)?.targetId ?? null,
      earlierAttempt: ledger.get(c.sourceId)?.state === 'pending',
    })),
  );
  heartbeat();

  for (const c of candidates) {
    const refusal = rejected.get(c.sourceId);
    if (refusal !== undefined) {
      await quarantineRecord(
        ctx,
        input,
        c.sourceId,
        'load',
        refusal.notSent && refusal.code ? refusal.code : 'target_rejected',
        refusal.field ?? null,
        refusal.notSent ? `not sent: ${refusal.message}` : `the target refused the record: ${refusal.message}`,
        c.raw,
      );
      await ctx.db
        .delete(idMap)
        .where(
          and(eq(idMap.migrationId, input.migrationId), eq(idMap.object, input.object), eq(idMap.sourceId, c.sourceId)),
        );
      result.quarantined += 1;
    }
  }
  const written = candidates.filter((c) => !rejected.has(c.sourceId));
  if (written.length > 0) {
    await ctx.sql`
      update id_map set state = 'written', target_id = v.target_id, checksum = v.checksum, updated_at = now()
      from (select unnest(${written.map((c) => c.sourceId)}::text[]) as source_id,
                   unnest(${written.map((c) => targetIds.get(c.sourceId) ?? null)}::text[]) as target_id,
                   unnest(${written.map((c) => c.checksum)}::text[]) as checksum) v
      where id_map.migration_id = ${input.migrationId} and id_map.object = ${input.object} and id_map.source_id = v.source_id`;
  }
  result.written = written.length;
  await ctx.db
    .insert(checkpoints)
    .values({
      migrationId: input.migrationId,
      object: input.object,
      phase: input.phase,
      stage: 'load',
      cursor: result.next,
    })
    .onConflictDoUpdate({
      target: [checkpoints.migrationId, checkpoints.object, checkpoints.phase, checkpoints.stage],
      set: { cursor: result.next, updatedAt: new Date() },
    });
  return finish();
}

/** Which staged records a phase loads: the sample, everything the rules keep, or a delta's changes. */
function pageScope(phase: string) {
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
      // Filtered and deduplicated records are accounted for by the rules, never loaded.
      return [isNull(stagedRecords.disposition), isNull(stagedRecords.sourceDeletedAt)];
  }
}

/**
 * Resolves references of a page of records in one query per referenced object: a reference finds the
 * target id Tern wrote for that record, following a deduplicated record to its survivor.
 */
async function prefetchReferences(
  ctx: ActivityContext,
  migrationId: string,
  object: ObjectPlan,
  records: Record<string, unknown>[],
): Promise<(object: string, sourceId: string) => { found: boolean; targetId?: string }> {
  const resolved = new Map<string, Map<string, string>>();
  const wanted = new Map<string, Set<string>>();
  for (const ref of referenceFields(object)) {
    const ids = wanted.get(ref.object) ?? new Set<string>();
    for (const r of records) {
      const v = r[ref.field];
      if (v === null || v === undefined || textOf(v).trim() === '') continue;
      ids.add(textOf(v).trim());
      // A list of references (`[split, reference]`: a deal's contacts) resolves element by element.
      for (const part of Array.isArray(v) ? v.map(textOf) : textOf(v).split(/[,;]/))
        if (part.trim() !== '') ids.add(part.trim());
    }
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
    const written =
      wantedIds.length === 0
        ? []
        : await ctx.sql<{ source_id: string; target_id: string | null }[]>`
          select source_id, target_id from id_map
          where migration_id = ${migrationId} and object = ${dep} and source_id = any(${wantedIds}::text[])
            and state = 'written'`;
    const targets = new Map(written.map((w) => [w.source_id, w.target_id ?? w.source_id]));
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

/** The frozen gold schema's columns of a table (empty before preferences ran: the target decides alone). */
async function goldColumns(ctx: ActivityContext, migrationId: string, table: string): Promise<GoldColumn[]> {
  const [row] = await ctx.db
    .select({ gold: migrations.goldSchema })
    .from(migrations)
    .where(eq(migrations.id, migrationId));
  return (row?.gold as GoldSchema | null)?.tables[table]?.columns ?? [];
}

function stripInternal(row: TargetRow): TargetRow {
  const { __tern_id: _id, __tern_created: _created, ...rest } = row;
  return rest;
}

/** The ledger's view of a record, for the target. */
export function refOf(
  sourceId: string,
  known: { targetId: string | null; state: string } | undefined,
  key: string = sourceId,
): RecordRef {
  return { sourceId, key, targetId: known?.targetId ?? null, state: known?.state ?? null };
}

async function quarantineRecord(
  ctx: ActivityContext,
  input: LoadPageInput,
  sourceId: string,
  stage: string,
  reasonCode: string,
  field: string | null,
  message: string,
  raw: Record<string, unknown>,
): Promise<void> {
  await ctx.db
    .insert(quarantine)
    .values({
      migrationId: input.migrationId,
      object: input.object,
      recordKey: sourceId,
      stage,
      reasonCode,
      field,
      message,
      raw,
    })
    .onConflictDoUpdate({
      target: [quarantine.migrationId, quarantine.object, quarantine.recordKey],
      set: { stage, reasonCode, field, message, raw, resolvedAt: null },
    });
}
