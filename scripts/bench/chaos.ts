import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import axios from 'axios';
import { loadSettings, type TernSettings } from '../../common/config';
import { ConfigError, describeError } from '../../common/errors';
import { seededRandom } from '../../common/random';
import { connectClient, FAILURE_CONVERTER_PATH } from '../../common/temporal';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { attioSandbox, createAttioAttribute } from '../../sandboxes/attio';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { connectStaging, type Staging } from '../../staging/db';
import { progressQuery, type PhaseResult } from '../../workflows/phase';
import type { RollbackResult } from '../../workflows/rollback';
import { startPhase } from '../client/phases';
import { ensureChaosCluster, type ChaosCluster } from './chaos/cluster';
import {
  customersSource,
  deltaSource,
  draw,
  peopleSource,
  writeCsvFile,
  csvLine,
  type DeltaSource,
  type ObjectSource,
  type Unreadable,
} from './chaos/data';
import { chaosSandboxFaults, countSlowResponses, injectedBetween, statsNow } from './chaos/faults';
import { BenchTemporal, WorkerSupervisor } from './chaos/processes';
import {
  attioCount,
  attioRows,
  attioSnapshot,
  compareWithSnapshot,
  attioVersion,
  postgresCount,
  postgresFingerprint,
  postgresRows,
  postgresSnapshot,
  tally,
  type Snapshot,
  type Tally,
  type TargetRow,
} from './chaos/targets';

/**
 * `npm run bench -- chaos`: Tern's proof under fire. Two migrations side by side — generated legacy customers
 * (CSV) into a PostgreSQL table, CRM contacts (CSV) into the Attio sandbox — each with rows that existed in the
 * target before (overwritten by Tern, to be given back by the rollback). The full phase runs while the worker
 * is SIGKILLed five times, the Temporal server is restarted once, PostgreSQL (a dedicated cluster holding
 * staging, source and target) is restarted once, and the sandbox answers 5% 5xx, drops 2% of committed writes,
 * throttles in bursts and answers 1% of requests slower than the load heartbeat timeout. A delta follows whose
 * files hold unreadable lines and rows without an id; then another delta, and a rollback started while it loads.
 * Everything is counted in the targets themselves, never in Tern's ledger. The same run without faults, in the
 * same invocation, is the baseline for time.
 */

const ROOT = path.resolve(__dirname, '../..');
const ATTIO_TOKEN = 'attio-sandbox-token';
/**
 * Records per load page of the Attio object. An object's pages load one after another, and a page with one
 * slow response waits for it: large pages keep the number of such waits, and the run, bounded.
 */
const ATTIO_PAGE = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChaosOptions {
  /** Records of the full phase, both targets together. */
  records: number;
  /** Share of the records that go to the SaaS sandbox (the rest to PostgreSQL). */
  saasShare: number;
  seed: number;
  /** Worker SIGKILLs during the full phase. */
  workerKills: number;
  /** The whole invocation's time budget; a phase still running when it is spent is terminated and reported. */
  budgetMinutes: number;
  cluster: { version: string; name: string; port: number };
  say: (line: string) => void;
}

type Target = 'postgres' | 'attio';
const TARGETS: readonly Target[] = ['postgres', 'attio'];

interface PhaseOutcome {
  status: 'completed' | 'failed' | 'timed out';
  error?: string;
  seconds: number;
  /** The phase's own reconciliation, per object: what Tern says. */
  reconciliation?: { ok: boolean; loaded: number; quarantined: number; unaccounted: number; deleted: number };
  checksumMismatches?: number;
}

interface Checkpoint extends Omit<Tally, 'lost' | 'duplicatedKeys'> {
  lost: number;
  lostExamples: string[];
  duplicatedExamples: string[];
}

export interface RunFigures {
  lost: number;
  duplicated: number;
  checksumMismatches: number;
  /** Reconciliations that never came (a phase failed or ran out of time): their mismatches are unknown. */
  reconciliationsMissing: number;
  leftAfterRollback: number;
  restoredMismatches: number;
  seconds: number;
  faults: Record<string, number>;
  phases: Record<string, Record<Target, PhaseOutcome>>;
  checkpoints: Record<string, Record<Target, Checkpoint>>;
  rollback: Record<
    Target,
    {
      /** What showed a page of the delta loading when the rollback started; null: it was not. */
      startedWhile: string | null;
      ternSaidOk: boolean | null;
      left: number;
      restoredMismatches: number;
    }
  >;
  workers: { starts: number; kills: number; exitsOnTheirOwn: number };
  /** Requests the SaaS sandbox received during the full phase (retries included). */
  saasRequestsDuringFull: number;
  chaosEvents: { kind: string; atProgress: number; second: number }[];
}

