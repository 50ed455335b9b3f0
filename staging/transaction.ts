import { PostgresJsSession } from 'drizzle-orm/postgres-js/session';
import type postgres from 'postgres';
import type { StagingDb } from './db';

/** The postgres.js client of a drizzle transaction on staging: statements drizzle cannot say (COPY, unnest). */
export function transactionSql(tx: { _: { session: unknown } }): postgres.Sql {
  const session = tx._.session;
  if (!(session instanceof PostgresJsSession)) throw new Error('staging transactions run on postgres.js');
  return session.client as postgres.Sql;
}

/**
 * Runs `fn` in one staging transaction, handing it both ways to speak to it: the drizzle handle (a nested
 * `transaction` on it is a savepoint) and the postgres.js client. Everything `fn` does commits, or none of it.
 */
export function inTransaction<T>(db: StagingDb, fn: (tx: StagingDb, sql: postgres.Sql) => Promise<T>): Promise<T> {
  return db.transaction((tx) => fn(tx, transactionSql(tx)));
}
