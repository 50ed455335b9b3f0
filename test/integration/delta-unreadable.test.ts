import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { formatPhaseResult, startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testEnv, withWorker, type CustomerScenario, useTernEnvironment } from '../support/harness';

/**
 * A delta reads the whole source file again and infers deletions from absence. A line that cannot be read
 * (broken quoting, bad JSON) or whose id was emptied is not an absence: such a line is quarantined with its
 * position, and a read with unreadable lines infers no deletions at all, and says so.
 */
describe('delta of a source with unreadable lines (real Temporal, real PostgreSQL)', () => {
  const t = useTernEnvironment();
  // Set once the suite's environment is up (a describe's body runs before beforeAll).
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  const run = (loaded: LoadedPlan, migrationId: string, phase: 'full' | 'delta'): Promise<PhaseResult> =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return started.handle.result();
    });
  /** The target table itself, not Tern's ledger. */
  const target = async (s: CustomerScenario) => {
    const rows = await staging.sql.unsafe<{ legacy_id: string; first_name: string | null }[]>(
      `select legacy_id, first_name from "${s.schema}".customers order by legacy_id`,
    );
    return new Map(rows.map((r) => [r.legacy_id, r.first_name]));
  };
  const openQuarantine = (migrationId: string) =>
    staging.sql<
      { record_key: string; stage: string; reason_code: string; message: string; source_position: string | null }[]
    >`
      select record_key, stage, reason_code, message, source_position from quarantine
      where migration_id = ${migrationId} and resolved_at is null order by record_key`;
  const deltaAudit = async (migrationId: string) => {
    const [row] = await staging.sql<{ details: Record<string, unknown> }[]>`
      select details from audit_log where migration_id = ${migrationId} and action = 'delta.extracted'
      order by id desc limit 1`;
    return row!.details;
  };

  it('CSV: an unclosed quote and an emptied id delete nothing; the lines are quarantined; a fixed file deletes again', async () => {
    const s = await t.scenario({ rows: 20 });
    const full = await run(s.loaded, s.migrationId, 'full');
    expect(full.ok).toBe(true);
    expect((await target(s)).size).toBe(20);

    const original = fs.readFileSync(s.csvPath, 'utf8').split('\n');
    // Line 1 is the header: C000003 is on line 4, C000006 on line 7, C000010 on line 11.
    expect([original[3]!.slice(0, 7), original[6]!.slice(0, 7), original[10]!.slice(0, 7)]).toEqual([
      'C000003',
      'C000006',
      'C000010',
    ]);
    const edited = [...original];
    edited[3] = original[3]!.replace('C000003,', 'C000003,"'); // a quote that never closes
    edited[6] = original[6]!.replace(/^C000006/, ''); // the id emptied
    edited[10] = ''; // C000010 really gone from the source (a blank line is skipped, so lines keep their numbers)
    const firstName12 = original[12]!.split(',')[1]!;
    // C000012 a second time, at the end: a repeated id, not a new version of the record.
    edited.splice(edited.length - 1, 0, original[12]!.replace(`,${firstName12},`, ',Impostor,'));
    fs.writeFileSync(s.csvPath, edited.join('\n'));

    const delta = await run(s.loaded, s.migrationId, 'delta');
    const customers = delta.delta!.find((d) => d.object === 'customers')!;

    // Nothing deleted: not the unreadable records, and not the one truly gone (a partial read proves no absence).
    const rows = await target(s);
    expect(rows.size).toBe(20);
    expect(['C000003', 'C000006', 'C000010'].map((id) => rows.has(id))).toEqual([true, true, true]);
    expect(rows.get('C000012')).toBe(firstName12); // the repeated id did not overwrite the record
    expect(customers).toMatchObject({
      deleted: 0,
      complete: false,
      unreadable: 2,
      duplicateIds: 1,
      deletionsInferred: false,
    });
    expect(customers.incompleteReason).toMatch(/2 unreadable/);

    const quarantined = await openQuarantine(s.migrationId);
    expect(quarantined.map((q) => [q.record_key, q.stage, q.reason_code, q.source_position])).toEqual([
      ['line:22', 'extract', 'duplicate_source_id', 'line 22'],
      ['line:4', 'extract', 'unparseable_row', 'line 4'],
      ['line:7', 'extract', 'missing_source_id', 'line 7'],
    ]);
    for (const q of quarantined) {
      expect(q.message).not.toMatch(/\n/);
      expect(q.message).toMatch(/^line \d+\b.*; (fix|every)/);
    }
    expect(delta.ok).toBe(true); // the reconciliation balances: the quarantined lines are counted in the source
    const summary = formatPhaseResult(delta);
    expect(summary).toMatch(/delta customers: .*read incomplete: 2 unreadable.*no deletions inferred/);
    expect(await deltaAudit(s.migrationId)).toMatchObject({ complete: false, unreadable: 2, deletionsInferred: false });

    // The source is fixed (C000010 stays gone): the read is whole again, deletions are inferred again, and the
    // quarantined lines the source no longer holds are closed.
    const fixed = [...original];
    fixed[10] = '';
    fs.writeFileSync(s.csvPath, fixed.join('\n'));
    const again = await run(s.loaded, s.migrationId, 'delta');
    const after = again.delta!.find((d) => d.object === 'customers')!;
    expect(after).toMatchObject({ deleted: 1, complete: true, unreadable: 0, deletionsInferred: true });
    const rowsAfter = await target(s);
    expect(rowsAfter.size).toBe(19);
    expect(rowsAfter.has('C000010')).toBe(false);
    expect(await openQuarantine(s.migrationId)).toEqual([]);
    expect(again.ok).toBe(true);
  });

  it('JSON lines: bad JSON and an emptied id delete nothing and are quarantined with their lines', async () => {
    const s = await t.scenario({ rows: 12, seed: 5 });
    const records = parse<Record<string, string>>(fs.readFileSync(s.csvPath, 'utf8'), { columns: true });
    const jsonlPath = path.join(s.dir, 'customers.jsonl');
    const lines = records.map((r) => JSON.stringify(r));
    fs.writeFileSync(jsonlPath, `${lines.join('\n')}\n`);
    const planText = s.planText
      .replace('kind: csv', 'kind: jsonl')
      .replace('file: customers.csv', 'file: customers.jsonl');
    const loaded = parsePlan(planText, path.join(s.dir, 'plan.yaml'));
    const full = await run(loaded, s.migrationId, 'full');
    expect(full.ok).toBe(true);
    expect((await target(s)).size).toBe(12);

    const edited = [...lines];
    const broken = records[2]!.customer_id!;
    const emptied = records[5]!.customer_id!;
    edited[2] = lines[2]!.slice(0, lines[2]!.length - 20); // JSON cut short
    edited[5] = JSON.stringify({ ...records[5], customer_id: '' });
    fs.writeFileSync(jsonlPath, `${edited.join('\n')}\n`);

    const delta = await run(loaded, s.migrationId, 'delta');
    const customers = delta.delta!.find((d) => d.object === 'customers')!;
    const rows = await target(s);
    expect(rows.size).toBe(12);
    expect([rows.has(broken), rows.has(emptied)]).toEqual([true, true]);
    expect(customers).toMatchObject({ deleted: 0, complete: false, unreadable: 2, deletionsInferred: false });
    const quarantined = await openQuarantine(s.migrationId);
    expect(quarantined.map((q) => [q.record_key, q.stage, q.reason_code, q.source_position])).toEqual([
      ['line:3', 'extract', 'unparseable_row', 'line 3'],
      ['line:6', 'extract', 'missing_source_id', 'line 6'],
    ]);
    expect(quarantined[0]!.message).toMatch(/^line 3: not valid JSON: .*; each line must be one JSON object/);
    expect(delta.ok).toBe(true);
  });

  it('PostgreSQL source: a row whose id became null or empty deletes nothing and is quarantined with its position', async () => {
    const s = await t.scenario({ rows: 12, seed: 9 });
    const records = parse<Record<string, string>>(fs.readFileSync(s.csvPath, 'utf8'), { columns: true });
    const columns = Object.keys(records[0]!);
    // The legacy table lives beside the target, in a schema of its own (dropped with the target's).
    const table = `"${s.schema}".legacy_customers`;
    await staging.sql.unsafe(`create table ${table} (${columns.map((c) => `"${c}" text`).join(', ')})`);
    for (const r of records)
      await staging.sql.unsafe(
        `insert into ${table} values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((c) => r[c]!),
      );
    process.env.DELTA_UNREADABLE_SOURCE_URL = testEnv().databaseUrl;
    const planText = s.planText
      .replace(
        /source:\n {2}kind: csv\n {2}directory: [^\n]*\n/,
        `source:\n  kind: postgres\n  urlEnv: DELTA_UNREADABLE_SOURCE_URL\n  schema: ${s.schema}\n`,
      )
      .replace('file: customers.csv', 'table: legacy_customers');
    const loaded = parsePlan(planText, path.join(s.dir, 'plan.yaml'));
    expect(loaded.plan.source?.kind).toBe('postgres');
    const full = await run(loaded, s.migrationId, 'full');
    expect(full.ok).toBe(true);
    expect((await target(s)).size).toBe(12);

    const nulled = records[2]!.customer_id!;
    const emptied = records[5]!.customer_id!;
    const gone = records[8]!.customer_id!;
    await staging.sql.unsafe(`update ${table} set customer_id = null where customer_id = $1`, [nulled]);
    await staging.sql.unsafe(`update ${table} set customer_id = '' where customer_id = $1`, [emptied]);
    await staging.sql.unsafe(`delete from ${table} where customer_id = $1`, [gone]);

    const delta = await run(loaded, s.migrationId, 'delta');
    const customers = delta.delta!.find((d) => d.object === 'customers')!;
    const rows = await target(s);
    expect(rows.size).toBe(12);
    expect([nulled, emptied, gone].map((id) => rows.has(id))).toEqual([true, true, true]);
    expect(customers).toMatchObject({ deleted: 0, complete: false, unreadable: 2, deletionsInferred: false });
    const quarantined = await openQuarantine(s.migrationId);
    expect(quarantined.map((q) => [q.stage, q.reason_code, q.source_position])).toEqual([
      ['extract', 'missing_source_id', 'id '],
      ['extract', 'unparseable_row', 'id null (row 1 without an id)'],
    ]);
    expect(delta.ok).toBe(true);
  });
});
