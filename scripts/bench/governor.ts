import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import axios from 'axios';
import { loadSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import { attioSandbox, createAttioAttribute } from '../../sandboxes/attio';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { connectStaging } from '../../staging/db';
import { stagePeople, startPeopleLoad } from './staged-people';
import { ensureTemporal } from '../stack/temporal';

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

export interface GovernorBenchOptions {
  /** The sandbox's limit, requests per second. */
  rate: number;
  /** Records to create; rate × 60 makes a run of about a minute. */
  records: number;
  workers: number;
  concurrency: number;
  /** Seconds the naive client runs. */
  naiveSeconds: number;
  say: (line: string) => void;
}

const ROOT = path.resolve(__dirname, '../..');
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

function startWorker(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TERN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Governed: Temporal workers in separate processes, sharing the budget through PostgreSQL. */
async function governedRun(databaseUrl: string, options: GovernorBenchOptions): Promise<GovernorFigures> {
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
    for (let i = 0; i < options.workers; i++)
      workers.push(
        startWorker({
          DATABASE_URL: databaseUrl,
          TERN_TASK_QUEUE: settings.taskQueue,
          TERN_BENCH_ATTIO_TOKEN: TOKEN,
        }),
      );
    options.say(
      `governed: ${options.workers} worker processes × concurrency ${options.concurrency}, ${options.records} creates, sandbox limit ${options.rate}/s`,
    );
    const handle = await startPeopleLoad(client, settings.taskQueue, migrationId);
    const reconciliation = await handle.result();
    const s = sandbox.stats();
    const failed = s.requests - s.handled - s.injected429 - s.rateLimited + reconciliation.quarantined;
    return figures(sandbox, options.rate, failed);
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

export async function governorBench(databaseUrl: string, options: GovernorBenchOptions) {
  const governed = await governedRun(databaseUrl, options);
  options.say(`governed: ${JSON.stringify(governed)}`);
  const naive = await naiveRun(options);
  options.say(`naive:    ${JSON.stringify(naive)}`);
  return {
    allowedRps: governed.allowedRps,
    achievedRps: governed.achievedRps,
    utilization: governed.utilization,
    unplanned429: governed.unplanned429,
    failedRequests: governed.failedRequests,
    naive: {
      allowedRps: naive.allowedRps,
      achievedRps: naive.achievedRps,
      utilization: naive.utilization,
      unplanned429: naive.unplanned429,
      failedRequests: naive.failedRequests,
    },
  };
}
