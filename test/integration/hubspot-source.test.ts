import { hubspot } from '../../connectors/hubspot/declaration';
import { type HubSpotClients, hubspotChangeReader, hubspotSourceReader } from '../../connectors/hubspot/source';
import { RateGovernor } from '../../connectors/kit/governor';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { VendorClient } from '../../connectors/kit/http';
import type { DeletedItem, SourceItem } from '../../connectors/source';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { hubspotDataset, hubspotSandbox, touchCrm } from '../../sandboxes/hubspot';
import { uniqueId } from '../support/harness';

const ENV = { HUBSPOT_TOKEN: 'hubspot-sandbox-token' };
const OPTIONS = (object: string) => ({ pageSize: 100, object });

/** The connector's clients against a sandbox, each under its own governed budget. */
function clients(sandbox: RunningSandbox, ratePerSecond = 40): HubSpotClients {
  const make = (bucket: string) =>
    new VendorClient(
      hubspot,
      { baseUrl: sandbox.url, credentials: { kind: 'bearer', tokenEnv: 'HUBSPOT_TOKEN' } },
      {
        governor: new RateGovernor(
          uniqueId(`hubspot-${bucket}`),
          { ...hubspot.budget, ratePerSecond, burst: 5 },
          new LocalBudgetStore(),
        ),
        env: ENV,
        timeoutMs: 10_000,
      },
    );
  return { api: make('api'), search: make('search') };
}

async function collect<T>(items: AsyncGenerator<T>, stopAfter = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= stopAfter) break;
  }
  return out;
}

const records = (items: (SourceItem | DeletedItem)[]) =>
  items.filter((i): i is Extract<SourceItem, { kind: 'record' }> => i.kind === 'record').map((i) => i.record);

