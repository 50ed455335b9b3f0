import type { FrontApi } from './api';
import { contactSchema, type FrontContact } from './types';

/**
 * Which email handles the account's contacts hold, as this worker process last listed them: how a load learns
 * which of its contacts Front already has (created by live mail) without one `GET /contacts/alt:email:…` per
 * contact. Front's contact listing answers a hundred contacts a request.
 *
 * - Built by listing every contact once, but only while that pays for itself: each email asked about adds one
 *   request to what the listing may spend (what asking for that email would cost), each page read spends one.
 *   Until the listing reached its end, the caller asks for each email, as before; an account with many contacts
 *   and a migration with few never lists them all, and then pays at most as many listing requests again as it
 *   sent lookups (the worst case: twice the requests of asking for each email).
 * - Kept current before every answer: the contacts updated since the last listing began (less
 *   `DIRECTORY_OVERLAP_MS`, for the clocks of Tern and Front) are listed again (`q[updated_after]`), Tern's own
 *   creations among them. An email the directory does not hold had no contact in Front when that listing ran,
 *   just before the write: what asking for it would have said.
 * - What it holds may be stale the other way (a handle since removed, a contact deleted): the caller reads the
 *   contact by its id, and a contact without the handle is not the email's.
 *
 * Memory: one entry per email handle of the account (about a hundred bytes each).
 */

/** How far before the previous listing began a listing of changes starts. */
export const DIRECTORY_OVERLAP_MS = 30_000;

/** https://dev.frontapp.com/reference/list-contacts (oldest first: contacts created meanwhile come last). */
const ALL_CONTACTS = '/contacts?limit=100&sort_by=created_at&sort_order=asc';

export class ContactDirectory {
  /** Email handle (lower case) → contact id. */
  private readonly ids = new Map<string, string>();
  /** The first listing, while it has not reached its end. */
  private build?: { pages: AsyncIterator<FrontContact[]>; startedAt: number };
  private allowance = 0;
  /** When the last listing that reached its end began (ms), or null before the first did. */
  private listedFrom: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * For each of these emails, the id of the contact Front holds it on (absent: none), as of a listing made now;
   * or undefined while the directory is not whole and listing further would not pay for these emails yet.
   */
  holders(api: FrontApi, emails: readonly string[]): Promise<Map<string, string> | undefined> {
    const next = this.queue.then(() => this.holdersNow(api, emails));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Whether the account has been listed whole: from then on, a listing of changes answers any number of emails. */
  get whole(): boolean {
    return this.listedFrom !== null;
  }

  /** A handle that turned out not to be the contact's any more (removed, or the contact deleted). */
  forget(email: string, contactId: string): void {
    const key = email.toLowerCase();
    if (this.ids.get(key) === contactId) this.ids.delete(key);
  }

  private async holdersNow(api: FrontApi, emails: readonly string[]): Promise<Map<string, string> | undefined> {
    if (this.listedFrom === null && !(await this.buildFurther(api, emails.length))) return undefined;
    const startedAt = this.now();
    const after = ((this.listedFrom! - DIRECTORY_OVERLAP_MS) / 1000).toFixed(3);
    for await (const page of api.pages(
      contactSchema,
      `/contacts?limit=100&q[updated_after]=${after}`,
      'list contacts',
    )) {
      this.learn(page);
    }
    this.listedFrom = startedAt;
    const out = new Map<string, string>();
    for (const email of emails) {
      const id = this.ids.get(email.toLowerCase());
      if (id) out.set(email, id);
    }
    return out;
  }

  /** Lists further while the emails asked about pay for it; whether the listing reached its end. */
  private async buildFurther(api: FrontApi, asked: number): Promise<boolean> {
    this.allowance += asked;
    this.build ??= { pages: api.pages(contactSchema, ALL_CONTACTS, 'list contacts'), startedAt: this.now() };
    const build = this.build;
    try {
      while (this.allowance > 0) {
        const page = await build.pages.next();
        this.allowance -= 1;
        if (page.done) {
          // Whatever changed while it was read is listed next, from when it began.
          this.listedFrom = build.startedAt;
          this.build = undefined;
          return true;
        }
        this.learn(page.value);
      }
      return false;
    } catch (err) {
      // A listing cut short starts again (what it learnt stays: the first whole listing confirms or replaces it).
      this.build = undefined;
      throw err;
    }
  }

  private learn(contacts: readonly FrontContact[]): void {
    for (const c of contacts)
      for (const h of c.handles) if (h.source === 'email') this.ids.set(h.handle.toLowerCase(), c.id);
  }
}
