import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devServerFiles, foreignServerNotice, otherDevServerState } from '../../scripts/stack/temporal';

/**
 * A newcomer whose second checkout finds the first checkout's dev server on :7233 gets runs that fail on a payload
 * key. The stack says so before any run: which server answers, where its state is, and how to stop it.
 */
describe('a Temporal dev server this checkout did not start', () => {
  let proc: string;

  beforeEach(() => {
    proc = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-proc-'));
  });
  afterEach(() => fs.rmSync(proc, { recursive: true, force: true }));

  function processWith(pid: number, args: string[]): void {
    fs.mkdirSync(path.join(proc, String(pid)));
    fs.writeFileSync(path.join(proc, String(pid), 'cmdline'), `${args.join('\0')}\0`);
  }

  const devServer = (port: string, dbFile?: string) => [
    '/x/temporal',
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    port,
    ...(dbFile ? ['--db-filename', dbFile] : []),
  ];

  it('finds the state file of the dev server on the same port', () => {
    processWith(10, ['/usr/bin/node', 'worker.js', '--port', '7233']);
    processWith(11, devServer('7234', '/a/.tern/temporal/temporal.sqlite'));
    processWith(12, devServer('7233', '/b/.tern/temporal/temporal.sqlite'));
    fs.mkdirSync(path.join(proc, 'self'));
    expect(otherDevServerState('127.0.0.1:7233', proc)).toBe('/b/.tern/temporal/temporal.sqlite');
    expect(otherDevServerState('127.0.0.1:7235', proc)).toBeNull();
  });

  it('names an in-memory server, and no server when the process list cannot be read', () => {
    processWith(12, devServer('7233'));
    expect(otherDevServerState('127.0.0.1:7233', proc)).toBe('(in memory)');
    expect(otherDevServerState('127.0.0.1:7233', path.join(proc, 'missing'))).toBeNull();
  });

  it('says whose server answers and how to stop it', () => {
    const files = devServerFiles({ homeDir: '/c/.tern' });
    expect(foreignServerNotice('127.0.0.1:7233', files, '/b/.tern/temporal/temporal.sqlite')).toBe(
      'using the Temporal server already on 127.0.0.1:7233, which this checkout did not start ' +
        "(its state: /b/.tern/temporal/temporal.sqlite; this checkout's: /c/.tern/temporal/temporal.sqlite); " +
        'runs fail with "not in the payload key ring" when that server\'s checkout has another payload key: ' +
        'stop it (npm run stack:stop in its checkout) and run again',
    );
    expect(foreignServerNotice('127.0.0.1:7233', files, null)).toContain(
      "(its state: unknown; this checkout's: /c/.tern/temporal/temporal.sqlite)",
    );
  });
});