describe('the HubSpot source', () => {
  let sandbox: RunningSandbox;
  let api: HubSpotClients;

  beforeAll(async () => {
    sandbox = await startSandbox(hubspotSandbox, { seed: 5, rate: 50 });
    api = clients(sandbox);
  });
  afterAll(() => sandbox.close());
  afterEach(() => {
    expect(sandbox.stats().specViolations).toEqual([]);
    expect(sandbox.stats().unknownRoutes).toEqual([]);
  });

  it('reads every company, contact and deal exactly once, with every property and its associations', async () => {
    const data = hubspotDataset(sandbox.store);
    for (const type of ['companies', 'contacts', 'deals'] as const) {
      const read = records(await collect(hubspotSourceReader(api, type, OPTIONS(type))(null)));
      expect(read.map((r) => r.id)).toEqual(data[type].map((r) => r.id));
      read.forEach((r, i) => {
        const stored = data[type][i]!;
        expect(r).toMatchObject({ id: stored.id, ...stored.properties });
        if (type !== 'companies') expect(r.company_id).toBe(stored.associations.companies?.[0] ?? null);
        if (type === 'deals') expect(r.contact_ids).toBe(stored.associations.contacts?.join(',') ?? null);
      });
    }
    const deal = records(await collect(hubspotSourceReader(api, 'deals', OPTIONS('deals'))(null), 1))[0]!;
    expect(Object.keys(deal)).toEqual(expect.arrayContaining(['legacy_status', 'dealstage', 'amount', 'closedate']));
  });

  it('resumes from a cursor without reading a record twice or losing one', async () => {
    const read = hubspotSourceReader(api, 'contacts', OPTIONS('contacts'));
    const first = await collect(read(null), 237);
    const last = first[first.length - 1]!;
    const rest = await collect(read(last.cursor));
    const ids = records([...first, ...rest]).map((r) => r.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(hubspotDataset(sandbox.store).contacts.map((c) => c.id));
  });

  it('reads owners, active and deactivated, resuming across the two lists', async () => {
    const read = hubspotSourceReader(api, 'owners', OPTIONS('owners'));
    const all = records(await collect(read(null)));
    expect(all).toHaveLength(16);
    expect(all.filter((o) => o.active)).toHaveLength(10);
    expect(all[0]).toMatchObject({ email: expect.stringContaining('@') as string, first_name: 'John' });
    const first = await collect(read(null), 12);
    const rest = records(await collect(read(first[first.length - 1]!.cursor)));
    expect([...records(first), ...rest].map((o) => o.id)).toEqual(all.map((o) => o.id));
  });

  it('reads the pipeline stages flattened, won and lost closed', async () => {
    const stages = records(await collect(hubspotSourceReader(api, 'stages', OPTIONS('stages'))(null)));
    expect(stages.map((s) => s.id)).toEqual([
      'appointmentscheduled',
      'qualifiedtobuy',
      'presentationscheduled',
      'decisionmakerboughtin',
      'contractsent',
      'closedwon',
      'closedlost',
    ]);
    expect(stages.find((s) => s.id === 'closedwon')).toMatchObject({
      pipeline: 'default',
      label: 'Closed Won',
      probability: 1,
      is_closed: true,
      is_won: true,
    });
    expect(stages.find((s) => s.id === 'closedlost')).toMatchObject({ probability: 0, is_closed: true, is_won: false });
    expect(stages.find((s) => s.id === 'qualifiedtobuy')).toMatchObject({ is_closed: false, display_order: 1 });
  });

  it('refuses a resource it does not read, naming the ones it does', () => {
    let refusal: unknown;
    try {
      hubspotSourceReader(api, 'tickets', OPTIONS('tickets'));
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toMatchObject({
      message: expect.stringContaining('"tickets" is not a HubSpot resource') as string,
      fix: 'set source.resource to one of companies, contacts, deals, owners, stages',
    });
    expect(hubspotChangeReader(api, 'owners', OPTIONS('owners'))).toBeUndefined();
  });

  it('reads exactly what touchCrm changed since an instant, deletions included', async () => {
    const since = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const touched = touchCrm(sandbox.store, { seed: 4, newDeals: 3, newContacts: 2, changedDeals: 4 });
    const dealChanges = await collect(hubspotChangeReader(api, 'deals', OPTIONS('deals'))!(since));
    const changedDeals = records(dealChanges);
    expect(changedDeals.map((d) => d.id).sort()).toEqual([...touched.created.deals, ...touched.changed.deals].sort());
    const stored = hubspotDataset(sandbox.store).deals;
    for (const d of changedDeals) {
      const s = stored.find((x) => x.id === d.id)!;
      expect(d).toMatchObject(s.properties);
      expect(d.company_id).toBe(s.associations.companies?.[0] ?? null);
      expect(d.contact_ids).toBe(s.associations.contacts?.join(',') ?? null);
    }
    const deleted = dealChanges.filter((i): i is DeletedItem => i.kind === 'deleted');
    expect(deleted.map((d) => d.sourceId)).toEqual(touched.deleted.deals);
    const contacts = records(await collect(hubspotChangeReader(api, 'contacts', OPTIONS('contacts'))!(since)));
    expect(contacts.map((c) => c.id).sort()).toEqual([...touched.created.contacts].sort());
    expect(contacts.every((c) => typeof c.company_id === 'string')).toBe(true);
    expect(await collect(hubspotChangeReader(api, 'companies', OPTIONS('companies'))!(since))).toEqual([]);
    // The full read no longer sees the deleted deal.
    const live = records(await collect(hubspotSourceReader(api, 'deals', OPTIONS('deals'))(null)));
    expect(live.some((d) => touched.deleted.deals.includes(d.id as string))).toBe(false);
    expect(live).toHaveLength(touched.counts.deals);
  });

  it('splits a window holding more than the 10,000 results one search pages through', async () => {
    const large = await startSandbox(hubspotSandbox, { seed: 5, size: 1, rate: 200 });
    try {
      const changes = await collect(
        hubspotChangeReader(clients(large, 150), 'contacts', OPTIONS('contacts'))!(new Date(0)),
      );
      const ids = records(changes).map((c) => c.id as string);
      expect(ids).toHaveLength(20_000);
      expect(new Set(ids).size).toBe(20_000);
      expect(large.stats().specViolations).toEqual([]);
      // Every query stayed under the cap: no search was refused.
      expect(large.stats().rateLimited).toBe(0);
    } finally {
      await large.close();
    }
  });
});
