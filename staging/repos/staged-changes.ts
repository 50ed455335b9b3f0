import type postgres from 'postgres';

/** A record of the read that differs from staging: what is staged for the delta load. */
export interface StagedChange {
  sourceId: string;
  position: string;
  record: Record<string, unknown>;
  hash: string;
  updatedAt: Date | null;
  kind: 'new' | 'changed';
}

/** Staged records exist only for a migration staging holds; each writer checks it once per batch, not per record. */
export function migrationGoneError(migrationId: string): Error {
  return new Error(`migration ${migrationId} is not in staging: nothing can be staged for it`);
}

/**
 * Locks the migration row (`for key share`) until the caller's transaction ends, or throws when it is gone: what the
 * foreign key from staged_records did once per record. A deletion of the migration waits for the transaction to
 * commit, and its trigger then deletes what the transaction staged.
 */
export async function holdMigration(tx: postgres.Sql, migrationId: string): Promise<void> {
  const [owner] = await tx`select 1 as held from migrations where id = ${migrationId} for key share`;
  if (!owner) throw migrationGoneError(migrationId);
}

/**
 * Stages a batch of changes in one statement (the rows cross as one json document), each `delta_pending`. The same
 * statement locks the migration row (see holdMigration) and stages nothing when it is gone.
 */
export async function stageChanges(sql: postgres.Sql, m: string, o: string, changes: readonly StagedChange[]) {
  if (changes.length === 0) return;
  const rows = changes.map((r) => ({
    source_id: r.sourceId,
    raw: r.record,
    source_hash: r.hash,
    source_updated_at: r.updatedAt?.toISOString() ?? null,
    source_position: r.position,
    delta_pending: r.kind,
  }));
  const [held] = await sql<{ owners: number }[]>`
    with owner as (
      select id from migrations where id = ${m} for key share
    ), staged as (
      insert into staged_records (migration_id, object, source_id, raw, source_hash, source_updated_at,
                                  source_position, delta_pending)
      select owner.id, ${o}, r.source_id, r.raw, r.source_hash, r.source_updated_at, r.source_position, r.delta_pending
      from owner, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(source_id text, raw jsonb, source_hash text,
        source_updated_at timestamptz, source_position text, delta_pending text)
      on conflict (migration_id, object, source_id) do update set
        raw = excluded.raw, source_hash = excluded.source_hash, source_updated_at = excluded.source_updated_at,
        source_position = excluded.source_position, delta_pending = excluded.delta_pending,
        source_deleted_at = null, predicted = null, predicted_reason = null
    )
    select count(*)::int as owners from owner`;
  if (!held?.owners) throw migrationGoneError(m);
}
