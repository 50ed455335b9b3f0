import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { formatPhaseResult, startPhase } from '../../scripts/client/phases';
import { reconcileNow } from '../../scripts/commands/reconcile';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

const URL_ENV = 'TERN_TEST_SQL_DELTA_URL';
const ROWS = 40;

/**
 * A delta of a PostgreSQL source with an updated-at column reads the rows changed since the previous high-water
 * mark (minus the overlap) and the ids alone, not every row: inserts, updates and deletions come out exact, and
 * the deletions are verified absent from the target. A row changed without its updated-at moving is only seen by
 * the whole read the plan can ask for (`delta.read: whole`).
 */
describe('delta of a SQL source by what changed (real Temporal, real PostgreSQL)', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const schemas: string[] = [];
  const migrations: string[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    process.env[URL_ENV] = testEnv().databaseUrl;
  });
  afterAll(async () => {
    for (const id of migrations) await staging.sql`delete from migrations where id = ${id}`;
    for (const s of schemas) await staging.sql.unsafe(`drop schema if exists "${s}" cascade`);
    await client.connection.close();
    await staging.close();
  });

  const run = (loaded: LoadedPlan, migrationId: string, phase: 'full' | 'delta'): Promise<PhaseResult> =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return started.handle.result();
    });

  /** A legacy table of ROWS accounts a day apart in updated-at, an empty target table, and a plan between them. */
  async function scenario(read?: 'whole', key = 'primary key') {
    const source = uniqueId('src');
    const target = uniqueId('t');
    schemas.push(source, target);
    const migrationId = uniqueId('mig_sqldelta');
    migrations.push(migrationId);
    await staging.sql.unsafe(`
      create schema "${source}";
      create table "${source}".accounts (id bigint ${key}, name text, balance numeric(12, 2), updated_at timestamptz not null);
      insert into "${source}".accounts
        select g, 'Account ' || g, g * 10.5, timestamptz '2024-01-01 00:00:00+00' + make_interval(days => g)
        from generate_series(1, ${ROWS}) g;
      create schema "${target}";
      create table "${target}".accounts (id bigserial primary key, legacy_id text not null unique, name text,
                                         balance numeric(12, 2), source_updated_at timestamptz);`);
    const loaded = parsePlan(
      `
version: 1
name: SQL delta ${migrationId}
source: { kind: postgres, urlEnv: ${URL_ENV}, schema: ${source}, pageSize: 7 }
target: { kind: postgres, schema: ${target} }
objects:
  - name: accounts
    source: { table: accounts, id: id, updatedAt: updated_at }
    target: { table: accounts, key: legacy_id }
    sums: [balance]
    ${read ? `delta: { read: ${read} }` : ''}
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: name, to: name, transform: [trim] }
      - { from: balance, to: balance, transform: [decimal] }
      - { from: updated_at, to: source_updated_at, transform: [datetime] }
`,
      'sql-delta.yaml',
    );
    const exec = (text: string) => staging.sql.unsafe(text.replace(/\bsrc\./g, `"${source}".`));
    const targetRows = async () =>
      new Map(
        (
          await staging.sql.unsafe<{ legacy_id: string; name: string; balance: string }[]>(
            `select legacy_id, name, balance::text as balance from "${target}".accounts`,
          )
        ).map((r) => [r.legacy_id, r]),
      );
    return { migrationId, loaded, exec, targetRows, target };
  }

  it('reads only the changed rows, finds inserts, updates and deletions exactly, and verifies the deletions absent', async () => {
    const s = await scenario();
    const full = await run(s.loaded, s.migrationId, 'full');
    expect(full.ok).toBe(true);
    expect((await s.targetRows()).size).toBe(ROWS);

    await s.exec(`
      update src.accounts set name = name || ' (renamed)', updated_at = now() where id in (3, 17, 29);
      insert into src.accounts values (41, 'Account 41', 1.25, now());
      -- a new row whose updated-at is older than the mark: the id listing finds it, not the change read
      insert into src.accounts values (42, 'Account 42', 2.50, timestamptz '2001-01-01 00:00:00+00');
      delete from src.accounts where id in (5, 23);`);
    const delta = await run(s.loaded, s.migrationId, 'delta');
    const d = delta.delta!.find((x) => x.object === 'accounts')!;

    expect(d).toMatchObject({
      readScope: 'changed',
      incremental: true,
      // 3 renamed, 41 new, and row 40 (its updated-at is the mark itself, within the overlap), then 42 by id
      read: 6,
      readById: 1,
      // Only the ids of the buckets whose digests differ are listed: those of 5, 23, 41 and 42.
      idBucketsListed: 4,
      idsListed: 2,
      inserted: 2,
      updated: 3,
      deleted: 2,
      deletionsInferred: true,
      complete: true,
    });
    const rows = await s.targetRows();
    expect(rows.size).toBe(ROWS);
    expect([rows.has('5'), rows.has('23'), rows.has('41'), rows.has('42')]).toEqual([false, false, true, true]);
    expect([3, 17, 29].map((id) => rows.get(String(id))?.name)).toEqual([
      'Account 3 (renamed)',
      'Account 17 (renamed)',
      'Account 29 (renamed)',
    ]);

    const accounts = delta.objects.find((o) => o.object === 'accounts')!;
    expect(delta.ok).toBe(true);
    // Counts cover the whole object; the read-back covers what the delta touched, deletions looked up.
    expect(accounts).toMatchObject({ source: ROWS, loaded: ROWS, deleted: 2, checksumMismatches: 0 });
    expect(accounts.readBack).toMatchObject({
      scope: 'touched',
      records: 5,
      deletedChecked: 2,
      deletedPresent: 0,
    });
    expect(formatPhaseResult(delta)).toMatch(
      /accounts: read back 5 written records \(touched since .*\), 2 deleted records looked up: all absent/,
    );
    expect(formatPhaseResult(delta)).toMatch(/delta accounts: .*read changed \(6 rows\)/);

    // A deleted row put back in the target behind Tern's back: the delta's read-back of `tern reconcile` finds it.
    await staging.sql.unsafe(`insert into "${s.target}".accounts (legacy_id, name) values ('23', 'back')`);
    const whole = await reconcileNow(staging, s.migrationId, { phase: 'delta' });
    const again = whole.objects.find((o) => o.object === 'accounts')!;
    expect(again.readBack).toMatchObject({ scope: 'whole', records: ROWS, deletedPresent: 1, deletedExamples: ['23'] });
    expect(whole.ok).toBe(false);
  });

  it('rows deleted at the source that come back are staged and loaded again, found by the change read or the id listing', async () => {
    const s = await scenario();
    expect((await run(s.loaded, s.migrationId, 'full')).ok).toBe(true);
    await s.exec(`delete from src.accounts where id in (5, 23);`);
    const first = await run(s.loaded, s.migrationId, 'delta');
    expect(first.delta!.find((x) => x.object === 'accounts')).toMatchObject({ deleted: 2, deletionsInferred: true });
    expect((await s.targetRows()).size).toBe(ROWS - 2);

    // 23 comes back changed now (the change read sees it); 5 comes back with an updated-at long before the mark,
    // so only the id listing, whose staged side was read before this read staged anything, can find it.
    await s.exec(`
      insert into src.accounts values (5, 'Account 5 (back)', 52.50, timestamptz '2001-01-01 00:00:00+00');
      insert into src.accounts values (23, 'Account 23 (back)', 241.50, now());`);
    const second = await run(s.loaded, s.migrationId, 'delta');
    expect(second.delta!.find((x) => x.object === 'accounts')).toMatchObject({
      readScope: 'changed',
      readById: 1,
      updated: 2,
      inserted: 0,
      deleted: 0,
      complete: true,
    });
    const rows = await s.targetRows();
    expect(rows.size).toBe(ROWS);
    expect([rows.get('5')?.name, rows.get('23')?.name]).toEqual(['Account 5 (back)', 'Account 23 (back)']);
    const accounts = second.objects.find((o) => o.object === 'accounts')!;
    expect(second.ok).toBe(true);
    expect(accounts).toMatchObject({ source: ROWS, loaded: ROWS, deleted: 0, checksumMismatches: 0 });
  });

  it('the whole read (delta.read: whole) still catches a change that did not move the updated-at', async () => {
    for (const read of [undefined, 'whole'] as const) {
      const s = await scenario(read);
      expect((await run(s.loaded, s.migrationId, 'full')).ok).toBe(true);
      await s.exec(`update src.accounts set name = 'Quietly renamed' where id = 12`);
      const delta = await run(s.loaded, s.migrationId, 'delta');
      const d = delta.delta!.find((x) => x.object === 'accounts')!;
      const name = (await s.targetRows()).get('12')?.name;
      if (read === 'whole') {
        expect(d).toMatchObject({ readScope: 'whole', read: ROWS, updated: 1, deleted: 0 });
        expect(d.readReason).toMatch(/delta\.read: whole/);
        expect(name).toBe('Quietly renamed');
      } else {
        // Only the row at the mark (within the overlap) is read: the quiet change is not seen. The ids are the
        // same on both sides: every bucket's digest agrees, and no id is listed.
        expect(d).toMatchObject({ readScope: 'changed', read: 1, updated: 0, deleted: 0, idsListed: 0 });
        expect(d).toMatchObject({ idBucketsListed: 0 });
        expect(d.readReason).toMatch(/the ids of the 0 of 4096 id buckets whose digests differ/);
        expect(name).toBe('Account 12');
      }
      expect(delta.ok).toBe(true);
    }
  });

  it('an id the source repeats changes its bucket’s digest: the delta finds it and reads the source whole', async () => {
    const s = await scenario(undefined, 'not null');
    expect((await run(s.loaded, s.migrationId, 'full')).ok).toBe(true);
    await s.exec(`insert into src.accounts values (7, 'Account 7 again', 7.00, now())`);
    const delta = await run(s.loaded, s.migrationId, 'delta');
    const d = delta.delta!.find((x) => x.object === 'accounts')!;
    expect(d).toMatchObject({ readScope: 'whole', read: ROWS + 1, duplicateIds: 1, deleted: 0 });
    expect(d.readReason).toMatch(/0 row\(s\) without an id, 1 repeated id\(s\)/);
    // One of the two rows stands (the first the whole read met), the other is quarantined: one row for 7.
    const [held] = await staging.sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${s.target}".accounts where legacy_id = '7'`,
    );
    expect(held!.n).toBe(1);
    expect(delta.ok).toBe(true);
  });

  it('a change read longer than a page reads every changed row once, by id, a page at a time', async () => {
    const s = await scenario();
    expect((await run(s.loaded, s.migrationId, 'full')).ok).toBe(true);
    // 20 rows (about three pages of 7), the last of them renamed in the opposite order of their ids.
    await s.exec(`update src.accounts set name = name || ' (renamed)', updated_at = now() - make_interval(secs => id)
                  where id between 11 and 30`);
    const delta = await run(s.loaded, s.migrationId, 'delta');
    const d = delta.delta!.find((x) => x.object === 'accounts')!;
    // The 20 renamed and row 40, at the mark itself (within the overlap).
    expect(d).toMatchObject({ readScope: 'changed', read: 21, updated: 20, inserted: 0, deleted: 0, idsListed: 0 });
    const rows = await s.targetRows();
    expect([...rows.values()].filter((r) => r.name.endsWith('(renamed)')).length).toBe(20);
    expect(delta.ok).toBe(true);
  });
});
