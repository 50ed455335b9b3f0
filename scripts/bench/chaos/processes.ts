import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { TernSettings } from '../../../common/config';
import { ensureTemporalCli, startDevServer, stopProcess, type DevServer } from '../../stack/temporal';
import { startWorker } from '../worker-process';

/**
 * The processes the chaos benchmark starts and kills: its own Temporal dev server (durable on SQLite, so a
 * restart keeps every workflow) and a supervised worker process. Every pid is tracked so that whatever happens
 * to the benchmark (an error, Ctrl-C, `timeout`), nothing it started outlives it.
 */

const live = new Set<number>();
let exitHookInstalled = false;

function track(pid: number | undefined): void {
  if (pid === undefined) return;
  live.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  // A signal ends the process without 'exit' unless it is handled: end through exit, so the hook above runs.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

const untrack = (pid: number | undefined) => pid !== undefined && live.delete(pid);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A headless Temporal dev server on a free port, its state in a SQLite file: stopped and started again intact. */
export class BenchTemporal {
  private server: DevServer | undefined;
  restarts = 0;

  private constructor(
    private readonly cli: string,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(settings: TernSettings, dir: string, say: (line: string) => void): Promise<BenchTemporal> {
    const temporal = new BenchTemporal(ensureTemporalCli(settings, say), await freePort(), dir);
    await temporal.up();
    return temporal;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  private async up(): Promise<void> {
    this.server = await startDevServer({
      cli: this.cli,
      port: this.port,
      uiPort: null,
      dbFile: `${this.dir}/temporal.sqlite`,
      logFile: `${this.dir}/temporal.log`,
      detached: false,
    });
    track(this.server.pid);
  }

  /** Stops the server (SIGTERM, SIGKILL after 10 s), waits for its port to close, starts it on the same file. */
  async restart(): Promise<void> {
    await this.down();
    await this.up();
    this.restarts += 1;
  }

  private async down(): Promise<void> {
    const pid = this.server?.pid;
    this.server = undefined;
    await stopProcess(pid);
    untrack(pid);
    const deadline = Date.now() + 30_000;
    while ((await portOpen(this.port)) && Date.now() < deadline) await sleep(200);
  }

  async stop(): Promise<void> {
    await this.down();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * One Tern worker process, started again whenever it ends: at once after the benchmark SIGKILLs it (a fresh
 * worker each time), after a second when it ends on its own (as it does while the Temporal server is away).
 */
export class WorkerSupervisor {
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly killed = new WeakSet<ChildProcess>();
  starts = 0;
  kills = 0;
  /** Exits the benchmark did not cause (a worker that lost its Temporal server or its database, or crashed). */
  exitsOnTheirOwn = 0;

  constructor(private readonly env: Record<string, string>) {}

  start(): void {
    this.timer = undefined;
    if (this.stopping) return;
    const child = startWorker(this.env);
    track(child.pid);
    this.child = child;
    this.startedAt = Date.now();
    this.starts += 1;
    child.once('exit', () => {
      untrack(child.pid);
      if (this.child === child) this.child = undefined;
      const byUs = this.killed.has(child);
      if (!byUs && !this.stopping) this.exitsOnTheirOwn += 1;
      if (!this.stopping) this.timer = setTimeout(() => this.start(), byUs ? 0 : 1000);
    });
  }

  /**
   * `kill -9` of the worker once one has been up for `minUpMs` (so it holds work); a fresh one starts at once.
   * False when no worker came up within a minute.
   */
  async kill9(minUpMs: number): Promise<boolean> {
    const deadline = Date.now() + 60_000;
    while (!this.stopping && Date.now() < deadline) {
      const child = this.child;
      if (child && child.exitCode === null && Date.now() - this.startedAt >= minUpMs) {
        this.killed.add(child);
        child.kill('SIGKILL');
        await exited(child);
        this.kills += 1;
        return true;
      }
      await sleep(200);
    }
    return false;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited(child);
    clearTimeout(killer);
  }
}
