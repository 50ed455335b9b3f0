/**
 * A read-back through one of Front's listings instead of one request per record: a listing answers up to a
 * hundred records a request. It is read lazily, as far as the records asked for need, and only while it pays for
 * itself: every record asked for and not yet listed adds one request to what the listing may spend (what reading
 * that record by id would cost), every page read spends one. Past that, or once the listing ends, the records it
 * did not reach are the caller's to read one by one, so every record is still read from Front; the listing only
 * saves requests, it never decides what is compared. Listed records nobody asked for yet wait, at most
 * `MAX_WAITING` of them and `MAX_WAITING_SIZE` of their text (a message's body can be large; the oldest are
 * dropped first, and read by id if asked for later): memory stays flat whatever order Front lists in and however
 * large its records are.
 */

/** From how many records on one read-back a listing is worth starting (below it, a delta's few are read by id). */
export const LIST_READ_BACK_FROM = 20;

/** Listed records kept until asked for, at most. */
export const MAX_WAITING = 20_000;

/** Their size at most, in characters of their JSON (about a byte each for Latin-1 text, two otherwise). */
export const MAX_WAITING_SIZE = 32 * 1024 * 1024;

/** What may wait, and how a record's size is reckoned. */
export interface WaitingBound<T> {
  items: number;
  size: number;
  sizeOf: (item: T) => number;
}

const jsonSize = (item: unknown) => JSON.stringify(item).length;

export class Listing<T> {
  /** Listed records nobody asked for yet, oldest first, with their size. */
  private readonly waiting = new Map<string, { item: T; size: number }>();
  private waitingSize = 0;
  private readonly bound: WaitingBound<T>;
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
    bound: Partial<WaitingBound<T>> = {},
  ) {
    this.bound = { items: MAX_WAITING, size: MAX_WAITING_SIZE, sizeOf: jsonSize, ...bound };
  }

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
        found.set(id, hit.item);
        this.drop(id);
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

  /** Records read another way that a later `take` may ask for (a conversation listed whole for a few of its messages). */
  keep(items: readonly T[]): void {
    for (const item of items) this.wait(this.idOf(item), item);
  }

  private wait(id: string, item: T): void {
    this.drop(id);
    const size = this.bound.sizeOf(item);
    this.waiting.set(id, { item, size });
    this.waitingSize += size;
    while (this.waiting.size > this.bound.items || this.waitingSize > this.bound.size)
      this.drop(this.waiting.keys().next().value!);
  }

  private drop(id: string): void {
    const held = this.waiting.get(id);
    if (!held) return;
    this.waiting.delete(id);
    this.waitingSize -= held.size;
  }
}

/** How many listed records, and how much of their text, may wait: the defaults unless a caller bounds them tighter. */
export type WaitingLimits = Partial<Pick<WaitingBound<unknown>, 'items' | 'size'>>;

/** The listings one read-back opened, by name: each is walked once however many pages of records ask. */
export class Listings {
  private readonly open = new Map<string, unknown>();

  constructor(
    /** What each listing opened here may keep waiting. */
    readonly waiting: WaitingLimits = {},
  ) {}

  of<T>(name: string, start: (waiting: WaitingLimits) => T): T {
    if (!this.open.has(name)) this.open.set(name, start(this.waiting));
    return this.open.get(name) as T;
  }
}
