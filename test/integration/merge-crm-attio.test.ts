import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { prepareAttioWorkspace } from '../../scripts/bench/crm-attio';
import {
  buildMergeCrm,
  expectedOf,
  seedMergeHubSpot,
  writeLegacyCrm,
  type MergeCrmFacts,
} from '../../scripts/generate/merge-crm';
import { attioSandbox, attioWorkspaceState, createAttioAttribute } from '../../sandboxes/attio';
import { recordsOf } from '../../sandboxes/attio-workspace';
import { valueKey } from '../../sandboxes/attio-values';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { hubspotSandbox } from '../../sandboxes/hubspot';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * examples/merge-crm-to-attio.yaml over the sandboxes: HubSpot's companies and contacts and the legacy CRM's
 * accounts, contacts and deals (the merge generator's planted overlaps) merged into one Attio workspace through
 * Temporal. Counted from Attio's records: one company per merged group (Attio holds a domain once), one person per
 * merged person (an email once), every value the survivor the generator expects, every legacy deal on the merged
 * company; the records under review are not in Attio; a rollback gives the workspace back as it was.
 */
jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '../..');
const STAGE: Record<string, string> = { New: 'Lead', Won: 'Won 🎉' };
const titlecase = (s: string) => s.toLowerCase().replace(/(^|[\s-])(\p{L})/gu, (m) => m.toUpperCase());

describe('two CRMs merged into one Attio workspace', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let hubspot: RunningSandbox;
  let attio: RunningSandbox;
  let loaded: LoadedPlan;
  let facts: MergeCrmFacts;
  let before: string;
  const schema = uniqueId('merge_crm');
  const migrationId = uniqueId('mig_merge_attio');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-merge-attio-'));

  const phase = (p: 'full' | 'rollback') =>
    startPhase(client, settings, staging.db, loaded, {
      phase: p,
      migrationId,
      ...(p === 'rollback' ? { reason: 'test: undo the merge', by: 'jest' } : {}),
    }).then((started) => started.handle.result() as Promise<PhaseResult>);

  /** Attio's records of an object by their key attribute, each value as its comparable key. */
  const byKey = (object: string, key: string) => {
    const out = new Map<string, { id: string; values: Record<string, string[]> }[]>();
    for (const r of recordsOf(attio.store, object).values()) {
      const k = r.values[key]?.[0];
      if (!k) continue;
      const values = Object.fromEntries(
        Object.entries(r.values).map(([slug, vs]) => [slug, (vs ?? []).map((v) => valueKey(v))]),
      );
      const list = out.get(valueKey(k)) ?? [];
      list.push({ id: r.id.record_id, values });
      out.set(valueKey(k), list);
    }
    return out;
  };

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    const world = buildMergeCrm({ seed: 3, companies: 60 });
    facts = expectedOf(world);
    await writeLegacyCrm(staging.sql, schema, world);
    hubspot = await startSandbox(hubspotSandbox, { seed: 3, rate: 1000 });
    seedMergeHubSpot(hubspot.store, world);
    attio = await startSandbox(attioSandbox, { seed: 3, rate: 1000 });
    await prepareAttioWorkspace(attio.url, 'attio-sandbox-token');
    createAttioAttribute(attio.store, 'companies', { api_slug: 'country', type: 'text' });
    before = JSON.stringify(attioWorkspaceState(attio.store));
    Object.assign(process.env, {
      TERN_TEST_HUBSPOT_TOKEN: 'hubspot-sandbox-token',
      TERN_TEST_ATTIO_TOKEN: 'attio-sandbox-token',
      TERN_TEST_LEGACY_CRM_URL: process.env.TERN_TEST_DATABASE_URL,
    });
    const text = fs
      .readFileSync(path.join(ROOT, 'examples', 'merge-crm-to-attio.yaml'), 'utf8')
      .replace('https://api.hubapi.com', hubspot.url)
      .replace('https://api.attio.com', attio.url)
      .replace('tokenEnv: HUBSPOT_TOKEN', 'tokenEnv: TERN_TEST_HUBSPOT_TOKEN')
      .replace('tokenEnv: ATTIO_TOKEN', 'tokenEnv: TERN_TEST_ATTIO_TOKEN')
      .replace('urlEnv: LEGACY_CRM_URL', 'urlEnv: TERN_TEST_LEGACY_CRM_URL')
      .replace('schema: crm', `schema: ${schema}`)
      .replace(/budget: \{ ratePerSecond: [\d.]+ \}/g, 'budget: { ratePerSecond: 1000, exceedDocumented: true }')
      .replace('name: merge-crm-to-attio', `name: ${migrationId}`);
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, text);
    loaded = parsePlan(text, file);
  });

  afterAll(async () => {
    await hubspot?.close();
    await attio?.close();
    await staging?.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await staging?.close();
    await client?.connection.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes one Attio record per merged group, with the survivors the generator expects, and rolls back', async () => {
    await withWorker(settings, staging, async () => {
      const full = await phase('full');
      expect(full.objects.map((o) => ({ object: o.object, unaccounted: o.unaccounted }))).toEqual(
        ['companies', 'people', 'deals'].map((object) => ({ object, unaccounted: 0 })),
      );

      const companies = byKey('companies', 'merge_ref');
      const c = facts.objects.companies;
      expect(companies.size).toBe(c.targetRows);
      expect([...companies.values()].filter((l) => l.length > 1)).toEqual([]);
      const refOfRecord = new Map([...companies].map(([ref, [r]]) => [r!.id, ref]));
      for (const [ref, row] of Object.entries(c.rows)) {
        const got = companies.get(ref)?.[0]?.values ?? {};
        expect({ ref, name: got.name, domains: got.domains ?? [], description: got.description ?? [] }).toEqual({
          ref,
          name: [row.name],
          domains: row.domain ? [row.domain] : [],
          description: row.industry ? [row.industry] : [],
        });
      }
      for (const g of c.review) for (const m of g.members) expect(companies.has(m)).toBe(false);

      const people = byKey('people', 'merge_ref');
      const p = facts.objects.people;
      expect(people.size).toBe(p.targetRows);
      for (const [ref, row] of Object.entries(p.rows)) {
        const got = people.get(ref)?.[0]?.values ?? {};
        expect({
          ref,
          name: got.name,
          email_addresses: got.email_addresses ?? [],
          phone_numbers: got.phone_numbers ?? [],
          company: (got.company ?? []).map((id) => refOfRecord.get(id)),
        }).toEqual({
          ref,
          name: [`${row.first_name} ${row.last_name}`],
          email_addresses: row.email ? [row.email] : [],
          phone_numbers: row.phone ? [row.phone] : [],
          company: row.company_ref ? [row.company_ref] : [],
        });
        expect(new Set(got.tags ?? [])).toEqual(new Set((row.tags ?? []).map(titlecase)));
      }

      const deals = byKey('deals', 'legacy_id');
      expect(deals.size).toBe(facts.objects.deals.targetRows);
      for (const [id, row] of Object.entries(facts.objects.deals.rows)) {
        const got = deals.get(id)?.[0]?.values ?? {};
        expect({
          id,
          stage: got.stage,
          company: (got.associated_company ?? []).map((x) => refOfRecord.get(x)),
        }).toEqual({
          id,
          stage: [STAGE[row.stage!] ?? row.stage],
          company: [row.company_ref],
        });
        expect(got.value?.map(Number) ?? []).toEqual(row.amount ? [Number(row.amount)] : []);
      }

      const rollback = await phase('rollback');
      expect(rollback.ok).toBe(true);
      expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
    });
  });
});
