// Shows a running phase's progress while the CLI waits for its result: bars on an interactive terminal, plain
// lines on anything else (a log, CI), nothing for --json.
import { MultiBar, type SingleBar } from 'cli-progress';
import type { Phase } from '../../workflows/ids';
import {
  formatBarLine,
  formatProgressLine,
  linesDue,
  viewProgress,
  type ProgressSnapshot,
  type ProgressView,
} from './progress';

export type ProgressMode = 'bars' | 'lines' | 'off';

/** Bars where the terminal redraws them (the stream is a TTY), plain lines elsewhere, none for --json. */
export function progressModeFor(stream: { isTTY?: boolean }, json: boolean | undefined): ProgressMode {
  if (json) return 'off';
  return stream.isTTY && process.env.TERM !== 'dumb' ? 'bars' : 'lines';
}

export interface WatchOptions<R> {
  phase: Phase;
  mode: ProgressMode;
  /** The workflow's `progress` query. */
  query: () => Promise<ProgressSnapshot>;
  /** The workflow's result: watching ends when it settles, and it is what `watchProgress` returns. */
  result: Promise<R>;
  /** Where bars are drawn (default: stderr, beside Tern's other running commentary; stdout keeps the result). */
  stream?: NodeJS.WriteStream;
  /** Where plain lines go. */
  say: (line: string) => void;
  /** How often to ask (ms): 1 s. */
  pollMs?: number;
  /** Plain lines: a moving count prints again after this long (ms; a stage change prints at once): 10 s. */
  linesEveryMs?: number;
  /** Counts the snapshots do not carry (a rollback's ledger rows to undo). */
  totals?: Record<string, number>;
}

interface Display {
  show(view: ProgressView, at: number): void;
  stop(): void;
}

/**
 * Waits for `result` while showing the phase's progress, then shows the finished state once more (the query is
 * answered from history after the workflow closes) and returns the result. A query nobody answers yet (the worker
 * is starting) is asked again at the next poll; progress never fails a run.
 */
export async function watchProgress<R>(options: WatchOptions<R>): Promise<R> {
  if (options.mode === 'off') return options.result;
  const pollMs = options.pollMs ?? 1000;
  const display: Display =
    options.mode === 'bars'
      ? barsDisplay(options.stream ?? process.stderr)
      : linesDisplay(options.say, options.linesEveryMs ?? 10_000);
  let view: ProgressView | undefined;
  let settled = false;
  const over = options.result.then(
    () => (settled = true),
    () => (settled = true),
  );
  const poll = async () => {
    try {
      const snapshot = await withinMs(options.query(), Math.max(pollMs, 5000));
      const at = Date.now();
      view = viewProgress(options.phase, snapshot, at, view, options.totals);
      display.show(view, at);
    } catch {
      // Not answered (yet): the next poll asks again.
    }
  };
  try {
    while (!settled) {
      await poll();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([over, new Promise((resolve) => (timer = setTimeout(resolve, pollMs)))]);
      clearTimeout(timer);
    }
    await poll();
  } finally {
    display.stop();
  }
  return options.result;
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Plain lines: an object's line when its stage changes, and while it moves, at most every `everyMs`. */
function linesDisplay(say: (line: string) => void, everyMs: number): Display {
  const printed: Record<string, { at: number; stage: string; value: number }> = {};
  let status: string | null = null;
  return {
    show(view, at) {
      if (view.status !== status && view.status !== null) say(`${view.phase}: ${view.status}`);
      status = view.status;
      for (const bar of linesDue(view, printed, at, everyMs)) {
        say(formatProgressLine(bar));
        printed[bar.object] = { at, stage: bar.stage, value: bar.value };
      }
    },
    stop() {},
  };
}

/** Bars redrawn in place by cli-progress, one per object, and a line for the phase's news under them. */
function barsDisplay(stream: NodeJS.WriteStream): Display {
  const multi = new MultiBar({
    stream,
    format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
    fps: 5,
    // Ctrl-C stops Tern as it always did: no signal handler of the bars' own keeps the process alive.
    gracefulExit: false,
    hideCursor: false,
    clearOnComplete: false,
    linewrap: true,
  });
  const bars = new Map<string, SingleBar>();
  let statusBar: SingleBar | undefined;
  return {
    show(view) {
      const nameWidth = Math.max(...view.bars.map((b) => b.object.length), 0);
      const gaugeWidth = Math.max(10, Math.min(30, (stream.columns ?? 100) - nameWidth - 80));
      for (const bar of view.bars) {
        const line = formatBarLine(bar, { width: gaugeWidth, nameWidth });
        const existing = bars.get(bar.object);
        if (existing) existing.update(bar.value, { line });
        else bars.set(bar.object, multi.create(bar.total ?? 0, bar.value, { line }));
      }
      const status = view.status ?? '';
      if (statusBar) statusBar.update(0, { line: status });
      else if (status) statusBar = multi.create(0, 0, { line: status });
    },
    stop() {
      multi.stop();
    },
  };
}
