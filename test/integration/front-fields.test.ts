import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import { ActivityContext } from '../../activities/deps';
import { reconcileObject } from '../../activities/reconcile';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { SANDBOX_CREDENTIALS } from '../../scripts/bench/zendesk-front';
import { startPhase } from '../../scripts/client/phases';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox, type FrontTeammate } from '../../sandboxes/front';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * Zendesk → Front with a plan that leaves to Front what it does not map: messages without `author`, conversations
 * without `assignee`. What Front's target adds itself (author_id, assignee_id, the tag list) is checksummed when it
 * is written and read back the same way, so the proof is clean; a record changed in Front behind Tern's back is
 * named with its object, source id and field. Contacts carry Front contact custom fields, and notes (a ticket's
 * comments, and a resolution note per solved ticket) carry their author from a plan field.
 */
jest.setTimeout(300_000);

const TICKETS = 30;

function planText(name: string, zendeskUrl: string, frontUrl: string): string {
  return `
version: 1
name: ${name}
source:
  kind: zendesk
  baseUrl: ${zendeskUrl}
  credentials: { kind: basic-token, emailEnv: TERN_SANDBOX_ZENDESK_EMAIL, tokenEnv: TERN_SANDBOX_ZENDESK_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
target:
  kind: front
  baseUrl: ${frontUrl}
  credentials: { kind: bearer, tokenEnv: TERN_SANDBOX_FRONT_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
  inbox: Support
  fallbackTeammate: leia@support.example.com
objects:
  - name: contacts
    source: { resource: users, id: id, updatedAt: updated_at }
    target: { resource: contacts, key: email }
    filters:
      - { name: agents-are-teammates, field: role, in: [agent, admin] }
      - { name: no-email, field: email, blank: true }
    dedupe: { key: [email], survivor: latest_updated }
    sample: { percent: 20 }
    fields:
      - { from: email, to: email, transform: [trim, lowercase, email, required] }
      - { from: name, to: name }
      - { from: locale, to: cf_language }
      - { from: time_zone, to: cf_time_zone }
      - { from: created_at, to: cf_customer_since, transform: [{ datetime: { format: auto } }] }
  - name: messages
    source: { resource: comments, id: id, updatedAt: ticket_updated_at }
    target: { resource: messages, key: external_id }
    filters:
      - { name: private-notes-go-to-notes, field: public, in: ['false'] }
    sample: { with: { object: conversations, field: ticket_id } }
    fields:
      - { to: external_id, transform: [{ template: { template: 'zendesk-comment-{id}' } }] }
      - { to: thread_ref, transform: [{ template: { template: 'zendesk-ticket-{ticket_id}' } }] }
      - { from: ticket_subject, to: subject }
      - { from: html_body, to: body, transform: [required] }
      - { from: author_email, to: sender_handle, transform: [trim, lowercase, required] }
      - { from: counterpart_email, to: to, transform: [{ default: { value: support@acme.example } }] }
      - { from: direction, to: is_inbound, transform: [{ map: { values: { inbound: true, outbound: false } } }] }
      - { from: created_at, to: created_at, transform: [{ datetime: { format: auto } }] }
  - name: conversations
    source: { resource: tickets, id: id, updatedAt: updated_at }
    target: { resource: conversations, key: thread_ref }
    sample: { percent: 20 }
    fields:
      - { to: thread_ref, transform: [{ template: { template: 'zendesk-ticket-{id}' } }] }
      - from: status
        to: status
        transform:
          - map: { values: { new: open, open: open, pending: open, hold: open, solved: archived, closed: archived } }
  - name: notes
    source: { resource: comments, id: id, updatedAt: ticket_updated_at }
    target: { resource: comments, key: note_ref }
    filters:
      - { name: public-replies-go-to-messages, field: public, in: ['true'] }
    sample: { with: { object: conversations, field: ticket_id } }
    fields:
      - { to: note_ref, transform: [{ template: { template: 'zendesk-comment-{id}' } }] }
      - { from: ticket_id, to: conversation_id, transform: [{ reference: { object: conversations } }] }
      - { from: html_body, to: body, transform: [required] }
      - { from: author_email, to: author }
      - { from: author_name, to: author_name }
      - { from: created_at, to: created_at, transform: [{ datetime: { format: auto } }] }
  - name: resolutions
    source: { resource: tickets, id: id, updatedAt: updated_at }
    target: { resource: comments, key: note_ref }
    filters:
      - { name: unresolved, field: status, in: [new, open, pending, hold, deleted] }
    sample: { with: { object: conversations, field: id } }
    fields:
      - { to: note_ref, transform: [{ template: { template: 'zendesk-resolution-{id}' } }] }
      - { from: id, to: conversation_id, transform: [{ reference: { object: conversations } }] }
      - { to: body, transform: [{ template: { template: 'Resolved in Zendesk as {status}' } }] }
      - { from: assignee_email, to: author }
      - { from: updated_at, to: created_at, transform: [{ datetime: { format: auto } }] }
`;
}

