import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DatabaseUnreachableError } from '../common/errors';
import { lockEmbeddedDatabase } from './embedded-lock';

/**
 * The embedded staging database: PGlite (PostgreSQL compiled to WebAssembly) served over the PostgreSQL
 * wire protocol on loopback, so Tern's code talks to it exactly as it talks to a real server. It lets a
 * newcomer run Tern with no database installed. Data lives in a git-ignored folder.
 */
export interface EmbeddedDatabase {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startEmbeddedDatabase(options: { dataDir: string; port?: number }): Promise<EmbeddedDatabase> {
  fs.mkdirSync(path.dirname(options.dataDir), { recursive: true });
  // One process at a time on a data folder (staging/embedded-lock.ts): a second one is refused, not let in.
  const lock = lockEmbeddedDatabase(options.dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: options.dataDir });
  } catch (err) {
    lock.release();
    throw new DatabaseUnreachableError(
      `cannot open the embedded database in ${options.dataDir}: ${err instanceof Error ? err.message : String(err)}`,
      `if the folder was damaged, delete ${options.dataDir} to start afresh (staging's records are lost with it), or set DATABASE_URL`,
      { cause: err },
    );
  }
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 8 });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    lock.release();
    throw err;
  }
  const address = server.getServerConn();
  const port = Number(address.split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir: options.dataDir,
    async stop() {
      try {
        await server.stop();
        await db.close();
      } finally {
        lock.release();
      }
    },
  };
}
