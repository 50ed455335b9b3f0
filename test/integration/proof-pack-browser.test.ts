import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { approvePhase } from '../../scripts/commands/controls';
import type { ReconcileOutcome } from '../../scripts/commands/reconcile';
import { generateLegacyCrm } from '../../scripts/generate/legacy-crm';
import { visitPage, type PageVisit } from '../../scripts/report/browser';
import { grouped } from '../../report/html/markup';
import { proofPackHash, type ProofPack } from '../../report/model';
import type { Staging } from '../../staging/db';
import { progressQuery, type PhaseResult } from '../../workflows/phase';
import type { RollbackResult } from '../../workflows/rollback';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';
import { runTern } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
/** Where the page, its JSON, a screenshot and an A4 print are kept for people to look at (git-ignored). */
const OUT = path.join(ROOT, 'test-output', 'proof-pack');

jest.setTimeout(600_000);

/**
 * The demo's migration (the legacy CRM plan, at a fiftieth of its size) run as the demo runs it — preferences, a
 * gated full phase approved by a person, a delta with a target row edited by hand, `tern reconcile`, a rollback —
 * then its proof pack opened in headless Chromium: the page shows what the JSON holds and what `tern reconcile
 * --json` printed, makes no request and logs no error.
 */
describe('the proof pack of the demo migration, in a real browser', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let loaded: LoadedPlan;
  let env: NodeJS.ProcessEnv;
  const legacy = uniqueId('legacy');
  const target = uniqueId('crm');
  const migrationId = uniqueId('mig_pack');
  let reconciled: ReconcileOutcome;
  let rollback: RollbackResult;
  let pack: ProofPack;
  let visit: PageVisit;
  let htmlFile: string;
  /** What the page shows, by path in the pack's JSON. */
  let shown: Map<string, string>;

  const run = (phase: 'preferences' | 'delta') =>
    withWorker(settings, staging, async (): Promise<PhaseResult> => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return (await started.handle.result()) as PhaseResult;
    });

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    await generateLegacyCrm(staging.sql, { schema: legacy, seed: 20261125, scale: 0.02 });
    await staging.sql.unsafe(
      fs.readFileSync(path.join(ROOT, 'examples/crm-target.sql'), 'utf8').replace(/crm_target/g, target),
    );
    await staging.sql.unsafe(`
      insert into "${target}".accounts (legacy_id, name, industry)
      select id::text, 'Pre-existing ' || id, 'Retail' from "${legacy}".accounts
      where name !~* '^(test|zz)' and btrim(coalesce(name, '')) <> '' order by id limit 3`);
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_TASK_QUEUE: settings.taskQueue,
      LEGACY_CRM_URL: testEnv().databaseUrl,
    };
    process.env.LEGACY_CRM_URL = testEnv().databaseUrl;
    loaded = parsePlan(
      fs
        .readFileSync(path.join(ROOT, 'examples/legacy-crm.yaml'), 'utf8')
        .replace(/schema: legacy_crm/, `schema: ${legacy}`)
        .replace(/schema: crm_target/, `schema: ${target}`),
      path.join(ROOT, 'examples/legacy-crm.yaml'),
    );

    expect((await run('preferences')).ok).toBe(true);
    await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, {
        phase: 'full',
        migrationId,
        gate: true,
      });
      const deadline = Date.now() + 60_000;
      while (!(await started.handle.query(progressQuery)).awaitingApproval) {
        if (Date.now() > deadline) throw new Error('the gated full phase never waited for its approval');
        await new Promise((r) => setTimeout(r, 200));
      }
      await approvePhase(client, settings, migrationId, 'full', {
        by: 'Dana <finance>',
        reason: 'sample reviewed: counts & money line hold',
      });
      expect((await started.handle.result()).ok).toBe(true);
    });
    const [deal] = await staging.sql.unsafe<{ id: string }[]>(
      `select legacy_id as id from "${target}".deals order by legacy_id limit 1`,
    );
    await staging.sql.unsafe(`
      insert into "${legacy}".accounts (id, name, industry, country, created, updated_at)
        select 900000 + g, 'Delta Newco ' || g, 'Software', 'US', '2024-05-01', now() from generate_series(1, 3) g;
      update "${legacy}".deals set name = name || ' (renamed)', updated_at = now() where id = ${Number(deal!.id)};
      update "${target}".deals set name = 'edited by hand in the new tool' where legacy_id = '${deal!.id}';`);
    expect((await run('delta')).ok).toBe(true);

    const reconcile = await runTern(['reconcile', migrationId, '--phase', 'delta', '--json'], env);
    if (reconcile.code !== 0) throw new Error(`tern reconcile exited ${reconcile.code}: ${reconcile.stderr}`);
    reconciled = JSON.parse(reconcile.stdout.trim().split('\n').pop()!) as ReconcileOutcome;

    rollback = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, {
        phase: 'rollback',
        migrationId,
        reason: 'rehearse the cutover’s rollback',
        by: 'ops',
      });
      return started.handle.result();
    });
    expect(rollback.ok).toBe(true);

    fs.rmSync(OUT, { recursive: true, force: true });
    const report = await runTern(
      ['report', 'examples/legacy-crm.yaml', '--migration', migrationId, '--html', OUT, '--json'],
      env,
    );
    if (report.code !== 0) throw new Error(`tern report exited ${report.code}: ${report.stderr}`);
    pack = JSON.parse(report.stdout.trim().split('\n').pop()!) as ProofPack;
    htmlFile = path.join(OUT, `${migrationId}.proof-pack.html`);
    visit = await visitPage(htmlFile, {
      screenshot: { file: path.join(OUT, `${migrationId}.png`) },
      pdf: path.join(OUT, `${migrationId}.pdf`),
    });
    shown = new Map(visit.values.map((v) => [v.path, v.text]));
  });

  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${legacy}" cascade; drop schema if exists "${target}" cascade`);
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    await client.connection.close();
    await staging.close();
  });

  /** The value at a dotted path of the pack. */
  const valueAt = (p: string): unknown =>
    p.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], pack);
  /** How the page writes a value of the pack. */
  const asShown = (value: unknown) => (typeof value === 'number' ? grouped(value) : value);

  it('makes no request, logs no error, and prints on A4 pages', () => {
    expect(visit.requests).toEqual([]);
    expect(visit.errors).toEqual([]);
    expect(visit.pdfPages).toBeGreaterThanOrEqual(2);
    expect(fs.statSync(path.join(OUT, `${migrationId}.png`)).size).toBeGreaterThan(10_000);
  });

  it('shows every value as the JSON holds it, and every figure of every proof', () => {
    expect(visit.values.length).toBeGreaterThan(100);
    for (const { path: p, text } of visit.values) expect({ p, text }).toEqual({ p, text: asShown(valueAt(p)) });
    // Every number and every sum of every proof is on the page.
    const figures: string[] = [];
    const walk = (v: unknown, p: string): void => {
      if (typeof v === 'number') figures.push(p);
      else if (
        v &&
        typeof v === 'object' &&
        !/\.(fidelity\.fields|fidelity\.examples|notNumbers\.\d+\.examples)$/.test(p)
      )
        for (const [k, x] of Object.entries(v)) walk(x, `${p}.${k}`);
    };
    pack.phases.forEach((phase, i) => walk(phase.objects, `phases.${i}.objects`));
    pack.phases.forEach((phase, i) =>
      phase.objects.forEach((o, j) => {
        for (const [field, s] of Object.entries(o.sums))
          for (const term of [
            'legacy',
            'new',
            'loaded',
            'quarantined',
            'filtered',
            'deduplicated',
            'unaccounted',
          ] as const)
            expect(shown.get(`phases.${i}.objects.${j}.sums.${field}.${term}`)).toBe(s[term]);
      }),
    );
    expect(figures.length).toBeGreaterThan(50);
    expect(figures.filter((p) => !shown.has(p))).toEqual([]);
  });

  it('shows the numbers `tern reconcile --json` printed, object by object', () => {
    const phase = pack.phases.findIndex((p) => p.phase === 'delta');
    expect(phase).toBeGreaterThanOrEqual(0);
    for (const o of reconciled.objects) {
      const index = pack.phases[phase]!.objects.findIndex((x) => x.object === o.object);
      const at = (key: string) => shown.get(`phases.${phase}.objects.${index}.${key}`);
      expect(at('object')).toBe(o.object);
      for (const key of ['source', 'loaded', 'quarantined', 'filtered', 'deduplicated', 'checksumMismatches'] as const)
        expect({ object: o.object, key, shown: at(key) }).toEqual({ object: o.object, key, shown: grouped(o[key]) });
      expect(at('fidelity.records')).toBe(grouped(o.fidelity.records));
      expect(at('fidelity.mismatches')).toBe(grouped(o.fidelity.mismatches));
      for (const [field, s] of Object.entries(o.sums))
        for (const term of [
          'legacy',
          'new',
          'loaded',
          'quarantined',
          'filtered',
          'deduplicated',
          'unaccounted',
        ] as const)
          expect(at(`sums.${field}.${term}`)).toBe(s[term]);
      expect(at('auditHead.hash')).toBe(o.auditHead!.hash);
    }
    expect(reconciled.objects.some((o) => Object.keys(o.sums).length > 0)).toBe(true);
  });

  it('holds the approval, the conflict, the custody chain and the rollback rehearsal', () => {
    expect(pack.approvals).toEqual([
      expect.objectContaining({
        phase: 'full',
        by: 'Dana <finance>',
        reason: 'sample reviewed: counts & money line hold',
      }),
    ]);
    expect(shown.get('approvals.0.by')).toBe('Dana <finance>');
    expect(pack.conflicts.open).toBe(1);
    expect(shown.get('conflicts.list.0.object')).toBe('deals');
    expect(pack.custody.verification.ok).toBe(true);
    expect(shown.get('custody.head.hash')).toBe(pack.custody.head!.hash);
    expect(pack.rollback).toMatchObject({ by: 'ops', reason: 'rehearse the cutover’s rollback', ok: true });
    for (const o of rollback.objects) {
      const i = pack.rollback!.objects.findIndex((x) => x.object === o.object);
      expect([shown.get(`rollback.objects.${i}.removed`), shown.get(`rollback.objects.${i}.restored`)]).toEqual([
        grouped(o.removed),
        grouped(o.restored),
      ]);
    }
    expect(pack.quarantine.open).toBeGreaterThan(0);
    expect(pack.verdict.ok).toBe(true);
  });

  it('is the JSON beside it, and its content hash is the hash of that JSON', () => {
    const beside = JSON.parse(fs.readFileSync(path.join(OUT, `${migrationId}.proof-pack.json`), 'utf8')) as ProofPack;
    expect(beside).toEqual(pack);
    expect(proofPackHash(pack)).toBe(pack.contentHash);
    expect(shown.get('contentHash')).toBe(pack.contentHash);
    expect(fs.readFileSync(htmlFile, 'utf8')).toContain(
      `<meta name="tern-content-hash" content="${pack.contentHash}">`,
    );
  });
});
