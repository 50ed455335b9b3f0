import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { ConfigError, TernError } from '../../common/errors';
import type { SourceItem } from '../../connectors/source';
import { openSource, type OpenedSource } from '../../connectors/sources';
import { mysqlPoolOptions } from '../../connectors/sql/mysql-source';
import { planSchema } from '../../plan/schema';
import { sourceQueryProblem } from '../../plan/source-query';
import { testEnv, uniqueId } from '../support/harness';

/**
 * The legacy system is read-only by construction: whatever a plan's source query says (it may have slipped past
 * `plan validate`: these plans are built without it), Tern's reads cannot write to the source. Each case keeps a
 * table of "victims" the query tries to change, and checks afterwards, from another connection, that the table
 * is exactly as it was.
 */

const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
const URL_ENV = 'TERN_TEST_LEGACY_URL';

interface Legacy {
  kind: 'postgres' | 'mysql';
  url: string;
  exec(sql: string): Promise<Record<string, unknown>[]>;
  /** Qualified name of a table, sequence or function of this test. */
  name(base: string): string;
  /** What the test's objects need first (their schema). */
  setup: string[];
  /** DDL of a function that inserts a row into `victims` and returns 1. */
  writerDdl(fn: string, victims: string): string;
  close(): Promise<void>;
}

function postgresLegacy(): Legacy {
  const url = testEnv().databaseUrl;
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  const schema = uniqueId('tern_ro');
  return {
    kind: 'postgres',
    url,
    exec: async (text) => [...(await sql.unsafe(text))],
    name: (base) => `"${schema}"."${base}"`,
    setup: [`create schema "${schema}"`],
    writerDdl: (fn, victims) =>
      `create function ${fn}() returns int language plpgsql as $$ begin insert into ${victims} values (99, 'planted'); return 1; end $$`,
    close: async () => {
      await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      await sql.end({ timeout: 5 });
    },
  };
}

function mysqlLegacy(): Legacy {
  const pool = mysql.createPool({ uri: MYSQL_URL, ...mysqlPoolOptions, connectionLimit: 1 });
  const prefix = uniqueId('ro');
  return {
    kind: 'mysql',
    url: MYSQL_URL,
    exec: async (text) => {
      const [rows] = await pool.query(text);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    name: (base) => `\`test\`.\`${prefix}_${base}\``,
    setup: [],
    writerDdl: (fn, victims) =>
      `create function ${fn}() returns int modifies sql data begin insert into ${victims} values (99, 'planted'); return 1; end`,
    close: async () => {
      await pool.query(`drop function if exists \`test\`.\`${prefix}_writer\``);
      await pool.query(`drop table if exists \`test\`.\`${prefix}_victims\``);
      await pool.end();
    },
  };
}

async function readAll(source: OpenedSource): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source.reader(null)) items.push(item);
  return items;
}

