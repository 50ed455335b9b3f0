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
 */
export function manualClock(start = 1_000_000): ManualClock {
  let t = start;
  let timers: { at: number; seq: number; fn: () => void }[] = [];
  let seq = 0;
  const schedule = (ms: number, fn: () => void) => timers.push({ at: t + Math.max(0, ms), seq: seq++, fn });
  return {
    now: () => t,
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
