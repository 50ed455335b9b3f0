import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { loadPreferencesReport, type PreferencesReport } from '../../report/preferences';
import { loadNorthwindCorpus, type NorthwindFacts } from '../../scripts/generate/corpus-northwind';
import { NORTHWIND_TABLES } from '../../scripts/generate/corpus-northwind-data';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';
import { expectedRowsSql, targetRowsSql, sourceSumSql, TARGET_SUM_COLUMNS } from '../support/corpus-expectations';

const ROOT = path.resolve(__dirname, '../..');
const PLAN_FILE = path.join(ROOT, 'examples/corpus-northwind.yaml');
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** Exact cents of a decimal text ("62110.32", "0", "-1.5"). */
const cents = (text: string): bigint => {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a decimal`);
  const frac = (m[3] ?? '').padEnd(2, '0');
  if (!/^\d{2}0*$/.test(frac)) throw new Error(`"${text}" has fractions of a cent`);
  return (m[1] ? -1n : 1n) * (BigInt(m[2]!) * 100n + BigInt(frac.slice(0, 2)));
};
const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

/**
 * A real, public schema with its own data — Northwind, vendored from an MIT-licensed npm package — loaded
 * as a legacy PostgreSQL database with planted dirt of exact counts, then taken through preferences and a
 * full phase into a target with integer keys and foreign keys. The proof is checked three ways: Tern's
 * profile and dry run against the planted facts, its reconciliation (counts and money), and a comparison of
 * every loaded row, field by field, with its source row as the test itself reads it from the legacy database.
 */
describe('Northwind corpus: a real public schema with planted dirt, migrated into PostgreSQL', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let facts: NorthwindFacts;
  let report: PreferencesReport;
  let preferencesOk: boolean;
  let full: PhaseResult;
  const legacy = uniqueId('northwind');
  const target = uniqueId('nw_target');
  const migrationId = uniqueId('mig_corpus');

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    facts = await loadNorthwindCorpus(staging.sql, { schema: legacy });
    await staging.sql.unsafe(
      fs
        .readFileSync(path.join(ROOT, 'examples/corpus-northwind-target.sql'), 'utf8')
        .replace(/northwind_target/g, target),
    );
    process.env.NORTHWIND_URL = testEnv().databaseUrl;
    const planText = fs
      .readFileSync(PLAN_FILE, 'utf8')
      .replace(/schema: legacy_northwind/, `schema: ${legacy}`)
      .replace(/schema: northwind_target/, `schema: ${target}`);
    const loaded = parsePlan(planText, PLAN_FILE);
    await withWorker(settings, staging, async () => {
      const prefs = await startPhase(client, settings, staging.db, loaded, { phase: 'preferences', migrationId });
      preferencesOk = (await prefs.handle.result()).ok;
      report = await loadPreferencesReport(staging.db, migrationId);
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      full = await started.handle.result();
    });
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${legacy}" cascade; drop schema if exists "${target}" cascade`);
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    await client.connection.close();
    await staging.close();
  });

  const profile = (name: string) => {
    const o = report.objects.find((x) => x.object === name);
    if (!o) throw new Error(`no profile for ${name}`);
    return o;
  };
  const reconciliation = (name: string) => {
    const r = full.objects.find((x) => x.object === name);
    if (!r) throw new Error(`no reconciliation for ${name}`);
    return r;
  };

  it('loads the whole corpus (3,194 rows) and plants dirt on top of it', () => {
    expect(facts.corpusRows).toBe(3194);
    expect(facts.totalRows).toBe(facts.corpusRows + 12 + 2 + 7);
    expect(report.objects.map((o) => o.object)).toEqual(NORTHWIND_TABLES);
    for (const table of NORTHWIND_TABLES)
      expect([table, profile(table).rows]).toEqual([table, facts.objects[table].rows]);
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(preferencesOk).toBe(true);
  });

  it('profiles exactly the planted blanks, duplicates, orphans, date classes and type anomalies', () => {
    for (const table of NORTHWIND_TABLES) {
      const f = facts.objects[table];
      const p = profile(table);
      for (const [field, blank] of Object.entries(f.blank))
        expect({ table, field, blank: p.fields.find((x) => x.field === field)?.blank }).toEqual({
          table,
          field,
          blank,
        });
      if (f.duplicates) expect({ table, ...p.duplicates }).toEqual({ table, ...f.duplicates });
      for (const [field, count] of Object.entries(f.orphans))
        expect({ table, field, count: p.orphans.find((x) => x.field === field)?.count ?? 0 }).toEqual({
          table,
          field,
          count,
        });
      for (const [field, classes] of Object.entries(f.dates ?? {})) {
        const { verdict: _verdict, ...got } = p.fields.find((x) => x.field === field)?.dates ?? { verdict: null };
        expect({ table, field, ...got }).toEqual({ table, field, ...classes });
      }
      for (const [field, count] of Object.entries(f.typeAnomalies ?? {}))
        expect({ table, field, count: p.fields.find((x) => x.field === field)?.typeAnomalies }).toEqual({
          table,
          field,
          count,
        });
    }
    // The planted figures themselves, so a change to the loader cannot silently empty them.
    expect(facts.objects.customers.duplicates).toEqual({ key: ['company_name'], groups: 10, records: 22, excess: 12 });
    expect(facts.objects.orders.orphans.customer_id).toBe(6);
    expect(facts.objects.order_details.orphans.product_id).toBe(4);
    expect(facts.objects.orders.dates!.order_date).toMatchObject({ dayFirst: 5, invalid: 2 });
  });

  it('predicts, per object, exactly the outcome the plan implies for every record', () => {
    for (const table of NORTHWIND_TABLES) {
      const d = profile(table).dryRun!;
      const e = facts.objects[table].expected;
      expect({ table, ...d, quarantined: nonZero(d.quarantined), filtered: nonZero(d.filtered) }).toEqual({
        table,
        source: facts.objects[table].rows,
        staged: facts.objects[table].rows,
        loaded: e.loaded,
        quarantined: e.quarantined,
        filtered: e.filtered,
        deduplicated: e.deduplicated,
      });
    }
  });

  it('reconciles every object: source = loaded + quarantined + filtered + deduplicated, as predicted', () => {
    expect(full.objects.map((o) => o.object)).toEqual(NORTHWIND_TABLES);
    for (const table of NORTHWIND_TABLES) {
      const r = reconciliation(table);
      const e = facts.objects[table].expected;
      expect({
        table,
        source: r.source,
        loaded: r.loaded,
        quarantined: r.quarantined,
        filtered: r.filtered,
        deduplicated: r.deduplicated,
        unaccounted: r.unaccounted,
        checksumMismatches: r.checksumMismatches,
      }).toEqual({
        table,
        source: facts.objects[table].rows,
        loaded: e.loaded,
        quarantined: sum(e.quarantined),
        filtered: sum(e.filtered),
        deduplicated: e.deduplicated,
        unaccounted: 0,
        checksumMismatches: 0,
      });
      expect(r.source).toBe(r.loaded + r.quarantined + r.filtered + r.deduplicated);
    }
    expect(full.ok).toBe(true);
  });

  it('passes the fidelity check: every field not mapped through a reference equals the source at full precision', () => {
    const plan = parsePlan(fs.readFileSync(PLAN_FILE, 'utf8'), PLAN_FILE).plan;
    for (const table of NORTHWIND_TABLES) {
      const object = plan.objects.find((o) => o.name === table)!;
      const valueFields = object.fields
        .filter((f) => !f.transform.some((t) => typeof t === 'object' && 'reference' in t))
        .map((f) => f.to);
      const { fields, records, mismatches, byField } = reconciliation(table).fidelity;
      expect({ table, fields: [...fields].sort(), records, mismatches, byField }).toEqual({
        table,
        fields: [...valueFields].sort(),
        records: facts.objects[table].expected.loaded,
        mismatches: 0,
        byField: {},
      });
    }
  });

  it('computes the money terms from the legacy database and the target, independently of Tern', async () => {
    for (const [table, field] of TARGET_SUM_COLUMNS) {
      const f = facts.objects[table].sums[field]!;
      const [source] = await staging.sql.unsafe<{ total: string; unparsed: number }[]>(
        sourceSumSql(legacy, table, field),
      );
      const [loaded] = await staging.sql.unsafe<{ total: string }[]>(
        `select coalesce(sum(${field}), 0)::numeric(14, 2)::text as total from "${target}"."${table}"`,
      );
      expect({ table, field, source: source!.total, unparsed: source!.unparsed, loaded: loaded!.total }).toEqual({
        table,
        field,
        source: f.source,
        unparsed: f.unparsed,
        loaded: f.loaded,
      });
      expect(cents(f.loaded) + cents(f.quarantined) + cents(f.filtered) + cents(f.deduplicated)).toBe(cents(f.source));
    }
    // Money on every side of the equation: quarantined freight, filtered and deduplicated order lines.
    expect(cents(facts.objects.orders.sums.freight!.quarantined)).toBeGreaterThan(0n);
    expect(cents(facts.objects.order_details.sums.unit_price!.filtered)).toBeGreaterThan(0n);
    expect(cents(facts.objects.order_details.sums.unit_price!.deduplicated)).toBeGreaterThan(0n);
  });

  it('shows the money line term by term: Sum(source) = loaded + quarantined + filtered + deduplicated, loaded = target', () => {
    for (const [table, field] of TARGET_SUM_COLUMNS) {
      const f = facts.objects[table].sums[field]!;
      const r = reconciliation(table).sums[field]!;
      expect({
        table,
        field,
        legacy: cents(r.legacy),
        new: cents(r.new),
        loaded: cents(r.loaded),
        quarantined: cents(r.quarantined),
        filtered: cents(r.filtered),
        deduplicated: cents(r.deduplicated),
        unaccounted: cents(r.unaccounted),
        ok: r.ok,
      }).toEqual({
        table,
        field,
        legacy: cents(f.source),
        new: cents(f.loaded),
        loaded: cents(f.loaded),
        quarantined: cents(f.quarantined),
        filtered: cents(f.filtered),
        deduplicated: cents(f.deduplicated),
        unaccounted: 0n,
        ok: true,
      });
      // Values that are no amount are counted, not lost: the planted freight words, all in quarantined orders.
      expect({
        table,
        field,
        notNumbers: r.notNumbers.map(({ reason, disposition, count }) => ({ reason, disposition, count })),
      }).toEqual({
        table,
        field,
        notNumbers: f.unparsed === 0 ? [] : [{ reason: 'not_a_number', disposition: 'quarantined', count: f.unparsed }],
      });
    }
  });

  it('holds every loaded row exactly as its source row says, field by field', async () => {
    const differences: string[] = [];
    for (const table of NORTHWIND_TABLES) {
      const expected = new Map(
        (await staging.sql.unsafe<Record<string, string | null>[]>(expectedRowsSql(legacy, target, table))).map((r) => [
          r.id!,
          r,
        ]),
      );
      const rows = await staging.sql.unsafe<Record<string, string | null>[]>(targetRowsSql(target, table));
      expect([table, rows.length]).toEqual([table, facts.objects[table].expected.loaded]);
      const byColumn = new Map<string, string[]>();
      for (const row of rows) {
        const source = expected.get(row.id!);
        if (!source) {
          differences.push(`${table} ${row.id}: no such source row`);
          continue;
        }
        for (const [column, value] of Object.entries(row)) {
          if (source[column] === value) continue;
          const ids = byColumn.get(column) ?? [];
          ids.push(`${row.id}: ${JSON.stringify(source[column])} → ${JSON.stringify(value)}`);
          byColumn.set(column, ids);
        }
      }
      for (const [column, ids] of byColumn)
        differences.push(`${table}.${column}: ${ids.length} row(s) differ, e.g. ${ids.slice(0, 3).join('; ')}`);
    }
    expect(differences).toEqual([]);
  });

  it('keeps the microseconds of every source timestamp', async () => {
    for (const table of ['customers', 'orders'] as const) {
      const [row] = await staging.sql.unsafe<{ rows: number; sub_milli: number }[]>(
        `select count(*)::int as rows,
                count(*) filter (where extract(microseconds from source_updated_at)::bigint % 1000 <> 0)::int as sub_milli
         from "${target}"."${table}"`,
      );
      expect([table, row!.sub_milli]).toEqual([table, row!.rows]);
      expect(row!.rows).toBe(facts.objects[table].expected.loaded);
    }
  });
});
