/**
 * The sandbox's own rate limiting: fixed windows aligned on the clock, one counter per bucket (Attio counts
 * reads and writes apart; Zendesk and Front count every request of the account in one minute window).
 */
export interface WindowLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export interface LimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the current window ends. */
  resetAt: number;
}

export class WindowLimiter {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly limits: Record<string, WindowLimit>) {}

  take(bucket: string, now = Date.now()): LimitState {
    const rule = this.limits[bucket];
    if (!rule) throw new Error(`sandbox has no rate-limit bucket "${bucket}"`);
    const start = Math.floor(now / rule.windowMs) * rule.windowMs;
    let w = this.windows.get(bucket);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(bucket, w);
    }
    const resetAt = start + rule.windowMs;
    if (w.count >= rule.limit) return { allowed: false, limit: rule.limit, remaining: 0, resetAt };
    w.count += 1;
    return { allowed: true, limit: rule.limit, remaining: rule.limit - w.count, resetAt };
  }
}
