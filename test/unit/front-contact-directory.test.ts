import { FrontApi } from '../../connectors/front/api';
import { ContactDirectory, DIRECTORY_OVERLAP_MS } from '../../connectors/front/contact-directory';
import type { VendorClient } from '../../connectors/kit/http';

/**
 * The contact directory lists Front's contacts only while that pays for itself (one page per email asked about),
 * then keeps current by listing what changed since the last listing began, with an overlap for the clocks.
 */

interface Contact {
  id: string;
  email: string;
  updatedAt: number;
}

/** Front's contact listing over `contacts`, a hundred a page, recording each URL asked. */
function frontListing(contacts: Contact[]) {
  const asked: string[] = [];
  const present = (c: Contact) => ({
    id: c.id,
    name: null,
    description: null,
    handles: [{ handle: c.email, source: 'email' }],
  });
  const request = ({ url }: { url: string }) => {
    asked.push(url);
    const u = new URL(url, 'https://front.test');
    const after = u.searchParams.get('q[updated_after]');
    const offset = Number(u.searchParams.get('offset') ?? 0);
    const matching = contacts.filter((c) => after === null || c.updatedAt / 1000 > Number(after));
    const page = matching.slice(offset, offset + 100);
    const next = offset + 100 < matching.length ? `${u.pathname}?${withOffset(u, offset + 100)}` : null;
    return Promise.resolve({ status: 200, data: { _results: page.map(present), _pagination: { next } } });
  };
  return { api: new FrontApi({ request, concurrency: 1 } as unknown as VendorClient), asked };
}

function withOffset(u: URL, offset: number): string {
  const q = new URLSearchParams(u.searchParams);
  q.set('offset', String(offset));
  return q.toString();
}

const contactsOf = (n: number, updatedAt: number): Contact[] =>
  Array.from({ length: n }, (_, i) => ({ id: `crd_${i}`, email: `User${i}@Example.org`, updatedAt }));

describe('the Front contact directory', () => {
  it('lists the account only as far as the emails asked about pay for, then answers for every email', async () => {
    const clock = { now: 1_000_000 };
    const front = frontListing(contactsOf(250, 0));
    const directory = new ContactDirectory(() => clock.now);

    // One email pays for one page of the three: ask for it by itself.
    expect(await directory.holders(front.api, ['user3@example.org'])).toBeUndefined();
    expect(front.asked).toHaveLength(1);
    expect(await directory.holders(front.api, ['user120@example.org'])).toBeUndefined();
    expect(front.asked).toHaveLength(2);
    expect(directory.whole).toBe(false);

    // Enough emails: the listing reaches its end, then what changed since it began is listed.
    const found = await directory.holders(front.api, [
      'user249@example.org',
      'nobody@example.org',
      'user3@example.org',
    ]);
    expect(found).toEqual(
      new Map([
        ['user249@example.org', 'crd_249'],
        ['user3@example.org', 'crd_3'],
      ]),
    );
    expect(directory.whole).toBe(true);
    expect(front.asked.slice(2)).toEqual([
      expect.stringContaining('offset=200'),
      `/contacts?limit=100&q[updated_after]=${((1_000_000 - DIRECTORY_OVERLAP_MS) / 1000).toFixed(3)}`,
    ]);
  });

  it('finds a contact created after the listing, through the next listing of changes', async () => {
    const clock = { now: 5_000_000 };
    const contacts = contactsOf(30, 0);
    const front = frontListing(contacts);
    const directory = new ContactDirectory(() => clock.now);
    const emails = Array.from({ length: 40 }, (_, i) => `user${i}@example.org`);
    expect((await directory.holders(front.api, emails))!.size).toBe(30);

    // Live mail writes in a minute later: the next answer lists only what changed since the last listing began.
    clock.now += 60_000;
    contacts.push({ id: 'crd_live', email: 'user35@example.org', updatedAt: clock.now - 1_000 });
    const asked = front.asked.length;
    const again = await directory.holders(front.api, emails);
    expect(again!.get('user35@example.org')).toBe('crd_live');
    expect(front.asked.slice(asked)).toEqual([
      `/contacts?limit=100&q[updated_after]=${((5_000_000 - DIRECTORY_OVERLAP_MS) / 1000).toFixed(3)}`,
    ]);
  });

  it('forgets a handle its contact no longer holds', async () => {
    const front = frontListing(contactsOf(5, 0));
    const directory = new ContactDirectory(() => 1_000_000);
    const emails = Array.from({ length: 5 }, (_, i) => `user${i}@example.org`);
    expect((await directory.holders(front.api, emails))!.get('user2@example.org')).toBe('crd_2');
    directory.forget('USER2@example.org', 'crd_2');
    directory.forget('user3@example.org', 'crd_other');
    const after = await directory.holders(front.api, emails);
    expect(after!.has('user2@example.org')).toBe(false);
    expect(after!.get('user3@example.org')).toBe('crd_3');
  });
});