export interface ChaosFigures {
  records: number;
  lost: number;
  duplicated: number;
  checksumMismatches: number;
  leftAfterRollback: number;
  restoredMismatches: number;
  faults: Record<string, number>;
  seconds: number;
  secondsWithoutFaults: number;
  withoutFaults: Pick<
    RunFigures,
    'lost' | 'duplicated' | 'checksumMismatches' | 'leftAfterRollback' | 'restoredMismatches' | 'reconciliationsMissing'
  >;
  reconciliationsMissing: number;
  detail: { withFaults: RunFigures; withoutFaults: RunFigures };
}

/**
 * One Temporal client for a run. Never closed while a call may be pending (a closed channel under a retrying
 * call throws out of a timer): its channel reconnects by itself when the server comes back.
 */
class Clients {
  private client: Promise<Client> | undefined;
  constructor(private readonly settings: TernSettings) {}

  get(): Promise<Client> {
    this.client ??= connectClient(this.settings.temporal).catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  async close(): Promise<void> {
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await client?.connection.close().catch(() => undefined);
  }
}

/**
 * Waits for a workflow's result across server restarts. At the deadline the workflow is terminated (and
 * reported as timed out).
 */
async function awaitWorkflow<T>(
  clients: Clients,
  workflowId: string,
  deadline: number,
): Promise<{ status: PhaseOutcome['status']; value?: T; error?: string }> {
  let timedOut = false;
  const terminate = async () => {
    timedOut = true;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const client = await clients.get();
        await client.workflow.getHandle(workflowId).terminate('the chaos benchmark ran out of time');
        return;
      } catch (err) {
        if (err instanceof Error && err.name === 'WorkflowNotFoundError') return;
        await sleep(2000);
      }
    }
  };
  let terminating: Promise<void> | undefined;
  const timer = setTimeout(
    () => {
      terminating = terminate();
    },
    Math.max(0, deadline - Date.now()),
  );
  try {
    for (;;) {
      try {
        const client = await clients.get();
        const value = (await client.workflow.getHandle(workflowId).result()) as T;
        return { status: 'completed', value };
      } catch (err) {
        if (err instanceof WorkflowFailedError)
          return timedOut
            ? { status: 'timed out', error: `${workflowId} was still running when the time budget was spent` }
            : { status: 'failed', error: `${err.message}: ${describeError(err.cause ?? err)}` };
        if (timedOut && Date.now() > deadline + 60_000)
          return { status: 'timed out', error: `${workflowId}: no answer from Temporal after the time budget` };
        await sleep(1000);
      }
    }
  } finally {
    clearTimeout(timer);
    await terminating;
  }
}

/** Seven moments of the full phase, as fractions of the records loaded, drawn from the seed. */
function chaosSchedule(random: () => number, kills: number): { at: number; kind: 'kill' | 'temporal' | 'postgres' }[] {
  const kinds: ('kill' | 'temporal' | 'postgres')[] = [...Array<'kill'>(kills).fill('kill'), 'temporal', 'postgres'];
  return kinds.map((kind) => ({ kind, at: 0.03 + random() * 0.8 })).sort((a, b) => a.at - b.at);
}

/** What a run needs that outlives it: the invocation's cluster, server, bundle and budget. */
interface Invocation {
  cluster: ChaosCluster;
  temporal: BenchTemporal;
  bundlePath: string;
  staging: Staging;
  deadline: number;
  options: ChaosOptions;
}

function pgPlan(migrationId: string, schema: string, dir: string): LoadedPlan {
  const text = fs
    .readFileSync(path.join(ROOT, 'examples/demo-customers.yaml'), 'utf8')
    .replace('directory: data', `directory: ${JSON.stringify(dir)}`)
    .replace('schema: demo_target', `schema: ${schema}`)
    .replace('name: Demo customers', `name: ${migrationId}`)
    .replace('    sums: [lifetime_value]', '    sums: [lifetime_value]\n    pageSize: 500');
  const file = path.join(dir, 'plan.yaml');
  fs.writeFileSync(file, text);
  return parsePlan(text, file);
}

