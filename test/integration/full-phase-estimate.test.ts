import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RequestMeter } from '../../activities/meter';
import type { ActivityContext } from '../../activities/deps';
import { estimateFullPhase } from '../../connectors/estimate';
import { sandboxPlan } from '../../scripts/bench/zendesk-front';
import { formatEstimate } from '../../scripts/commands/status';
import type { Staging } from '../../staging/db';
import { saveMigration } from '../../staging/migrations-repo';
import { testStaging, uniqueId } from '../support/harness';

/**
 * The full-phase estimate scales what the sample spent per record to the records left, but adds what it spent
 * preparing the account (metadata read, tags created) once: a sample that created 30 tags for 100 tickets does
 * not mean the full phase creates 30 tags for every 100 tickets.
 */
describe('full-phase estimate', () => {
  let staging: Staging;
  const migrationId = uniqueId('mig_estimate');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-estimate-'));
  const loaded = sandboxPlan(migrationId, 'http://127.0.0.1:9', 'http://127.0.0.1:9', dir);

  beforeAll(async () => {
    staging = await testStaging();
    await saveMigration(staging.db, { id: migrationId, plan: loaded.plan, planHash: loaded.hash, actor: 'test' });
    // 1,000 conversations staged, 100 of them sampled.
    await staging.sql`
      insert into staged_records (migration_id, object, source_id, raw, source_hash, sampled)
      select ${migrationId}, 'conversations', 't' || i, '{}'::jsonb, 'h' || i, i <= 100
      from generate_series(1, 1000) as i`;
  });

  afterAll(async () => {
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('scales the per-record requests and adds the account set-up once', async () => {
    // The sample's load of its 100 conversations, as the activities meter it: one update each, the account's
    // metadata read (4 listings) and 26 tags created on the way.
    const meter = new RequestMeter();
    for (let i = 0; i < 100; i++) meter.add('front');
    for (let i = 0; i < 30; i++) meter.add('front', true);
    const ctx = { sql: staging.sql } as unknown as ActivityContext;
    await meter.record(ctx, { migrationId, phase: 'sample', object: 'conversations', stage: 'load' }, 100);
    expect(meter.counts.size).toBe(0);

    const [row] = await staging.sql<{ requests: number; setup_requests: number; records: number }[]>`
      select requests, setup_requests, records from vendor_requests
      where migration_id = ${migrationId} and phase = 'sample' and object = 'conversations' and stage = 'load'`;
    expect(row).toEqual({ requests: 130, setup_requests: 30, records: 100 });

    const estimate = (await estimateFullPhase(staging.sql, migrationId, loaded.plan))!;
    const load = estimate.stages.find((s) => s.object === 'conversations' && s.stage === 'load')!;
    // 900 conversations left at one request each, and the set-up once: not 130 × 9 = 1,170.
    expect(load.requests.front).toBe(900 + 30);
    expect(load.setup).toEqual({ front: 30 });
    expect(load.seconds).toBe(Math.round(930 / (200 / 60)));
    expect(estimate.requests.front).toBe(930);
    expect(formatEstimate(estimate)).toContain(
      "  conversations load: 1000 records, 930 front requests (30 of them the account's set-up, once) → 4m39s",
    );
  });
});
