import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { workflowUiUrl, type TernSettings } from '../../common/config';
import { ConfigError, TemporalUnreachableError } from '../../common/errors';
import { phaseWorkflowId } from '../../workflows/ids';
import { approveUpdate, pauseSignal, resumeSignal, type Approval, type LoadPhase } from '../../workflows/phase';
import { CallTimeoutError, firstLine, requireRunningPhase, within } from './shared';

/** What `tern pause` / `tern resume` did. */
export interface SignalOutcome {
  migration: string;
  phase: LoadPhase;
  workflowId: string;
  uiUrl: string;
  signal: 'pause' | 'resume';
  reason?: string;
}

/** Who pauses or resumes, as the audit log records it: the person at the command line. */
const operator = () => process.env.USER ?? 'operator';

/** Pauses a running loading phase: it stops before its next page (the page in flight finishes). */
export async function pausePhase(
  client: Client,
  settings: TernSettings,
  migrationId: string,
  phase: LoadPhase,
  reason?: string,
  by: string = operator(),
): Promise<SignalOutcome> {
  await requireRunningPhase(client, migrationId, phase);
  const workflowId = phaseWorkflowId(migrationId, phase);
  const trimmed = reason?.trim() || undefined;
  await client.workflow.getHandle(workflowId).signal(pauseSignal, { ...(trimmed ? { reason: trimmed } : {}), by });
  return {
    migration: migrationId,
    phase,
    workflowId,
    uiUrl: workflowUiUrl(settings.temporal, workflowId),
    signal: 'pause',
    ...(trimmed ? { reason: trimmed } : {}),
  };
}

/** Resumes a paused loading phase at the page it stopped before. */
export async function resumePhase(
  client: Client,
  settings: TernSettings,
  migrationId: string,
  phase: LoadPhase,
  by: string = operator(),
): Promise<SignalOutcome> {
  await requireRunningPhase(client, migrationId, phase);
  const workflowId = phaseWorkflowId(migrationId, phase);
  await client.workflow.getHandle(workflowId).signal(resumeSignal, { by });
  return {
    migration: migrationId,
    phase,
    workflowId,
    uiUrl: workflowUiUrl(settings.temporal, workflowId),
    signal: 'resume',
  };
}

export function formatSignalOutcome(outcome: SignalOutcome, planFile = '<plan>'): string {
  return outcome.signal === 'pause'
    ? `paused the ${outcome.phase} phase of ${outcome.migration}${outcome.reason ? ` (${outcome.reason})` : ''}: it stops before its next page; continue with \`tern resume ${planFile} --phase ${outcome.phase}\` — ${outcome.uiUrl}`
    : `resumed the ${outcome.phase} phase of ${outcome.migration} — ${outcome.uiUrl}`;
}

/** What `tern approve` did. */
export interface ApprovalOutcome {
  migration: string;
  phase: LoadPhase;
  workflowId: string;
  uiUrl: string;
  approval: Approval;
  /** The phase had been approved before: the earlier approval stands. */
  alreadyApproved: boolean;
}

/**
 * Lets a gated loading phase write to the target: executes the workflow's `approve` Update. The workflow's
 * validator decides (who and why are required); its rejection is bad input with the fix.
 */
export async function approvePhase(
  client: Client,
  settings: TernSettings,
  migrationId: string,
  phase: LoadPhase,
  request: { by?: string; reason?: string },
  options: { timeoutMs?: number } = {},
): Promise<ApprovalOutcome> {
  const description = await requireRunningPhase(client, migrationId, phase);
  const workflowId = phaseWorkflowId(migrationId, phase);
  const handle = client.workflow.getHandle(workflowId);
  const timeout = options.timeoutMs ?? 30_000;
  const by = request.by ?? '';
  const reason = request.reason ?? '';
  const fix = `tern approve <plan> --phase ${phase} --by <name> --reason "why this phase may write (5+ characters)"`;
  let approval: Approval;
  try {
    approval = await within(client, timeout, () => handle.executeUpdate(approveUpdate, { args: [{ by, reason }] }));
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new ConfigError(
        `the ${phase} phase of ${migrationId} refused the approval: ${firstLine(err.cause ?? err)}`,
        fix,
      );
    if (err instanceof WorkflowNotFoundError)
      throw new ConfigError(
        `the ${phase} phase of ${migrationId} closed before the approval reached it`,
        '`tern status <plan>` shows how it ended',
      );
    if (err instanceof CallTimeoutError || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new TemporalUnreachableError(
        `no worker took the approval of the ${phase} phase of ${migrationId} within ${timeout / 1000}s (it may still apply once a worker runs the phase)`,
        `start a worker on task queue ${description.taskQueue} (\`TERN_TASK_QUEUE=${description.taskQueue} tern worker\`) and approve again`,
        { cause: err },
      );
    throw err;
  }
  return {
    migration: migrationId,
    phase,
    workflowId,
    uiUrl: workflowUiUrl(settings.temporal, workflowId),
    approval,
    alreadyApproved: approval.by !== by.trim() || approval.reason !== reason.trim(),
  };
}

export function formatApprovalOutcome(outcome: ApprovalOutcome): string {
  return outcome.alreadyApproved
    ? `the ${outcome.phase} phase of ${outcome.migration} was already approved by ${outcome.approval.by}: ${outcome.approval.reason} — ${outcome.uiUrl}`
    : `approved the ${outcome.phase} phase of ${outcome.migration} (by ${outcome.approval.by}: ${outcome.approval.reason}); it now writes to the target — ${outcome.uiUrl}`;
}
