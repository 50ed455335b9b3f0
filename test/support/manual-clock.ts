import type { Clock } from '../../connectors/kit/budget-stores';

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, waking each sleeper and running each `later` at its own moment, in order. */
  advanceBy(ms: number): Promise<void>;
  /** Moves time forward by `ms` while the process is busy: what falls due meanwhile runs only afterwards, late. */
  stall(ms: number): Promise<void>;
}

/** Lets every promise that can settle now settle (stores in memory answer at once). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock that moves only when the test moves it. Unlike a clock whose sleeps return at once, a sleeper waits
 * until the test moves time past its wake-up, so requests that wait side by side can be overtaken by a pause.
 *
 * `wholeMs` makes it count as Node does: `now()` in whole milliseconds, and a timer of a fraction of a millisecond
 * fires on a later whole millisecond, at least one after it was set.
 */
export function manualClock(start = 1_000_000, options: { wholeMs?: boolean } = {}): ManualClock {
  let t = start;
  let timers: { at: number; seq: number; fn: () => void }[] = [];
  let seq = 0;
  const delay = (ms: number) => (options.wholeMs ? Math.max(1, Math.ceil(ms)) : Math.max(0, ms));
  const schedule = (ms: number, fn: () => void) => timers.push({ at: t + delay(ms), seq: seq++, fn });
  return {
    now: () => (options.wholeMs ? Math.floor(t) : t),
    sleep: (ms) => new Promise<void>((resolve) => schedule(ms, resolve)),
    later: schedule,
    async advanceBy(ms) {
      const until = t + ms;
      for (;;) {
        await settle();
        const due = timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (!due) break;
        timers = timers.filter((timer) => timer !== due);
        t = Math.max(t, due.at);
        due.fn();
      }
      t = until;
      await settle();
    },
    async stall(ms) {
      t += ms;
      await this.advanceBy(0);
    },
  };
}
