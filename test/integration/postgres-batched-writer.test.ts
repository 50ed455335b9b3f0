import postgres from 'postgres';
import { PostgresTableRecords } from '../../connectors/postgres/records';
import { discoverTable, PostgresTableWriter } from '../../connectors/postgres/target';
import type { WriteItem } from '../../connectors/target';
import { testEnv, uniqueId } from '../support/harness';

/**
 * The PostgreSQL writer sends a page as one statement per kind of write (or one in all when a unique index
 * covers the key), and a page with bad rows is bisected: only those rows are refused, each with its error.
 * Statements are counted with postgres.js's debug hook.
 */
describe('PostgreSQL target: batched writes', () => {
  const schema = uniqueId('bw');
  const statements: string[] = [];
  let sql: postgres.Sql;

  beforeAll(async () => {
    sql = postgres(testEnv().databaseUrl, {
      max: 2,
      onnotice: () => undefined,
      debug: (_connection, query) => statements.push(query),
    });
    await sql.unsafe(`
      create schema "${schema}";
      create table "${schema}".plain (
        id bigserial primary key, legacy_id text not null, amount numeric(12,2), paid_at timestamp,
        active boolean, tags text[], extra json);
      create index on "${schema}".plain (legacy_id);
      create table "${schema}".keyed (
        id bigserial primary key, legacy_id integer not null unique, amount numeric(12,2) check (amount >= 0),
        name text not null, paid_at timestamptz);`);
  });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
  });

  const writes = () => statements.filter((s) => /^\s*(insert|update)\b/i.test(s)).length;

  async function recordsOf(table: string) {
    return new PostgresTableRecords(new PostgresTableWriter(sql, await discoverTable(sql, schema, table), 'legacy_id'));
  }

  it('writes a page mixing inserts and updates in one INSERT and one UPDATE without a unique key', async () => {
    const records = await recordsOf('plain');
    const row = (i: number, amount: string) => ({
      legacy_id: `L${i}`,
      amount,
      paid_at: `2024-01-0${(i % 9) + 1}T10:11:12.${String(1000000 + i).slice(1)}`,
      active: i % 2 === 0 ? 'yes' : 'false',
      tags: ['a', `b ${i}`],
      extra: JSON.stringify({ n: i, nested: { ok: true } }),
    });
    await records.write(Array.from({ length: 200 }, (_, i) => ({ sourceId: `L${i}`, payload: row(i, '1.10') })));
    const existing = await records.lookup(Array.from({ length: 200 }, (_, i) => ({ sourceId: `L${i}` }) as never));
    statements.length = 0;
    const items: WriteItem[] = Array.from({ length: 500 }, (_, i) => ({
      sourceId: `L${i}`,
      payload: row(i, '2.25'),
      existing: existing.get(`L${i}`),
    }));
    const outcome = await records.write(items);
    expect(writes()).toBe(2);
    expect(outcome.rejected.size).toBe(0);
    expect(outcome.ids.size).toBe(500);

    const stored = await sql.unsafe<
      { n: number; amounts: string; late: string; active: string; tags: string; extra: string }[]
    >(`
      select count(*)::int as n, string_agg(distinct amount::text, ',') as amounts,
        max(paid_at)::text as late, string_agg(distinct active::text, ',' order by active::text) as active,
        max(tags::text) filter (where legacy_id = 'L7') as tags, max(extra::text) filter (where legacy_id = 'L7') as extra
      from "${schema}".plain`);
    expect(stored[0]).toEqual({
      n: 500,
      amounts: '2.25',
      late: '2024-01-09 10:11:12.000494',
      active: 'false,true',
      tags: '{a,"b 7"}',
      extra: '{"n":7,"nested":{"ok":true}}',
    });
  });

  it('writes a page mixing inserts and updates in one INSERT … ON CONFLICT when the key is unique', async () => {
    const records = await recordsOf('keyed');
    await records.write(
      Array.from({ length: 100 }, (_, i) => ({
        sourceId: String(i),
        payload: { legacy_id: String(i), amount: '1', name: 'old' },
      })),
    );
    const existing = await records.lookup(Array.from({ length: 100 }, (_, i) => ({ sourceId: String(i) }) as never));
    statements.length = 0;
    const outcome = await records.write(
      Array.from({ length: 300 }, (_, i) => ({
        sourceId: String(i),
        payload: { legacy_id: String(i), amount: '3.5', name: `n${i}`, paid_at: '1996-08-29T20:53:43.260137Z' },
        existing: existing.get(String(i)),
      })),
    );
    expect(writes()).toBe(1);
    expect(statements.filter((s) => /on conflict/i.test(s))).toHaveLength(1);
    expect(outcome.rejected.size).toBe(0);
    expect(outcome.ids.size).toBe(300);
    const stored = await sql.unsafe<{ n: number; names: number; at: string }[]>(`
      select count(*)::int as n, count(distinct name)::int as names,
        max((paid_at at time zone 'UTC')::text) as at from "${schema}".keyed`);
    expect(stored[0]).toEqual({ n: 300, names: 300, at: '1996-08-29 20:53:43.260137' });
  });

  it('quarantines exactly the 3 bad rows among 500, each with its own message, in few statements', async () => {
    await sql.unsafe(`truncate "${schema}".keyed`);
    const records = await recordsOf('keyed');
    const bad = new Map([
      ['1000', { amount: '-5', name: 'x' }],
      ['1250', { amount: 'twelve', name: 'x' }],
      ['1499', { amount: '1', name: null }],
    ]);
    statements.length = 0;
    const outcome = await records.write(
      Array.from({ length: 500 }, (_, i) => {
        const id = String(1000 + i);
        return { sourceId: id, payload: { legacy_id: id, amount: '7', name: `n${id}`, ...bad.get(id) } };
      }),
    );
    expect(new Set(outcome.rejected.keys())).toEqual(new Set(bad.keys()));
    const refusal = (id: string) => [outcome.rejected.get(id)?.code, outcome.rejected.get(id)?.message];
    expect(refusal('1000')).toEqual(['23514', expect.stringMatching(/check constraint/)]);
    expect(refusal('1250')).toEqual(['22P02', expect.stringMatching(/twelve/)]);
    expect(refusal('1499')).toEqual(['23502', expect.stringMatching(/"name"/)]);
    expect(outcome.ids.size).toBe(497);
    expect(writes()).toBeLessThanOrEqual(3 * (2 * Math.log2(500) + 1));
    const [count] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from "${schema}".keyed`);
    expect(count!.n).toBe(497);
  });

  it('refuses a row to create whose key another writer added since the lookup, leaving that row as it was', async () => {
    await sql.unsafe(
      `truncate "${schema}".keyed; insert into "${schema}".keyed (legacy_id, amount, name) values (42, 9, 'theirs')`,
    );
    const records = await recordsOf('keyed');
    const outcome = await records.write([
      { sourceId: '41', payload: { legacy_id: '41', amount: '1', name: 'ours' } },
      { sourceId: '42', payload: { legacy_id: '42', amount: '1', name: 'ours' } },
    ]);
    expect([...outcome.ids.keys()]).toEqual(['41']);
    expect(outcome.rejected.get('42')?.code).toBe('23505');
    expect(outcome.rejected.get('42')?.message).toContain('key 42 already exists');
    const rows = await sql.unsafe<{ legacy_id: number; name: string }[]>(
      `select legacy_id, name from "${schema}".keyed order by legacy_id`,
    );
    expect(rows.map((r) => [r.legacy_id, r.name])).toEqual([
      [41, 'ours'],
      [42, 'theirs'],
    ]);
  });
});
