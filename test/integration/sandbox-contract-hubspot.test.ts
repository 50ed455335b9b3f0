import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { readCsv } from '../../connectors/csv/read';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import {
  CRM_EXPORT_HEADERS,
  CRM_OBJECT_TYPES,
  CRM_PROPERTIES,
  type CrmObjectType,
  exportDateTime,
  generateCrm,
  type HubSpotRecord,
  isBadDomain,
  isBadEmail,
  isBadPhone,
  writeCrmCsvExport,
} from '../../sandboxes/generate/crm';
import { crmScaleOf, hubspotDataset, hubspotSandbox, touchCrm } from '../../sandboxes/hubspot';
import { DEAL_STATUSES, type DealStage } from '../../scripts/generate/legacy-crm';

const SEED = 11;
const anyString = expect.any(String) as string;

interface ListedObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: Record<string, { results: { id: string; type: string }[] }>;
}
interface Page {
  results: ListedObject[];
  paging?: { next?: { after: string; link?: string } };
}
interface SearchPage extends Page {
  total: number;
}

const client = (sandbox: RunningSandbox, token = 'hubspot-sandbox-token'): AxiosInstance =>
  axios.create({ baseURL: sandbox.url, headers: { authorization: `Bearer ${token}` }, validateStatus: () => true });

/** The exact sum of decimal amounts, by string arithmetic in cents (independent of the generator's). */
function sumCents(amounts: (string | null | undefined)[]): string {
  let cents = 0n;
  for (const a of amounts) {
    const m = /^\s*(\d+)(?:\.(\d{1,2}))?\s*$/.exec(a ?? '');
    if (m) cents += BigInt(m[1]!) * 100n + BigInt((m[2] ?? '0').padEnd(2, '0'));
  }
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}

