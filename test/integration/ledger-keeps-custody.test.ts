import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { withWorker, type CustomerScenario, useTernEnvironment } from '../support/harness';

/**
 * The ledger is the custody chain of every record Tern touched: what a delta does to a record must never erase
 * what Tern knows about it (the target id, created-by-Tern, the before-image), and a record the rules set aside
 * must leave the target instead of being counted both loaded and filtered. Counted from the target table.
 */

/** Rewrites the scenario's CSV with `change` applied to the rows whose id is listed. */
function editCsv(scenario: CustomerScenario, change: Record<string, Partial<Record<string, string>>>): void {
  const rows: Record<string, string>[] = parse(fs.readFileSync(scenario.csvPath, 'utf8'), { columns: true });
  const columns = Object.keys(rows[0]!);
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const lines = [columns.join(',')];
  for (const row of rows) {
    const edited = { ...row, ...change[row.customer_id!] };
    lines.push(columns.map((c) => quote(edited[c] ?? '')).join(','));
  }
  fs.writeFileSync(scenario.csvPath, `${lines.join('\n')}\n`);
}

async function targetRows(staging: Staging, scenario: CustomerScenario) {
  return staging.sql.unsafe<{ legacy_id: string; first_name: string | null; country: string | null }[]>(
    `select legacy_id, first_name, country from "${scenario.schema}".customers order by legacy_id, id`,
  );
}

describe('the ledger under a refused write and a record set aside', () => {
  const t = useTernEnvironment();
  // Set once the suite's environment is up (a describe's body runs before beforeAll).
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  it('a delta write the target refuses keeps the ledger: the rollback still removes and restores', async () => {
    const scenario = await t.scenario({ rows: 120 });
    const created = 'C000007';
    const overwritten = 'C000011';
    // A row the new system already holds for one legacy record: Tern overwrites it, and must give it back.
    await staging.sql.unsafe(
      `insert into "${scenario.schema}".customers (legacy_id, first_name, country) values ('${overwritten}', 'Original', 'NZ')`,
    );
    await withWorker(settings, staging, async () => {
      const full = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'full',
        migrationId: scenario.migrationId,
      });
      expect((await full.handle.result()).ok).toBe(true);
      // The new system starts refusing a value; the source then changes both records to it.
      await staging.sql.unsafe(
        `alter table "${scenario.schema}".customers add constraint no_zz check (country is distinct from 'ZZ')`,
      );
      editCsv(scenario, { [created]: { country: 'ZZ' }, [overwritten]: { country: 'ZZ' } });
      const delta = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'delta',
        migrationId: scenario.migrationId,
      });
      await delta.handle.result();
      const [refused] = await staging.sql<{ n: number }[]>`
        select count(*)::int as n from quarantine where migration_id = ${scenario.migrationId}
          and record_key in (${created}, ${overwritten}) and reason_code = 'target_rejected' and resolved_at is null`;
      expect(refused!.n).toBe(2);

      const rollback = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'rollback',
        migrationId: scenario.migrationId,
        reason: 'refused delta: the cutover is postponed',
        by: 'carol',
      });
      expect((await rollback.handle.result()).ok).toBe(true);
    });
    // The target holds exactly what it held before Tern: the one pre-existing row, as it was.
    expect(await targetRows(staging, scenario)).toEqual([
      { legacy_id: overwritten, first_name: 'Original', country: 'NZ' },
    ]);
  });

  it('a delta change that the rules now set aside takes the record out of the target and counts it once', async () => {
    const base = await t.scenario({ rows: 120 });
    const planText = base.planText.replace(
      '    sums: [lifetime_value]',
      () =>
        "    sums: [lifetime_value]\n    filters:\n      - { name: closed-accounts, field: country, matches: '^ZZ$' }",
    );
    const scenario = { ...base, loaded: parsePlan(planText, path.join(base.dir, 'plan.yaml')) };
    const setAside = 'C000042';
    await withWorker(settings, staging, async () => {
      const full = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'full',
        migrationId: scenario.migrationId,
      });
      const fullResult = await full.handle.result();
      expect(fullResult.ok).toBe(true);
      expect(fullResult.objects[0]!.filtered).toBe(0);
      expect((await targetRows(staging, scenario)).map((r) => r.legacy_id)).toContain(setAside);

      editCsv(scenario, { [setAside]: { country: 'ZZ' } });
      const delta = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'delta',
        migrationId: scenario.migrationId,
      });
      const result = await delta.handle.result();
      const o = result.objects[0]!;
      expect(o.filtered).toBe(1);
      expect(o.source).toBe(o.loaded + o.quarantined + o.filtered + o.deduplicated);
      expect(result.ok).toBe(true);
      const rows = await targetRows(staging, scenario);
      expect(rows.map((r) => r.legacy_id)).not.toContain(setAside);
      expect(rows).toHaveLength(o.loaded);
    });
  });
});
