import path from 'node:path';
import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { ConfigError, databaseUnreachable, DatabaseUnreachableError, TernError } from '../common/errors';
import { redactCredentials } from '../common/redact';
import type { IdDigest } from '../common/id-digests';
import { planSources, sourceOf, type ObjectPlan, type Plan } from '../plan/schema';
import { csvSourceReader } from './csv/source';
import { jsonlSourceReader } from './jsonl/read';
import type { ChangeReader, SourceItem, SourceReader } from './source';
import { mysqlPoolOptions, mysqlSourceReader } from './sql/mysql-source';
import { postgresKeyedSource } from './sql/postgres-changes';
import { postgresSourceReader } from './sql/postgres-source';
import { type SaasDeps, vendorClient } from './saas-targets';
import { zendesk, ZENDESK_INCREMENTAL_EXPORTS_PER_MINUTE } from './zendesk/declaration';
import { ZENDESK_RESOURCES, zendeskChangeReader, zendeskSourceReader } from './zendesk/source';
import { hubspot } from './hubspot/declaration';
import {
  HUBSPOT_RESOURCES,
  HUBSPOT_SEARCH_REQUESTS_PER_SECOND,
  hubspotChangeReader,
  hubspotSourceReader,
} from './hubspot/source';

/** One object's source, opened: read it (from a cursor), then close it. */
export interface OpenedSource {
  reader: SourceReader;
  /**
   * Sources with a change feed: only what changed since a high-water mark, deletions included. Without it, a
   * delta reads everything and what is absent was deleted.
   */
  changes?: ChangeReader;
  /**
   * SQL sources with an updated-at column: the rows changed since an instant, the source's ids alone, and rows
   * by id. A delta reads what changed and infers deletions (and rows the change read cannot see) from the ids.
   */
  keyed?: KeyedSource;
  /** Releases the connection (SQL sources); safe to call more than once. */
  close(): Promise<void>;
  /**
   * A merged object's source, after a change read: how it read each of its sources, and whether it read every one
   * whole (what it did not find unreadable again is then readable, as after any whole read).
   */
  lastRead?(): { description: string; everySourceWhole: boolean };
}

/**
 * A source that can be read by what changed and listed by id (SQL sources with `source.updatedAt`). Reads
 * only: every query runs in a read-only transaction, with its values as parameters.
 */
export interface KeyedSource {
  /** Why a change read cannot be made of this source (e.g. the updated-at column's type), or null. */
  unavailable(): Promise<string | null>;
  /**
   * Records whose updated-at is at or after `since`: pages taken in (updated-at, id) order, each in id order; a
   * record that changes again while being read may come twice. Names no deletions.
   */
  changes(since: Date): AsyncGenerator<SourceItem>;
  /**
   * Every non-null id of the source as text, a page at a time, in id order; with `buckets`, only the ids that
   * fall into those buckets (common/id-digests.ts), in no order.
   */
  ids(buckets?: readonly number[]): AsyncGenerator<string[]>;
  /**
   * The source's non-null ids digested by bucket (common/id-digests.ts); null when its database cannot compute
   * the digests (PostgreSQL before 14): every id is then listed.
   */
  idDigests(): Promise<IdDigest[] | null>;
  /** Rows whose id is null (a whole read yields them as unreadable). */
  withoutId(): Promise<number>;
  /** The records with these ids. */
  byIds(ids: readonly string[]): AsyncGenerator<SourceItem>;
}

export interface OpenSourceOptions {
  /**
   * PostgreSQL sources only: a connection this process already holds (staging). When the plan's URL is this
   * one, the reader shares it instead of opening another (the embedded database serves one session).
   */
  shared?: { url: string; sql: postgres.Sql };
  /** SaaS sources: staging, for the rate budget every worker process shares. */
  saas?: SaasDeps;
}

type SqlKind = 'postgres' | 'mysql';

const EXAMPLE_URL: Record<SqlKind, string> = {
  postgres: 'postgres://user@host:5432/db',
  mysql: 'mysql://user@host:3306/db',
};
const PROTOCOLS: Record<SqlKind, string[]> = {
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:', 'mariadb:'],
};

