import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { ConfigError, DatabaseUnreachableError, TernError } from '../../common/errors';
import type { SourceItem } from '../../connectors/source';
import { checkSourceCredentials, openSource, type OpenedSource } from '../../connectors/sources';
import { mysqlPoolOptions } from '../../connectors/sql/mysql-source';
import { planSchema, type ObjectPlan, type Plan } from '../../plan/schema';
import { testEnv, uniqueId } from '../support/harness';

const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
const URL_ENV = 'TERN_TEST_SOURCE_URL';
const PAGE = 10;

type Kind = 'postgres' | 'mysql';

/** The parts of a test that differ between the two databases. */
interface Db {
  kind: Kind;
  url: string;
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  quote(name: string): string;
  /** The DDL of the main table; `t` is its qualified name. */
  customersDdl(t: string): string;
  /** Text of a boolean as the reader yields it. */
  bool(b: boolean): string;
  /** The source.schema of the plan: where the test's tables live. */
  schema: string;
  /** The table name as qualified in SQL. */
  table(name: string): string;
  close(): Promise<void>;
}

function postgresDb(): Db {
  const url = testEnv().databaseUrl;
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  const schema = uniqueId('tern_src');
  const quote = (n: string) => `"${n.replace(/"/g, '""')}"`;
  return {
    kind: 'postgres',
    url,
    exec: async (text, params) => [...(await sql.unsafe(text, (params ?? []) as postgres.ParameterOrJSON<never>[]))],
    quote,
    customersDdl: (t) =>
      `create table ${t} (id integer primary key, name text, amount numeric(12,2), born date, active boolean, note text, doc jsonb)`,
    bool: (b) => (b ? 'true' : 'false'),
    schema,
    table: (name) => `${quote(schema)}.${quote(name)}`,
    close: () => sql.end({ timeout: 5 }),
  };
}

function mysqlDb(): Db {
  const pool = mysql.createPool({ uri: MYSQL_URL, ...mysqlPoolOptions, connectionLimit: 2 });
  const quote = (n: string) => `\`${n.replace(/`/g, '``')}\``;
  return {
    kind: 'mysql',
    url: MYSQL_URL,
    exec: async (text, params) => {
      const [rows] = await pool.query(text, params);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    quote,
    customersDdl: (t) =>
      `create table ${t} (id int primary key, name varchar(100), amount decimal(12,2), born date, active tinyint(1), note text, doc json) character set utf8mb4`,
    bool: (b) => (b ? '1' : '0'),
    schema: 'test',
    table: (name) => `${quote('test')}.${quote(name)}`,
    close: () => pool.end(),
  };
}

function planFor(
  db: Db,
  source: { table?: string; query?: string; id: string },
  pageSize = PAGE,
): { plan: Plan; object: ObjectPlan } {
  const plan = planSchema.parse({
    version: 1,
    name: 'sql source test',
    source: { kind: db.kind, urlEnv: URL_ENV, ...(source.table ? { schema: db.schema } : {}), pageSize },
    target: { kind: 'postgres' },
    objects: [
      {
        name: 'customers',
        source,
        target: { table: 'customers', key: 'legacy_id' },
        fields: [{ from: source.id, to: 'legacy_id' }],
      },
    ],
  });
  return { plan, object: plan.objects[0]! };
}

async function readAll(source: OpenedSource, cursor: string | null = null): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of source.reader(cursor)) items.push(item);
  return items;
}

