import type postgres from 'postgres';
import { classifyDatabaseError, ConfigError, DatabaseUnreachableError } from '../../common/errors';
import { tiedToActivity } from '../../staging/cancellation';
import type { SourceReader } from '../source';
import {
  assertDistinctColumns,
  findIdColumn,
  GROUP_INDEX_COLUMN,
  GROUP_SIZE_COLUMN,
  keysetReader,
  keysetRow,
  sourceAccessDeniedError,
  sourceReadRejectedError,
  sourceRelation,
  sourceRelationMissingError,
  sourceConnectionError,
  sourceWriteAttemptError,
  type KeysetQueries,
  type SourceErrorContext,
  type SqlSourceOptions,
} from './keyset';

/** `schema` unset: the connection's search_path. */
export interface PostgresSourceOptions extends SqlSourceOptions {
  sql: postgres.Sql;
}

/** Quotes a PostgreSQL identifier: always double-quoted, inner quotes doubled (names are case-sensitive). */
export function quotePgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const N = quotePgIdent(GROUP_SIZE_COLUMN);
const K = quotePgIdent(GROUP_INDEX_COLUMN);

/** One statement of a read, its values as parameters. */
export type ReadQuery = <R extends Record<string, unknown>>(
  text: string,
  params?: string[] | string[][],
) => Promise<R[]>;

/**
 * postgres.js sends a query without parameters as a simple query, which may hold several statements; `simple:
 * false` (honoured by postgres.js, absent from its types) sends it through the extended protocol instead.
 */
const EXTENDED_PROTOCOL = { simple: false } as postgres.UnsafeQueryOptions;

/**
 * Runs one statement through the extended protocol (parse, bind, execute), even without parameters: as a simple
 * query, a source query that closes its subquery (`select 1) s; commit; delete …`) would end the read-only
 * transaction and write. test/integration/source-read-only.test.ts holds this.
 */
function oneStatement(tx: postgres.TransactionSql): ReadQuery {
  return async <R extends Record<string, unknown>>(text: string, params: string[] | string[][] = []) =>
    (await tx.unsafe<R[]>(text, params, EXTENDED_PROTOCOL)) as R[];
}

/** What a PostgreSQL source reader knows about its relation once it has probed it (see describePostgresSource). */
export interface PostgresRelation {
  /** The FROM item, aliased `s`. */
  from: string;
  /** The object, for messages. */
  where: string;
  /** `s."<id column>"`. */
  sid: string;
  /** The source's columns, in order. */
  columns: string[];
  /** Every column cast to text under its own name. */
  selectList: string;
  /** The id column's type, schema-qualified: cursors and id lists are cast to it. */
  idType: string;
  /** The type of a column, schema-qualified (null: no such column). */
  typeOf(column: string): string | null;
  /**
   * One read-only transaction with the text formats pinned, whatever the server's defaults; `query` sends one
   * statement through the extended protocol (a text holding several statements is refused by the server).
   */
  read<T>(fn: (query: ReadQuery) => Promise<T>): Promise<T>;
  /** Rethrows a driver error as one that names the object and the fix. */
  fail(err: unknown): never;
  /** A row of a result as the source's values, as text (null stays null). */
  values(raw: Record<string, unknown>): Record<string, string | null>;
}

/**
 * Probes one table or query of a PostgreSQL source once (columns, the id column and its type), for every reader
 * of it: the whole read, the change read and the id listing. Queries run on a connection tied to the activity,
 * so a read whose activity was cancelled or timed out is cancelled in the source database too.
 */
export function describePostgresSource(options: PostgresSourceOptions): () => Promise<PostgresRelation> {
  const sql = tiedToActivity(options.sql);
  const { relation, from, where } = sourceRelation(options, quotePgIdent, 'postgres');
  const sid = `s.${quotePgIdent(options.id)}`;
  const fail = (err: unknown): never => {
    throw describePostgresError(err, { where, isTable: relation !== undefined });
  };
  const read = <T>(fn: (query: ReadQuery) => Promise<T>): Promise<T> =>
    sql
      .begin('read only', async (tx) => {
        await tx.unsafe(
          `set local datestyle = 'ISO, YMD'; set local intervalstyle = 'postgres'; set local bytea_output = 'hex'`,
        );
        return fn(oneStatement(tx));
      })
      .catch(fail) as Promise<T>;
  let described: Promise<PostgresRelation> | undefined;
  // The probe reads like every other read: in a read-only transaction, one statement.
  const probe = async (): Promise<PostgresRelation> => {
    const { result, types } = await read(async (query) => {
      const probed = (await query(`select * from ${from} limit 0`)) as postgres.RowList<postgres.Row[]>;
      const oids = [...new Set((probed.columns ?? []).map((c) => c.type))].map(String);
      const named = await query<{ oid: number; name: string }>(
        `select t.oid::int as oid, quote_ident(n.nspname) || '.' || quote_ident(t.typname) as name
         from pg_type t join pg_namespace n on n.oid = t.typnamespace
         where t.oid = any($1::oid[])`,
        [oids],
      );
      return { result: probed, types: new Map(named.map((t) => [t.oid, t.name])) };
    });
    const cols = result.columns ?? [];
    const columns = cols.map((c) => c.name);
    assertDistinctColumns(columns, where);
    findIdColumn(
      cols,
      options.id,
      where,
      'set objects[].source.id to the column holding each record’s stable id (names are case-sensitive)',
    );
    const typeOf = (column: string) => {
      const c = cols.find((x) => x.name === column);
      return c ? (types.get(c.type) ?? null) : null;
    };
    const idType = typeOf(options.id);
    if (!idType)
      throw new ConfigError(
        `${where}: cannot find the type of the id column "${options.id}"`,
        'cast the id column to a plain type in a source query (select id::bigint as id, …)',
      );
    return {
      from,
      where,
      sid,
      columns,
      selectList: columns.map((c) => `s.${quotePgIdent(c)}::text as ${quotePgIdent(c)}`).join(', '),
      idType,
      typeOf,
      read,
      fail,
      values: (raw) => keysetRow(columns, raw).values,
    };
  };
  return () => {
    described ??= probe().catch((err: unknown) => {
      described = undefined;
      throw err;
    });
    return described;
  };
}

