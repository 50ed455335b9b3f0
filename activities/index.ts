import { extractObject, type ExtractInput } from './extract';
import { loadPage, type LoadPageInput } from './load';
import { reconcileObject, type ReconcileInput } from './reconcile';
import { recordPhaseEvent, type PhaseEventInput } from './runs';
import { ActivityContext, type ActivityDeps } from './deps';

/**
 * Tern's activities, built from their dependencies so tests and workers pass real databases.
 * Each one is thin: it calls connectors, plan code and staging.
 */
export function createActivities(deps: ActivityDeps) {
  const ctx = new ActivityContext(deps);
  return {
    extractObject: (input: ExtractInput) => extractObject(ctx, input),
    loadPage: (input: LoadPageInput) => loadPage(ctx, input),
    reconcileObject: (input: ReconcileInput) => reconcileObject(ctx, input),
    recordPhaseEvent: (input: PhaseEventInput) => recordPhaseEvent(ctx, input),
  };
}

export type TernActivities = ReturnType<typeof createActivities>;
export type { ExtractResult } from './extract';
export type { LoadPageResult } from './load';
export type { ObjectReconciliation } from './reconcile';
export type { PhaseEventInput } from './runs';
