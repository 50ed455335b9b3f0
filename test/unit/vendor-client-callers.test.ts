import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { front } from '../../connectors/front/declaration';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient } from '../../connectors/kit/http';

/**
 * One vendor client per account in a worker process, one view of it per caller: the views share the client's
 * connections and governor, and each counts its own requests and stops with its own cancellation.
 */
describe('a vendor client seen by several callers', () => {
  let server: http.Server;
  let baseUrl: string;
  const connections = new Set<string>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      connections.add(`${req.socket.remotePort}`);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const shared = () =>
    new VendorClient(
      front,
      { baseUrl, credentials: { kind: 'bearer', tokenEnv: 'TOKEN' } },
      {
        governor: new RateGovernor(
          'front:test',
          { ...front.budget, ratePerSecond: 1000, burst: 100 },
          new LocalBudgetStore(),
        ),
        env: { TOKEN: 'secret' },
      },
    );

  it('counts each caller’s requests apart, over one set of connections', async () => {
    connections.clear();
    const client = shared();
    const counted = { a: 0, b: 0 };
    const a = client.forCaller({ onRequest: () => (counted.a += 1) });
    const b = client.forCaller({ onRequest: () => (counted.b += 1) });
    for (let i = 0; i < 3; i++) await a.request({ method: 'get', url: '/me', operation: 'get me' });
    await b.request({ method: 'get', url: '/me', operation: 'get me' });
    expect(counted).toEqual({ a: 3, b: 1 });
    // One after another over a kept-alive connection: the second caller did not open its own.
    expect(connections.size).toBe(1);
  });

  it('stops a cancelled caller without stopping the others', async () => {
    const client = shared();
    const cancelled = new AbortController();
    cancelled.abort(new Error('activity cancelled'));
    const stopped = client.forCaller({ signal: cancelled.signal });
    const going = client.forCaller({});
    await expect(stopped.request({ method: 'get', url: '/me', operation: 'get me' })).rejects.toThrow(
      'activity cancelled',
    );
    await expect(going.request({ method: 'get', url: '/me', operation: 'get me' })).resolves.toMatchObject({
      status: 200,
    });
  });
});
