import fs from 'node:fs';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { loadSettings, type TernSettings } from '../../common/config';
import { ConfigError } from '../../common/errors';
import { connectClient } from '../../common/temporal';
import { loadPlanFile, type LoadedPlan } from '../../plan/load';
import type { Staging, StagingDb } from '../../staging/db';
import { getMigration, UnknownMigrationError, type StoredMigration } from '../../staging/migrations-repo';
import { phaseWorkflowId, type Phase } from '../../workflows/ids';
import type { LoadPhase } from '../../workflows/phase';
import { defaultMigrationId } from '../client/phases';
import { openStagingForProcess } from '../stack/database';

/** Helpers shared by the operator commands (status, pause/resume, approve, reconcile, quarantine). */

export const LOAD_PHASES: readonly LoadPhase[] = ['sample', 'full', 'delta'];

/** The plan file and the migration it names: `--migration`, else the plan's default id. */
export function resolveMigration(planFile: string, migration?: string): { loaded: LoadedPlan; migrationId: string } {
  const loaded = loadPlanFile(planFile);
  return { loaded, migrationId: migration?.trim() || defaultMigrationId(loaded.plan) };
}

/**
 * A command's `<plan-or-migration>` argument: a migration id alone (an existing file, or a name ending in .yaml,
 * is a plan) is enough for commands that read what staging holds.
 */
export function resolvePlanOrMigration(
  planOrId: string,
  migration?: string,
): { loaded: LoadedPlan | undefined; migrationId: string } {
  const byId = !fs.existsSync(planOrId) && /^[A-Za-z0-9_.-]+$/.test(planOrId) && !/\.ya?ml$/.test(planOrId);
  return byId
    ? { loaded: undefined, migrationId: migration?.trim() || planOrId }
    : resolveMigration(planOrId, migration);
}

/** Checks a `--phase` option naming a loading phase; `fix` is the command line to suggest. */
export function loadPhaseOption(value: string | undefined, fix: (phase: string) => string): LoadPhase {
  if (value && (LOAD_PHASES as readonly string[]).includes(value)) return value as LoadPhase;
  throw new ConfigError(
    value ? `--phase ${value} is not a loading phase (sample, full or delta)` : 'this command needs --phase',
    fix('<sample|full|delta>'),
  );
}

/** The migration as stored in staging; an unknown id is bad input (exit 2), with the fix. */
export async function requireMigration(db: StagingDb, migrationId: string): Promise<StoredMigration> {
  try {
    return await getMigration(db, migrationId);
  } catch (err) {
    if (err instanceof UnknownMigrationError)
      throw new ConfigError(
        `migration ${migrationId} does not exist in staging`,
        'run a phase first (`tern run preferences <plan>`), or pass the id it ran under with --migration <id>',
      );
    throw err;
  }
}

/** Runs `fn` against this process's staging database and always closes it. */
export async function withStaging<T>(settings: TernSettings, fn: (staging: Staging) => Promise<T>): Promise<T> {
  const processStaging = await openStagingForProcess(settings);
  try {
    return await fn(processStaging.staging);
  } finally {
    await processStaging.stop();
  }
}

/** Runs `fn` with a Temporal client and always closes its connection. */
export async function withTemporal<T>(settings: TernSettings, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectClient(settings.temporal);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}

/** Settings for a command: the environment's, unless a caller (a test) passes its own. */
export function settingsOr(settings?: TernSettings): TernSettings {
  return settings ?? loadSettings();
}

export type WorkflowStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed out' | 'unknown';

export function workflowStatus(description: WorkflowExecutionDescription): WorkflowStatus {
  switch (description.status.name) {
    case 'RUNNING':
    case 'PAUSED':
      return 'running';
    case 'COMPLETED':
    case 'CONTINUED_AS_NEW':
      return 'completed';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
    case 'TERMINATED':
      return 'terminated';
    case 'TIMED_OUT':
      return 'timed out';
    default:
      return 'unknown';
  }
}

/** The latest execution of a phase's workflow, or undefined when it was never started. */
export async function describePhase(
  client: Client,
  migrationId: string,
  phase: Phase,
): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(phaseWorkflowId(migrationId, phase)).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The running workflow of a loading phase, or a one-line error saying why there is none and what to do. */
export async function requireRunningPhase(
  client: Client,
  migrationId: string,
  phase: LoadPhase,
): Promise<WorkflowExecutionDescription> {
  const description = await describePhase(client, migrationId, phase);
  if (!description)
    throw new ConfigError(
      `migration ${migrationId} has no ${phase} phase workflow (${phaseWorkflowId(migrationId, phase)})`,
      `start it with \`tern run ${phase} <plan>\`, or check --migration`,
    );
  const status = workflowStatus(description);
  if (status !== 'running')
    throw new ConfigError(
      `the ${phase} phase of ${migrationId} is ${status}, not running`,
      '`tern status <plan>` shows every phase; start the phase again with `tern run` if needed',
    );
  return description;
}

/** First line of an error, for reports that carry on after it. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** A Temporal call given up after its time: nobody (no worker) answered. */
export class CallTimeoutError extends Error {
  constructor(
    readonly ms: number,
    options?: { cause?: unknown },
  ) {
    super(`no answer within ${ms / 1000}s`, options);
  }
}

/**
 * Runs Temporal calls that need a worker to answer (queries, updates) for at most `ms`. The server reports
 * a call cut short as a deadline or as a cancellation, depending on timing: our own timer decides.
 */
export async function within<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await client.withAbortSignal(controller.signal, fn);
  } catch (err) {
    if (controller.signal.aborted) throw new CallTimeoutError(ms, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
