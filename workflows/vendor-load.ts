import { continueAsNew, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { TernActivities } from '../activities';
import type { VendorBatchInput, VendorBatchResult } from '../activities/vendor';
import type { WriteStats } from '../connectors/kit/idempotent';
import { BOOKKEEPING, VENDOR_BATCH } from './options';

/** Loads one staged object into a SaaS target, batch by batch, on the vendor's own task queue. */
export interface VendorLoadInput extends Omit<VendorBatchInput, 'afterOrdinal' | 'throughOrdinal'> {
  batchSize: number;
  /** Batches in flight at once (spread over the vendor queue's workers). */
  parallel: number;
  /** Carried over continue-as-new. */
  resume?: { batches: [number, number][]; next: number; totals: VendorLoadTotals };
}

export interface VendorLoadTotals extends WriteStats {
  records: number;
  batchesDone: number;
  batches: number;
}

export const vendorLoadProgressQuery = defineQuery<VendorLoadTotals>('progress');

/** The vendor task queue: `<main queue>.<vendor>`, so one queue's rate limit covers one vendor account. */
export function vendorTaskQueue(mainQueue: string, vendor: string): string {
  return `${mainQueue}.${vendor}`;
}

/** Batches per run before the history is handed over to a fresh run (continue-as-new). */
const BATCHES_PER_RUN = 400;

export async function vendorLoadWorkflow(input: VendorLoadInput): Promise<VendorLoadTotals> {
  const { planVendorBatches } = proxyActivities<TernActivities>(BOOKKEEPING);
  const { writeVendorBatch } = proxyActivities<TernActivities>({
    ...VENDOR_BATCH,
    taskQueue: vendorTaskQueue(workflowInfo().taskQueue, input.target.vendor),
  });
  const { resume, batchSize, parallel, ...common } = input;
  const planned = resume ?? {
    batches: (await planVendorBatches({ migrationId: input.migrationId, object: input.object, batchSize })).batches,
    next: 0,
    totals: undefined,
  };
  const totals: VendorLoadTotals = planned.totals ?? {
    records: 0,
    created: 0,
    found: 0,
    already: 0,
    rejected: 0,
    unknownOutcomes: 0,
    lookups: 0,
    batchesDone: 0,
    batches: planned.batches.length,
  };
  setHandler(vendorLoadProgressQuery, () => totals);
  const stopAt = Math.min(planned.batches.length, planned.next + BATCHES_PER_RUN);
  let next = planned.next;
  const add = (r: VendorBatchResult) => {
    totals.records += r.records;
    totals.created += r.created;
    totals.found += r.found;
    totals.already += r.already;
    totals.rejected += r.rejected;
    totals.unknownOutcomes += r.unknownOutcomes;
    totals.lookups += r.lookups;
    totals.batchesDone += 1;
  };
  const lane = async () => {
    while (next < stopAt) {
      const [afterOrdinal, throughOrdinal] = planned.batches[next++]!;
      add(await writeVendorBatch({ ...common, afterOrdinal, throughOrdinal }));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  if (stopAt < planned.batches.length)
    await continueAsNew<typeof vendorLoadWorkflow>({
      ...input,
      resume: { batches: planned.batches, next: stopAt, totals },
    });
  return totals;
}
