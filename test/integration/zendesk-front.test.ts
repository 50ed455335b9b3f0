import type { LoadedPlan } from '../../plan/load';
import { estimateFullPhase } from '../../connectors/estimate';
import { formatEstimate } from '../../scripts/commands/status';
import type { RunningSandbox } from '../../sandboxes/core/server';
import { frontCollections, type FrontTeammate } from '../../sandboxes/front';
import { attachmentSha256 } from '../../sandboxes/generate/attachments';
import { touchHelpdesk } from '../../sandboxes/generate/helpdesk';
import { zendeskCollections } from '../../sandboxes/zendesk';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { threadsAsSent, type ZendeskFrontRig, zendeskFrontRig } from '../support/zendesk-front';

/**
 * Zendesk → Front through the five phases against both sandboxes over real HTTP: every ticket becomes a
 * conversation with its public comments threaded in order, its notes as comments, its state as status,
 * assignee, tags and custom fields; every phase reconciles exactly; no record is written twice; a delta
 * brings new tickets, new comments, status changes and a deleted ticket; the rollback leaves Front as it was.
 */
jest.setTimeout(600_000);

const FRONT_COLLECTIONS = ['contacts', 'conversations', 'messages', 'comments', 'tags', 'message_templates'];
const TICKETS = Number(process.env.TERN_TEST_ZF_TICKETS ?? 2000);

/** Front's records, minus the clocks the server keeps itself. */
function frontSnapshot(front: RunningSandbox): string {
  const out: Record<string, unknown> = {};
  for (const name of FRONT_COLLECTIONS) {
    const records = [...front.store.collection(name).values()].map((r) => {
      const { updated_at: _u, ...rest } = r;
      return rest;
    });
    out[name] = records.sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  }
  return JSON.stringify(out);
}

