import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import axios from 'axios';
import type postgres from 'postgres';
import { loadSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import { attio } from '../../connectors/attio/declaration';
import { RateGovernor } from '../../connectors/kit/governor';
import { PostgresBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient } from '../../connectors/kit/http';
import { attioSandbox, createAttioAttribute } from '../../sandboxes/attio';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { connectStaging, openSql } from '../../staging/db';
import { frontBudgetRun } from './governor-front';
import { stagePeople, startPeopleLoad } from './staged-people';
import { ensureTemporal } from '../stack/temporal';
import { startGovernedWorker, type WorkerGovernorStats } from './worker-process';

/** What the governor benchmark reports, for the governed run and for a naive client beside it. */
export interface GovernorFigures {
  allowedRps: number;
  achievedRps: number;
  utilization: number;
  unplanned429: number;
  failedRequests: number;
  requests: number;
  seconds: number;
}

/** Statements to the shared budget row per request the budget let through. */
export interface RoundTripFigures {
  requests: number;
  roundTrips: number;
  roundTripsPerRequest: number;
  /** Leased slots that lapsed unused (the budget they stood for is lost to every process). */
  lapsedSlots: number;
  /** Leased slots given back unused by a process that fell idle. */
  givenBackSlots: number;
  utilization: number;
  unplanned429: number;
}

/** How one worker process spent its leases of the shared budget (slots are requests the budget allows). */
export interface ProcessLeaseFigures {
  /** Requests this process sent: the slots it used. */
  requests: number;
  leases: number;
  leasedSlots: number;
  /** Leased slots never sent: inside a pause, stranded (a lease came after them), or unused in time. */
  lapsedSlots: number;
  pausedSlots: number;
  strandedSlots: number;
  /** Leased slots given back unused when the process fell idle. */
  givenBackSlots: number;
  pauses: number;
}

export interface GovernorBenchOptions {
  /** The sandbox's limit, requests per second. */
  rate: number;
  /** Records to create; rate × 60 makes a run of about a minute. */
  records: number;
  workers: number;
  concurrency: number;
  /** Seconds the naive client runs. */
  naiveSeconds: number;
  /** Seconds each of the two round-trip runs (slot by slot, then leased) lasts. */
  roundTripSeconds: number;
  /** Tickets of the helpdesk loaded into Front at its documented limit (0: skip the Front path). */
  frontTickets: number;
  say: (line: string) => void;
}

const TOKEN = 'bench-attio-token';
/** 429 bursts the sandbox injects: every 20 s, for 1 s. They are not the client's fault and are not counted. */
const BURSTS = { everyMs: 20_000, forMs: 1000 };

function figures(sandbox: RunningSandbox, rate: number, failed: number): GovernorFigures {
  const s = sandbox.stats();
  const from = s.firstHandledAt ?? Date.now();
  const to = s.lastHandledAt ?? from;
  const seconds = Math.max(0.001, (to - from) / 1000);
  // During an injected burst the vendor allows nothing: that time is not part of the allowance.
  const allowedRps = (rate * Math.max(0.001, seconds - sandbox.burstMillis(from, to) / 1000)) / seconds;
  const achievedRps = s.handled / seconds;
  return {
    allowedRps: Number(allowedRps.toFixed(2)),
    achievedRps: Number(achievedRps.toFixed(2)),
    utilization: Number((achievedRps / allowedRps).toFixed(4)),
    unplanned429: s.rateLimited,
    failedRequests: failed,
    requests: s.requests,
    seconds: Number(seconds.toFixed(1)),
  };
}

/**
 * Rows written to `rate_budgets` so far, by PostgreSQL's own count: every lease and pause of every process is
 * one (the workers' store counters die with them).
 */
async function budgetRowStatements(sql: postgres.Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select coalesce(sum(n_tup_ins + n_tup_upd), 0)::int as n from pg_stat_user_tables where relname = 'rate_budgets'`;
  return row!.n;
}

function leaseFigures(stats: WorkerGovernorStats['stats'] | undefined): ProcessLeaseFigures {
  return {
    requests: stats?.requests ?? 0,
    leases: stats?.leases ?? 0,
    leasedSlots: stats?.leasedSlots ?? 0,
    lapsedSlots: stats?.lapsedSlots ?? 0,
    pausedSlots: stats?.pausedSlots ?? 0,
    strandedSlots: stats?.strandedSlots ?? 0,
    givenBackSlots: stats?.givenBackSlots ?? 0,
    pauses: stats?.pauses ?? 0,
  };
}

/** Governed: Temporal workers in separate processes, sharing the budget through PostgreSQL. */
async function governedRun(
  databaseUrl: string,
  options: GovernorBenchOptions,
): Promise<GovernorFigures & { budgetRowStatementsPerRequest: number; processes: ProcessLeaseFigures[] }> {
  const settings = loadSettings({
    ...process.env,
    DATABASE_URL: databaseUrl,
    TERN_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
  });
  await ensureTemporal(settings, options.say);
  const staging = await connectStaging(databaseUrl);
  const sandbox = await startSandbox(attioSandbox, {
    seed: 5,
    rate: options.rate,
    faults: { burst429: BURSTS },
    credentials: { tokens: [TOKEN] },
  });
  createAttioAttribute(sandbox.store, 'people', { api_slug: 'tern_id', is_unique: true });
  const migrationId = `mig_bench_${randomBytes(4).toString('hex')}`;
  const workers: ChildProcess[] = [];
  const reports: Promise<WorkerGovernorStats[]>[] = [];
  const client = await connectClient(settings.temporal);
  try {
    await stagePeople(staging, {
      migrationId,
      count: options.records,
      baseUrl: sandbox.url,
      tokenEnv: 'TERN_BENCH_ATTIO_TOKEN',
      rate: options.rate,
      concurrency: options.concurrency,
      pageSize: 50,
    });
    for (let i = 0; i < options.workers; i++) {
      const { worker, governors } = startGovernedWorker({
        DATABASE_URL: databaseUrl,
        TERN_TASK_QUEUE: settings.taskQueue,
        TERN_BENCH_ATTIO_TOKEN: TOKEN,
      });
      workers.push(worker);
      reports.push(governors);
    }
    options.say(
      `governed: ${options.workers} worker processes × concurrency ${options.concurrency}, ${options.records} creates, sandbox limit ${options.rate}/s`,
    );
    const statementsBefore = await budgetRowStatements(staging.sql);
    const handle = await startPeopleLoad(client, settings.taskQueue, migrationId);
    const reconciliation = await handle.result();
    const s = sandbox.stats();
    const failed = s.requests - s.handled - s.injected429 - s.rateLimited + reconciliation.quarantined;
    const governed = figures(sandbox, options.rate, failed);
    // A worker's statistics reach PostgreSQL's counts when its connections close.
    const exits = workers.filter((w) => w.exitCode === null && w.signalCode === null).map((w) => once(w, 'exit'));
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(exits);
    const key = `attio:${sandbox.url}`;
    const processes = (await Promise.all(reports)).map((governors) =>
      leaseFigures(governors.find((g) => g.key === key)?.stats),
    );
    await new Promise((r) => setTimeout(r, 1500));
    const statements = (await budgetRowStatements(staging.sql)) - statementsBefore;
    return {
      ...governed,
      budgetRowStatementsPerRequest: Number((statements / Math.max(1, s.requests)).toFixed(3)),
      processes,
    };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await client.connection.close();
    await sandbox.close();
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from rate_budgets where key like ${'attio:' + sandbox.url + '%'}`;
    await staging.close();
  }
}

