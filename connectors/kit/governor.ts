import type postgres from 'postgres';
import type { VendorBudget } from './budget';
import { PostgresBudgetStore, systemClock, type BudgetStore, type Clock } from './budget-stores';

/** A lease takes about this much of the budget: few statements per request, little left to lapse when work stops. */
const DEFAULT_LEASE_MS = 300;

/** Unless told otherwise, the governor aims this far under the vendor's rate ... */
const DEFAULT_HEADROOM = 0.98;
/**
 * ... and under each of the vendor's windows by as many requests as a slot's grace holds (see `slotIntervalMs`).
 *
 * A slot may be sent up to half an interval after its time, and never less than `MIN_GRACE_MS` after it: Node's
 * timers and clock count whole milliseconds, so at a thousand requests a second and more a request woken for its
 * slot wakes after the slot's half interval is over, every time the slot is not on a whole millisecond.
 */
const MIN_GRACE_MS = 5;

export interface GovernorStats {
  requests: number;
  waitedMs: number;
  pauses: number;
  adaptiveSlowdowns: number;
  /** Leases taken from the store, and the slots they brought. */
  leases: number;
  leasedSlots: number;
  /** Leased slots nobody in this process used in time: they lapse, no other process can have them. */
  lapsedSlots: number;
  /** Of the lapsed slots, those inside a pause (nobody may send then). */
  pausedSlots: number;
  /** Of the lapsed slots, those an idle process could not give back: another lease had come after them. */
  strandedSlots: number;
  /** Leased slots given back unused when this process fell idle, for any process to lease again. */
  givenBackSlots: number;
}

export interface GovernorOptions {
  /**
   * Share of the budget to aim at; the rest absorbs jitter between the client's and the vendor's clocks. Unset:
   * 2% under the rate and, under each window's limit, at least as many requests as a slot's grace holds.
   */
  headroom?: number;
  /** How much of the budget one lease takes, in ms of the rate (at least one slot); 0 leases slot by slot. */
  leaseMs?: number;
  clock?: Clock;
}

/** A leased slot, on this process's clock: due `at`, to be sent by `useBy` or never; from lease `lease`. */
interface LocalSlot {
  at: number;
  useBy: number;
  lease: number;
}

/**
 * Spends a vendor budget without waste: at most `concurrency` requests in flight in this process, request
 * slots leased from the shared store a block at a time at the budget's rate (a hair under it, and a little under
 * each of the vendor's windows, so a slot sent a little late never tips a window over), a shared pause after a
 * 429, and a slowdown when the vendor's Remaining header runs low.
 *
 * A lease is a run of consecutive slots of the shared budget: one statement buys ~`leaseMs` of requests, spent
 * here without going back to the store. A slot is sent at its time or not at all: one still unused half an
 * interval (at least 5 ms) after its time (or after the lease came in, for the burst's slots that were due
 * already) lapses, so slots saved up never go out together, and what all processes send in any window is what one
 * process drawing slot by slot would send. A process that falls idle with slots of its last lease in hand gives
 * them back at once when no lease came after it (its work ended: the next work, maybe in another process, starts
 * on them); its own next lease waits for that answer. A pause drops the slots inside it, never those after it.
 *
 * Slot times come on the store's clock; they map onto this process's clock by about the smallest offset seen
 * between a lease's answer and the store's time in it (the answer's travel, which varies, never shifts a
 * lease's slots).
 */
export class RateGovernor {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private readonly intervalMs: number;
  /** How late a slot may still be sent. */
  private readonly graceMs: number;
  private readonly burstMs: number;
  private readonly leaseSlots: number;
  private readonly clock: Clock;
  private slots: LocalSlot[] = [];
  private leasing: Promise<void> | undefined;
  /** This process's clock minus the store's, at most (about the least seen over leases). */
  private offset = Infinity;
  /** The last lease: its number and where it left the budget (store clock). */
  private lastLease = { n: 0, endMs: 0 };
  private idleCheck = false;
  /** A give-back on its way to the store: the next lease waits for it, so it starts on the slots given back. */
  private givingBack: Promise<void> | undefined;
  /** Nobody sends before this (this process's clock): the end of the latest pause this process heard of. */
  private pausedUntil = 0;
  private adaptiveUntil = 0;
  readonly stats: GovernorStats = {
    requests: 0,
    waitedMs: 0,
    pauses: 0,
    adaptiveSlowdowns: 0,
    leases: 0,
    leasedSlots: 0,
    lapsedSlots: 0,
    pausedSlots: 0,
    strandedSlots: 0,
    givenBackSlots: 0,
  };

