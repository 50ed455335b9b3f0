import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import {
  customerScenario,
  dropScenario,
  testClient,
  testEnv,
  testSettings,
  testStaging,
  type CustomerScenario,
} from '../support/harness';
import { exited, spawnTs } from '../support/processes';

describe('a worker killed mid-run', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let scenario: CustomerScenario;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
  });
  afterAll(async () => {
    await dropScenario(staging, scenario);
    await client.connection.close();
    await staging.close();
  });

  const written = async () => {
    const [row] = await staging.sql<
      { n: number }[]
    >`select count(*)::int as n from id_map where migration_id = ${scenario.migrationId} and state = 'written'`;
    return row!.n;
  };

  it('is replaced by a new worker and the target holds every row exactly once', async () => {
    const rows = 6000;
    scenario = await customerScenario(staging, { rows, seed: 21, pageSize: 20 });
    const started = await startPhase(client, settings, staging.db, scenario.loaded, {
      phase: 'full',
      migrationId: scenario.migrationId,
    });
    const env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
    };

    const first = spawnTs('worker/main.ts', [], env);
    let firstStderr = '';
    first.stderr!.on('data', (d: Buffer) => (firstStderr += d.toString()));
    while ((await written()) < 300) {
      if (first.exitCode !== null) throw new Error(`worker exited early: ${firstStderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.kill('SIGKILL');
    await exited(first);
    const atKill = await written();
    expect(atKill).toBeLessThan(rows);
    expect((await started.handle.describe()).status.name).toBe('RUNNING');

    const second = spawnTs('worker/main.ts', [], env);
    try {
      const result = await started.handle.result();
      expect(result.ok).toBe(true);
      expect(result.objects[0]).toMatchObject({
        source: rows,
        loaded: rows,
        quarantined: 0,
        checksumMismatches: 0,
        unaccounted: 0,
      });
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    const [target] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
      `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${scenario.schema}".customers`,
    );
    expect(target).toEqual({ n: rows, keys: rows });
  });
});