/**
 * Opens the source of one object of a plan. File sources (csv, jsonl) read
 * `path.resolve(plan.source.directory, object.source.file)`; SQL sources (postgres, mysql) connect to the URL
 * held by the environment variable the plan names in `source.urlEnv` (checked here, before any read). No
 * error or log ever carries the URL or its password.
 */
export async function openSource(
  plan: Plan,
  object: ObjectPlan,
  env: NodeJS.ProcessEnv,
  options: OpenSourceOptions = {},
): Promise<OpenedSource> {
  const source = sourceOf(plan, object);
  switch (source.kind) {
    case 'csv':
    case 'jsonl': {
      const file = sourceFile(plan, object);
      const reader =
        source.kind === 'csv'
          ? csvSourceReader(file, {
              encoding: object.source.encoding,
              delimiter: object.source.delimiter,
              maxRecordLines: source.maxRecordLines,
            })
          : jsonlSourceReader(file, { encoding: object.source.encoding });
      return { reader, close: () => Promise.resolve() };
    }
    case 'zendesk': {
      if (!options.saas) throw new Error('a Zendesk source needs the staging connection for its rate budget');
      if (!object.source.resource)
        throw new ConfigError(
          `object "${object.name}": a zendesk source needs source.resource`,
          `set objects[].source.resource to one of ${ZENDESK_RESOURCES.join(', ')}`,
        );
      const api = vendorClient(options.saas, zendesk, source);
      // Incremental exports have their own limit (10 per minute), apart from the account's API budget.
      const exportsBudget = {
        ...source.budget,
        ratePerSecond: source.budget?.exceedDocumented
          ? source.budget.ratePerSecond
          : ZENDESK_INCREMENTAL_EXPORTS_PER_MINUTE / 60,
      };
      const exports = vendorClient(
        options.saas,
        {
          ...zendesk,
          vendor: 'zendesk-exports',
          budget: { ...zendesk.budget, ratePerSecond: ZENDESK_INCREMENTAL_EXPORTS_PER_MINUTE / 60, burst: 1 },
        },
        { ...source, budget: exportsBudget },
        'incremental',
      );
      const reader = zendeskSourceReader({ api, exports }, object.source.resource, {
        pageSize: source.pageSize,
        object: object.name,
      });
      const changes = zendeskChangeReader({ api, exports }, object.source.resource, {
        pageSize: source.pageSize,
        object: object.name,
      });
      return { reader, changes, close: () => Promise.resolve() };
    }
    case 'hubspot': {
      if (!options.saas) throw new Error('a HubSpot source needs the staging connection for its rate budget');
      if (!object.source.resource)
        throw new ConfigError(
          `object "${object.name}": a hubspot source needs source.resource`,
          `set objects[].source.resource to one of ${HUBSPOT_RESOURCES.join(', ')}`,
        );
      const api = vendorClient(options.saas, hubspot, source);
      // The CRM search API has its own limit (4 requests per second), apart from the account's budget.
      const searchRate = source.budget?.exceedDocumented
        ? (source.budget.ratePerSecond ?? HUBSPOT_SEARCH_REQUESTS_PER_SECOND)
        : HUBSPOT_SEARCH_REQUESTS_PER_SECOND;
      const search = vendorClient(
        options.saas,
        {
          ...hubspot,
          vendor: 'hubspot-search',
          budget: { ...hubspot.budget, ratePerSecond: HUBSPOT_SEARCH_REQUESTS_PER_SECOND, burst: 1 },
        },
        { ...source, budget: { ...source.budget, ratePerSecond: searchRate } },
        'search',
      );
      const readerOptions = { pageSize: source.pageSize, object: object.name };
      return {
        reader: hubspotSourceReader({ api, search }, object.source.resource, readerOptions),
        changes: hubspotChangeReader({ api, search }, object.source.resource, readerOptions),
        close: () => Promise.resolve(),
      };
    }
    case 'postgres':
    case 'mysql': {
      const url = sourceUrl(source.kind, source.urlEnv, env);
      const secrets = new Secrets(url);
      const label = `the source database (${source.urlEnv})`;
      const common = {
        schema: source.schema,
        table: object.source.table,
        query: object.source.query,
        id: object.source.id,
        pageSize: source.pageSize,
        object: object.name,
      };
      const opened = (sql: postgres.Sql, close: () => Promise<void>): OpenedSource => ({
        reader: guarded(postgresSourceReader({ sql, ...common }), secrets, source.urlEnv),
        keyed: object.source.updatedAt
          ? guardedKeyed(
              postgresKeyedSource({ sql, ...common, updatedAt: object.source.updatedAt }),
              secrets,
              source.urlEnv,
            )
          : undefined,
        close,
      });
      if (source.kind === 'postgres' && options.shared && options.shared.url === url)
        return opened(options.shared.sql, () => Promise.resolve());
      if (source.kind === 'postgres') {
        let sql: postgres.Sql;
        try {
          sql = postgres(url, {
            max: 2,
            onnotice: () => undefined,
            connect_timeout: 10,
            idle_timeout: 30,
            connection: { application_name: 'tern-source' },
          });
        } catch (err) {
          throw unreachable(label, source.urlEnv, secrets.redact(messageOf(err)), err);
        }
        let closed = false;
        const close = async () => {
          if (closed) return;
          closed = true;
          await sql.end({ timeout: 5 });
        };
        try {
          await sql`select 1`;
        } catch (err) {
          await close().catch(() => undefined);
          throw unreachable(label, source.urlEnv, secrets.redact(messageOf(err)), err);
        }
        return opened(sql, close);
      }
      const pool = mysql.createPool({
        uri: url.replace(/^mariadb:/, 'mysql:'),
        ...mysqlPoolOptions,
        connectionLimit: 2,
        connectTimeout: 10_000,
      });
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await pool.end();
      };
      try {
        (await pool.getConnection()).release();
      } catch (err) {
        await close().catch(() => undefined);
        throw unreachable(label, source.urlEnv, secrets.redact(messageOf(err)), err);
      }
      return { reader: guarded(mysqlSourceReader({ pool, ...common }), secrets, source.urlEnv), close };
    }
  }
}

