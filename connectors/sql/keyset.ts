import { ConfigError, databaseUnreachable, type DatabaseUnreachableError } from '../../common/errors';
import { pagesAhead } from '../../common/pages-ahead';
import { statementText, type SqlDialect } from '../../plan/source-query';
import type { SourceItem, SourceReader } from '../source';

/**
 * Keyset pagination shared by the SQL source readers (PostgreSQL, MySQL/MariaDB).
 *
 * Rows are read in id order, a page at a time: `where id > <cursor> order by id limit <pageSize>`, compared
 * in the id column's own type. A page always ends on a complete id group (every row sharing the page's last
 * id is read with it), so rows with a duplicated id are never split between pages and none is lost; they come
 * out in a deterministic order (by the whole row's text) and get distinct positions, so the extract can
 * quarantine the duplicates. Rows whose id is null cannot be keyset-paginated: they are read last, in a
 * separate `where id is null` pass ordered by the whole row's text, and yielded as `broken`.
 *
 * Cursors (the text stored in checkpoints; each resumes the read just after its item):
 *
 * | cursor         | meaning                                                                           |
 * |----------------|-----------------------------------------------------------------------------------|
 * | `<id text>`    | every row whose id is ≤ this id has been read (the common case: `4711`, `C-0042`) |
 * | `id:<id text>` | the same, for an id whose text itself starts with `id:`, `tie:` or `null:`        |
 * | `tie:<k>:<id>` | the first k rows (in row-text order) of the rows sharing this id have been read   |
 * | `null:<n>`     | every row with an id has been read, and the first n rows without one              |
 */

/** One row of a page: every value as text (null stays null), and its place in its id group. */
export interface KeysetRow {
  values: Record<string, string | null>;
  /** Rows sharing this row's id (1 when the id is unique). */
  groupSize: number;
  /** 1-based rank of the row among the rows sharing its id, by the whole row's text. */
  groupIndex: number;
}

/** One page of rows; `complete` when no row with a greater id remains. */
export interface KeysetPage {
  rows: KeysetRow[];
  complete: boolean;
}

/** What a database must answer for the keyset reader. Values are text; ids are their text. */
export interface KeysetQueries {
  /** Checks the relation and the id column (throws a clear error); called once before the first read. */
  prepare(): Promise<void>;
  /**
   * Rows with a non-null id greater than `after` (all non-null ids when null), in id order, up to and
   * including every row sharing the `limit`-th id. `complete` is true when no row with a greater id remains.
   */
  page(after: string | null, limit: number): Promise<KeysetPage>;
  /** Every row whose id equals `id`, ordered by groupIndex. */
  group(id: string): Promise<KeysetRow[]>;
  /** Rows whose id is null, ordered by the whole row's text, skipping `offset`. */
  nulls(offset: number, limit: number): Promise<Record<string, string | null>[]>;
}

export type KeysetCursor =
  | { kind: 'start' }
  | { kind: 'after'; id: string }
  | { kind: 'tie'; id: string; read: number }
  | { kind: 'nulls'; read: number };

const RESERVED = /^(id|tie|null):/;

export function encodeCursor(cursor: Exclude<KeysetCursor, { kind: 'start' }>): string {
  switch (cursor.kind) {
    case 'after':
      return RESERVED.test(cursor.id) ? `id:${cursor.id}` : cursor.id;
    case 'tie':
      return `tie:${cursor.read}:${cursor.id}`;
    case 'nulls':
      return `null:${cursor.read}`;
  }
}

export function decodeCursor(cursor: string | null, where: string): KeysetCursor {
  if (cursor === null) return { kind: 'start' };
  if (!RESERVED.test(cursor)) return { kind: 'after', id: cursor };
  if (cursor.startsWith('id:')) return { kind: 'after', id: cursor.slice(3) };
  const tie = /^tie:(\d+):/.exec(cursor);
  if (tie?.[1]) return { kind: 'tie', read: Number(tie[1]), id: cursor.slice(tie[0].length) };
  const nulls = /^null:(\d+)$/.exec(cursor);
  if (nulls?.[1]) return { kind: 'nulls', read: Number(nulls[1]) };
  throw new ConfigError(
    `${where}: cannot resume from the checkpoint cursor ${JSON.stringify(cursor)}: it is not a cursor of a SQL source`,
    'restart the extract of this object from the beginning (its checkpoint was written by another kind of source)',
  );
}

export interface KeysetReaderOptions {
  /** The id column, as named in the rows' values. */
  id: string;
  pageSize: number;
  /** Names the object in messages, e.g. `object "customers"`. */
  where: string;
}

