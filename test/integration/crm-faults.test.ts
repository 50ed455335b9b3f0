import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DryRunCounts } from '../../activities/preferences';
import { loadSettings, type TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { loadPreferencesReport } from '../../report/preferences';
import { generateLegacyCrm } from '../../scripts/generate/legacy-crm';
import { ensureTemporalCli, startDevServer, stopProcess, type DevServer } from '../../scripts/stack/temporal';
import type { Staging } from '../../staging/db';
import {
  progressQuery,
  type migrationPhaseWorkflow,
  type PhaseProgress,
  type PhaseResult,
} from '../../workflows/phase';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';
import { exited, ROOT, spawnWorker, stopChild, SupervisedWorker } from '../support/processes';
import { freePort, portOpen, sleep, waitFor } from '../support/wait';

/**
 * Faults in the middle of the full phase of the generated CRM (four objects, references between them,
 * filters, duplicates and quarantines): a SIGKILLed worker, and a Temporal dev server stopped and started
 * again on its SQLite file. Either way the phase must end with exactly the outcome the preferences dry run
 * predicted for every object, and every loaded record in the target exactly once.
 */

const SEED = 20261125;
const SCALE = 0.1; // 5,500 legacy rows
const PAGE_SIZE = 25; // hundreds of pages in the full phase
const TABLES = ['accounts', 'contacts', 'deals', 'activities'];

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function crmPlan(legacy: string, target: string, migrationId: string): LoadedPlan {
  const lines = fs
    .readFileSync(path.join(ROOT, 'examples/legacy-crm.yaml'), 'utf8')
    .replace(/schema: legacy_crm/, `schema: ${legacy}`)
    .replace(/schema: crm_target/, `schema: ${target}`)
    .replace(/^name: Legacy CRM$/m, `name: CRM faults ${migrationId}`)
    .split('\n');
  const out: string[] = [];
  let inObject = false;
  let inserted = 0;
  for (const line of lines) {
    out.push(line);
    if (/^ {2}- name: \w+/.test(line)) inObject = true;
    else if (inObject && /^ {4}target: /.test(line)) {
      out.push(`    pageSize: ${PAGE_SIZE}`);
      inserted += 1;
      inObject = false;
    }
  }
  if (inserted !== TABLES.length) throw new Error(`pageSize inserted into ${inserted} objects, not ${TABLES.length}`);
  return parsePlan(out.join('\n'), path.join(ROOT, 'examples/legacy-crm.yaml'));
}

describe('faults in the middle of full on the generated CRM (real Temporal, real PostgreSQL)', () => {
  let staging: Staging;
  const legacy = uniqueId('legacy');
  const targets: string[] = [];
  const migrationIds: string[] = [];
  const clients: Client[] = [];
  const children: ChildProcess[] = [];
  const supervised: SupervisedWorker[] = [];
  const servers: (DevServer | undefined)[] = [];
  const dirs: string[] = [];
  const previousLegacyUrl = process.env.LEGACY_CRM_URL;

  beforeAll(async () => {
    staging = await testStaging();
    await generateLegacyCrm(staging.sql, { schema: legacy, seed: SEED, scale: SCALE });
    // The plan's source is the legacy schema in the test database (read through LEGACY_CRM_URL).
    process.env.LEGACY_CRM_URL = testEnv().databaseUrl;
  });
  afterAll(async () => {
    for (const w of supervised) await w.stop();
    for (const child of children) await stopChild(child, 'SIGKILL');
    for (const client of clients) await client.connection.close().catch(() => undefined);
    for (const server of servers) await stopProcess(server?.pid);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    await staging.sql.unsafe(`drop schema if exists "${legacy}" cascade`);
    for (const t of targets) await staging.sql.unsafe(`drop schema if exists "${t}" cascade`);
    for (const id of migrationIds) {
      await staging.sql`delete from migrations where id = ${id}`;
      await staging.sql`delete from audit_log where migration_id = ${id}`;
    }
    await staging.close();
    if (previousLegacyUrl === undefined) delete process.env.LEGACY_CRM_URL;
    else process.env.LEGACY_CRM_URL = previousLegacyUrl;
  });

  /** A fresh target schema and migration id, and the plan between the legacy schema and that target. */
  const scenario = async () => {
    const target = uniqueId('crm');
    const migrationId = uniqueId('mig_faults');
    targets.push(target);
    migrationIds.push(migrationId);
    await staging.sql.unsafe(
      fs.readFileSync(path.join(ROOT, 'examples/crm-target.sql'), 'utf8').replace(/crm_target/g, target),
    );
    return { target, migrationId, loaded: crmPlan(legacy, target, migrationId) };
  };

  /** Preferences with an in-process worker; returns the dry run's prediction per object. */
  const preferences = async (
    settings: TernSettings,
    client: Client,
    loaded: LoadedPlan,
    migrationId: string,
  ): Promise<Map<string, DryRunCounts>> => {
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'preferences', migrationId });
      return started.handle.result();
    });
    expect(result.ok).toBe(true);
    const report = await loadPreferencesReport(staging.db, migrationId);
    const predicted = new Map(report.objects.map((o) => [o.object, o.dryRun!]));
    expect([...predicted.keys()]).toEqual(TABLES);
    for (const [object, d] of predicted) expect({ object, dryRun: d !== undefined }).toEqual({ object, dryRun: true });
    return predicted;
  };

  /** Waits until some records are loaded and an object is still loading (the phase is not finished). */
  const midLoad = (
    handle: WorkflowHandle<typeof migrationPhaseWorkflow>,
    atLeast: number,
    alive: () => void,
  ): Promise<PhaseProgress> =>
    waitFor('the full phase to be under way', 120_000, async () => {
      alive();
      const progress = await handle.query(progressQuery).catch(() => undefined);
      if (!progress) return undefined;
      const done = progress.objects.reduce((n, o) => n + o.done, 0);
      return done >= atLeast && progress.objects.some((o) => o.stage === 'loading') ? progress : undefined;
    });

  const written = async (migrationId: string) => {
    const [row] = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from id_map where migration_id = ${migrationId} and state = 'written'`;
    return row!.n;
  };

  /** The phase ended exactly as the dry run predicted, and the target holds every loaded record once. */
  const expectExactReconciliation = async (
    result: PhaseResult,
    predicted: Map<string, DryRunCounts>,
    target: string,
    migrationId: string,
  ) => {
    expect(result.ok).toBe(true);
    expect(result.objects.map((o) => o.object)).toEqual(TABLES);
    for (const o of result.objects) {
      const d = predicted.get(o.object)!;
      expect({
        object: o.object,
        source: o.source,
        loaded: o.loaded,
        quarantined: o.quarantined,
        filtered: o.filtered,
        deduplicated: o.deduplicated,
        checksumMismatches: o.checksumMismatches,
        unaccounted: o.unaccounted,
      }).toEqual({
        object: o.object,
        source: d.source,
        loaded: d.loaded,
        quarantined: sum(d.quarantined),
        filtered: sum(d.filtered),
        deduplicated: d.deduplicated,
        checksumMismatches: 0,
        unaccounted: 0,
      });
      const [rows] = await staging.sql.unsafe<{ rows: number; keys: number }[]>(
        `select count(*)::int as rows, count(distinct legacy_id)::int as keys from "${target}"."${o.object}"`,
      );
      expect({ table: o.object, ...rows }).toEqual({ table: o.object, rows: d.loaded, keys: d.loaded });
    }
    const states = await staging.sql<{ object: string; state: string; n: number }[]>`
      select object, state, count(*)::int as n from id_map where migration_id = ${migrationId}
      group by 1, 2 order by 1, 2`;
    expect(states.filter((s) => s.state === 'pending')).toEqual([]);
    const writtenByObject = Object.fromEntries(states.filter((s) => s.state === 'written').map((s) => [s.object, s.n]));
    expect(writtenByObject).toEqual(Object.fromEntries(TABLES.map((t) => [t, predicted.get(t)!.loaded])));
  };

  it('SIGKILL of the worker in the middle of full ends with exact reconciliation', async () => {
    const settings = testSettings();
    const client = await testClient(settings);
    clients.push(client);
    const { target, migrationId, loaded } = await scenario();
    const predicted = await preferences(settings, client, loaded, migrationId);
    const toLoad = [...predicted.values()].reduce((n, d) => n + d.loaded, 0);

    const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
    const env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
      LEGACY_CRM_URL: testEnv().databaseUrl,
    };
    const first = spawnWorker(env);
    children.push(first.child);
    await midLoad(started.handle, Math.floor(toLoad / 3), () => {
      if (first.child.exitCode !== null) throw new Error(`worker exited early: ${first.stderr()}`);
    });
    first.child.kill('SIGKILL');
    await exited(first.child);
    const atKill = await written(migrationId);
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(toLoad);
    expect((await started.handle.describe()).status.name).toBe('RUNNING');

    const second = spawnWorker(env);
    children.push(second.child);
    const result = await started.handle.result();
    await stopChild(second.child);
    await expectExactReconciliation(result, predicted, target, migrationId);
  }, 150_000);

  it('restarting the Temporal dev server in the middle of full ends with exact reconciliation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-crm-restart-'));
    dirs.push(dir);
    const cli = ensureTemporalCli(loadSettings());
    const port = await freePort();
    const startServer = async () => {
      const server = await startDevServer({
        cli,
        port,
        uiPort: null,
        dbFile: path.join(dir, 'temporal.sqlite'),
        logFile: path.join(dir, 'temporal.log'),
        detached: false,
      });
      servers.push(server);
      return server;
    };
    const server = await startServer();
    const settings = testSettings({ TEMPORAL_ADDRESS: server.address });
    const first = await testClient(settings);
    clients.push(first);
    const { target, migrationId, loaded } = await scenario();
    const predicted = await preferences(settings, first, loaded, migrationId);
    const toLoad = [...predicted.values()].reduce((n, d) => n + d.loaded, 0);

    const started = await startPhase(first, settings, staging.db, loaded, { phase: 'full', migrationId });
    const worker = new SupervisedWorker({
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
      LEGACY_CRM_URL: testEnv().databaseUrl,
    });
    supervised.push(worker);
    worker.start();
    await midLoad(started.handle, Math.floor(toLoad / 3), () => undefined);

    await stopProcess(server.pid);
    await waitFor('the server port to close', 30_000, async () => ((await portOpen(port)) ? undefined : true));
    // Let a page in flight finish against the absent server (its completion is then lost).
    let last = -1;
    const atStop = await waitFor('the writes to settle', 60_000, async () => {
      const n = await written(migrationId);
      const settled = n === last;
      last = n;
      if (!settled) await sleep(1000);
      return settled ? n : undefined;
    });
    expect(atStop).toBeGreaterThan(0);
    expect(atStop).toBeLessThan(toLoad);

    await startServer();
    const second = await testClient(settings);
    clients.push(second);
    const result = await second.workflow.getHandle<typeof migrationPhaseWorkflow>(started.workflowId).result();
    await worker.stop();
    await expectExactReconciliation(result, predicted, target, migrationId);
  }, 150_000);
});