function attioPlan(migrationId: string, url: string, dir: string): LoadedPlan {
  const text = `version: 1
name: ${migrationId}
source:
  kind: csv
  directory: ${JSON.stringify(dir)}
target:
  kind: attio
  baseUrl: ${url}
  credentials: { kind: bearer, tokenEnv: TERN_SANDBOX_ATTIO_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
objects:
  - name: people
    source: { file: people.csv, id: id, updatedAt: updated_at }
    target: { resource: people, key: legacy_id }
    pageSize: ${ATTIO_PAGE}
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { to: name, transform: [{ template: { template: '{first_name} {last_name}' } }] }
      - { from: email, to: email_addresses, transform: [email] }
      - { from: title, to: job_title, transform: [collapse_whitespace, null_if_empty] }
`;
  const file = path.join(dir, 'plan.yaml');
  fs.writeFileSync(file, text);
  return parsePlan(text, file);
}

/** Rows that were in the target before Tern: some under a source id (Tern overwrites them), some not. */
interface Planted {
  overwritten: string[];
  untouched: string[];
}

async function plantPostgres(sql: Staging['sql'], schema: string, ids: Planted): Promise<void> {
  const rows = [...ids.overwritten, ...ids.untouched].map((legacy, i) => ({
    legacy_id: legacy,
    first_name: 'Before',
    last_name: `Planted ${i}`,
    email: `before.${i}@planted.example`,
    signup_date: '2001-02-03',
    country: 'ZZ',
    lifetime_value: '1.23',
    is_active: false,
    source_updated_at: '2001-01-01T00:00:00Z',
  }));
  await sql.unsafe(
    `insert into "${schema}".customers (legacy_id, first_name, last_name, email, signup_date, country, lifetime_value, is_active, source_updated_at)
     select legacy_id, first_name, last_name, email, signup_date::date, country, lifetime_value::numeric, is_active, source_updated_at::timestamptz
     from jsonb_to_recordset($1::jsonb) as r(legacy_id text, first_name text, last_name text, email text, signup_date text,
       country text, lifetime_value text, is_active boolean, source_updated_at text)`,
    [JSON.stringify(rows)],
  );
}

async function plantAttio(attio: RunningSandbox, ids: Planted): Promise<void> {
  createAttioAttribute(attio.store, 'people', { api_slug: 'legacy_id', title: 'Legacy id', is_unique: true });
  const api = axios.create({ baseURL: attio.url, headers: { authorization: `Bearer ${ATTIO_TOKEN}` } });
  let i = 0;
  for (const legacy of [...ids.overwritten, ...ids.untouched]) {
    i += 1;
    await api.post('/v2/objects/people/records', {
      data: {
        values: {
          legacy_id: [legacy],
          name: [`Planted Before ${i}`],
          email_addresses: [`before.${i}@planted.example`],
          job_title: ['Before'],
        },
      },
    });
  }
}

/** The ids of a source's rows. */
const idsOf = (rows: readonly string[][]) => rows.map((r) => r[0]!);

