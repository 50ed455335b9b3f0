import type postgres from 'postgres';
import type { VendorBudget } from './budget';

/**
 * Where a budget's state lives. In PostgreSQL, every worker process draws request slots from the same row
 * (a generic cell rate algorithm on the database's clock) and sees the same pause after a 429.
 */
export interface BudgetStore {
  /** Reserves the next request slot; returns how long to wait before sending (ms). */
  reserve(key: string, intervalMs: number, burstMs: number): Promise<number>;
  /** Nobody sends before `untilMs` from now. */
  pause(key: string, forMs: number, reason: string): Promise<void>;
}

/** One process only (tests of pure logic, a single CLI command). */
export class LocalBudgetStore implements BudgetStore {
  private state = new Map<string, { nextSlot: number; pausedUntil: number }>();

  reserve(key: string, intervalMs: number, burstMs: number): Promise<number> {
    const now = Date.now();
    const s = this.state.get(key) ?? { nextSlot: 0, pausedUntil: 0 };
    const slot = Math.max(s.nextSlot, now - burstMs, s.pausedUntil);
    s.nextSlot = slot + intervalMs;
    this.state.set(key, s);
    return Promise.resolve(Math.max(0, slot - now));
  }

  pause(key: string, forMs: number): Promise<void> {
    const s = this.state.get(key) ?? { nextSlot: 0, pausedUntil: 0 };
    s.pausedUntil = Math.max(s.pausedUntil, Date.now() + forMs);
    this.state.set(key, s);
    return Promise.resolve();
  }
}

/** The shared budget in staging's `rate_budgets` table. */
export class PostgresBudgetStore implements BudgetStore {
  constructor(private readonly sql: postgres.Sql) {}

  async reserve(key: string, intervalMs: number, burstMs: number): Promise<number> {
    const rows = await this.sql<{ wait: number }[]>`
      with now as (select extract(epoch from clock_timestamp()) * 1000 as t)
      insert into rate_budgets as b (key, next_slot_ms)
      select ${key}, now.t + ${intervalMs} from now
      on conflict (key) do update
        set next_slot_ms = greatest(b.next_slot_ms, (select t from now) - ${burstMs}, b.paused_until_ms) + ${intervalMs},
            updated_at = now()
      returning b.next_slot_ms - ${intervalMs} - (select t from now) as wait`;
    return Math.max(0, Number(rows[0]!.wait));
  }

  async pause(key: string, forMs: number, reason: string): Promise<void> {
    await this.sql`
      insert into rate_budgets as b (key, paused_until_ms, pause_reason, pauses)
      values (${key}, extract(epoch from clock_timestamp()) * 1000 + ${forMs}, ${reason}, 1)
      on conflict (key) do update
        set paused_until_ms = greatest(b.paused_until_ms, extract(epoch from clock_timestamp()) * 1000 + ${forMs}),
            pause_reason = ${reason}, pauses = b.pauses + 1, updated_at = now()`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface GovernorStats {
  requests: number;
  waitedMs: number;
  pauses: number;
  adaptiveSlowdowns: number;
}

/**
 * Spends a vendor budget without waste: at most `concurrency` requests in flight in this process, request
 * slots drawn from the shared store at the budget's rate (a hair under it, so clock jitter never tips a window
 * over), a shared pause after a 429, and a slowdown when the vendor's Remaining header runs low.
 */
export class RateGovernor {
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private readonly intervalMs: number;
  private readonly burstMs: number;
  private adaptiveUntil = 0;
  readonly stats: GovernorStats = { requests: 0, waitedMs: 0, pauses: 0, adaptiveSlowdowns: 0 };

  constructor(
    readonly key: string,
    readonly budget: VendorBudget,
    private readonly store: BudgetStore,
    /** Share of the budget to aim at; the rest absorbs jitter between the client's and the vendor's clocks. */
    headroom = 0.98,
  ) {
    this.intervalMs = 1000 / (budget.ratePerSecond * headroom);
    this.burstMs = Math.max(0, budget.burst - 1) * this.intervalMs;
  }

  /** Waits for a concurrency slot and a rate slot; call the returned function when the response is in. */
  async acquire(): Promise<() => void> {
    if (this.inFlight >= this.budget.concurrency) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight += 1;
    const started = Date.now();
    try {
      if (this.adaptiveUntil > Date.now()) await sleep(this.adaptiveUntil - Date.now());
      const wait = await this.store.reserve(this.key, this.intervalMs, this.burstMs);
      if (wait > 0) await sleep(wait);
    } catch (err) {
      this.release();
      throw err;
    }
    this.stats.requests += 1;
    this.stats.waitedMs += Date.now() - started;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.release();
      }
    };
  }

  private release(): void {
    this.inFlight -= 1;
    this.waiters.shift()?.();
  }

  /** A 429 (or a vendor that asked us to wait): every process of this budget pauses. */
  async pause(forMs: number, reason: string): Promise<void> {
    this.stats.pauses += 1;
    await this.store.pause(this.key, forMs, reason);
  }

  /**
   * Reads the vendor's rate-limit headers. When what remains of the window is less than the requests this
   * process could still send, it waits for the window to reset instead of running into a 429.
   */
  observe(headers: Record<string, unknown>, now = Date.now()): void {
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

/** Governors live as long as the process: one per vendor account (key) and budget. */
const shared = new Map<string, RateGovernor>();

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
