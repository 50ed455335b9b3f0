import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityContext } from '../../activities/deps';
import { reconcileObject } from '../../activities/reconcile';
import { READ_BACK_PAGE } from '../../activities/reconcile-counts';
import type { ObjectReconciliation, ReadBackProgress } from '../../activities/reconciliation';
import { addDecimals } from '../../plan/decimal';
import { startPhase } from '../../scripts/client/phases';
import { useTernEnvironment, withWorker, type CustomerScenario } from '../support/harness';

/**
 * A read-back of several pages, each read from staging and the target while the one before it is compared:
 * every written record is compared once, none skipped or counted twice, in source id order, and a changed target
 * row is found on whichever page holds it (the first, a page's first record, the last).
 */
describe('a read-back over several pages', () => {
  const tern = useTernEnvironment();
  let scenario: CustomerScenario;

  beforeAll(async () => {
    scenario = await tern.scenario({ rows: 5000, pageSize: 2000 });
    await withWorker(tern.settings, tern.staging, async () => {
      const full = await startPhase(tern.client, tern.settings, tern.staging.db, scenario.loaded, {
        phase: 'full',
        migrationId: scenario.migrationId,
      });
      expect((await full.handle.result()).ok).toBe(true);
    });
  });

  it('compares each written record once, page after page', async () => {
    const written = await tern.staging.sql<{ source_id: string; raw: Record<string, unknown> }[]>`
      select i.source_id, s.raw from id_map i
      join staged_records s using (migration_id, object, source_id)
      where i.migration_id = ${scenario.migrationId} and i.object = 'customers' and i.state = 'written'
      order by i.source_id`;
    expect(written.length).toBeGreaterThan(2 * READ_BACK_PAGE);
    const changed = [written[3]!, written[READ_BACK_PAGE]!, written[written.length - 1]!].map((r) => r.source_id);
    await tern.staging.sql.unsafe(
      `update "${scenario.schema}".customers set first_name = 'Changed' where legacy_id = any($1)`,
      [changed],
    );

    const env = new MockActivityEnvironment();
    const beats: ReadBackProgress[] = [];
    env.on('heartbeat', (d: unknown) => {
      if (typeof d === 'object' && d !== null && 'after' in d) beats.push(d as ReadBackProgress);
    });
    const result: ObjectReconciliation = await env.run(() =>
      reconcileObject(new ActivityContext({ staging: tern.staging }), {
        migrationId: scenario.migrationId,
        object: 'customers',
        phase: 'full',
      }),
    );

    expect(result.readBack.records).toBe(written.length);
    expect(result.fidelity.records).toBe(written.length);
    expect(result.checksumMismatches).toBe(3);
    expect(result.mismatchExamples).toEqual(changed.map((sourceId) => ({ sourceId, fields: ['first_name'] })));
    expect(result.fidelity.examples.map((e) => e.sourceId)).toEqual(changed);
    // The money line adds each loaded record once, on both sides.
    const expected = written.reduce((total, r) => addDecimals(total, r.raw.lifetime_value), '0');
    const [target] = await tern.staging.sql.unsafe<{ total: string }[]>(
      `select coalesce(sum(lifetime_value), 0)::text as total from "${scenario.schema}".customers`,
    );
    expect(result.sums.lifetime_value!.loaded).toBe(expected);
    expect(result.sums.lifetime_value!.new).toBe(addDecimals('0', target!.total));
    expect(result.sums.lifetime_value!.ok).toBe(true);
    // One heartbeat per page, in source id order (staging's), each counting the written records up to its end.
    const staged = await tern.staging.sql<{ source_id: string; written: boolean }[]>`
      select s.source_id, coalesce(i.state = 'written', false) as written from staged_records s
      left join id_map i using (migration_id, object, source_id)
      where s.migration_id = ${scenario.migrationId} and s.object = 'customers' and s.source_deleted_at is null
      order by s.source_id`;
    const position = new Map(staged.map((r, i) => [r.source_id, i]));
    const pages = beats.filter((b, i) => i === 0 || b.after !== beats[i - 1]!.after);
    const ends = pages.map((b) => position.get(b.after)!);
    expect(ends.length).toBeGreaterThanOrEqual(3);
    expect(ends.every((end, i) => end !== undefined && (i === 0 || end > ends[i - 1]!))).toBe(true);
    expect(ends[ends.length - 1]).toBe(staged.length - 1);
    expect(pages.map((b) => b.records)).toEqual(
      ends.map((end) => staged.slice(0, end + 1).filter((r) => r.written).length),
    );
  });
});
