/**
 * A read-back through one of Front's listings instead of one request per record: a listing answers up to a
 * hundred records a request. It is read lazily, as far as the records asked for need, and only while it pays for
 * itself: every record asked for and not yet listed adds one request to what the listing may spend (what reading
 * that record by id would cost), every page read spends one. Past that, or once the listing ends, the records it
 * did not reach are the caller's to read one by one, so every record is still read from Front; the listing only
 * saves requests, it never decides what is compared. Listed records nobody asked for yet wait, at most
 * `MAX_WAITING` of them (the oldest are dropped first, and read by id if asked for later): memory stays flat
 * whatever order Front lists in.
 */

/** From how many records on one read-back a listing is worth starting (below it, a delta's few are read by id). */
export const LIST_READ_BACK_FROM = 20;

/** Listed records kept until asked for. */
export const MAX_WAITING = 20_000;

export class Listing<T> {
  private readonly waiting = new Map<string, T>();
  private ended = false;
  /** Requests the listing may still spend: one per record asked for that it had not listed yet. */
  private allowance = 0;
  /** One walk at a time: lanes of one read-back share the listing. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Pages read so far (one request each). */
  pagesRead = 0;

  constructor(
    /** The listing, one request's items per step. */
    private readonly pages: AsyncIterator<T[]>,
    private readonly idOf: (item: T) => string,
    private readonly maxWaiting = MAX_WAITING,
  ) {}

  /** The listed items for these ids, by id; an id the listing did not reach is absent (read it by id). */
  take(ids: readonly string[]): Promise<Map<string, T>> {
    const next = this.queue.then(() => this.walk(ids));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async walk(ids: readonly string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const missing = new Set<string>();
    for (const id of ids) {
      const hit = this.waiting.get(id);
      if (hit === undefined) missing.add(id);
      else {
        found.set(id, hit);
        this.waiting.delete(id);
      }
    }
    this.allowance += missing.size;
    while (missing.size > 0 && !this.ended && this.allowance > 0) {
      const page = await this.pages.next();
      this.allowance -= 1;
      if (page.done) {
        this.ended = true;
        break;
      }
      this.pagesRead += 1;
      for (const item of page.value) {
        const id = this.idOf(item);
        if (missing.delete(id)) found.set(id, item);
        else this.wait(id, item);
      }
    }
    return found;
  }

  private wait(id: string, item: T): void {
    this.waiting.delete(id);
    this.waiting.set(id, item);
    if (this.waiting.size > this.maxWaiting) this.waiting.delete(this.waiting.keys().next().value!);
  }
}

/** The listings one read-back opened, by name: each is walked once however many pages of records ask. */
export class Listings {
  private readonly open = new Map<string, unknown>();

  of<T>(name: string, start: () => T): T {
    if (!this.open.has(name)) this.open.set(name, start());
    return this.open.get(name) as T;
  }
}
