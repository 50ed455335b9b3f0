import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

/** Starts a TypeScript entry point as its own Node process (one process: a SIGKILL really kills it). */
export function spawnTs(entry: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args], {
    cwd: ROOT,
    env: { ...process.env, TERN_LOG_LEVEL: 'warn', TERN_METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the `tern` CLI to completion. */
export async function runTern(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTs('scripts/tern.ts', args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A worker process with its stderr kept (the tail) for failure messages. */
export function spawnWorker(env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string } {
  const child = spawnTs('worker/main.ts', [], env);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  child.stdout!.resume();
  return { child, stderr: () => stderr };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited(child);
  clearTimeout(killer);
}

/** A worker process that is started again whenever it exits on its own (e.g. while the server is away). */
export class SupervisedWorker {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  starts = 0;
  stderr = '';

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  start(): void {
    this.timer = undefined;
    if (this.stopping) return;
    this.starts += 1;
    const { child } = spawnWorker(this.env);
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    child.once('exit', () => {
      if (!this.stopping) this.timer = setTimeout(() => this.start(), 1000);
    });
    this.child = child;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.child) await stopChild(this.child);
  }
}

/** The example CRM plan on the test's schemas, with small pages in every object. */
