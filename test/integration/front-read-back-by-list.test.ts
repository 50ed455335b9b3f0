import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { ActivityContext } from '../../activities/deps';
import { refOf } from '../../activities/load';
import { reconcileObject } from '../../activities/reconcile';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import { inboxConversations } from '../../connectors/front/conversations';
import { Listings } from '../../connectors/front/listing';
import { FrontRecords } from '../../connectors/front/records';
import type { FrontTarget } from '../../connectors/front/target';
import type { TernSettings } from '../../common/config';
import type { LoadedPlan } from '../../plan/load';
import { SANDBOX_CREDENTIALS, sandboxPlan } from '../../scripts/bench/zendesk-front';
import { startPhase } from '../../scripts/client/phases';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * The reconciliation reads Front back through its listings (an inbox's conversations, the company's contacts, each
 * conversation's messages), a hundred records a request, instead of one request per record, and proves as much as
 * before: every written field of every record compared, a record changed in Front behind Tern's back named with
 * its object, source id and field, and a record no listing shows read by its id, so one gone is reported missing.
 */
jest.setTimeout(600_000);

describe('Front read-back by list', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let loaded: LoadedPlan;
  let zendesk: RunningSandbox;
  let front: RunningSandbox;
  const migrationId = uniqueId('mig_frl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-frl-'));

  const run = (phase: 'sample' | 'full') =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return started.handle.result();
    });
  /** Reconciles one object again and counts the Front operations it sent. */
  const reconcile = async (object: string) => {
    const before = { ...front.stats().byOperation };
    const report: ObjectReconciliation = await new MockActivityEnvironment().run(() =>
      reconcileObject(new ActivityContext({ staging }), { migrationId, object, phase: 'full' }),
    );
    const sent = (operation: string) => (front.stats().byOperation[operation] ?? 0) - (before[operation] ?? 0);
    return { report, sent };
  };
  const ticketConversations = () =>
    [...frontCollections.conversations(front.store).values()].filter((c) =>
      c.thread_key?.startsWith('ref:zendesk-ticket-'),
    );
  const ticketOf = (threadKey: string | null) => threadKey!.replace('ref:zendesk-ticket-', '');

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    zendesk = await startSandbox(zendeskSandbox, { seed: 16, size: 80, rate: 2000 });
    front = await startSandbox(frontSandbox, { seed: 16, rate: 2000 });
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
    await client?.connection.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a full phase reconciles clean, reading conversations and contacts by list', async () => {
    expect((await run('sample')).ok).toBe(true);
    const before = { ...front.stats().byOperation };
    const full = await run('full');
    expect(full.objects.map((o) => ({ object: o.object, ok: o.ok, mismatches: o.checksumMismatches }))).toEqual(
      full.objects.map((o) => ({ object: o.object, ok: true, mismatches: 0 })),
    );
    const during = (operation: string) => (front.stats().byOperation[operation] ?? 0) - (before[operation] ?? 0);
    expect(during('list-inbox-conversations')).toBeGreaterThan(0);
    // The read-back reads no conversation by id; the load reads only those the sample wrote before updating them.
    expect(during('get-conversation-by-id')).toBeLessThan(ticketConversations().length / 4);
    expect(front.stats().specViolations).toEqual([]);
  });

  test('a message changed in Front is caught when its conversation is found through the inbox’s listing', async () => {
    // The read-back has not learnt which conversation holds which thread: it lists the inbox to find them.
    await staging.sql`
      update target_extras set detail = null where migration_id = ${migrationId} and kind = 'thread'`;
    const message = [...frontCollections.messages(front.store).values()].find((m) =>
      m.external_id?.startsWith('zendesk-comment-'),
    )!;
    frontCollections.messages(front.store).set(message.id, { ...message, body: `${message.body}<p>edited</p>` });

    const { report, sent } = await reconcile('messages');
    expect(report.object).toBe('messages');
    expect(report.checksumMismatches).toBe(1);
    expect(report.mismatchExamples).toEqual([
      { sourceId: message.external_id!.replace('zendesk-comment-', ''), fields: ['body'] },
    ]);
    expect(report.readBack.records).toBe(report.loaded);
    expect(sent('list-inbox-conversations')).toBeGreaterThan(0);
    expect(sent('get-message')).toBe(0);
    // Every conversation's messages listed once, a hundred a request, not one request per message.
    expect(sent('list-conversation-messages')).toBeLessThanOrEqual(ticketConversations().length + 1);
    expect(sent('list-conversation-messages')).toBeLessThan(report.loaded / 2);
    // What the listing taught is kept: the thread's conversation is in Tern's extras again.
    const [unknown] = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from target_extras
      where migration_id = ${migrationId} and kind = 'thread' and detail is null`;
    expect(unknown!.n).toBe(0);
  });

  test('messages the walk listed and could not keep waiting are found by listing their conversation again', async () => {
    await staging.sql`
      update target_extras set detail = null where migration_id = ${migrationId} and kind = 'thread'`;
    const target = (await new ActivityContext({ staging }).target(loaded.plan, migrationId)) as FrontTarget;
    const ctx = { api: target.api, account: target.account, extras: target.extras, customFields: new Map() };
    // Listed messages nobody asked for yet: at most 5 wait (the worker's bound is 20,000).
    const records = new FrontRecords(ctx, 'messages', new Listings({ items: 5 }));
    const written = await staging.sql<{ source_id: string; target_id: string }[]>`
      select source_id, target_id from id_map
      where migration_id = ${migrationId} and object = 'messages' and state = 'written' order by source_id`;
    const stored = new Map([...frontCollections.messages(front.store).values()].map((m) => [m.message_uid, m]));
    const conversationOf = new Map([...stored].map(([uid, m]) => [uid, m.conversation_id]));
    // The inbox's first ten conversations, as its listing gives them: walked past while the first read asks for
    // everything else, their messages wait, and all but five are dropped.
    let first: string[] = [];
    for await (const page of inboxConversations(ctx)) {
      first = page.slice(0, 10).map((c) => c.id);
      break;
    }
    const early = written.filter((r) => first.includes(conversationOf.get(r.target_id)!));
    const rest = written.filter((r) => !first.includes(conversationOf.get(r.target_id)!));
    const conversations = new Set(early.map((r) => conversationOf.get(r.target_id))).size;
    expect(conversations).toBeGreaterThanOrEqual(5);
    expect(early.length).toBeGreaterThan(2 * conversations);
    const refs = (rows: readonly { source_id: string; target_id: string }[]) =>
      rows.map((r) => refOf(r.source_id, { targetId: r.target_id, state: 'written' }));
    const fields = ['body'];

    const all = await records.lookup(refs(rest), fields);
    expect(all.size).toBe(rest.length);
    const before = { ...front.stats().byOperation };
    const found = await records.lookup(refs(early), fields);
    const sent = (operation: string) => (front.stats().byOperation[operation] ?? 0) - (before[operation] ?? 0);
    expect(found.size).toBe(early.length);
    for (const r of early) expect(found.get(r.source_id)?.body).toBe(stored.get(r.target_id)?.body);
    // A message read by id names its conversation, which is listed again: at most one read and one listing per
    // conversation, never one read per message.
    expect(sent('get-message')).toBeLessThanOrEqual(conversations);
    expect(sent('list-conversation-messages')).toBeLessThanOrEqual(conversations);
  });

  test('a conversation changed in Front is named by the inbox listing, and one trashed is read by id and missing', async () => {
    const [changed, trashed] = ticketConversations().filter((c) => c.status !== 'deleted');
    frontCollections.conversations(front.store).set(changed!.id, {
      ...changed!,
      status: changed!.status === 'archived' ? 'unassigned' : 'archived',
    });
    frontCollections.conversations(front.store).set(trashed!.id, { ...trashed!, status: 'deleted' });

    const { report, sent } = await reconcile('conversations');
    expect(report.object).toBe('conversations');
    expect(report.checksumMismatches).toBe(2);
    expect(report.mismatchExamples).toEqual(
      expect.arrayContaining([
        { sourceId: ticketOf(changed!.thread_key), fields: ['status'] },
        expect.objectContaining({ sourceId: ticketOf(trashed!.thread_key), missing: true }),
      ]),
    );
    expect(sent('list-inbox-conversations')).toBeGreaterThan(0);
    // Only the trashed one, which the inbox no longer lists, is read by its id.
    expect(sent('get-conversation-by-id')).toBe(1);
  });

  test('a contact changed in Front is named by the company’s contact listing', async () => {
    // A contact Tern created or updated, with the end user it came from, as Tern's ledger has them.
    const [written] = await staging.sql<{ source_id: string; target_id: string }[]>`
      select source_id, target_id from id_map
      where migration_id = ${migrationId} and object = 'contacts' and state = 'written'
      order by source_id limit 1`;
    const contact = frontCollections.contacts(front.store).get(written!.target_id)!;
    expect(zendeskCollections.users(zendesk.store).get(written!.source_id)?.email.toLowerCase()).toBe(
      contact.handles[0]!.handle.toLowerCase(),
    );
    frontCollections.contacts(front.store).set(contact.id, { ...contact, name: `${contact.name ?? ''} (edited)` });

    const { report, sent } = await reconcile('contacts');
    expect(report.object).toBe('contacts');
    expect(report.checksumMismatches).toBe(1);
    expect(report.mismatchExamples).toEqual([{ sourceId: written!.source_id, fields: ['name'] }]);
    expect(sent('list-contacts')).toBeGreaterThan(0);
    expect(sent('get-contact')).toBe(0);
  });
});
