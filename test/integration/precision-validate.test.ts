import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverSchema } from '../../connectors/postgres/schema';
import type { Staging } from '../../staging/db';
import { testEnv, testStaging, uniqueId } from '../support/harness';
import { runTern } from '../support/processes';

/**
 * A target column with less precision than the source gives (timestamp(3) for microseconds, numeric(10, 2)
 * for four decimal places): the gold schema records the column's precision, and `tern plan validate` warns
 * per field with the count of source records the target would round and the fix.
 */
describe('tern plan validate on columns with less precision than the source', () => {
  let staging: Staging;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const source = uniqueId('src');
  const target = uniqueId('tgt');

  const plan = `version: 1
name: Precision ${source}
source: { kind: postgres, urlEnv: TERN_PRECISION_SOURCE_URL, schema: ${source} }
target: { kind: postgres, schema: ${target} }
objects:
  - name: payments
    source: { table: payments, id: id }
    target: { table: payments, key: legacy_id }
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: paid_at, to: paid_at, transform: [{ datetime: { zone: UTC } }] }
      - { from: logged_at, to: logged_at, transform: [{ datetime: { zone: UTC } }] }
      - { from: amount, to: amount, transform: [decimal] }
`;

  beforeAll(async () => {
    staging = await testStaging();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-precision-'));
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_PRECISION_SOURCE_URL: testEnv().databaseUrl,
    };
    // Source values as text, the way a legacy export holds them: 3 with microseconds, 2 with 4 decimals.
    await staging.sql.unsafe(`
      create schema "${source}";
      create table "${source}".payments (id text primary key, paid_at text, logged_at text, amount text);
      insert into "${source}".payments values
        ('1', '2024-05-06 07:08:09.123456', '2024-05-06 07:08:09.123456', '10.5'),
        ('2', '2024-05-06 07:08:10.654321', '2024-05-06 07:08:10.654321', '12.3456'),
        ('3', '2024-05-06 07:08:11.100', '2024-05-06 07:08:11.100', '7.25'),
        ('4', '2024-05-06 07:08:12.000001', '2024-05-06 07:08:12.000001', '0.0001'),
        ('5', '2024-05-06 07:08:13', '2024-05-06 07:08:13', '99.9900');
      create schema "${target}";
      create table "${target}".payments (id bigserial primary key, legacy_id text unique not null,
        paid_at timestamp(3) with time zone, logged_at timestamp with time zone, amount numeric(10, 2));`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${source}" cascade; drop schema if exists "${target}" cascade`);
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records the fractional-second digits of each timestamp column in the gold schema', async () => {
    const gold = await discoverSchema(staging.sql, target, ['payments']);
    const byName = new Map(gold.tables.payments!.columns.map((c) => [c.name, c]));
    expect(byName.get('paid_at')!.datetimePrecision).toBe(3);
    expect(byName.get('logged_at')!.datetimePrecision).toBe(6);
    expect(byName.get('amount')).toMatchObject({ precision: 10, scale: 2 });
    expect(byName.get('legacy_id')!.datetimePrecision).toBeUndefined();
  });

  it('warns per field with the count of records the target would round, and the fix', async () => {
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, plan);
    const { code, stdout } = await runTern(['plan', 'validate', file, '--migration', uniqueId('mig_precision')], env);
    expect(code).toBe(0);
    const warnings = stdout.split('\n').filter((l) => l.startsWith('warning'));
    expect(warnings).toEqual([
      expect.stringMatching(
        /objects\.0\.fields\.1: paid_at → paid_at: 3 records: values with more than 3 fractional-second digits are rounded .*fix: widen paid_at to timestamp\(6\) with time zone, or add a transform that rounds explicitly/,
      ),
      expect.stringMatching(
        /objects\.0\.fields\.3: amount → amount: 2 records: values with more than 2 decimal places are rounded .*\(e\.g\. record 2, 4\).*fix: widen amount to numeric\(12, 4\)/,
      ),
    ]);
    expect(stdout).toMatch(/source precision against the target columns \(1 objects\)/);
  });
});
