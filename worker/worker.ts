import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
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
