import type { Client } from '@temporalio/client';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { progressQuery, rollbackUpdate } from '../../workflows/phase';
import type { rollbackWorkflow } from '../../workflows/rollback';
import {
  customerScenario,
  dropScenario,
  testClient,
  testSettings,
  testStaging,
  withWorker,
  type CustomerScenario,
} from '../support/harness';

/**
 * A cutover manager rolls back from the running phase itself (an Update with a validated reason): the phase
 * is cancelled, and what Tern wrote is undone and proven.
 */
describe('rollback requested by Update on a running phase', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let scenario: CustomerScenario;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    scenario = await customerScenario(staging, { rows: 300 });
  });
  afterAll(async () => {
    await dropScenario(staging, scenario);
    await client.connection.close();
    await staging.close();
  });

  it('refuses a request without a real reason, then rolls back and proves the target is as before', async () => {
    await withWorker(settings, staging, async () => {
      // Load once, then start a gated delta that waits for approval: a phase in flight.
      const full = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'full',
        migrationId: scenario.migrationId,
      });
      expect((await full.handle.result()).ok).toBe(true);
      const delta = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'delta',
        migrationId: scenario.migrationId,
        gate: true,
      });
      for (let i = 0; i < 600 && !(await delta.handle.query(progressQuery)).awaitingApproval; i++)
        await new Promise((r) => setTimeout(r, 100));

      const refused = await delta.handle
        .executeUpdate(rollbackUpdate, { args: [{ reason: 'oops', by: 'carol' }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(/reason of at least 10 characters/);

      const { rollbackWorkflowId } = await delta.handle.executeUpdate(rollbackUpdate, {
        args: [{ reason: 'go-live postponed by the customer', by: 'carol' }],
      });
      const rollback = await client.workflow.getHandle<typeof rollbackWorkflow>(rollbackWorkflowId).result();
      expect(rollback.ok).toBe(true);
      expect(rollback.by).toBe('carol');
      expect(rollback.objects).toEqual([
        expect.objectContaining({ object: 'customers', removed: 300, restored: 0, mismatches: 0 }),
      ]);
      const ended = await delta.handle.result().catch((e: unknown) => e);
      expect(ended).toBeInstanceOf(WorkflowFailedError); // cancelled by the rollback
    });
    const [rows] = await staging.sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${scenario.schema}".customers`,
    );
    expect(rows!.n).toBe(0);
  });
});
