// What a running phase's `progress` query answers, turned into one bar per object: pure, so rates, ETAs and the
// lines people read are unit-tested without a terminal or a workflow.
import type { Phase } from '../../workflows/ids';
import type { PhaseProgress } from '../../workflows/phase-state';
import type { PreferencesProgress } from '../../workflows/preferences';
import type { RollbackProgress } from '../../workflows/rollback';

/** What the `progress` query of any phase answers. */
export type ProgressSnapshot = PhaseProgress | PreferencesProgress | RollbackProgress;

/** One object's bar. */
export interface BarState {
  object: string;
  /** What the object is doing now, in the phase's words (`loading`, `reconciling`, `profiled`, …). */
  stage: string;
  /** Records (or steps) done, and of how many: null while the phase does not know yet. */
  value: number;
  total: number | null;
  unit: 'records' | 'steps';
  /** Records per second: the workflow's (from the activities' clocks), else measured between snapshots. */
  rate: number | null;
  /** Seconds left at that rate; 0 once finished, null while unknown. */
  etaSeconds: number | null;
  finished: boolean;
  /** The figures beside the count: written and quarantined, removed and restored, rows profiled. */
  detail: string;
}

export interface ProgressView {
  phase: Phase;
  /** Phase-wide news: paused and why, awaiting approval, the rollback's or the profile's stage. */
  status: string | null;
  /** In the order objects first appeared; an object a later snapshot brings gets its bar at the end. */
  bars: BarState[];
  /** Per object, the last snapshot (client clock, ms) at which its count had not moved yet: where rates start. */
  baseline: Record<string, { at: number; value: number }>;
}

const count = (n: number) => n.toLocaleString('en-US');

const PREFERENCE_STEPS = ['waiting', 'extracted', 'profiled', 'dry-run done'] as const;

/**
 * The next view from a snapshot taken at `at` (client clock, ms) and the view before it. `totals` are counts
 * known outside the snapshot (a rollback's ledger rows to undo, read from staging when it started).
 */
