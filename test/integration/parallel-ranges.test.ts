import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { ActivityContext } from '../../activities/deps';
import { splitLoadRanges } from '../../activities/ranges';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { objectWorkflowId } from '../../workflows/phase';
import { payloadValue, testEnv, withWorker, type CustomerScenario, useTernEnvironment } from '../support/harness';
import { exited, spawnTs } from '../support/processes';

/** The customers scenario, its object loading `ranges` source-id ranges at once. */
function withConcurrency(s: CustomerScenario, ranges: number): CustomerScenario {
  const planText = s.planText.replace(/\n(\s+)pageSize: (\d+)/, `\n$1pageSize: $2\n$1loadConcurrency: ${ranges}`);
  if (planText === s.planText) throw new Error('the scenario plan has no pageSize line to add loadConcurrency after');
  return { ...s, planText, loaded: parsePlan(planText, path.join(s.dir, 'plan.yaml')) };
}

describe('an object loaded in parallel source-id ranges', () => {
  const t = useTernEnvironment();
  // Set once the suite's environment is up (a describe's body runs before beforeAll).
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  const scenario = async (rows: number, pageSize: number) => {
    const s = withConcurrency(await t.scenario({ rows, seed: 16, pageSize }), 4);
    return s;
  };
  const targetRows = async (s: CustomerScenario) => {
    const [row] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
      `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${s.schema}".customers`,
    );
    return row!;
  };
  const written = async (s: CustomerScenario) => {
    const [row] = await staging.sql<
      { n: number }[]
    >`select count(*)::int as n from id_map where migration_id = ${s.migrationId} and state = 'written'`;
    return row!.n;
  };

  /** The `loadPage` inputs the object's workflow scheduled, and the most pages it had in flight at once. */
  const pagesOf = async (s: CustomerScenario) => {
    const history = await client.workflow
      .getHandle(objectWorkflowId(s.migrationId, 'full', 'customers'))
      .fetchHistory();
    const inputs: { after: string | null; until?: string | null }[] = [];
    const open = new Set<string>();
    let mostInFlight = 0;
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'loadPage') {
        inputs.push(await payloadValue<(typeof inputs)[number]>(settings, scheduled.input!.payloads![0]!));
        open.add(String(event.eventId));
        mostInFlight = Math.max(mostInFlight, open.size);
      }
      const closed =
        event.activityTaskCompletedEventAttributes?.scheduledEventId ??
        event.activityTaskFailedEventAttributes?.scheduledEventId ??
        event.activityTaskTimedOutEventAttributes?.scheduledEventId;
      if (closed != null) open.delete(String(closed));
    }
    return { inputs, mostInFlight };
  };

  it('splits the staged records into ranges that hold every record exactly once', async () => {
    const s = await scenario(2000, 100);
    await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });
    const { ranges } = await splitLoadRanges(new ActivityContext({ staging }), {
      migrationId: s.migrationId,
      object: 'customers',
      phase: 'full',
    });
    expect(ranges).toHaveLength(4);
    expect(ranges[0]!.after).toBeNull();
    expect(ranges[3]!.until).toBeNull();
    // Each staged record, compared by the database as the pages compare it, is in exactly one range.
    const [cover] = await staging.sql<{ records: number; once: number; smallest: number; largest: number }[]>`
      with ranges as (
        select * from jsonb_to_recordset(${JSON.stringify(ranges)}::jsonb) as r(after text, until text)
      ), hits as (
        select s.source_id, count(r.*)::int as n from staged_records s
        left join ranges r on (r.after is null or s.source_id > r.after) and (r.until is null or s.source_id <= r.until)
        where s.migration_id = ${s.migrationId} and s.object = 'customers' and s.source_deleted_at is null
        group by s.source_id
      ), sizes as (
        select count(*)::int as n from staged_records s join ranges r
          on (r.after is null or s.source_id > r.after) and (r.until is null or s.source_id <= r.until)
        where s.migration_id = ${s.migrationId} and s.object = 'customers' and s.source_deleted_at is null
        group by r.after, r.until
      )
      select (select count(*)::int from hits) as records,
             (select count(*)::int from hits where n = 1) as once,
             (select min(n) from sizes) as smallest, (select max(n) from sizes) as largest`;
    expect(cover!.records).toBe(2000);
    expect(cover!.once).toBe(2000);
    expect(cover!.largest - cover!.smallest).toBeLessThanOrEqual(1);
  });

  it('loads four ranges at once and the target holds every record exactly once, reconciled', async () => {
    const s = await scenario(3000, 50);
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });
    expect(result.ok).toBe(true);
    expect(result.objects[0]).toMatchObject({
      source: 3000,
      loaded: 3000,
      quarantined: 0,
      checksumMismatches: 0,
      unaccounted: 0,
    });
    expect(result.objects[0]!.sums.lifetime_value).toMatchObject({ ok: true, unaccounted: '0' });
    expect(await targetRows(s)).toEqual({ n: 3000, keys: 3000 });
    const { inputs, mostInFlight } = await pagesOf(s);
    expect(new Set(inputs.map((i) => i.until ?? null)).size).toBe(4);
    expect(mostInFlight).toBeGreaterThan(1);
  });

  it('still writes every record exactly once when its worker is killed mid-way', async () => {
    const rows = 6000;
    const s = await scenario(rows, 20);
    const started = await startPhase(client, settings, staging.db, s.loaded, {
      phase: 'full',
      migrationId: s.migrationId,
    });
    const env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
    };
    const first = spawnTs('worker/main.ts', [], env);
    let firstStderr = '';
    first.stderr!.on('data', (d: Buffer) => (firstStderr += d.toString()));
    while ((await written(s)) < 300) {
      if (first.exitCode !== null) throw new Error(`worker exited early: ${firstStderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.kill('SIGKILL');
    await exited(first);
    expect(await written(s)).toBeLessThan(rows);
    expect((await started.handle.describe()).status.name).toBe('RUNNING');

    const second = spawnTs('worker/main.ts', [], env);
    try {
      const result = await started.handle.result();
      expect(result.ok).toBe(true);
      expect(result.objects[0]).toMatchObject({
        source: rows,
        loaded: rows,
        quarantined: 0,
        checksumMismatches: 0,
        unaccounted: 0,
      });
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }
    expect(await targetRows(s)).toEqual({ n: rows, keys: rows });
    expect(await written(s)).toBe(rows);
  });
});
