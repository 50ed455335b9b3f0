// The cutover's minute-by-minute timeline: pure arithmetic over the plan's `cutover` section and measured estimates.
import { CUTOVER_STEPS, type CutoverPlan, type CutoverStepName } from './cutover-schema';

export { CUTOVER_STEPS, type CutoverPlan, type CutoverStepName } from './cutover-schema';

/** Minutes a step may take when the plan says nothing and nothing was measured. */
export const DEFAULT_STEP_MINUTES: Record<CutoverStepName, number> = {
  announce: 15,
  freeze: 60,
  delta: 60,
  reconcile: 30,
  signoff: 60,
  decision: 30,
  rollback: 120,
};

/** What each step is, for the timeline people read. */
export const STEP_TITLES: Record<CutoverStepName, string> = {
  announce: 'announce the freeze',
  freeze: 'source frozen (tern cutover freeze)',
  delta: 'final delta',
  reconcile: 'reconcile the whole target',
  signoff: 'sign-off on the proof pack (tern cutover signoff)',
  decision: 'go / no-go (tern cutover go|nogo)',
  rollback: 'rollback and its proof (on no-go or a failed reconciliation)',
};

/** A step's duration measured before (the last delta, full or rollback run in staging), with where it comes from. */
export interface StepEstimate {
  minutes: number;
  from: string;
}

export interface TimelineStep {
  step: CutoverStepName;
  title: string;
  /** Minutes from the cutover's start: when the step is due to begin (the step before's deadline) and its deadline. */
  startMinute: number;
  deadlineMinute: number;
  /** Where the deadline comes from. */
  basis: 'plan deadline' | 'plan minutes' | 'estimate' | 'default';
  estimate?: StepEstimate;
  /** The estimate does not fit in the minutes the step has. */
  atRisk: boolean;
  /** Runs only on a no-go or a failed reconciliation. */
  contingency: boolean;
}

/**
 * Every runbook step with its deadline: the plan's deadline, or the step before's deadline plus the plan's minutes,
 * else plus the measured estimate (rounded up to a minute), else plus Tern's default.
 */
export function cutoverTimeline(
  cutover: CutoverPlan | undefined,
  estimates: Partial<Record<CutoverStepName, StepEstimate>> = {},
): TimelineStep[] {
  const planned = new Map((cutover?.steps ?? []).map((s) => [s.step, s]));
  let previous = 0;
  return CUTOVER_STEPS.map((step) => {
    const own = planned.get(step);
    const estimate = estimates[step];
    let deadlineMinute: number;
    let basis: TimelineStep['basis'];
    if (own?.deadline !== undefined) [deadlineMinute, basis] = [own.deadline, 'plan deadline'];
    else if (own?.minutes !== undefined) [deadlineMinute, basis] = [previous + own.minutes, 'plan minutes'];
    else if (estimate) [deadlineMinute, basis] = [previous + Math.max(1, Math.ceil(estimate.minutes)), 'estimate'];
    else [deadlineMinute, basis] = [previous + DEFAULT_STEP_MINUTES[step], 'default'];
    const entry: TimelineStep = {
      step,
      title: STEP_TITLES[step],
      startMinute: previous,
      deadlineMinute,
      basis,
      ...(estimate ? { estimate } : {}),
      atRisk: estimate !== undefined && estimate.minutes > deadlineMinute - previous,
      contingency: step === 'rollback',
    };
    previous = deadlineMinute;
    return entry;
  });
}

/** The deadlines a cutover workflow runs to: seconds from its start, per step (names and numbers only). */
export function stepDeadlineSeconds(timeline: readonly TimelineStep[]): { step: CutoverStepName; seconds: number }[] {
  return timeline.map((t) => ({ step: t.step, seconds: Math.round(t.deadlineMinute * 60) }));
}

/** `T+h:mm` (or `T+h:mm:ss` when a deadline falls inside a minute, as in a rehearsal). */
export function formatOffset(minutes: number): string {
  const total = Math.round(minutes * 60);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `T+${h}:${String(m).padStart(2, '0')}${s ? `:${String(s).padStart(2, '0')}` : ''}`;
}

/** The timeline as people read it: one line a step, its window, where the deadline comes from, the estimate. */
export function formatTimeline(name: string, timeline: readonly TimelineStep[]): string {
  const rows = timeline.map((t) => [
    `${formatOffset(t.startMinute)} → ${formatOffset(t.deadlineMinute)}`,
    t.step,
    t.title,
    t.basis,
    t.estimate ? `est. ${formatMinutes(t.estimate.minutes)} (${t.estimate.from})${t.atRisk ? ' — AT RISK' : ''}` : '',
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd(),
  );
  const go = timeline.find((t) => t.step === 'decision');
  const back = timeline.find((t) => t.step === 'rollback');
  return [
    `cutover timeline of ${name} (T = when \`tern cutover\` starts)`,
    ...lines,
    `live by ${formatOffset(go?.deadlineMinute ?? 0)}; on no-go, back as before by ${formatOffset(back?.deadlineMinute ?? 0)}`,
  ].join('\n');
}

/** A duration in minutes as people say it: `45s`, `12 min`, `2 h 05 min`. */
export function formatMinutes(minutes: number): string {
  if (minutes < 1) return `${Math.max(1, Math.round(minutes * 60))}s`;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const h = Math.floor(minutes / 60);
  return `${h} h ${String(Math.round(minutes - h * 60)).padStart(2, '0')} min`;
}