  constructor(
    readonly key: string,
    readonly budget: VendorBudget,
    readonly store: BudgetStore,
    options: GovernorOptions = {},
  ) {
    this.intervalMs = slotIntervalMs(budget, options.headroom);
    this.graceMs = Math.max(MIN_GRACE_MS, this.intervalMs / 2);
    this.burstMs = Math.max(0, budget.burst - 1) * this.intervalMs;
    this.leaseSlots = Math.max(1, Math.floor((options.leaseMs ?? DEFAULT_LEASE_MS) / this.intervalMs));
    this.clock = options.clock ?? systemClock;
  }

  /** Waits for a concurrency slot and a rate slot; call the returned function when the response is in. */
  async acquire(): Promise<() => void> {
    if (this.inFlight >= this.budget.concurrency) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight += 1;
    const started = this.clock.now();
    try {
      if (this.adaptiveUntil > this.clock.now()) await this.clock.sleep(this.adaptiveUntil - this.clock.now());
      await this.untilSlot();
    } catch (err) {
      this.release();
      throw err;
    }
    this.stats.requests += 1;
    this.stats.waitedMs += this.clock.now() - started;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.release();
      }
    };
  }

  /**
   * Waits for a slot's time. A pause heard of meanwhile may cover the slot (sent, it would meet a 429 and pause
   * every process again), and a busy process may wake past the slot's last moment (sent, it would be late):
   * either way the slot lapses and the request waits for the next good one.
   */
  private async untilSlot(): Promise<void> {
    for (;;) {
      const slot = await this.nextSlot();
      const wait = slot.at - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      if (!this.paused(slot) && this.clock.now() <= slot.useBy) return;
      this.lapse(1, this.paused(slot) ? 'pausedSlots' : undefined);
    }
  }

  private paused(slot: LocalSlot): boolean {
    return slot.at < this.pausedUntil;
  }

  /** The next leased slot still good to send on; leases more (one lease at a time) when none is left. */
  private async nextSlot(): Promise<LocalSlot> {
    for (;;) {
      const now = this.clock.now();
      while (this.slots.length > 0 && (this.slots[0]!.useBy < now || this.paused(this.slots[0]!))) {
        const lapsed = this.slots.shift()!;
        this.lapse(1, this.paused(lapsed) ? 'pausedSlots' : undefined);
      }
      const slot = this.slots.shift();
      if (slot) return slot;
      // After a give-back still on its way: a lease that overtook it would start after the slots given back.
      const givingBack = this.givingBack;
      this.leasing ??= (givingBack ? givingBack.then(() => this.lease()) : this.lease()).finally(
        () => (this.leasing = undefined),
      );
      await this.leasing;
    }
  }

  private async lease(): Promise<void> {
    const lease = await this.store.lease(this.key, this.intervalMs, this.burstMs, this.leaseSlots);
    this.stats.leases += 1;
    this.stats.leasedSlots += lease.slots;
    const arrived = this.clock.now();
    // The least offset seen, allowed to creep up a millisecond a lease should either clock be stepped.
    this.offset = Math.min(arrived - (lease.firstSlotMs - lease.waitMs), this.offset + 1);
    const n = this.lastLease.n + 1;
    this.lastLease = { n, endMs: lease.endMs };
    for (let i = 0; i < lease.slots; i++) {
      const at = lease.firstSlotMs + this.offset + i * this.intervalMs;
      // Slots inside a pause heard of while the lease was on its way are dropped when their turn comes.
      this.slots.push({ at, useBy: Math.max(at, arrived) + this.graceMs, lease: n });
    }
  }

  /**
   * Once idle (nothing in flight once the requests of this turn have asked again), the slots left of the last
   * lease go back at once: the next work may be a page in another process, leasing a few milliseconds later,
   * and slots given back after its lease would be stranded.
   */
  private whenIdle(): void {
    if (this.inFlight > 0 || this.idleCheck || this.slots.length === 0) return;
    this.idleCheck = true;
    this.clock.later(0, () => {
      this.idleCheck = false;
      if (this.inFlight > 0 || this.leasing) return;
      const { n, endMs } = this.lastLease;
      // Slots are taken in order: what is left of the last lease is its tail, up to where it left the budget.
      const unused = this.slots.filter((s) => s.lease === n).length;
      if (unused === 0) return;
      // Removed here first: whether or not the store takes them back, this process never sends them.
      this.slots = this.slots.filter((s) => s.lease !== n);
      this.givingBack = this.store
        .giveBack(this.key, endMs, this.intervalMs, unused)
        .then(
          (back) => {
            if (back) this.stats.givenBackSlots += unused;
            else this.lapse(unused, 'strandedSlots');
          },
          () => this.lapse(unused, 'strandedSlots'),
        )
        .finally(() => (this.givingBack = undefined));
    });
  }

  private lapse(slots: number, cause?: 'pausedSlots' | 'strandedSlots'): void {
    this.stats.lapsedSlots += slots;
    if (cause) this.stats[cause] += slots;
  }

  private release(): void {
    this.inFlight -= 1;
    this.waiters.shift()?.();
    this.whenIdle();
  }

  /**
   * A 429 (or a vendor that asked us to wait): every process of this budget pauses. This process drops the
   * slots it holds inside the pause and keeps those after it (a second 429 of the same moment, from a request
   * sent before the first, costs nothing more); the others meet the pause at their next lease.
   */
  async pause(forMs: number, reason: string): Promise<void> {
    this.stats.pauses += 1;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + forMs);
    const inPause = this.slots.filter((s) => this.paused(s)).length;
    this.lapse(inPause, 'pausedSlots');
    this.slots = this.slots.filter((s) => !this.paused(s));
    await this.store.pause(this.key, forMs, reason);
  }

  /**
   * Reads the vendor's rate-limit headers. When what remains of the window is less than the requests this
   * process could still send, it waits for the window to reset instead of running into a 429.
   */
  observe(headers: Record<string, unknown>, now = this.clock.now()): void {
    const h = this.budget.headers;
    if (!h.remaining || !h.reset) return;
    const remaining = Number(headers[h.remaining.toLowerCase()]);
    const reset = Number(headers[h.reset.name.toLowerCase()]);
    if (!Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    const resetAt = h.reset.kind === 'epoch-seconds' ? reset * 1000 : now + reset * 1000;
    if (remaining <= this.inFlight && resetAt > now) {
      this.stats.adaptiveSlowdowns += 1;
      this.adaptiveUntil = Math.max(this.adaptiveUntil, resetAt);
    }
  }
}

