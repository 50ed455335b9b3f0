import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadSettings, type TernSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import { estimateFullPhase } from '../../connectors/estimate';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { ticketComments, zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import { connectStaging, type Staging } from '../../staging/db';
import { startPhase } from '../client/phases';
import { ensureTemporal } from '../stack/temporal';
import {
  activitiesByWorker,
  cpuMeter,
  peakRssMb,
  withWorkerProcesses,
  type WorkerGovernorStats,
} from './worker-process';

const ROOT = path.resolve(__dirname, '../..');

/** The environment variables the sandbox plan names, with the sandboxes' default credentials. */
export const SANDBOX_CREDENTIALS = {
  TERN_SANDBOX_ZENDESK_EMAIL: 'agent@example.com',
  TERN_SANDBOX_ZENDESK_TOKEN: 'zendesk-sandbox-token',
  TERN_SANDBOX_FRONT_TOKEN: 'front-sandbox-token',
};

/**
 * examples/zendesk-to-front.yaml pointed at two sandboxes: their URLs, their credentials (by variable name),
 * and their raised limits (so the engine, not the fake, is what is measured), under its own name.
 */
/**
 * examples/zendesk-to-front.yaml pointed at two sandboxes with the sandboxes' credentials. Both budgets are raised
 * past the vendors' documented limits unless `frontAtDocumentedLimit`: then only Zendesk's is (Front's budget is
 * the one measured, as the example states it).
 */
export function sandboxPlanText(
  name: string,
  zendeskUrl: string,
  frontUrl: string,
  options: { frontAtDocumentedLimit?: boolean } = {},
): string {
  const raised = 'budget: { ratePerSecond: 1000, exceedDocumented: true }';
  const text = fs
    .readFileSync(path.join(ROOT, 'examples/zendesk-to-front.yaml'), 'utf8')
    .replace('https://acme.zendesk.com', zendeskUrl)
    .replace('https://api2.frontapp.com', frontUrl)
    .replace(
      'emailEnv: ZENDESK_EMAIL, tokenEnv: ZENDESK_API_TOKEN',
      'emailEnv: TERN_SANDBOX_ZENDESK_EMAIL, tokenEnv: TERN_SANDBOX_ZENDESK_TOKEN',
    )
    .replace('tokenEnv: FRONT_API_TOKEN', 'tokenEnv: TERN_SANDBOX_FRONT_TOKEN')
    .replace('name: zendesk-to-front', `name: ${name}`);
  const budget = /budget: \{ ratePerSecond: [\d.]+ \}/;
  // The source's budget comes first in the example, the target's second.
  return options.frontAtDocumentedLimit
    ? text.replace(budget, raised)
    : text.replace(new RegExp(budget.source, 'g'), raised);
}

export function sandboxPlan(name: string, zendeskUrl: string, frontUrl: string, dir: string): LoadedPlan {
  const text = sandboxPlanText(name, zendeskUrl, frontUrl);
  const file = path.join(dir, 'plan.yaml');
  fs.writeFileSync(file, text);
  return parsePlan(text, file);
}

export interface ZendeskFrontFigures {
  tickets: number;
  messages: number;
  attachments: number;
  /** Wall time of the full phase. */
  seconds: number;
  recordsPerSecond: number;
  requestsPerSecond: number;
  /** How busy the sandboxes' event loop was over the full phase (0–1): near 1, the bench measured the fake. */
  sandboxEventLoopUtilization: number | null;
  /** Peak resident memory of the worker process (the largest of them, with several). */
  peakRssMb: number;
  /** Worker processes serving the bench's task queues (each a `tern worker`). */
  workerProcesses: number;
  /** CPU seconds (user + system) over the full phase: each worker process, the bench's process, the machine. */
  cpuSeconds: {
    workers: number[];
    /** The bench's process: both sandboxes run in it. */
    sandboxes: number;
    /** The machine's PostgreSQL and Temporal server (other clients of theirs included). */
    postgres: number;
    temporal: number;
    /** Every busy core of the machine, PostgreSQL and Temporal included (and other jobs on the machine). */
    machine: number;
  };
  /** Activities each worker process ran over the sample and the full phase: the phase's work, shared. */
  activitiesByWorker: number[];
  /** How each worker process's governors spent their leases over the sample and the full phase, by vendor. */
  governorsByWorker: Record<string, ProcessGovernorFigures>[];
  /** The longest workflow history (every run of every workflow of the migration). */
  maxHistoryEvents: number;
  lost: number;
  duplicated: number;
  checksumMismatches: number;
  /** The full phase at Front's and Zendesk's documented limits, estimated after the sample. */
  estimatedSecondsAtDocumentedLimits: number | null;
  /** Where that estimate goes: each object's load and reconciliation (`object:stage`), in seconds at those limits. */
  estimatedSecondsByStage: Record<string, number>;
  /** Front requests of the full phase by the sandbox's name for their operation. */
  frontRequestsByOperation: Record<string, number>;
  /** Front requests of the full phase per record it loaded, by what they were for. */
  requestsPerRecord: RequestsPerRecord;
}

/** How one process's governors for one vendor spent their leases of the shared budget. */
export interface ProcessGovernorFigures {
  requests: number;
  /** Time requests spent waiting for a slot, summed over requests. */
  waitedSeconds: number;
  leases: number;
  leasedSlots: number;
  /** Leased slots nobody in the process used in time (no other process can have them). */
  lapsedSlots: number;
  givenBackSlots: number;
}

/** A worker process's governors summed by vendor (the key's first part: `front:<base url>…`). */
function governorFigures(governors: WorkerGovernorStats[]): Record<string, ProcessGovernorFigures> {
  const out: Record<string, ProcessGovernorFigures> = {};
  for (const { key, stats } of governors) {
    const vendor = key.split(':')[0]!;
    const f = (out[vendor] ??= {
      requests: 0,
      waitedSeconds: 0,
      leases: 0,
      leasedSlots: 0,
      lapsedSlots: 0,
      givenBackSlots: 0,
    });
    f.requests += stats.requests;
    f.waitedSeconds = Number((f.waitedSeconds + stats.waitedMs / 1000).toFixed(1));
    f.leases += stats.leases;
    f.leasedSlots += stats.leasedSlots;
    f.lapsedSlots += stats.lapsedSlots;
    f.givenBackSlots += stats.givenBackSlots;
  }
  return out;
}

/** Front requests per loaded record, by kind. */
export interface RequestsPerRecord {
  /** Creates, imports, updates, deletes. */
  writes: number;
  /** Reads of the load stage: what is in Front before a write. */
  lookups: number;
  /** Teammates, inboxes, tags, custom fields. */
  metadata: number;
  /** Reads of the reconciliation: every written record read back. */
  readBack: number;
  total: number;
}

/** Front's listings of its account's set-up, as the sandbox names their operations. */
const METADATA_OPERATIONS = new Set([
  'list-teammates',
  'list-inboxes',
  'list-tags',
  'list-company-tags',
  'list-contact-custom-fields',
  'list-conversation-custom-fields',
]);

const isWriteOperation = (operation: string) => /^(create|update|delete|import|add)-/.test(operation);

/**
 * Front requests by kind, from the sandbox's count per operation over the full phase: writes and metadata by
 * operation; the other reads split by stage, those of the reconciliation (staging's `vendor_requests`) being the
 * read-back, the rest the load's lookups. The reconciliation's own metadata reads (a listing or two per object)
 * count as read-back.
 */
export function requestsPerRecord(
  byOperation: Record<string, number>,
  reconcileRequests: number,
  records: number,
): RequestsPerRecord {
  let writes = 0;
  let metadata = 0;
  let reads = 0;
  for (const [operation, n] of Object.entries(byOperation)) {
    if (METADATA_OPERATIONS.has(operation)) metadata += n;
    else if (isWriteOperation(operation)) writes += n;
    else reads += n;
  }
  const readBack = Math.min(reads, reconcileRequests);
  const per = (n: number) => (records > 0 ? Number((n / records).toFixed(3)) : 0);
  return {
    writes: per(writes),
    lookups: per(reads - readBack),
    metadata: per(metadata),
    readBack: per(readBack),
    total: per(writes + metadata + reads),
  };
}

/** What each operation was called over an interval: `after` minus `before`. */
function operationsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [operation, n] of Object.entries(after)) {
    const d = n - (before[operation] ?? 0);
    if (d > 0) out[operation] = d;
  }
  return out;
}

