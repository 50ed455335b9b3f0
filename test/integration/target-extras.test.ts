import { EXTRAS_BY_KEY, EXTRAS_BY_TARGET_ID, TargetExtras } from '../../connectors/extras';
import { PageThreads } from '../../connectors/front/threads';
import type { Staging } from '../../staging/db';
import { bareMigration, testStaging } from '../support/harness';

/**
 * What a SaaS target created besides records is looked up by key once per record of some loads (a Front message's
 * thread). Staging fills `target_extras` a page at a time during a load, so the lookup by key must not depend on
 * statistics: each key is one probe of the primary key, whatever the planner knows. The lookup by target id (the
 * messages' read-back) runs after the reconciliation has analysed the table: without statistics, the primary key's
 * prefix and the target id's index looked alike to the planner on a small table, and CI once saw it take the first. At 5,000 Zendesk tickets the
 * lookup written as `key = any(…)` read every thread of the migration for each message (0.63 ms a call, 32.5 s in
 * all; 10.7 ms a call at 50,000 threads).
 */
describe('target extras by key', () => {
  let staging: Staging;
  let migrationId: string;

  beforeAll(async () => {
    staging = await testStaging();
    migrationId = await bareMigration(staging, 'mig_extras');
    await staging.sql`
      insert into target_extras (migration_id, kind, key, target_id, detail)
      select ${migrationId}, 'thread', 'ticket-' || g, 'cnv_' || g, null from generate_series(1, 5000) g`;
    // As the reconciliation does before its read-back, the only caller of the lookup by target id.
    await staging.sql`analyze target_extras`;
  });
  afterAll(async () => {
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.close();
  });

  /** The scans of `target_extras` in a query's executed plan. */
  const scansOf = async (query: string, values: unknown[]) => {
    const [plan] = await staging.sql.unsafe<{ 'QUERY PLAN': unknown }[]>(
      `explain (format json, analyze, timing off) ${query}`,
      values as never[],
    );
    const scans: { 'Index Cond'?: string; 'Actual Rows': number; 'Actual Loops': number; 'Index Name'?: string }[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (node['Relation Name'] === 'target_extras') scans.push(node as never);
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk((plan!['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan);
    return scans;
  };

  it('finds each key by one probe of the primary key, not by reading the kind’s rows', async () => {
    const scans = await scansOf(EXTRAS_BY_KEY, [migrationId, 'thread', ['ticket-42', 'ticket-4242']]);
    expect(scans).toHaveLength(1);
    expect(scans[0]!['Index Cond']).toMatch(/\(t\.key = k\.v\)|\(key = k\.v\)/);
    // One row found per probe, two probes: not 5,000 rows read and filtered.
    expect(scans[0]!['Actual Rows'] * scans[0]!['Actual Loops']).toBe(2);
  });

  it('finds each target id by one probe of its index (the messages’ read-back, a page of threads at a time)', async () => {
    const scans = await scansOf(EXTRAS_BY_TARGET_ID, [migrationId, 'thread', ['cnv_42', 'cnv_4242', 'cnv_4243']]);
    expect(scans).toHaveLength(1);
    expect(scans[0]!['Index Name']).toBe('target_extras_target_idx');
    expect(scans[0]!['Index Cond']).toMatch(/\(t\.target_id = k\.v\)|\(target_id = k\.v\)/);
    expect(scans[0]!['Actual Rows'] * scans[0]!['Actual Loops']).toBe(3);
  });

  it('gives the live rows of the keys asked, once each, and none for a key removed or unknown', async () => {
    const extras = new TargetExtras(staging.sql, migrationId);
    await extras.removed('thread', 'ticket-7');
    const found = await extras.get('thread', ['ticket-1', 'ticket-7', 'ticket-1', 'ticket-9999999', 'ticket-5000']);
    expect(found).toEqual(
      new Map([
        ['ticket-1', { targetId: 'cnv_1', detail: null }],
        ['ticket-5000', { targetId: 'cnv_5000', detail: null }],
      ]),
    );
    expect(await extras.get('thread', [])).toEqual(new Map());
    expect(await extras.byTargetId('thread', ['cnv_2', 'cnv_7', 'cnv_2', 'cnv_nowhere'])).toEqual(
      new Map([['cnv_2', { key: 'ticket-2', detail: null }]]),
    );
    expect(await extras.byTargetId('thread', [])).toEqual(new Map());
  });

  it('puts many rows in one statement: a key given twice keeps its first, a live row its target id, a removed one is replaced', async () => {
    const extras = new TargetExtras(staging.sql, migrationId);
    await extras.put('tag', 'live', 'tag_1');
    await extras.put('tag', 'gone', 'tag_2', 'old detail');
    await extras.removed('tag', 'gone');
    await extras.putMany('tag', [
      { key: 'new', targetId: 'tag_3' },
      { key: 'new', targetId: 'tag_4' },
      { key: 'live', targetId: 'tag_5', detail: 'learnt' },
      { key: 'gone', targetId: 'tag_6' },
    ]);
    await extras.putMany('tag', []);
    expect(await extras.get('tag', ['new', 'live', 'gone'])).toEqual(
      new Map([
        ['new', { targetId: 'tag_3', detail: null }],
        ['live', { targetId: 'tag_1', detail: 'learnt' }],
        ['gone', { targetId: 'tag_6', detail: null }],
      ]),
    );
  });

  it('records the threads a page of messages started once, the first message of each, and none it already knew', async () => {
    const extras = new TargetExtras(staging.sql, migrationId);
    await extras.put('thread', 'ticket-known', 'msg-known-first', 'cnv_known');
    const page = await PageThreads.read(extras, ['ticket-known', 'ticket-new', 'ticket-new', 'ticket-other']);
    expect(page.before('ticket-known')).toEqual({ targetId: 'msg-known-first', detail: 'cnv_known' });
    expect(page.before('ticket-new')).toBeUndefined();
    page.imported('ticket-known', 'msg-known-2');
    page.imported('ticket-new', 'msg-new-1');
    page.imported('ticket-new', 'msg-new-2');
    // Nothing is written before the page is done.
    expect((await extras.get('thread', ['ticket-new'])).size).toBe(0);
    await page.save();
    expect(await extras.get('thread', ['ticket-known', 'ticket-new', 'ticket-other'])).toEqual(
      new Map([
        ['ticket-known', { targetId: 'msg-known-first', detail: 'cnv_known' }],
        ['ticket-new', { targetId: 'msg-new-1', detail: null }],
      ]),
    );
    expect(await extras.byTargetId('thread', ['msg-new-1', 'msg-new-2'])).toEqual(
      new Map([['msg-new-1', { key: 'ticket-new', detail: null }]]),
    );
  });
});
