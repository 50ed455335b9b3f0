// The process's Prometheus metrics: one registry, every metric Tern exports defined here (docs/metrics.md lists
// them). Activities and the vendor client add to them from figures they compute anyway; a worker serves them.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();

const recordLabels = ['migration', 'phase', 'object'] as const;

export const metrics = {
  recordsExtracted: new Counter({
    name: 'tern_records_extracted_total',
    help: 'Records read from the source and staged, per migration, phase and object.',
    labelNames: recordLabels,
    registers: [metricsRegistry],
  }),
  recordsRead: new Counter({
    name: 'tern_records_read_total',
    help: 'Staged records read by load pages (written, unchanged, quarantined or taken out): the progress query counts these as done.',
    labelNames: recordLabels,
    registers: [metricsRegistry],
  }),
  recordsWritten: new Counter({
    name: 'tern_records_written_total',
    help: 'Records written to the target (created or updated) by load pages.',
    labelNames: recordLabels,
    registers: [metricsRegistry],
  }),
  recordsUnchanged: new Counter({
    name: 'tern_records_unchanged_total',
    help: 'Records a load page found already written with the same checksum: nothing sent.',
    labelNames: recordLabels,
    registers: [metricsRegistry],
  }),
  recordsQuarantined: new Counter({
    name: 'tern_records_quarantined_total',
    help: 'Records quarantined with their reason: by extraction (unreadable lines, reused source ids) or by a load page (mapping, pre-flight, target refusals).',
    labelNames: [...recordLabels, 'stage'] as const,
    registers: [metricsRegistry],
  }),
  recordsRemoved: new Counter({
    name: 'tern_records_removed_total',
    help: 'Records a load page took back out of the target: the source deleted them, or the rules now set them aside.',
    labelNames: [...recordLabels, 'reason'] as const,
    registers: [metricsRegistry],
  }),
  pageSeconds: new Histogram({
    name: 'tern_load_page_duration_seconds',
    help: "A load page's time, from reading its staged records to the last write marked (the activity's clock).",
    labelNames: recordLabels,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [metricsRegistry],
  }),
  vendorRequests: new Counter({
    name: 'tern_vendor_requests_total',
    help: "Requests sent to a vendor's API (retries included: each counts against the vendor's limit).",
    labelNames: ['vendor'] as const,
    registers: [metricsRegistry],
  }),
  vendorRateLimited: new Counter({
    name: 'tern_vendor_rate_limited_total',
    help: 'Requests a vendor answered with 429 Too Many Requests (every process then pauses the shared budget).',
    labelNames: ['vendor'] as const,
    registers: [metricsRegistry],
  }),
  budgetWaitSeconds: new Counter({
    name: 'tern_vendor_budget_wait_seconds_total',
    help: "Time requests waited for the vendor budget's next slot (or its concurrency) before they were sent.",
    labelNames: ['vendor'] as const,
    registers: [metricsRegistry],
  }),
  reconciliationOk: new Gauge({
    name: 'tern_reconciliation_ok',
    help: "1 when the object's last reconciliation in this process was clean (counts, checksums, sums, fidelity), else 0.",
    labelNames: recordLabels,
    registers: [metricsRegistry],
  }),
  reconciliationRecords: new Gauge({
    name: 'tern_reconciliation_records',
    help: "The terms of the object's last reconciliation in this process: source, loaded, quarantined, filtered, deduplicated, deleted, unaccounted, conflicts, checksum_mismatches.",
    labelNames: [...recordLabels, 'term'] as const,
    registers: [metricsRegistry],
  }),
  reconciledAt: new Gauge({
    name: 'tern_reconciliation_timestamp_seconds',
    help: "When the object's last reconciliation in this process finished (UNIX time): the latest one across workers is the proof that stands.",
    labelNames: recordLabels,
    registers: [metricsRegistry],
  }),
};

/** Requests sent in each of the last minute's seconds, for one budget: what the utilisation gauge divides. */
class LastMinute {
  private readonly counts = new Array<number>(60).fill(0);
  private readonly seconds = new Array<number>(60).fill(-1);

  add(now: number): void {
    const second = Math.floor(now / 1000);
    const slot = second % 60;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += 1;
  }

  /** Requests per second over the 60 whole seconds before `now`'s. */
  perSecond(now: number): number {
    const second = Math.floor(now / 1000);
    let sum = 0;
    for (let slot = 0; slot < 60; slot++) {
      const at = this.seconds[slot]!;
      if (at >= second - 60 && at < second) sum += this.counts[slot]!;
    }
    return sum / 60;
  }
}

const budgets = new Map<string, { vendor: string; ratePerSecond: number; sent: LastMinute }>();

new Gauge({
  name: 'tern_vendor_budget_requests_per_second',
  help: 'The steady request rate of the vendor budget this process paces to (the plan tier, or the documented default).',
  labelNames: ['vendor', 'budget'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    for (const [budget, b] of budgets) this.set({ vendor: b.vendor, budget }, b.ratePerSecond);
  },
});

new Gauge({
  name: 'tern_vendor_budget_utilisation',
  help: "This process's requests per second over the last minute, as a share of the budget's rate (sum over processes for the whole account).",
  labelNames: ['vendor', 'budget'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    const now = Date.now();
    for (const [budget, b] of budgets) this.set({ vendor: b.vendor, budget }, b.sent.perSecond(now) / b.ratePerSecond);
  },
});

/**
 * One request sent to a vendor under a budget (`budget`: the governor's key, one per account and bucket) after
 * waiting `waitedMs` for its slot.
 */
export function countVendorRequest(vendor: string, budget: string, ratePerSecond: number, waitedMs: number): void {
  metrics.vendorRequests.inc({ vendor });
  if (waitedMs > 0) metrics.budgetWaitSeconds.inc({ vendor }, waitedMs / 1000);
  let entry = budgets.get(budget);
  if (!entry || entry.ratePerSecond !== ratePerSecond) {
    entry = { vendor, ratePerSecond, sent: entry?.sent ?? new LastMinute() };
    budgets.set(budget, entry);
  }
  entry.sent.add(Date.now());
}

/** A vendor answered 429. */
export function countRateLimited(vendor: string): void {
  metrics.vendorRateLimited.inc({ vendor });
}