/** One whole run: full (with or without faults), delta, delta + rollback. */
async function chaosRun(inv: Invocation, withFaults: boolean): Promise<RunFigures> {
  const { options, staging } = inv;
  const say = (line: string) => options.say(`${withFaults ? 'chaos' : 'calm'}: ${line}`);
  const random = seededRandom(options.seed);
  const suffix = randomBytes(3).toString('hex');
  const ids: Record<Target, string> = { postgres: `mig_chaos_pg_${suffix}`, attio: `mig_chaos_attio_${suffix}` };
  const schema = `chaos_${suffix}`;
  const settings = loadSettings({
    ...process.env,
    DATABASE_URL: inv.cluster.url,
    TEMPORAL_ADDRESS: inv.temporal.address,
    TERN_TASK_QUEUE: `chaos-${suffix}`,
  });
  const clients = new Clients(settings);
  const dir = fs.mkdtempSync(path.join(ROOT, '.tools', 'bench-chaos-'));
  const dirs: Record<Target, string> = { postgres: path.join(dir, 'postgres'), attio: path.join(dir, 'attio') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d);
  const files: Record<Target, string> = {
    postgres: path.join(dirs.postgres, 'customers.csv'),
    attio: path.join(dirs.attio, 'people.csv'),
  };

  const attioRecords = Math.round(options.records * options.saasShare);
  const pgRecords = options.records - attioRecords;
  const freshOf = (n: number) => Math.max(20, Math.ceil(n * 0.03));
  const sources: Record<Target, ObjectSource> = {
    postgres: customersSource(pgRecords, freshOf(pgRecords), options.seed),
    attio: peopleSource(attioRecords, freshOf(attioRecords), options.seed),
  };
  const planted: Record<Target, Planted> = { postgres: { overwritten: [], untouched: [] }, attio: {} as Planted };
  for (const t of TARGETS) {
    const n = Math.max(3, Math.round(sources[t].full.length * 0.005));
    planted[t] = {
      overwritten: draw(random, idsOf(sources[t].full), n),
      untouched: Array.from({ length: n }, (_, i) => `PRE${String(i + 1).padStart(5, '0')}`),
    };
  }
  const preExisting = (t: Target) => new Set(planted[t].untouched);
  const attio = await startSandbox(attioSandbox, { seed: options.seed, rate: 100_000 });
  const slow = countSlowResponses();
  const supervisor = new WorkerSupervisor({
    DATABASE_URL: inv.cluster.url,
    TEMPORAL_ADDRESS: inv.temporal.address,
    TERN_TASK_QUEUE: settings.taskQueue,
    TERN_WORKFLOW_BUNDLE: inv.bundlePath,
    TERN_SANDBOX_ATTIO_TOKEN: ATTIO_TOKEN,
    TERN_LOG_LEVEL: 'error',
  });
  const figures: RunFigures = {
    lost: 0,
    duplicated: 0,
    checksumMismatches: 0,
    reconciliationsMissing: 0,
    leftAfterRollback: 0,
    restoredMismatches: 0,
    seconds: 0,
    faults: {},
    phases: {},
    checkpoints: {},
    rollback: {} as RunFigures['rollback'],
    workers: { starts: 0, kills: 0, exitsOnTheirOwn: 0 },
    saasRequestsDuringFull: 0,
    chaosEvents: [],
  };
  try {
    // The sources, the targets as they were before Tern, and their snapshots.
    writeCsvFile(files.postgres, sources.postgres.header, sources.postgres.full.map(csvLine));
    writeCsvFile(files.attio, sources.attio.header, sources.attio.full.map(csvLine));
    await staging.sql.unsafe(
      fs.readFileSync(path.join(ROOT, 'examples/demo-target.sql'), 'utf8').replace(/demo_target/g, schema),
    );
    await plantPostgres(staging.sql, schema, planted.postgres);
    await plantAttio(attio, planted.attio);
    const before: Record<Target, Snapshot> = {
      postgres: await postgresSnapshot(staging.sql, schema, 'customers'),
      attio: attioSnapshot(attio, 'people'),
    };
    const plans: Record<Target, LoadedPlan> = {
      postgres: pgPlan(ids.postgres, schema, dirs.postgres),
      attio: attioPlan(ids.attio, attio.url, dirs.attio),
    };
    const lostKeys: Record<Target, Set<string>> = { postgres: new Set(), attio: new Set() };
    const duplicatedMax: Record<Target, number> = { postgres: 0, attio: 0 };
    const rowsNow = async (t: Target): Promise<TargetRow[]> =>
      t === 'postgres'
        ? postgresRows(staging.sql, schema, 'customers', 'legacy_id', 'first_name')
        : attioRows(attio, 'people', 'legacy_id', 'job_title');
    const checkpoint = async (
      name: string,
      expected: Record<Target, Set<string>>,
      changed?: Record<Target, Map<string, string>>,
    ) => {
      const out = {} as Record<Target, Checkpoint>;
      for (const t of TARGETS) {
        const { lost, duplicatedKeys, ...rest } = tally(await rowsNow(t), expected[t], preExisting(t), changed?.[t]);
        out[t] = {
          ...rest,
          lost: lost.length,
          lostExamples: lost.slice(0, 10),
          duplicatedExamples: duplicatedKeys.slice(0, 10),
        };
        lostKeys[t] = new Set([...lostKeys[t], ...lost]);
        duplicatedMax[t] = Math.max(duplicatedMax[t], rest.duplicated);
      }
      figures.checkpoints[name] = out;
      say(
        `${name}: ${TARGETS.map((t) => `${t} lost ${out[t].lost}, duplicated ${out[t].duplicated}, unexpected ${out[t].unexpected}, stale ${out[t].stale}`).join('; ')}`,
      );
    };

    const runPhase = async (phase: 'full' | 'delta', name: string): Promise<number> => {
      const t0 = Date.now();
      const client = await clients.get();
      const started = await Promise.all(
        TARGETS.map((t) => startPhase(client, settings, staging.db, plans[t], { phase, migrationId: ids[t] })),
      );
      const outcomes = await Promise.all(
        started.map(async (s, i) => {
          const r = await awaitWorkflow<PhaseResult>(clients, s.workflowId, inv.deadline);
          return [TARGETS[i]!, r, (Date.now() - t0) / 1000] as const;
        }),
      );
      const seconds = (Date.now() - t0) / 1000;
      figures.phases[name] = {} as Record<Target, PhaseOutcome>;
      for (const [t, r, own] of outcomes) {
        const objects = r.value?.objects ?? [];
        const sum = (f: (o: (typeof objects)[number]) => number) => objects.reduce((n, o) => n + f(o), 0);
        figures.phases[name][t] = {
          status: r.status,
          error: r.error,
          seconds: Number(own.toFixed(1)),
          ...(r.value
            ? {
                reconciliation: {
                  ok: r.value.ok,
                  loaded: sum((o) => o.loaded),
                  quarantined: sum((o) => o.quarantined),
                  unaccounted: sum((o) => o.unaccounted),
                  deleted: sum((o) => o.deleted),
                },
                checksumMismatches: sum((o) => o.checksumMismatches),
              }
            : {}),
        };
        if (r.value) figures.checksumMismatches += sum((o) => o.checksumMismatches);
        else figures.reconciliationsMissing += 1;
        say(
          `${name} ${t}: ${r.status}${r.error ? ` (${r.error})` : ''}${r.value ? `, reconciliation ${r.value.ok ? 'OK' : 'NOT OK'}` : ''}`,
        );
      }
      return seconds;
    };

    supervisor.start();

    // The full phase, under fire.
    const fullExpected = { postgres: new Set(idsOf(sources.postgres.full)), attio: new Set(idsOf(sources.attio.full)) };
    const plantedCount = {
      postgres: planted.postgres.overwritten.length + planted.postgres.untouched.length,
      attio: planted.attio.overwritten.length + planted.attio.untouched.length,
    };
    const statsBefore = statsNow(attio.stats());
    if (withFaults) attio.setFaults(chaosSandboxFaults());
    let fullRunning = true;
    const fullStarted = Date.now();
    const chaos = withFaults
      ? (async () => {
          const events = chaosSchedule(random, options.workerKills);
          let last = 0;
          while (fullRunning && events.length > 0) {
            await sleep(500);
            // Each target's share of its records loaded, averaged: faults strike while either is loading.
            let progress: number;
            try {
              const pg = (await postgresCount(staging.sql, schema, 'customers')) - plantedCount.postgres;
              const saas = attioCount(attio, 'people') - plantedCount.attio;
              progress = (pg / pgRecords + saas / attioRecords) / 2;
            } catch {
              continue; // PostgreSQL is restarting
            }
            if (progress < events[0]!.at || Date.now() - last < 5000) continue;
            const event = events.shift()!;
            say(`at ${(100 * progress).toFixed(0)}% loaded: ${event.kind}`);
            let fired = false;
            if (event.kind === 'kill') fired = await supervisor.kill9(5000);
            else if (event.kind === 'temporal') {
              await inv.temporal.restart();
              fired = true;
            } else {
              inv.cluster.restart();
              fired = true;
            }
            if (fired)
              figures.chaosEvents.push({
                kind: event.kind,
                atProgress: Number(progress.toFixed(3)),
                second: Math.round((Date.now() - fullStarted) / 1000),
              });
            last = Date.now();
          }
        })()
      : Promise.resolve();
    let seconds = await runPhase('full', 'full').finally(() => (fullRunning = false));
    await chaos;
    attio.setFaults({});
    const injected = injectedBetween(statsBefore, attio.stats());
    const count = (kind: string) => figures.chaosEvents.filter((e) => e.kind === kind).length;
    figures.saasRequestsDuringFull = attio.stats().requests - statsBefore.requests;
    figures.faults = {
      workerKills: count('kill'),
      temporalRestarts: count('temporal'),
      postgresRestarts: count('postgres'),
      ...injected,
      slowResponses: slow.count(),
    };
    await checkpoint('full', fullExpected);

    // A delta whose files hold unreadable lines and rows without an id.
    const initial: { rows: Map<string, string[]>; unreadable: Unreadable } = {
      rows: new Map(),
      unreadable: { byId: new Map(), noIdLines: [] },
    };
    const deltas1 = {} as Record<Target, DeltaSource>;
    for (const t of TARGETS) {
      deltas1[t] = deltaSource(
        sources[t],
        { ...initial, rows: new Map(sources[t].full.map((r) => [r[0]!, r])) },
        {
          changed: 0.05,
          fresh: 0.01,
          malformed: 0.002,
          emptyIdExisting: 0.002,
          emptyIdNew: 0.001,
          marker: 'Delta1',
          updatedAt: new Date(Date.UTC(2025, 5, 1)),
        },
        random,
      );
      writeCsvFile(files[t], sources[t].header, deltas1[t].lines);
    }
    figures.faults.malformedLines = deltas1.postgres.malformed.length + deltas1.attio.malformed.length;
    figures.faults.emptyIds =
      deltas1.postgres.emptyIdExisting.length +
      deltas1.attio.emptyIdExisting.length +
      deltas1.postgres.emptyIdNew +
      deltas1.attio.emptyIdNew;
    seconds += await runPhase('delta', 'delta');
    await checkpoint(
      'delta',
      { postgres: deltas1.postgres.expected, attio: deltas1.attio.expected },
      { postgres: deltas1.postgres.changed, attio: deltas1.attio.changed },
    );

    // Another delta, and a rollback started while one of its pages is loading: in PostgreSQL the page's write
    // waits on a row lock another session holds (as a customer's application might) until 5 s after the
    // rollback started; Attio answers every request of this delta in 150–300 ms, so a page takes seconds.
    const deltas2 = {} as Record<Target, DeltaSource>;
    for (const t of TARGETS) {
      deltas2[t] = deltaSource(
        sources[t],
        deltas1[t],
        {
          changed: 0.1,
          fresh: 0.01,
          malformed: 0,
          emptyIdExisting: 0,
          emptyIdNew: 0,
          marker: 'Delta2',
          updatedAt: new Date(Date.UTC(2025, 6, 1)),
        },
        random,
      );
      writeCsvFile(files[t], sources[t].header, deltas2[t].lines);
    }
    // Pages go in source id order and new records have the highest ids: the last changed record shares its
    // page with them, so the held page has rows to insert as well as rows to update.
    const lastChanged = [...deltas2.postgres.changed.keys()].sort().pop()!;
    const held = await holdRow(staging.sql, schema, 'customers', 'legacy_id', lastChanged);
    attio.setFaults({ latency: { minMs: 150, maxMs: 300 } });
    const t2 = Date.now();
    const client = await clients.get();
    await Promise.all(
      TARGETS.map(async (t) => {
        const delta = await startPhase(client, settings, staging.db, plans[t], { phase: 'delta', migrationId: ids[t] });
        const startedWhile =
          t === 'postgres'
            ? await waitForBlockedWrite(staging.sql, schema, held.pid, Math.min(inv.deadline, Date.now() + 180_000))
            : await waitForLoading(client, delta.workflowId, inv.deadline, ATTIO_PAGE);
        const rollback = await startPhase(client, settings, staging.db, plans[t], {
          phase: 'rollback',
          migrationId: ids[t],
          reason: 'chaos benchmark: roll the cutover back mid-delta',
          by: 'bench',
        });
        say(`rollback of ${t} started while ${startedWhile ?? 'the delta was not loading'}`);
        // The page stays held 5 s after the rollback started; then the target answers as before.
        await sleep(5000);
        if (t === 'postgres') await held.release();
        else attio.setFaults({});
        const result = await awaitWorkflow<RollbackResult>(clients, rollback.workflowId, inv.deadline);
        const deltaEnd = await awaitWorkflow<PhaseResult>(clients, delta.workflowId, Date.now() + 60_000);
        say(
          `rollback of ${t}: ${result.status}${result.error ? ` (${result.error})` : ''}; the delta ${deltaEnd.status}`,
        );
        figures.rollback[t] = {
          startedWhile,
          ternSaidOk: result.value?.ok ?? null,
          left: 0,
          restoredMismatches: 0,
        };
        const secondsNow = Number(((Date.now() - t2) / 1000).toFixed(1));
        (figures.phases.rollback ??= {} as Record<Target, PhaseOutcome>)[t] = {
          status: result.status,
          error: result.error,
          seconds: secondsNow,
        };
        (figures.phases.delta2 ??= {} as Record<Target, PhaseOutcome>)[t] = {
          status: deltaEnd.status,
          error: deltaEnd.error,
          seconds: secondsNow,
        };
      }),
    ).finally(() => held.release());
    seconds += (Date.now() - t2) / 1000;
    attio.setFaults({});
    // A load that outlived the rollback would write after it: wait until both targets have been still a while.
    await untilStill(
      async () => `${await postgresFingerprint(staging.sql, schema, 'customers')}/${attioVersion(attio, 'people')}`,
    );
    const after: Record<Target, Snapshot> = {
      postgres: await postgresSnapshot(staging.sql, schema, 'customers'),
      attio: attioSnapshot(attio, 'people'),
    };
    for (const t of TARGETS) {
      const { left, restoredMismatches } = compareWithSnapshot(before[t], after[t]);
      figures.rollback[t].left = left;
      figures.rollback[t].restoredMismatches = restoredMismatches;
      figures.leftAfterRollback += left;
      figures.restoredMismatches += restoredMismatches;
    }
    say(
      `after the rollback: ${TARGETS.map((t) => `${t} left ${figures.rollback[t].left}, not restored ${figures.rollback[t].restoredMismatches}`).join('; ')}`,
    );
    figures.lost = TARGETS.reduce((n, t) => n + lostKeys[t].size, 0);
    figures.duplicated = TARGETS.reduce((n, t) => n + duplicatedMax[t], 0);
    figures.seconds = Number(seconds.toFixed(1));
    return figures;
  } finally {
    await supervisor.stop();
    figures.workers = {
      starts: supervisor.starts,
      kills: supervisor.kills,
      exitsOnTheirOwn: supervisor.exitsOnTheirOwn,
    };
    slow.restore();
    await clients.close();
    await attio.close();
    for (const id of Object.values(ids)) {
      await staging.sql`delete from migrations where id = ${id}`.catch(() => undefined);
      await staging.sql`delete from audit_log where migration_id = ${id}`.catch(() => undefined);
    }
    await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until the phase loads its last page (an object in its loading stage with at most `lastPage` records
 * left: the page with the new records); says what it saw.
 */
async function waitForLoading(
  client: Client,
  workflowId: string,
  deadline: number,
  lastPage: number,
): Promise<string | null> {
  const handle = client.workflow.getHandle(workflowId);
  while (Date.now() < deadline) {
    const progress = await handle.query(progressQuery).catch(() => undefined);
    const loading = progress?.objects.find(
      (o) => o.stage === 'loading' && o.total > 0 && o.done < o.total && o.total - o.done <= lastPage,
    );
    if (loading) return `the delta was loading its last page (${loading.done} of ${loading.total} records done)`;
    const status = await handle.describe().then(
      (d) => d.status.name,
      () => 'UNKNOWN',
    );
    if (status !== 'RUNNING' && status !== 'UNKNOWN') return null;
    await sleep(50);
  }
  return null;
}

/** Another session's lock on one target row, held until released: a write to that row waits meanwhile. */
async function holdRow(
  sql: Staging['sql'],
  schema: string,
  table: string,
  key: string,
  value: string,
): Promise<{ pid: number; release(): Promise<void> }> {
  const session = await sql.reserve();
  const [me] = await session<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await session`begin`;
  await session.unsafe(`select 1 from "${schema}"."${table}" where "${key}" = $1 for update`, [value]);
  let released: Promise<void> | undefined;
  return {
    pid: me!.pid,
    release: () =>
      (released ??= (async () => {
        await session`rollback`.catch(() => undefined);
        session.release();
      })()),
  };
}

/** Waits until a session writing the target waits on the lock `holder` holds; says what it saw. */
async function waitForBlockedWrite(
  sql: Staging['sql'],
  schema: string,
  holder: number,
  deadline: number,
): Promise<string | null> {
  while (Date.now() < deadline) {
    const blocked = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where ${holder} = any(pg_blocking_pids(pid)) and query like ${`%${schema}%`}`.catch(() => []);
    if ((blocked[0]?.n ?? 0) > 0) return `a page of the delta was writing (waiting on a row lock)`;
    await sleep(50);
  }
  return null;
}

/** Resolves once `state` has not changed for 5 s (at most a minute). */
async function untilStill(state: () => Promise<string>): Promise<void> {
  let last = '';
  let since = Date.now();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const now = await state().catch(() => 'unknown');
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= 5000) return;
    await sleep(500);
  }
}

/** The chaos benchmark: the calm run (baseline), then the run under fire; both end with the rollback. */
export async function chaosBench(options: ChaosOptions): Promise<ChaosFigures> {
  if (!Number.isInteger(options.records) || options.records < 200)
    throw new ConfigError(`--records ${options.records} is too few`, 'give at least 200 records, e.g. --records 3000');
  if (!(options.saasShare > 0 && options.saasShare < 1))
    throw new ConfigError(`--saas-share ${options.saasShare} is not between 0 and 1`, 'e.g. --saas-share 0.2');
  if (!Number.isInteger(options.workerKills) || options.workerKills < 0)
    throw new ConfigError(`--kills ${options.workerKills} is not a count`, 'e.g. --kills 5');
  if (!Number.isInteger(options.seed))
    throw new ConfigError(`--seed ${options.seed} is not an integer`, 'e.g. --seed 15');
  if (!(options.budgetMinutes > 0))
    throw new ConfigError(`--budget-minutes ${options.budgetMinutes} is not a duration`, 'e.g. --budget-minutes 30');
  const started = Date.now();
  const deadline = started + options.budgetMinutes * 60_000;
  const cluster = await ensureChaosCluster({ ...options.cluster, database: 'tern', say: options.say });
  const settings = loadSettings({ ...process.env, DATABASE_URL: cluster.url });
  const dir = fs.mkdtempSync(path.join(ROOT, '.tools', 'bench-chaos-stack-'));
  let temporal: BenchTemporal | undefined;
  let staging: Staging | undefined;
  try {
    options.say('building the workflow bundle');
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => options.say(m), log() {} },
    });
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, code);
    temporal = await BenchTemporal.start(settings, dir, options.say);
    options.say(`Temporal dev server on ${temporal.address}; PostgreSQL ${cluster.url}`);
    staging = await connectStaging(cluster.url);
    // What an interrupted earlier invocation left in the bench's own database.
    for (const { nspname } of await staging.sql<{ nspname: string }[]>`
      select nspname from pg_namespace where nspname like 'chaos\\_%'`)
      await staging.sql.unsafe(`drop schema "${nspname}" cascade`);
    await staging.sql`delete from migrations where id like 'mig\\_chaos\\_%'`;
    const inv: Invocation = { cluster, temporal, bundlePath, staging, deadline, options };
    const calm = await chaosRun(inv, false);
    options.say(`calm: ${JSON.stringify({ ...calm, checkpoints: undefined, phases: undefined })}`);
    const fire = await chaosRun(inv, true);
    const headline = (r: RunFigures) => ({
      lost: r.lost,
      duplicated: r.duplicated,
      checksumMismatches: r.checksumMismatches,
      leftAfterRollback: r.leftAfterRollback,
      restoredMismatches: r.restoredMismatches,
      reconciliationsMissing: r.reconciliationsMissing,
    });
    return {
      records: options.records,
      ...headline(fire),
      faults: fire.faults,
      seconds: fire.seconds,
      secondsWithoutFaults: calm.seconds,
      withoutFaults: headline(calm),
      detail: { withFaults: fire, withoutFaults: calm },
    };
  } finally {
    await staging?.close().catch(() => undefined);
    await temporal?.stop();
    try {
      cluster.stop();
    } catch (err) {
      options.say(`could not stop the chaos cluster: ${describeError(err)}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    options.say(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}
