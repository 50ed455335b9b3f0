import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import axios from 'axios';
import type { TernSettings } from '../../common/config';
import type { Staging } from '../../staging/db';
import { attioSandbox } from '../../sandboxes/attio';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { peopleId, stagePeople, startPeopleLoad } from '../../scripts/bench/staged-people';
import { objectProgressQuery } from '../../workflows/phase';
import { testClient, testEnv, testSettings, testStaging, uniqueId } from '../support/harness';
import { exited, spawnWorker } from '../support/processes';
import { sleep, waitFor } from '../support/wait';

const RECORDS = 10_000;

describe('SaaS writes through the write protocol', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let sandbox: RunningSandbox;
  const migrationId = uniqueId('mig_once');
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    sandbox = await startSandbox(attioSandbox, {
      seed: 11,
      rate: 400,
    });
    // What a migration does first: its key attribute, unique, through Attio's API. Then the faults begin.
    const key = await axios.post(
      `${sandbox.url}/v2/objects/people/attributes`,
      {
        data: {
          title: 'Tern ID',
          description: 'The record’s id in the legacy system',
          api_slug: 'tern_id',
          type: 'text',
          is_required: false,
          is_unique: true,
          is_multiselect: false,
          config: {},
        },
      },
      { headers: { authorization: 'Bearer attio-sandbox-token' } },
    );
    expect(key.status).toBe(200);
    sandbox.setFaults({ error5xx: 0.05, commitThenDrop: 0.02, burst429: { everyMs: 6000, forMs: 400 } });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await sandbox.close();
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await client.connection.close();
    await staging.close();
  });

  it('creates 10,000 records exactly once through 5xx, dropped commits, 429 bursts and two killed workers', async () => {
    await stagePeople(staging, {
      migrationId,
      count: RECORDS,
      baseUrl: sandbox.url,
      tokenEnv: 'TERN_TEST_ATTIO_TOKEN',
      rate: 400,
      pageSize: 250,
    });
    const env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
      TERN_TEST_ATTIO_TOKEN: 'attio-sandbox-token',
    };
    const spawn = () => {
      const w = spawnWorker(env);
      workers.push(w.child);
      return w.child;
    };
    let a = spawn();
    let b = spawn();
    const handle = await startPeopleLoad(client, settings.taskQueue, migrationId);
    const written = async () => {
      const [row] = await staging.sql<{ n: number }[]>`
        select count(*)::int as n from id_map where migration_id = ${migrationId} and state = 'written'`;
      return row!.n;
    };
    // Kill one worker a quarter of the way in and the other past half way, each mid-batch, and replace them.
    await waitFor('a quarter written', 300_000, async () => ((await written()) >= RECORDS / 4 ? true : undefined));
    a.kill('SIGKILL');
    await exited(a);
    a = spawn();
    await waitFor('over half written', 300_000, async () => ((await written()) >= RECORDS * 0.55 ? true : undefined));
    b.kill('SIGKILL');
    await exited(b);
    b = spawn();
    const progress = await handle.query(objectProgressQuery);
    expect(progress.total).toBeGreaterThanOrEqual(0);

    const reconciliation = await handle.result();
    await sleep(100);
    const stats = sandbox.stats();
    const people = sandbox.store.collection<{ values: Record<string, { value: string }[]> }>('records:people');
    const ternIds = [...people.values()].map((r) => r.values.tern_id?.[0]?.value);
    const writes = sandbox.writes.summary().people!;

    console.log(
      `exactly-once: ${JSON.stringify({ reconciliation, injected5xx: stats.injected5xx, commitThenDrop: stats.commitThenDrop, resets: stats.resets, injected429: stats.injected429, rateLimited: stats.rateLimited, requests: stats.requests, writes })}`,
    );
    expect(stats.specViolations).toEqual([]);
    expect(stats.unknownRoutes).toEqual([]);
    // The faults really happened…
    expect(stats.injected5xx).toBeGreaterThan(100);
    expect(stats.commitThenDrop).toBeGreaterThan(50);
    expect(stats.injected429).toBeGreaterThan(0);
    // …and yet every record is there exactly once.
    expect(people.size).toBe(RECORDS);
    expect(new Set(ternIds).size).toBe(RECORDS);
    expect(writes.records).toBe(RECORDS);
    // The proof, read back from the workspace: every record loaded, none quarantined, every checksum equal.
    expect(reconciliation).toMatchObject({ source: RECORDS, loaded: RECORDS, quarantined: 0, checksumMismatches: 0 });
    expect(reconciliation.ok).toBe(true);
    expect(await written()).toBe(RECORDS);
    // The ledger names the record Attio holds for each source id.
    const [mismatched] = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from id_map where migration_id = ${migrationId} and (target_id is null or state <> 'written')`;
    expect(mismatched!.n).toBe(0);
    const sample = await staging.sql<{ source_id: string; target_id: string }[]>`
      select source_id, target_id from id_map where migration_id = ${migrationId} order by source_id limit 50`;
    for (const row of sample) expect(people.get(row.target_id)?.values.tern_id?.[0]?.value).toBe(row.source_id);
    expect(sample[0]!.source_id).toBe(peopleId(1));
  });
});
