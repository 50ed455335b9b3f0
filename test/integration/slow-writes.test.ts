import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import { SANDBOX_CREDENTIALS, sandboxPlan } from '../../scripts/bench/zendesk-front';
import { startPhase } from '../../scripts/client/phases';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import type { FrontComment, FrontMessageTemplate } from '../../sandboxes/front';
import { frontSandbox } from '../../sandboxes/front';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * A Front write slower than a load page's heartbeat timeout (15 s) must not be written twice: the attempt that
 * sent it is alive and waits for its answer, so Temporal never starts a second attempt beside it. The first
 * private note and the first message template Tern creates each take 40 s (the sandbox's `slowNext` fault, so
 * it happens every run, not by luck): longer than the heartbeat timeout even when the SDK's heartbeat
 * throttling (up to 80% of the timeout) delays the last heartbeat the server saw. What Front holds is counted
 * from Front's own store, over its admin endpoints, never from Tern's ledger.
 */
jest.setTimeout(600_000);

const SLOW_MS = 40_000;

async function admin<T>(sandbox: RunningSandbox, route: string): Promise<T> {
  const res = await fetch(`${sandbox.url}/__admin/${route}`);
  if (!res.ok) throw new Error(`${route}: ${res.status}`);
  return (await res.json()) as T;
}

describe('a Front write slower than the heartbeat timeout', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let loaded: LoadedPlan;
  let zendesk: RunningSandbox;
  let front: RunningSandbox;
  const migrationId = uniqueId('mig_slow');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-slow-'));

  const run = (phase: 'preferences' | 'full') =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return started.handle.result();
    });
  const object = (r: PhaseResult, name: string) => r.objects.find((o) => o.object === name)!;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    zendesk = await startSandbox(zendeskSandbox, { seed: 23, size: 60, rate: 2000 });
    front = await startSandbox(frontSandbox, { seed: 23, rate: 2000 });
    Object.assign(process.env, SANDBOX_CREDENTIALS);
    loaded = sandboxPlan(migrationId, zendesk.url, front.url, dir);
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

  test('every private note and every template exists exactly once in Front', async () => {
    expect((await run('preferences')).ok).toBe(true);
    front.setFaults({
      slowNext: [
        { operation: 'add-comment', count: 1, ms: SLOW_MS },
        { operation: 'create-message-template', count: 1, ms: SLOW_MS },
      ],
    });
    const full = (await run('full')) as PhaseResult;
    // Both slow writes happened: each took longer than the heartbeat timeout.
    expect(front.stats().slowedNext).toEqual({ 'add-comment': 1, 'create-message-template': 1 });

    const tickets = [...zendeskCollections.tickets(zendesk.store).values()].filter((t) => t.status !== 'deleted');
    const live = new Set(tickets.map((t) => t.id));
    const notes = [...zendeskCollections.comments(zendesk.store).values()].filter(
      (c) => !c.public && live.has(c.ticket_id),
    );
    const macros = [...zendeskCollections.macros(zendesk.store).values()].filter(
      (m) => m.active && m.actions.some((a) => a.field.startsWith('comment_value')),
    );
    expect(notes.length).toBeGreaterThan(5);
    expect(macros.length).toBeGreaterThan(1);

    // Front's own store: one comment per note (a note is identified by its header: author and original time,
    // then its text), one template per macro name.
    const comments = await admin<FrontComment[]>(front, 'records/comments');
    const commentKeys = comments.map((c) => `${c.conversation_id}\u0000${c.body}`);
    expect(commentKeys.length - new Set(commentKeys).size).toBe(0);
    expect(comments).toHaveLength(notes.length);
    const templates = await admin<FrontMessageTemplate[]>(front, 'records/message_templates');
    expect(templates.map((t) => t.name).sort()).toEqual(macros.map((m) => m.title).sort());

    expect(object(full, 'notes')).toMatchObject({ loaded: notes.length, checksumMismatches: 0 });
    expect(object(full, 'templates')).toMatchObject({ loaded: macros.length, checksumMismatches: 0 });
    expect(full.ok).toBe(true);
    expect(front.stats().specViolations).toEqual([]);

    // What reading Front back cost, per record (the reconciliation's requests over the records it checked).
    const rows = await staging.sql<{ object: string; requests: number; records: number }[]>`
      select object, requests, records from vendor_requests
      where migration_id = ${migrationId} and phase = 'full' and stage = 'reconcile' and vendor = 'front'
      order by object`;
    console.log(
      `read-back requests per record: ${rows.map((r) => `${r.object} ${r.requests}/${r.records} = ${(r.requests / Math.max(1, r.records)).toFixed(2)}`).join(', ')}`,
    );
  });
});