/**
 * Problems with the source credentials a plan names, found without connecting: for SQL sources, the
 * `source.urlEnv` variable is unset, empty or not a URL of the source's kind. Each problem is one line naming
 * the variable (never its value) and what to export. File sources have no credentials: [].
 */
export function checkSourceCredentials(plan: Plan, env: NodeJS.ProcessEnv): { message: string; fix: string }[] {
  return planSources(plan).flatMap(({ source }) => {
    if (source.kind !== 'postgres' && source.kind !== 'mysql') return [];
    try {
      sourceUrl(source.kind, source.urlEnv, env);
      return [];
    } catch (err) {
      return [
        err instanceof TernError
          ? { message: err.message, fix: err.fix }
          : { message: messageOf(err), fix: `check ${source.urlEnv}` },
      ];
    }
  });
}

/** The file of an object of a file source. */
function sourceFile(plan: Plan, object: ObjectPlan): string {
  const source = sourceOf(plan, object);
  if (source.kind !== 'csv' && source.kind !== 'jsonl') throw new Error('not a file source');
  if (!object.source.file)
    throw new ConfigError(
      `object "${object.name}": a ${source.kind} source needs source.file`,
      'set objects[].source.file to the file name inside the source directory',
    );
  return path.resolve(source.directory, object.source.file);
}

/** The source URL from the environment, checked for shape; errors name the variable, never its value. */
function sourceUrl(kind: SqlKind, urlEnv: string, env: NodeJS.ProcessEnv): string {
  const fix = `export ${urlEnv}=${EXAMPLE_URL[kind]} (the URL of the legacy database) in the worker's environment`;
  const value = env[urlEnv]?.trim();
  if (!value) {
    throw new ConfigError(`source.urlEnv: environment variable ${urlEnv} is not set`, fix);
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`source.urlEnv: environment variable ${urlEnv} does not hold a URL`, fix);
  }
  if (!PROTOCOLS[kind].includes(parsed.protocol))
    throw new ConfigError(
      `source.urlEnv: environment variable ${urlEnv} holds a ${parsed.protocol}// URL, but source.kind is ${kind} (${PROTOCOLS[kind].map((p) => `${p}//`).join(' or ')} expected)`,
      `${fix}, or correct source.kind in the plan`,
    );
  return value;
}

