import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { GovernorStats } from '../../connectors/kit/governor';
import { WORKER_NODE_FLAGS } from '../../worker/node-flags';

const ROOT = path.resolve(__dirname, '../..');

/** A Tern worker in its own process (what production runs, with its Node flags), on the bench's task queue. */
export function startWorker(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', path.join(ROOT, 'worker/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TERN_LOG_LEVEL: 'warn', TERN_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** How one worker process's governor for a budget spent it (what `sharedGovernorStats` reports). */
export interface WorkerGovernorStats {
  key: string;
  stats: GovernorStats;
}

/**
 * A Tern worker in its own process that, once stopped, reports how each of its governors spent its leases:
 * `governors` settles when the process has exited (empty if it reported nothing).
 */
export function startGovernedWorker(env: NodeJS.ProcessEnv): {
  worker: ChildProcess;
  governors: Promise<WorkerGovernorStats[]>;
} {
  const entry = path.join(ROOT, 'scripts/bench/governed-worker.ts');
  const worker = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, TERN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const governors = new Promise<WorkerGovernorStats[]>((resolve) => {
    let reported: WorkerGovernorStats[] = [];
    worker.on('message', (m: { governors?: WorkerGovernorStats[] }) => (reported = m.governors ?? reported));
    worker.once('exit', () => resolve(reported));
  });
  return { worker, governors };
}

/** The kernel's high-water mark of a process's resident memory, in MB. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Runs `fn` while a worker process serves the settings' task queue; the worker stops afterwards. */
export async function withWorkerProcess<T>(
  settings: TernSettings,
  databaseUrl: string,
  env: Record<string, string>,
  fn: (worker: ChildProcess) => Promise<T>,
): Promise<T> {
  const worker = startWorker({ DATABASE_URL: databaseUrl, TERN_TASK_QUEUE: settings.taskQueue, ...env });
  try {
    return await fn(worker);
  } finally {
    worker.kill('SIGTERM');
  }
}

/** The kernel's clock ticks per second (USER_HZ), which /proc reports CPU time in. */
const CLOCK_TICKS = 100;

/** CPU seconds a process has used so far (user + system), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds the whole machine spent busy so far (every core, every process: /proc/stat less idle and iowait). */
function machineBusySeconds(): number {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal: guest time is already inside user and nice.
  const [user, nice, system, , , irq, softirq, steal] = ticks.slice(0, 8).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / CLOCK_TICKS;
}

/**
 * Each live process of this command name (its `comm`): its parent, and the CPU ticks it and its reaped children
 * used.
 */
function commandProcesses(comm: string): Map<string, { ppid: string; ticks: number }> {
  const found = new Map<string, { ppid: string; ticks: number }>();
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== comm) continue;
    // After the command name: state, ppid, …; utime, stime, cutime, cstime are the 12th to the 15th field.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    found.set(pid, { ppid: fields[1]!, ticks });
  }
  return found;
}

/**
 * CPU seconds the processes of a command name used between two readings. A process that ended and was reaped by
 * one of them (a PostgreSQL backend by its server) counts in its parent's children's time, which holds all of its
 * time: what it had used at the first reading is taken off. One that ended otherwise (a short-lived command) counts
 * for nothing after the first reading, so the figure never goes below zero.
 */
function commandCpuBetween(
  before: Map<string, { ppid: string; ticks: number }>,
  after: Map<string, { ppid: string; ticks: number }>,
): number {
  let ticks = 0;
  for (const [pid, p] of after) ticks += p.ticks - (before.get(pid)?.ticks ?? 0);
  for (const [pid, p] of before) if (!after.has(pid) && after.has(p.ppid)) ticks -= p.ticks;
  return Math.max(0, ticks) / CLOCK_TICKS;
}

/** CPU used from now on: by each worker process, by this process, by the servers, and by the whole machine. */
export interface CpuUse {
  /** CPU seconds of each worker process. */
  workers: number[];
  /** CPU seconds of this process (the bench, and whatever runs in it). */
  here: number;
  /** Every PostgreSQL process of the machine (other clients' queries included). */
  postgres: number;
  /** The Temporal server (other clients' workflows included). */
  temporal: number;
  /** Busy CPU seconds of the machine: every process, other jobs on it included. */
  machine: number;
}

/** Starts measuring CPU use; the function returned says how much each was used since. */
export function cpuMeter(workers: readonly ChildProcess[]): () => CpuUse {
  const round = (s: number) => Number(s.toFixed(1));
  const workersBefore = workers.map((w) => cpuSeconds(w.pid!));
  const hereBefore = process.cpuUsage();
  const postgresBefore = commandProcesses('postgres');
  const temporalBefore = commandProcesses('temporal');
  const machineBefore = machineBusySeconds();
  return () => {
    const here = process.cpuUsage(hereBefore);
    return {
      workers: workers.map((w, i) => round(cpuSeconds(w.pid!) - workersBefore[i]!)),
      here: round((here.user + here.system) / 1e6),
      postgres: round(commandCpuBetween(postgresBefore, commandProcesses('postgres'))),
      temporal: round(commandCpuBetween(temporalBefore, commandProcesses('temporal'))),
      machine: round(machineBusySeconds() - machineBefore),
    };
  };
}

/** Waits until `n` worker processes poll the task queue's activities: work then reaches every one of them. */
export async function untilPolling(client: Client, settings: TernSettings, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const queue = await client.workflowService.describeTaskQueue({
      namespace: settings.temporal.namespace,
      taskQueue: { name: settings.taskQueue },
      // TASK_QUEUE_TYPE_ACTIVITY: the pollers that run the phase's activities.
      taskQueueType: 2,
    });
    if (new Set((queue.pollers ?? []).map((p) => p.identity)).size >= n) return;
    if (Date.now() > deadline)
      throw new Error(`${n} worker processes did not poll ${settings.taskQueue} within 2 minutes`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Runs `fn` once `n` fresh worker processes poll the settings' task queue (each a `tern worker`, as production
 * runs them, that reports its governors when it stops); they are stopped, and have exited, when it returns.
 * `governors`: how each process's governors spent their leases over its whole life.
 */
export async function withWorkerProcesses<T>(
  client: Client,
  settings: TernSettings,
  env: Record<string, string>,
  n: number,
  fn: (workers: ChildProcess[]) => Promise<T>,
): Promise<{ value: T; governors: WorkerGovernorStats[][] }> {
  const started = Array.from({ length: n }, () =>
    startGovernedWorker({ TERN_TASK_QUEUE: settings.taskQueue, TERN_METRICS_PORT: '0', ...env }),
  );
  const workers = started.map((s) => s.worker);
  try {
    await untilPolling(client, settings, n);
    const value = await fn(workers);
    for (const w of workers) w.kill('SIGTERM');
    return { value, governors: await Promise.all(started.map((s) => s.governors)) };
  } finally {
    const exits = workers.filter((w) => w.exitCode === null && w.signalCode === null).map((w) => once(w, 'exit'));
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(exits);
  }
}

/**
 * Activities each worker process ran for a migration (every run of every workflow whose id starts with the
 * migration's), from the histories' started events: a worker's identity is `<pid>@<host>` unless set.
 */
export async function activitiesByWorker(
  client: Client,
  migrationId: string,
  workers: readonly ChildProcess[],
): Promise<number[]> {
  const byPid = new Map<string, number>();
  for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH "${migrationId}/"` })) {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity;
      if (!identity) continue;
      const pid = identity.split('@')[0]!;
      byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
    }
  }
  return workers.map((w) => byPid.get(String(w.pid)) ?? 0);
}
