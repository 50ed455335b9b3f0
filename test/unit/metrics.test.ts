import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { countLoadPage, countReconciliation } from '../../activities/metrics';
import type { LoadPageResult } from '../../activities/load';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import { loadSettings } from '../../common/config';
import { ConfigError } from '../../common/errors';
import { countRateLimited, countVendorRequest, metricsRegistry } from '../../common/metrics';
import { front } from '../../connectors/front/declaration';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient } from '../../connectors/kit/http';
import { serveMetrics, startWorkerMetrics } from '../../worker/metrics';

const scrape = (port: number, path = '/metrics') =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });

/** The value of one sample in the exposition text, e.g. `tern_records_written_total{…}`. */
const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.slice(0, l.indexOf('}')).includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

const page = (over: Partial<LoadPageResult>): LoadPageResult => ({
  next: null,
  read: 0,
  written: 0,
  unchanged: 0,
  quarantined: 0,
  deleted: 0,
  setAside: 0,
  conflicts: 0,
  startedAt: 1_000,
  finishedAt: 1_000,
  ...over,
});

describe('TERN_METRICS_PORT', () => {
  it('is unset, 0 (none) or a port; anything else is bad input naming the fix', () => {
    expect(loadSettings({}).metricsPort).toBeUndefined();
    expect(loadSettings({ TERN_METRICS_PORT: ' ' }).metricsPort).toBeUndefined();
    expect(loadSettings({ TERN_METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadSettings({ TERN_METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    for (const bad of ['abc', '-1', '70000', '94.64'])
      expect(() => loadSettings({ TERN_METRICS_PORT: bad })).toThrow(ConfigError);
  });
});

describe('the metrics a worker serves', () => {
  it("adds a load page's counts per migration, phase and object and observes its duration", async () => {
    const input = { migrationId: 'mig_metrics_a', object: 'customers', phase: 'full', after: null };
    countLoadPage(input, page({ read: 500, written: 480, quarantined: 15, unchanged: 5, finishedAt: 3_500 }));
    countLoadPage(input, page({ read: 200, written: 200, deleted: 3, setAside: 2, finishedAt: 1_200 }));
    const text = await metricsRegistry.metrics();
    const labels = { migration: 'mig_metrics_a', phase: 'full', object: 'customers' };
    expect(sample(text, 'tern_records_read_total', labels)).toBe(700);
    expect(sample(text, 'tern_records_written_total', labels)).toBe(680);
    expect(sample(text, 'tern_records_unchanged_total', labels)).toBe(5);
    expect(sample(text, 'tern_records_quarantined_total', { ...labels, stage: 'load' })).toBe(15);
    expect(sample(text, 'tern_records_removed_total', { ...labels, reason: 'deleted' })).toBe(3);
    expect(sample(text, 'tern_records_removed_total', { ...labels, reason: 'set_aside' })).toBe(2);
    expect(sample(text, 'tern_load_page_duration_seconds_count', labels)).toBe(2);
    expect(sample(text, 'tern_load_page_duration_seconds_sum', labels)).toBeCloseTo(2.7);
    expect(sample(text, 'tern_load_page_duration_seconds_bucket', { ...labels, le: '0.25' })).toBe(1);
    expect(sample(text, 'tern_load_page_duration_seconds_bucket', { ...labels, le: '2.5' })).toBe(2);
  });

  it("keeps an object's last reconciliation: ok, each term, and when", async () => {
    const input = { migrationId: 'mig_metrics_b', object: 'deals', phase: 'sample' };
    const result = {
      object: 'deals',
      source: 10,
      loaded: 7,
      quarantined: 2,
      filtered: 1,
      deduplicated: 0,
      unaccounted: 0,
      deleted: 0,
      conflicts: 0,
      checksumMismatches: 0,
      ok: true,
    } as ObjectReconciliation;
    countReconciliation(input, result);
    countReconciliation(input, { ...result, checksumMismatches: 1, ok: false });
    const text = await metricsRegistry.metrics();
    const labels = { migration: 'mig_metrics_b', phase: 'sample', object: 'deals' };
    expect(sample(text, 'tern_reconciliation_ok', labels)).toBe(0);
    expect(sample(text, 'tern_reconciliation_records', { ...labels, term: 'loaded' })).toBe(7);
    expect(sample(text, 'tern_reconciliation_records', { ...labels, term: 'checksum_mismatches' })).toBe(1);
    expect(sample(text, 'tern_reconciliation_timestamp_seconds', labels)).toBeGreaterThan(1.7e9);
  });

  it("counts a vendor's requests and 429s, and the share of its budget used over the last minute", async () => {
    jest.useFakeTimers({ now: 1_000_000_000_000 });
    try {
      // 300 requests over the last minute at a budget of 10 per second: half of it.
      for (let second = 0; second < 60; second++) {
        for (let i = 0; i < 5; i++) countVendorRequest('attio', 'attio:https://sandbox', 10, i === 0 ? 200 : 0);
        jest.advanceTimersByTime(1000);
      }
      countRateLimited('attio');
      const text = await metricsRegistry.metrics();
      const budget = { vendor: 'attio', budget: 'attio:https://sandbox' };
      expect(sample(text, 'tern_vendor_requests_total', { vendor: 'attio' })).toBe(300);
      expect(sample(text, 'tern_vendor_rate_limited_total', { vendor: 'attio' })).toBe(1);
      expect(sample(text, 'tern_vendor_budget_wait_seconds_total', { vendor: 'attio' })).toBeCloseTo(12);
      expect(sample(text, 'tern_vendor_budget_requests_per_second', budget)).toBe(10);
      expect(sample(text, 'tern_vendor_budget_utilisation', budget)).toBeCloseTo(0.5);
      // A minute later with nothing sent, the budget is idle.
      jest.advanceTimersByTime(60_000);
      expect(sample(await metricsRegistry.metrics(), 'tern_vendor_budget_utilisation', budget)).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('counts every request the vendor client sends, retries after a 429 included, and each 429', async () => {
    let answered = 0;
    const vendor = http.createServer((_req, res) => {
      answered += 1;
      // The first answer asks to wait; the retry goes through.
      if (answered === 1) res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => vendor.listen(0, '127.0.0.1', resolve));
    try {
      const before = await metricsRegistry.metrics();
      const count = (text: string, name: string) => sample(text, name, { vendor: 'front' }) ?? 0;
      const client = new VendorClient(
        front,
        {
          baseUrl: `http://127.0.0.1:${(vendor.address() as AddressInfo).port}`,
          credentials: { kind: 'bearer', tokenEnv: 'TOKEN' },
        },
        {
          governor: new RateGovernor('front:metrics', { ...front.budget, ratePerSecond: 1000 }, new LocalBudgetStore()),
          env: { TOKEN: 'secret' },
        },
      );
      await client.request({ method: 'get', url: '/me', operation: 'get me' });
      const after = await metricsRegistry.metrics();
      expect(count(after, 'tern_vendor_requests_total') - count(before, 'tern_vendor_requests_total')).toBe(2);
      expect(count(after, 'tern_vendor_rate_limited_total') - count(before, 'tern_vendor_rate_limited_total')).toBe(1);
      expect(sample(after, 'tern_vendor_budget_requests_per_second', { budget: 'front:metrics' })).toBe(1000);
    } finally {
      await new Promise((resolve) => vendor.close(resolve));
    }
  });

  it('serves them at /metrics in the Prometheus text format, with the process metrics, and nothing elsewhere', async () => {
    const server = await serveMetrics(0);
    try {
      const ok = await scrape(server.port);
      expect(ok.status).toBe(200);
      expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(ok.body).toContain('# TYPE tern_records_written_total counter');
      expect(ok.body).toContain('# TYPE process_cpu_seconds_total counter');
      expect((await scrape(server.port, '/')).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('refuses a TERN_METRICS_PORT another process holds, and runs without metrics when the default port is', async () => {
    const holder = http.createServer();
    await new Promise<void>((resolve) => holder.listen(0, resolve));
    const taken = (holder.address() as AddressInfo).port;
    try {
      await expect(startWorkerMetrics({ metricsPort: taken }, 9464)).rejects.toThrow(
        /TERN_METRICS_PORT \d+ cannot be served \(another process listens there\)/,
      );
      await expect(startWorkerMetrics({ metricsPort: undefined }, taken)).resolves.toBeUndefined();
      await expect(startWorkerMetrics({ metricsPort: 0 }, 9464)).resolves.toBeUndefined();
      await expect(startWorkerMetrics({ metricsPort: undefined }, undefined)).resolves.toBeUndefined();
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
