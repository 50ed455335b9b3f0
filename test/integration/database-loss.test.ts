import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { DatabaseUnreachableError, TransientDatabaseError } from '../../common/errors';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { explain, EXIT } from '../../scripts/exit-codes';
import { openSql, type Staging } from '../../staging/db';
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
import { TcpProxy } from '../support/tcp-proxy';

/**
 * A database that goes away for a moment (a restart, a reset connection, a failover) is an outage, not a
 * problem a person must fix: the activity is retried with Temporal's backoff and the phase completes, every
 * record once. The loss is made deterministic by a TCP proxy in front of the machine's PostgreSQL (which
 * other tests use, so it is never restarted): it refuses connections, or resets one mid-read.
 */
describe('transient database loss during a phase', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let proxy: TcpProxy;
  const scenarios: CustomerScenario[] = [];
  const schemas: string[] = [];
  const migrations: string[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    proxy = await TcpProxy.start(testEnv().databaseUrl);
  });
  afterAll(async () => {
    await proxy.close();
    for (const s of scenarios) await dropScenario(staging, s);
    for (const schema of schemas) await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    for (const id of migrations) {
      await staging.sql`delete from migrations where id = ${id}`;
      await staging.sql`delete from audit_log where migration_id = ${id}`;
    }
    await client.connection.close();
    await staging.close();
  });
  beforeEach(() => proxy.reset());

  it('a target database that refuses the first connections: the phase retries and loads every row once', async () => {
    const urlEnv = `TERN_TEST_TARGET_URL_${uniqueId('x').toUpperCase()}`;
    process.env[urlEnv] = proxy.urlFor(testEnv().databaseUrl);
    const s = await customerScenario(staging, { rows: 600 });
    scenarios.push(s);
    const planText = s.planText.replace(/(\ntarget:\n\s+kind: postgres\n)/, `$1  urlEnv: ${urlEnv}\n`);
    expect(planText).toContain(`urlEnv: ${urlEnv}`);
    const loaded = parsePlan(planText, path.join(s.dir, 'plan.yaml'));

    proxy.refuseNext(2);
    const outcome = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result().catch((err: unknown) => err);
    });

    expect(outcome).toMatchObject({ ok: true, objects: [{ object: 'customers', source: 600, loaded: 600 }] });
    expect(proxy.refused).toBe(2);
    const [rows] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
      `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${s.schema}".customers`,
    );
    expect(rows).toEqual({ n: 600, keys: 600 });
  });

  it('a source database whose connection is reset mid-read: the extract resumes and every row arrives once', async () => {
    const ROWS = 3000;
    const source = uniqueId('src');
    const target = uniqueId('tgt');
    const migrationId = uniqueId('mig_loss');
    schemas.push(source, target);
    migrations.push(migrationId);
    await staging.sql.unsafe(`
      create schema "${source}";
      create table "${source}".items (id integer primary key, name text not null, amount numeric(12,2) not null);
      insert into "${source}".items
        select i, 'item number ' || i, (i % 997) + 0.25 from generate_series(1, ${ROWS}) as i;
      create schema "${target}";
      create table "${target}".items (id bigserial primary key, legacy_id text not null, name text, amount numeric(12,2));
      create index on "${target}".items (legacy_id);`);
    const urlEnv = `TERN_TEST_SOURCE_URL_${uniqueId('x').toUpperCase()}`;
    process.env[urlEnv] = proxy.urlFor(testEnv().databaseUrl);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-loss-'));
    const loaded = parsePlan(
      `version: 1
name: Database loss ${migrationId}
source: { kind: postgres, urlEnv: ${urlEnv}, schema: ${source}, pageSize: 200 }
target: { kind: postgres, schema: ${target} }
objects:
  - name: items
    source: { table: items, id: id }
    target: { table: items, key: legacy_id }
    pageSize: 1000
    sums: [amount]
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: name, to: name, transform: [trim] }
      - { from: amount, to: amount, transform: [decimal] }
`,
      path.join(dir, 'plan.yaml'),
    );

    // The first source connection is reset after ~30 KB of rows: a few pages in, well before the end.
    proxy.cutNextAfter(30_000);
    const outcome = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      return started.handle.result().catch((err: unknown) => err);
    });
    fs.rmSync(dir, { recursive: true, force: true });

    expect(outcome).toMatchObject({ ok: true, objects: [{ object: 'items', source: ROWS, loaded: ROWS }] });
    expect(proxy.cut).toBe(1);
    const [rows] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
      `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${target}".items`,
    );
    expect(rows).toEqual({ n: ROWS, keys: ROWS });
  });

  it('at the CLI a database that cannot be reached is still one line and exit code 3, a wrong URL not retried', async () => {
    const refused = await openSql('postgres://postgres@127.0.0.1:1/test').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TransientDatabaseError);
    expect(refused).toBeInstanceOf(DatabaseUnreachableError);
    const refusedLine = explain(refused);
    expect(refusedLine.code).toBe(EXIT.unreachable);
    expect(refusedLine.line).toMatch(/^cannot connect to the database at .+ — fix: .+/);
    expect(refusedLine.line).not.toContain('\n');

    const url = new URL(testEnv().databaseUrl);
    url.pathname = `/${uniqueId('no_such_db')}`;
    const wrong = await openSql(url.toString()).catch((err: unknown) => err);
    expect(wrong).toBeInstanceOf(DatabaseUnreachableError);
    expect(wrong).not.toBeInstanceOf(TransientDatabaseError);
    const wrongLine = explain(wrong);
    expect(wrongLine.code).toBe(EXIT.unreachable);
    expect(wrongLine.line).toMatch(/does not exist — fix: check DATABASE_URL/);
  });
});
