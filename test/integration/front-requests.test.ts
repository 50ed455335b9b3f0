import { frontCollections } from '../../sandboxes/front';
import { type ZendeskFrontRig, zendeskFrontRig } from '../support/zendesk-front';

/**
 * What Tern asks Front for, counted by the Front sandbox: the account's set-up is listed once per worker process,
 * not once per page, and a conversation the ledger has never written is updated without being read first (its
 * id comes from Tern's own extras); the full phase still reconciles every record, each written once.
 */
jest.setTimeout(600_000);

const PAGE_SIZE = 25;

describe('Front requests per record', () => {
  let rig: ZendeskFrontRig;
  let front: ZendeskFrontRig['front'];
  const run = (phase: 'sample' | 'full') => rig.run(phase);

  beforeAll(async () => {
    rig = await zendeskFrontRig({ prefix: 'mig_fr', seed: 5, size: 150 });
    front = rig.front;
    // Small pages: many pages per object, each of which used to list the account's set-up again.
    for (const object of rig.loaded.plan.objects) object.pageSize = PAGE_SIZE;
  });

  afterAll(async () => {
    await rig?.close();
  });

  test('a full phase lists inboxes, tags and custom fields once, and reads each conversation once (its read-back)', async () => {
    const sample = await run('sample');
    expect(sample.ok).toBe(true);
    const before = { ...front.stats().byOperation };
    const full = await run('full');
    const during = (operation: string) => (front.stats().byOperation[operation] ?? 0) - (before[operation] ?? 0);

    expect(full.ok).toBe(true);
    const pages = full.objects.reduce((n, o) => n + Math.ceil(o.loaded / PAGE_SIZE), 0);
    expect(pages).toBeGreaterThan(10);
    // Read by the sample phase in this worker process already: at most once more, however many pages.
    for (const listing of [
      'list-inboxes',
      'list-tags',
      'list-contact-custom-fields',
      'list-conversation-custom-fields',
    ])
      expect({ [listing]: during(listing) <= 1 }).toEqual({ [listing]: true });

    // Every conversation of a ticket, read back once by the reconciliation; none read before its update.
    const conversations = [...frontCollections.conversations(front.store).values()].filter((c) =>
      c.thread_key?.startsWith('ref:zendesk-ticket-'),
    );
    const threads = new Set(conversations.map((c) => c.thread_key));
    expect(threads.size).toBe(conversations.length);
    expect(during('get-conversation-by-id')).toBeLessThanOrEqual(conversations.length);
    expect(front.writes.summary().messages?.writtenMoreThanOnce ?? []).toEqual([]);
    expect(front.writes.summary().comments?.writtenMoreThanOnce ?? []).toEqual([]);
    expect(front.stats().specViolations).toEqual([]);
  });
});
