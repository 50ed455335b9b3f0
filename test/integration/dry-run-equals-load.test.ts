import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import axios from 'axios';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { CRM_SANDBOX_CREDENTIALS, crmPlan, prepareAttioWorkspace } from '../../scripts/bench/crm-attio';
import { SANDBOX_CREDENTIALS, sandboxPlan } from '../../scripts/bench/zendesk-front';
import { startPhase } from '../../scripts/client/phases';
import { loadPreferencesReport } from '../../report/preferences';
import { generateLegacyCrm } from '../../scripts/generate/legacy-crm';
import { attioSandbox } from '../../sandboxes/attio';
import { startSandbox } from '../../sandboxes/core/server';
import { frontSandbox } from '../../sandboxes/front';
import { hubspotDataset, hubspotSandbox } from '../../sandboxes/hubspot';
import { zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import type { PreferencesResult } from '../../workflows/preferences';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * One decision, two uses: the preferences dry run predicts, record for record, what the full phase then does —
 * the same source ids quarantined with the same reasons, the same source ids loaded — on a PostgreSQL table, on
 * Front (whose keys are not the source ids) and on Attio (whose workspace already holds some unique values).
 */
jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');

interface Outcomes {
  /** `<source id> <reason>`, sorted. */
  quarantined: string[];
  loaded: string[];
}

/** What the dry run predicted for each staged record of an object. */
async function predicted(staging: Staging, migrationId: string, object: string): Promise<Outcomes> {
  const rows = await staging.sql<{ source_id: string; predicted: string | null; reason: string | null }[]>`
    select source_id, predicted, predicted_reason as reason from staged_records
    where migration_id = ${migrationId} and object = ${object} and source_deleted_at is null
    order by source_id`;
  return {
    quarantined: rows.filter((r) => r.predicted === 'quarantined').map((r) => `${r.source_id} ${r.reason}`),
    loaded: rows.filter((r) => r.predicted === 'loaded').map((r) => r.source_id),
  };
}

/** What the full phase did with each record of an object: quarantined at mapping or load, or written. */
async function outcome(staging: Staging, migrationId: string, object: string): Promise<Outcomes> {
  const quarantined = await staging.sql<{ record_key: string; reason_code: string }[]>`
    select record_key, reason_code from quarantine
    where migration_id = ${migrationId} and object = ${object} and stage <> 'extract' and resolved_at is null
    order by record_key`;
  const written = await staging.sql<{ source_id: string }[]>`
    select source_id from id_map
    where migration_id = ${migrationId} and object = ${object} and state = 'written' order by source_id`;
  return {
    quarantined: quarantined.map((q) => `${q.record_key} ${q.reason_code}`),
    loaded: written.map((w) => w.source_id),
  };
}

/** Preferences, then full; the dry run's prediction and the load's outcome, object by object. */
async function dryRunThenFull(
  settings: TernSettings,
  staging: Staging,
  client: Client,
  loaded: LoadedPlan,
  migrationId: string,
): Promise<{ object: string; predicted: Outcomes; outcome: Outcomes }[]> {
  const run = (phase: 'preferences' | 'full') =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return started.handle.result();
    });
  await run('preferences');
  const predictions = [];
  for (const o of loaded.plan.objects)
    predictions.push({ object: o.name, predicted: await predicted(staging, migrationId, o.name) });
  await run('full');
  const out = [];
  for (const p of predictions) out.push({ ...p, outcome: await outcome(staging, migrationId, p.object) });
  return out;
}

const sorted = (list: string[]) => [...list].sort();
const expectSame = (objects: { object: string; predicted: Outcomes; outcome: Outcomes }[]) => {
  for (const { object, predicted: p, outcome: o } of objects) {
    expect({ object, quarantined: sorted(p.quarantined) }).toEqual({ object, quarantined: sorted(o.quarantined) });
    expect({ object, loaded: sorted(p.loaded) }).toEqual({ object, loaded: sorted(o.loaded) });
  }
};

