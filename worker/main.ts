import { loadSettings } from '../common/config';
import { describeError } from '../common/errors';
import { logger } from '../common/logger';
import { connectWorker, ternDataConverter } from '../common/temporal';
import { openStagingForProcess } from '../scripts/stack/database';
import { DEFAULT_WORKER_METRICS_PORT, startWorkerMetrics } from './metrics';
import { createTernWorker, createVendorWorkers } from './worker';

/**
 * The worker process: `tsx worker/main.ts` (or `tern worker`). Serves its metrics (TERN_METRICS_PORT, else 9464).
 * Stops cleanly on SIGINT/SIGTERM.
 */
export async function runWorkerProcess(): Promise<void> {
  const settings = loadSettings();
  const metrics = await startWorkerMetrics(settings, DEFAULT_WORKER_METRICS_PORT);
  const processStaging = await openStagingForProcess(settings);
  const { staging } = processStaging;
  const connection = await connectWorker(settings.temporal);
  const options = {
    connection,
    namespace: settings.temporal.namespace,
    taskQueue: settings.taskQueue,
    staging,
    dataConverter: ternDataConverter(settings.temporal),
  };
  const worker = await createTernWorker(options);
  const vendorWorkers = await createVendorWorkers(options);
  const all = [worker, ...vendorWorkers];
  const shutdown = () => all.forEach((w) => w.shutdown());
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  logger.info({ taskQueue: settings.taskQueue, address: settings.temporal.address }, 'worker running');
  try {
    await Promise.all(all.map((w) => w.run()));
  } finally {
    await connection.close();
    await processStaging.stop();
    await metrics?.close();
  }
}

if (require.main === module) {
  runWorkerProcess().catch((err: unknown) => {
    console.error(`tern worker: ${describeError(err)}`);
    process.exit(1);
  });
}
