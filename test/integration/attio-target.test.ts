import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { PreferencesReport } from '../../report/preferences';
import { loadPreferencesReport } from '../../report/preferences';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import type { RunnablePhase } from '../../scripts/client/phases';
import { attioSandbox, attioWorkspaceState, createAttioAttribute } from '../../sandboxes/attio';
import { recordsOf } from '../../sandboxes/attio-workspace';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { runPhase, testClient, testSettings, testStaging, uniqueId } from '../support/harness';

/**
 * The Attio target on its own, through the phases over real HTTP: pre-flight finds every value Attio would
 * refuse, with record, field, value and fix; the load upserts on a key attribute Tern creates, writes select
 * options it creates, statuses, currencies and references by record id, and reconciles exactly; a second
 * full writes nothing; the rollback leaves the workspace exactly as it was (what Tern created archived).
 */
jest.setTimeout(300_000);

const COMPANIES = `id,name,website
c1,Acme Corp,https://www.acme.example/about
c2,Globex,globex.example
c3,Initech,n/a
`;
const PEOPLE = `id,first,last,email,phone,company,tags
p1,Jane,Doe,Jane@Acme.example,+1 212 555 0123,c1,"vip, newsletter"
p2,Bob,Roe,bob@globex.example,,c2,newsletter
p3,Eve,Moe,eve@localhost,(212) 555-0199,c9,
`;
const DEALS = `id,name,status,amount,company
d1,Acme renewal,closed won,"$1,200.50",c1
d2,Globex pilot,Qualfied,300,c2
d3,Initech upsell,negotiating,TBD,c3
`;

const PLAN = (dir: string, url: string, name: string) => `
version: 1
name: ${name}
source: { kind: csv, directory: ${dir} }
target:
  kind: attio
  baseUrl: ${url}
  credentials: { kind: bearer, tokenEnv: TERN_TEST_ATTIO_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
  createOptions: true
objects:
  - name: companies
    source: { file: companies.csv, id: id }
    target: { resource: companies, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [collapse_whitespace, required] }
      - { from: website, to: domains, transform: [{ domain: { onInvalid: 'null' } }] }
  - name: people
    source: { file: people.csv, id: id }
    target: { resource: people, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - to: name
        transform: [{ template: { template: '{first} {last}' } }]
      - { from: email, to: email_addresses }
      - { from: phone, to: phone_numbers, transform: [{ phone: { defaultCountry: US, onInvalid: 'null' } }] }
      - { from: company, to: company, transform: [trim, { reference: { object: companies, onMissing: 'null' } }] }
      - { from: tags, to: tags, transform: [{ split: { separators: [','] } }, titlecase] }
  - name: deals
    source: { file: deals.csv, id: id }
    target: { resource: deals, key: legacy_id }
    sums: [value]
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [required] }
      - from: status
        to: stage
        transform:
          - picklist:
              options: [Lead, Qualified, Proposal, Negotiation, Won 🎉, Lost]
              aliases: { closed won: Won 🎉, Qualfied: Qualified, negotiating: Negotiation }
              unmapped: quarantine
      - { from: amount, to: value, transform: [{ currency: { onInvalid: 'null' } }] }
      - { from: company, to: associated_company, transform: [{ reference: { object: companies, onMissing: 'null' } }] }
`;

