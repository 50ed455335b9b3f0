import type postgres from 'postgres';
import type { TargetRow } from '../../connectors/target';
import type { BeginItem, Ledger, LedgerEntry, LedgerState, RefusedItem, WrittenItem } from '../../protocol/ledger';
import { auditRecords, idsDigest } from '../custody';
import type { StagingDb } from '../db';
import { inTransaction } from '../transaction';
import { assertNotFenced, WritesFencedError } from './fence';

export interface IdMapRow {
  source_id: string;
  state: LedgerState;
  attempt: number;
  target_id: string | null;
  checksum: string | null;
  created_by_tern: boolean | null;
  before_image: TargetRow | null;
}

/** A ledger entry from its `id_map` row (read alone, or beside the staged page it belongs to). */
export function entryOf(r: IdMapRow): LedgerEntry {
  return {
    sourceId: r.source_id,
    state: r.state,
    attempt: r.attempt,
    targetId: r.target_id,
    checksum: r.checksum,
    createdByTern: r.created_by_tern,
    beforeImage: r.before_image,
  };
}

/**
 * One migration object's ledger in staging's `id_map`: the write protocol's only way to it. Each change of a
 * record's outcome (written, refused, removed) commits in one transaction with its audit entry: the count of
 * records and a digest of their ids.
 */
export class IdMapLedger implements Ledger {
  private readonly sql: postgres.Sql;
  private readonly db: StagingDb;

  constructor(
    staging: { db: StagingDb; sql: postgres.Sql },
    private readonly migrationId: string,
    private readonly object: string,
    private readonly phase: string,
  ) {
    this.sql = staging.sql;
    this.db = staging.db;
  }

  /** The audit entry of a change to these records, on the transaction that made it. */
  private audit(tx: StagingDb, action: string, ids: readonly string[], details?: Record<string, unknown>) {
    const { migrationId, object, phase } = this;
    return auditRecords(tx, { migrationId, action, phase, object, ids, details });
  }

  async entries(sourceIds: readonly string[]): Promise<Map<string, LedgerEntry>> {
    if (sourceIds.length === 0) return new Map();
    const rows = await this.sql<IdMapRow[]>`
      select source_id, state, attempt, target_id, checksum, created_by_tern, before_image from id_map
      where migration_id = ${this.migrationId} and object = ${this.object}
        and source_id = any(${sourceIds as string[]}::text[])`;
    return new Map(rows.map((r) => [r.source_id, entryOf(r)]));
  }

  async assertWritable(): Promise<void> {
    await assertNotFenced(this.sql, this.migrationId);
  }

  /**
   * One statement, so one round trip: the fence row is locked (`for share`) by the same statement that marks the
   * records, and the lock is held until it commits. A rollback that raised the fence first makes the statement
   * insert nothing (the row is read at its latest version once locked); one that raises it later waits for this
   * statement to commit and then finds these pending rows to undo.
   */
  async begin(items: readonly BeginItem[]): Promise<Map<string, number>> {
    if (items.length === 0) return new Map();
    const m = this.migrationId;
    const rows = await this.sql<{ source_id: string | null; attempt: number | null; fenced: boolean | null }[]>`
      with fence as (
        select writes_fenced_at is not null as fenced from migrations where id = ${m} for share
      ), marked as (
        insert into id_map (migration_id, object, source_id, state, attempt, created_by_tern, before_image, run_phase)
        select ${m}, ${this.object}, v.source_id, 'pending', 1, v.created_by_tern, v.before_image, ${this.phase}
        from unnest(${items.map((i) => i.sourceId)}::text[], ${items.map((i) => String(i.createdByTern))}::boolean[],
                    ${items.map((i) => (i.beforeImage ? JSON.stringify(i.beforeImage) : null))}::jsonb[])
             as v(source_id, created_by_tern, before_image)
        where exists (select 1 from fence where not fence.fenced)
        on conflict (migration_id, object, source_id) do update set
          state = 'pending', attempt = id_map.attempt + 1, run_phase = excluded.run_phase, updated_at = now(),
          -- The first attempt's view of the target is the truth about what was there before Tern: keep it.
          created_by_tern = coalesce(id_map.created_by_tern, excluded.created_by_tern),
          before_image = case when id_map.created_by_tern is null then excluded.before_image
                              else id_map.before_image end
        returning source_id, attempt
      )
      select source_id, attempt, null::boolean as fenced from marked
      union all
      select null, null, fenced from fence`;
    const fence = rows.find((r) => r.source_id === null);
    if (!fence) throw new Error(`migration ${m} is not in staging: nothing can be written for it`);
    if (fence.fenced) throw new WritesFencedError(m);
    return new Map(rows.filter((r) => r.source_id !== null).map((r) => [r.source_id!, r.attempt!]));
  }

