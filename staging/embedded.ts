import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DatabaseUnreachableError } from '../common/errors';

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
  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: options.dataDir });
  } catch (err) {
    throw new DatabaseUnreachableError(
      `cannot open the embedded database in ${options.dataDir}: ${err instanceof Error ? err.message : String(err)}`,
      `stop any other Tern process using it, or delete ${options.dataDir} to start afresh, or set DATABASE_URL`,
      { cause: err },
    );
  }
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: 8 });
  await server.start();
  const address = server.getServerConn();
  const port = Number(address.split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir: options.dataDir,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
