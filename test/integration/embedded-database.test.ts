import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import { openStagingForProcess } from '../../scripts/stack/database';
import { connectStaging } from '../../staging/db';
import { startEmbeddedDatabase } from '../../staging/embedded';
import { DatabaseUnreachableError } from '../../common/errors';
import { customerScenario, testClient, testSettings, withWorker } from '../support/harness';
import { exited, spawnTs, stopChild } from '../support/processes';

describe('the embedded database (no DATABASE_URL)', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-embedded-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** Another process holding the embedded database on `dataDir`, once it has written `rows` rows. */
  const holder = async (dataDir: string, rows: number) => {
    const child = spawnTs('test/support/hold-embedded.ts', [dataDir, String(rows)], {});
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      void exited(child).then(() => reject(new Error(`the holder exited: ${stderr}`)));
    });
    return child;
  };
  const heldRows = async (dataDir: string) => {
    const db = await startEmbeddedDatabase({ dataDir });
    try {
      const staging = await connectStaging(db.url, { max: 1 });
      try {
        const [row] = await staging.sql<{ n: number }[]>`select count(*)::int as n from held`;
        return row!.n;
      } finally {
        await staging.close();
      }
    } finally {
      await db.stop();
    }
  };

  it('refuses a second process on a data folder in use (two would each write the files and lose the other’s writes)', async () => {
    const dataDir = path.join(tempDir(), 'pglite');
    const child = await holder(dataDir, 50);
    try {
      const second = await startEmbeddedDatabase({ dataDir }).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(DatabaseUnreachableError);
      expect((second as Error).message).toMatch(new RegExp(`in use by another Tern process \\(pid ${child.pid}`));
      expect((second as DatabaseUnreachableError).fix).toMatch(/DATABASE_URL/);
    } finally {
      await stopChild(child);
    }
    // Once the holder is gone the folder opens, with every row the holder wrote.
    expect(await heldRows(dataDir)).toBe(50);
  });

  it('takes over the lock of a process that was killed, and keeps its data', async () => {
    const dataDir = path.join(tempDir(), 'pglite');
    const child = await holder(dataDir, 20);
    await stopChild(child, 'SIGKILL');
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(true);
    expect(await heldRows(dataDir)).toBe(20);
    expect(fs.existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('is what a process gets without DATABASE_URL, with staging migrations applied', async () => {
    const home = tempDir();
    const settings = loadSettings({ TERN_HOME: home });
    expect(settings.databaseUrl).toBeUndefined();
    const processStaging = await openStagingForProcess(settings);
    const { staging, embedded } = processStaging;
    try {
      expect(embedded).toBe(true);
      const tables = await staging.sql<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining([
          'migrations',
          'runs',
          'staged_records',
          'id_map',
          'checkpoints',
          'quarantine',
          'profiles',
          'reconciliations',
          'audit_log',
        ]),
      );
    } finally {
      await processStaging.stop();
    }
    expect(fs.existsSync(path.join(home, 'pglite'))).toBe(true);
  });

  it('runs a full CSV → PostgreSQL migration through Temporal, and keeps its data across restarts', async () => {
    const dataDir = path.join(tempDir(), 'pglite');
    const db = await startEmbeddedDatabase({ dataDir });
    const settings = testSettings();
    const client = await testClient(settings);
    let migrationId: string;
    try {
      const staging = await connectStaging(db.url, { max: 1 });
      try {
        const scenario = await customerScenario(staging, { rows: 400, seed: 13, brokenRows: 2, dir: tempDir() });
        migrationId = scenario.migrationId;
        const result = await withWorker(settings, staging, async () => {
          const started = await startPhase(client, settings, staging.db, scenario.loaded, {
            phase: 'full',
            migrationId: scenario.migrationId,
          });
          return started.handle.result();
        });
        expect(result.ok).toBe(true);
        expect(result.objects[0]).toMatchObject({ source: 400, loaded: 398, quarantined: 2, checksumMismatches: 0 });
      } finally {
        await staging.close();
      }
    } finally {
      await client.connection.close();
      await db.stop();
    }
    const reopened = await startEmbeddedDatabase({ dataDir });
    try {
      const staging = await connectStaging(reopened.url, { max: 1 });
      const [row] = await staging.sql<
        { n: number }[]
      >`select count(*)::int as n from id_map where migration_id = ${migrationId} and state = 'written'`;
      expect(row!.n).toBe(398);
      await staging.close();
    } finally {
      await reopened.stop();
    }
  });
});
