import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import {
  attioDealsByStage,
  CRM_SANDBOX_CREDENTIALS,
  crmPlan,
  prepareAttioWorkspace,
  sourceDealsByStage,
} from '../../scripts/bench/crm-attio';
import type { RunnablePhase } from '../../scripts/client/phases';
import { loadPreferencesReport } from '../../report/preferences';
import { attioSandbox, attioWorkspaceState } from '../../sandboxes/attio';
import { recordsOf } from '../../sandboxes/attio-workspace';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { writeCrmCsvExport } from '../../sandboxes/generate/crm';
import { hubspotDataset, hubspotSandbox, touchCrm } from '../../sandboxes/hubspot';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { runPhase, testClient, testSettings, testStaging, uniqueId } from '../support/harness';

/**
 * A dirty CRM into Attio through the five phases, from HubSpot's API and from its CSV export: 105 hand-typed
 * deal statuses land on Attio deal stages by their meaning, multi-value interests become several tags, bad
 * emails, phones and domains never reach Attio (no record refused at load), duplicates merge; per stage, the
 * deals and their summed amounts are equal in the source and in Attio after every phase; the delta brings new
 * and changed deals and a deleted one; the rollback gives the workspace back exactly.
 */
jest.setTimeout(600_000);

const SCALE = Number(process.env.TERN_TEST_CRM_SCALE ?? 0.05);

