import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { applyMigrations, openSql } from '../../staging/db';

const DEFAULT_TEST_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL integration tests use: DATABASE_URL, else the machine's server (database `test`). If that
 * server is down it is started with pg_ctlcluster, as a newcomer would. Staging migrations are applied.
 */
export async function ensureTestDatabase(): Promise<string> {
  const url = process.env.DATABASE_URL?.trim() || DEFAULT_TEST_URL;
  if (!(await reachable(url)) && !process.env.DATABASE_URL && fs.existsSync('/etc/postgresql')) {
    const version = fs.readdirSync('/etc/postgresql')[0];
    if (version)
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
  }
  if (!(await reachable(url))) {
    throw new Error(
      `integration tests need PostgreSQL at ${url}, which does not answer — start it (pg_ctlcluster --skip-systemctl-redirect <version> main start) or set DATABASE_URL`,
    );
  }
  await applyMigrations(url);
  return url;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const sql = await openSql(url, { max: 1 });
    await sql.end({ timeout: 1 });
    return true;
  } catch {
    return false;
  }
}
