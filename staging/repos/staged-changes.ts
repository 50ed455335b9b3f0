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

/** Stages a batch of changes in one statement (the rows cross as one json document), each `delta_pending`. */
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
  await sql`
    insert into staged_records (migration_id, object, source_id, raw, source_hash, source_updated_at,
                                source_position, delta_pending)
    select ${m}, ${o}, r.source_id, r.raw, r.source_hash, r.source_updated_at, r.source_position, r.delta_pending
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(source_id text, raw jsonb, source_hash text,
      source_updated_at timestamptz, source_position text, delta_pending text)
    on conflict (migration_id, object, source_id) do update set
      raw = excluded.raw, source_hash = excluded.source_hash, source_updated_at = excluded.source_updated_at,
      source_position = excluded.source_position, delta_pending = excluded.delta_pending,
      source_deleted_at = null, predicted = null, predicted_reason = null`;
}
