import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { loadPreferencesReport, type PreferencesReport } from '../../report/preferences';
import { generateLegacyCrm, type CrmFacts } from '../../scripts/generate/legacy-crm';
import type { Staging } from '../../staging/db';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

/**
 * The preferences phase on the generated dirty legacy CRM (≥ 50k rows): every planted anomaly is reported
 * with its exact count, and the dry run predicts exactly what the plan's rules imply for every record.
 */
describe('preferences phase on the generated legacy CRM (real Temporal, real PostgreSQL)', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let facts: CrmFacts;
  let report: PreferencesReport;
  let ok: boolean;
  const legacy = uniqueId('legacy');
  const target = uniqueId('crm');
  const migrationId = uniqueId('mig_prefs');

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    facts = await generateLegacyCrm(staging.sql, { schema: legacy, seed: 20261125 });
    await staging.sql.unsafe(
      fs.readFileSync(path.join(ROOT, 'examples/crm-target.sql'), 'utf8').replace(/crm_target/g, target),
    );
    process.env.LEGACY_CRM_URL = testEnv().databaseUrl;
    const planText = fs
      .readFileSync(path.join(ROOT, 'examples/legacy-crm.yaml'), 'utf8')
      .replace(/schema: legacy_crm/, `schema: ${legacy}`)
      .replace(/schema: crm_target/, `schema: ${target}`);
    const loaded = parsePlan(planText, path.join(ROOT, 'examples/legacy-crm.yaml'));
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'preferences', migrationId });
      return started.handle.result();
    });
    ok = result.ok;
    report = await loadPreferencesReport(staging.db, migrationId);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${legacy}" cascade; drop schema if exists "${target}" cascade`);
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    await client.connection.close();
    await staging.close();
  });

  const object = (name: string) => {
    const o = report.objects.find((x) => x.object === name);
    if (!o) throw new Error(`no profile for ${name}`);
    return o;
  };

  it('profiles every object of a database of at least 50,000 rows, and the plan fits the target', () => {
    expect(facts.totalRows).toBeGreaterThanOrEqual(50_000);
    expect(report.objects.map((o) => o.object)).toEqual(Object.keys(facts.objects));
    for (const [name, f] of Object.entries(facts.objects)) expect(object(name).rows).toBe(f.rows);
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(ok).toBe(true);
    expect(report.goldSchemaHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports blanks, distinct values and multi-value cells of every field exactly', () => {
    for (const [name, f] of Object.entries(facts.objects)) {
      const fields = new Map(object(name).fields.map((p) => [p.field, p]));
      for (const [field, expected] of Object.entries(f.fields)) {
        const got = fields.get(field);
        expect({ object: name, field, ...expected }).toEqual({
          object: name,
          field,
          blank: got?.blank,
          distinct: got?.distinct,
          multiValue: got?.multiValue,
        });
      }
    }
  });

  it('finds the 105 free-text deal statuses as a picklist candidate with every value counted', () => {
    const status = object('deals').fields.find((f) => f.field === 'status')!;
    expect(status.distinct).toBe(105);
    expect(status.picklistCandidate).toBe(true);
    expect(status.values).toHaveLength(105);
    expect(sum(Object.fromEntries(status.values!.map((v) => [v.value, v.count])))).toBe(
      facts.objects.deals.rows - facts.objects.deals.fields.status!.blank,
    );
  });

  it('reports duplicates, orphans, date-format ambiguity and type anomalies with their exact counts', () => {
    for (const [name, f] of Object.entries(facts.objects)) {
      const o = object(name);
      if (f.duplicates) expect(o.duplicates).toEqual(f.duplicates);
      for (const [field, count] of Object.entries(f.orphans ?? {}))
        expect({ field, count: o.orphans.find((x) => x.field === field)?.count }).toEqual({ field, count });
      for (const [field, classes] of Object.entries(f.dates ?? {})) {
        const got = o.fields.find((x) => x.field === field)?.dates;
        expect({ field, ...classes }).toEqual({
          field,
          iso: got?.iso,
          monthFirst: got?.monthFirst,
          dayFirst: got?.dayFirst,
          ambiguous: got?.ambiguous,
          sameDayMonth: got?.sameDayMonth,
          invalid: got?.invalid,
        });
      }
      for (const [field, count] of Object.entries(f.typeAnomalies ?? {}))
        expect({ field, count: o.fields.find((x) => x.field === field)?.typeAnomalies }).toEqual({ field, count });
    }
  });

  it("predicts, per object, exactly the outcome the plan's rules imply for every record", () => {
    for (const [name, f] of Object.entries(facts.objects)) {
      const d = object(name).dryRun!;
      expect({ object: name, ...d, quarantined: nonZero(d.quarantined), filtered: nonZero(d.filtered) }).toEqual({
        object: name,
        source: f.rows,
        staged: f.rows,
        loaded: f.expected.loaded,
        quarantined: nonZero(f.expected.quarantined),
        filtered: nonZero(f.expected.filtered),
        deduplicated: f.expected.deduplicated,
      });
      expect(d.loaded + sum(d.quarantined) + sum(d.filtered) + d.deduplicated).toBe(d.source);
    }
  });

  it('is borne out by the full load: every object reconciles to exactly the predicted counts', async () => {
    const planText = fs
      .readFileSync(path.join(ROOT, 'examples/legacy-crm.yaml'), 'utf8')
      .replace(/schema: legacy_crm/, `schema: ${legacy}`)
      .replace(/schema: crm_target/, `schema: ${target}`);
    const loaded = parsePlan(planText, path.join(ROOT, 'examples/legacy-crm.yaml'));
    const full = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      return started.handle.result();
    });
    expect(full.ok).toBe(true);
    for (const r of full.objects) {
      const d = object(r.object).dryRun!;
      expect({ object: r.object, loaded: r.loaded, quarantined: r.quarantined, filtered: r.filtered }).toEqual({
        object: r.object,
        loaded: d.loaded,
        quarantined: sum(d.quarantined),
        filtered: sum(d.filtered),
      });
      expect([r.object, r.deduplicated, r.checksumMismatches, r.unaccounted]).toEqual([r.object, d.deduplicated, 0, 0]);
    }
    expect(full.objects.find((o) => o.object === 'deals')!.sums.amount).toMatchObject({
      loaded: facts.objects.deals.sums!.amount,
      new: facts.objects.deals.sums!.amount,
      ok: true,
    });
    // Quarantine reasons are the predicted ones, record for record.
    const mismatched = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from staged_records s
      left join quarantine q on q.migration_id = s.migration_id and q.object = s.object and q.record_key = s.source_id
        and q.resolved_at is null
      where s.migration_id = ${migrationId}
        and (s.predicted = 'quarantined') is distinct from (q.reason_code is not null)
        or (s.migration_id = ${migrationId} and s.predicted = 'quarantined' and q.reason_code <> s.predicted_reason)`;
    expect(mismatched[0]!.n).toBe(0);
  });

  it('keeps each record’s predicted outcome in staging, for people to inspect', async () => {
    const rows = await staging.sql<{ object: string; predicted: string | null; n: number }[]>`
      select object, predicted, count(*)::int as n from staged_records where migration_id = ${migrationId}
      group by 1, 2`;
    expect(rows.filter((r) => r.predicted === null)).toEqual([]);
    for (const [name, f] of Object.entries(facts.objects)) {
      const n = (p: string) => rows.find((r) => r.object === name && r.predicted === p)?.n ?? 0;
      expect([name, n('loaded'), n('deduplicated')]).toEqual([name, f.expected.loaded, f.expected.deduplicated]);
    }
  });
});
