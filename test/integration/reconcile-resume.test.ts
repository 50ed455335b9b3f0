import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityContext } from '../../activities/deps';
import { reconcileObject } from '../../activities/reconcile';
import type { ObjectReconciliation, ReadBackProgress } from '../../activities/reconciliation';
import { addDecimals } from '../../plan/decimal';
import { emptyAccumulator } from '../../plan/sum-equation';
import { startPhase } from '../../scripts/client/phases';
import { useTernEnvironment, withWorker, type CustomerScenario } from '../support/harness';

/**
 * A reconciliation retried after its attempt died carries on from the last page the attempt heartbeated (its
 * cursor and running counts), instead of reading everything back again. Run in the SDK's activity test
 * environment with the heartbeat details a previous attempt left.
 */
describe('reconcileObject resumes from its heartbeat details', () => {
  const tern = useTernEnvironment();
  let scenario: CustomerScenario;

  beforeAll(async () => {
    scenario = await tern.scenario({ rows: 300 });
    await withWorker(tern.settings, tern.staging, async () => {
      const full = await startPhase(tern.client, tern.settings, tern.staging.db, scenario.loaded, {
        phase: 'full',
        migrationId: scenario.migrationId,
      });
      expect((await full.handle.result()).ok).toBe(true);
    });
  });

  it('reads back only after the cursor and adds to the counts carried', async () => {
    const written = await tern.staging.sql<{ source_id: string; raw: Record<string, unknown> }[]>`
      select i.source_id, s.raw from id_map i
      join staged_records s using (migration_id, object, source_id)
      where i.migration_id = ${scenario.migrationId} and i.object = 'customers' and i.state = 'written'
      order by i.source_id`;
    expect(written.length).toBeGreaterThan(200);
    const cursor = written[149]!.source_id;
    const before = written[10]!.source_id;
    const after = written[200]!.source_id;
    // Someone changed two target rows: one the previous attempt already read back, one still ahead.
    await tern.staging.sql.unsafe(
      `update "${scenario.schema}".customers set first_name = 'Changed' where legacy_id = any($1)`,
      [[before, after]],
    );
    const previous: ReadBackProgress = {
      after: cursor,
      mismatches: 3,
      examples: ['c-1', 'c-2', 'c-3'].map((sourceId) => ({ sourceId, fields: ['first_name'] })),
      byField: { first_name: 3 },
      sums: {
        lifetime_value: {
          ...emptyAccumulator(),
          terms: { ...emptyAccumulator().terms, loaded: '1000.50', new: '1000.50' },
        },
      },
      fidelity: { records: 150, mismatches: 0, byField: {}, examples: [] },
    };
    const env = new MockActivityEnvironment({ heartbeatDetails: previous, attempt: 2 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const ctx = new ActivityContext({ staging: tern.staging });
    const result: ObjectReconciliation = await env.run(() =>
      reconcileObject(ctx, { migrationId: scenario.migrationId, object: 'customers', phase: 'full' }),
    );

    // The row before the cursor was the previous attempt's to see; the one after it is found and added.
    expect(result.checksumMismatches).toBe(4);
    // The changed row is named with the field that differs.
    expect(result.mismatchExamples).toEqual([...previous.examples, { sourceId: after, fields: ['first_name'] }]);
    expect(result.mismatchesByField).toEqual({ first_name: 4 });
    // The fidelity check carries on from the previous attempt's count, and the source's first name was not the
    // one the target now holds: found by reading the source, not Tern's payload.
    expect(result.fidelity.records).toBe(150 + written.length - 150);
    expect(result.fidelity.byField.first_name).toBe(1);
    let loaded = '1000.50';
    for (const r of written.slice(150)) loaded = addDecimals(loaded, r.raw.lifetime_value);
    expect(result.sums.lifetime_value!.loaded).toBe(loaded);
    expect(result.sums.lifetime_value!.new).toBe(loaded);
    // Each page heartbeats where it got to, with the counts so far.
    const last = beats.filter((b): b is ReadBackProgress => typeof b === 'object' && b !== null && 'after' in b).pop();
    expect(last).toMatchObject({ after: written[written.length - 1]!.source_id, mismatches: 4 });
  });

  it('starts from zero without details', async () => {
    const env = new MockActivityEnvironment();
    const result: ObjectReconciliation = await env.run(() =>
      reconcileObject(new ActivityContext({ staging: tern.staging }), {
        migrationId: scenario.migrationId,
        object: 'customers',
        phase: 'full',
      }),
    );
    expect(result.checksumMismatches).toBe(2);
  });
});
