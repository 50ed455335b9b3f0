import { z } from 'zod';

/**
 * A vendor's request budget as its connector declares it (from the vendor's documentation). A plan states the
 * customer's own tier; it can never go past the vendor's documented ceiling.
 */
export interface VendorBudget {
  /** Steady requests per second for the whole account, on the plan tier Tern assumes by default. */
  ratePerSecond: number;
  /** The highest rate the vendor sells (top tier, add-ons): a plan may ask for up to this, never more. */
  maxRatePerSecond: number;
  /**
   * How long the vendor's counting windows are, in seconds (1: a limit per second, 60: per minute): the governor
   * keeps half a request under each window's limit.
   */
  windowSeconds: number;
  /** Requests that may go back to back before the steady rate applies. */
  burst: number;
  /** Requests in flight at once, per worker process. */
  concurrency: number;
  /** Which headers the vendor sends, so the governor can slow down before a 429. */
  headers: {
    limit?: string;
    remaining?: string;
    /** Header with the window reset: `epoch-seconds` (a UNIX time) or `delta-seconds` (seconds from now). */
    reset?: { name: string; kind: 'epoch-seconds' | 'delta-seconds' };
    /** `Retry-After` form on a 429: seconds, or an HTTP date (Attio). */
    retryAfter: 'seconds' | 'http-date';
  };
  /** Where the figures come from. */
  documentation: string;
}

export const budgetOverrideSchema = z
  .object({
    ratePerSecond: z.number().positive().optional(),
    burst: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
    /**
     * Lets `ratePerSecond` go past the vendor's documented ceiling: for a sandbox, or a raise the vendor
     * granted the customer in writing.
     */
    exceedDocumented: z.boolean().optional(),
  })
  .strict();

export type BudgetOverride = z.infer<typeof budgetOverrideSchema>;

/**
 * The budget a run uses: the declared one, or the plan's figures where it gives them (the customer's tier),
 * capped at what the vendor documents as its highest.
 */
export function effectiveBudget(declared: VendorBudget, override: BudgetOverride | undefined): VendorBudget {
  if (!override) return declared;
  return {
    ...declared,
    ratePerSecond: Math.min(
      override.exceedDocumented ? Infinity : declared.maxRatePerSecond,
      override.ratePerSecond ?? declared.ratePerSecond,
    ),
    burst: Math.min(declared.burst, override.burst ?? Infinity),
    concurrency: Math.min(declared.concurrency, override.concurrency ?? Infinity),
  };
}