describe('the Attio target, through the phases', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let attio: RunningSandbox;
  let loaded: LoadedPlan;
  let before: string;
  const migrationId = uniqueId('mig_attio');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-attio-'));

  const run = <P extends RunnablePhase>(phase: P) =>
    runPhase({ client, settings, staging, loaded, migrationId }, phase, 'test: undo');
  const object = (r: PhaseResult, name: string) => r.objects.find((o) => o.object === name)!;
  const values = (object: string) =>
    new Map(
      [...recordsOf(attio.store, object).values()].map((r) => [
        r.values.legacy_id?.[0]?.value as string | undefined,
        r.values,
      ]),
    );

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    attio = await startSandbox(attioSandbox, { seed: 4, rate: 1000 });
    process.env.TERN_TEST_ATTIO_TOKEN = 'attio-sandbox-token';
    // What the workspace admin prepared: a tags attribute on people, and the pipeline's stages.
    createAttioAttribute(attio.store, 'people', { api_slug: 'tags', type: 'select', is_multiselect: true });
    for (const title of ['Qualified', 'Proposal', 'Negotiation'])
      await fetch(`${attio.url}/v2/objects/deals/attributes/stage/statuses`, {
        method: 'POST',
        headers: { authorization: 'Bearer attio-sandbox-token', 'content-type': 'application/json' },
        body: JSON.stringify({ data: { title } }),
      }).then((r) => expect(r.status).toBe(200));
    before = JSON.stringify(attioWorkspaceState(attio.store));
    fs.writeFileSync(path.join(dir, 'companies.csv'), COMPANIES);
    fs.writeFileSync(path.join(dir, 'people.csv'), PEOPLE);
    fs.writeFileSync(path.join(dir, 'deals.csv'), DEALS);
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, PLAN(dir, attio.url, migrationId));
    loaded = parsePlan(fs.readFileSync(file, 'utf8'), file);
  });

  afterAll(async () => {
    await attio?.close();
    if (staging) {
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('pre-flight names each record Attio would refuse, its field, value and fix, and writes nothing', async () => {
    const result = await run('preferences');
    expect(result.ok).toBe(true);
    const report: PreferencesReport = await loadPreferencesReport(staging.db, migrationId);
    const people = report.objects.find((o) => o.object === 'people')!;
    // The naive email mapping: Jane's capitals are fine (Attio lower-cases), eve@localhost is not an address.
    expect(people.preflight).toEqual([
      expect.objectContaining({
        field: 'email_addresses',
        code: 'target_invalid_email',
        records: 1,
        examples: [{ record: 'p3', value: 'eve@localhost' }],
      }),
    ]);
    expect(people.preflight![0]!.fix).toContain('`email` transform');
    expect(people.dryRun).toMatchObject({ loaded: 2, quarantined: { target_invalid_email: 1 } });
    expect(report.objects.find((o) => o.object === 'deals')!.preflight).toEqual([]);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });

  test('full: upserts on the key attribute, options, statuses, currencies and references, reconciled', async () => {
    const full = await run('full');
    expect(object(full, 'companies')).toMatchObject({ loaded: 3, quarantined: 0, checksumMismatches: 0, ok: true });
    // p3 is refused before Attio sees it: the load quarantines what pre-flight predicted.
    expect(object(full, 'people')).toMatchObject({ loaded: 2, quarantined: 1, checksumMismatches: 0, ok: true });
    expect(object(full, 'deals')).toMatchObject({ loaded: 3, quarantined: 0, checksumMismatches: 0, ok: true });
    const [rejected] = await staging.sql<{ reason_code: string; stage: string }[]>`
      select reason_code, stage from quarantine where migration_id = ${migrationId} and object = 'people'`;
    expect(rejected).toEqual({ reason_code: 'target_invalid_email', stage: 'map' });

    const companies = values('companies');
    expect(companies.get('c1')!.domains).toEqual([expect.objectContaining({ domain: 'acme.example' })]);
    expect(companies.get('c3')!.domains ?? []).toEqual([]);
    const people = values('people');
    const acmeId = [...recordsOf(attio.store, 'companies').values()].find(
      (r) => r.values.legacy_id?.[0]?.value === 'c1',
    )!.id.record_id;
    expect(people.get('p1')).toMatchObject({
      email_addresses: [expect.objectContaining({ email_address: 'jane@acme.example' })],
      phone_numbers: [expect.objectContaining({ original_phone_number: '+12125550123' })],
      company: [expect.objectContaining({ target_record_id: acmeId })],
    });
    expect((people.get('p1')!.tags as { option: { title: string } }[]).map((t) => t.option.title).sort()).toEqual([
      'Newsletter',
      'Vip',
    ]);
    const deals = values('deals');
    expect(deals.get('d1')).toMatchObject({
      value: [expect.objectContaining({ currency_value: 1200.5 })],
    });
    expect((deals.get('d1')!.stage![0]!.status as { title: string }).title).toBe('Won 🎉');
    expect(deals.get('d3')!.value ?? []).toEqual([]);
    expect(attio.writes.summary().deals?.maxWrites).toBe(1);

    expect(object(full, 'deals').sums.value).toMatchObject({ loaded: '1500.5', new: '1500.5', ok: true });

    const writes = JSON.stringify(attio.writes.summary());
    const again = await run('full');
    expect(again.ok).toBe(true);
    expect(JSON.stringify(attio.writes.summary())).toBe(writes);
  });

  test('rollback: the workspace exactly as it was; what Tern created is archived', async () => {
    const result = await run('rollback');
    expect(result.ok).toBe(true);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });
});
