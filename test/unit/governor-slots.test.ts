import { attio } from '../../connectors/attio/declaration';
import { front } from '../../connectors/front/declaration';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore, type BudgetLease, type BudgetStore } from '../../connectors/kit/budget-stores';
import { manualClock, type ManualClock } from '../support/manual-clock';

/** 20 requests/s exactly (no headroom): one slot every 50 ms; a lease of 300 ms is 6 slots. */
const budget = { ...attio.budget, ratePerSecond: 20, burst: 1, concurrency: 8 };

function governor(store: BudgetStore, clock: ManualClock) {
  return new RateGovernor('k', budget, store, { headroom: 1, leaseMs: 300, clock });
}

/** Starts `n` requests at once; each entry of the result is when that request was let through (undefined: not yet). */
function start(g: RateGovernor, clock: ManualClock, n: number): (number | undefined)[] {
  const sent = Array.from({ length: n }, (): number | undefined => undefined);
  for (let i = 0; i < n; i++)
    void g.acquire().then((release) => {
      sent[i] = clock.now();
      release();
    });
  return sent;
}

describe('rate governor slots', () => {
  it('does not send a request inside a pause that came while it waited for its slot', async () => {
    const clock = manualClock();
    const g = governor(new LocalBudgetStore(clock), clock);
    const t0 = clock.now();
    const sent = start(g, clock, 4);
    await clock.advanceBy(0);
    expect(sent).toEqual([t0, undefined, undefined, undefined]);
    // The first request's answer is a 429 asking for a second: its three followers hold slots at 50–150 ms.
    await g.pause(1000, 'test: 429');
    await clock.advanceBy(999);
    expect(sent.slice(1)).toEqual([undefined, undefined, undefined]);
    await clock.advanceBy(200);
    expect(sent.slice(1)).toEqual([t0 + 1000, t0 + 1050, t0 + 1100]);
  });

  it('keeps the slots after a pause when another 429 of the same moment repeats it', async () => {
    const clock = manualClock();
    const store = new LocalBudgetStore(clock);
    const g = governor(store, clock);
    const t0 = clock.now();
    start(g, clock, 1);
    await clock.advanceBy(0);
    await g.pause(1000, 'test: 429');
    // A request waits through the pause: it leases the six slots that follow the pause.
    const after = start(g, clock, 1);
    await clock.advanceBy(20);
    const lapsed = g.stats.lapsedSlots;
    // A request sent before the pause (its answer late) brings a 429 ending when the first one does.
    await g.pause(980, 'test: 429 of a request sent before the pause');
    const more = start(g, clock, 5);
    await clock.advanceBy(1500);
    expect([...after, ...more]).toEqual([0, 50, 100, 150, 200, 250].map((ms) => t0 + 1000 + ms));
    expect(g.stats).toMatchObject({ lapsedSlots: lapsed, leases: 2 });
  });

  it('never sends a slot late when the process woke up past it: the request takes the next slot', async () => {
    const clock = manualClock();
    const g = governor(new LocalBudgetStore(clock), clock);
    const t0 = clock.now();
    const sent = start(g, clock, 3);
    await clock.advanceBy(0);
    // Busy for 100 ms: the second request's slot (50 ms, good until 75 ms) has passed when it wakes.
    await clock.stall(100);
    await clock.advanceBy(100);
    expect(sent).toEqual([t0, t0 + 150, t0 + 100]);
    expect(g.stats.lapsedSlots).toBe(1);
  });

  it("gives back an idle process's slots before it leases again, so the new lease starts on them", async () => {
    const clock = manualClock();
    const store = new HeldStore(new LocalBudgetStore(clock));
    const g = governor(store, clock);
    const t0 = clock.now();
    const first = start(g, clock, 1);
    await store.answerNext();
    expect(first).toEqual([t0]);
    // Idle: the five slots left go back at once; the statement is still on its way ...
    await clock.advanceBy(80);
    expect(store.waiting()).toEqual(['giveBack']);
    // ... when the process needs a slot again: its lease waits for the give-back's answer.
    const second = start(g, clock, 1);
    await clock.advanceBy(0);
    expect(store.waiting()).toEqual(['giveBack']);
    await store.answerAll();
    await clock.advanceBy(0);
    expect(g.stats).toMatchObject({ givenBackSlots: 5, lapsedSlots: 0, strandedSlots: 0, leases: 2 });
    // The new lease starts where the first one's last use left the budget: at once, nothing lost between them.
    expect(second).toEqual([t0 + 80]);
  });

  it('keeps half a request under each of the vendor windows, so a slot sent half an interval late never tips one over', async () => {
    const clock = manualClock();
    // Attio counts per second: at 20/s, 2% under the rate would still let 21 slots (each up to half an interval
    // late) fall into one second.
    const g = new RateGovernor('k', { ...budget, windowSeconds: 1 }, new LocalBudgetStore(clock), { clock });
    const sent = start(g, clock, 80);
    await clock.advanceBy(5000);
    const times = sent.map(Number).sort((a, b) => a - b);
    const interval = times[1]! - times[0]!;
    expect(interval).toBeCloseTo(1000 / 19.5, 6);
    // A window [w, w + 1 s) receives the slots whose times fall in [w - interval / 2, w + 1 s).
    const most = Math.max(
      ...times.map((t) => times.filter((u) => u >= t && u < t + 1000 + interval / 2 - 1e-6).length),
    );
    expect(most).toBe(20);
  });

  it('spends a fast budget at its pace on whole-millisecond timers, never more than a window allows', async () => {
    // Node's timers and Date.now() count whole milliseconds: at 2,000 requests/s a slot is due every half of one,
    // and a request woken for it wakes up to a millisecond after. That slot must still go out.
    const clock = manualClock(1_000_000, { wholeMs: true });
    const fast = { ...budget, ratePerSecond: 2000, windowSeconds: 1 };
    const g = new RateGovernor('k', fast, new LocalBudgetStore(clock), { clock });
    const t0 = clock.now();
    const sent = start(g, clock, 3000);
    await clock.advanceBy(3000);
    expect(sent.filter((t) => t === undefined).length).toBe(0);
    expect(g.stats.lapsedSlots).toBe(0);
    const times = sent.map(Number).sort((a, b) => a - b);
    // At the aimed rate (2% under the budget) the 3,000 requests take 1.53 s of slots.
    expect(times[times.length - 1]! - t0).toBeLessThanOrEqual(Math.ceil(3000 / ((2000 * 0.98) / 1000)) + 1);
    // Sent a little late or not, no window of a second receives more than the vendor's 2,000.
    const most = Math.max(...times.map((t, i) => times.slice(i).filter((u) => u < t + 1000).length));
    expect(most).toBeLessThanOrEqual(2000);
  });

  it('keeps 2% under the rate where half a request is less (Front counts per minute)', async () => {
    const clock = manualClock();
    const g = new RateGovernor('k', front.budget, new LocalBudgetStore(clock), { clock });
    // Its burst of 5 goes at once, then the steady spacing.
    const sent = start(g, clock, 7);
    await clock.advanceBy(2000);
    const times = sent.map(Number).sort((a, b) => a - b);
    expect(times[6]! - times[5]!).toBeCloseTo(1000 / ((100 / 60) * 0.98), 6);
  });
});