describe('the dry run predicts the full load record for record', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const dirs: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    await client.connection.close();
    await staging.close();
  });
  const forget = (migrationId: string) =>
    cleanups.push(async () => {
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    });

  it('into PostgreSQL: a dirty legacy CRM, with a unique column whose values repeat and small pages', async () => {
    const legacy = uniqueId('legacy');
    const target = uniqueId('crm');
    const migrationId = uniqueId('mig_dry_pg');
    forget(migrationId);
    cleanups.push(() =>
      staging.sql.unsafe(`drop schema if exists "${legacy}" cascade; drop schema if exists "${target}" cascade`),
    );
    await generateLegacyCrm(staging.sql, { schema: legacy, seed: 20261206, scale: 0.008 });
    await staging.sql.unsafe(
      fs.readFileSync(path.join(ROOT, 'examples/crm-target.sql'), 'utf8').replace(/crm_target/g, target),
    );
    // Industries repeat across accounts: the second account of an industry the load meets is refused.
    await staging.sql.unsafe(`create unique index on "${target}".accounts (industry)`);
    process.env.LEGACY_CRM_URL = testEnv().databaseUrl;
    const planText = fs
      .readFileSync(path.join(ROOT, 'examples/legacy-crm.yaml'), 'utf8')
      .replace(/schema: legacy_crm/, `schema: ${legacy}`)
      .replace(/schema: crm_target/, `schema: ${target}`)
      .replace(/name: Legacy CRM/, `name: ${migrationId}`)
      .replace(/(\n {4}target: \{ table: \w+, key: legacy_id \}\n)/g, '$1    pageSize: 37\n');
    const loaded = parsePlan(planText, path.join(ROOT, 'examples/legacy-crm.yaml'));
    const objects = await dryRunThenFull(settings, staging, client, loaded, migrationId);
    expectSame(objects);
    expect(objects.reduce((n, o) => n + o.outcome.quarantined.length, 0)).toBeGreaterThan(0);
    expect(objects.every((o) => o.outcome.loaded.length > 0)).toBe(true);
  });

  it('into Front: keys are external ids (an email, a thread ref), never the source id', async () => {
    const migrationId = uniqueId('mig_dry_front');
    forget(migrationId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-dry-front-'));
    dirs.push(dir);
    const zendesk = await startSandbox(zendeskSandbox, { seed: 23, size: 120, rate: 2000 });
    const front = await startSandbox(frontSandbox, { seed: 23, rate: 2000 });
    cleanups.push(
      () => zendesk.close(),
      () => front.close(),
    );
    Object.assign(process.env, SANDBOX_CREDENTIALS);
    const loaded = sandboxPlan(migrationId, zendesk.url, front.url, dir);
    const objects = await dryRunThenFull(settings, staging, client, loaded, migrationId);
    expectSame(objects);
    expect(objects.every((o) => o.outcome.loaded.length > 0)).toBe(true);
  });

  it('into Front: a load that would stop (the fallback teammate is not in Front) is reported, not predicted loaded', async () => {
    const migrationId = uniqueId('mig_dry_stop');
    forget(migrationId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-dry-stop-'));
    dirs.push(dir);
    const zendesk = await startSandbox(zendeskSandbox, { seed: 31, size: 30, rate: 2000 });
    const front = await startSandbox(frontSandbox, { seed: 31, rate: 2000 });
    cleanups.push(
      () => zendesk.close(),
      () => front.close(),
    );
    Object.assign(process.env, SANDBOX_CREDENTIALS);
    const example = sandboxPlan(migrationId, zendesk.url, front.url, dir);
    const planFile = path.join(dir, 'plan.yaml');
    const text = fs
      .readFileSync(planFile, 'utf8')
      .replace(/fallbackTeammate: \S+/, 'fallbackTeammate: gone@support.example.com');
    expect(text).not.toBe(example.text);
    const loaded = parsePlan(text, planFile);
    const run = (phase: 'preferences' | 'full') =>
      withWorker(settings, staging, async () => {
        const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
        return started.handle.result();
      });
    const preferences = (await run('preferences')) as PreferencesResult;
    expect(preferences.ok).toBe(false);
    expect(preferences.blocked).toContain('messages');
    const report = await loadPreferencesReport(staging.db, migrationId);
    expect(report.verdict.clean).toBe(false);
    expect(report.verdict.blocked.find((b) => b.object === 'messages')?.reason).toMatch(
      /target\.fallbackTeammate gone@support\.example\.com is not a Front teammate — fix: /,
    );
    // The load stops on the same object, for the same reason.
    const failed: unknown = await run('full').then(
      () => null,
      (err: unknown) => err,
    );
    const messages: string[] = [];
    for (let e = failed as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
      messages.push(e.message ?? '');
    expect(messages.join('\n')).toMatch(/target\.fallbackTeammate gone@support\.example\.com is not a Front teammate/);
  });

  it('into Attio: values the workspace already holds in unique attributes are refused in both', async () => {
    const migrationId = uniqueId('mig_dry_attio');
    forget(migrationId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-dry-attio-'));
    dirs.push(dir);
    Object.assign(process.env, CRM_SANDBOX_CREDENTIALS);
    const hubspot = await startSandbox(hubspotSandbox, { seed: 29, size: 0.03, rate: 5000 });
    const attio = await startSandbox(attioSandbox, { seed: 29, rate: 5000 });
    cleanups.push(
      () => hubspot.close(),
      () => attio.close(),
    );
    const token = CRM_SANDBOX_CREDENTIALS.TERN_SANDBOX_ATTIO_TOKEN;
    await prepareAttioWorkspace(attio.url, token);
    // People the workspace had before the migration, holding the email of a few source contacts.
    const api = axios.create({ baseURL: attio.url, headers: { authorization: `Bearer ${token}` } });
    const emails = hubspotDataset(hubspot.store)
      .contacts.filter((c) => !c.archived)
      .map((c) => (c.properties.email ?? '').trim().toLowerCase())
      .filter((e) => /^[a-z0-9._-]+@[a-z0-9-]+\.[a-z]{2,}$/.test(e));
    const held = [...new Set(emails)].filter((_, i) => i % 17 === 3);
    expect(held.length).toBeGreaterThan(0);
    for (const email of held)
      await api.post('/v2/objects/people/records', {
        data: { values: { email_addresses: [{ email_address: email }] } },
      });
    const loaded = crmPlan('hubspot', migrationId, { hubspot: hubspot.url, attio: attio.url }, dir);
    const objects = await dryRunThenFull(settings, staging, client, loaded, migrationId);
    expectSame(objects);
    const people = objects.find((o) => o.object === 'people')!;
    expect(people.outcome.quarantined.filter((q) => q.endsWith(' target_unique_conflict')).length).toBeGreaterThan(0);
  });
});