describe.each([
  ['PostgreSQL', postgresLegacy],
  ['MariaDB', mysqlLegacy],
])('a %s source cannot be written through its query', (name, make) => {
  let legacy: Legacy;
  let victims: string;
  let writer: string;

  const rows = async () =>
    (await legacy.exec(`select id, name from ${victims} order by id`)).map((r) => `${String(r.id)}:${String(r.name)}`);

  const open = (query: string, updatedAt?: string) => {
    const plan = planSchema.parse({
      version: 1,
      name: 'read-only source',
      source: { kind: legacy.kind, urlEnv: URL_ENV, pageSize: 10 },
      target: { kind: 'postgres' },
      objects: [
        {
          name: 'victims',
          source: { query, id: 'id', ...(updatedAt ? { updatedAt } : {}) },
          target: { table: 'victims', key: 'legacy_id' },
          fields: [{ from: 'id', to: 'legacy_id' }],
        },
      ],
    });
    return openSource(plan, plan.objects[0]!, { [URL_ENV]: legacy.url });
  };

  /** Opens the query as a source, runs `read` on it, and returns what it threw (or fails when it threw nothing). */
  const refused = async (query: string, read: (source: OpenedSource) => Promise<unknown>, updatedAt?: string) => {
    const source = await open(query, updatedAt);
    try {
      const outcome = await read(source).then(
        () => undefined,
        (err: unknown) => err,
      );
      if (outcome === undefined) throw new Error(`the read of ${query} did not fail`);
      return outcome;
    } finally {
      await source.close();
    }
  };

  beforeAll(async () => {
    legacy = make();
    victims = legacy.name('victims');
    writer = legacy.name('writer');
    for (const ddl of legacy.setup) await legacy.exec(ddl);
    await legacy.exec(`create table ${victims} (id int primary key, name varchar(40), updated_at timestamp)`);
    await plant();
    await legacy.exec(legacy.writerDdl(writer, victims));
  });
  afterAll(async () => {
    await legacy.close();
  });
  const plant = async () => {
    await legacy.exec(`delete from ${victims}`);
    await legacy.exec(
      `insert into ${victims} (id, name, updated_at) values (1, 'one', '2024-01-01'), (2, 'two', '2024-01-02')`,
    );
  };
  afterEach(async () => {
    try {
      expect(await rows()).toEqual(['1:one', '2:two']);
    } finally {
      await plant(); // one failure does not spread to the next case
    }
  });

  it('reads a plain query (the guard costs nothing to a reader)', async () => {
    const source = await open(`select id, name from ${victims}`);
    try {
      expect((await readAll(source)).map((i) => i.position)).toEqual(['id 1', 'id 2']);
    } finally {
      await source.close();
    }
  });

  it('refuses a query that calls a function that writes: the read-only transaction stops it', async () => {
    const query = `select id, name, ${writer}() as planted from ${victims}`;
    // Nothing in the text says it writes: plan validate cannot tell, the database can.
    expect(sourceQueryProblem(query, legacy.kind)).toBeNull();
    const error = await refused(query, readAll);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as TernError).toLine()).toMatch(
      /object "victims" \(source query\): the source query tries to write: .*read.only transaction.* — fix: objects\[\]\.source\.query must only read/i,
    );
  });

  it('runs the probe read-only too: a derived table that writes is stopped before the first page', async () => {
    // MariaDB evaluates the derived table even under `limit 0`, the probe's own query.
    const error = await refused(`select ${writer}() as id, 'x' as name`, readAll);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as TernError).message).toMatch(/tries to write|rejects the read/);
  });

  it('runs one statement at a time: a query that closes the subquery and adds statements is refused', async () => {
    const injected =
      legacy.kind === 'postgres'
        ? `select 1 as id) s; commit; delete from ${victims}; select * from (select 1 as id`
        : `select 1 as id) s; delete from ${victims}; select * from (select 1 as id`;
    expect(sourceQueryProblem(injected, legacy.kind)).toMatch(/more than one statement/);
    const error = await refused(injected, readAll);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as TernError).message).toMatch(/the source database rejects the read/);
  });

  it('refuses a row lock (FOR UPDATE) in the read-only transaction', async () => {
    const error = await refused(`select id, name from ${victims} for update`, readAll);
    expect((error as TernError).message).toMatch(/tries to write: .*read.only transaction/i);
  });

  // Only PostgreSQL sources are read by what changed (MySQL deltas read whole).
  if (name === 'PostgreSQL')
    it('keeps the change read and the read by id read-only, and refuses nextval()', async () => {
      const query = `select id, name, updated_at, ${writer}() as planted from ${victims}`;
      const changes = await refused(
        query,
        async (source) => {
          for await (const _ of source.keyed!.changes(new Date('2000-01-01T00:00:00Z'))) void _;
        },
        'updated_at',
      );
      expect((changes as TernError).message).toMatch(/tries to write/);
      const byIds = await refused(
        query,
        async (source) => {
          for await (const _ of source.keyed!.byIds(['1', '2'])) void _;
        },
        'updated_at',
      );
      expect((byIds as TernError).message).toMatch(/tries to write/);
      const sequence = legacy.name('victims_seq');
      await legacy.exec(`create sequence ${sequence}`);
      const nextval = await refused(`select nextval('${sequence}') as id`, readAll);
      expect((nextval as TernError).message).toMatch(
        /tries to write: cannot execute nextval\(\) in a read-only transaction/,
      );
    });
});
