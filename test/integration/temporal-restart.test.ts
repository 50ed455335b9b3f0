import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadSettings, type TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import { ensureTemporalCli, startDevServer, stopProcess, type DevServer } from '../../scripts/stack/temporal';
import type { Staging } from '../../staging/db';
import { progressQuery, type migrationPhaseWorkflow } from '../../workflows/phase';
import {
  customerScenario,
  dropScenario,
  testClient,
  testEnv,
  testSettings,
  testStaging,
  type CustomerScenario,
} from '../support/harness';
import { SupervisedWorker } from '../support/processes';
import { freePort, portOpen, sleep, waitFor } from '../support/wait';

describe('a Temporal server restarted mid-run', () => {
  let staging: Staging;
  let dir: string;
  let port: number;
  let cli: string;
  let server: DevServer | undefined;
  let settings: TernSettings;
  let worker: SupervisedWorker | undefined;
  let scenario: CustomerScenario | undefined;
  const clients: Client[] = [];

  const startServer = async () =>
    startDevServer({
      cli,
      port,
      uiPort: null,
      dbFile: path.join(dir, 'temporal.sqlite'),
      logFile: path.join(dir, 'temporal.log'),
      detached: false,
    });

  beforeAll(async () => {
    staging = await testStaging();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-restart-'));
    cli = ensureTemporalCli(loadSettings());
    port = await freePort();
    server = await startServer();
    settings = testSettings({ TEMPORAL_ADDRESS: server.address });
  });
  afterAll(async () => {
    await worker?.stop();
    for (const client of clients) await client.connection.close().catch(() => undefined);
    await stopProcess(server?.pid);
    if (scenario) await dropScenario(staging, scenario);
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const written = async (migrationId: string) => {
    const [row] = await staging.sql<
      { n: number }[]
    >`select count(*)::int as n from id_map where migration_id = ${migrationId} and state = 'written'`;
    return row!.n;
  };

  it('restarting the Temporal dev server in the middle of full ends with exact reconciliation', async () => {
    const rows = 4000;
    const s = await customerScenario(staging, { rows, pageSize: 20 });
    scenario = s;
    const first = await testClient(settings);
    clients.push(first);
    const started = await startPhase(first, settings, staging.db, s.loaded, {
      phase: 'full',
      migrationId: s.migrationId,
    });

    worker = new SupervisedWorker({
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
    });
    worker.start();

    // Mid-load: several pages done, not all.
    await waitFor('the load to be under way', 120_000, async () => {
      const progress = await started.handle.query(progressQuery).catch(() => undefined);
      const customers = progress?.objects[0];
      return customers && customers.stage === 'loading' && customers.done >= 100 && customers.done < rows
        ? customers
        : undefined;
    });

    await stopProcess(server!.pid);
    await waitFor('the server port to close', 30_000, async () => ((await portOpen(port)) ? undefined : true));
    server = undefined;
    // Let a page in flight finish against the absent server (its completion is then lost).
    let last = -1;
    const atStop = await waitFor('the writes to settle', 60_000, async () => {
      const n = await written(s.migrationId);
      const settled = n === last;
      last = n;
      if (!settled) await sleep(1000);
      return settled ? n : undefined;
    });
    expect(atStop).toBeLessThan(rows);

    server = await startServer();
    const second = await testClient(settings);
    clients.push(second);
    const result = await second.workflow.getHandle<typeof migrationPhaseWorkflow>(started.workflowId).result();

    expect(result.ok).toBe(true);
    expect(result.objects).toHaveLength(1);
    expect(result.objects[0]).toMatchObject({
      object: 'customers',
      source: rows,
      loaded: rows,
      quarantined: 0,
      checksumMismatches: 0,
      unaccounted: 0,
    });
    const [target] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
      `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${s.schema}".customers`,
    );
    expect(target).toEqual({ n: rows, keys: rows });
    const states = await staging.sql<{ state: string; n: number }[]>`
      select state, count(*)::int as n from id_map where migration_id = ${s.migrationId} group by state`;
    expect(states).toEqual([{ state: 'written', n: rows }]);
  }, 300_000);
});