  async written(items: readonly WrittenItem[]): Promise<Set<string>> {
    if (items.length === 0) return new Set();
    return inTransaction(this.db, async (tx, sql) => {
      // Each record's row is found by an index probe on its key (a lateral subquery with `limit 1` stays a loop over
      // the page's records) and updated through its row address: a join with the page was planned from the ledger's
      // statistics, which a load that is filling it does not have, and read the object's whole ledger every page.
      // What each record is marked with crosses as one JSON object by source id, parsed once: in jsonb[] array
      // literals every quote of the per-field checksums was escaped by the client and unescaped by the server.
      const batch = JSON.stringify(
        Object.fromEntries(
          items.map((i) => [
            i.sourceId,
            { target_id: i.targetId, checksum: i.checksum, field_checksums: i.fieldChecksums, attempt: i.attempt },
          ]),
        ),
      );
      const m = this.migrationId;
      const rows = await sql<{ source_id: string }[]>`
        update id_map set state = 'written', target_id = w.batch -> id_map.source_id ->> 'target_id',
                          checksum = w.batch -> id_map.source_id ->> 'checksum',
                          field_checksums = w.batch -> id_map.source_id -> 'field_checksums',
                          last_refusal = null, refused_at = null, updated_at = now()
        from (select ${batch}::jsonb as batch) as w
        where id_map.ctid = any(array(
                select r.ctid from unnest(${items.map((i) => i.sourceId)}::text[]) as v(source_id)
                cross join lateral (
                  select ctid from id_map r where r.migration_id = ${m} and r.object = ${this.object}
                    and r.source_id = v.source_id limit 1
                ) as r))
          and id_map.state = 'pending' and id_map.attempt = (w.batch -> id_map.source_id ->> 'attempt')::int
          and not exists (select 1 from migrations where id = ${m} and writes_fenced_at is not null)
        returning id_map.source_id`;
      const marked = new Set(rows.map((r) => r.source_id));
      const overwritten = items.filter((i) => i.overwrote !== undefined && marked.has(i.sourceId));
      await this.audit(
        tx,
        'records.written',
        [...marked],
        overwritten.length === 0
          ? undefined
          : {
              overwritten: {
                records: overwritten.length,
                digest: idsDigest(overwritten.map((i) => i.sourceId)),
                policy: overwritten[0]!.overwrote,
              },
            },
      );
      return marked;
    });
  }

  async refused(items: readonly RefusedItem[], before: ReadonlyMap<string, LedgerEntry>): Promise<void> {
    if (items.length === 0) return;
    // The state to go back to: the last good one. Written stays written (its target id, checksum, before-image);
    // an earlier attempt's pending stays pending (its write may have landed); anything else never reached the
    // target through this record and is `refused`.
    const back = items.map((i) => {
      const prior = before.get(i.sourceId)?.state;
      return prior === 'written' || prior === 'pending' ? prior : 'refused';
    });
    await inTransaction(this.db, async (tx, sql) => {
      const rows = await sql<{ source_id: string }[]>`
        update id_map set state = v.state, last_refusal = v.message, refused_at = now(), updated_at = now()
        from unnest(${items.map((i) => i.sourceId)}::text[], ${back}::text[], ${items.map((i) => i.message)}::text[],
                    ${items.map((i) => i.attempt)}::int[]) as v(source_id, state, message, attempt)
        where id_map.migration_id = ${this.migrationId} and id_map.object = ${this.object}
          and id_map.source_id = v.source_id and id_map.attempt = v.attempt
        returning id_map.source_id`;
      await this.audit(
        tx,
        'records.refused',
        rows.map((r) => r.source_id),
      );
    });
  }

  async removed(sourceIds: readonly string[], state: 'deleted' | 'set_aside'): Promise<void> {
    if (sourceIds.length === 0) return;
    await inTransaction(this.db, async (tx, sql) => {
      const rows = await sql<{ source_id: string }[]>`
        update id_map set state = ${state}, run_phase = ${this.phase}, updated_at = now()
        where migration_id = ${this.migrationId} and object = ${this.object}
          and source_id = any(${sourceIds as string[]}::text[])
        returning source_id`;
      await this.audit(
        tx,
        `records.${state}`,
        rows.map((r) => r.source_id),
      );
    });
  }
}
