import postgres from 'postgres';
import { hubspot } from '../../connectors/hubspot/declaration';
import { type HubSpotClients, hubspotChangeReader, hubspotSourceReader } from '../../connectors/hubspot/source';
import { LocalBudgetStore } from '../../connectors/kit/budget-stores';
import { RateGovernor } from '../../connectors/kit/governor';
import { VendorClient } from '../../connectors/kit/http';
import type { DeletedItem, SourceItem } from '../../connectors/source';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import { hubspotSandbox } from '../../sandboxes/hubspot';
import {
  applyMergeCrmTouch,
  buildMergeCrm,
  expectedOf,
  hostOf,
  seedMergeHubSpot,
  touchMergeCrm,
  writeLegacyCrm,
  type MergeCrmFacts,
  type MergeCrmWorld,
} from '../../scripts/generate/merge-crm';
import { uniqueId } from '../support/harness';

/**
 * The merge CRM generator writes its two systems for real: the legacy CRM into PostgreSQL, HubSpot's half into the
 * HubSpot sandbox. Read back through SQL and through Tern's HubSpot source reader, each system holds exactly the
 * records and sums the facts count, and every planted overlap is in the data where the facts say it is: the
 * members of a merged group share the key its rule compares, written differently in each system.
 */

const ENV = { HUBSPOT_TOKEN: 'hubspot-sandbox-token' };

function clients(sandbox: RunningSandbox): HubSpotClients {
  const make = (bucket: string) =>
    new VendorClient(
      hubspot,
      { baseUrl: sandbox.url, credentials: { kind: 'bearer', tokenEnv: 'HUBSPOT_TOKEN' } },
      {
        governor: new RateGovernor(
          uniqueId(`hubspot-${bucket}`),
          { ...hubspot.budget, ratePerSecond: 200, burst: 20 },
          new LocalBudgetStore(),
        ),
        env: ENV,
        timeoutMs: 10_000,
      },
    );
  return { api: make('api'), search: make('search') };
}

async function records(items: AsyncGenerator<SourceItem | DeletedItem>): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const item of items) if (item.kind === 'record') out.push(item.record);
  return out;
}

const cents = (amount: string | null | undefined) => BigInt((amount ?? '0.00').replace('.', ''));

