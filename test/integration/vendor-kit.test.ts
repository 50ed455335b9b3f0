import { attio } from '../../connectors/attio/declaration';
import { front } from '../../connectors/front/declaration';
import type { VendorBudget } from '../../connectors/kit/budget';
import { CredentialError, RecordRejectedError, UnknownOutcomeError } from '../../connectors/kit/errors';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore, PostgresBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient, type VendorDeclaration } from '../../connectors/kit/http';
import { incrementalExport, nextUrlPages, offsetPages } from '../../connectors/kit/paginate';
import { zendesk } from '../../connectors/zendesk/declaration';
import { createAttioAttribute } from '../../sandboxes/attio';
import { openSql } from '../../staging/db';
import { SANDBOXES, startSandbox, type RunningSandbox } from '../../sandboxes';
import { testEnv, testStaging, uniqueId } from '../support/harness';
import type { Staging } from '../../staging/db';

/** Attio people written and found straight through the client (the kit under test, no target adapter). */
function people(api: VendorClient) {
  return {
    async write(values: Record<string, unknown[]>): Promise<string> {
      const res = await api.request<{ data: { id: { record_id: string } } }>({
        method: 'post',
        url: '/v2/objects/people/records',
        data: { data: { values } },
        operation: 'create people',
      });
      return res.data.data.id.record_id;
    },
    async find(ternId: string): Promise<string | null> {
      const res = await api.request<{ data: { id: { record_id: string } }[] }>({
        method: 'post',
        url: '/v2/objects/people/records/query',
        data: { filter: { tern_id: ternId }, limit: 2 },
        operation: 'find people',
        idempotent: true,
      });
      return res.data.data[0]?.id.record_id ?? null;
    },
  };
}

const ENV = {
  ATTIO_TOKEN: 'attio-sandbox-token',
  FRONT_TOKEN: 'front-sandbox-token',
  ZENDESK_EMAIL: 'agent@example.com',
  ZENDESK_TOKEN: 'zendesk-sandbox-token',
  WRONG_TOKEN: 'not-the-token',
};

function budget(declaration: VendorDeclaration, patch: Partial<VendorBudget>): VendorBudget {
  return { ...declaration.budget, ...patch };
}

function client(
  declaration: VendorDeclaration,
  sandbox: RunningSandbox,
  governor: RateGovernor,
  tokenEnv: string,
): VendorClient {
  return new VendorClient(
    declaration,
    {
      baseUrl: sandbox.url,
      credentials:
        declaration.vendor === 'zendesk'
          ? { kind: 'basic-token', emailEnv: 'ZENDESK_EMAIL', tokenEnv }
          : { kind: 'bearer', tokenEnv },
    },
    { governor, env: ENV, timeoutMs: 5000 },
  );
}

const localGovernor = (declaration: VendorDeclaration, patch: Partial<VendorBudget> = {}) =>
  new RateGovernor(
    uniqueId(declaration.vendor),
    budget(declaration, { ratePerSecond: 200, ...patch }),
    new LocalBudgetStore(),
  );