/**
 * Naive: the same number of concurrent senders, no governor. It retries a 429 or a 5xx after one second,
 * five times, then gives the record up: what an at-least-once sync script does.
 */
async function naiveRun(options: GovernorBenchOptions): Promise<GovernorFigures> {
  const sandbox = await startSandbox(attioSandbox, {
    seed: 5,
    rate: options.rate,
    faults: { burst429: BURSTS },
    credentials: { tokens: [TOKEN] },
  });
  createAttioAttribute(sandbox.store, 'people', { api_slug: 'tern_id', is_unique: true });
  const http = axios.create({
    baseURL: sandbox.url,
    headers: { authorization: `Bearer ${TOKEN}` },
    validateStatus: () => true,
  });
  const deadline = Date.now() + options.naiveSeconds * 1000;
  let n = 0;
  let failed = 0;
  const lane = async () => {
    while (Date.now() < deadline) {
      const id = `n${n++}`;
      let ok = false;
      for (let attempt = 1; attempt <= 5 && !ok; attempt++) {
        const r = await http.post('/v2/objects/people/records', { data: { values: { name: [id], tern_id: [id] } } });
        ok = r.status < 300;
        if (!ok && attempt < 5) await new Promise((res) => setTimeout(res, 1000));
      }
      if (!ok) failed += 1;
    }
  };
  try {
    options.say(
      `naive: ${options.workers * options.concurrency} concurrent senders, no governor, ${options.naiveSeconds} s`,
    );
    await Promise.all(Array.from({ length: options.workers * options.concurrency }, lane));
    return figures(sandbox, options.rate, failed);
  } finally {
    await sandbox.close();
  }
}

