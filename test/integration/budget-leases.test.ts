import { attio } from '../../connectors/attio/declaration';
import { RateGovernor } from '../../connectors/kit/governor';
import { PostgresBudgetStore, type BudgetLease } from '../../connectors/kit/budget-stores';
import { VendorClient } from '../../connectors/kit/http';
import { createAttioAttribute } from '../../sandboxes/attio';
import { SANDBOXES, startSandbox } from '../../sandboxes';
import { openSql, type Staging } from '../../staging/db';
import { testEnv, testStaging, uniqueId } from '../support/harness';

/** Several worker processes on one budget row: each store has its own connection, as each process has. */
async function storesOnOneRow(n: number) {
  const connections = await Promise.all(Array.from({ length: n }, () => openSql(testEnv().databaseUrl, { max: 1 })));
  return {
    stores: connections.map((sql) => new PostgresBudgetStore(sql)),
    close: () => Promise.all(connections.map((sql) => sql.end())),
  };
}

describe('budget leases on the shared row', () => {
  let staging: Staging;
  beforeAll(async () => {
    staging = await testStaging();
  });
  afterAll(async () => {
    await staging.close();
  });

  it('never grants one slot to two processes: leases taken at once by four stores interleave without overlap', async () => {
    const key = uniqueId('lease-overlap');
    const { stores, close } = await storesOnOneRow(4);
    try {
      const intervalMs = 40;
      const leases: BudgetLease[] = (
        await Promise.all(
          stores.map(async (store, i) => {
            const mine: BudgetLease[] = [];
            for (let k = 0; k < 25; k++)
              mine.push(await store.lease(key, intervalMs, 3 * intervalMs, 1 + ((i + k) % 6)));
            return mine;
          }),
        )
      ).flat();
      const slots = leases
        .flatMap((l) => Array.from({ length: l.slots }, (_, i) => l.firstSlotMs + i * intervalMs))
        .sort((a, b) => a - b);
      expect(slots.length).toBe(leases.reduce((n, l) => n + l.slots, 0));
      // Every slot of every process is at least one interval after the one before it, on the database's clock.
      for (let i = 1; i < slots.length; i++)
        expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(intervalMs - 1e-6);
      expect(stores.map((s) => s.roundTrips)).toEqual([25, 25, 25, 25]);
    } finally {
      await staging.sql`delete from rate_budgets where key = ${key}`;
      await close();
    }
  });

  it('takes slots back only from the lease that ended the budget, never from under a later one', async () => {
    const key = uniqueId('lease-give-back');
    const { stores, close } = await storesOnOneRow(2);
    try {
      const [a, b] = stores as [PostgresBudgetStore, PostgresBudgetStore];
      const leaseA = await a.lease(key, 50, 0, 5);
      const leaseB = await b.lease(key, 50, 0, 5);
      expect(await a.giveBack(key, leaseA.endMs, 50, 4)).toBe(false);
      expect(await b.giveBack(key, leaseB.endMs, 50, 4)).toBe(true);
      // B keeps its first slot; its four others are the next lease's.
      expect((await a.lease(key, 50, 0, 1)).firstSlotMs).toBe(leaseB.firstSlotMs + 50);
    } finally {
      await staging.sql`delete from rate_budgets where key = ${key}`;
      await close();
    }
  });

  it('keeps three processes spending leases within the vendor limit, with few statements per request', async () => {
    // The vendor allows 10/s; the budget spends 8/s. A request the machine delays is sent at most half an interval
    // late (later, its slot lapses), and on a busy machine the loopback sandbox can still see two such requests in
    // one of its one-second windows: the fifth kept back absorbs that, while a slot granted to two processes (three
    // processes spending 8/s each) would still overrun the vendor's 10/s at once.
    const sandbox = await startSandbox(SANDBOXES.attio!, { seed: 3, rate: 10 });
    createAttioAttribute(sandbox.store, 'people', { api_slug: 'tern_id', is_unique: true });
    const key = uniqueId('lease-sandbox');
    const { stores, close } = await storesOnOneRow(3);
    try {
      const budget = { ...attio.budget, ratePerSecond: 8, burst: 1, concurrency: 4 };
      const governors = stores.map((store) => new RateGovernor(key, budget, store, { leaseMs: 500 }));
      const apis = governors.map(
        (governor) =>
          new VendorClient(
            attio,
            { baseUrl: sandbox.url, credentials: { kind: 'bearer', tokenEnv: 'ATTIO_TOKEN' } },
            { governor, env: { ATTIO_TOKEN: 'attio-sandbox-token' }, timeoutMs: 5000 },
          ),
      );
      // Uneven demand: the first process sends half, the others a quarter each.
      await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          apis[i % 4 === 3 ? 2 : i % 2]!.request({ method: 'get', url: '/v2/objects', operation: 'list objects' }),
        ),
      );
      expect(sandbox.stats().rateLimited).toBe(0);
      expect(sandbox.stats().handled).toBe(80);
      const roundTrips = stores.reduce((n, s) => n + s.roundTrips, 0);
      // A lease of 500 ms at 8/s is 4 slots: far fewer statements than requests (one each without leases).
      expect(roundTrips).toBeLessThan(80 / 2);
    } finally {
      await staging.sql`delete from rate_budgets where key = ${key}`;
      await close();
      await sandbox.close();
    }
  });
});