/**
 * The secret parts of a URL (its password, a `?password=` parameter), to be blanked out of any text that might
 * echo them, whole or alone; then whatever else looks like a credential (common/redact.ts).
 */
class Secrets {
  private readonly needles: string[];

  constructor(url: string) {
    const needles = [url];
    try {
      const parsed = new URL(url);
      const secrets = [
        parsed.password,
        ...[...parsed.searchParams].filter(([name]) => /pass|pwd|secret|token|key/i.test(name)).map(([, v]) => v),
      ];
      for (const secret of secrets.filter((s) => s.length > 0)) {
        const decoded = safeDecode(secret);
        needles.push(secret, decoded, encodeURIComponent(decoded));
      }
      needles.push(parsed.href);
    } catch {
      // Not a URL: only the text as a whole is secret.
    }
    // Longest first, so the whole URL is replaced before its password inside it.
    this.needles = [...new Set(needles.filter((n) => n.length > 0))].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const needle of this.needles) out = out.split(needle).join(needle.includes('://') ? '[source url]' : '***');
    return redactCredentials(out);
  }

  /** The same error with secrets blanked from its message (and stack); TernErrors keep their class. */
  scrub(err: unknown): unknown {
    if (!(err instanceof Error)) return typeof err === 'string' ? this.redact(err) : err;
    if (err instanceof TernError) {
      const message = this.redact(err.message);
      const fix = this.redact(err.fix);
      if (message === err.message && fix === err.fix) return err;
      const Class = err.constructor as new (message: string, fix: string) => TernError;
      return new Class(message, fix);
    }
    err.message = this.redact(err.message);
    if (err.stack) err.stack = this.redact(err.stack);
    return err;
  }
}

/** Wraps a reader so no error it throws carries the URL or password, and connection errors name the variable. */
function guarded<A extends unknown[], T>(
  reader: (...args: A) => AsyncGenerator<T>,
  secrets: Secrets,
  urlEnv: string,
): (...args: A) => AsyncGenerator<T> {
  return async function* read(...args: A) {
    try {
      yield* reader(...args);
    } catch (err) {
      throw cleanError(err, secrets, urlEnv);
    }
  };
}

/** The same, for every read of a keyed source. */
function guardedKeyed(keyed: KeyedSource, secrets: Secrets, urlEnv: string): KeyedSource {
  const clean = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw cleanError(err, secrets, urlEnv);
    }
  };
  return {
    unavailable: () => clean(() => keyed.unavailable()),
    changes: guarded((since: Date) => keyed.changes(since), secrets, urlEnv),
    ids: guarded((buckets?: readonly number[]) => keyed.ids(buckets), secrets, urlEnv),
    idDigests: () => clean(() => keyed.idDigests()),
    withoutId: () => clean(() => keyed.withoutId()),
    byIds: guarded((ids: readonly string[]) => keyed.byIds(ids), secrets, urlEnv),
  };
}

function cleanError(err: unknown, secrets: Secrets, urlEnv: string): unknown {
  const clean = secrets.scrub(err);
  if (clean instanceof DatabaseUnreachableError)
    return new (clean.constructor as typeof DatabaseUnreachableError)(
      clean.message,
      `check ${urlEnv} (host, port, user, password, database name) and that the source database accepts connections`,
    );
  return clean;
}

function unreachable(label: string, urlEnv: string, reason: string, cause: unknown): DatabaseUnreachableError {
  // A refused or reset connection is transient (retried); a wrong URL or password is not (classifyDatabaseError).
  return databaseUnreachable(
    cause,
    `cannot connect to ${label}: ${reason}`,
    `check ${urlEnv} (host, port, user, password, database name) and that the source database is running and reachable from the worker`,
  );
}

function messageOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