describe('the SaaS connector kit over real HTTP', () => {
  let staging: Staging;
  const sandboxes: RunningSandbox[] = [];
  const open = async (vendor: string, options: Parameters<typeof startSandbox>[1] = {}) => {
    const s = await startSandbox(SANDBOXES[vendor]!, { seed: 3, ...options });
    // A migration's own key attribute, created as a migration creates it.
    if (vendor === 'attio') createAttioAttribute(s.store, 'people', { api_slug: 'tern_id', is_unique: true });
    sandboxes.push(s);
    return s;
  };

  beforeAll(async () => {
    staging = await testStaging();
  });
  afterAll(async () => {
    for (const s of sandboxes) await s.close();
    await staging.close();
  });
  afterEach(() => {
    // Every call Tern made matched the vendor's published spec.
    for (const s of sandboxes) expect(s.stats().specViolations).toEqual([]);
  });

  it('classifies failures: missing and refused credentials, rejected records', async () => {
    const sandbox = await open('attio');
    const governor = localGovernor(attio);
    expect(() => client(attio, sandbox, governor, 'TERN_NOT_SET')).toThrow(CredentialError);
    try {
      client(attio, sandbox, governor, 'TERN_NOT_SET');
    } catch (err) {
      expect((err as CredentialError).toLine()).toContain('set TERN_NOT_SET');
    }

    const refused = client(attio, sandbox, governor, 'WRONG_TOKEN');
    const denied = await refused
      .request({ method: 'get', url: '/v2/objects', operation: 'list objects' })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(CredentialError);
    expect((denied as CredentialError).credentialEnv).toBe('WRONG_TOKEN');
    expect((denied as CredentialError).message).not.toContain(ENV.WRONG_TOKEN);

    const writer = people(client(attio, sandbox, governor, 'ATTIO_TOKEN'));
    const rejected = await writer
      .write({ tern_id: ['x1'], email_addresses: ['not-an-email'] })
      .catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(RecordRejectedError);
    expect((rejected as RecordRejectedError).status).toBe(400);
    expect((rejected as RecordRejectedError).field).toBe('email_addresses');
    expect(sandbox.store.collection('records:people').size).toBe(0);
  });

  it('retries reads through 5xx and resets, and reports a write whose answer was lost as unknown', async () => {
    const sandbox = await open('attio', { faults: { error5xx: 0.3, reset: 0.2 } });
    const api = client(attio, sandbox, localGovernor(attio), 'ATTIO_TOKEN');
    for (let i = 0; i < 20; i++) {
      const res = await api.request<{ data: unknown[] }>({
        method: 'get',
        url: '/v2/objects',
        operation: 'list objects',
      });
      expect(res.data.data).toHaveLength(3);
    }
    expect(sandbox.stats().injected5xx + sandbox.stats().resets).toBeGreaterThan(0);

    sandbox.setFaults({ commitThenDrop: 1 });
    const writer = people(api);
    await expect(writer.write({ tern_id: ['lost-1'], name: ['Lost answer'] })).rejects.toBeInstanceOf(
      UnknownOutcomeError,
    );
    sandbox.setFaults({});
    // The write did happen: the protocol's lookup finds it.
    expect(await writer.find('lost-1')).toEqual(expect.any(String));
    expect(sandbox.writes.of('people')['lost-1']).toBe(1);
  });

  it('shares one budget between processes and pauses them all after a 429', async () => {
    const sandbox = await open('attio', { rate: 10 });
    const key = uniqueId('attio-shared');
    // Two connections stand for two worker processes: each has its own governor, the budget row is shared.
    const otherSql = await openSql(testEnv().databaseUrl, { max: 2 });
    try {
      const shared = budget(attio, { ratePerSecond: 10, burst: 1, concurrency: 4 });
      const a = new RateGovernor(key, shared, new PostgresBudgetStore(staging.sql));
      const b = new RateGovernor(key, shared, new PostgresBudgetStore(otherSql));
      const apiA = client(attio, sandbox, a, 'ATTIO_TOKEN');
      const apiB = client(attio, sandbox, b, 'ATTIO_TOKEN');
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 ? apiA : apiB).request({ method: 'get', url: '/v2/objects', operation: 'list objects' }),
        ),
      );
      // Each alone would have sent at 10/s; together they still kept to the sandbox's 10/s.
      expect(sandbox.stats().rateLimited).toBe(0);
      expect(sandbox.stats().handled).toBe(40);

      await a.pause(30_000, 'test: a 429 seen by process A');
      const [row] = await staging.sql<{ reason: string; ahead: number }[]>`
        select pause_reason as reason, paused_until_ms - extract(epoch from clock_timestamp()) * 1000 as ahead
        from rate_budgets where key = ${key}`;
      expect(row!.reason).toBe('test: a 429 seen by process A');
      expect(row!.ahead).toBeGreaterThan(20_000);
      // Process B honours it: its next slot is after the pause.
      expect(await new PostgresBudgetStore(otherSql).reserve(key, 100, 0)).toBeGreaterThan(20_000);
    } finally {
      await staging.sql`delete from rate_budgets where key = ${key}`;
      await otherSql.end();
    }
  });

  it('slows down as the vendor says the window runs out, instead of waiting for 429s', async () => {
    // Front's headers say what remains; the sandbox allows 5 per 1-second window, the budget claims 50/s.
    const sandbox = await open('front', { rate: 5 });
    const governor = localGovernor(front, { ratePerSecond: 50, concurrency: 1 });
    const api = client(front, sandbox, governor, 'FRONT_TOKEN');
    for (let i = 0; i < 16; i++) await api.request({ method: 'get', url: '/teammates', operation: 'list teammates' });
    expect(governor.stats.adaptiveSlowdowns).toBeGreaterThan(0);
    expect(sandbox.stats().rateLimited).toBe(0);
    expect(sandbox.stats().handled).toBe(16);
  });

  it('pages by offset (Attio), by next URL (Front) and by incremental cursor to the end of stream (Zendesk)', async () => {
    const attioSandbox = await open('attio');
    const attioApi = client(attio, attioSandbox, localGovernor(attio), 'ATTIO_TOKEN');
    const writer = people(attioApi);
    for (let i = 0; i < 25; i++) await writer.write({ tern_id: [`pg-${i}`], name: [`Paged ${i}`] });
    const positions: (number | undefined)[] = [];
    const seen: string[] = [];
    for await (const page of offsetPages(10, async (offset, limit) => {
      const res = await attioApi.request<{ data: { values: { tern_id: { value: string }[] } }[] }>({
        method: 'post',
        url: '/v2/objects/people/records/query',
        data: { limit, offset },
        operation: 'list people',
        idempotent: true,
      });
      return res.data.data;
    })) {
      positions.push(page.position);
      seen.push(...page.items.map((r) => r.values.tern_id[0]!.value));
    }
    expect(positions).toEqual([0, 10, 20]);
    expect(new Set(seen).size).toBe(25);

    const frontSandbox = await open('front');
    const frontApi = client(front, frontSandbox, localGovernor(front), 'FRONT_TOKEN');
    const contacts: unknown[] = [];
    let pagesRead = 0;
    for await (const page of nextUrlPages('/contacts?limit=1', async (url) => {
      const res = await frontApi.request<{ _results: unknown[]; _pagination: { next: string | null } }>({
        method: 'get',
        url,
        operation: 'list contacts',
      });
      return { items: res.data._results, nextUrl: res.data._pagination.next };
    })) {
      pagesRead += 1;
      contacts.push(...page.items);
    }
    expect(contacts.length).toBe(frontSandbox.store.collection('contacts').size);
    expect(pagesRead).toBeGreaterThanOrEqual(contacts.length);

    const zendeskSandbox = await open('zendesk');
    const zendeskApi = client(zendesk, zendeskSandbox, localGovernor(zendesk), 'ZENDESK_TOKEN');
    const ticketIds: number[] = [];
    let last: string | null | undefined;
    for await (const page of incrementalExport(
      async (from) => {
        const res = await zendeskApi.request<{
          tickets: { id: number }[];
          after_cursor: string | null;
          end_of_stream: boolean;
        }>({
          method: 'get',
          url: '/api/v2/incremental/tickets/cursor.json',
          params:
            'cursor' in from ? { cursor: from.cursor, per_page: 50 } : { start_time: from.startTime, per_page: 50 },
          operation: 'export tickets',
        });
        return { items: res.data.tickets, afterCursor: res.data.after_cursor, endOfStream: res.data.end_of_stream };
      },
      { startTime: 0 },
    )) {
      ticketIds.push(...page.items.map((t) => t.id));
      last = page.next;
    }
    expect(last).toBeNull();
    expect(ticketIds.length).toBe(zendeskSandbox.store.collection('tickets').size);
    expect(new Set(ticketIds).size).toBe(ticketIds.length);
  });
});
