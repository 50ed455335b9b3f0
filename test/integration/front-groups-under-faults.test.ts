import { frontCollections } from '../../sandboxes/front';
import { zendeskCollections } from '../../sandboxes/zendesk';
import { type ZendeskFrontRig, zendeskFrontRig } from '../support/zendesk-front';

/**
 * Front's messages and notes load in groups of tickets side by side (activities/order-groups.ts). Under Front's
 * faults (5xx, connections reset before a request is handled, writes committed and then their answer dropped) every
 * comment still reaches Front exactly once, counted in Front's own store, and each thread's messages and each
 * conversation's notes arrive in the ticket's order: a write retried after its answer was lost is found again, never
 * repeated after the next one.
 */
describe('Zendesk → Front in groups of tickets, under faults', () => {
  let rig: ZendeskFrontRig;

  beforeAll(async () => {
    rig = await zendeskFrontRig({ prefix: 'mig_zf_faults', seed: 23, size: 250 });
  });
  afterAll(async () => {
    await rig?.close();
  });

  test('every comment once, every thread and every conversation’s notes in order', async () => {
    const { front, zendesk } = rig;
    expect((await rig.run('preferences')).ok).toBe(true);
    front.setFaults({ error5xx: 0.03, reset: 0.02, commitThenDrop: 0.03 });
    const full = await rig.run('full');
    front.setFaults({});
    const stats = front.stats();
    expect(stats.injected5xx).toBeGreaterThan(0);
    expect(stats.resets).toBeGreaterThan(0);
    expect(stats.commitThenDrop).toBeGreaterThan(0);
    expect(full.ok).toBe(true);
    const summary = front.writes.summary();
    expect(Math.max(summary.messages?.maxWrites ?? 0, summary.comments?.maxWrites ?? 0)).toBe(1);

    const live = new Set(
      [...zendeskCollections.tickets(zendesk.store).values()].filter((t) => t.status !== 'deleted').map((t) => t.id),
    );
    const comments = [...zendeskCollections.comments(zendesk.store).values()]
      .filter((c) => live.has(c.ticket_id))
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
    // Messages and notes as each ticket had them, and as Front got them (the sandbox numbers records as they come).
    const expected = new Map<string, string[]>();
    for (const c of comments) {
      const key = `ref:zendesk-ticket-${c.ticket_id}`;
      expected.set(key, [
        ...(expected.get(key) ?? []),
        c.public ? `message zendesk-comment-${c.id}` : `note ${c.html_body}`,
      ]);
    }
    const sent = (r: { id: string }) => parseInt(r.id.slice(r.id.indexOf('_') + 1), 36);
    const got = new Map<string, string[]>();
    const threadOf = new Map(
      [...frontCollections.conversations(front.store).values()].map((c) => [c.id, c.thread_key ?? '']),
    );
    const add = (conversation: string, entry: string) => {
      const key = threadOf.get(conversation) ?? conversation;
      got.set(key, [...(got.get(key) ?? []), entry]);
    };
    for (const m of [...frontCollections.messages(front.store).values()].sort((a, b) => sent(a) - sent(b)))
      add(m.conversation_id, `message ${m.external_id}`);
    // Notes after the messages: a ticket's conversation gets its notes once its messages are in.
    for (const c of [...frontCollections.comments(front.store).values()].sort((a, b) => sent(a) - sent(b))) {
      // The note's text after the header Tern writes (its original author and time).
      const header = '</em></p>';
      add(c.conversation_id, `note ${c.body.slice(c.body.indexOf(header) + header.length)}`);
    }
    const inOrder = (entries: string[]) => [
      ...entries.filter((e) => e.startsWith('message ')),
      ...entries.filter((e) => e.startsWith('note ')),
    ];
    for (const [thread, entries] of expected)
      expect({ thread, got: got.get(thread) }).toEqual({ thread, got: inOrder(entries) });
    // Nothing of Tern's in a conversation of no live ticket (Front's own conversations are its business).
    expect([...got.keys()].filter((thread) => thread.startsWith('ref:zendesk-') && !expected.has(thread))).toEqual([]);
  });
});
