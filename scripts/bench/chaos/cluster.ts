import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DevStackError } from '../../../common/errors';
import { openSql } from '../../../staging/db';

/**
 * The chaos benchmark's own PostgreSQL cluster (Debian's postgresql-common): staging, the source and the target
 * live there, so restarting it in the middle of a run disturbs nobody else. Created once (idempotent), trust
 * authentication on 127.0.0.1, configured like this machine's main cluster (autovacuum off). The main cluster is
 * never created, started, restarted or stopped from here.
 */
export interface ChaosClusterOptions {
  version: string;
  name: string;
  port: number;
  database: string;
  say: (line: string) => void;
}

export interface ChaosCluster {
  url: string;
  /** `pg_ctlcluster <version> <name> restart` (fast: sessions are cut, as in a crash-free restart). */
  restart(): void;
  /** Stops the cluster when this run started it. */
  stop(): void;
}

interface ClusterRow {
  version: string;
  name: string;
  port: number;
  online: boolean;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  if (r.status !== 0)
    throw new DevStackError(
      `\`${cmd} ${args.join(' ')}\` failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop()}`,
      'the chaos benchmark needs postgresql-common (pg_createcluster, pg_ctlcluster) and the right to run them',
    );
  return r.stdout;
}

function clusters(): ClusterRow[] {
  return run('pg_lsclusters', ['--no-header'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length >= 4)
    .map(([version, name, port, status]) => ({
      version: version!,
      name: name!,
      port: Number(port),
      online: status === 'online',
    }));
}

const CONFIG = `# The chaos benchmark's cluster (scripts/bench/chaos/cluster.ts): loopback only, like the main cluster here.
listen_addresses = '127.0.0.1'
autovacuum = off
fsync = on
`;

export async function ensureChaosCluster(options: ChaosClusterOptions): Promise<ChaosCluster> {
  const { version, name } = options;
  if (name === 'main')
    throw new DevStackError('the chaos benchmark restarts its cluster', 'name a dedicated cluster, not "main"');
  let row = clusters().find((c) => c.version === version && c.name === name);
  if (!row) {
    if (clusters().some((c) => c.port === options.port))
      throw new DevStackError(`port ${options.port} is taken by another cluster`, 'pass --pg-port with a free port');
    options.say(`creating PostgreSQL cluster ${version}/${name} on port ${options.port}`);
    run('pg_createcluster', [
      version,
      name,
      '--port',
      String(options.port),
      '--',
      '--auth-local=trust',
      '--auth-host=trust',
    ]);
    const confDir = `/etc/postgresql/${version}/${name}/conf.d`;
    fs.mkdirSync(confDir, { recursive: true });
    fs.writeFileSync(path.join(confDir, '90-chaos.conf'), CONFIG);
    row = clusters().find((c) => c.version === version && c.name === name);
    if (!row) throw new DevStackError(`pg_createcluster did not create ${version}/${name}`, 'run pg_lsclusters');
  }
  let started = false;
  if (!row.online) {
    options.say(`starting PostgreSQL cluster ${version}/${name} on port ${row.port}`);
    run('pg_ctlcluster', [version, name, 'start']);
    started = true;
  }
  const admin = await openSql(`postgres://postgres@127.0.0.1:${row.port}/postgres`, { max: 1 });
  try {
    const [exists] = await admin`select 1 as one from pg_database where datname = ${options.database}`;
    if (!exists) await admin.unsafe(`create database "${options.database}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return {
    url: `postgres://postgres@127.0.0.1:${row.port}/${options.database}`,
    restart: () => void run('pg_ctlcluster', ['-m', 'fast', version, name, 'restart']),
    stop: () => {
      if (started) run('pg_ctlcluster', ['-m', 'fast', version, name, 'stop']);
    },
  };
}