/**
 * Reads one table or query of a PostgreSQL source by keyset pagination on the id column (see ./keyset for
 * the order and the cursors). The cursor is compared in the id column's own type (discovered with a
 * `limit 0` probe), so integer ids are ordered as integers and an index on the id serves every page.
 *
 * Every value arrives as text exactly as PostgreSQL's `::text` cast prints it (null stays null): dates
 * `2024-01-02` (DateStyle ISO is set for the read), timestamps `2024-01-02 10:30:00` / `…+01`, numerics as
 * stored (`12.50`), booleans `true`/`false`, jsonb/json and arrays as their text (`{"a": 1}`, `{1,2}`), bytea
 * as `\x…` hex, char(n) without its trailing blanks. Each page runs in its own read-only transaction.
 */
export function postgresSourceReader(
  options: PostgresSourceOptions,
  describe = describePostgresSource(options),
): SourceReader {
  const { id, pageSize } = options;
  let r!: PostgresRelation;

  const toRow = (raw: Record<string, unknown>) => keysetRow(r.columns, raw);

  const grouped = (condition: string) =>
    `select ${r.selectList}, count(*) over w :: int as ${N}, row_number() over (w order by row(s.*)::text) :: int as ${K}
     from ${r.from} where ${condition}
     window w as (partition by ${r.sid})
     order by ${r.sid}, ${K}`;

  /**
   * The rows of `grouped` counted but not ranked: ranking sorts every row by the text of the whole row, which only
   * rows sharing an id need. A page whose ids are all distinct (every row's count 1) is what `grouped` returns,
   * each row first of its one; any other page is read again by `grouped`.
   */
  const counted = (condition: string) =>
    `select ${r.selectList}, count(*) over (partition by ${r.sid}) :: int as ${N}, 1 as ${K}
     from ${r.from} where ${condition}
     order by ${r.sid}`;

  const queries: KeysetQueries = {
    async prepare() {
      r = await describe();
    },

    async page(after, limit) {
      const { sid, idType, from } = r;
      return r.read(async (query) => {
        const lower = after === null ? `${sid} is not null` : `${sid} > $1::${idType}`;
        const lowerParams = after === null ? [] : [after];
        const boundary = await query<{ b: string }>(
          `select ${sid}::text as b from ${from} where ${lower} order by ${sid} offset ${limit - 1} limit 1`,
          lowerParams,
        );
        const upper = boundary[0]?.b;
        const condition = upper === undefined ? lower : `${lower} and ${sid} <= $${lowerParams.length + 1}::${idType}`;
        const params = upper === undefined ? lowerParams : [...lowerParams, upper];
        let rows = (await query(counted(condition), params)).map(toRow);
        if (rows.some((row) => row.groupSize > 1)) rows = (await query(grouped(condition), params)).map(toRow);
        return { rows, complete: upper === undefined };
      });
    },

    async group(value) {
      return r.read(async (query) => {
        const rows = await query(grouped(`${r.sid} = $1::${r.idType}`), [value]);
        return rows.map(toRow);
      });
    },

    async nulls(offset, limit) {
      return r.read(async (query) => {
        const rows = await query(
          `select ${r.selectList} from ${r.from} where ${r.sid} is null order by row(s.*)::text offset ${offset} limit ${limit}`,
        );
        return rows.map((raw) => toRow(raw).values);
      });
    },
  };

  const where = sourceRelation(options, quotePgIdent, 'postgres').where;
  return keysetReader(queries, { id, pageSize, where });
}

/** Turns a postgres.js error into one that names the object and the fix. Other errors pass through. */
export function describePostgresError(err: unknown, context: SourceErrorContext): unknown {
  if (err instanceof ConfigError || err instanceof DatabaseUnreachableError) return err;
  if (classifyDatabaseError(err)) return sourceConnectionError(context, err);
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const reason = err.message;
  if (typeof code !== 'string') return err;
  if (code === '42P01' || code === '3F000')
    return sourceRelationMissingError(
      context,
      reason,
      'check objects[].source.table and source.schema in the plan (quoted names are case-sensitive), and that the user may see the table',
    );
  if (code === '42501') return sourceAccessDeniedError(context, reason);
  if (code.startsWith('42') || code.startsWith('22')) return sourceReadRejectedError(context, reason, code, 'psql');
  if (code === '25006') return sourceWriteAttemptError(context, reason);
  return err;
}