/** A store whose answers come only when the test lets them, in the order the statements were sent. */
class HeldStore implements BudgetStore {
  private queue: { op: string; run: () => void }[] = [];
  constructor(private readonly inner: BudgetStore) {}

  get roundTrips() {
    return this.inner.roundTrips;
  }

  private hold<T>(op: string, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.queue.push({ op, run: () => void call().then(resolve, reject) }));
  }

  lease(key: string, intervalMs: number, burstMs: number, slots: number): Promise<BudgetLease> {
    return this.hold('lease', () => this.inner.lease(key, intervalMs, burstMs, slots));
  }
  reserve(key: string, intervalMs: number, burstMs: number): Promise<number> {
    return this.hold('reserve', () => this.inner.reserve(key, intervalMs, burstMs));
  }
  giveBack(key: string, endMs: number, intervalMs: number, slots: number): Promise<boolean> {
    return this.hold('giveBack', () => this.inner.giveBack(key, endMs, intervalMs, slots));
  }
  pause(key: string, forMs: number, reason: string): Promise<void> {
    return this.hold('pause', () => this.inner.pause(key, forMs, reason));
  }

  waiting(): string[] {
    return this.queue.map((q) => q.op);
  }
  async answerNext(): Promise<void> {
    this.queue.shift()?.run();
    await new Promise((r) => setImmediate(r));
  }
  async answerAll(): Promise<void> {
    while (this.queue.length > 0) await this.answerNext();
  }
}
