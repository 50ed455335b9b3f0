import postgres from 'postgres';
import { PostgresTableRecords } from '../../connectors/postgres/records';
import { discoverTable, PostgresTableWriter } from '../../connectors/postgres/target';
import type { Staging } from '../../staging/db';
import { WritesFencedError } from '../../staging/repos/fence';
import { IdMapLedger } from '../../staging/repos/id-map';
import { bareMigration, testEnv, testStaging, uniqueId } from '../support/harness';

/**
 * A load page marks its records pending in one statement that also reads the write fence (locked `for share`),
 * and a page of inserts (or of updates) is written as that one statement. A rollback that raises the fence while
 * the page is marking must either see the page's pending rows or make it mark nothing: here the rollback's raise
 * is still uncommitted when the page starts, so the page waits on the fence row and, once the rollback commits,
 * must see the fence up (not the version it started from) and mark nothing. Statements are counted with
 * postgres.js's debug hook; rows are read from the ledger and the target table themselves.
 */
describe('the ledger marks a page pending in one fenced statement', () => {
  const statements: string[] = [];
  let staging: Staging;
  let sql: postgres.Sql;
  const schema = uniqueId('lbf');
  const migrations: string[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    sql = postgres(testEnv().databaseUrl, {
      max: 3,
      onnotice: () => undefined,
      debug: (_connection, query) => statements.push(query),
    });
    await sql.unsafe(`
      create schema "${schema}";
      create table "${schema}".plain (id bigserial primary key, legacy_id text not null, amount numeric(12,2));
      create index on "${schema}".plain (legacy_id);`);
  });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    for (const id of migrations) await staging.sql`delete from migrations where id = ${id}`;
    await sql.end();
    await staging.close();
  });

  async function migration(): Promise<string> {
    const id = await bareMigration(staging, 'mig_lbf');
    migrations.push(id);
    return id;
  }

  const items = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ sourceId: `S${i}`, createdByTern: true, beforeImage: null }));

  async function ledgerRows(migrationId: string) {
    return staging.sql<{ source_id: string; state: string; attempt: number }[]>`
      select source_id, state, attempt from id_map where migration_id = ${migrationId} order by source_id`;
  }

  it('marks a page pending with one statement, and a second attempt with the next attempt number', async () => {
    const m = await migration();
    const ledger = new IdMapLedger({ db: staging.db, sql }, m, 'accounts', 'full');
    statements.length = 0;
    const first = await ledger.begin(items(3));
    expect(statements).toHaveLength(1);
    expect([...first.values()]).toEqual([1, 1, 1]);
    const second = await ledger.begin(items(2));
    expect(second).toEqual(
      new Map([
        ['S0', 2],
        ['S1', 2],
      ]),
    );
    expect(await ledgerRows(m)).toEqual([
      { source_id: 'S0', state: 'pending', attempt: 2 },
      { source_id: 'S1', state: 'pending', attempt: 2 },
      { source_id: 'S2', state: 'pending', attempt: 1 },
    ]);
  });

  it('marks nothing once the fence is up', async () => {
    const m = await migration();
    await staging.sql`update migrations set writes_fenced_at = now() where id = ${m}`;
    await expect(
      new IdMapLedger({ db: staging.db, sql }, m, 'accounts', 'full').begin(items(3)),
    ).rejects.toBeInstanceOf(WritesFencedError);
    expect(await ledgerRows(m)).toEqual([]);
  });

  it('marks nothing for a migration staging no longer holds, and a deleted migration takes its ledger along', async () => {
    const m = await migration();
    const ledger = new IdMapLedger({ db: staging.db, sql }, m, 'accounts', 'full');
    const attempts = await ledger.begin(items(3));
    const written = await ledger.written(
      [...attempts].map(([sourceId, attempt]) => ({
        sourceId,
        targetId: `T${sourceId}`,
        checksum: 'c',
        fieldChecksums: { amount: 'a' },
        attempt,
      })),
    );
    expect([...written].sort()).toEqual(['S0', 'S1', 'S2']);
    expect((await ledgerRows(m)).map((r) => r.state)).toEqual(['written', 'written', 'written']);
    await staging.sql`delete from migrations where id = ${m}`;
    expect(await ledgerRows(m)).toEqual([]);
    await expect(ledger.begin(items(2))).rejects.toThrow(`migration ${m} is not in staging`);
    expect(await ledgerRows(m)).toEqual([]);
  });

  it('waits for a rollback raising the fence and then marks nothing', async () => {
    const m = await migration();
    const rollback = await staging.sql.reserve();
    try {
      await rollback`begin`;
      await rollback`update migrations set writes_fenced_at = now() where id = ${m}`;
      const marking = new IdMapLedger({ db: staging.db, sql }, m, 'accounts', 'full').begin(items(3)).then(
        () => 'marked',
        (err: unknown) => err,
      );
      // The page's statement waits on the fence row the rollback holds.
      for (let waited = 0; ; waited += 1) {
        const [blocked] = await staging.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where wait_event_type = 'Lock' and query like '%insert into id_map%'`;
        if (blocked!.n > 0) break;
        if (waited > 200) throw new Error('the page never waited on the fence');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await rollback`commit`;
      expect(await marking).toBeInstanceOf(WritesFencedError);
    } finally {
      rollback.release();
    }
    expect(await ledgerRows(m)).toEqual([]);
  });

  it('writes a page of inserts as one statement, without a transaction around it', async () => {
    const records = new PostgresTableRecords(
      new PostgresTableWriter(sql, await discoverTable(sql, schema, 'plain'), 'legacy_id'),
    );
    statements.length = 0;
    const outcome = await records.write(
      Array.from({ length: 300 }, (_, i) => ({ sourceId: `L${i}`, payload: { legacy_id: `L${i}`, amount: '1.50' } })),
    );
    expect(outcome.ids.size).toBe(300);
    expect(statements.filter((s) => /^\s*(begin|commit)\b/i.test(s))).toEqual([]);
    expect(statements.filter((s) => /^\s*insert\b/i.test(s))).toHaveLength(1);

    // A bad row fails its statement whole (nothing of it stays) and the page is bisected down to it.
    const bad = await records.write(
      Array.from({ length: 4 }, (_, i) => ({
        sourceId: `B${i}`,
        payload: { legacy_id: `B${i}`, amount: i === 2 ? 'lots' : '2.00' },
      })),
    );
    expect([...bad.rejected.keys()]).toEqual(['B2']);
    const [stored] = await sql.unsafe<{ n: number; b: number }[]>(
      `select count(*)::int as n, count(*) filter (where legacy_id like 'B%')::int as b from "${schema}".plain`,
    );
    expect(stored).toEqual({ n: 303, b: 3 });
  });

  it('finds existing rows by key, one probe per key, whatever the table holds', async () => {
    const records = new PostgresTableRecords(
      new PostgresTableWriter(sql, await discoverTable(sql, schema, 'plain'), 'legacy_id'),
    );
    const found = await records.lookup(
      ['L1', 'L299', 'B2', 'nope'].map((sourceId) => ({ sourceId, key: sourceId, targetId: null, state: null })),
    );
    expect([...found.keys()].sort()).toEqual(['L1', 'L299']);
    expect(found.get('L1')).toMatchObject({ legacy_id: 'L1', amount: '1.50' });
    expect(found.get('L1')!.__tern_id).toMatch(/^\d+$/);
  });
});
