import type { VendorDeclaration } from '../kit/http';

/**
 * Attio REST API v2 — https://docs.attio.com/rest-api/guides/rate-limiting: 100 requests/s for reads and
 * 25 requests/s for writes across the workspace; a 429 carries `Retry-After` as an HTTP date (usually the next
 * second) and no rate-limit headers are documented on success. Tern's writes bind, so the budget is the
 * write figure; lookups share it (conservative).
 */
export const attio: VendorDeclaration = {
  vendor: 'attio',
  defaultBaseUrl: 'https://api.attio.com',
  budget: {
    ratePerSecond: 25,
    maxRatePerSecond: 25,
    windowSeconds: 1,
    burst: 5,
    concurrency: 8,
    headers: { retryAfter: 'http-date' },
    documentation: 'https://docs.attio.com/rest-api/guides/rate-limiting',
  },
};