export function viewProgress(
  phase: Phase,
  snapshot: ProgressSnapshot,
  at: number,
  previous?: ProgressView,
  totals: Readonly<Record<string, number>> = {},
): ProgressView {
  const baseline: ProgressView['baseline'] = { ...previous?.baseline };
  const measured = (object: string, value: number): number | null => {
    const base = baseline[object];
    // Until the count moves, the baseline moves with the snapshots: time spent waiting is not in the rate.
    if (!base || value <= base.value || at <= base.at) {
      baseline[object] = { at, value };
      return null;
    }
    return Math.round(((value - base.value) / ((at - base.at) / 1000)) * 10) / 10;
  };
  let status: string | null;
  let bars: BarState[];
  if (phase === 'preferences') {
    const p = snapshot as PreferencesProgress;
    status = `stage: ${p.stage}`;
    bars = p.objects.map((o) => {
      const step = PREFERENCE_STEPS.indexOf(o.stage);
      return {
        object: o.object,
        stage: o.stage,
        value: step,
        total: PREFERENCE_STEPS.length - 1,
        unit: 'steps',
        rate: null,
        etaSeconds: step === PREFERENCE_STEPS.length - 1 ? 0 : null,
        finished: step === PREFERENCE_STEPS.length - 1,
        detail: `${count(o.rows)} rows`,
      };
    });
  } else if (phase === 'rollback') {
    const p = snapshot as RollbackProgress;
    status = `stage: ${p.stage}`;
    const current = p.stage === 'rolling back' ? p.objects.find((o) => !o.done)?.object : undefined;
    bars = p.objects.map((o) => {
      const value = o.deleted + o.restored;
      const known = totals[o.object];
      const total = o.done ? value : known === undefined ? null : Math.max(known, value);
      const rate = measured(o.object, value);
      return {
        object: o.object,
        stage: o.done ? 'rolled back' : o.object === current ? 'rolling back' : 'waiting',
        value,
        total,
        unit: 'records',
        rate,
        etaSeconds: o.done ? 0 : etaOf(value, total, rate),
        finished: o.done,
        detail: `${count(o.deleted)} removed, ${count(o.restored)} restored`,
      };
    });
  } else {
    const p = snapshot as PhaseProgress;
    status = p.paused
      ? `paused${p.pauseReason ? `: ${p.pauseReason}` : ''}`
      : p.awaitingApproval
        ? 'awaiting approval (`tern approve`)'
        : null;
    bars = p.objects.map((o) => {
      const finished = o.stage === 'done';
      // A total of 0 before the object is prepared means "not counted yet", not "empty".
      const total = finished ? Math.max(o.total, o.done) : o.total > 0 ? Math.max(o.total, o.done) : null;
      const seen = measured(o.object, o.done);
      const rate = o.rate ?? seen;
      const extra = [
        o.deleted ? `${count(o.deleted)} deleted` : '',
        o.conflicts ? `${count(o.conflicts)} conflicts` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return {
        object: o.object,
        stage: o.stage,
        value: o.done,
        total,
        unit: 'records',
        rate,
        etaSeconds: finished ? 0 : o.rate !== null && o.etaSeconds !== null ? o.etaSeconds : etaOf(o.done, total, rate),
        finished,
        detail: `${count(o.written)} written, ${count(o.quarantined)} quarantined${extra ? `, ${extra}` : ''}`,
      };
    });
  }
  const byObject = new Map(bars.map((b) => [b.object, b]));
  const kept = (previous?.bars ?? []).flatMap((b) => byObject.get(b.object) ?? []);
  const appeared = bars.filter((b) => !previous?.bars.some((p) => p.object === b.object));
  return { phase, status, bars: [...kept, ...appeared], baseline };
}

function etaOf(value: number, total: number | null, rate: number | null): number | null {
  if (total === null || !rate || rate <= 0) return null;
  return Math.ceil(Math.max(total - value, 0) / rate);
}

/** Seconds as people read them: 42s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s >= 172_800) return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `600/1,200 (50%)`, `600` while the total is unknown, nothing before the count starts. */
function countText(bar: BarState): string {
  if (bar.unit === 'steps') return `step ${bar.value}/${bar.total ?? '?'}`;
  if (bar.total === null) return bar.value > 0 ? count(bar.value) : '';
  const percent = bar.total > 0 ? Math.floor((100 * bar.value) / bar.total) : 100;
  return `${count(bar.value)}/${count(bar.total)} (${percent}%)`;
}

/** Rate and ETA while records remain (a reconciling object has loaded them all: no pace to show). */
function pace(bar: BarState): string[] {
  if (bar.finished || (bar.total !== null && bar.value >= bar.total)) return [];
  return [
    ...(bar.rate !== null ? [`${count(bar.rate >= 10 ? Math.round(bar.rate) : bar.rate)} ${bar.unit}/s`] : []),
    ...(bar.etaSeconds !== null ? [`ETA ${formatDuration(bar.etaSeconds)}`] : []),
  ];
}

/** One line for a log or a terminal that is not interactive: `customers: loading 600/1,200 (50%), 420 records/s, …`. */
export function formatProgressLine(bar: BarState): string {
  const counted = countText(bar);
  return [`${bar.object}: ${bar.stage}${counted ? ` ${counted}` : ''}`, ...pace(bar), bar.detail].join(', ');
}

/** One bar for an interactive terminal: `customers  [██████░░░░░░]  600/1,200 (50%) · loading · 420 records/s · …`. */
export function formatBarLine(bar: BarState, options: { width?: number; nameWidth?: number } = {}): string {
  const width = options.width ?? 24;
  const share = bar.finished ? 1 : bar.total ? Math.min(bar.value / bar.total, 1) : 0;
  const filled = Math.round(share * width);
  const gauge =
    bar.total === null && !bar.finished ? '░'.repeat(width) : '█'.repeat(filled) + '░'.repeat(width - filled);
  const name = bar.object.padEnd(options.nameWidth ?? bar.object.length);
  const counted = countText(bar);
  return [`${name}  [${gauge}]${counted ? `  ${counted}` : ''}`, bar.stage, ...pace(bar), bar.detail].join(' · ');
}

/**
 * Which bars a plain-line log prints now: an object whose stage changed (or that appeared), and one whose count
 * moved at least `everyMs` after its last line. `printed` says when and at which stage each object last printed.
 */
export function linesDue(
  view: ProgressView,
  printed: Readonly<Record<string, { at: number; stage: string; value: number }>>,
  at: number,
  everyMs: number,
): BarState[] {
  return view.bars.filter((bar) => {
    const last = printed[bar.object];
    if (!last || last.stage !== bar.stage) return true;
    return bar.value !== last.value && at - last.at >= everyMs;
  });
}