/** Every HubSpot route Tern reads, over HTTP, validated against sandboxes/specs/hubspot.crm.yaml. */
describe('the HubSpot sandbox', () => {
  let sandbox: RunningSandbox;
  let api: AxiosInstance;
  const others: RunningSandbox[] = [];
  const dataset = generateCrm({ seed: SEED, scale: crmScaleOf() });

  beforeAll(async () => {
    sandbox = await startSandbox(hubspotSandbox, { seed: SEED, rate: 1000 });
    api = client(sandbox);
  });
  afterAll(async () => {
    await sandbox.close();
    await Promise.all(others.map((s) => s.close()));
  });
  afterEach(() => expect(sandbox.stats().specViolations).toEqual([]));

  async function listAll(type: CrmObjectType, params: Record<string, unknown> = {}): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await api.get<Page>(`/crm/v3/objects/${type}`, { params: { limit: 100, ...params, after } });
      expect(res.status).toBe(200);
      out.push(...res.data.results);
      after = res.data.paging?.next?.after;
      if (!after) return out;
    }
  }

  describe('the generated CRM', () => {
    it('holds the 105 legacy deal statuses verbatim, each deal in the stage its status means', () => {
      expect(dataset.facts.legacyStatuses).toHaveLength(105);
      expect(dataset.facts.legacyStatuses).toEqual(DEAL_STATUSES.map((s) => s.value).sort());
      const stageOf = new Map(DEAL_STATUSES.map((s) => [s.value, s.stage]));
      const expected: Record<DealStage, string> = {
        New: 'appointmentscheduled',
        Qualified: 'qualifiedtobuy',
        Proposal: 'presentationscheduled',
        Negotiation: 'contractsent',
        Won: 'closedwon',
        Lost: 'closedlost',
      };
      for (const d of dataset.deals)
        expect(d.properties.dealstage).toBe(expected[stageOf.get(d.properties.legacy_status!.trim())!]);
    });

    it('counts each stage and sums its amounts exactly as its records do', () => {
      let deals = 0;
      for (const stage of dataset.pipeline.stages) {
        const inStage = dataset.deals.filter((d) => d.properties.dealstage === stage.id);
        expect(dataset.facts.stages[stage.id]).toMatchObject({
          label: stage.label,
          deals: inStage.length,
          amountSum: sumCents(inStage.map((d) => d.properties.amount)),
        });
        deals += inStage.length;
      }
      expect(deals).toBe(dataset.facts.counts.deals);
      expect(dataset.facts.stages.decisionmakerboughtin!.deals).toBe(0);
      expect(dataset.facts.totalAmount).toBe(sumCents(dataset.deals.map((d) => d.properties.amount)));
    });

    it('keeps the dirt: bad emails, phones and domains, multi-value interests, orphan associations', () => {
      const { facts } = dataset;
      expect(facts.bad.emails).toBe(dataset.contacts.filter((c) => isBadEmail(c.properties.email)).length);
      expect(facts.bad.phones).toBe(dataset.contacts.filter((c) => isBadPhone(c.properties.phone)).length);
      expect(facts.bad.domains).toBe(dataset.companies.filter((c) => isBadDomain(c.properties.domain)).length);
      for (const n of [facts.bad.emails, facts.bad.phones, facts.bad.domains, facts.bad.amounts])
        expect(n).toBeGreaterThan(0);
      expect(facts.multiValue.interests).toBeGreaterThan(0);
      expect(facts.orphans.contactCompanies + facts.orphans.dealCompanies).toBeGreaterThan(0);
      expect(facts.duplicates.contacts.groups + facts.duplicates.companies.groups).toBeGreaterThan(0);
      expect(isBadDomain('n/a')).toBe(true);
      expect(isBadDomain('www.acme')).toBe(true);
      expect(isBadDomain('acme .com')).toBe(true);
      expect(isBadDomain('acme.com')).toBe(false);
      for (const r of [...dataset.companies, ...dataset.contacts, ...dataset.deals]) expect(r.id).toMatch(/^\d+$/);
    });

    it('is the same for the same seed, and another for another seed', () => {
      const again = generateCrm({ seed: SEED, scale: crmScaleOf() });
      expect(JSON.stringify(again)).toBe(JSON.stringify(dataset));
      expect(generateCrm({ seed: SEED + 1, scale: crmScaleOf() }).facts).not.toEqual(dataset.facts);
    });
  });

  describe('objects', () => {
    it('pages every record exactly once with `after`, in id order', async () => {
      for (const type of CRM_OBJECT_TYPES) {
        const all = await listAll(type);
        expect(all.map((r) => r.id)).toEqual(dataset[type].map((r) => r.id).sort((a, b) => Number(a) - Number(b)));
        expect(all.every((r) => !r.archived && typeof r.createdAt === 'string')).toBe(true);
      }
      const first = await api.get<Page>('/crm/v3/objects/deals', { params: { limit: 2 } });
      const link = first.data.paging!.next!.link!;
      const second = await api.get<Page>(link);
      expect(second.data.results[0]!.id).toBe(first.data.paging!.next!.after);
      expect((await api.get('/crm/v3/objects/deals', { params: { limit: 101 } })).status).toBe(400);
      await axios.post(`${sandbox.url}/__admin/stats-reset`); // the refusal above was the point
    });

    it('returns the named properties (with the id and dates), or the defaults', async () => {
      const named = await api.get<Page>('/crm/v3/objects/deals', {
        params: { limit: 1, properties: 'legacy_status,amount' },
      });
      expect(Object.keys(named.data.results[0]!.properties).sort()).toEqual(
        ['amount', 'createdate', 'hs_lastmodifieddate', 'hs_object_id', 'legacy_status'].sort(),
      );
      const deal = dataset.deals.find((d) => d.id === named.data.results[0]!.id)!;
      expect(named.data.results[0]!.properties.legacy_status).toBe(deal.properties.legacy_status);
      const defaults = await api.get<Page>('/crm/v3/objects/contacts', { params: { limit: 1 } });
      expect(Object.keys(defaults.data.results[0]!.properties).sort()).toEqual(
        ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'].sort(),
      );
    });

    it('lists associations, orphans included, from both sides', async () => {
      const deals = await listAll('deals', { associations: 'companies,contacts' });
      for (const d of deals) {
        const stored = dataset.deals.find((x) => x.id === d.id)!;
        expect(d.associations?.companies?.results.map((r) => r.id) ?? []).toEqual(stored.associations.companies ?? []);
        expect(d.associations?.contacts?.results.map((r) => r.id) ?? []).toEqual(stored.associations.contacts ?? []);
      }
      expect(deals.some((d) => d.associations?.contacts?.results[0]?.type === 'deal_to_contact')).toBe(true);
      const companies = await listAll('companies', { associations: 'contacts' });
      const withContacts = companies.find((c) => c.associations?.contacts)!;
      for (const { id } of withContacts.associations!.contacts!.results)
        expect(dataset.contacts.find((c) => c.id === id)!.associations.companies).toContain(withContacts.id);
    });

    it('describes every property, custom ones included', async () => {
      const res = await api.get<{ results: { name: string; label: string; hubspotDefined: boolean }[] }>(
        '/crm/v3/properties/deals',
      );
      expect(res.data.results.map((p) => p.name)).toEqual(
        expect.arrayContaining(['dealname', 'amount', 'dealstage', 'legacy_status', 'hs_object_id']),
      );
      expect(res.data.results.find((p) => p.name === 'legacy_status')).toMatchObject({
        label: 'Legacy Status',
        hubspotDefined: false,
      });
    });

    it('reads associations in batches (v4), listing records without any as errors', async () => {
      const deal = dataset.deals.find((d) => d.associations.contacts?.length)!;
      const res = await api.post<{
        results: { from: { id: string }; to: { toObjectId: number }[] }[];
        errors?: unknown[];
      }>('/crm/v4/associations/deals/contacts/batch/read', { inputs: [{ id: deal.id }, { id: '1' }] });
      expect(res.status).toBe(207);
      expect(res.data.results[0]!.to.map((t) => String(t.toObjectId))).toEqual(deal.associations.contacts);
      expect(res.data.errors).toHaveLength(1);
    });
  });

  describe('search', () => {
    const byModified = (from: number, to: number) => ({
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(from) },
            { propertyName: 'hs_lastmodifieddate', operator: 'LT', value: new Date(to).toISOString() },
          ],
        },
      ],
      sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['dealname', 'legacy_status'],
      limit: 200,
    });

    it('finds exactly the records modified in a window, sorted, paged with `after`', async () => {
      const from = Date.UTC(2020, 0, 1);
      const to = Date.UTC(2022, 0, 1);
      const expected = dataset.deals
        .filter((d) => {
          const t = Date.parse(d.properties.hs_lastmodifieddate!);
          return t >= from && t < to;
        })
        .map((d) => d.id);
      const got: ListedObject[] = [];
      let after: string | undefined;
      let total = 0;
      do {
        const res = await api.post<SearchPage>('/crm/v3/objects/deals/search', { ...byModified(from, to), after });
        expect(res.status).toBe(200);
        total = res.data.total;
        got.push(...res.data.results);
        after = res.data.paging?.next?.after;
      } while (after);
      expect(total).toBe(expected.length);
      expect(got.map((r) => r.id).sort()).toEqual(expected.sort());
      const times = got.map((r) => Date.parse(r.properties.hs_lastmodifieddate!));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(Object.keys(got[0]!.properties).sort()).toEqual(
        ['createdate', 'dealname', 'hs_lastmodifieddate', 'hs_object_id', 'legacy_status'].sort(),
      );
    });

    it('refuses more than 200 per page', async () => {
      const res = await api.post('/crm/v3/objects/deals/search', { limit: 201 });
      expect(res.status).toBe(400);
      expect(res.data).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
      await axios.post(`${sandbox.url}/__admin/stats-reset`); // the refusal above was the point
    });

    it('pages through 10,000 results per query and no further', async () => {
      const large = await startSandbox(hubspotSandbox, { seed: SEED, size: 1, rate: 1000 });
      others.push(large);
      const res = await client(large).post<SearchPage>('/crm/v3/objects/contacts/search', {
        limit: 200,
        after: '9800',
      });
      expect(res.status).toBe(200);
      expect(res.data.total).toBe(20_000);
      expect(res.data.paging?.next?.after).toBe('10000');
      const past = await client(large).post('/crm/v3/objects/contacts/search', { limit: 200, after: '10000' });
      expect(past.status).toBe(400);
      expect(past.data).toMatchObject({
        status: 'error',
        category: 'VALIDATION_ERROR',
        correlationId: anyString,
      });
    });
  });

  describe('owners and pipelines', () => {
    it('lists active owners, and deactivated ones with archived=true, paged', async () => {
      const active = await api.get<{ results: { id: string; archived: boolean }[] }>('/crm/v3/owners');
      expect(active.data.results).toHaveLength(dataset.facts.counts.activeOwners);
      const archived: { id: string; email: string; firstName: string; archived: boolean }[] = [];
      let after: string | undefined;
      do {
        const res = await api.get<{ results: typeof archived; paging?: { next?: { after: string } } }>(
          '/crm/v3/owners',
          { params: { archived: true, limit: 4, after } },
        );
        archived.push(...res.data.results);
        after = res.data.paging?.next?.after;
      } while (after);
      expect(archived).toHaveLength(dataset.facts.counts.archivedOwners);
      expect(archived.every((o) => o.archived && o.email.includes('@') && o.firstName)).toBe(true);
    });

    it('lists the deals pipeline and its stages, won and lost closed', async () => {
      const pipelines = await api.get<{
        results: { id: string; stages: { id: string; metadata: Record<string, string> }[] }[];
      }>('/crm/v3/pipelines/deals');
      expect(pipelines.data.results).toHaveLength(1);
      const stages = await api.get<{
        results: { id: string; displayOrder: number; metadata: Record<string, string> }[];
      }>(`/crm/v3/pipelines/deals/${pipelines.data.results[0]!.id}/stages`);
      const byId = new Map(stages.data.results.map((s) => [s.id, s.metadata]));
      expect(byId.get('closedwon')).toEqual({ isClosed: 'true', probability: '1.0' });
      expect(byId.get('closedlost')).toEqual({ isClosed: 'true', probability: '0.0' });
      expect(byId.get('appointmentscheduled')?.isClosed).toBe('false');
      expect((await api.get('/crm/v3/pipelines/deals/nope/stages')).status).toBe(404);
    });
  });

  describe('auth, limits and errors', () => {
    it('refuses a request without the private app token, in HubSpot error shape', async () => {
      const res = await client(sandbox, 'wrong').get('/crm/v3/objects/deals');
      expect(res.status).toBe(401);
      expect(res.data).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    });

    it("answers 429 past the limit with HubSpot's body and headers", async () => {
      const limited = await startSandbox(hubspotSandbox, { seed: SEED, rate: 3 });
      others.push(limited);
      const responses: AxiosResponse[] = await Promise.all(
        Array.from({ length: 10 }, () => client(limited).get('/crm/v3/objects/companies', { params: { limit: 1 } })),
      );
      const ok = responses.find((r) => r.status === 200)!;
      expect(ok.headers['x-hubspot-ratelimit-max']).toBe('3');
      expect(ok.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('1000');
      expect(Number(ok.headers['x-hubspot-ratelimit-remaining'])).toBeLessThan(3);
      expect(ok.headers['x-hubspot-ratelimit-daily']).toBe('250000');
      expect(ok.headers['x-hubspot-ratelimit-daily-remaining']).toMatch(/^\d+$/);
      const refused = responses.find((r) => r.status === 429)!;
      expect(refused.data).toMatchObject({
        status: 'error',
        message: 'You have reached your ten_secondly_rolling limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'TEN_SECONDLY_ROLLING',
        correlationId: anyString,
      });
      expect(refused.headers['x-hubspot-ratelimit-remaining']).toBe('0');
      expect(limited.stats().rateLimited).toBeGreaterThan(0);
    });

    it('documents 100 requests per 10 seconds and 4 searches per second', () => {
      const limits = hubspotSandbox.limits(undefined);
      expect(limits['ten-secondly']).toEqual({ limit: 100, windowMs: 10_000 });
      expect(limits.search).toEqual({ limit: 4, windowMs: 1000 });
      expect(hubspotSandbox.bucket('searchObjects', 'post')).toBe('search');
    });
  });

  describe('the CSV export', () => {
    it("holds the sandbox's records as HubSpot's export writes them", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-hubspot-export-'));
      await writeCrmCsvExport(dir, hubspotDataset(sandbox.store));
      const owners = new Map(dataset.owners.map((o) => [o.id, `${o.firstName} ${o.lastName}`]));
      const stages = new Map(dataset.pipeline.stages.map((s) => [s.id, s.label]));
      for (const type of CRM_OBJECT_TYPES) {
        const rows: Record<string, string>[] = [];
        for await (const item of readCsv(path.join(dir, `${type}.csv`))) {
          expect(item.kind).toBe('record');
          if (item.kind === 'record') rows.push(item.record);
        }
        const names = CRM_PROPERTIES[type].map((p) => p.name);
        const listed = await listAll(type, {
          properties: names.join(','),
          ...(type === 'companies' ? {} : { associations: 'companies,contacts' }),
        });
        expect(rows).toHaveLength(listed.length);
        expect(Object.keys(rows[0]!)).toEqual(CRM_EXPORT_HEADERS[type]);
        listed.forEach((r, i) => {
          const row = rows[i]!;
          expect(row['Record ID']).toBe(r.id);
          for (const p of CRM_PROPERTIES[type]) {
            const v = r.properties[p.name] ?? null;
            const expected =
              v === null
                ? ''
                : p.name === 'hubspot_owner_id'
                  ? owners.get(v)
                  : p.name === 'dealstage'
                    ? stages.get(v)
                    : p.name === 'pipeline'
                      ? dataset.pipeline.label
                      : p.type === 'datetime' && p.name !== 'closedate'
                        ? exportDateTime(v)
                        : v;
            expect([p.label, row[p.label]]).toEqual([p.label, expected]);
          }
          const ids = (t: string) => r.associations?.[t]?.results.map((a) => a.id).join(';') ?? '';
          if (type !== 'companies') expect(row['Associated Company IDs']).toBe(ids('companies'));
          if (type === 'deals') expect(row['Associated Contact IDs']).toBe(ids('contacts'));
        });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe('touchCrm', () => {
    it('adds, changes and deletes records, bumping their last-modified dates, and recounts the stages', async () => {
      const before = Date.now();
      const touched = touchCrm(sandbox.store, { seed: 2, newDeals: 2, newContacts: 2, changedDeals: 3 });
      expect(touched.created.deals).toHaveLength(2);
      expect(touched.changed.deals).toHaveLength(3);
      expect(touched.deleted.deals).toHaveLength(1);
      const live = hubspotDataset(sandbox.store).deals.filter((d) => !d.archived);
      expect(touched.counts.deals).toBe(dataset.facts.counts.deals + 2 - 1);
      for (const [id, s] of Object.entries(touched.stages)) {
        const inStage = live.filter((d: HubSpotRecord) => d.properties.dealstage === id);
        expect(s.deals).toBe(inStage.length);
        expect(s.amountSum).toBe(sumCents(inStage.map((d) => d.properties.amount)));
      }
      const archived = await listAll('deals', { archived: true });
      expect(archived.map((d) => d.id)).toEqual(touched.deleted.deals);
      expect(Date.parse(archived[0]!.archivedAt!)).toBeGreaterThanOrEqual(before);
      const changed = await api.post<SearchPage>('/crm/v3/objects/deals/search', {
        filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(before) }] }],
        limit: 100,
      });
      expect(changed.data.results.map((d) => d.id).sort()).toEqual(
        [...touched.created.deals, ...touched.changed.deals].sort(),
      );
    });
  });
});