async function withSource<T>(
  db: Db,
  spec: { table?: string; query?: string; id: string },
  fn: (source: OpenedSource) => Promise<T>,
  pageSize = PAGE,
): Promise<T> {
  const { plan, object } = planFor(db, spec, pageSize);
  const source = await openSource(plan, object, { [URL_ENV]: db.url });
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
const NAMES = ['Zoë Ångström', 'Łukasz Żółć', '山田 太郎', 'Émile O’Brien', 'Ana "Nana" García', 'Günter ✓ 🚀'];

/** Customer rows with holes in the ids (1..150, N > 3 pages, ids > 9), nulls, unicode, decimals and dates. */
interface Customer {
  id: string;
  name: string | null;
  amount: string | null;
  born: string | null;
  active: string | null;
  note: string | null;
  doc: string | null;
}

function customerRows(db: Db): Customer[] {
  const rows: Customer[] = [];
  for (let i = 1; i <= 150; i++) {
    if (i % 3 === 0 || (i >= 40 && i <= 55) || i === 2) continue;
    rows.push({
      id: String(i),
      name: i % 11 === 0 ? null : `${NAMES[i % NAMES.length]} #${i}`,
      amount: i % 4 === 0 ? null : `${i % 13 === 0 ? '-' : ''}${i * 37}.${pad(i % 100)}`,
      born: i % 10 === 0 ? null : `${1950 + (i % 50)}-${pad(1 + (i % 12))}-${pad(1 + (i % 28))}`,
      active: i % 9 === 0 ? null : db.bool(i % 2 === 0),
      note: i % 5 === 0 ? '' : i % 7 === 0 ? null : `line one\nline two, "quoted" \\ backslash ${i}`,
      doc: i % 8 === 0 ? null : JSON.stringify({ n: i }),
    });
  }
  return rows;
}

/** Twice a decimal with two places, computed exactly (in cents). */
function doubled(amount: string): string {
  const cents = BigInt(amount.replace('.', '')) * 2n;
  const sign = cents < 0n ? '-' : '';
  const digits = (cents < 0n ? -cents : cents).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

const records = (items: SourceItem[]) => items.map((i) => (i.kind === 'record' ? i.record : { broken: i.text }));

describe.each([
  ['PostgreSQL', postgresDb],
  ['MariaDB', mysqlDb],
])('SQL source: %s', (_name, make) => {
  let db: Db;
  let customers: Customer[];
  const tables: string[] = [];

  const createTable = async (name: string, ddl: (t: string) => string) => {
    const t = db.table(name);
    await db.exec(ddl(t));
    tables.push(t);
    return t;
  };

  beforeAll(async () => {
    db = make();
    if (db.kind === 'postgres') await db.exec(`create schema ${db.quote(db.schema)}`);
    customers = customerRows(db);
    const t = await createTable('customers', (name) => db.customersDdl(name));
    const cols = ['id', 'name', 'amount', 'born', 'active', 'note', 'doc'] as const;
    // Inserted in a scrambled order: the reader's order must come from the ids, not from insertion.
    const scrambled = [...customers].sort((a, b) => ((Number(a.id) * 7919) % 151) - ((Number(b.id) * 7919) % 151));
    for (const row of scrambled) {
      const values = cols.map((c) => row[c]);
      // Text parameters cast in SQL: the database, not the driver, turns 'true' or '{"n":1}' into values.
      const pgTypes = {
        id: 'integer',
        name: 'text',
        amount: 'numeric',
        born: 'date',
        active: 'boolean',
        note: 'text',
        doc: 'jsonb',
      };
      const marks = cols.map((c, k) => (db.kind === 'postgres' ? `$${k + 1}::text::${pgTypes[c]}` : '?'));
      await db.exec(`insert into ${t} (${cols.join(', ')}) values (${marks.join(', ')})`, values);
    }
  });

  afterAll(async () => {
    for (const t of tables.reverse()) await db.exec(`drop table if exists ${t}`);
    if (db.kind === 'postgres') await db.exec(`drop schema if exists ${db.quote(db.schema)} cascade`);
    await db.close();
  });

  it('reads every row exactly once, in id order, every value as text', async () => {
    const items = await withSource(db, { table: 'customers', id: 'id' }, readAll);
    expect(customers.length).toBeGreaterThan(PAGE * 3);
    expect(items.every((i) => i.kind === 'record')).toBe(true);
    expect(items.map((i) => i.position)).toEqual(customers.map((r) => `id ${r.id}`));
    expect(items.map((i) => i.cursor)).toEqual(customers.map((r) => r.id));
    const expected = customers.map((r) => ({
      ...r,
      // jsonb prints its own canonical text; MariaDB's JSON is the text as stored.
      doc: r.doc === null || db.kind === 'mysql' ? r.doc : r.doc.replace(':', ': '),
    }));
    expect(records(items)).toEqual(expected);
  });

  it('resumes from a cursor with exactly the rest', async () => {
    await withSource(db, { table: 'customers', id: 'id' }, async (source) => {
      const everything = await readAll(source);
      for (const at of [0, PAGE - 1, PAGE, 17, everything.length - 2]) {
        const rest = await readAll(source, everything[at]!.cursor);
        expect(rest).toEqual(everything.slice(at + 1));
      }
      expect(await readAll(source, everything[everything.length - 1]!.cursor)).toEqual([]);
      // A cursor between two ids (a hole) resumes at the next id that exists.
      expect((await readAll(source, '41'))[0]?.position).toBe('id 56');
    });
  });

  it('reads a query source with a WHERE and a computed column', async () => {
    const t = db.table('customers');
    const query =
      db.kind === 'postgres'
        ? `select id, upper(name) as shout, amount * 2 as doubled, 'why?' as s from ${t} where active and amount is not null;`
        : `select id, upper(name) as shout, amount * 2 as doubled, 'why?' as s from ${t} where active = 1 and amount is not null;`;
    const items = await withSource(db, { query, id: 'id' }, readAll);
    const expected = customers
      .filter((r) => r.active === db.bool(true) && r.amount !== null)
      .map((r) => ({
        id: r.id,
        shout: r.name === null ? null : r.name.toUpperCase(),
        doubled: doubled(r.amount!),
      }));
    expect(expected.length).toBeGreaterThan(PAGE);
    // Upper-casing is the database's: compare the ids and numbers exactly, names case-insensitively.
    expect(records(items).map((r) => [r.id, r.doubled])).toEqual(expected.map((r) => [r.id, r.doubled]));
    // A "?" in the operator's query is theirs (never a placeholder); a column may be named like the alias.
    expect(new Set(records(items).map((r) => r.s))).toEqual(new Set(['why?']));
    expect(records(items).map((r) => (r.shout as string | null)?.toLowerCase() ?? null)).toEqual(
      expected.map((r) => r.shout?.toLowerCase() ?? null),
    );
  });

  it('reads text ids in the database’s own order, including ids shaped like cursors', async () => {
    const t = await createTable(
      uniqueId('codes'),
      (name) => `create table ${name} (code varchar(40) primary key, n int)`,
    );
    const codes = ['A-1', 'A-10', 'A-2', 'b-7', 'Z', '10', '9', '100', 'é', 'id:x', 'null:3', 'tie:1:2', '', 'Ω'];
    for (const [n, code] of codes.entries())
      await db.exec(`insert into ${t} (code, n) values (${db.kind === 'postgres' ? '$1, $2' : '?, ?'})`, [code, n]);
    const ordered = (await db.exec(`select code from ${t} order by code`)).map((r) => r.code as string);
    const table = t.split('.')[1]!.slice(1, -1);
    await withSource(
      db,
      { table, id: 'code' },
      async (source) => {
        const items = await readAll(source);
        expect(records(items).map((r) => r.code)).toEqual(ordered);
        expect(items.map((i) => i.position)).toEqual(ordered.map((c) => `id ${c}`));
        expect(items.find((i) => i.position === 'id null:3')?.cursor).toBe('id:null:3');
        for (let at = 0; at < items.length; at++)
          expect(await readAll(source, items[at]!.cursor)).toEqual(items.slice(at + 1));
      },
      3,
    );
  });

  it('yields rows without an id as broken, after the others, and never loses a duplicated id', async () => {
    const t = await createTable(uniqueId('dupes'), (name) => `create table ${name} (id bigint, label varchar(20))`);
    const rows: [number | null, string][] = [
      [5, 'five-b'],
      [1, 'one'],
      [null, 'no id 1'],
      [2, 'two-a'],
      [2, 'two-b'],
      [5, 'five-a'],
      [3, 'three'],
      [null, 'no id 2'],
      [5, 'five-c'],
      [12, 'twelve'],
      [null, 'no id 3'],
    ];
    for (const row of rows)
      await db.exec(`insert into ${t} (id, label) values (${db.kind === 'postgres' ? '$1, $2' : '?, ?'})`, row);
    const table = t.split('.')[1]!.slice(1, -1);
    await withSource(
      db,
      { table, id: 'id' },
      async (source) => {
        const items = await readAll(source);
        expect(items.map((i) => [i.kind, i.position])).toEqual([
          ['record', 'id 1'],
          ['record', 'id 2 (row 1 of 2 with this id)'],
          ['record', 'id 2 (row 2 of 2 with this id)'],
          ['record', 'id 3'],
          ['record', 'id 5 (row 1 of 3 with this id)'],
          ['record', 'id 5 (row 2 of 3 with this id)'],
          ['record', 'id 5 (row 3 of 3 with this id)'],
          ['record', 'id 12'],
          ['broken', 'id null (row 1 without an id)'],
          ['broken', 'id null (row 2 without an id)'],
          ['broken', 'id null (row 3 without an id)'],
        ]);
        expect(records(items).slice(0, 8)).toEqual(
          [
            ['1', 'one'],
            ['2', 'two-a'],
            ['2', 'two-b'],
            ['3', 'three'],
            ['5', 'five-a'],
            ['5', 'five-b'],
            ['5', 'five-c'],
            ['12', 'twelve'],
          ].map(([id, label]) => ({ id, label })),
        );
        const broken = items.filter((i) => i.kind === 'broken');
        expect(broken.map((b) => JSON.parse(b.text) as unknown)).toEqual(
          ['no id 1', 'no id 2', 'no id 3'].map((label) => ({ id: null, label })),
        );
        expect(broken[0]).toMatchObject({
          cursor: 'null:1',
          message: expect.stringMatching(/^the id column "id" is empty \(null\)/) as unknown,
        });
        expect(items.map((i) => i.cursor)).toEqual([
          '1',
          'tie:1:2',
          '2',
          '3',
          'tie:1:5',
          'tie:2:5',
          '5',
          '12',
          'null:1',
          'null:2',
          'null:3',
        ]);
        for (let at = 0; at < items.length; at++)
          expect(await readAll(source, items[at]!.cursor)).toEqual(items.slice(at + 1));
      },
      2,
    );
  });

  it('names the object and the fix when the table, the id column or the query is wrong', async () => {
    const attempt = (spec: { table?: string; query?: string; id: string }) =>
      withSource(db, spec, readAll).then(
        () => undefined,
        (e: unknown) => e,
      );
    const missing = await attempt({ table: 'no_such_table', id: 'id' });
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as TernError).message).toMatch(/^object "customers" \(table .*no_such_table.*\): /);
    expect((missing as TernError).fix).toMatch(/objects\[\]\.source\.table/);

    const badId = await attempt({ table: 'customers', id: 'legacy_id' });
    expect((badId as TernError).message).toMatch(
      /the id column "legacy_id" \(objects\[\]\.source\.id\) is not among its columns: id, name, amount, born, active, note, doc$/,
    );

    const badQuery = await attempt({ query: `select id, from ${db.table('customers')}`, id: 'id' });
    expect(badQuery).toBeInstanceOf(ConfigError);
    expect((badQuery as TernError).message).toMatch(
      /^object "customers" \(source query\): the source database rejects the read/,
    );
    expect((badQuery as TernError).fix).toMatch(/objects\[\]\.source\.query/);
  });

  it('refuses to open when the URL variable is unset, naming it and the fix, without leaking', async () => {
    const { plan, object } = planFor(db, { table: 'customers', id: 'id' });
    for (const env of [{}, { [URL_ENV]: '' }, { [URL_ENV]: '   ' }]) {
      const error = await openSource(plan, object, env).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(`source.urlEnv: environment variable ${URL_ENV} is not set`);
      const example = db.kind === 'postgres' ? 'postgres://user@host:5432/db' : 'mysql://user@host:3306/db';
      expect((error as ConfigError).fix).toContain(`export ${URL_ENV}=${example} (the URL of the legacy database)`);
      expect(checkSourceCredentials(plan, env)).toEqual([
        {
          message: `source.urlEnv: environment variable ${URL_ENV} is not set`,
          fix: expect.stringContaining(`export ${URL_ENV}=`) as string,
        },
      ]);
    }
    expect(checkSourceCredentials(plan, { [URL_ENV]: db.url })).toEqual([]);

    const wrongKind = db.kind === 'postgres' ? 'mysql://u:Hunter2Secret@h/db' : 'postgres://u:Hunter2Secret@h/db';
    const [found] = checkSourceCredentials(plan, { [URL_ENV]: wrongKind });
    const problem = `${found?.message}; ${found?.fix}`;
    expect(problem).toMatch(new RegExp(`${URL_ENV} holds a (mysql|postgres):// URL, but source.kind is ${db.kind}`));
    expect(problem).not.toContain('Hunter2Secret');
    expect(checkSourceCredentials(plan, { [URL_ENV]: 'not a url Hunter2Secret' })).toEqual([
      expect.not.stringContaining('Hunter2Secret'),
    ]);
  });

  it('never puts the URL or its password in an error', async () => {
    const { plan, object } = planFor(db, { table: 'customers', id: 'id' });
    const scheme = db.kind === 'postgres' ? 'postgres' : 'mysql';
    const unreachable = `${scheme}://tern_user:Hunter2Secret@127.0.0.1:1/test`;
    const error = await openSource(plan, object, { [URL_ENV]: unreachable }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    const text = `${(error as TernError).toLine()} ${(error as Error).stack ?? ''}`;
    expect(text).toMatch(new RegExp(`cannot connect to the source database \\(${URL_ENV}\\)`));
    expect(text).toContain(`check ${URL_ENV}`);
    expect(text).not.toContain('Hunter2Secret');
    expect(text).not.toContain(unreachable);

    if (db.kind === 'mysql') {
      // A wrong password against the real server: refused, and the password is nowhere in the message.
      const wrong = 'mysql://root:Hunter2Secret@127.0.0.1:3306/test';
      const denied = await openSource(plan, object, { [URL_ENV]: wrong }).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(DatabaseUnreachableError);
      expect((denied as TernError).toLine()).not.toContain('Hunter2Secret');
    } else {
      // The server accepts the URL (trust auth); a failing read must not echo it either.
      const withPassword = db.url.replace('://postgres@', '://postgres:Hunter2Secret@');
      const { plan: p2, object: o2 } = planFor(db, { table: 'no_such_table', id: 'id' });
      const source = await openSource(p2, o2, { [URL_ENV]: withPassword });
      try {
        const failed = await readAll(source).catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(ConfigError);
        expect(`${(failed as TernError).toLine()} ${(failed as Error).stack ?? ''}`).not.toContain('Hunter2Secret');
      } finally {
        await source.close();
      }
    }
  });
});
