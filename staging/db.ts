import path from 'node:path';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { databaseUnreachable } from '../common/errors';
import { redactUrl } from '../common/config';
import * as schema from './schema';
import { tiedToActivity } from './cancellation';

export type StagingDb = PostgresJsDatabase<typeof schema>;

/** A connection to the staging database: the drizzle handle and the raw postgres.js client. */
export interface Staging {
  db: StagingDb;
  sql: postgres.Sql;
  url: string;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');
/** Arbitrary constant: serialises concurrent `applyMigrations` calls across processes. */
const MIGRATION_LOCK_KEY = 7_424_201;

export interface ConnectOptions {
  /** Pool size; the embedded database serves one session at a time, so it gets 1. */
  max?: number;
  /** Role name for the connection, visible in pg_stat_activity. */
  applicationName?: string;
}

/**
 * How often PostgreSQL checks that the client of a running query is still there (PostgreSQL 14+): a worker
 * killed mid-query leaves no query behind for more than this long.
 */
const CLIENT_CHECK_INTERVAL_MS = 5_000;

/**
 * Date and time parameters cross to PostgreSQL as the text they are. postgres.js's own serializer sends every
 * parameter the server types as date, timestamp or timestamptz through a JS Date, which keeps milliseconds and
 * reads zone-less text in the process's time zone: `…43.260137Z` was stored as `…43.26`. Text goes as it is and
 * PostgreSQL parses it at its full precision; a Date still goes as its ISO text. Parsers are unchanged.
 */
const keepText = (x: unknown): string => (x instanceof Date ? x.toISOString() : String(x));
const TEXT_KEEPING_TIME_TYPES = {
  timestamptz: { to: 1184, serialize: keepText },
  timestamp: { to: 1114, serialize: keepText },
  date: { to: 1082, serialize: keepText },
  time: { to: 1083, serialize: keepText },
  timetz: { to: 1266, serialize: keepText },
} as unknown as Record<string, postgres.PostgresType>;

/**
 * Opens a postgres.js client and proves it can reach the server, with a clear error when it cannot: one line
 * for a person (a wrong URL, a wrong password), and a TransientDatabaseError (retried inside activities) when
 * the server refused or dropped the connection. Its queries are cancelled when the activity running them is
 * (see ./cancellation), and where the server supports it PostgreSQL ends the queries of a client that died.
 */
export async function openSql(url: string, options: ConnectOptions = {}): Promise<postgres.Sql> {
  const client = (connection: Record<string, string>) =>
    postgres(url, {
      max: options.max ?? 5,
      onnotice: () => undefined,
      types: TEXT_KEEPING_TIME_TYPES,
      connect_timeout: 10,
      idle_timeout: 30,
      connection: { application_name: options.applicationName ?? 'tern', ...connection },
    });
  let sql = client({});
  let clientCheck = false;
  let planSettings: Record<string, string> = {};
  try {
    await sql`select 1`;
    // Not every server takes the setting (before 14, or platforms that cannot watch a socket): ask first.
    clientCheck =
      await sql`select set_config('client_connection_check_interval', ${String(CLIENT_CHECK_INTERVAL_MS)}, false)`.then(
        () => true,
        () => false,
      );
    // Every statement is planned for its own values and the tables' current size: a plan cached while a table
    // was small (a seq scan of the target or the ledger) was kept while a load grew it, so each page read the
    // whole table. Tern's statements are batches, where compiling them (jit) costs more than it saves.
    planSettings =
      await sql`select set_config('plan_cache_mode', 'force_custom_plan', false), set_config('jit', 'off', false)`.then(
        () => ({ plan_cache_mode: 'force_custom_plan', jit: 'off' }),
        () => ({}),
      );
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw databaseUnreachable(
      err,
      `cannot connect to the database at ${redactUrl(url)}: ${reason}`,
      'check DATABASE_URL (host, port, user, database name) and that PostgreSQL is running, or unset DATABASE_URL to use the embedded database',
      { keepCause: true },
    );
  }
  if (clientCheck || Object.keys(planSettings).length > 0) {
    await sql.end({ timeout: 5 });
    sql = client({
      ...planSettings,
      ...(clientCheck ? { client_connection_check_interval: String(CLIENT_CHECK_INTERVAL_MS) } : {}),
    });
  }
  return tiedToActivity(sql);
}

/** Connects to staging and applies any pending migrations (safe when several processes start at once). */
export async function connectStaging(url: string, options: ConnectOptions = {}): Promise<Staging> {
  await applyMigrations(url);
  const sql = await openSql(url, options);
  const db = drizzle(sql, { schema });
  return { db, sql, url, close: () => sql.end({ timeout: 5 }) };
}

/** Applies committed drizzle-kit migrations on a dedicated connection holding a session advisory lock. */
export async function applyMigrations(url: string): Promise<void> {
  const sql = await openSql(url, { max: 1, applicationName: 'tern-migrate' });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migrate(drizzle(sql, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
