import { threadsAsSent, type ZendeskFrontRig, zendeskFrontRig } from '../support/zendesk-front';

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

    const { expected, got } = threadsAsSent(zendesk, front);
    for (const [thread, entries] of expected)
      expect({ thread, got: got.get(thread) }).toEqual({ thread, got: entries });
    // Nothing of Tern's in a conversation of no live ticket (Front's own conversations are its business).
    expect([...got.keys()].filter((thread) => thread.startsWith('ref:zendesk-') && !expected.has(thread))).toEqual([]);
  });
});
