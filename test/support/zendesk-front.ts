import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import { SANDBOX_CREDENTIALS, sandboxPlan } from '../../scripts/bench/zendesk-front';
import type { RunnablePhase } from '../../scripts/client/phases';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import { runPhase, testClient, testSettings, testStaging, uniqueId } from './harness';

/**
 * A Zendesk → Front migration for integration tests: both sandboxes (seeded, limits raised), the example plan
 * pointed at them, and each phase run to its end in a worker of the test's own.
 */
export interface ZendeskFrontRig {
  staging: Staging;
  client: Client;
  settings: TernSettings;
  zendesk: RunningSandbox;
  front: RunningSandbox;
  /** The example plan; a test may narrow its objects or page sizes before the first phase. */
  loaded: LoadedPlan;
  migrationId: string;
  run<P extends RunnablePhase>(phase: P): ReturnType<typeof runPhase<P>>;
  close(): Promise<void>;
}

export async function zendeskFrontRig(options: {
  prefix: string;
  seed: number;
  size: number;
}): Promise<ZendeskFrontRig> {
  const staging = await testStaging();
  const settings = testSettings();
  const client = await testClient(settings);
  const zendesk = await startSandbox(zendeskSandbox, { seed: options.seed, size: options.size, rate: 2000 });
  const front = await startSandbox(frontSandbox, { seed: options.seed, rate: 2000 });
  Object.assign(process.env, SANDBOX_CREDENTIALS);
  const migrationId = uniqueId(options.prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tern-${options.prefix}-`));
  const loaded = sandboxPlan(migrationId, zendesk.url, front.url, dir);
  return {
    staging,
    client,
    settings,
    zendesk,
    front,
    loaded,
    migrationId,
    run: (phase) => runPhase({ staging, client, settings, loaded, migrationId }, phase),
    async close() {
      await zendesk.close();
      await front.close();
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Each live ticket's comments by thread (`ref:zendesk-ticket-<id>`), as the ticket had them (its public comments as
 * messages, then its private notes, each in time order) and as Front received them (the sandbox numbers records in
 * the order it is sent them). A note is known by its text after the header Tern writes (original author and time).
 */
export function threadsAsSent(zendesk: RunningSandbox, front: RunningSandbox) {
  const live = new Set(
    [...zendeskCollections.tickets(zendesk.store).values()].filter((t) => t.status !== 'deleted').map((t) => t.id),
  );
  const comments = [...zendeskCollections.comments(zendesk.store).values()]
    .filter((c) => live.has(c.ticket_id))
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  const expected = new Map<string, string[]>();
  for (const c of [...comments.filter((c) => c.public), ...comments.filter((c) => !c.public)]) {
    const thread = `ref:zendesk-ticket-${c.ticket_id}`;
    expected.set(thread, [
      ...(expected.get(thread) ?? []),
      c.public ? `message zendesk-comment-${c.id}` : `note ${c.html_body}`,
    ]);
  }
  const sent = (r: { id: string }) => parseInt(r.id.slice(r.id.indexOf('_') + 1), 36);
  const threadOf = new Map(
    [...frontCollections.conversations(front.store).values()].map((c) => [c.id, c.thread_key ?? c.id]),
  );
  const got = new Map<string, string[]>();
  const add = (conversation: string, entry: string) => {
    const thread = threadOf.get(conversation) ?? conversation;
    got.set(thread, [...(got.get(thread) ?? []), entry]);
  };
  for (const m of [...frontCollections.messages(front.store).values()].sort((a, b) => sent(a) - sent(b)))
    add(m.conversation_id, `message ${m.external_id}`);
  const header = '</em></p>';
  for (const c of [...frontCollections.comments(front.store).values()].sort((a, b) => sent(a) - sent(b)))
    add(c.conversation_id, `note ${c.body.slice(c.body.indexOf(header) + header.length)}`);
  return { expected, got };
}
