import type { FieldPacket, Pool, PoolConnection, RowDataPacket, TypeCastField, TypeCastNext } from 'mysql2/promise';
import { classifyDatabaseError, ConfigError, DatabaseUnreachableError } from '../../common/errors';
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

/** `schema` is the MySQL database of `table`; unset: the connection's database. `query` is a derived table. */
export interface MysqlSourceOptions extends SqlSourceOptions {
  /** A mysql2/promise pool (see mysqlPoolOptions). Each page borrows one connection and gives it back. */
  pool: Pool;
}

/**
 * Pool settings under which nothing arrives as a JS number or Date (the reader also casts every value to
 * text itself). The session time zone is set to UTC per page, so TIMESTAMP values are printed in UTC. One
 * statement per query: a source query that closes its derived table and adds statements is a syntax error, so
 * it cannot end the read-only transaction it runs in.
 */
export const mysqlPoolOptions = {
  multipleStatements: false,
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
  jsonStrings: true,
  charset: 'utf8mb4',
} as const;

/** Quotes a MySQL identifier with backticks (inner backticks doubled). */
export function quoteMysqlIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

// Column type codes of the MySQL protocol (mysql2/lib/constants/types).
const T = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;
const STRING_TYPES = new Set<number>([
  T.VARCHAR,
  T.VAR_STRING,
  T.STRING,
  T.TINY_BLOB,
  T.MEDIUM_BLOB,
  T.LONG_BLOB,
  T.BLOB,
  T.ENUM,
  T.SET,
]);
const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;

const N = quoteMysqlIdent(GROUP_SIZE_COLUMN);
const K = quoteMysqlIdent(GROUP_INDEX_COLUMN);

/**
 * Reads one table or query of a MySQL/MariaDB source by keyset pagination on the id column (see ./keyset
 * for the order and the cursors), comparing the cursor in the id column's own type: integers as integers
 * (`CAST(? AS SIGNED|UNSIGNED)`), decimals, floats and dates in their types, text in the column's collation.
 * Needs window functions: MySQL 8.0+ or MariaDB 10.2+.
 *
 * Every value arrives as the text MySQL sends (null stays null): integers and decimals as printed
 * (`12.50`), floats as MySQL prints them, dates `2024-01-02`, DATETIME `2024-01-02 10:30:00`, TIMESTAMP in
 * UTC, JSON as its text, BIT(n) as its unsigned integer value (`5`), binary strings, BLOBs and geometries as
 * `0x` followed by lower-case hex. Each page runs in its own read-only transaction.
 */
