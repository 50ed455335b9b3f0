import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { workflowUiUrl, type TernSettings } from '../../common/config';
import { formatOffset } from '../../plan/cutover';
import type { Staging } from '../../staging/db';
import { cutoverProgressQuery, type CutoverProgress, type Decision } from '../../workflows/cutover-state';
import { cutoverWorkflowId } from '../../workflows/ids';
import { formatDuration } from '../client/progress';
import { isoColumn } from '../../staging/iso';
import { CallTimeoutError, firstLine, within, workflowStatus, type WorkflowStatus } from './shared';

/** The go-live weekend as `tern status` shows it: Temporal's view of the cutover workflow, and staging's record. */
export interface CutoverStatus {
  workflowId: string;
  status: WorkflowStatus;
  uiUrl: string;
  startedAt: string;
  closedAt: string | null;
  /** The workflow's `progress` query while it runs: every step with its deadline, the people's decisions. */
  progress?: CutoverProgress;
  progressError?: string;
  /** The step running now, and seconds to its deadline (negative once past it). */
  current: string | null;
  secondsLeft: number | null;
  /** Steps whose deadline passed while they ran. */
  overdue: string[];
  /** The migration went live (the cutover's go), from staging's runs: when, and whose decision. */
  live: { at: string; decision?: Decision } | null;
  /** How the last cutover ended, from staging's runs. */
  outcome: string | null;
}

/** The migration's cutover, or null when none was started. */
export async function loadCutoverStatus(
  deps: { client: Client; staging: Staging; settings: TernSettings },
  migrationId: string,
  options: { queryTimeoutMs?: number; now?: Date } = {},
): Promise<CutoverStatus | null> {
  const workflowId = cutoverWorkflowId(migrationId);
  let description;
  try {
    description = await deps.client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const status: CutoverStatus = {
    workflowId,
    status: workflowStatus(description),
    uiUrl: workflowUiUrl(deps.settings.temporal, workflowId),
    startedAt: description.startTime.toISOString(),
    closedAt: description.closeTime?.toISOString() ?? null,
    current: null,
    secondsLeft: null,
    overdue: [],
    live: null,
    outcome: null,
  };
  if (status.status === 'running') {
    const timeout = options.queryTimeoutMs ?? 5000;
    try {
      const progress = await within(deps.client, timeout, () =>
        deps.client.workflow.getHandle(workflowId).query(cutoverProgressQuery),
      );
      status.progress = progress;
      status.current = progress.current;
      status.overdue = progress.steps.filter((s) => s.overdue).map((s) => s.step);
      const step = progress.steps.find((s) => s.step === progress.current);
      if (step)
        status.secondsLeft = Math.round(
          (new Date(step.deadlineAt).getTime() - (options.now ?? new Date()).getTime()) / 1000,
        );
    } catch (err) {
      status.progressError =
        err instanceof CallTimeoutError
          ? `no worker answered the progress query within ${timeout / 1000}s (is \`tern worker\` running on task queue ${description.taskQueue}?)`
          : firstLine(err);
    }
  }
  const sql = deps.staging.sql;
  const [run] = await sql<{ status: string; summary: Record<string, unknown> | null; finished_at: string | null }[]>`
    select status, summary, ${isoColumn(sql, 'finished_at')} as finished_at
    from runs where migration_id = ${migrationId} and phase = 'cutover' and finished_at is not null
    order by id desc limit 1`;
  if (run) {
    status.outcome = typeof run.summary?.outcome === 'string' ? run.summary.outcome : run.status;
    if (status.status !== 'running' && Array.isArray(run.summary?.overdue))
      status.overdue = run.summary.overdue.filter((s): s is string => typeof s === 'string');
    if (run.status === 'completed' && run.summary?.live === true)
      status.live = { at: run.finished_at!, decision: run.summary.decision as Decision | undefined };
  }
  return status;
}

/** The cutover as lines of `tern status`. */
export function formatCutoverStatus(c: CutoverStatus, planFile = '<plan>'): string[] {
  const out = [
    `cutover (${c.workflowId}): ${c.status}, started ${c.startedAt}${c.closedAt ? `, closed ${c.closedAt}` : ''}  ${c.uiUrl}`,
  ];
  if (c.progressError) out.push(`  progress unavailable: ${c.progressError}`);
  const p = c.progress;
  if (p) {
    const start = new Date(p.startedAt).getTime();
    for (const s of p.steps) {
      const due = formatOffset((new Date(s.deadlineAt).getTime() - start) / 60_000);
      out.push(
        `  ${s.step === p.current ? '▶' : ' '} ${s.step.padEnd(9)} ${s.state.padEnd(7)} due ${due}${s.overdue ? `  OVERDUE since ${s.overdueAt}` : ''}`,
      );
    }
    if (c.current && c.secondsLeft !== null)
      out.push(
        `  step ${c.current}: ${c.secondsLeft >= 0 ? `${formatDuration(c.secondsLeft)} left` : `${formatDuration(-c.secondsLeft)} past its deadline`}`,
      );
    if (p.freeze) out.push(`  source frozen by ${p.freeze.by} at ${p.freeze.at}: ${p.freeze.reason}`);
    if (p.signoff)
      out.push(
        `  signed off by ${p.signoff.by} (proof pack ${p.signoff.reportHash.slice(0, 16)}…): ${p.signoff.reason}`,
      );
    const next = nextControl(p, planFile);
    if (next) out.push(`  WAITING: ${next}`);
  } else if (c.overdue.length > 0) out.push(`  steps past their deadline: ${c.overdue.join(', ')}`);
  if (c.live)
    out.push(
      `  LIVE since ${c.live.at}${c.live.decision ? ` (go by ${c.live.decision.by}: ${c.live.decision.reason})` : ''}`,
    );
  else if (c.outcome && c.status !== 'running') out.push(`  outcome: ${c.outcome}`);
  return out;
}

/** The command a person runs next, when the cutover waits for one. */
function nextControl(p: CutoverProgress, planFile: string): string | null {
  if (p.current === 'freeze' && !p.freeze)
    return `\`tern cutover freeze ${planFile} --by <name> --reason "<how the source is frozen>"\``;
  if (p.current === 'signoff' && !p.signoff)
    return `\`tern report ${planFile} --html <dir>\`, then \`tern cutover signoff ${planFile} --by <name> --reason "…" --report-hash <its content hash>\` (or nogo)`;
  if (p.current === 'decision' && !p.decision)
    return `\`tern cutover go ${planFile} --by <name> --reason "…"\` or \`tern cutover nogo ${planFile} --by <name> --reason "…"\``;
  return null;
}
