import path from 'node:path';
import { loadSettings, redactUrl, type TernSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import type { LoadedPlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { withInProcessWorkers } from '../../worker/worker';
import type { PhaseResult } from '../../workflows/phase';
import {
  defaultMigrationId,
  refuseAnotherPinnedPlan,
  startPhase,
  type PhaseOptions,
  type RunnablePhase,
} from '../client/phases';
import type { RollbackResult } from '../../workflows/rollback';
import type { PreferencesResult } from '../../workflows/preferences';
import { openStagingForProcess } from '../stack/database';
import { ledgerRowsToUndo } from '../../staging/repos/ledger-counts';
import type { ProgressSnapshot } from '../client/progress';
import { watchProgress, type ProgressMode } from '../client/progress-display';
import { ensureTemporal } from '../stack/temporal';

export interface RunPhaseOptions {
  migrationId?: string;
  /** Run a worker in this process while the phase runs (needed on the embedded database). */
  inProcessWorker: boolean;
  /** Wait for the result; otherwise return once the workflow is started. */
  wait: boolean;
  /** While waiting, show the phase's progress: bars, plain lines through `say`, or nothing (the default). */
  progress?: ProgressMode;
  actor?: string;
  say: (line: string) => void;
  /** Runs against staging before the phase starts (the demo creates its target table here). */
  prepare?: (staging: Staging) => Promise<void>;
  /** Runs against staging once the phase is over (or started, when not waiting), before it closes. */
  after?: (staging: Staging, outcome: { migrationId: string }) => Promise<void>;
  settings?: TernSettings;
  /** Gate, delta overlap, rollback reason: see PhaseOptions. */
  phaseOptions?: PhaseOptions;
}

export interface RunPhaseOutcome<R = PhaseResult> {
  migrationId: string;
  workflowId: string;
  uiUrl: string;
  result?: R;
}

export type ResultOf<P extends RunnablePhase> = P extends 'preferences'
  ? PreferencesResult
  : P extends 'rollback'
    ? RollbackResult
    : PhaseResult;

/** Starts (or attaches to) the full phase of a plan and, if asked, runs a worker and waits for the proof. */
export function runFullPhase(loaded: LoadedPlan, options: RunPhaseOptions): Promise<RunPhaseOutcome> {
  return runPhase(loaded, 'full', options);
}

/** Starts (or attaches to) a phase of a plan and, if asked, runs a worker and waits for its result. */
export async function runPhase<P extends RunnablePhase>(
  loaded: LoadedPlan,
  phase: P,
  options: RunPhaseOptions,
): Promise<RunPhaseOutcome<ResultOf<P>>> {
  const settings = options.settings ?? loadSettings();
  await ensureTemporal(settings, options.say);
  const processStaging = await openStagingForProcess(settings);
  const { staging, embedded } = processStaging;
  options.say(
    embedded
      ? `staging on the embedded database (${path.join(settings.homeDir, 'pglite')})`
      : `staging on ${redactUrl(staging.url)}`,
  );
  try {
    const client = await connectClient(settings.temporal);
    try {
      // Refused before `prepare` changes anything: a phase running another version of this plan keeps it.
      const migrationId = options.migrationId ?? defaultMigrationId(loaded.plan);
      await refuseAnotherPinnedPlan(client, settings, migrationId, phase, loaded.hash);
      await options.prepare?.(staging);
      const begin = async (): Promise<RunPhaseOutcome<ResultOf<P>>> => {
        const progress = options.wait ? (options.progress ?? 'off') : 'off';
        // A rollback's progress counts against the ledger rows it has to undo, read before it starts undoing.
        const totals =
          phase === 'rollback' && progress !== 'off' ? await ledgerRowsToUndo(staging.db, migrationId) : undefined;
        const started = await startPhase(client, settings, staging.db, loaded, {
          ...options.phaseOptions,
          phase,
          migrationId: options.migrationId,
          actor: options.actor,
        });
        options.say(`workflow ${started.workflowId} — Temporal UI: ${started.uiUrl}`);
        const outcome: RunPhaseOutcome<ResultOf<P>> = {
          migrationId: started.migrationId,
          workflowId: started.workflowId,
          uiUrl: started.uiUrl,
        };
        if (options.wait)
          outcome.result = await watchProgress({
            phase,
            mode: progress,
            query: () => started.handle.query<ProgressSnapshot>('progress'),
            result: started.handle.result() as Promise<ResultOf<P>>,
            say: options.say,
            totals,
          });
        await options.after?.(staging, outcome);
        return outcome;
      };
      if (!options.inProcessWorker) return await begin();
      return await withInProcessWorkers(settings, staging, begin);
    } finally {
      await client.connection.close();
    }
  } finally {
    await processStaging.stop();
  }
}
