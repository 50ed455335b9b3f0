import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { loadSettings, type TernSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { picklistCoverage, transformArgs, transformName } from '../../plan/transforms';
import { attioSandbox } from '../../sandboxes/attio';
import { recordsOf } from '../../sandboxes/attio-workspace';
import { startSandbox, type RunningSandbox } from '../../sandboxes/core/server';
import {
  amountCents,
  formatCents,
  type CrmDataset,
  type HubSpotRecord,
  isMultiValue,
} from '../../sandboxes/generate/crm';
import { hubspotSandbox, hubspotDataset } from '../../sandboxes/hubspot';
import { DEAL_STATUSES } from '../generate/legacy-crm';
import { connectStaging, type Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { startPhase } from '../client/phases';
import { loadPreferencesReport } from '../../report/preferences';
import { ensureTemporal } from '../stack/temporal';
import { withWorkerProcess } from './worker-process';

const ROOT = path.resolve(__dirname, '../..');

/** The environment variables the sandbox plans name, with the sandboxes' default credentials. */
export const CRM_SANDBOX_CREDENTIALS = {
  TERN_SANDBOX_HUBSPOT_TOKEN: 'hubspot-sandbox-token',
  TERN_SANDBOX_ATTIO_TOKEN: 'attio-sandbox-token',
};

/** The Attio deal stage each legacy stage is, by the example plans' mapping. */
export const ATTIO_STAGE: Record<string, string> = {
  New: 'Lead',
  Qualified: 'Qualified',
  Proposal: 'Proposal',
  Negotiation: 'Negotiation',
  Won: 'Won 🎉',
  Lost: 'Lost',
};

/**
 * What the workspace admin does before the migration (the gold schema): the pipeline's stages beside Attio's
 * own, and a multi-select `tags` attribute on people. Through the API, as an admin's script would.
 */
export async function prepareAttioWorkspace(url: string, token: string): Promise<void> {
  const api = axios.create({ baseURL: url, headers: { authorization: `Bearer ${token}` } });
  for (const title of ['Qualified', 'Proposal', 'Negotiation'])
    await api.post('/v2/objects/deals/attributes/stage/statuses', { data: { title } });
  await api.post('/v2/objects/people/attributes', {
    data: {
      title: 'Tags',
      description: 'Interests from the legacy CRM',
      api_slug: 'tags',
      type: 'select',
      is_required: false,
      is_unique: false,
      is_multiselect: true,
      default_value: null,
      config: {},
    },
  });
}

/**
 * One of the example plans (hubspot-to-attio, csv-crm-to-attio) pointed at the sandboxes, under its own name,
 * with the sandboxes' credentials and raised limits; its mapping files beside it.
 */
export function crmPlan(
  kind: 'hubspot' | 'csv',
  name: string,
  urls: { hubspot?: string; attio: string; csvDirectory?: string },
  dir: string,
): LoadedPlan {
  const example = kind === 'hubspot' ? 'hubspot-to-attio.yaml' : 'csv-crm-to-attio.yaml';
  let text = fs
    .readFileSync(path.join(ROOT, 'examples', example), 'utf8')
    .replace('https://api.attio.com', urls.attio)
    .replace('tokenEnv: ATTIO_TOKEN', 'tokenEnv: TERN_SANDBOX_ATTIO_TOKEN')
    .replace(/budget: \{ ratePerSecond: [\d.]+ \}/g, 'budget: { ratePerSecond: 1000, exceedDocumented: true }')
    .replace(`name: ${example.replace('.yaml', '')}`, `name: ${name}`);
  if (urls.hubspot)
    text = text
      .replace('https://api.hubapi.com', urls.hubspot)
      .replace('tokenEnv: HUBSPOT_TOKEN', 'tokenEnv: TERN_SANDBOX_HUBSPOT_TOKEN');
  if (urls.csvDirectory) text = text.replace('directory: crm-export', `directory: ${urls.csvDirectory}`);
  fs.cpSync(path.join(ROOT, 'examples', 'mappings'), path.join(dir, 'mappings'), { recursive: true });
  const file = path.join(dir, 'plan.yaml');
  fs.writeFileSync(file, text);
  return parsePlan(text, file);
}

/**
 * The straight field-by-field import a team tries first: every HubSpot property into the Attio attribute of
 * the same meaning, as it is, one create per record (blank cells left out). Counts what Attio refuses.
 */
export async function naiveImport(
  url: string,
  token: string,
  dataset: Pick<CrmDataset, 'companies' | 'contacts' | 'deals'>,
): Promise<{ errors: number; byCode: Record<string, number> }> {
  const api = axios.create({
    baseURL: url,
    headers: { authorization: `Bearer ${token}` },
    validateStatus: () => true,
  });
  const byCode: Record<string, number> = {};
  let errors = 0;
  const put = (values: Record<string, unknown>, name: string, value: string | null | undefined) => {
    if (value !== null && value !== undefined && value.trim() !== '') values[name] = [value];
  };
  const send = async (object: string, values: Record<string, unknown>) => {
    for (;;) {
      const res = await api.post<{ code?: string }>(`/v2/objects/${object}/records`, { data: { values } });
      if (res.status === 429) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (res.status >= 400) {
        errors += 1;
        const code = `${object}:${res.data.code ?? res.status}`;
        byCode[code] = (byCode[code] ?? 0) + 1;
      }
      return;
    }
  };
  const live = (records: HubSpotRecord[]) => records.filter((r) => !r.archived);
  for (const c of live(dataset.companies)) {
    const values: Record<string, unknown> = {};
    put(values, 'name', c.properties.name);
    put(values, 'domains', c.properties.domain);
    await send('companies', values);
  }
  for (const p of live(dataset.contacts)) {
    const values: Record<string, unknown> = {};
    put(values, 'name', [p.properties.firstname, p.properties.lastname].filter(Boolean).join(' '));
    put(values, 'email_addresses', p.properties.email);
    put(values, 'phone_numbers', p.properties.phone);
    put(values, 'tags', p.properties.interests);
    await send('people', values);
  }
  for (const d of live(dataset.deals)) {
    const values: Record<string, unknown> = {};
    put(values, 'name', d.properties.dealname);
    put(values, 'stage', d.properties.legacy_status);
    const amount = d.properties.amount;
    if (amount !== null && amount !== undefined && amount.trim() !== '')
      values.value = [Number.isFinite(Number(amount)) ? Number(amount) : amount];
    await send('deals', values);
  }
  return { errors, byCode };
}

/** The naive import as a Tern plan, so pre-flight can say what Attio would refuse before anything is sent. */
function naivePlanText(name: string, hubspotUrl: string, attioUrl: string): string {
  return `
version: 1
name: ${name}
source:
  kind: hubspot
  baseUrl: ${hubspotUrl}
  credentials: { kind: bearer, tokenEnv: TERN_SANDBOX_HUBSPOT_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
target:
  kind: attio
  baseUrl: ${attioUrl}
  credentials: { kind: bearer, tokenEnv: TERN_SANDBOX_ATTIO_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
objects:
  - name: companies
    source: { resource: companies, id: id }
    target: { resource: companies, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name }
      - { from: domain, to: domains }
  - name: people
    source: { resource: contacts, id: id }
    target: { resource: people, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { to: name, transform: [{ template: { template: '{firstname} {lastname}' } }] }
      - { from: email, to: email_addresses }
      - { from: phone, to: phone_numbers }
      - { from: interests, to: tags }
  - name: deals
    source: { resource: deals, id: id }
    target: { resource: deals, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: dealname, to: name }
      - { from: legacy_status, to: stage }
      - { from: amount, to: value }
`;
}

export interface CrmAttioFigures {
  /** Records Attio refused in the straight import of the same data. */
  naiveErrors: number;
  naiveErrorsByCode: Record<string, number>;
  /** Records Tern's pre-flight said Attio would refuse under the straight mapping, before sending anything. */
  ternPreflightFindings: number;
  /** Records Attio refused while Tern loaded the example plan (pre-flight and transforms caught the rest). */
  ternLoadErrors: number;
  /** Distinct legacy status values in the source. */
  statusValues: number;
  /** Distinct legacy status values whose every deal is in Attio at the stage its meaning says. */
  statusValuesMapped: number;
  /** People whose multi-value interests field became several tags in Attio. */
  multiValueFieldsSplit: number;
  lost: number;
  duplicated: number;
  checksumMismatches: number;
  /** Per deal stage: deals and amounts in the source and in Attio. */
  stages: Record<string, { sourceDeals: number; targetDeals: number; sourceAmount: string; targetAmount: string }>;
  quarantined: Record<string, number>;
  seconds: number;
}

type StageTally = Map<string, { deals: number; cents: bigint }>;

/** Counts deals and sums their amounts (in cents; no amount counts 0) per stage. */
function tallyByStage<T>(items: Iterable<T>, of: (item: T) => { stage: string; cents: bigint | null }): StageTally {
  const out: StageTally = new Map();
  for (const item of items) {
    const { stage, cents } = of(item);
    const s = out.get(stage) ?? { deals: 0, cents: 0n };
    s.deals += 1;
    s.cents += cents ?? 0n;
    out.set(stage, s);
  }
  return out;
}

/** The Attio stage each of the 105 legacy statuses means. */
const STAGE_OF_STATUS = new Map(DEAL_STATUSES.map((s) => [s.value, ATTIO_STAGE[s.stage]!]));

/** Deals per Attio stage, and their amounts, as Attio holds them. */
export function attioDealsByStage(attio: RunningSandbox): StageTally {
  return tallyByStage(recordsOf(attio.store, 'deals').values(), (r) => {
    const v = r.values.value?.[0]?.currency_value;
    return {
      stage: (r.values.stage?.[0]?.status as { title?: string } | undefined)?.title ?? '(none)',
      cents: typeof v === 'number' ? amountCents(v.toFixed(2)) : null,
    };
  });
}

/** Deals per Attio stage in the source: each legacy status by its meaning, amounts that are numbers. */
export function sourceDealsByStage(deals: readonly HubSpotRecord[]): StageTally {
  return tallyByStage(
    deals.filter((d) => !d.archived),
    (d) => ({
      stage: STAGE_OF_STATUS.get((d.properties.legacy_status ?? '').trim()) ?? '(unknown)',
      cents: amountCents(d.properties.amount),
    }),
  );
}

/** The naive import, Tern's pre-flight of the same mapping, then the example plan's sample and full. */
export async function crmAttioRun(
  databaseUrl: string,
  options: { seed: number; scale: number; say: (line: string) => void },
): Promise<CrmAttioFigures> {
  const settings: TernSettings = loadSettings({
    ...process.env,
    DATABASE_URL: databaseUrl,
    TERN_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
  });
  Object.assign(process.env, CRM_SANDBOX_CREDENTIALS);
  await ensureTemporal(settings, options.say);
  const staging: Staging = await connectStaging(databaseUrl);
  const client = await connectClient(settings.temporal);
  const hubspot = await startSandbox(hubspotSandbox, { seed: options.seed, size: options.scale, rate: 100_000 });
  const dataset = hubspotDataset(hubspot.store);
  const naive = await startSandbox(attioSandbox, { seed: options.seed, rate: 100_000 });
  const attio = await startSandbox(attioSandbox, { seed: options.seed, rate: 100_000 });
  const token = CRM_SANDBOX_CREDENTIALS.TERN_SANDBOX_ATTIO_TOKEN;
  const suffix = randomBytes(4).toString('hex');
  const naiveId = `mig_bench_crm_naive_${suffix}`;
  const migrationId = `mig_bench_crm_${suffix}`;
  const dir = fs.mkdtempSync(path.join(ROOT, '.tools', 'bench-'));
  try {
    await prepareAttioWorkspace(naive.url, token);
    await prepareAttioWorkspace(attio.url, token);
    options.say('the straight import');
    const naiveResult = await naiveImport(naive.url, token, dataset);
    options.say(`straight import: ${naiveResult.errors} records refused ${JSON.stringify(naiveResult.byCode)}`);

    const naiveFile = path.join(dir, 'naive.yaml');
    fs.writeFileSync(naiveFile, naivePlanText(naiveId, hubspot.url, attio.url));
    const naivePlan = parsePlan(fs.readFileSync(naiveFile, 'utf8'), naiveFile);
    const plan = crmPlan('hubspot', migrationId, { hubspot: hubspot.url, attio: attio.url }, dir);

    return await withWorkerProcess(settings, databaseUrl, CRM_SANDBOX_CREDENTIALS, async () => {
      const run = async <P extends 'preferences' | 'sample' | 'full'>(loaded: LoadedPlan, id: string, phase: P) => {
        const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId: id });
        return started.handle.result();
      };
      options.say('pre-flight of the straight mapping');
      await run(naivePlan, naiveId, 'preferences');
      const naiveReport = await loadPreferencesReport(staging.db, naiveId);
      const ternPreflightFindings = naiveReport.objects.reduce(
        (n, o) => n + (o.preflight ?? []).reduce((m, f) => m + f.records, 0),
        0,
      );

      const t0 = Date.now();
      options.say('the example plan: preferences, sample, full');
      const preferences = await run(plan, migrationId, 'preferences');
      if (!preferences.ok) throw new Error(`preferences of the example plan failed: ${JSON.stringify(preferences)}`);
      await run(plan, migrationId, 'sample');
      const full: PhaseResult = await run(plan, migrationId, 'full');
      const seconds = (Date.now() - t0) / 1000;

      const quarantine = await staging.sql<{ code: string; stage: string; n: number }[]>`
        select reason_code as code, stage, count(*)::int as n from quarantine
        where migration_id = ${migrationId} and resolved_at is null group by 1, 2`;
      const quarantined: Record<string, number> = {};
      for (const q of quarantine) quarantined[q.code] = (quarantined[q.code] ?? 0) + q.n;
      const ternLoadErrors = quarantine.filter((q) => q.code === 'target_rejected').reduce((n, q) => n + q.n, 0);

      // Every status value: did each of its deals land at the stage its meaning says?
      const deals = dataset.deals.filter((d) => !d.archived);
      const byLegacyId = new Map(
        [...recordsOf(attio.store, 'deals').values()].map((r) => [
          String(r.values.legacy_id?.[0]?.value),
          (r.values.stage?.[0]?.status as { title?: string } | undefined)?.title,
        ]),
      );
      const statuses = new Map<string, boolean>();
      for (const d of deals) {
        const value = (d.properties.legacy_status ?? '').trim();
        if (!value) continue;
        const right = byLegacyId.get(d.id) === STAGE_OF_STATUS.get(value);
        statuses.set(value, (statuses.get(value) ?? true) && right);
      }
      // The plan maps every profiled value (strict picklist): the coverage Tern validated before loading.
      const stageField = plan.plan.objects.find((o) => o.name === 'deals')!.fields.find((f) => f.to === 'stage')!;
      const picklist = stageField.transform.find((t) => transformName(t) === 'picklist')!;
      const { unmapped } = picklistCoverage(transformArgs(picklist), [...statuses.keys()]);

      const people = new Map(
        [...recordsOf(attio.store, 'people').values()].map((r) => [
          String(r.values.legacy_id?.[0]?.value),
          r.values.tags?.length ?? 0,
        ]),
      );
      const multiValueFieldsSplit = dataset.contacts.filter(
        (c) => !c.archived && isMultiValue(c.properties.interests) && (people.get(c.id) ?? 0) > 1,
      ).length;

      // A copy: a second Attio record for one source record (updates of one record are not copies).
      let duplicated = 0;
      for (const name of ['companies', 'people', 'deals']) {
        const ids = [...recordsOf(attio.store, name).values()]
          .map((r) => r.values.legacy_id?.[0]?.value)
          .filter((v) => v !== undefined);
        duplicated += ids.length - new Set(ids).size;
      }
      const lost = full.objects.reduce((n, o) => n + o.unaccounted, 0);
      const source = sourceDealsByStage(deals);
      const target = attioDealsByStage(attio);
      const stages: CrmAttioFigures['stages'] = {};
      for (const stage of new Set([...source.keys(), ...target.keys()]))
        stages[stage] = {
          sourceDeals: source.get(stage)?.deals ?? 0,
          targetDeals: target.get(stage)?.deals ?? 0,
          sourceAmount: formatCents(source.get(stage)?.cents ?? 0n),
          targetAmount: formatCents(target.get(stage)?.cents ?? 0n),
        };
      return {
        naiveErrors: naiveResult.errors,
        naiveErrorsByCode: naiveResult.byCode,
        ternPreflightFindings,
        ternLoadErrors,
        statusValues: statuses.size,
        statusValuesMapped: [...statuses].filter(([v, right]) => right && !unmapped.includes(v)).length,
        multiValueFieldsSplit,
        lost,
        duplicated,
        checksumMismatches: full.objects.reduce((n, o) => n + o.checksumMismatches, 0),
        stages,
        quarantined,
        seconds: Number(seconds.toFixed(1)),
      };
    });
  } finally {
    await client.connection.close();
    await hubspot.close();
    await naive.close();
    await attio.close();
    await staging.sql`delete from migrations where id in (${naiveId}, ${migrationId})`;
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
