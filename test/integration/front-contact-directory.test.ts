import { frontCollections, type FrontContact } from '../../sandboxes/front';
import { zendeskCollections } from '../../sandboxes/zendesk';
import { type ZendeskFrontRig, zendeskFrontRig } from '../support/zendesk-front';

/**
 * Contacts found through Front's contact listing instead of one lookup per email: the contacts Front already held
 * (one from long ago, one created by live mail while the load was under way, after the listing was first read)
 * are updated with their before-image kept, never duplicated; the others are created without being asked for; the
 * rollback gives the live contacts back and removes Tern's. Counted in the Front sandbox itself.
 */
jest.setTimeout(600_000);

// Pages of many contacts each (a page of fewer than 20 asks for each email): the directory answers for them.
const PAGE_SIZE = 40;

describe('Front contacts through the contact directory', () => {
  let rig: ZendeskFrontRig;
  let front: ZendeskFrontRig['front'];
  let zendesk: ZendeskFrontRig['zendesk'];
  const run = <P extends 'sample' | 'full' | 'rollback'>(phase: P) => rig.run(phase);

  const liveContact = (id: string, email: string, name: string, at: number) =>
    ({
      id,
      name,
      description: 'Writes to support',
      handles: [{ handle: email, source: 'email' }],
      links: [],
      group_names: [],
      list_names: [],
      custom_fields: {},
      is_private: false,
      created_at: at,
      updated_at: at,
    }) as FrontContact & Record<string, unknown>;
  const contactsHolding = (email: string) =>
    [...frontCollections.contacts(front.store).values()].filter((c) =>
      c.handles.some((h) => h.source === 'email' && h.handle.toLowerCase() === email.toLowerCase()),
    );

  beforeAll(async () => {
    rig = await zendeskFrontRig({ prefix: 'mig_fcd', seed: 11, size: 200 });
    ({ front, zendesk } = rig);
    rig.loaded.plan.objects = rig.loaded.plan.objects.filter((o) => o.name === 'contacts');
    rig.loaded.plan.objects[0]!.pageSize = PAGE_SIZE;
  });

  afterAll(async () => {
    await rig?.close();
  });

  test('live contacts are updated, not duplicated, with few lookups; the rollback gives them back', async () => {
    const endUsers = [...zendeskCollections.users(zendesk.store).values()]
      .filter((u) => u.role === 'end-user' && u.email)
      .sort((a, b) => a.id - b.id);
    const emails = [...new Set(endUsers.map((u) => u.email.trim().toLowerCase()))];
    expect(emails.length).toBeGreaterThan(PAGE_SIZE);
    // Front has known the first end user for years.
    const old = liveContact('crd_old', endUsers[0]!.email, 'Known for years', 1_600_000_000);
    frontCollections.contacts(front.store).set(old.id, old);
    const ids = () => [...frontCollections.contacts(front.store).keys()].sort();
    const beforeMigration = ids();

    expect((await run('sample')).ok).toBe(true);
    const before = { ...front.stats().byOperation };
    const during = (operation: string) => (front.stats().byOperation[operation] ?? 0) - (before[operation] ?? 0);

    // The full phase's first creation is held: by then its page has read the listing. Meanwhile live mail from the
    // last end user Front does not have yet creates their contact, which a later page must find.
    front.setFaults({ hold: { writes: 1, operation: 'create-contact' } });
    const full = run('full');
    while (front.held() === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const lateEmail = [...emails].reverse().find((e) => contactsHolding(e).length === 0)!;
    const late = liveContact('crd_live', lateEmail, 'Wrote in this morning', Math.floor(Date.now() / 1000));
    frontCollections.contacts(front.store).set(late.id, late);
    await front.release();
    const result = await full;
    expect(result.ok).toBe(true);
    front.setFaults({});

    // Counted in Front: one contact per end user's email, the live ones kept under their own ids and updated.
    for (const email of emails)
      expect({ email, contacts: contactsHolding(email).length }).toEqual({ email, contacts: 1 });
    expect(contactsHolding(old.handles[0]!.handle)[0]!.id).toBe('crd_old');
    expect(contactsHolding(lateEmail)[0]!.id).toBe('crd_live');
    expect(frontCollections.contacts(front.store).get('crd_live')!.name).not.toBe('Wrote in this morning');
    // Few reads: the listing, then only the contacts it says Front holds (not one per email).
    const loaded = result.objects.find((o) => o.object === 'contacts')!.loaded;
    expect(loaded).toBeGreaterThan(PAGE_SIZE);
    expect(during('list-contacts')).toBeGreaterThan(0);
    expect(during('get-contact')).toBeLessThan(loaded / 4);
    expect(front.stats().specViolations).toEqual([]);

    // The rollback removes the contacts Tern created and gives the live ones their own values back.
    const rollback = await run('rollback');
    expect(rollback.ok).toBe(true);
    expect(ids()).toEqual([...beforeMigration, 'crd_live'].sort());
    expect(frontCollections.contacts(front.store).get('crd_live')!.name).toBe('Wrote in this morning');
    expect(frontCollections.contacts(front.store).get('crd_old')!.name).toBe('Known for years');
  });
});
