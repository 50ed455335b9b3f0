import { attio } from '../../connectors/attio/declaration';
import type { VendorBudget } from '../../connectors/kit/budget';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore, type Clock } from '../../connectors/kit/budget-stores';

/**
 * A clock that moves only when told, or when a sleeper wakes (time jumps to the wake-up). What is scheduled
 * `later` runs when the clock is moved past it, then the store's answers are let in.
 */
function steppedClock(): Clock & { advance(ms: number): Promise<void> } {
  let t = 1_000_000;
  let scheduled: { at: number; fn: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      t = Math.max(t, t + ms);
      return Promise.resolve();
    },
    later: (ms, fn) => {
      scheduled.push({ at: t + ms, fn });
    },
    advance: async (ms) => {
      t += ms;
      const due = scheduled.filter((s) => s.at <= t);
      scheduled = scheduled.filter((s) => s.at > t);
      for (const s of due) s.fn();
      await new Promise((r) => setImmediate(r));
    },
  };
}

/** 20 requests/s exactly (no headroom): one slot every 50 ms; a lease of 300 ms is 6 slots. */
const budget = (patch: Partial<VendorBudget> = {}): VendorBudget => ({
  ...attio.budget,
  ratePerSecond: 20,
  burst: 1,
  concurrency: 8,
  ...patch,
});

function governor(store: LocalBudgetStore, clock: Clock, patch: Partial<VendorBudget> = {}, leaseMs = 300) {
  return new RateGovernor('k', budget(patch), store, { headroom: 1, leaseMs, clock });
}

/** Acquires and releases at once; returns when each request was let through. */
async function send(g: RateGovernor, clock: Clock, n: number): Promise<number[]> {
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const release = await g.acquire();
    at.push(clock.now());
    release();
  }
  return at;
}

describe('budget leases', () => {
  it('lets a block of requests through on one statement to the store, one interval apart', async () => {
    const clock = steppedClock();
    const store = new LocalBudgetStore(clock);
    const g = governor(store, clock);
    const at = await send(g, clock, 12);
    expect(store.roundTrips).toBe(2);
    expect(g.stats).toMatchObject({ requests: 12, leases: 2, leasedSlots: 12, lapsedSlots: 0 });
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual(Array(11).fill(50));
  });

  it('leases slot by slot when told to (one statement per request, as before leases)', async () => {
    const clock = steppedClock();
    const store = new LocalBudgetStore(clock);
    await send(governor(store, clock, {}, 0), clock, 5);
    expect(store.roundTrips).toBe(5);
  });

  it('grants in one lease exactly the slots single reservations would get, burst and pause included', async () => {
    const clock = steppedClock();
    const leased = new LocalBudgetStore(clock);
    const single = new LocalBudgetStore(clock);
    for (const store of [leased, single]) await store.pause('k', 120);
    const lease = await leased.lease('k', 50, 200, 8);
    const slots: number[] = [];
    for (let i = 0; i < 8; i++) slots.push((await single.lease('k', 50, 200, 1)).firstSlotMs);
    expect(Array.from({ length: 8 }, (_, i) => lease.firstSlotMs + i * 50)).toEqual(slots);
    // Both rows now stand at the same next slot.
    expect((await leased.lease('k', 50, 200, 1)).firstSlotMs).toBe((await single.lease('k', 50, 200, 1)).firstSlotMs);
  });

  it('spends the burst at once when the budget was idle, then keeps the interval', async () => {
    const clock = steppedClock();
    const store = new LocalBudgetStore(clock);
    const at = await send(governor(store, clock, { burst: 4 }), clock, 8);
    const start = at[0]!;
    expect(at.map((t) => t - start)).toEqual([0, 0, 0, 0, 50, 100, 150, 200]);
  });

  it('never hands a slot one process leased to another, even one it left unused', async () => {
    const clock = steppedClock();
    const row = new LocalBudgetStore(clock);
    const a = governor(row, clock);
    const b = governor(row, clock);
    const [sentByA] = await send(a, clock, 1);
    // A holds five more slots (50–250 ms from its first): B's lease starts after them.
    const [sentByB] = await send(b, clock, 1);
    expect(sentByB! - sentByA!).toBe(300);
  });

  it('lets an unused slot lapse instead of sending it late', async () => {
    const clock = steppedClock();
    const store = new LocalBudgetStore(clock);
    const g = governor(store, clock);
    // One request stays in flight: the process is busy, so it keeps its lease.
    const inFlight = await g.acquire();
    await clock.advance(1000);
    const before = clock.now();
    const [sent] = await send(g, clock, 1);
    inFlight();
    // The five slots left of the first lease were due 50–250 ms after it: all past, none sent now.
    expect(g.stats).toMatchObject({ leases: 2, lapsedSlots: 5, givenBackSlots: 0 });
    expect(sent).toBe(before);
  });

  it('gives back the slots it did not use when it falls idle, for the next lease of any process', async () => {
    const clock = steppedClock();
    const row = new LocalBudgetStore(clock);
    const a = governor(row, clock);
    const b = governor(row, clock);
    const [sentByA] = await send(a, clock, 1);
    // A's work ended: before its next slot would lapse, its five unused slots go back.
    await clock.advance(80);
    expect(a.stats).toMatchObject({ givenBackSlots: 5, lapsedSlots: 0 });
    const [sentByB] = await send(b, clock, 1);
    expect(sentByB! - sentByA!).toBe(80);
  });

  it('keeps its slots when another lease came after them (they are no longer the end of the budget)', async () => {
    const clock = steppedClock();
    const row = new LocalBudgetStore(clock);
    const a = governor(row, clock);
    const b = governor(row, clock);
    const [sentByA] = await send(a, clock, 1);
    const [sentByB] = await send(b, clock, 1);
    await clock.advance(80);
    expect(a.stats).toMatchObject({ givenBackSlots: 0, lapsedSlots: 5 });
    expect(sentByB! - sentByA!).toBe(300);
  });

  it('drops the slots it holds when it pauses, and every process meets the pause at its next lease', async () => {
    const clock = steppedClock();
    const row = new LocalBudgetStore(clock);
    const a = governor(row, clock);
    const b = governor(row, clock);
    await send(a, clock, 1);
    const pausedAt = clock.now();
    await a.pause(5000, 'test: 429');
    const [nextOfA] = await send(a, clock, 1);
    const [nextOfB] = await send(b, clock, 1);
    expect(nextOfA! - pausedAt).toBeGreaterThanOrEqual(5000);
    expect(nextOfB! - pausedAt).toBeGreaterThanOrEqual(5000);
    expect(a.stats.lapsedSlots).toBe(5);
  });

  it('keeps what all processes send in any second within the rate and the burst, whatever order they ask in', async () => {
    const clock = steppedClock();
    const row = new LocalBudgetStore(clock);
    const burst = 3;
    const processes = [0, 1, 2].map(() => governor(row, clock, { burst }));
    const sent: number[] = [];
    // An uneven demand: each round, a different process asks for a different number of requests.
    for (let round = 0; round < 60; round++) {
      const g = processes[(round * 7) % 3]!;
      sent.push(...(await send(g, clock, 1 + ((round * 5) % 7))));
      if (round % 11 === 0) await clock.advance(137);
    }
    sent.sort((x, y) => x - y);
    let most = 0;
    for (let i = 0, j = 0; j < sent.length; j++) {
      while (sent[j]! - sent[i]! >= 1000) i++;
      most = Math.max(most, j - i + 1);
    }
    expect(sent.length).toBeGreaterThan(200);
    expect(most).toBeLessThanOrEqual(20 + burst);
  });
});
