import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityContext } from '../../activities/deps';
import { rollbackPage, verifyRollback, type RollbackVerification } from '../../activities/rollback';
import { resolvePlanPaths } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import { customerScenario, dropScenario, testStaging, type CustomerScenario } from '../support/harness';

/**
 * A retried rollback page or verification resumes where its last attempt heartbeated (cursor and counts), not
 * from zero: at a vendor's rate a read-back from zero may never finish inside its timeout. The activities run in
 * the SDK's own activity environment, with the heartbeat details a previous attempt would have left; staging and
 * the target table are the real PostgreSQL.
 */
describe('rollback activities resume from their heartbeat details', () => {
  let staging: Staging;
  let scenario: CustomerScenario;
  let ctx: ActivityContext;
  const ids = Array.from({ length: 10 }, (_, i) => `C${String(i + 1).padStart(3, '0')}`);

  const table = () => `"${scenario.schema}".customers`;
  const targetIds = async () =>
    (await staging.sql.unsafe<{ legacy_id: string }[]>(`select legacy_id from ${table()} order by legacy_id`)).map(
      (r) => r.legacy_id,
    );
  const putInTarget = async (legacyIds: string[]) => {
    for (const id of legacyIds)
      await staging.sql.unsafe(`insert into ${table()} (legacy_id, first_name) values ($1, 'Tern wrote me')`, [id]);
  };
  const ledger = async (state: string) => {
    await staging.sql`delete from id_map where migration_id = ${scenario.migrationId}`;
    for (const id of ids)
      await staging.sql`
        insert into id_map (migration_id, object, source_id, state, attempt, created_by_tern, run_phase)
        values (${scenario.migrationId}, 'customers', ${id}, ${state}, 1, true, 'full')`;
  };

  beforeAll(async () => {
    staging = await testStaging();
    scenario = await customerScenario(staging, { rows: 10 });
    await saveMigration(staging.db, {
      id: scenario.migrationId,
      plan: resolvePlanPaths(scenario.loaded),
      planHash: scenario.loaded.hash,
      actor: 'test',
    });
    ctx = new ActivityContext({ staging });
  });
  afterAll(async () => {
    await staging.sql`delete from id_map where migration_id = ${scenario.migrationId}`;
    await dropScenario(staging, scenario);
    await ctx.close();
    await staging.close();
  });
  beforeEach(async () => {
    await staging.sql.unsafe(`delete from ${table()}`);
    await staging.sql`delete from staged_records where migration_id = ${scenario.migrationId}`;
  });

  it('a retried verification continues after the heartbeated cursor and keeps the counts', async () => {
    await ledger('rolled_back');
    // Leftovers of Tern's rows: one before the cursor the last attempt reached (it landed after that attempt
    // had found C001–C005 absent), one after it.
    await putInTarget(['C002', 'C008']);
    const previous: RollbackVerification = {
      object: 'customers',
      rolledBack: 5,
      removed: 5,
      restored: 0,
      unledgered: 0,
      mismatches: 0,
      mismatchExamples: [],
      repaired: 0,
      ok: false,
    };
    const env = new MockActivityEnvironment({ heartbeatDetails: { pass: 'ledger', after: 'C005', result: previous } });
    const resumed = await env.run(verifyRollback, ctx, { migrationId: scenario.migrationId, object: 'customers' });
    // C001–C005 were not looked at again (their counts come from the details); C006–C010 were.
    expect(resumed).toMatchObject({
      rolledBack: 10,
      removed: 9,
      mismatches: 1,
      mismatchExamples: ['C008'],
      ok: false,
    });

    // From zero (no details) the verification sees C002 as well: the resumed one did not start over.
    const fresh = await new MockActivityEnvironment().run(verifyRollback, ctx, {
      migrationId: scenario.migrationId,
      object: 'customers',
    });
    expect(fresh).toMatchObject({ rolledBack: 10, removed: 8, mismatches: 2, mismatchExamples: ['C002', 'C008'] });
  });

  it('a retried verification resumes in its pass over staged records without a ledger entry', async () => {
    await ledger('rolled_back');
    // Staged records the ledger lost: present in the target, one before and one after the cursor.
    for (const id of ['C020', 'C030'])
      await staging.sql`
        insert into staged_records (migration_id, object, source_id, raw, source_hash)
        values (${scenario.migrationId}, 'customers', ${id}, ${JSON.stringify({ id })}::jsonb, 'h')`;
    await putInTarget(['C020', 'C030']);
    const previous: RollbackVerification = {
      object: 'customers',
      rolledBack: 10,
      removed: 10,
      restored: 0,
      unledgered: 0,
      mismatches: 0,
      mismatchExamples: [],
      repaired: 0,
      ok: false,
    };
    const env = new MockActivityEnvironment({ heartbeatDetails: { pass: 'staged', after: 'C025', result: previous } });
    const resumed = await env.run(verifyRollback, ctx, {
      migrationId: scenario.migrationId,
      object: 'customers',
      repair: true,
    });
    expect(resumed).toMatchObject({ rolledBack: 10, unledgered: 1, mismatches: 1, mismatchExamples: ['C030'] });
    // Without a ledger entry Tern cannot prove it wrote the row: found and reported, never removed.
    expect(await targetIds()).toEqual(['C020', 'C030']);
  });

  it('a retried rollback page resumes after its last finished chunk, with its counts', async () => {
    await ledger('written');
    await putInTarget(ids);
    // The last attempt heartbeated that it had undone C001–C005 (5 deleted). They are left in place here, so a
    // retry that started from zero instead of the cursor would be seen removing them.
    const env = new MockActivityEnvironment({
      heartbeatDetails: { after: null, cursor: 'C005', deleted: 5, restored: 0 },
    });
    const page = await env.run(rollbackPage, ctx, {
      migrationId: scenario.migrationId,
      object: 'customers',
      after: null,
    });
    expect(page).toEqual({ next: 'C010', deleted: 10, restored: 0 });
    expect(await targetIds()).toEqual(['C001', 'C002', 'C003', 'C004', 'C005']);
    const states = await staging.sql<{ state: string; n: number }[]>`
      select state, count(*)::int as n from id_map where migration_id = ${scenario.migrationId}
      group by state order by state`;
    expect(states).toEqual([
      { state: 'rolled_back', n: 5 },
      { state: 'written', n: 5 },
    ]);
  });
});