export function mysqlSourceReader(options: MysqlSourceOptions): SourceReader {
  const { pool, id, pageSize } = options;
  const { relation, from, where } = sourceRelation(options, quoteMysqlIdent, 'mysql');
  const sid = `s.${quoteMysqlIdent(id)}`;

  let columns: string[] = [];
  /** Columns whose bytes are not text: read as 0x-hex. */
  const binary = new Set<string>();
  /** SQL that turns a literal (see textLiteral) into a value of the id column's type; `$` stands for it. */
  let cast = '$';
  /** The SQL literal of an id's text as yielded (hex, so no escaping and no `?` placeholder is involved). */
  let literal = (text: string): string => textLiteral(text);
  const param = (text: string): string => cast.replace('$', literal(text));
  let rowOrder = '';

  const fail = (err: unknown): never => {
    throw describeMysqlError(err, { where, isTable: relation !== undefined });
  };

  const typeCast = (field: TypeCastField, next: TypeCastNext): unknown => {
    switch (field.type) {
      case 'BIT': {
        const bytes = field.buffer();
        return bytes === null ? null : BigInt(`0x${bytes.toString('hex') || '0'}`).toString();
      }
      case 'GEOMETRY': {
        const bytes = field.buffer();
        return bytes === null ? null : `0x${bytes.toString('hex')}`;
      }
      case 'JSON':
        return field.string('utf8');
      case 'VARCHAR':
      case 'VAR_STRING':
      case 'STRING':
      case 'TINY_BLOB':
      case 'MEDIUM_BLOB':
      case 'LONG_BLOB':
      case 'BLOB':
      case 'ENUM':
      case 'SET': {
        if (!binary.has(field.name)) return field.string();
        const bytes = field.buffer();
        return bytes === null ? null : `0x${bytes.toString('hex')}`;
      }
      case 'VECTOR': {
        const value = next();
        return value === null || value === undefined ? null : JSON.stringify(value);
      }
      default:
        // Numbers, decimals, dates and times: the protocol's own text, exactly as the server printed it.
        return field.string('ascii');
    }
  };

  /** One borrowed connection, one read-only transaction, the session in UTC. */
  const read = async <R>(fn: (conn: PoolConnection) => Promise<R>): Promise<R> => {
    const conn = await pool.getConnection().catch(fail);
    let broken = false;
    try {
      await conn.query("SET time_zone = '+00:00'");
      await conn.query('START TRANSACTION READ ONLY');
      const result = await fn(conn);
      await conn.query('COMMIT');
      return result;
    } catch (err) {
      broken = (err as { fatal?: boolean }).fatal === true;
      if (!broken) await conn.query('ROLLBACK').catch(() => undefined);
      return fail(err);
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  };

  // No placeholders: a `?` inside the operator's query must stay as written.
  const select = async (conn: PoolConnection, sql: string): Promise<RowDataPacket[]> => {
    const [rows] = await conn.query<RowDataPacket[]>({ sql, typeCast });
    return rows;
  };

  const toRow = (raw: RowDataPacket) => keysetRow(columns, raw);

  const grouped = (condition: string) =>
    `select s.*, count(*) over (partition by ${sid}) as ${N},
       row_number() over (partition by ${sid} order by ${rowOrder}) as ${K}
     from ${from} where ${condition}
     order by ${sid}, ${K}`;

  const queries: KeysetQueries = {
    async prepare() {
      // The probe reads like every page, in a read-only transaction: MySQL and MariaDB may evaluate a derived
      // table whole even under `limit 0`, so a query calling a function that writes would write here.
      const fields = await read(async (conn): Promise<FieldPacket[]> => {
        const [[version]] = await conn.query<RowDataPacket[]>('select version() as v');
        assertWindowFunctions(String(version?.v ?? ''), where);
        return (await conn.query<RowDataPacket[]>(`select * from ${from} limit 0`))[1];
      });
      columns = fields.map((f) => f.name);
      assertDistinctColumns(columns, where);
      for (const f of fields) {
        const type = f.columnType ?? f.type ?? -1;
        if (STRING_TYPES.has(type) && f.characterSet === BINARY_CHARSET) binary.add(f.name);
      }
      const idField = findIdColumn(
        fields,
        id,
        where,
        'set objects[].source.id to the column holding each record’s stable id',
      );
      const idType = idField.columnType ?? idField.type ?? -1;
      const unsigned = typeof idField.flags === 'number' && (idField.flags & UNSIGNED_FLAG) !== 0;
      switch (idType) {
        case T.TINY:
        case T.SHORT:
        case T.LONG:
        case T.INT24:
        case T.LONGLONG:
        case T.YEAR:
          cast = unsigned ? 'CAST($ AS UNSIGNED)' : 'CAST($ AS SIGNED)';
          break;
        case T.BIT:
          cast = 'CAST($ AS UNSIGNED)';
          break;
        case T.DECIMAL:
        case T.NEWDECIMAL:
          cast = `CAST($ AS DECIMAL(65, ${Math.min(idField.decimals, 30)}))`;
          break;
        case T.FLOAT:
          cast = 'CAST($ AS FLOAT)';
          break;
        case T.DOUBLE:
          cast = 'CAST($ AS DOUBLE)';
          break;
        case T.DATE:
        case T.NEWDATE:
          cast = 'CAST($ AS DATE)';
          break;
        case T.DATETIME:
        case T.TIMESTAMP:
          cast = 'CAST($ AS DATETIME(6))';
          break;
        case T.TIME:
          cast = 'CAST($ AS TIME(6))';
          break;
        case T.GEOMETRY:
          throw new ConfigError(
            `${where}: the id column "${id}" is a geometry`,
            'choose an id column of a plain type (integer, text, date) for objects[].source.id',
          );
        default:
          if (binary.has(id))
            literal = (text) => {
              if (!/^0x(?:[0-9a-f]{2})*$/i.test(text))
                throw new ConfigError(
                  `${where}: cannot resume from the id ${JSON.stringify(text)}: the id column is binary, its ids read as 0x…`,
                  'restart the extract of this object from the beginning',
                );
              return `X'${text.slice(2)}'`;
            };
      }
      rowOrder = columns.map((c) => `s.${quoteMysqlIdent(c)}`).join(', ');
    },

    async page(after, limit) {
      return read(async (conn) => {
        const lower = after === null ? `${sid} is not null` : `${sid} > ${param(after)}`;
        const [boundary] = await select(
          conn,
          `select ${sid} as ${quoteMysqlIdent(id)} from ${from} where ${lower} order by ${sid} limit 1 offset ${limit - 1}`,
        );
        const upper = boundary ? (boundary[id] as string | null) : undefined;
        if (upper === null) throw new Error(`${where}: the keyset boundary of a page is null`);
        const condition = upper === undefined ? lower : `${lower} and ${sid} <= ${param(upper)}`;
        const rows = await select(conn, grouped(condition));
        return { rows: rows.map(toRow), complete: upper === undefined };
      });
    },

    async group(value) {
      return read(async (conn) => (await select(conn, grouped(`${sid} = ${param(value)}`))).map(toRow));
    },

    async nulls(offset, limit) {
      return read(async (conn) => {
        const rows = await select(
          conn,
          `select s.* from ${from} where ${sid} is null order by ${rowOrder} limit ${limit} offset ${offset}`,
        );
        return rows.map((raw) => toRow(raw).values);
      });
    },
  };

  return keysetReader(queries, { id, pageSize, where });
}

/**
 * The SQL literal of a text: `_utf8mb4 X'…'`. Hex needs no escaping (whatever the sql_mode), and the
 * introducer makes it a coercible literal like '…', so it compares in the id column's own collation.
 */
function textLiteral(text: string): string {
  return `_utf8mb4 X'${Buffer.from(text, 'utf8').toString('hex')}'`;
}

/** MySQL before 8.0 and MariaDB before 10.2 lack the window functions the reader groups duplicate ids with. */
function assertWindowFunctions(version: string, where: string): void {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const mariadb = /mariadb/i.test(version);
  const ok = mariadb ? major > 10 || (major === 10 && minor >= 2) : major >= 8;
  if (!ok)
    throw new ConfigError(
      `${where}: the source server is ${mariadb ? 'MariaDB' : 'MySQL'} ${major}.${minor}; Tern reads MySQL 8.0+ and MariaDB 10.2+`,
      'upgrade the source server (or a replica of it), or export the tables to CSV/JSONL and use a file source',
    );
}

/** Turns a mysql2 error into one that names the object and the fix. Other errors pass through. */
export function describeMysqlError(err: unknown, context: SourceErrorContext): unknown {
  if (err instanceof ConfigError || err instanceof DatabaseUnreachableError) return err;
  if (classifyDatabaseError(err)) return sourceConnectionError(context, err);
  if (!(err instanceof Error)) return err;
  const { code, sqlState } = err as { code?: unknown; sqlState?: unknown };
  const reason = err.message;
  if (typeof code !== 'string') return err;
  if (code === 'ER_NO_SUCH_TABLE')
    return sourceRelationMissingError(
      context,
      reason,
      'check objects[].source.table and source.schema (the MySQL database) in the plan',
    );
  if (code === 'ER_TABLEACCESS_DENIED_ERROR' || code === 'ER_COLUMNACCESS_DENIED_ERROR')
    return sourceAccessDeniedError(context, reason);
  if (typeof sqlState === 'string' && (sqlState.startsWith('42') || sqlState.startsWith('22')))
    return sourceReadRejectedError(context, reason, code, 'the mysql client');
  if (code === 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION') return sourceWriteAttemptError(context, reason);
  return err;
}
