import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import { SANDBOX_CREDENTIALS, sandboxPlan } from '../../scripts/bench/zendesk-front';
import { startPhase } from '../../scripts/client/phases';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testEnv, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';
import { spawnWorker, stopChild } from '../support/processes';

/**
 * Each worker process keeps what the Front account is set up with (tags among it) for every page of a
 * migration. A rollback deletes the tags Tern created; a full run after it must not write the ids of tags a
 * rollback deleted, whichever worker process ran the rollback: in this one, or in another `tern worker` while
 * this one kept its reading. Counted from Front: every ticket's conversation once, carrying only tags Front has.
 */
jest.setTimeout(600_000);

describe('Front: a full run after a rollback', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let loaded: LoadedPlan;
  let zendesk: RunningSandbox;
  let front: RunningSandbox;
  const migrationId = uniqueId('mig_frr');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-frr-'));

  const phase = (p: 'full' | 'rollback') =>
    startPhase(client, settings, staging.db, loaded, {
      phase: p,
      migrationId,
      ...(p === 'rollback' ? { reason: 'test: undo', by: 'jest' } : {}),
    }).then((started) => started.handle.result() as Promise<PhaseResult>);
  const object = (r: PhaseResult, name: string) => r.objects.find((o) => o.object === name)!;
  /** Front's live conversations opened by Tern's imports: how many, how many tickets, tags Front lacks. */
  const conversations = () => {
    const tags = frontCollections.tags(front.store);
    const live = [...frontCollections.conversations(front.store).values()].filter(
      (c) => c.thread_key?.startsWith('ref:zendesk-ticket-') && c.status !== 'deleted',
    );
    return {
      conversations: live.length,
      tickets: new Set(live.map((c) => c.thread_key)).size,
      tagged: live.filter((c) => c.tag_ids.length > 0).length > 0,
      unknownTags: live.flatMap((c) => c.tag_ids.filter((id) => !tags.has(id))),
    };
  };
  /** A full run's figures per object, and Front's conversations after it. */
  const figures = async (r: PhaseResult) => ({
    ok: r.ok,
    objects: r.objects.map((o) => ({ object: o.object, loaded: o.loaded, quarantined: o.quarantined })),
    reasons: await staging.sql<{ object: string; reason_code: string; n: number }[]>`
      select object, reason_code, count(*)::int as n from quarantine
      where migration_id = ${migrationId} and resolved_at is null group by 1, 2 order by 1, 2`,
    front: conversations(),
  });

  /** Front's tags by name (the account's own and any left behind), and conversations Tern's imports opened. */
  const frontState = () => ({
    tags: [...frontCollections.tags(front.store).values()].map((t) => t.name).sort(),
    conversations: conversations().conversations,
  });
  let before: ReturnType<typeof frontState>;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    zendesk = await startSandbox(zendeskSandbox, { seed: 9, size: 60, rate: 2000 });
    front = await startSandbox(frontSandbox, { seed: 9, rate: 2000 });
    Object.assign(process.env, SANDBOX_CREDENTIALS);
    loaded = sandboxPlan(migrationId, zendesk.url, front.url, dir);
    before = frontState();
  });

  afterAll(async () => {
    await zendesk?.close();
    await front?.close();
    if (staging) {
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let first: Awaited<ReturnType<typeof figures>>;

  test('full → rollback → full in one worker: every conversation once, its tags all in Front', async () => {
    const [firstFigures, rollback, again] = await withWorker(settings, staging, async () => {
      const full = await phase('full');
      return [{ full, figures: await figures(full) }, await phase('rollback'), await figures(await phase('full'))];
    });
    const full = firstFigures.full;
    first = firstFigures.figures;
    expect(first.ok).toBe(true);
    expect(first.front).toMatchObject({ tagged: true, unknownTags: [] });
    expect(first.front.conversations).toBe(object(full, 'conversations').loaded);
    expect(first.front.tickets).toBe(first.front.conversations);
    expect(rollback.ok).toBe(true);
    expect(again).toEqual(first);
  });

  test('rolled back by another worker process while this one kept its reading: the next full writes no deleted tag', async () => {
    const worker = spawnWorker({
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
    });
    let rollback: PhaseResult;
    try {
      rollback = await phase('rollback');
    } finally {
      await stopChild(worker.child);
    }
    expect(rollback.ok).toBe(true);
    expect(conversations()).toMatchObject({ conversations: 0 });
    // This process read the account's tags in the last test, minutes ago at most: its reading is still current.
    const again = await withWorker(settings, staging, () => phase('full'));
    expect(await figures(again)).toEqual(first);
  });

  test('the last rollback leaves Front as it was: the tags the later runs created again are deleted too', async () => {
    const result = await withWorker(settings, staging, () => phase('rollback'));
    expect(result.ok).toBe(true);
    expect(frontState()).toEqual(before);
  });
});
