import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { VENDORS } from '../activities/vendor';
import { vendorTaskQueue } from '../workflows/vendor-load';
import type { Staging } from '../staging/db';

export interface TernWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  staging: Staging;
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
    activities: createActivities({ staging: options.staging, env: options.env }),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: require.resolve('../workflows') }),
    maxConcurrentActivityTaskExecutions: 8,
    // A worker killed mid-run leaves its sticky queue behind; fall back to the shared queue quickly.
    stickyQueueScheduleToStartTimeout: '3s',
  });
}

/**
 * One worker per SaaS vendor, on `<task queue>.<vendor>`, running only that vendor's write batches. The queue's
 * server-enforced rate (`maxTaskQueueActivitiesPerSecond`, the vendor's documented ceiling: a batch makes at
 * least one request) bounds every worker process together; the governor inside each batch paces the requests.
 */
export async function createVendorWorkers(
  options: TernWorkerOptions & { concurrentBatches?: number },
): Promise<Worker[]> {
  const activities = createActivities({ staging: options.staging, env: options.env });
  return Promise.all(
    Object.values(VENDORS).map((declaration) =>
      Worker.create({
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: vendorTaskQueue(options.taskQueue, declaration.vendor),
        activities: { writeVendorBatch: activities.writeVendorBatch },
        maxConcurrentActivityTaskExecutions: options.concurrentBatches ?? 2,
        maxTaskQueueActivitiesPerSecond: declaration.budget.maxRatePerSecond,
      }),
    ),
  );
}
