import type postgres from 'postgres';

/**
 * A timestamp column as an ISO string (UTC, milliseconds). Raw staging queries go through postgres.js,
 * whose timestamp parsers drizzle replaces (they arrive as text in PostgreSQL's format): convert in SQL.
 */
export function isoColumn(sql: postgres.Sql, column: string) {
  return sql`to_char(${sql(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