/**
 * Milliseconds between two slots. Unset headroom: 2% under the rate, and spaced so that no window of the vendor's
 * ever receives more than its limit although a slot may go out its grace late. A window of W ms then receives the
 * slots due in W + grace ms, at most (W + grace) / interval of them: with the grace at half an interval that is the
 * window's limit less half a request; with `MIN_GRACE_MS`, the limit less as many requests as 5 ms holds.
 */
function slotIntervalMs(budget: VendorBudget, headroom: number | undefined): number {
  if (headroom !== undefined) return 1000 / (budget.ratePerSecond * headroom);
  const windowMs = budget.windowSeconds * 1000;
  const perWindow = budget.ratePerSecond * budget.windowSeconds;
  return Math.max(
    1000 / (budget.ratePerSecond * DEFAULT_HEADROOM),
    // Grace of half an interval (and never under half the window's limit).
    windowMs / Math.max(perWindow / 2, perWindow - 0.5),
    // Grace of MIN_GRACE_MS.
    (windowMs + MIN_GRACE_MS) / perWindow,
  );
}

/** Governors live as long as the process: one per vendor account (key) and budget. */
const shared = new Map<string, RateGovernor>();

/** How each of this process's shared governors spent its budget so far. */
export function sharedGovernorStats(): { key: string; stats: GovernorStats }[] {
  return [...shared.values()].map((g) => ({ key: g.key, stats: { ...g.stats } }));
}

/**
 * The process's governor for one vendor account and budget, drawing on the budget row every process shares
 * in staging (`rate_budgets`).
 */
export function sharedGovernor(sql: postgres.Sql, key: string, budget: VendorBudget): RateGovernor {
  const cacheKey = `${key}:${budget.ratePerSecond}:${budget.concurrency}:${budget.burst}`;
  let governor = shared.get(cacheKey);
  if (!governor) {
    governor = new RateGovernor(key, budget, new PostgresBudgetStore(sql));
    shared.set(cacheKey, governor);
  }
  return governor;
}
