import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type TernActivities } from '../activities';
import { loadTaskQueue, VENDOR_TARGETS } from '../workflows/ids';
import type { Staging } from '../staging/db';
import type { TernSettings } from '../common/config';
import { connectWorker, ternDataConverter } from '../common/temporal';

export interface TernWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  staging: Staging;
  /** common/temporal.ts `ternDataConverter`: payloads encrypted, failure messages encoded. */
  dataConverter: DataConverter;
  /** A prebuilt workflow bundle (tests build it once); otherwise the worker bundles workflows/ itself. */
  workflowBundlePath?: string;
  env?: NodeJS.ProcessEnv;
}

/** Builds a worker running Tern's workflows and activities on one task queue. */
export async function createTernWorker(options: TernWorkerOptions): Promise<Worker> {
  const bundlePath = options.workflowBundlePath ?? process.env.TERN_WORKFLOW_BUNDLE;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: options.dataConverter,
    activities: createActivities({ staging: options.staging, env: options.env }),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    maxConcurrentActivityTaskExecutions: 8,
    // A worker killed mid-run leaves its sticky queue behind; fall back to the shared queue quickly.
    stickyQueueScheduleToStartTimeout: '3s',
  });
}

/**
 * One worker per SaaS target, on `<task queue>.<vendor>` (workflows/ids.ts `loadTaskQueue`), running that target's
 * load pages: a vendor's writes are scheduled apart from everything else, so a slow vendor never starves the
 * phase's other work. The governor inside each page paces the requests of every process against one budget.
 */
export async function createVendorWorkers(
  options: TernWorkerOptions & { concurrentPages?: number },
  activities: TernActivities = createActivities({ staging: options.staging, env: options.env }),
): Promise<Worker[]> {
  return Promise.all(
    VENDOR_TARGETS.map((vendor) =>
      Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: loadTaskQueue(options.taskQueue, vendor),
        dataConverter: options.dataConverter,
        activities: { loadPage: activities.loadPage },
        maxConcurrentActivityTaskExecutions: options.concurrentPages ?? 4,
      }),
    ),
  );
}

/** Runs Tern's workers (the main queue and every vendor queue) until `fn` settles, then stops them. */
export async function runTernWorkers<T>(options: TernWorkerOptions, fn: () => Promise<T>): Promise<T> {
  const main = await createTernWorker(options);
  const vendors = await createVendorWorkers(options);
  const running = vendors.map((w) => w.run());
  try {
    return await main.runUntil(fn);
  } finally {
    for (const w of vendors) w.shutdown();
    await Promise.allSettled(running);
  }
}

/**
 * Runs `fn` while this process serves Tern's workers on the settings' task queue (a CLI command that waits for
 * its workflow, a bench): connects, runs every queue's worker until `fn` settles, stops them and disconnects.
 */
export async function withInProcessWorkers<T>(
  settings: TernSettings,
  staging: Staging,
  fn: () => Promise<T>,
): Promise<T> {
  const connection = await connectWorker(settings.temporal);
  try {
    return await runTernWorkers(
      {
        connection,
        namespace: settings.temporal.namespace,
        taskQueue: settings.taskQueue,
        staging,
        dataConverter: ternDataConverter(settings.temporal),
      },
      fn,
    );
  } finally {
    await connection.close();
  }
}
