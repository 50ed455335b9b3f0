import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type postgres from 'postgres';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import {
  customerScenario,
  dropScenario,
  testClient,
  testEnv,
  testSettings,
  testStaging,
  uniqueId,
  withWorker,
  type CustomerScenario,
} from '../support/harness';
import { spawnTs, stopChild } from '../support/processes';
import { waitFor } from '../support/wait';

/** Staging's bulk-written tables. */
const STAGING_TABLES = ['staged_records', 'id_map', 'quarantine'];

/**
 * A phase must end: what Tern bulk-writes it analyses before it queries it (so a query never runs on a plan
 * made for an empty table), and a query whose activity was cancelled or timed out, or whose worker died, is
 * stopped in PostgreSQL too (so retries never pile up behind abandoned queries).
 */
describe('queries that end: analysed staging, cancelled queries', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const scenarios: CustomerScenario[] = [];
  const schemas: string[] = [];
  const migrations: string[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
  });
  afterAll(async () => {
    for (const table of STAGING_TABLES) await staging.sql.unsafe(`alter table ${table} reset (autovacuum_enabled)`);
    for (const s of scenarios) await dropScenario(staging, s);
    for (const schema of schemas) await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    for (const id of migrations) {
      for (const table of [...STAGING_TABLES, 'checkpoints', 'reconciliations', 'phase_runs', 'audit_log'])
        await staging.sql.unsafe(`delete from ${table} where migration_id = $1`, [id]).catch(() => undefined);
      await staging.sql`delete from migrations where id = ${id}`;
    }
    await client.connection.close();
    await staging.close();
  });

  /** Backends waiting for a lock on `table`. */
  const waitingOn = async (sql: postgres.Sql, table: string) =>
    sql<{ pid: number; application_name: string; query: string }[]>`
      select a.pid, a.application_name, a.query from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.relation = ${table}::regclass and not l.granted`;

  it(
    'a 100,000-row PostgreSQL table into a PostgreSQL target, staging never auto-analysed: the phase finishes',
    async () => {
      const ROWS = 100_000;
      const source = uniqueId('src');
      const target = uniqueId('tgt');
      const migrationId = uniqueId('mig_big');
      schemas.push(source, target);
      migrations.push(migrationId);
      // As shipped on this machine (autovacuum off): nothing but Tern analyses staging.
      for (const table of STAGING_TABLES)
        await staging.sql.unsafe(`alter table ${table} set (autovacuum_enabled = false)`);
      await staging.sql.unsafe(`
      create schema "${source}";
      create table "${source}".items (id integer primary key, name text not null, amount numeric(12,2) not null);
      insert into "${source}".items
        select i, 'item ' || i, (i % 997) + 0.25 from generate_series(1, ${ROWS}) as i;
      create schema "${target}";
      create table "${target}".items (id bigserial primary key, legacy_id text not null, name text, amount numeric(12,2));
      create index on "${target}".items (legacy_id);`);
      const urlEnv = `TERN_TEST_SOURCE_URL_${uniqueId('x').toUpperCase()}`;
      process.env[urlEnv] = testEnv().databaseUrl;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-big-'));
      const loaded = parsePlan(
        `version: 1
name: Big table ${migrationId}
source: { kind: postgres, urlEnv: ${urlEnv}, schema: ${source}, pageSize: 10000 }
target: { kind: postgres, schema: ${target} }
objects:
  - name: items
    source: { table: items, id: id }
    target: { table: items, key: legacy_id }
    pageSize: 10000
    sums: [amount]
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: name, to: name, transform: [trim] }
      - { from: amount, to: amount, transform: [decimal] }
`,
        path.join(dir, 'plan.yaml'),
      );

      const startedAt = Date.now();
      const outcome = await withWorker(settings, staging, async () => {
        const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
        // A generous bound: with analysed staging this takes a fraction of it; without, it never ends.
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<'did not finish'>((resolve) => {
          timer = setTimeout(() => resolve('did not finish'), 8 * 60_000);
        });
        const result = await Promise.race([started.handle.result().catch((err: unknown) => err), bound]);
        clearTimeout(timer);
        if (result === 'did not finish') {
          const busy = await staging.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity where application_name like 'tern%' and state = 'active'`;
          await started.handle.terminate('the test gave up on it');
          return { result, activeTernQueries: busy[0]?.n };
        }
        return result;
      });
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(
        `100,000-row full phase (PostgreSQL → PostgreSQL): ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
      );

      expect(outcome).toMatchObject({ ok: true, objects: [{ object: 'items', source: ROWS, loaded: ROWS }] });
      const [rows] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
        `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${target}".items`,
      );
      expect(rows).toEqual({ n: ROWS, keys: ROWS });
    },
    15 * 60_000,
  );

  it('a load cancelled while its query waits for a lock leaves no query of Tern running in PostgreSQL', async () => {
    const s = await customerScenario(staging, { rows: 300 });
    scenarios.push(s);
    const table = `"${s.schema}".customers`;
    // The test holds a lock that lets Tern read the target table but not write it: the load's insert waits.
    const holder = await staging.sql.reserve();
    try {
      await holder`begin`;
      await holder.unsafe(`lock table ${table} in share mode`);
      await withWorker(settings, staging, async () => {
        const started = await startPhase(client, settings, staging.db, s.loaded, {
          phase: 'full',
          migrationId: s.migrationId,
        });
        const waiting = await waitFor('the load to wait for the lock', 120_000, async () => {
          const rows = await waitingOn(staging.sql, table);
          return rows.length > 0 ? rows : undefined;
        });
        expect(waiting.map((w) => w.application_name)).toEqual([expect.stringMatching(/^tern/)]);

        await started.handle.cancel();
        // Cancelled, the activity stops, and so does its query: nothing keeps waiting for the lock.
        const left = await waitFor('Tern’s query to be cancelled', 90_000, async () => {
          const rows = await waitingOn(staging.sql, table);
          return rows.length === 0 ? rows : undefined;
        }).catch(async () => waitingOn(staging.sql, table));
        expect(left).toEqual([]);
        await started.handle.result().catch(() => undefined);
      });
    } finally {
      await holder`rollback`;
      holder.release();
    }
  }, 300_000);

  it('a worker killed while its query waits for a lock: PostgreSQL ends the query', async () => {
    const schema = uniqueId('held');
    schemas.push(schema);
    const table = `"${schema}".t`;
    await staging.sql.unsafe(`create schema "${schema}"; create table ${table} (id bigserial primary key)`);
    const holder = await staging.sql.reserve();
    const child = spawnTs('test/support/held-query.ts', [testEnv().databaseUrl, table], {});
    try {
      await holder`begin`;
      await holder.unsafe(`lock table ${table} in share mode`);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const pid = await waitFor('the process to print its backend pid', 60_000, () =>
        Promise.resolve(/^(\d+)\n/.exec(out)?.[1]),
      );
      await waitFor('its insert to wait for the lock', 60_000, async () => {
        const rows = await waitingOn(staging.sql, table);
        return rows.some((r) => String(r.pid) === pid) ? true : undefined;
      });
      await stopChild(child, 'SIGKILL');
      // The lock is still held: only PostgreSQL noticing the client is gone can end the query.
      const gone = await waitFor('PostgreSQL to end the dead client’s query', 60_000, async () => {
        const rows = await staging.sql`select 1 from pg_stat_activity where pid = ${Number(pid)}`;
        return rows.length === 0 ? true : undefined;
      }).catch(() => false);
      expect(gone).toBe(true);
    } finally {
      await stopChild(child, 'SIGKILL');
      await holder`rollback`;
      holder.release();
    }
  });
});
