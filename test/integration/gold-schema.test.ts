import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import { explain } from '../../scripts/exit-codes';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import {
  customerScenario,
  dropScenario,
  testClient,
  testSettings,
  testStaging,
  withWorker,
  type CustomerScenario,
} from '../support/harness';

/** Loading refuses a target whose schema drifted from the gold schema preferences froze, and says what moved. */
describe('gold schema', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let scenario: CustomerScenario;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    scenario = await customerScenario(staging, { rows: 100 });
  });
  afterAll(async () => {
    await dropScenario(staging, scenario);
    await client.connection.close();
    await staging.close();
  });

  const run = (phase: 'preferences' | 'full') =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase,
        migrationId: scenario.migrationId,
      });
      return started.handle.result();
    });

  it('stops a full phase when the target changed since preferences, naming each change and the fix', async () => {
    expect((await run('preferences')).ok).toBe(true);
    await staging.sql.unsafe(`
      alter table "${scenario.schema}".customers alter column country type varchar(3);
      alter table "${scenario.schema}".customers add column loyalty_tier text;`);
    const failed = await run('full').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    const { line, code } = explain(failed);
    expect(code).toBe(2);
    expect(line).toMatch(/drifted from the gold schema/);
    expect(line).toContain(`${scenario.schema}.customers.country changed`);
    expect(line).toContain(`${scenario.schema}.customers.loyalty_tier was added`);
    expect(line).toMatch(/run `tern run preferences <plan>` again/);
    const [written] = await staging.sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${scenario.schema}".customers`,
    );
    expect(written!.n).toBe(0);

    // Reviewed and frozen again: the load goes ahead.
    expect((await run('preferences')).ok).toBe(true);
    const full = (await run('full')) as PhaseResult;
    expect(full.ok).toBe(true);
    const customers = full.objects[0]!;
    expect(customers).toMatchObject({ source: 100, checksumMismatches: 0, unaccounted: 0 });
    // The narrower country column (3 characters) now refuses the legacy's long country names: quarantined,
    // with the reason the new gold schema predicts, never written and rejected.
    const reasons = await staging.sql<{ reason: string; n: number }[]>`
      select reason_code as reason, count(*)::int as n from quarantine
      where migration_id = ${scenario.migrationId} and resolved_at is null group by 1`;
    expect(reasons).toEqual(customers.quarantined > 0 ? [{ reason: 'too_long', n: customers.quarantined }] : []);
    expect(customers.loaded + customers.quarantined).toBe(100);
  });
});