/** The longest history among every run of every workflow whose id starts with the migration's. */
async function maxHistory(client: Client, migrationId: string): Promise<number> {
  let max = 0;
  for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH "${migrationId}/"` }))
    max = Math.max(max, w.historyLength);
  return max;
}

/**
 * What Front holds against what Zendesk held, counted in the sandboxes themselves (never Tern's ledger): every
 * live ticket a conversation, every public comment a message, every private one a note, none written twice.
 */
function countInFront(zendesk: RunningSandbox, front: RunningSandbox) {
  const live = [...zendeskCollections.tickets(zendesk.store).values()].filter((t) => t.status !== 'deleted');
  const conversations = [...frontCollections.conversations(front.store).values()].filter((c) =>
    c.thread_key?.startsWith('ref:zendesk-ticket-'),
  );
  const byThread = new Map<string, number>();
  for (const c of conversations) byThread.set(c.thread_key!, (byThread.get(c.thread_key!) ?? 0) + 1);
  const imported = new Set([...frontCollections.messages(front.store).values()].map((m) => m.external_id));
  let publicComments = 0;
  let notes = 0;
  let missing = 0;
  for (const t of live) {
    if (!byThread.has(`ref:zendesk-ticket-${t.id}`)) missing += 1;
    for (const c of ticketComments(zendesk.store, t.id)) {
      if (!c.public) {
        notes += 1;
        continue;
      }
      publicComments += 1;
      if (!imported.has(`zendesk-comment-${c.id}`)) missing += 1;
    }
  }
  const frontNotes = [...frontCollections.comments(front.store).values()].length;
  const writes = front.writes.summary();
  const duplicated =
    [...byThread.values()].filter((n) => n > 1).length +
    ['messages', 'comments', 'tags'].reduce((n, c) => n + (writes[c]?.writtenMoreThanOnce.length ?? 0), 0);
  const attachments = [
    ...frontCollections.messages(front.store).values(),
    ...frontCollections.comments(front.store).values(),
  ].reduce((n, r) => n + (r.attachments?.length ?? 0), 0);
  return {
    messages: publicComments,
    attachments,
    lost: missing + Math.max(0, notes - frontNotes),
    duplicated: duplicated + Math.max(0, frontNotes - notes),
  };
}

/** One run at one size: sample, then full, with fresh worker processes (one unless `workers` says). */
export async function zendeskFrontRun(
  databaseUrl: string,
  options: { tickets: number; seed: number; workers?: number; say: (line: string) => void },
): Promise<ZendeskFrontFigures> {
  const workerCount = options.workers ?? 1;
  const settings: TernSettings = loadSettings({
    ...process.env,
    DATABASE_URL: databaseUrl,
    TERN_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
  });
  await ensureTemporal(settings, options.say);
  const staging: Staging = await connectStaging(databaseUrl);
  const client = await connectClient(settings.temporal);
  options.say(`generating a ${options.tickets}-ticket helpdesk`);
  const zendesk = await startSandbox(zendeskSandbox, { seed: options.seed, size: options.tickets, rate: 100_000 });
  const front = await startSandbox(frontSandbox, { seed: options.seed, rate: 100_000 });
  const migrationId = `mig_bench_zf_${randomBytes(4).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(ROOT, '.tools', 'bench-'));
  const loaded = sandboxPlan(migrationId, zendesk.url, front.url, dir);
  const workerEnv = { DATABASE_URL: databaseUrl, ...SANDBOX_CREDENTIALS };
  try {
    const { value, governors } = await withWorkerProcesses(
      client,
      settings,
      workerEnv,
      workerCount,
      async (workers) => {
        const run = async (phase: 'sample' | 'full') => {
          const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
          return started.handle.result();
        };
        options.say('sample phase');
        await run('sample');
        const estimate = await estimateFullPhase(staging.sql, migrationId, loaded.plan);
        options.say(`full phase, ${workerCount} worker process${workerCount > 1 ? 'es' : ''}`);
        const requestsBefore = zendesk.stats().requests + front.stats().requests;
        // Both sandboxes run in this process: one event loop, measured over the full phase.
        const loopBefore = front.stats().eventLoop;
        const operationsBefore = { ...front.stats().byOperation };
        const cpu = cpuMeter(workers);
        const t0 = Date.now();
        const full = await run('full');
        const seconds = (Date.now() - t0) / 1000;
        const { here: sandboxCpu, ...cpuUsed } = cpu();
        const rss = Math.max(...workers.map((w) => peakRssMb(w.pid!)));
        const loopAfter = front.stats().eventLoop;
        const operations = operationsBetween(operationsBefore, front.stats().byOperation);
        const [reconciled] = await staging.sql<{ requests: number }[]>`
      select coalesce(sum(requests), 0)::int as requests from vendor_requests
      where migration_id = ${migrationId} and phase = 'full' and stage = 'reconcile' and vendor = 'front'`;
        const loopActiveMs = loopAfter.activeMs - loopBefore.activeMs;
        const loopTotalMs = loopActiveMs + loopAfter.idleMs - loopBefore.idleMs;

        const counted = countInFront(zendesk, front);
        const loadedRecords = full.objects.reduce((n, o) => n + o.loaded, 0);
        const requests = zendesk.stats().requests + front.stats().requests - requestsBefore;
        return {
          tickets: options.tickets,
          messages: counted.messages,
          attachments: counted.attachments,
          seconds: Number(seconds.toFixed(1)),
          recordsPerSecond: Number((loadedRecords / seconds).toFixed(1)),
          requestsPerSecond: Number((requests / seconds).toFixed(1)),
          sandboxEventLoopUtilization: loopTotalMs > 0 ? Number((loopActiveMs / loopTotalMs).toFixed(3)) : null,
          peakRssMb: rss,
          workerProcesses: workerCount,
          cpuSeconds: { ...cpuUsed, sandboxes: sandboxCpu },
          activitiesByWorker: await activitiesByWorker(client, migrationId, workers),
          maxHistoryEvents: await maxHistory(client, migrationId),
          lost: counted.lost + full.objects.reduce((n, o) => n + o.unaccounted, 0),
          duplicated: counted.duplicated,
          checksumMismatches: full.objects.reduce((n, o) => n + o.checksumMismatches, 0),
          estimatedSecondsAtDocumentedLimits: estimate?.seconds ?? null,
          estimatedSecondsByStage: Object.fromEntries(
            (estimate?.stages ?? [])
              .filter((s) => s.stage !== 'extract')
              .map((s) => [`${s.object}:${s.stage}`, s.seconds]),
          ),
          frontRequestsByOperation: operations,
          requestsPerRecord: requestsPerRecord(operations, reconciled?.requests ?? 0, loadedRecords),
        };
      },
    );
    return { ...value, governorsByWorker: governors.map(governorFigures) };
  } finally {
    await client.connection.close();
    await zendesk.close();
    await front.close();
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** N worker processes against one, both at the full size in the same invocation. */
export interface ZendeskFrontWorkersFigures {
  workers: number;
  /** The full phase with one worker process, run after the N-process runs. */
  oneWorker: Pick<ZendeskFrontFigures, 'seconds' | 'recordsPerSecond' | 'cpuSeconds' | 'governorsByWorker'>;
  /** The full phase's time with one worker process over its time with N. */
  speedUp: number;
}

/**
 * `npm run bench -- zendesk-front`: a run at a tenth of the size (the baseline), then the size asked, each with
 * `workers` processes; with more than one, a run at the size asked with one worker process follows, and the
 * speed-up is measured between the two.
 */
export async function zendeskFrontBench(
  databaseUrl: string,
  options: { tickets: number; seed: number; workers: number; say: (line: string) => void },
) {
  const { tickets, seed, workers, say } = options;
  const baseline = await zendeskFrontRun(databaseUrl, {
    tickets: Math.max(1, Math.round(tickets / 10)),
    seed,
    workers,
    say,
  });
  say(`baseline: ${JSON.stringify(baseline)}`);
  const result = await zendeskFrontRun(databaseUrl, { tickets, seed, workers, say });
  let speedUp: ZendeskFrontWorkersFigures | undefined;
  if (workers > 1) {
    say(`${tickets} tickets: ${JSON.stringify(result)}`);
    const one = await zendeskFrontRun(databaseUrl, { tickets, seed, workers: 1, say });
    say(`${tickets} tickets, one worker process: ${JSON.stringify(one)}`);
    speedUp = {
      workers,
      oneWorker: {
        seconds: one.seconds,
        recordsPerSecond: one.recordsPerSecond,
        cpuSeconds: one.cpuSeconds,
        governorsByWorker: one.governorsByWorker,
      },
      speedUp: Number((one.seconds / result.seconds).toFixed(2)),
    };
  }
  return {
    ...result,
    baseline: {
      tickets: baseline.tickets,
      peakRssMb: baseline.peakRssMb,
      recordsPerSecond: baseline.recordsPerSecond,
    },
    /** Worker memory at N over memory at N/10: flat memory keeps this near 1. */
    peakRssRatio: Number((result.peakRssMb / baseline.peakRssMb).toFixed(2)),
    recordsPerSecondRatio: Number((result.recordsPerSecond / baseline.recordsPerSecond).toFixed(2)),
    /** With `--workers N` above 1: N worker processes (the figures above) against one, as the sql bench reports it. */
    ...(speedUp ? { workers: speedUp } : {}),
  };
}
