import type { VendorDeclaration } from '../kit/http';

/**
 * Front Core API — https://dev.frontapp.com/docs/rate-limiting: per company, Starter 50, Professional 100,
 * Enterprise 200 requests per minute (more with the add-on); headers `x-ratelimit-limit`,
 * `x-ratelimit-remaining`, `x-ratelimit-reset` (UNIX time of the window reset); some endpoints also have a
 * burst limit of 5 requests/s per resource. Default: Professional; a plan on Enterprise says so.
 */
export const front: VendorDeclaration = {
  vendor: 'front',
  defaultBaseUrl: 'https://api2.frontapp.com',
  budget: {
    ratePerSecond: 100 / 60,
    maxRatePerSecond: 200 / 60,
    windowSeconds: 60,
    burst: 5,
    concurrency: 4,
    headers: {
      limit: 'x-ratelimit-limit',
      remaining: 'x-ratelimit-remaining',
      reset: { name: 'x-ratelimit-reset', kind: 'epoch-seconds' },
      retryAfter: 'seconds',
    },
    documentation: 'https://dev.frontapp.com/docs/rate-limiting',
  },
};
