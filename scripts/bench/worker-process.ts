import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TernSettings } from '../../common/config';
import type { GovernorStats } from '../../connectors/kit/governor';

const ROOT = path.resolve(__dirname, '../..');

/** A Tern worker in its own process (what production runs), on the bench's task queue. */
export function startWorker(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker/main.ts')], {
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
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench/governed-worker.ts')], {
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