describe('Front: what Tern checksums is what it wrote, contact custom fields and note authors', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let loaded: LoadedPlan;
  let zendesk: RunningSandbox;
  let front: RunningSandbox;
  const migrationId = uniqueId('mig_ff');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-ff-'));
  /** Zendesk agents' emails → the Front teammate Tern must write (the fallback for the unknown and the blocked). */
  const teammateOf = new Map<string, string>();
  const FALLBACK = 'tea_1';

  const run = <P extends 'preferences' | 'sample' | 'full'>(phase: P) =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId });
      return started.handle.result();
    });
  const reconcile = (object: string): Promise<ObjectReconciliation> =>
    new MockActivityEnvironment().run(() =>
      reconcileObject(new ActivityContext({ staging }), { migrationId, object, phase: 'full' }),
    );
  const notOk = (r: PhaseResult) =>
    r.objects
      .filter((o) => !o.ok)
      .map((o) => ({
        object: o.object,
        mismatches: o.checksumMismatches,
        examples: o.mismatchExamples.slice(0, 3),
        // The fidelity check's fields (source ids and counts only), when reconciliation has one.
        fidelity: (o as { fidelity?: { byField?: unknown } }).fidelity?.byField,
      }));
  const tickets = () => [...zendeskCollections.tickets(zendesk.store).values()].filter((t) => t.status !== 'deleted');
  const conversationOf = (ticketId: number) =>
    [...frontCollections.conversations(front.store).values()].find(
      (c) => c.thread_key === `ref:zendesk-ticket-${ticketId}` && c.status !== 'deleted',
    );
  const expectedAuthor = (email: string | null | undefined) =>
    (email && teammateOf.get(email.toLowerCase())) ?? FALLBACK;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    zendesk = await startSandbox(zendeskSandbox, { seed: 29, size: TICKETS, rate: 2000 });
    front = await startSandbox(frontSandbox, { seed: 29, rate: 2000 });
    Object.assign(process.env, SANDBOX_CREDENTIALS);
    // Three agents are Front teammates, a fourth is blocked; the others left the company.
    const agents = [...zendeskCollections.users(zendesk.store).values()].filter((u) => u.role !== 'end-user');
    agents.slice(0, 4).forEach((agent, i) => {
      const teammate: FrontTeammate = {
        id: `tea_zd${i}`,
        email: agent.email,
        username: `zd${i}`,
        first_name: 'Agent',
        last_name: String(i),
        is_admin: false,
        is_available: true,
        is_blocked: i === 3,
        type: 'user',
      };
      frontCollections.teammates(front.store).set(teammate.id, teammate as FrontTeammate & Record<string, unknown>);
      if (i !== 3) teammateOf.set(agent.email.toLowerCase(), teammate.id);
    });
    // An end user Front already knows, with a contact custom field Tern does not map: Tern keeps it.
    const known = [...zendeskCollections.users(zendesk.store).values()].find((u) => u.role === 'end-user' && u.active)!;
    frontCollections.contacts(front.store).set('crd_known', {
      id: 'crd_known',
      name: 'Known from live mail',
      description: null,
      handles: [{ handle: known.email, source: 'email' }],
      links: [],
      group_names: [],
      list_names: [],
      custom_fields: { 'Account manager': 'Leia' },
      is_private: false,
      created_at: 1_600_000_000,
      updated_at: 1_600_000_000,
    });
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, planText(migrationId, zendesk.url, front.url));
    loaded = parsePlan(fs.readFileSync(file, 'utf8'), file);
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

  test('preferences: contact custom fields and note authors are fields Front has', async () => {
    const result = await run('preferences');
    expect(result.ok).toBe(true);
  });

  test('sample: a plan without author or assignee reconciles clean', async () => {
    const sample = await run('sample');
    expect(notOk(sample)).toEqual([]);
    for (const o of sample.objects)
      expect({ object: o.object, mismatches: o.checksumMismatches }).toEqual({ object: o.object, mismatches: 0 });
    expect(sample.objects.find((o) => o.object === 'messages')!.loaded).toBeGreaterThan(0);
  });

  test('full: contacts carry their custom fields, notes their authors, all reconciled', async () => {
    const full = await run('full');
    expect(notOk(full)).toEqual([]);
    expect(full.ok).toBe(true);

    // Every contact Tern wrote holds the source's language, time zone and creation time as Front custom fields.
    const users = [...zendeskCollections.users(zendesk.store).values()].filter((u) => u.role === 'end-user' && u.email);
    const survivors = new Map<string, (typeof users)[number]>();
    for (const u of users) {
      const email = u.email.trim().toLowerCase();
      const seen = survivors.get(email);
      if (!seen || Date.parse(u.updated_at) > Date.parse(seen.updated_at)) survivors.set(email, u);
    }
    const contactOf = (email: string) =>
      [...frontCollections.contacts(front.store).values()].find((c) =>
        c.handles.some((h) => h.handle.toLowerCase() === email),
      );
    let compared = 0;
    for (const [email, u] of survivors) {
      const contact = contactOf(email);
      if (!contact) continue;
      compared += 1;
      expect(contact.custom_fields).toMatchObject({
        Language: u.locale,
        'Time zone': u.time_zone,
        'Customer since': Date.parse(u.created_at) / 1000,
      });
    }
    expect(compared).toBe(full.objects.find((o) => o.object === 'contacts')!.loaded);
    expect(front.store.collection('contacts').get('crd_known')!.custom_fields).toMatchObject({
      'Account manager': 'Leia',
    });

    // Each private note is by its Zendesk author's teammate; each resolution note by its ticket's assignee's.
    const comments = [...frontCollections.comments(front.store).values()];
    const zendeskUsers = zendeskCollections.users(zendesk.store);
    const notes = [...zendeskCollections.comments(zendesk.store).values()].filter(
      (c) => !c.public && tickets().some((t) => t.id === c.ticket_id),
    );
    expect(notes.length).toBeGreaterThan(0);
    for (const note of notes) {
      const conversation = conversationOf(note.ticket_id)!;
      const inFront = comments.filter((c) => c.conversation_id === conversation.id && c.body.endsWith(note.html_body));
      expect(inFront.map((c) => c.author_id)).toEqual([
        expectedAuthor(zendeskUsers.get(String(note.author_id))?.email),
      ]);
    }
    const resolved = tickets().filter((t) => t.status === 'solved' || t.status === 'closed');
    expect(resolved.length).toBeGreaterThan(0);
    for (const ticket of resolved) {
      const conversation = conversationOf(ticket.id)!;
      const inFront = comments.filter(
        (c) => c.conversation_id === conversation.id && c.body.endsWith(`Resolved in Zendesk as ${ticket.status}`),
      );
      const assignee = ticket.assignee_id === null ? undefined : zendeskUsers.get(String(ticket.assignee_id));
      expect(inFront.map((c) => c.author_id)).toEqual([expectedAuthor(assignee?.email)]);
    }
    expect(front.stats().specViolations).toEqual([]);
  });

  test('a record changed in Front behind Tern’s back is named with its object, source id and field', async () => {
    const [ticket] = tickets().filter((t) => conversationOf(t.id));
    const conversation = conversationOf(ticket!.id)!;
    frontCollections.conversations(front.store).set(conversation.id, {
      ...conversation,
      status: conversation.status === 'archived' ? 'unassigned' : 'archived',
    });
    const conversations = await reconcile('conversations');
    expect(conversations.checksumMismatches).toBe(1);
    expect(conversations.mismatchExamples).toEqual([{ sourceId: String(ticket!.id), fields: ['status'] }]);

    const contact = [...frontCollections.contacts(front.store).values()].find((c) => c.custom_fields.Language)!;
    const user = [...zendeskCollections.users(zendesk.store).values()].find(
      (u) =>
        u.email.toLowerCase() === contact.handles[0]!.handle.toLowerCase() &&
        u.locale === contact.custom_fields.Language,
    )!;
    frontCollections.contacts(front.store).set(contact.id, {
      ...contact,
      custom_fields: { ...contact.custom_fields, Language: 'tlh' },
    });
    const contacts = await reconcile('contacts');
    expect(contacts.checksumMismatches).toBe(1);
    expect(contacts.mismatchExamples).toEqual([{ sourceId: String(user.id), fields: ['cf_language'] }]);
  });
});
