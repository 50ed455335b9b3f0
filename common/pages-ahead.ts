/**
 * Keyset pages read one ahead: as soon as a page is in, the next one (after its last key) is asked for, and it is
 * read while the caller works on this one. Pages are still handed out one at a time and in order, so the caller
 * sees exactly the pages a plain loop would; only the waiting overlaps. A page read ahead of a caller that stopped
 * (failed, cancelled) is dropped quietly.
 *
 * `read(previous)`: the page after `previous` (the first page when null). `more(page)`: whether a page may follow
 * this one (a keyset read is done after a short page). Every page read is handed out, an empty one too.
 */
export async function* pagesAhead<P>(
  read: (previous: P | null) => Promise<P>,
  more: (page: P) => boolean,
): AsyncGenerator<P> {
  let current = quiet(read(null));
  for (;;) {
    const page = await current;
    const ahead = more(page) ? quiet(read(page)) : null;
    yield page;
    if (!ahead) return;
    current = ahead;
  }
}

/** The same promise, its rejection handled until it is awaited (a page read ahead may never be). */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