describe('the merge CRM generator, written', () => {
  let sql: postgres.Sql;
  let sandbox: RunningSandbox;
  let api: HubSpotClients;
  const schema = uniqueId('merge_crm');
  let world: MergeCrmWorld;
  let facts: MergeCrmFacts;
  const hubspotRecords: Record<string, Map<string, Record<string, unknown>>> = {};
  const legacyRows: Record<string, Map<string, Record<string, string | null>>> = {};

  const readLegacy = async (table: string, id: string) => {
    const rows = await sql.unsafe<Record<string, string | null>[]>(
      `select * from (select t.*, ${id}::text as id_text from ${schema}.${table} t) x`,
    );
    return new Map(
      rows.map((r) => [
        String(r.id_text),
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
      ]),
    );
  };

  beforeAll(async () => {
    sql = postgres(process.env.TERN_TEST_DATABASE_URL!, { max: 2, onnotice: () => undefined });
    world = buildMergeCrm({ seed: 5, companies: 300 });
    facts = expectedOf(world);
    await writeLegacyCrm(sql, schema, world);
    sandbox = await startSandbox(hubspotSandbox, { seed: 5, rate: 500 });
    seedMergeHubSpot(sandbox.store, world);
    api = clients(sandbox);
    for (const type of ['companies', 'contacts'])
      hubspotRecords[type] = new Map(
        (await records(hubspotSourceReader(api, type, { pageSize: 100, object: type })(null))).map((r) => [
          String(r.id),
          r,
        ]),
      );
    legacyRows.accounts = await readLegacy('accounts', 'account_id');
    legacyRows.contacts = await readLegacy('contacts', 'contact_id');
    legacyRows.deals = await readLegacy('deals', 'deal_id');
  });

  afterAll(async () => {
    await sandbox.close();
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end({ timeout: 5 });
  });

  afterEach(() => {
    expect(sandbox.stats().specViolations).toEqual([]);
  });

  it('holds as many records in each system as the facts say, and their sums', async () => {
    expect(hubspotRecords.companies!.size).toBe(facts.records.hubspot.companies);
    expect(hubspotRecords.contacts!.size).toBe(facts.records.hubspot.contacts);
    expect(legacyRows.accounts!.size).toBe(facts.records.legacy.accounts);
    expect(legacyRows.contacts!.size).toBe(facts.records.legacy.contacts);
    expect(legacyRows.deals!.size).toBe(facts.records.legacy.deals);
    const [sums] = await sql.unsafe<{ revenue: string; amount: string }[]>(
      `select (select coalesce(sum(annual_revenue), 0) from ${schema}.accounts)::numeric(20, 2)::text as revenue,
              (select coalesce(sum(amount), 0) from ${schema}.deals)::numeric(20, 2)::text as amount`,
    );
    expect(sums).toEqual({
      revenue: facts.sums.legacy['accounts.annual_revenue'],
      amount: facts.sums.legacy['deals.amount'],
    });
  });

  it('puts each merged group on a key its members share, written differently in each system', () => {
    const company = (ref: string) => {
      const [source, id] = ref.split('/') as [string, string];
      const r = source === 'hubspot' ? hubspotRecords.companies!.get(id)! : legacyRows.accounts!.get(id)!;
      const raw = {
        name: String(source === 'hubspot' ? r.name : r.account_name),
        domain: (source === 'hubspot' ? r.domain : r.website) as string | null,
        country: r.country as string | null,
      };
      return {
        ...raw,
        host: hostOf(raw.domain),
        block: `${raw.name} ${raw.country}`.toLowerCase().replace(/\s+/g, ' ').trim(),
      };
    };
    let spelledDifferently = 0;
    for (const g of facts.objects.companies.merged) {
      const [a, b] = g.members.map(company) as [ReturnType<typeof company>, ReturnType<typeof company>];
      if (g.rule === 'domain') {
        expect({ ref: g.ref, host: a.host }).toEqual({ ref: g.ref, host: b.host });
        expect(a.host).not.toBeNull();
        if (a.domain !== b.domain && a.name.toLowerCase() !== b.name.toLowerCase()) spelledDifferently += 1;
      } else {
        expect(g.rule).toBe('name-country');
        expect(a.domain).toBeNull();
        expect({ ref: g.ref, block: a.block }).toEqual({ ref: g.ref, block: b.block });
        expect(a.name).not.toBe(b.name);
      }
    }
    expect(spelledDifferently).toBe(facts.planted['companies.both-domain']);
    for (const g of facts.objects.companies.review) {
      const hosts = new Set(g.members.map((m) => company(m).host));
      expect(hosts.size).toBe(1);
    }

    const person = (ref: string) => {
      const [source, id] = ref.split('/') as [string, string];
      const r = source === 'hubspot' ? hubspotRecords.contacts!.get(id)! : legacyRows.contacts!.get(id)!;
      return { email: r.email as string | null, phone: r.phone as string | null };
    };
    for (const g of facts.objects.people.merged) {
      const [a, b] = g.members.map(person) as [ReturnType<typeof person>, ReturnType<typeof person>];
      if (g.rule === 'email') {
        expect(a.email).not.toBe(b.email);
        expect(a.email!.trim().toLowerCase()).toBe(b.email!.trim().toLowerCase());
      } else {
        expect(a.phone).not.toBe(b.phone);
        expect(a.phone!.replace(/\D/g, '').slice(-10)).toBe(b.phone!.replace(/\D/g, '').slice(-10));
        expect(a.email!.toLowerCase()).not.toBe(b.email!.toLowerCase());
      }
    }
  });

  it('puts legacy deals on accounts HubSpot also has, and none on accounts under review', () => {
    const review = new Set(facts.objects.companies.review.flatMap((g) => g.members));
    let onMerged = 0;
    for (const [id, deal] of legacyRows.deals!) {
      expect(review.has(`legacy/${deal.account_id}`)).toBe(false);
      if (facts.objects.deals.rows[id]!.company_ref!.startsWith('hubspot/')) onMerged += 1;
    }
    expect(onMerged).toBe(facts.planted['deals.onCompaniesHubSpotHas']);
    expect(onMerged).toBeGreaterThan(20);
    const total = [...legacyRows.deals!.values()].reduce((s, d) => s + cents(d.amount), 0n);
    expect(total).toBe(cents(facts.sums.legacy['deals.amount']));
  });

  it('writes a touch into both systems: the changed records, and only they, are read as changed', async () => {
    const since = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const touched = touchMergeCrm(world);
    await applyMergeCrmTouch(sql, schema, sandbox.store, world, touched);
    const items: (SourceItem | DeletedItem)[] = [];
    for await (const item of hubspotChangeReader(api, 'contacts', { pageSize: 100, object: 'contacts' })!(since))
      items.push(item);
    const hubspot = touched.changes.filter((c) => c.ref.startsWith('hubspot/'));
    expect(items.filter((i) => i.kind === 'record').map((i) => `hubspot/${String(i.record.id)}`)).toEqual(
      hubspot.filter((c) => !c.deleted).map((c) => c.ref),
    );
    expect(items.filter((i) => i.kind === 'deleted').map((i) => `hubspot/${i.sourceId}`)).toEqual(
      hubspot.filter((c) => c.deleted).map((c) => c.ref),
    );
    // One legacy contact and one deal created, one of each deleted.
    const [left] = await sql.unsafe<{ contacts: number; deals: number }[]>(
      `select (select count(*) from ${schema}.contacts)::int as contacts, (select count(*) from ${schema}.deals)::int as deals`,
    );
    expect(left).toEqual({ contacts: legacyRows.contacts!.size, deals: legacyRows.deals!.size });
    for (const [table, id] of [
      ['accounts', 'account_id'],
      ['contacts', 'contact_id'],
      ['deals', 'deal_id'],
    ] as const) {
      const rows = await sql.unsafe<{ id: string }[]>(
        `select ${id}::text as id from ${schema}.${table} where modified_at >= $1 order by ${id}`,
        [since.toISOString()],
      );
      const expected = touched.changes
        .filter((c) => c.object === table && c.ref.startsWith('legacy/') && !c.deleted)
        .map((c) => c.ref.slice('legacy/'.length))
        .sort((a, b) => Number(a) - Number(b));
      expect({ table, ids: rows.map((r) => r.id) }).toEqual({ table, ids: expected });
    }
  });
});
