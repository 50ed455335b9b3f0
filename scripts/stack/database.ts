import path from 'node:path';
import type { TernSettings } from '../../common/config';
import { logger } from '../../common/logger';
import { connectStaging, type Staging } from '../../staging/db';
import { startEmbeddedDatabase } from '../../staging/embedded';

export interface ProcessStaging {
  staging: Staging;
  /** True when Tern is running on its embedded database (no DATABASE_URL). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * The staging database for this process: DATABASE_URL when set, otherwise the embedded database under
 * TERN_HOME, started in-process. Migrations are applied either way.
 */
export async function openStagingForProcess(settings: TernSettings): Promise<ProcessStaging> {
  if (settings.databaseUrl) {
    const staging = await connectStaging(settings.databaseUrl);
    return { staging, embedded: false, stop: () => staging.close() };
  }
  const dataDir = path.join(settings.homeDir, 'pglite');
  const embedded = await startEmbeddedDatabase({ dataDir });
  logger.debug({ dataDir }, 'embedded staging database started');
  try {
    // PGlite serves one session at a time: one pooled connection keeps transactions whole.
    const staging = await connectStaging(embedded.url, { max: 1 });
    return {
      staging,
      embedded: true,
      async stop() {
        await staging.close();
        await embedded.stop();
      },
    };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}
