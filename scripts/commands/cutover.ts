import path from 'node:path';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Command } from 'commander';
import { loadSettings, redactUrl, workflowUiUrl, type TernSettings } from '../../common/config';
import { ConfigError, TemporalUnreachableError } from '../../common/errors';
import { connectClient } from '../../common/temporal';
import { formatTimeline, type TimelineStep } from '../../plan/cutover';
import type { LoadedPlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { withInProcessWorkers } from '../../worker/worker';
import {
  cutoverProgressQuery,
  cutoverRequestProblem,
  decisionUpdate,
  freezeUpdate,
  signoffUpdate,
  type CutoverProgress,
  type CutoverResult,
} from '../../workflows/cutover-state';
import { cutoverWorkflowId, phaseWorkflowId } from '../../workflows/ids';
import { ledgerRowsToUndo } from '../../staging/repos/ledger-counts';
import type { ProgressSnapshot } from '../client/progress';
import { progressModeFor, watchProgress, type ProgressMode } from '../client/progress-display';
import { planTimeline, startCutover } from '../client/cutover';
import { defaultMigrationId } from '../client/phases';
import { EXIT } from '../exit-codes';
import { openStagingForProcess } from '../stack/database';
import { ensureTemporal } from '../stack/temporal';
import { CallTimeoutError, firstLine, resolveMigration, within, withStaging, withTemporal } from './shared';

/** A person's control of a running cutover. */
export type CutoverControl = 'freeze' | 'signoff' | 'go' | 'nogo';

export interface CutoverControlOutcome {
  migration: string;
  control: CutoverControl;
  workflowId: string;
  uiUrl: string;
  /** What the cutover holds now (the earlier word stands when one came before). */
  accepted: { by: string; reason: string; at: string; reportHash?: string; go?: boolean };
}

/**
 * Sends a person's word to the running cutover as an Update, validated by the workflow (who, why, when it may come).
 * A sign-off's report hash must be the content hash of the proof pack the cutover presented, or of the pack staging
 * gives now: the workflow checks it where staging is (the embedded database opens in the cutover's process only),
 * so this command needs Temporal alone.
 */
export async function sendCutoverControl(
  client: Client,
  settings: TernSettings,
  migrationId: string,
  control: CutoverControl,
  request: { by?: string; reason?: string; reportHash?: string },
  options: { timeoutMs?: number } = {},
): Promise<CutoverControlOutcome> {
  const fix = `tern cutover ${control} <plan> --by <name> --reason "why (5+ characters)"${control === 'signoff' ? ' --report-hash <the proof pack content hash>' : ''}`;
  const problem = cutoverRequestProblem(control, request);
  if (problem) throw new ConfigError(problem, fix);
  const workflowId = cutoverWorkflowId(migrationId);
  const handle = client.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new ConfigError(
        `migration ${migrationId} has no cutover (${workflowId})`,
        'start it: `tern cutover <plan>`',
      );
    throw err;
  }
  if (description.status.name !== 'RUNNING')
    throw new ConfigError(
      `the cutover of ${migrationId} is ${description.status.name.toLowerCase()}, not running`,
      '`tern status <plan>` shows how it ended',
    );
  const by = request.by!.trim();
  const reason = request.reason!.trim();
  const timeout = options.timeoutMs ?? 30_000;
  let accepted: CutoverControlOutcome['accepted'];
  try {
    accepted = await within(client, timeout, () =>
      control === 'freeze'
        ? handle.executeUpdate(freezeUpdate, { args: [{ by, reason }] })
        : control === 'signoff'
          ? handle.executeUpdate(signoffUpdate, { args: [{ by, reason, reportHash: request.reportHash! }] })
          : handle.executeUpdate(decisionUpdate, { args: [{ by, reason, go: control === 'go' }] }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new ConfigError(`the cutover of ${migrationId} refused ${control}: ${firstLine(err.cause ?? err)}`, fix);
    if (err instanceof CallTimeoutError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new TemporalUnreachableError(
        `no worker took ${control} for the cutover of ${migrationId} within ${timeout / 1000}s`,
        `start a worker on task queue ${description.taskQueue} (\`TERN_TASK_QUEUE=${description.taskQueue} tern worker\`) and send it again`,
        { cause: err },
      );
    throw err;
  }
  return { migration: migrationId, control, workflowId, uiUrl: workflowUiUrl(settings.temporal, workflowId), accepted };
}

export function formatControlOutcome(o: CutoverControlOutcome): string {
  const what = { freeze: 'source frozen', signoff: 'signed off', go: 'go', nogo: 'no-go' }[o.control];
  return `cutover of ${o.migration}: ${what} — by ${o.accepted.by} at ${o.accepted.at}: ${o.accepted.reason}${o.accepted.reportHash ? ` (proof pack ${o.accepted.reportHash})` : ''} — ${o.uiUrl}`;
}

export interface RunCutoverOptions {
  migrationId?: string;
  by: string;
  overlapSeconds?: number;
  /** Run a worker in this process (needed on the embedded database) and wait for the end. */
  wait: boolean;
  say: (line: string) => void;
  settings?: TernSettings;
  /** Called with the timeline once the cutover is started. */
  onTimeline?: (timeline: TimelineStep[]) => void;
  /** Called once the cutover runs (the demo sends the people's words from here). */
  whileRunning?: (cutover: {
    client: Client;
    staging: Staging;
    migrationId: string;
    settings: TernSettings;
  }) => Promise<void>;
  /** While waiting, the final delta's and the rollback's progress: bars, plain lines through `say`, or none. */
  progress?: ProgressMode;
  /** Called with staging once the cutover is over, before this process lets staging go. */
  after?: (staging: Staging, outcome: RunCutoverOutcome) => Promise<void>;
}

export interface RunCutoverOutcome {
  migrationId: string;
  workflowId: string;
  uiUrl: string;
  timeline: TimelineStep[];
  result?: CutoverResult;
}

/** Starts (or attaches to) the cutover and, unless detached, runs a worker here and follows it step by step. */
export async function runCutover(loaded: LoadedPlan, options: RunCutoverOptions): Promise<RunCutoverOutcome> {
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
      const begin = async (): Promise<RunCutoverOutcome> => {
        const started = await startCutover(client, settings, staging, loaded, options);
        options.say(`workflow ${started.workflowId} — Temporal UI: ${started.uiUrl}`);
        options.onTimeline?.(started.timeline);
        const outcome: RunCutoverOutcome = {
          migrationId: started.migrationId,
          workflowId: started.workflowId,
          uiUrl: started.uiUrl,
          timeline: started.timeline,
        };
        if (!options.wait) return outcome;
        const result = started.handle.result();
        const progress = options.progress ?? 'off';
        const follow = followSteps(
          () => started.handle.query(cutoverProgressQuery),
          result,
          options.say,
          (step, since) =>
            progress === 'off'
              ? Promise.resolve()
              : watchChild(client, staging, started.migrationId, step, since, progress, options.say),
        );
        await options.whileRunning?.({ client, staging, migrationId: started.migrationId, settings });
        outcome.result = await result;
        await follow;
        await options.after?.(staging, outcome);
        return outcome;
      };
      if (!options.wait) return await begin();
      return await withInProcessWorkers(settings, staging, begin);
    } finally {
      await client.connection.close();
    }
  } finally {
    await processStaging.stop();
  }
}

/** Says each step as it starts and ends, and each missed deadline, until the cutover is over. */
async function followSteps(
  query: () => Promise<CutoverProgress>,
  result: Promise<unknown>,
  say: (line: string) => void,
  child: (step: 'delta' | 'rollback', since: string) => Promise<void>,
): Promise<void> {
  let over = false;
  void result.finally(() => (over = true)).catch(() => undefined);
  const seen = new Map<string, string>();
  let packSaid = false;
  while (!over) {
    try {
      const progress = await query();
      if (progress.proofPack && !packSaid) {
        packSaid = true;
        const p = progress.proofPack;
        say(
          `proof pack for the sign-off: ${p.path} (${p.bytes} bytes; ${p.ok ? 'every proof holds' : `${p.failures} proof(s) fail`}) — content hash ${p.contentHash}`,
        );
        say(`sign off: tern cutover signoff <plan> --by <name> --reason "<why>" --report-hash ${p.contentHash}`);
      }
      for (const s of progress.steps) {
        const key = `${s.state}${s.overdue ? ' overdue' : ''}`;
        if (seen.get(s.step) === key || (s.state === 'pending' && !s.overdue)) continue;
        seen.set(s.step, key);
        say(`cutover step ${s.step}: ${s.state}${s.overdue ? ` — OVERDUE (deadline ${s.deadlineAt})` : ''}`);
        // The final delta and the rollback are phases of their own: their objects' progress while they run.
        if (s.state === 'running' && (s.step === 'delta' || s.step === 'rollback') && s.startedAt)
          await child(s.step, s.startedAt);
      }
    } catch {
      // Not answered this time (the workflow closing, a worker starting): the next round asks again.
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Shows the progress of the child phase a step started (the final delta, the rollback) until it ends: the run
 * that started at or after the step, not an earlier phase under the same workflow id.
 */
async function watchChild(
  client: Client,
  staging: Staging,
  migrationId: string,
  step: 'delta' | 'rollback',
  since: string,
  mode: ProgressMode,
  say: (line: string) => void,
): Promise<void> {
  const workflowId = phaseWorkflowId(migrationId, step);
  // A rollback's bars count against the ledger rows it has to undo, read before it undoes many.
  const totals = step === 'rollback' ? await ledgerRowsToUndo(staging.db, migrationId) : undefined;
  for (let attempt = 0; attempt < 60; attempt++) {
    const description = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    // Workflow time and this machine's clock: a second of slack.
    if (description && description.startTime.getTime() >= Date.parse(since) - 1000) {
      const handle = client.workflow.getHandle(workflowId, description.runId);
      await watchProgress({
        phase: step,
        mode,
        query: () => handle.query<ProgressSnapshot>('progress'),
        result: handle.result().catch(() => undefined),
        say,
        totals,
      });
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export function formatCutoverResult(r: CutoverResult): string {
  const out = r.steps.map(
    (s) =>
      `  ${s.step.padEnd(9)} ${s.state.padEnd(7)}${s.startedAt ? ` ${s.startedAt} → ${s.endedAt ?? '…'}` : ''}${s.overdue ? '  OVERDUE' : ''}`,
  );
  for (const o of r.reconciliation)
    out.push(`  reconciled ${o.object}: ${o.ok ? 'ok' : 'NOT ok'}, ${o.checksumMismatches} checksum mismatches`);
  if (r.freeze) out.push(`  frozen by ${r.freeze.by}: ${r.freeze.reason}`);
  if (r.proofPack) out.push(`  proof pack presented: ${r.proofPack.path} (content hash ${r.proofPack.contentHash})`);
  if (r.signoff) out.push(`  signed off by ${r.signoff.by} on proof pack ${r.signoff.reportHash}: ${r.signoff.reason}`);
  if (r.decision) out.push(`  ${r.decision.go ? 'go' : 'no-go'} by ${r.decision.by}: ${r.decision.reason}`);
  if (r.rollbackReason) out.push(`  rolled back (${r.rollbackWorkflowId}): ${r.rollbackReason}`);
  out.push(`cutover ${r.outcome.toUpperCase()}: ${r.migrationId}${r.ok ? ' is live' : ''}`);
  return out.join('\n');
}

interface CutoverCommandOptions {
  migration?: string;
  by?: string;
  reason?: string;
  reportHash?: string;
  overlap: string;
  detach?: boolean;
  json?: boolean;
}

/** `tern cutover <plan>`, `tern cutover plan <plan>`, `tern cutover freeze|signoff|go|nogo <plan> --by … --reason …`. */
export function addCutoverCommands(program: Command, say: (line: string) => void): void {
  program
    .command('cutover')
    .description(
      'the go-live weekend as one workflow: `cutover <plan>` runs it; `cutover plan <plan>` prints its timeline; ' +
        '`cutover freeze|signoff|go|nogo <plan> --by <who> --reason <why> [--report-hash H]` are the people’s controls',
    )
    .argument('<plan-or-control>', 'plan file, or plan | freeze | signoff | go | nogo')
    .argument('[plan]', 'plan file, after a control')
    .option('--migration <id>', 'migration id (default: mig_<plan name>)')
    .option('--by <name>', 'who (default for starting it: $USER)')
    .option('--reason <text>', 'why (controls: at least 5 characters; kept in the audit log)')
    .option(
      '--report-hash <hash>',
      'signoff: the content hash of the proof pack signed off (`tern report <plan> --html`)',
    )
    .option('--overlap <seconds>', 'final delta: seconds before the last high-water mark still read as changed', '300')
    .option('--detach', 'start the cutover and return; a separate `tern worker` runs it (needs DATABASE_URL)')
    .option('--json', 'print the result as one JSON object')
    .action(async (first: string, second: string | undefined, opts: CutoverCommandOptions) => {
      const controls = ['freeze', 'signoff', 'go', 'nogo'];
      const planFile = second ?? first;
      if (second !== undefined && first !== 'plan' && !controls.includes(first))
        throw new ConfigError(
          `tern cutover ${first}: no such control`,
          'tern cutover plan|freeze|signoff|go|nogo <plan>',
        );
      const { loaded, migrationId } = resolveMigration(planFile, opts.migration);
      const settings = loadSettings();
      if (second !== undefined && first === 'plan') {
        const timeline = await withStaging(settings, (staging) => planTimeline(staging, migrationId, loaded));
        console.log(
          opts.json ? JSON.stringify({ migration: migrationId, timeline }) : formatTimeline(loaded.plan.name, timeline),
        );
        return;
      }
      if (second !== undefined) {
        const outcome = await withTemporal(settings, (client) =>
          sendCutoverControl(client, settings, migrationId, first as CutoverControl, {
            by: opts.by,
            reason: opts.reason,
            reportHash: opts.reportHash,
          }),
        );
        console.log(opts.json ? JSON.stringify(outcome) : formatControlOutcome(outcome));
        return;
      }
      const outcome = await runCutover(loaded, {
        migrationId: opts.migration ?? defaultMigrationId(loaded.plan),
        by: opts.by ?? process.env.USER ?? 'operator',
        overlapSeconds: Number(opts.overlap),
        wait: !opts.detach,
        say,
        progress: progressModeFor(process.stderr, opts.json),
        onTimeline: (timeline) => opts.json || console.error(formatTimeline(loaded.plan.name, timeline)),
      });
      if (!outcome.result) {
        console.log(opts.json ? JSON.stringify(outcome) : `started ${outcome.workflowId}: ${outcome.uiUrl}`);
        return;
      }
      console.log(
        opts.json
          ? JSON.stringify({ ...outcome.result, workflowId: outcome.workflowId })
          : formatCutoverResult(outcome.result),
      );
      process.exitCode = outcome.result.ok ? EXIT.ok : EXIT.failed;
    });
}
