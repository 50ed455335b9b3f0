import fs from 'node:fs';
import { DatabaseUnreachableError } from '../common/errors';

/**
 * One process at a time on an embedded database's data folder. PGlite is PostgreSQL running inside the process
 * that opened it: two processes on one folder are two servers writing the same files, each blind to the other's
 * buffers, and one's writes are lost (staging's ledger, the custody a rollback needs). The lock is a file beside
 * the folder (`<folder>.lock`, so deleting the folder to start afresh leaves it alone) naming the holder: its pid,
 * its command and since when. A lock whose process is gone (killed, crashed) is taken over.
 */
export interface EmbeddedLock {
  readonly path: string;
  release(): void;
}

interface Holder {
  pid: number;
  command: string;
  since: string;
}

/** A takeover that has not finished in this long was interrupted (its process died): the next one may go. */
const TAKEOVER_STALE_MS = 30_000;

export function lockEmbeddedDatabase(dataDir: string): EmbeddedLock {
  const lockPath = `${dataDir}.lock`;
  const me: Holder = { pid: process.pid, command: commandLine(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(lockPath, me)) return held(lockPath);
    const holder = readHolder(lockPath);
    if (holder === 'gone') continue; // Released between our attempt and our read: try again.
    if (holder !== 'unreadable' && alive(holder.pid)) throw inUse(dataDir, lockPath, holder);
    // The holder is gone without releasing it (or the file is not a lock Tern wrote whole): take it over.
    takeOver(lockPath, holder);
  }
  throw new DatabaseUnreachableError(
    `cannot lock the embedded database in ${dataDir}: other processes keep taking ${lockPath}`,
    'stop the other Tern processes using it, or set DATABASE_URL to a PostgreSQL server that several processes can share',
  );
}

function create(lockPath: string, me: Holder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(me)}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function held(lockPath: string): EmbeddedLock {
  // A process that exits without stopping the database (an error, Ctrl-C) still gives the folder back.
  const onExit = () => releaseIfMine(lockPath);
  process.once('exit', onExit);
  return {
    path: lockPath,
    release() {
      process.removeListener('exit', onExit);
      releaseIfMine(lockPath);
    },
  };
}

function releaseIfMine(lockPath: string): void {
  const holder = readHolder(lockPath);
  if (typeof holder === 'object' && holder.pid === process.pid) fs.rmSync(lockPath, { force: true });
}

function readHolder(lockPath: string): Holder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(parsed.pid) && (parsed.pid as number) > 0) {
      return { pid: parsed.pid!, command: String(parsed.command ?? '?'), since: String(parsed.since ?? '?') };
    }
  } catch {
    // A lock cut short while it was written (its process died in that instant): not a holder.
  }
  return 'unreadable';
}

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a dead holder's lock, under a takeover guard (a directory: creating one is atomic) so that two processes
 * finding the same dead lock cannot both remove it, the second removing the first one's fresh lock.
 */
function takeOver(lockPath: string, dead: Holder | 'unreadable'): void {
  const guard = `${lockPath}.takeover`;
  try {
    fs.mkdirSync(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = Date.now() - fs.statSync(guard, { throwIfNoEntry: false })!.mtimeMs;
    if (age > TAKEOVER_STALE_MS) fs.rmSync(guard, { recursive: true, force: true });
    return; // Another process is taking it over: the caller tries again and meets that one's lock.
  }
  try {
    // Still the lock we found dead (not one a faster process created since): remove it.
    const now = readHolder(lockPath);
    const same = dead === 'unreadable' ? now === 'unreadable' : typeof now === 'object' && now.pid === dead.pid;
    if (same) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(guard, { recursive: true, force: true });
  }
}

function inUse(dataDir: string, lockPath: string, holder: Holder): DatabaseUnreachableError {
  return new DatabaseUnreachableError(
    `the embedded database in ${dataDir} is in use by another Tern process (pid ${holder.pid}, \`${holder.command}\`, since ${holder.since}); one process at a time may open it`,
    `wait for that process to end (or stop it), or set DATABASE_URL to a PostgreSQL server so that several Tern processes can share staging; if pid ${holder.pid} is not Tern, delete ${lockPath}`,
  );
}

/** What the holder runs, for the person told it holds the lock: `tern cutover plan.yaml`, without the Node path. */
function commandLine(): string {
  const args = process.argv.slice(1).map((a) => a.replace(/^.*\/scripts\/tern\.ts$/, 'tern'));
  return args.join(' ').slice(0, 200);
}