describe('Zendesk → Front, five phases against the sandboxes', () => {
  let rig: ZendeskFrontRig;
  let staging: Staging;
  let loaded: LoadedPlan;
  let zendesk: RunningSandbox;
  let front: RunningSandbox;
  let migrationId: string;
  let before: string;

  const run = <P extends 'preferences' | 'sample' | 'full' | 'delta' | 'rollback'>(phase: P) => rig.run(phase);
  const object = (r: PhaseResult, name: string) => r.objects.find((o) => o.object === name)!;
  /** The most times any one message, note or tag was created (updates of a conversation are not creations). */
  const maxWrites = (sb: RunningSandbox) => {
    const summary = sb.writes.summary();
    return Math.max(0, ...['messages', 'comments', 'tags'].map((c) => summary[c]?.maxWrites ?? 0));
  };

  const tickets = () => [...zendeskCollections.tickets(zendesk.store).values()];
  const liveTickets = () => tickets().filter((t) => t.status !== 'deleted');
  const commentsOf = (ticketId: number) =>
    [...zendeskCollections.comments(zendesk.store).values()]
      .filter((c) => c.ticket_id === ticketId)
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  const conversationOf = (ticketId: number) =>
    [...frontCollections.conversations(front.store).values()].find(
      (c) => c.thread_key === `ref:zendesk-ticket-${ticketId}` && c.status !== 'deleted',
    );

  beforeAll(async () => {
    // A generated 12-year helpdesk: growing volume, agents who left, deleted users, merged and deleted tickets,
    // unicode and HTML bodies, custom fields, attachments (some of several MB).
    rig = await zendeskFrontRig({ prefix: 'mig_zf', seed: 11, size: TICKETS });
    ({ staging, loaded, zendesk, front, migrationId } = rig);

    // The Zendesk agents Front knows: three invited as teammates, one blocked; the others left the company.
    const agents = [...zendeskCollections.users(zendesk.store).values()].filter((u) => u.role !== 'end-user');
    agents.slice(0, 4).forEach((agent, i) => {
      const teammate: FrontTeammate = {
        id: `tea_zd${i}`,
        email: agent.email,
        username: `zd${i}`,
        first_name: agent.name.split(' ')[0]!,
        last_name: agent.name.split(' ').slice(1).join(' '),
        is_admin: false,
        is_available: true,
        is_blocked: i === 3,
        type: 'user',
      };
      frontCollections.teammates(front.store).set(teammate.id, teammate as FrontTeammate & Record<string, unknown>);
    });
    // One end user already writes to the company: Front has their contact, which Tern updates (not duplicates).
    const known = [...zendeskCollections.users(zendesk.store).values()].find((u) => u.role === 'end-user' && u.active)!;
    frontCollections.contacts(front.store).set('crd_existing', {
      id: 'crd_existing',
      name: 'Known from live mail',
      description: 'Met at the trade fair',
      handles: [{ handle: known.email, source: 'email' }],
      links: [],
      group_names: [],
      list_names: [],
      custom_fields: {},
      is_private: false,
      created_at: 1_600_000_000,
      updated_at: 1_600_000_000,
    });
    // A template Front already has under a macro's name: Tern updates it, the rollback gives it back.
    frontCollections.messageTemplates(front.store).set('rsp_existing', {
      id: 'rsp_existing',
      name: 'Ask for a screenshot',
      subject: null,
      body: '<p>Old wording</p>',
      folder_id: null,
      inbox_ids: null,
      created_at: 1_600_000_000,
      updated_at: 1_600_000_000,
    });
    before = frontSnapshot(front);
  });

  afterAll(async () => {
    await rig?.close();
  });

  let full: PhaseResult;

  test('preferences: validates the plan against Front and writes nothing', async () => {
    const result = await run('preferences');
    expect(result.ok).toBe(true);
    expect(frontSnapshot(front)).toBe(before);
  });

  test('sample: about a tenth of the tickets, each with all its comments, reconciled', async () => {
    const sample = await run('sample');
    for (const o of sample.objects) {
      expect({ object: o.object, ok: o.ok, unaccounted: o.unaccounted, mismatches: o.checksumMismatches }).toEqual({
        object: o.object,
        ok: true,
        unaccounted: 0,
        mismatches: 0,
      });
    }
    const conversations = object(sample, 'conversations');
    expect(conversations.loaded).toBeGreaterThan(0);
    expect(conversations.loaded).toBeLessThan(liveTickets().length / 4);
    // Every sampled ticket has its whole thread.
    for (const c of [...frontCollections.conversations(front.store).values()]) {
      if (!c.thread_key?.startsWith('ref:zendesk-ticket-')) continue;
      const ticketId = Number(c.thread_key.replace('ref:zendesk-ticket-', ''));
      const messages = [...frontCollections.messages(front.store).values()].filter((m) => m.conversation_id === c.id);
      expect(messages).toHaveLength(commentsOf(ticketId).filter((x) => x.public).length);
    }
    expect(maxWrites(front)).toBe(1);

    // What the rest will cost at Front's and Zendesk's documented limits, from what the sample measured.
    const estimate = (await estimateFullPhase(staging.sql, migrationId, loaded.plan))!;
    expect(estimate.rates.front).toBeCloseTo(200 / 60, 5);
    expect(estimate.rates['zendesk-exports']).toBeCloseTo(10 / 60, 5);
    const messagesLoad = estimate.stages.find((s) => s.object === 'messages' && s.stage === 'load')!;
    const messagesSample = object(sample, 'messages');
    const publicComments = liveTickets()
      .flatMap((t) => commentsOf(t.id))
      .filter((c) => c.public).length;
    // One import per message (plus, per page, the teammate and inbox lists): nothing retried, nothing skipped.
    const remaining = publicComments - messagesSample.loaded;
    expect(messagesLoad.requests.front).toBeGreaterThanOrEqual(remaining);
    expect(messagesLoad.requests.front).toBeLessThan(remaining * 1.1);
    expect(messagesLoad.seconds).toBe(Math.round(messagesLoad.requests.front! / (200 / 60)));
    expect(estimate.seconds).toBeGreaterThan(messagesLoad.seconds);
    expect(formatEstimate(estimate)[0]).toMatch(/^full phase estimate at documented limits \(front 200\/min/);
    // The account's set-up (teammates, inboxes, custom fields and tags read, the tickets' tags created) is metered
    // apart: the estimate adds it once instead of once per 500 tickets.
    const created = front.stats().byOperation['create-tag'] ?? 0;
    const [setup] = await staging.sql<{ requests: number }[]>`
      select coalesce(sum(setup_requests), 0)::int as requests from vendor_requests
      where migration_id = ${migrationId} and phase = 'sample' and vendor = 'front'`;
    expect(created).toBeGreaterThan(0);
    expect(setup!.requests).toBeGreaterThan(created);
  });

  test('full: every ticket a conversation, every comment a message or a note, exactly once', async () => {
    full = await run('full');
    expect(full.ok).toBe(true);
    const live = liveTickets();
    const comments = live.flatMap((t) => commentsOf(t.id));
    expect(object(full, 'conversations')).toMatchObject({ source: live.length, loaded: live.length, quarantined: 0 });
    expect(object(full, 'messages')).toMatchObject({
      source: comments.length,
      loaded: comments.filter((c) => c.public).length,
      filtered: comments.filter((c) => !c.public).length,
      quarantined: 0,
      checksumMismatches: 0,
    });
    expect(object(full, 'notes')).toMatchObject({
      loaded: comments.filter((c) => !c.public).length,
      checksumMismatches: 0,
    });
    expect(maxWrites(front)).toBe(1);
    const imported = <T extends { id: string }>(records: Iterable<T>, inTicket: (r: T) => boolean) =>
      [...records].filter(inTicket).length;
    const ticketConversations = new Set(
      [...frontCollections.conversations(front.store).values()]
        .filter((c) => c.thread_key?.startsWith('ref:zendesk-ticket-'))
        .map((c) => c.id),
    );
    expect(ticketConversations.size).toBe(live.length);
    expect(
      imported(frontCollections.messages(front.store).values(), (m) => ticketConversations.has(m.conversation_id)),
    ).toBe(comments.filter((c) => c.public).length);
    expect(
      imported(frontCollections.comments(front.store).values(), (c) => ticketConversations.has(c.conversation_id)),
    ).toBe(comments.filter((c) => !c.public).length);

    // Agents find their history as they knew it: threads in order, timestamps, direction, state.
    const users = zendeskCollections.users(zendesk.store);
    for (const ticket of live.slice(0, 60)) {
      const conversation = conversationOf(ticket.id)!;
      expect(conversation).toBeDefined();
      const thread = [...frontCollections.messages(front.store).values()]
        .filter((m) => m.conversation_id === conversation.id)
        .sort((a, b) => a.created_at - b.created_at);
      const publicComments = commentsOf(ticket.id).filter((c) => c.public);
      expect(thread.map((m) => m.external_id)).toEqual(publicComments.map((c) => `zendesk-comment-${c.id}`));
      expect(thread.map((m) => m.created_at)).toEqual(publicComments.map((c) => Date.parse(c.created_at) / 1000));
      expect(thread.map((m) => m.is_inbound)).toEqual(
        publicComments.map((c) => users.get(String(c.author_id))?.role === 'end-user'),
      );
      expect(conversation.status === 'archived').toBe(ticket.status === 'solved' || ticket.status === 'closed');
      const tagNames = conversation.tag_ids.map((id) => frontCollections.tags(front.store).get(id)!.name);
      expect(tagNames).toEqual(
        expect.arrayContaining([...ticket.tags, `zd: ${ticket.status === 'hold' ? 'on hold' : ticket.status}`]),
      );
      if (ticket.priority) expect(tagNames).toContain(`priority: ${ticket.priority}`);
      const region = ticket.custom_fields.find((f) => f.id === 360001000002)?.value;
      expect(conversation.custom_fields.Region ?? null).toBe(typeof region === 'string' ? region.toUpperCase() : null);
    }
    // Messages and notes load in groups of tickets side by side; each thread's messages and each conversation's
    // notes reached Front one after another, in the ticket's order.
    const { expected, got } = threadsAsSent(zendesk, front);
    expect(expected.size).toBe(live.length);
    for (const [thread, entries] of expected)
      expect({ thread, got: got.get(thread) }).toEqual({ thread, got: entries });
    // Agents Front does not know are written as the fallback teammate, with the original author shown.
    const fallback = [...frontCollections.teammates(front.store).values()].find(
      (t) => t.email === 'leia@support.example.com',
    )!;
    const byFallback = [...frontCollections.messages(front.store).values()].filter(
      (m) => !m.is_inbound && m.author_id === fallback.id,
    );
    expect(byFallback.length).toBeGreaterThan(0);
    for (const m of byFallback) expect(m.body).toMatch(/^<p><em>Originally written by .+ &lt;.+@.+&gt;<\/em><\/p>/);
    // Every attachment of every public comment is on its message, byte for byte.
    const messagesByExternalId = new Map(
      [...frontCollections.messages(front.store).values()].map((m) => [m.external_id, m]),
    );
    let attachments = 0;
    let bytes = 0;
    for (const c of comments.filter((x) => x.public && x.attachments.length > 0)) {
      const m = messagesByExternalId.get(`zendesk-comment-${c.id}`)!;
      expect((m.attachments ?? []).map((a) => [a.filename, a.content_type, a.size, a.sha256])).toEqual(
        c.attachments.map((a) => [a.file_name, a.content_type, a.size, attachmentSha256(a)]),
      );
      attachments += c.attachments.length;
      bytes += c.attachments.reduce((n, a) => n + a.size, 0);
    }
    // And every attachment of a private note is on its Front comment.
    const noteFiles = comments
      .filter((x) => !x.public)
      .flatMap((c) => c.attachments.map((a) => `${a.file_name}|${a.size}|${attachmentSha256(a)}`))
      .sort();
    const frontNoteFiles = [...frontCollections.comments(front.store).values()]
      .filter((c) => ticketConversations.has(c.conversation_id))
      .flatMap((c) => (c.attachments ?? []).map((a) => `${a.filename}|${a.size}|${a.sha256}`))
      .sort();
    expect(frontNoteFiles).toEqual(noteFiles);
    attachments += noteFiles.length;
    expect(attachments).toBeGreaterThan(20);
    console.log(`zendesk-front: ${attachments} attachments, ${(bytes / 1e6).toFixed(1)} MB streamed`);
    // Active macros with a reply are templates (one updated in place), the others filtered by a named rule.
    const macros = [...zendeskCollections.macros(zendesk.store).values()];
    const withReply = macros.filter((m) => m.active && m.actions.some((a) => a.field.startsWith('comment_value')));
    expect(object(full, 'templates')).toMatchObject({
      source: macros.length,
      loaded: withReply.length,
      filtered: macros.length - withReply.length,
      checksumMismatches: 0,
    });
    const templates = [...frontCollections.messageTemplates(front.store).values()];
    expect(templates.map((t) => t.name).sort()).toEqual(withReply.map((m) => m.title).sort());
    expect(templates.find((t) => t.id === 'rsp_existing')!.body).not.toBe('<p>Old wording</p>');
    expect(templates.find((t) => t.name === 'Billing: forwarded')!.body).toContain('<strong>billing team</strong>');
    expect(templates.some((t) => t.body.includes('In Zendesk this macro also set: status'))).toBe(true);
    // The contact Front already had was updated in place, not duplicated.
    const handles = [...frontCollections.contacts(front.store).values()].flatMap((c) => c.handles.map((h) => h.handle));
    expect(new Set(handles).size).toBe(handles.length);
    expect(zendesk.stats().specViolations).toEqual([]);
    expect(front.stats().specViolations).toEqual([]);
  });

  test('delta: new tickets and comments, status changes and a deleted ticket reach Front', async () => {
    // Tickets the change feed reads again because they changed within the overlap window before the mark.
    const mark = Math.max(...liveTickets().map((t) => Date.parse(t.updated_at)));
    const inOverlap = liveTickets().filter((t) => Date.parse(t.updated_at) >= mark - 300_000).length;
    const touched = touchHelpdesk(zendesk.store, {
      seed: 5,
      newTickets: 4,
      newComments: 6,
      statusChanges: 6,
      deletes: 2,
      at: Date.now() - 3 * 60_000,
    });
    const zt = zendeskCollections.tickets(zendesk.store);
    const listsBefore = zendesk.stats().byOperation.ListTicketComments ?? 0;
    const delta = await run('delta');
    // Read from the change feed: only the touched tickets' comments were listed (for messages and for notes).
    const touchedTickets =
      touched.newTicketIds.length + touched.commentedTicketIds.length + touched.statusChangedTicketIds.length;
    const lists = (zendesk.stats().byOperation.ListTicketComments ?? 0) - listsBefore;
    expect(lists).toBeLessThanOrEqual(2 * (touchedTickets + inOverlap));
    expect(lists).toBeLessThan(liveTickets().length / 4);
    expect(delta.delta!.filter((d) => d.incremental).map((d) => d.object)).toEqual([
      'contacts',
      'messages',
      'conversations',
      'notes',
    ]);
    if (!delta.ok) console.log(JSON.stringify(delta.objects, null, 1));
    expect(delta.ok).toBe(true);
    for (const id of touched.deletedTicketIds) expect(conversationOf(id)).toBeUndefined();
    for (const id of touched.newTicketIds) expect(conversationOf(id)).toBeDefined();
    for (const id of touched.statusChangedTicketIds) {
      const status = zt.get(String(id))!.status;
      expect(conversationOf(id)!.status === 'archived').toBe(status === 'solved' || status === 'closed');
    }
    const imported = new Set([...frontCollections.messages(front.store).values()].map((m) => m.external_id));
    for (const id of touched.newCommentIds) {
      const comment = zendeskCollections.comments(zendesk.store).get(String(id))!;
      if (comment.public) expect(imported.has(`zendesk-comment-${id}`)).toBe(true);
    }
    expect(object(delta, 'conversations').deleted).toBe(touched.deletedTicketIds.length);
    // Reconciled after the delta: everything the source still holds is in Front as Tern wrote it.
    const live = liveTickets();
    expect(object(delta, 'conversations')).toMatchObject({
      source: live.length,
      loaded: live.length,
      checksumMismatches: 0,
    });
    expect(maxWrites(front)).toBe(1);
    expect(zendesk.stats().specViolations).toEqual([]);
    expect(front.stats().specViolations).toEqual([]);
  });

  test('rollback: Front is left exactly as it was', async () => {
    const result = await run('rollback');
    expect(result.ok).toBe(true);
    expect(result.extras.remaining).toEqual([]);
    expect(frontSnapshot(front)).toBe(before);
  });
});
