import type { ConfigError } from '../../common/errors';
import { attio } from '../../connectors/attio/declaration';
import { effectiveBudget } from '../../connectors/kit/budget';
import { retryAfterMs, vendorMessage } from '../../connectors/kit/errors';
import { redactCredentials } from '../../common/redact';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { FaultInjector, parseFaultSpec } from '../../sandboxes/core/faults';
import { WindowLimiter } from '../../sandboxes/core/rate-limit';

describe('vendor budgets', () => {
  it('takes the plan tier up to the documented ceiling, past it only when told', () => {
    expect(effectiveBudget(attio.budget, { ratePerSecond: 10 }).ratePerSecond).toBe(10);
    expect(effectiveBudget(attio.budget, { ratePerSecond: 500 }).ratePerSecond).toBe(25);
    expect(effectiveBudget(attio.budget, { ratePerSecond: 500, exceedDocumented: true }).ratePerSecond).toBe(500);
    expect(effectiveBudget(attio.budget, { concurrency: 50 }).concurrency).toBe(attio.budget.concurrency);
  });

  it('spaces reservations at the interval after the burst, and after a pause', async () => {
    const store = new LocalBudgetStore();
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await store.reserve('k', 100, 0));
    expect(waits[0]).toBe(0);
    // Each next slot is one interval after the previous (allowing for the milliseconds the loop took).
    for (let i = 1; i < 5; i++) expect(waits[i]! - waits[i - 1]!).toBeGreaterThan(90);
    await store.pause('p', 5000);
    expect(await store.reserve('p', 100, 0)).toBeGreaterThan(4000);
  });
});

describe('vendor responses', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('0.5')).toBe(500);
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(retryAfterMs('Wed, 25 Nov 2026 10:00:02 GMT', now)).toBe(2000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it("finds the vendor's message and field in each vendor's error shape", () => {
    expect(
      vendorMessage({
        status_code: 400,
        type: 'invalid_request_error',
        code: 'validation_type',
        message: 'Invalid value for attribute "email_addresses"',
      }),
    ).toEqual({
      message: 'Invalid value for attribute "email_addresses"',
      code: 'validation_type',
      field: 'email_addresses',
    });
    expect(vendorMessage({ _error: { status: 409, title: 'Conflict', message: 'handle taken' } })).toMatchObject({
      message: 'handle taken',
      code: 'Conflict',
    });
    expect(vendorMessage({ error: 'RecordInvalid', description: 'Email is invalid' })).toMatchObject({
      message: 'Email is invalid',
      code: 'RecordInvalid',
    });
  });

  it('hides credentials in logged URLs, by the rules every log line follows (common/redact.ts)', () => {
    expect(redactCredentials('/x?a=1&token=abc&access_token=def&api_key=k')).toBe(
      '/x?a=1&token=***&access_token=***&api_key=***',
    );
  });
});

describe('sandbox faults and limits', () => {
  it('parses the CLI fault form and names the fix for a bad one', () => {
    expect(parseFaultSpec('5xx=0.05,drop=0.02,reset=0.01,burst=10000/1000,slow=0.01/2000,latency=5-20')).toEqual({
      error5xx: 0.05,
      commitThenDrop: 0.02,
      reset: 0.01,
      burst429: { everyMs: 10000, forMs: 1000 },
      slow: { rate: 0.01, ms: 2000 },
      latency: { minMs: 5, maxMs: 20 },
    });
    const line = (spec: string) => {
      try {
        parseFaultSpec(spec);
      } catch (err) {
        return (err as ConfigError).toLine();
      }
      return 'no error';
    };
    expect(line('5xx=lots')).toMatch(/fault "5xx=lots" is not understood — fix: .*5xx=0.05/);
    expect(line('5xx=2')).toMatch(/faults "5xx=2": .*— fix:/);
  });

  it('draws the same faults from the same seed, about as often as asked', () => {
    const draw = (seed: number) => {
      const f = new FaultInjector(parseFaultSpec('5xx=0.1,drop=0.05'), seed);
      return Array.from({ length: 2000 }, () => f.decide(true));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    const errors = a.filter((d) => d.error5xx).length;
    expect(errors).toBeGreaterThan(140);
    expect(errors).toBeLessThan(260);
    expect(a.filter((d) => d.commitThenDrop).length).toBeGreaterThan(50);
  });

  it('counts the burst time inside an interval', () => {
    const f = new FaultInjector(parseFaultSpec('burst=10000/1000'), 1);
    const start = Math.floor(Date.now() / 1000) * 1000;
    expect(f.burstMillis(start, start + 30_000)).toBe(3000);
    expect(f.burstMillis(start + 9500, start + 10_000)).toBe(500);
  });

  it('refuses past the limit within a window and starts afresh in the next', () => {
    const limiter = new WindowLimiter({ all: { limit: 3, windowMs: 1000 } });
    const t = 1_000_000;
    expect([1, 2, 3, 4].map(() => limiter.take('all', t).allowed)).toEqual([true, true, true, false]);
    expect(limiter.take('all', t + 999)).toMatchObject({ allowed: false, remaining: 0, resetAt: t + 1000 });
    expect(limiter.take('all', t + 1000)).toMatchObject({ allowed: true, remaining: 2 });
  });
});
