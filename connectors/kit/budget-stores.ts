// Where a vendor's request budget lives: in one process, or shared by every worker through staging's row.
import type postgres from 'postgres';

/** Time as the governor sees it: a real clock in production, a stepped one in tests of the lease logic. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Runs `fn` in `ms`, without keeping the process alive for it. */
  later(ms: number, fn: () => void): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  later: (ms, fn) => void setTimeout(fn, ms).unref(),
};

/** Request slots granted together: `slots` of them, one `intervalMs` apart, the first `waitMs` from now. */
export interface BudgetLease {
  /** Until the first slot (ms; below zero when it falls in the burst allowance, already due). */
  waitMs: number;
  /** The first slot on the store's clock (epoch ms): slots of every process never overlap on it. */
  firstSlotMs: number;
  slots: number;
  /** Where the budget stood after this lease (the store's clock): what a give-back must find to succeed. */
  endMs: number;
}

/**
 * Where a budget's state lives. In PostgreSQL, every worker process draws request slots from the same row
 * (a generic cell rate algorithm on the database's clock) and sees the same pause after a 429.
 */
export interface BudgetStore {
  /**
   * Takes the next `slots` request slots in one step: exactly the slots that as many single reservations in a
   * row would get (the same interval and burst), none of which any other lease can get.
   */
  lease(key: string, intervalMs: number, burstMs: number, slots: number): Promise<BudgetLease>;
  /** Reserves the next request slot; returns how long to wait before sending (ms). */
  reserve(key: string, intervalMs: number, burstMs: number): Promise<number>;
  /**
   * Gives back the last `slots` of a lease that ended the budget at `endMs`, when no lease came after it (else
   * they stay spent); returns whether they went back.
   */
  giveBack(key: string, endMs: number, intervalMs: number, slots: number): Promise<boolean>;
  /** Nobody sends before `untilMs` from now. */
  pause(key: string, forMs: number, reason: string): Promise<void>;
  /** Statements sent to the shared state (leases and pauses): what a request costs in round trips. */
  readonly roundTrips: number;
}

/** One process only (tests of pure logic, a single CLI command). */
export class LocalBudgetStore implements BudgetStore {
  private state = new Map<string, { nextSlot: number; pausedUntil: number }>();
  roundTrips = 0;

  constructor(private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  lease(key: string, intervalMs: number, burstMs: number, slots: number): Promise<BudgetLease> {
    this.roundTrips += 1;
    const now = this.clock.now();
    const s = this.state.get(key) ?? { nextSlot: 0, pausedUntil: 0 };
    const first = Math.max(s.nextSlot, now - burstMs, s.pausedUntil);
    s.nextSlot = first + slots * intervalMs;
    this.state.set(key, s);
    return Promise.resolve({ waitMs: first - now, firstSlotMs: first, slots, endMs: s.nextSlot });
  }

  giveBack(key: string, endMs: number, intervalMs: number, slots: number): Promise<boolean> {
    this.roundTrips += 1;
    const s = this.state.get(key);
    if (!s || s.nextSlot !== endMs) return Promise.resolve(false);
    s.nextSlot -= slots * intervalMs;
    return Promise.resolve(true);
  }

  async reserve(key: string, intervalMs: number, burstMs: number): Promise<number> {
    return Math.max(0, (await this.lease(key, intervalMs, burstMs, 1)).waitMs);
  }

  pause(key: string, forMs: number): Promise<void> {
    this.roundTrips += 1;
    const s = this.state.get(key) ?? { nextSlot: 0, pausedUntil: 0 };
    s.pausedUntil = Math.max(s.pausedUntil, this.clock.now() + forMs);
    this.state.set(key, s);
    return Promise.resolve();
  }
}

/** The shared budget in staging's `rate_budgets` table. */
export class PostgresBudgetStore implements BudgetStore {
  roundTrips = 0;

  constructor(private readonly sql: postgres.Sql) {}

  async lease(key: string, intervalMs: number, burstMs: number, slots: number): Promise<BudgetLease> {
    this.roundTrips += 1;
    const span = slots * intervalMs;
    const rows = await this.sql<{ first: number; wait: number; end: number }[]>`
      with now as (select extract(epoch from clock_timestamp()) * 1000 as t)
      insert into rate_budgets as b (key, next_slot_ms)
      select ${key}, now.t - ${burstMs} + ${span} from now
      on conflict (key) do update
        set next_slot_ms = greatest(b.next_slot_ms, (select t from now) - ${burstMs}, b.paused_until_ms) + ${span},
            updated_at = now()
      returning b.next_slot_ms - ${span} as first, b.next_slot_ms - ${span} - (select t from now) as wait,
                b.next_slot_ms as end`;
    const row = rows[0]!;
    return { waitMs: Number(row.wait), firstSlotMs: Number(row.first), slots, endMs: Number(row.end) };
  }

  async giveBack(key: string, endMs: number, intervalMs: number, slots: number): Promise<boolean> {
    this.roundTrips += 1;
    const rows = await this.sql`
      update rate_budgets set next_slot_ms = next_slot_ms - ${slots * intervalMs}, updated_at = now()
      where key = ${key} and next_slot_ms = ${endMs}
      returning 1`;
    return rows.length > 0;
  }

  async reserve(key: string, intervalMs: number, burstMs: number): Promise<number> {
    return Math.max(0, (await this.lease(key, intervalMs, burstMs, 1)).waitMs);
  }

  async pause(key: string, forMs: number, reason: string): Promise<void> {
    this.roundTrips += 1;
    await this.sql`
      insert into rate_budgets as b (key, paused_until_ms, pause_reason, pauses)
      values (${key}, extract(epoch from clock_timestamp()) * 1000 + ${forMs}, ${reason}, 1)
      on conflict (key) do update
        set paused_until_ms = greatest(b.paused_until_ms, extract(epoch from clock_timestamp()) * 1000 + ${forMs}),
            pause_reason = ${reason}, pauses = b.pauses + 1, updated_at = now()`;
  }
}
