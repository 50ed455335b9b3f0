import type postgres from 'postgres';
import { canonicalJson } from '../../../plan/checksum';
import { attioWorkspaceState, recordsOf } from '../../../sandboxes/attio-workspace';
import type { RunningSandbox } from '../../../sandboxes/core/server';

/**
 * What the targets hold, read from the targets themselves (the PostgreSQL table, the Attio sandbox's store),
 * never from Tern's ledger.
 */

/** One row per record: its key, and the value of the column a delta changes. */
export interface TargetRow {
  key: string | null;
  marker: string | null;
}

/** Every row of the target by its own identity (table id, Attio record id), as comparable text. */
export type Snapshot = Map<string, string>;

export interface Tally {
  /** Expected keys the target does not hold. */
  lost: string[];
  /** Extra copies of expected keys (a key held 3 times counts 2). */
  duplicated: number;
  duplicatedKeys: string[];
  /** Rows whose key is neither expected nor pre-existing. */
  unexpected: number;
  /** Changed records whose target row does not carry the change. */
  stale: number;
}

/** Compares what a target holds with what it must hold. */
export function tally(
  rows: readonly TargetRow[],
  expected: ReadonlySet<string>,
  preExisting: ReadonlySet<string>,
  changed: ReadonlyMap<string, string> = new Map(),
): Tally {
  const byKey = new Map<string, TargetRow[]>();
  let unexpected = 0;
  for (const row of rows) {
    if (row.key === null || (!expected.has(row.key) && !preExisting.has(row.key))) {
      unexpected += 1;
      continue;
    }
    const list = byKey.get(row.key) ?? [];
    list.push(row);
    byKey.set(row.key, list);
  }
  const lost = [...expected].filter((k) => !byKey.has(k));
  let duplicated = 0;
  const duplicatedKeys: string[] = [];
  for (const [key, list] of byKey)
    if (list.length > 1) {
      duplicated += list.length - 1;
      duplicatedKeys.push(key);
    }
  let stale = 0;
  for (const [key, marker] of changed) {
    const list = byKey.get(key);
    if (list && !list.some((r) => r.marker === marker)) stale += 1;
  }
  return { lost, duplicated, duplicatedKeys, unexpected, stale };
}

/** After a rollback: rows that were not there before, and rows of before that are not back exactly. */
export function compareWithSnapshot(before: Snapshot, now: Snapshot): { left: number; restoredMismatches: number } {
  let left = 0;
  for (const id of now.keys()) if (!before.has(id)) left += 1;
  let restoredMismatches = 0;
  for (const [id, row] of before) if (now.get(id) !== row) restoredMismatches += 1;
  return { left, restoredMismatches };
}

const table = (schema: string, name: string) => `"${schema}"."${name}"`;

export async function postgresRows(
  sql: postgres.Sql,
  schema: string,
  name: string,
  key: string,
  marker: string,
): Promise<TargetRow[]> {
  return sql.unsafe<TargetRow[]>(
    `select "${key}"::text as key, "${marker}"::text as marker from ${table(schema, name)}`,
  );
}

export async function postgresSnapshot(sql: postgres.Sql, schema: string, name: string): Promise<Snapshot> {
  const rows = await sql.unsafe<{ id: string; row: string }[]>(
    `select id::text as id, to_jsonb(t)::text as row from ${table(schema, name)} t`,
  );
  return new Map(rows.map((r) => [r.id, r.row]));
}

export async function postgresCount(sql: postgres.Sql, schema: string, name: string): Promise<number> {
  const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table(schema, name)}`);
  return row?.n ?? 0;
}

/** The records of one Attio object: key attribute and marker attribute (text values). */
export function attioRows(attio: RunningSandbox, object: string, key: string, marker: string): TargetRow[] {
  const text = (v: Record<string, unknown>[] | undefined): string | null => {
    const value = v?.[0]?.value;
    return typeof value === 'string' ? value : value === undefined || value === null ? null : JSON.stringify(value);
  };
  return [...recordsOf(attio.store, object).values()].map((r) => ({
    key: text(r.values[key]),
    marker: text(r.values[marker]),
  }));
}

export const attioCount = (attio: RunningSandbox, object: string): number => recordsOf(attio.store, object).size;

/** Every record of the object as a client sees it (live attributes' values), by record id. */
export function attioSnapshot(attio: RunningSandbox, object: string): Snapshot {
  const state = attioWorkspaceState(attio.store).objects[object];
  return new Map((state?.records ?? []).map((r) => [r.record_id, canonicalJson(r.values)]));
}

/** Changes whenever any row of the table changes. */
export async function postgresFingerprint(sql: postgres.Sql, schema: string, name: string): Promise<string> {
  const [row] = await sql.unsafe<{ f: string }[]>(
    `select count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) as f from ${table(schema, name)} t`,
  );
  return row?.f ?? '';
}

/** Bumped by every write to the object's records. */
export const attioVersion = (attio: RunningSandbox, object: string): number => recordsOf(attio.store, object).version;
