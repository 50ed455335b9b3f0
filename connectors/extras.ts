import type postgres from 'postgres';

/**
 * The live rows of a kind whose `key` (or `target_id`) is one of $3, one index probe per value asked (a lateral
 * subquery with `limit 1` stays a loop over the values, whatever the statistics). Written as `key = any(…)` it was
 * planned from statistics staging never takes of this table, which it fills one row at a time during a load: each
 * lookup read every row of the kind (each message's thread, among every thread so far). $1 migration, $2 kind.
 */
const extrasBy = (column: 'key' | 'target_id') => `
  select x.key, x.target_id, x.detail
  from unnest($3::text[]) as k(v)
  cross join lateral (
    select t.key, t.target_id, t.detail from target_extras t
    where t.migration_id = $1 and t.kind = $2 and t.${column} = k.v and t.removed_at is null
    limit 1
  ) x`;
/** By the primary key. */
export const EXTRAS_BY_KEY = extrasBy('key');
/** By `target_extras_target_idx` (the messages' read-back finds a page's threads by their first message). */
export const EXTRAS_BY_TARGET_ID = extrasBy('target_id');

/**
 * What a SaaS target created besides records (tags, threads, options, attributes), in staging's `target_extras`:
 * a rollback removes what Tern created and proves it gone.
 */
export class TargetExtras {
  constructor(
    private readonly sql: postgres.Sql,
    private readonly migrationId: string,
  ) {}

  async get(kind: string, keys: readonly string[]) {
    if (keys.length === 0) return new Map<string, { targetId: string | null; detail: string | null }>();
    const rows = await this.sql.unsafe<{ key: string; target_id: string | null; detail: string | null }[]>(
      EXTRAS_BY_KEY,
      [this.migrationId, kind, [...new Set(keys)]],
    );
    return new Map(rows.map((r) => [r.key, { targetId: r.target_id, detail: r.detail }]));
  }

  /** The same, found by the target id recorded with them: one probe of `target_extras_target_idx` per id. */
  async byTargetId(kind: string, targetIds: readonly string[]) {
    if (targetIds.length === 0) return new Map<string, { key: string; detail: string | null }>();
    const rows = await this.sql.unsafe<{ key: string; target_id: string; detail: string | null }[]>(
      EXTRAS_BY_TARGET_ID,
      [this.migrationId, kind, [...new Set(targetIds)]],
    );
    return new Map(rows.map((r) => [r.target_id, { key: r.key, detail: r.detail }]));
  }

  async put(kind: string, key: string, targetId: string | null, detail: string | null = null, createdByTern = true) {
    await this.putMany(kind, [{ key, targetId, detail }], createdByTern);
  }

  /**
   * Several rows of a kind in one statement (a key given twice: its first row). A live row keeps the target id it
   * has and takes a detail given; a row a rollback removed describes what is gone from the target, so what is put
   * now replaces it whole.
   */
  async putMany(
    kind: string,
    rows: readonly { key: string; targetId: string | null; detail?: string | null }[],
    createdByTern = true,
  ) {
    const first = new Map<string, (typeof rows)[number]>();
    for (const row of rows) if (!first.has(row.key)) first.set(row.key, row);
    if (first.size === 0) return;
    const list = [...first.values()];
    await this.sql`
      insert into target_extras (migration_id, kind, key, target_id, detail, created_by_tern)
      select ${this.migrationId}, ${kind}, r.key, r.target_id, r.detail, ${createdByTern}
      from unnest(
        ${list.map((r) => r.key)}::text[],
        ${list.map((r) => r.targetId)}::text[],
        ${list.map((r) => r.detail ?? null)}::text[]
      ) as r(key, target_id, detail)
      on conflict (migration_id, kind, key) do update
        set target_id = case when target_extras.removed_at is null
                          then coalesce(target_extras.target_id, excluded.target_id) else excluded.target_id end,
            detail = case when target_extras.removed_at is null
                       then coalesce(excluded.detail, target_extras.detail) else excluded.detail end,
            removed_at = null`;
  }

  /** Resources of a kind Tern created: those still there, or (`ever`, to prove a rollback) removed since too. */
  async created(kind: string, options: { ever?: boolean } = {}) {
    return this.sql<{ key: string; target_id: string }[]>`
      select key, target_id from target_extras
      where migration_id = ${this.migrationId} and kind = ${kind} and created_by_tern and target_id is not null
        and (${options.ever ?? false} or removed_at is null)`;
  }

  /** Every row of a kind is gone from the target (a rollback deleted what they point at). */
  async removedAll(kind: string) {
    await this.sql`
      update target_extras set removed_at = now()
      where migration_id = ${this.migrationId} and kind = ${kind} and removed_at is null`;
  }

  async removed(kind: string, key: string) {
    await this.sql`
      update target_extras set removed_at = now()
      where migration_id = ${this.migrationId} and kind = ${kind} and key = ${key}`;
  }
}
