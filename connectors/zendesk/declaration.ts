import type { VendorDeclaration } from '../kit/http';

/**
 * Zendesk Support API — https://developer.zendesk.com/api-reference/introduction/rate-limits: per account and
 * minute by plan (Team 200, Growth/Professional 400, Enterprise 700, Enterprise Plus or the High Volume add-on
 * 2500); headers `X-Rate-Limit`, `X-Rate-Limit-Remaining` and `ratelimit-reset` (seconds to the reset); a 429
 * carries `Retry-After` in seconds. Incremental exports are limited apart, to 10 requests per minute.
 * Default: Professional (400/min).
 */
export const zendesk: VendorDeclaration = {
  vendor: 'zendesk',
  defaultBaseUrl: 'https://example.zendesk.com',
  budget: {
    ratePerSecond: 400 / 60,
    maxRatePerSecond: 2500 / 60,
    windowSeconds: 60,
    burst: 10,
    concurrency: 4,
    headers: {
      limit: 'x-rate-limit',
      remaining: 'x-rate-limit-remaining',
      reset: { name: 'ratelimit-reset', kind: 'delta-seconds' },
      retryAfter: 'seconds',
    },
    documentation: 'https://developer.zendesk.com/api-reference/introduction/rate-limits',
  },
};

/** The incremental export endpoints' own limit: 10 requests per minute. */
export const ZENDESK_INCREMENTAL_EXPORTS_PER_MINUTE = 10;