/**
 * Two governors, each with its own connection to the shared row (as two worker processes have), creating people
 * at the sandbox's limit for a while: statements to the row per request, slot by slot (as before leases, one
 * committed round trip per request) or leased.
 */
async function roundTripRun(
  databaseUrl: string,
  options: GovernorBenchOptions,
  leaseMs: number | undefined,
): Promise<RoundTripFigures> {
  const sandbox = await startSandbox(attioSandbox, { seed: 5, rate: options.rate, credentials: { tokens: [TOKEN] } });
  createAttioAttribute(sandbox.store, 'people', { api_slug: 'tern_id', is_unique: true });
  const connections = [await openSql(databaseUrl, { max: 1 }), await openSql(databaseUrl, { max: 1 })];
  const key = `attio:${sandbox.url}`;
  const budget = { ...attio.budget, ratePerSecond: options.rate, concurrency: options.concurrency };
  const governors = connections.map(
    (sql) => new RateGovernor(key, budget, new PostgresBudgetStore(sql), leaseMs === undefined ? {} : { leaseMs }),
  );
  const deadline = Date.now() + options.roundTripSeconds * 1000;
  let n = 0;
  let failed = 0;
  try {
    await Promise.all(
      governors.flatMap((governor) => {
        const api = new VendorClient(
          attio,
          { baseUrl: sandbox.url, credentials: { kind: 'bearer', tokenEnv: 'TERN_BENCH_ATTIO_TOKEN' } },
          { governor, env: { TERN_BENCH_ATTIO_TOKEN: TOKEN } },
        );
        return Array.from({ length: options.concurrency }, async () => {
          while (Date.now() < deadline) {
            const id = `r${n++}`;
            await api
              .request({
                method: 'post',
                url: '/v2/objects/people/records',
                data: { data: { values: { name: [id], tern_id: [id] } } },
                operation: 'create people',
              })
              .catch(() => (failed += 1));
          }
        });
      }),
    );
    const requests = governors.reduce((sum, g) => sum + g.stats.requests, 0);
    const roundTrips = governors.reduce((sum, g) => sum + g.store.roundTrips, 0);
    const f = figures(sandbox, options.rate, failed);
    return {
      requests,
      roundTrips,
      roundTripsPerRequest: Number((roundTrips / Math.max(1, requests)).toFixed(3)),
      lapsedSlots: governors.reduce((sum, g) => sum + g.stats.lapsedSlots, 0),
      givenBackSlots: governors.reduce((sum, g) => sum + g.stats.givenBackSlots, 0),
      utilization: f.utilization,
      unplanned429: f.unplanned429,
    };
  } finally {
    await Promise.all(
      connections.map(async (sql) => {
        await sql`delete from rate_budgets where key = ${key}`;
        await sql.end({ timeout: 5 });
      }),
    );
    await sandbox.close();
  }
}

export async function governorBench(databaseUrl: string, options: GovernorBenchOptions) {
  const governed = await governedRun(databaseUrl, options);
  options.say(`governed: ${JSON.stringify(governed)}`);
  const naive = await naiveRun(options);
  options.say(`naive:    ${JSON.stringify(naive)}`);
  const slotBySlot = await roundTripRun(databaseUrl, options, 0);
  options.say(`slot by slot (before leases): ${JSON.stringify(slotBySlot)}`);
  const leased = await roundTripRun(databaseUrl, options, undefined);
  options.say(`leased: ${JSON.stringify(leased)}`);
  const front =
    options.frontTickets > 0
      ? await frontBudgetRun(databaseUrl, { tickets: options.frontTickets, say: options.say })
      : null;
  if (front) options.say(`front path: ${JSON.stringify(front)}`);
  return {
    allowedRps: governed.allowedRps,
    achievedRps: governed.achievedRps,
    utilization: governed.utilization,
    unplanned429: governed.unplanned429,
    failedRequests: governed.failedRequests,
    /** Rows written to the shared budget row per request, over the governed run's worker processes. */
    budgetRowStatementsPerRequest: governed.budgetRowStatementsPerRequest,
    /** How each worker process of the governed run spent its leases: slots used, lapsed (and why), given back. */
    governedProcesses: governed.processes,
    /** Statements per request from the stores themselves: slot by slot (before leases) and leased. */
    roundTripsPerRequest: { before: slotBySlot.roundTripsPerRequest, after: leased.roundTripsPerRequest },
    roundTrips: { before: slotBySlot, after: leased },
    usefulWritesPerAllowedRequest: front?.usefulWritesPerAllowedRequest ?? null,
    front,
    naive: {
      allowedRps: naive.allowedRps,
      achievedRps: naive.achievedRps,
      utilization: naive.utilization,
      unplanned429: naive.unplanned429,
      failedRequests: naive.failedRequests,
    },
  };
}
