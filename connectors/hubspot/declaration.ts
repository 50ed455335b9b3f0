import type { VendorDeclaration } from '../kit/http';

/**
 * HubSpot — https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines: per app and 10
 * seconds, Free/Starter 100, Professional/Enterprise 190, with the API limit increase 250; daily caps per
 * account; headers `X-HubSpot-RateLimit-Max`, `-Remaining`, `-Interval-Milliseconds`; the CRM search API is
 * limited apart to 4 requests/s. Default: Free/Starter.
 */
export const hubspot: VendorDeclaration = {
  vendor: 'hubspot',
  defaultBaseUrl: 'https://api.hubapi.com',
  budget: {
    ratePerSecond: 10,
    maxRatePerSecond: 25,
    windowSeconds: 10,
    burst: 10,
    concurrency: 8,
    headers: {
      limit: 'x-hubspot-ratelimit-max',
      remaining: 'x-hubspot-ratelimit-remaining',
      retryAfter: 'seconds',
    },
    documentation: 'https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines',
  },
};
