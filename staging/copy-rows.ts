import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import { TernError } from '../common/errors';

/**
 * Bulk writes into staging through `COPY … FROM STDIN` (text format), the fastest way rows reach PostgreSQL: no
 * statement text or parameters to build per row, one round trip per batch.
 *
 * COPY goes into a scratch table (temporary, text columns, no constraints) whose rows a following INSERT … SELECT
 * moves on with the checks and conflict handling it needs, or (copyRows) straight into a table whose refusal the
 * caller is ready for (a savepoint to roll back to, and the scratch table as the way round). Text that PostgreSQL
 * cannot store (a NUL character) is refused here, before anything is sent. postgres.js (3.4) never settles a COPY
 * the server refuses after its last row (the write waits forever and the transaction stays open: porsager/postgres
 * issue 1173); the refusal is caught where postgres.js rejects the query and ends the write with it, and the copy
 * stream is closed so the connection takes the next statement.
 *
 * The embedded database (PGlite's wire server) has no COPY FROM STDIN; there the scratch table is filled by one
 * INSERT of arrays instead, with the same rows and the same result.
 */

/** One row of text values (null: SQL null), in the scratch table's column order. */
export type TextRow = readonly (string | null)[];

/** A value PostgreSQL text cannot hold (a NUL character). */
export class UnstorableTextError extends TernError {}

/** A value as a field of COPY's text format: backslash, newline, carriage return and tab escaped; null as `\N`. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (value.includes('\u0000'))
    throw new UnstorableTextError(
      'a value holds a NUL character, which PostgreSQL text cannot store',
      'remove the NUL character from the source',
    );
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c]!) : value;
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIALS = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Rows as COPY text: fields separated by tabs, one line per row. */
export function copyLines(rows: readonly TextRow[]): string {
  let out = '';
  for (const row of rows) out += row.map(copyField).join('\t') + '\n';
  return out;
}

/**
 * A temporary table of text columns for this connection, emptied at every commit. `if not exists`: created once
 * per connection (a table made and dropped per batch would churn the catalogue).
 */
export async function ensureScratchTable(tx: postgres.Sql, table: string, columns: readonly string[]): Promise<void> {
  await tx.unsafe(
    `create temporary table if not exists ${table} (${columns.map((c) => `${c} text`).join(', ')}) on commit delete rows`,
  );
}

/** How rows reach a scratch table on a server: COPY, or on the embedded database one INSERT of arrays. */
export type ScratchTransport = 'copy' | 'insert';

/**
 * Writes text rows into a scratch table (see ensureScratchTable) inside the caller's transaction `tx`, by the
 * transport `scratchTransport` found for its server.
 */
export async function copyIntoScratch(
  tx: postgres.Sql,
  transport: ScratchTransport,
  table: string,
  columns: readonly string[],
  rows: readonly TextRow[],
): Promise<void> {
  if (rows.length === 0) return;
  if (transport === 'insert') {
    for (const row of rows) for (const v of row) if (v !== null) copyField(v);
    const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
    await tx.unsafe(
      `insert into ${table} (${columns.join(', ')}) select * from unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')})`,
      arrays as never[],
    );
    return;
  }
  await copyRows(tx, table, columns, rows);
}

/**
 * `COPY table (columns) FROM STDIN` of text rows inside the caller's transaction `tx`, in their order (column
 * defaults are evaluated row by row in that order). Rejects with PostgreSQL's error when it refuses a row (a
 * constraint, a value its column's type cannot read), the connection left ready for the next statement: the
 * transaction, or a savepoint taken before, must then be rolled back.
 */
export async function copyRows(
  tx: postgres.Sql,
  table: string,
  columns: readonly string[],
  rows: readonly TextRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const text = copyLines(rows);
  const query = tx.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`);
  const refused = refusalOf(query);
  const writable = await Promise.race([query.writable(), refused]);
  const written = pipeline(Readable.from([text]), writable);
  written.catch(() => undefined);
  try {
    await Promise.race([written, refused]);
  } catch (err) {
    // postgres.js refuses every later statement on the connection while its copy stream is open: should the
    // refusal come before the stream was ended, destroying it sends CopyFail, which the server, already out of the
    // COPY, ignores.
    if (!writable.destroyed) writable.destroy();
    throw err;
  }
}

/**
 * Rejects when PostgreSQL refuses a COPY: postgres.js rejects the query (already resolved with its stream, so
 * nothing else hears it) instead of failing the stream. Never settles otherwise.
 */
function refusalOf(query: object): Promise<never> {
  const target = query as { reject?: (err: unknown) => void };
  const original = target.reject;
  const refused = new Promise<never>((_, reject) => {
    if (typeof original !== 'function') return;
    target.reject = (err: unknown) => {
      reject(err instanceof Error ? err : new Error(String(err)));
      original.call(query, err);
    };
  });
  refused.catch(() => undefined);
  return refused;
}

const transports = new WeakMap<postgres.Sql, Promise<ScratchTransport>>();

/** The transport for a client's server, asked once per client: PGlite's wire server has no COPY FROM STDIN. */
export function scratchTransport(sql: postgres.Sql): Promise<ScratchTransport> {
  let answer = transports.get(sql);
  if (!answer) {
    answer = sql<{ embedded: boolean }[]>`select version() like '%PGlite%' as embedded`.then((rows) =>
      rows[0]?.embedded ? 'insert' : 'copy',
    );
    transports.set(sql, answer);
    answer.catch(() => transports.delete(sql));
  }
  return answer;
}
