/**
 * Paging as async generators. Each page carries the position that produced it and the one that follows, so
 * a caller can checkpoint after every page and resume from `next` after a crash.
 */
export interface Page<T, C> {
  items: T[];
  /** The position this page was read from (undefined for the first page). */
  position: C | undefined;
  /** The position of the following page; null at the end. */
  next: C | null;
}

export interface PageFetch<T, C> {
  (position: C | undefined): Promise<{ items: T[]; next: C | null }>;
}

/** Follows whatever position the vendor returns (cursor, next-page URL) until it returns none. */
export async function* pages<T, C>(fetch: PageFetch<T, C>, start?: C): AsyncGenerator<Page<T, C>> {
  let position: C | undefined = start;
  for (;;) {
    const { items, next } = await fetch(position);
    yield { items, position, next };
    if (next === null || next === undefined) return;
    if (next === position)
      throw new Error(`paging did not advance: the vendor returned the same position ${String(next)}`);
    position = next;
  }
}

/** Cursor paging: `fetch(cursor)` returns items and the next cursor, or null at the end. */
export function cursorPages<T>(
  fetch: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  start?: string,
) {
  return pages<T, string>(async (c) => {
    const r = await fetch(c);
    return { items: r.items, next: r.nextCursor };
  }, start);
}

/** Offset/limit paging: a page shorter than `limit` is the last (Attio's rule). */
export function offsetPages<T>(limit: number, fetch: (offset: number, limit: number) => Promise<T[]>, startOffset = 0) {
  return pages<T, number>(async (offset) => {
    const from = offset ?? startOffset;
    const items = await fetch(from, limit);
    return { items, next: items.length < limit ? null : from + items.length };
  }, startOffset);
}

/** Next-URL paging (Front's `_pagination.next`, Zendesk's `links.next`): follow the link as given. */
export function nextUrlPages<T>(
  firstUrl: string,
  fetch: (url: string) => Promise<{ items: T[]; nextUrl: string | null }>,
) {
  return pages<T, string>(async (url) => {
    const r = await fetch(url ?? firstUrl);
    return { items: r.items, next: r.nextUrl };
  }, firstUrl);
}

/**
 * Incremental export (Zendesk): starts from a time, then follows the cursor until `end_of_stream`. The cursor
 * of the last page is the high-water mark for the next delta.
 */
export function incrementalExport<T>(
  fetch: (
    from: { startTime: number } | { cursor: string },
  ) => Promise<{ items: T[]; afterCursor: string | null; endOfStream: boolean }>,
  start: { startTime: number } | { cursor: string },
) {
  return pages<T, string>(
    async (cursor) => {
      const r = await fetch(cursor === undefined ? start : { cursor });
      return { items: r.items, next: r.endOfStream ? null : r.afterCursor };
    },
    'cursor' in start ? start.cursor : undefined,
  );
}