describe.each(['hubspot', 'csv'] as const)('a CRM into Attio from %s, five phases', (kind) => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let hubspot: RunningSandbox;
  let attio: RunningSandbox;
  let loaded: LoadedPlan;
  let before: string;
  const migrationId = uniqueId(`mig_crm_${kind}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tern-crm-${kind}-`));
  const exportDir = path.join(dir, 'crm-export');

  const run = <P extends RunnablePhase>(phase: P) =>
    runPhase({ client, settings, staging, loaded, migrationId }, phase, 'test: undo the whole migration');
  const object = (r: PhaseResult, name: string) => r.objects.find((o) => o.object === name)!;
  const liveDeals = () => hubspotDataset(hubspot.store).deals.filter((d) => !d.archived);
  /** Per Attio stage: the source's deals and amounts by their meaning, and Attio's. */
  const stagesAgree = () => {
    const source = Object.fromEntries(sourceDealsByStage(liveDeals()));
    const target = Object.fromEntries(attioDealsByStage(attio));
    expect(target).toEqual(source);
    expect(Object.keys(source).sort()).toEqual(['Lead', 'Lost', 'Negotiation', 'Proposal', 'Qualified', 'Won 🎉']);
  };
  const loadRefusals = async () =>
    (
      await staging.sql<{ n: number }[]>`
        select count(*)::int as n from quarantine
        where migration_id = ${migrationId} and reason_code = 'target_rejected' and resolved_at is null`
    )[0]!.n;
  /**
   * Each source record is one Attio record: no legacy id twice, as many records as loaded. (A record the sample
   * wrote is written again in full when it changed since: a contact whose company was not in the sample gets
   * it; that is an update of the same record, not a copy.)
   */
  const oneRecordEach = (r: PhaseResult) => {
    for (const name of ['companies', 'people', 'deals']) {
      const ids = [...recordsOf(attio.store, name).values()]
        .map((x) => x.values.legacy_id?.[0]?.value)
        .filter((v) => v !== undefined);
      expect({ name, records: ids.length, distinct: new Set(ids).size }).toEqual({
        name,
        records: object(r, name).loaded,
        distinct: object(r, name).loaded,
      });
    }
  };

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    Object.assign(process.env, CRM_SANDBOX_CREDENTIALS);
    hubspot = await startSandbox(hubspotSandbox, { seed: 17, size: SCALE, rate: 5000 });
    attio = await startSandbox(attioSandbox, { seed: 17, rate: 5000 });
    await prepareAttioWorkspace(attio.url, CRM_SANDBOX_CREDENTIALS.TERN_SANDBOX_ATTIO_TOKEN);
    before = JSON.stringify(attioWorkspaceState(attio.store));
    if (kind === 'csv') await writeCrmCsvExport(exportDir, hubspotDataset(hubspot.store));
    loaded = crmPlan(
      kind,
      migrationId,
      kind === 'hubspot' ? { hubspot: hubspot.url, attio: attio.url } : { attio: attio.url, csvDirectory: exportDir },
      dir,
    );
  });

  afterAll(async () => {
    await hubspot?.close();
    await attio?.close();
    if (staging) {
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('preferences: every status mapped, every would-be Attio error named, nothing written', async () => {
    const result = await run('preferences');
    expect(result.ok).toBe(true);
    const report = await loadPreferencesReport(staging.db, migrationId);
    // The plan's transforms turn every value Attio would refuse into a quarantine with its reason (a bad email)
    // or no value (a bad phone or domain), and companies that share a domain under two spellings of their
    // name are one: nothing is left for Attio to refuse.
    for (const o of report.objects)
      expect({ object: o.object, preflight: o.preflight }).toEqual({ object: o.object, preflight: [] });
    const companies = report.objects.find((o) => o.object === 'companies')!;
    expect(companies.duplicates!.groups).toBeGreaterThan(0);
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const people = report.objects.find((o) => o.object === 'people')!;
    expect(people.dryRun!.quarantined.invalid_email).toBeGreaterThan(0);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });

  test('sample: about a tenth of the deals, every status among them, reconciled', async () => {
    const sample = await run('sample');
    for (const o of sample.objects)
      expect({ object: o.object, ok: o.ok, unaccounted: o.unaccounted, mismatches: o.checksumMismatches }).toEqual({
        object: o.object,
        ok: true,
        unaccounted: 0,
        mismatches: 0,
      });
    const deals = object(sample, 'deals');
    expect(deals.loaded).toBeLessThan(liveDeals().length / 2);
    // Every status (spellings that differ only in case are one stratum) is in the sample.
    const strata = sample.sample!.find((s) => s.object === 'deals')!;
    expect(strata.strata).toBe(
      new Set(liveDeals().map((d) => (d.properties.legacy_status ?? '').trim().toLowerCase())).size,
    );
    expect(strata.strataRepresented).toBe(strata.strata);
    expect(await loadRefusals()).toBe(0);
  });

  test('full: per stage, deals and amounts equal in the source and in Attio; nothing refused, nothing twice', async () => {
    const full = await run('full');
    expect(full.ok).toBe(true);
    for (const o of full.objects)
      expect({ object: o.object, unaccounted: o.unaccounted }).toEqual({ object: o.object, unaccounted: 0 });
    expect(object(full, 'deals')).toMatchObject({
      source: liveDeals().length,
      loaded: liveDeals().length,
      checksumMismatches: 0,
    });
    expect(object(full, 'deals').sums.value!.loaded).toBe(object(full, 'deals').sums.value!.new);
    expect(object(full, 'deals').sums.value!.ok).toBe(true);
    stagesAgree();
    expect(await loadRefusals()).toBe(0);
    const [unique] = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from quarantine
      where migration_id = ${migrationId} and reason_code = 'target_unique_conflict'`;
    expect(unique!.n).toBe(0);
    oneRecordEach(full);
    // Multi-value interests are several tags; references point at the migrated company.
    const people = [...recordsOf(attio.store, 'people').values()];
    expect(people.filter((p) => (p.values.tags?.length ?? 0) > 1).length).toBeGreaterThan(0);
    const companies = new Set([...recordsOf(attio.store, 'companies').values()].map((c) => c.id.record_id));
    const linked = people.filter((p) => p.values.company?.length);
    expect(linked.length).toBeGreaterThan(people.length / 2);
    for (const p of linked) expect(companies.has(p.values.company![0]!.target_record_id as string)).toBe(true);
  });

  test('delta: new deals, changed statuses and amounts, a deleted deal; stages still agree', async () => {
    const touched = touchCrm(hubspot.store, { seed: 5 });
    if (kind === 'csv') await writeCrmCsvExport(exportDir, hubspotDataset(hubspot.store));
    const delta = await run('delta');
    expect(delta.ok).toBe(true);
    expect(object(delta, 'deals')).toMatchObject({ unaccounted: 0, checksumMismatches: 0 });
    expect(object(delta, 'deals').deleted).toBeGreaterThanOrEqual(touched.deleted.deals.length);
    oneRecordEach(delta);
    stagesAgree();
    expect(await loadRefusals()).toBe(0);
    for (const id of touched.deleted.deals)
      expect([...recordsOf(attio.store, 'deals').values()].some((r) => r.values.legacy_id?.[0]?.value === id)).toBe(
        false,
      );
  });

  test('rollback: the workspace exactly as it was before the migration', async () => {
    const result = await run('rollback');
    expect(result.ok).toBe(true);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });
});