/**
 * A SourceReader over any database that answers KeysetQueries. Memory: two pages (one handed on, the next one
 * read meanwhile), each with its last id group.
 */
export function keysetReader(queries: KeysetQueries, options: KeysetReaderOptions): SourceReader {
  let prepared: Promise<void> | undefined;
  const { id: idColumn, pageSize } = options;

  const recordItem = (row: KeysetRow): SourceItem => {
    const id = row.values[idColumn] ?? '';
    const duplicated = row.groupSize > 1;
    return {
      kind: 'record',
      position: duplicated ? `id ${id} (row ${row.groupIndex} of ${row.groupSize} with this id)` : `id ${id}`,
      cursor:
        row.groupIndex < row.groupSize
          ? encodeCursor({ kind: 'tie', id, read: row.groupIndex })
          : encodeCursor({ kind: 'after', id }),
      record: row.values,
    };
  };

  return async function* read(cursor: string | null): AsyncGenerator<SourceItem> {
    prepared ??= queries.prepare();
    try {
      await prepared;
    } catch (err) {
      prepared = undefined;
      throw err;
    }
    const from = decodeCursor(cursor, options.where);

    if (from.kind !== 'nulls') {
      let after: string | null = null;
      if (from.kind === 'after') after = from.id;
      if (from.kind === 'tie') {
        for (const row of await queries.group(from.id)) if (row.groupIndex > from.read) yield recordItem(row);
        after = from.id;
      }
      // The next page is read by the database while this one's rows are handed on (one page ahead, never more).
      const lastId = (page: KeysetPage) => page.rows[page.rows.length - 1]?.values[idColumn] ?? null;
      const pages = pagesAhead(
        (previous: KeysetPage | null) => queries.page(previous ? lastId(previous) : after, pageSize),
        (page) => !page.complete && lastId(page) !== null,
      );
      for await (const { rows } of pages) for (const row of rows) yield recordItem(row);
    }

    let offset = from.kind === 'nulls' ? from.read : 0;
    for (;;) {
      const rows = await queries.nulls(offset, pageSize);
      for (const values of rows) {
        offset += 1;
        yield {
          kind: 'broken',
          position: `id null (row ${offset} without an id)`,
          cursor: encodeCursor({ kind: 'nulls', read: offset }),
          text: JSON.stringify(values),
          message: `the id column "${idColumn}" is empty (null): every record needs a source id; fill it in the source, or choose another id column (objects[].source.id)`,
        };
      }
      if (rows.length < pageSize) break;
    }
  };
}

/** Describes the object for messages. */
export function describeWhere(object: string | undefined, relation: string): string {
  return object ? `object "${object}" (${relation})` : relation;
}

/** What a SQL source reads: a table (in a schema) or the operator's query. */
export interface SqlSourceTarget {
  /** Schema of `table` (MySQL: its database); unset: the connection's default. Not applied to `query`. */
  schema?: string;
  /** The table to read (exactly one of table or query). */
  table?: string;
  /** The operator's SELECT (PostgreSQL: or WITH … SELECT), embedded as a subquery. */
  query?: string;
  /** The plan object's name, for messages. */
  object?: string;
}

/** The options of a SQL source reader, apart from its connection. */
export interface SqlSourceOptions extends SqlSourceTarget {
  /** Column holding each record's stable id. */
  id: string;
  /** Rows per read. */
  pageSize: number;
}

/**
 * Checks that exactly one of table or query is set, and names what is read: `relation`, the quoted
 * (schema-qualified) table, undefined for a query; `from`, the FROM item aliased `s` (the table, or the query
 * as a subquery); `shown`, how messages name it; `where`, the object for messages (see describeWhere).
 * `kindLabel` names the source when the check fails (e.g. `postgres`: `a postgres source: needs exactly…`) and the
 * dialect the query is read in (it is embedded without the semicolons and comments that may end it).
 */
export function sourceRelation(
  options: SqlSourceTarget,
  quoteIdent: (name: string) => string,
  kindLabel: SqlDialect,
): { relation: string | undefined; from: string; shown: string; where: string } {
  if ((options.table === undefined) === (options.query === undefined))
    throw new ConfigError(
      `${describeWhere(options.object, `a ${kindLabel} source`)}: needs exactly one of source.table or source.query`,
      'set objects[].source.table to a table name, or objects[].source.query to a SELECT',
    );
  const relation =
    options.table !== undefined
      ? `${options.schema ? `${quoteIdent(options.schema)}.` : ''}${quoteIdent(options.table)}`
      : undefined;
  const from = relation ? `${relation} s` : `(\n${statementText(options.query ?? '', kindLabel)}\n) s`;
  const shown = relation ? `table ${relation}` : 'source query';
  return { relation, from, shown, where: describeWhere(options.object, shown) };
}

