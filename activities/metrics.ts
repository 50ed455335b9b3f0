// The activities' figures into the process's Prometheus metrics (common/metrics.ts): each counted activity is
// wrapped once, and what it returns — counts it computed anyway — is added after it succeeds. A failed attempt
// adds nothing; an attempt Temporal retries after it had succeeded (its answer lost) adds again, so the
// counters are an operational view, and the reconciliation stays the proof.
import { metrics } from '../common/metrics';
import type { DeltaExtractInput, DeltaExtractResult } from './delta';
import type { ExtractInput, ExtractResult } from './extract';
import type { LoadPageInput, LoadPageResult } from './load';
import type { ObjectReconciliation, ReconcileInput } from './reconciliation';

/** The activities whose results feed the metrics. */
export interface CountedActivities {
  extractObject: (input: ExtractInput) => Promise<ExtractResult>;
  extractDelta: (input: DeltaExtractInput) => Promise<DeltaExtractResult>;
  loadPage: (input: LoadPageInput) => Promise<LoadPageResult>;
  reconcileObject: (input: ReconcileInput) => Promise<ObjectReconciliation>;
}

/** The same activities, each adding its result to the metrics once it succeeds. */
export function countedActivities<A extends CountedActivities>(activities: A): A {
  const after =
    <I, O>(fn: (input: I) => Promise<O>, count: (input: I, result: O) => void) =>
    async (input: I): Promise<O> => {
      const result = await fn(input);
      count(input, result);
      return result;
    };
  return {
    ...activities,
    extractObject: after(activities.extractObject, countExtract),
    extractDelta: after(activities.extractDelta, countDeltaExtract),
    loadPage: after(activities.loadPage, countLoadPage),
    reconcileObject: after(activities.reconcileObject, countReconciliation),
  };
}

export function countExtract(input: ExtractInput, result: ExtractResult): void {
  const labels = { migration: input.migrationId, phase: input.phase, object: input.object };
  metrics.recordsExtracted.inc(labels, result.staged);
  metrics.recordsQuarantined.inc({ ...labels, stage: 'extract' }, result.broken + result.duplicateIds);
}

export function countDeltaExtract(input: DeltaExtractInput, result: DeltaExtractResult): void {
  const labels = { migration: input.migrationId, phase: 'delta', object: input.object };
  metrics.recordsExtracted.inc(labels, result.read);
  metrics.recordsQuarantined.inc({ ...labels, stage: 'extract' }, result.unreadable + result.duplicateIds);
}

export function countLoadPage(input: LoadPageInput, result: LoadPageResult): void {
  const labels = { migration: input.migrationId, phase: input.phase, object: input.object };
  metrics.recordsRead.inc(labels, result.read);
  metrics.recordsWritten.inc(labels, result.written);
  metrics.recordsUnchanged.inc(labels, result.unchanged);
  metrics.recordsQuarantined.inc({ ...labels, stage: 'load' }, result.quarantined);
  metrics.recordsRemoved.inc({ ...labels, reason: 'deleted' }, result.deleted);
  metrics.recordsRemoved.inc({ ...labels, reason: 'set_aside' }, result.setAside);
  metrics.pageSeconds.observe(labels, Math.max(0, result.finishedAt - result.startedAt) / 1000);
}

export function countReconciliation(input: ReconcileInput, result: ObjectReconciliation): void {
  const labels = { migration: input.migrationId, phase: input.phase, object: input.object };
  metrics.reconciliationOk.set(labels, result.ok ? 1 : 0);
  const terms = {
    source: result.source,
    loaded: result.loaded,
    quarantined: result.quarantined,
    filtered: result.filtered,
    deduplicated: result.deduplicated,
    deleted: result.deleted,
    unaccounted: result.unaccounted,
    conflicts: result.conflicts,
    checksum_mismatches: result.checksumMismatches,
  };
  for (const [term, value] of Object.entries(terms)) metrics.reconciliationRecords.set({ ...labels, term }, value);
  metrics.reconciledAt.set(labels, Date.now() / 1000);
}