/** Throws when the source returns a column name twice (a query joining tables without aliasing their ids). */
export function assertDistinctColumns(columns: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name))
      throw new ConfigError(
        `${where}: returns the column "${name}" twice`,
        'give every column of the source query its own name (select a.id as account_id, b.id as owner_id, …)',
      );
    seen.add(name);
  }
}

/** The id column among the source's columns; throws (with `fix` as the hint) when it is not there. */
export function findIdColumn<C extends { name: string }>(
  described: readonly C[],
  id: string,
  where: string,
  fix: string,
): C {
  const found = described.find((c) => c.name === id);
  if (!found)
    throw new ConfigError(
      `${where}: the id column "${id}" (objects[].source.id) is not among its columns: ${described.map((c) => c.name).join(', ') || '(none)'}`,
      fix,
    );
  return found;
}

/** The result columns that carry an id group's size and a row's rank in it (see KeysetRow). */
export const GROUP_SIZE_COLUMN = 'tern:group_size';
export const GROUP_INDEX_COLUMN = 'tern:group_index';

/** A row of a grouped query as a KeysetRow: the source columns' values as text, and the group columns. */
export function keysetRow(columns: readonly string[], raw: Record<string, unknown>): KeysetRow {
  const values: Record<string, string | null> = {};
  for (const name of columns) values[name] = (raw[name] as string | null | undefined) ?? null;
  return { values, groupSize: Number(raw[GROUP_SIZE_COLUMN]), groupIndex: Number(raw[GROUP_INDEX_COLUMN]) };
}

// ---------------------------------------------------------------------------------------------------------
// Errors of a read, in the words both SQL readers use (see describePostgresError, describeMysqlError).

/** The object the failed read was for (its `where`), and whether it reads a table or a query. */
export interface SourceErrorContext {
  where: string;
  isTable: boolean;
}

/**
 * The server cannot be reached, or refuses the connection or the login; `cause` (the driver's error) decides
 * whether it is transient (a restart, a reset: retried) or for a person to fix (see classifyDatabaseError).
 */
export function sourceUnreachableError(
  context: SourceErrorContext,
  reason: string,
  code: string,
  cause: unknown,
): DatabaseUnreachableError {
  return databaseUnreachable(
    cause,
    `${context.where}: cannot read the source database: ${reason} (${code})`,
    'check the source database URL (the variable named by source.urlEnv): host, port, user, password and database name, and that the server accepts connections',
  );
}

/** A driver's connection error (see classifyDatabaseError) as the source's unreachable error, code and all. */
export function sourceConnectionError(context: SourceErrorContext, err: unknown): DatabaseUnreachableError {
  const { code, message } = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    message?: unknown;
  };
  return sourceUnreachableError(
    context,
    typeof message === 'string' ? message : String(err),
    typeof code === 'string' ? code : 'connection error',
    err,
  );
}

/** The table (or a table of the query) does not exist; `tableFix` says where a table source names it. */
export function sourceRelationMissingError(context: SourceErrorContext, reason: string, tableFix: string): ConfigError {
  return new ConfigError(
    `${context.where}: ${reason}`,
    context.isTable ? tableFix : 'correct the tables named in objects[].source.query',
  );
}

/** The source user may not read a table. */
export function sourceAccessDeniedError(context: SourceErrorContext, reason: string): ConfigError {
  return new ConfigError(
    `${context.where}: ${reason}`,
    'grant the source user SELECT on the tables the plan reads (Tern only reads the source)',
  );
}

/** The database rejects the read (a syntax, name or data error); `client` is where to try a query first. */
export function sourceReadRejectedError(
  context: SourceErrorContext,
  reason: string,
  code: string,
  client: string,
): ConfigError {
  return new ConfigError(
    `${context.where}: the source database rejects the read: ${reason} (${code})`,
    context.isTable
      ? 'check objects[].source.table and objects[].source.id in the plan'
      : `correct objects[].source.query: it must be a SELECT this database accepts (try it in ${client} first); Tern runs it as a subquery, select … from (<query>) s`,
  );
}

/** The source query tries to write (the read runs in a read-only transaction). */
export function sourceWriteAttemptError(context: SourceErrorContext, reason: string): ConfigError {
  return new ConfigError(
    `${context.where}: the source query tries to write: ${reason}`,
    'objects[].source.query must only read (Tern never writes to the source)',
  );
}
