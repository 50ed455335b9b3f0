import { pagesAhead } from '../../common/pages-ahead';

/** Keyset pages read one ahead: the same pages, in order, as a plain loop; the next read overlaps the caller. */
const keys = Array.from({ length: 23 }, (_, i) => i + 1);
const PAGE = 5;

function source(failAfter?: number) {
  const reads: (number | null)[] = [];
  let inFlight = 0;
  let overlapped = false;
  const read = async (previous: readonly number[] | null) => {
    const after = previous ? previous[previous.length - 1]! : 0;
    reads.push(previous ? after : null);
    inFlight += 1;
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    if (failAfter !== undefined && after >= failAfter) throw new Error('the source went away');
    return keys.filter((k) => k > after).slice(0, PAGE);
  };
  const caller = async () => {
    if (inFlight > 0) overlapped = true;
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { read, reads, caller, overlapped: () => overlapped };
}

describe('pagesAhead', () => {
  it('hands out every page once, in order, reading the next while the caller works', async () => {
    const s = source();
    const seen: number[] = [];
    for await (const page of pagesAhead(s.read, (p) => p.length === PAGE)) {
      await s.caller();
      seen.push(...page);
    }
    expect(seen).toEqual(keys);
    expect(s.reads).toEqual([null, 5, 10, 15, 20]);
    expect(s.overlapped()).toBe(true);
  });

  it('reads no page past a short one', async () => {
    const s = source();
    const pages: number[][] = [];
    for await (const page of pagesAhead(s.read, (p) => p.length === PAGE)) pages.push([...page]);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    const exact = source();
    const upTo20 = (previous: readonly number[] | null) => exact.read(previous).then((p) => p.filter((k) => k <= 20));
    const sizes: number[] = [];
    for await (const page of pagesAhead(upTo20, (p) => p.length === PAGE)) sizes.push(page.length);
    expect(sizes).toEqual([5, 5, 5, 5, 0]);
  });

  it('fails where the plain loop would, and a caller that stops leaves no unhandled rejection', async () => {
    const failing = source(10);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of pagesAhead(failing.read, (p) => p.length === PAGE)) seen.push(...page);
      })(),
    ).rejects.toThrow('the source went away');
    expect(seen).toEqual(keys.slice(0, 10));
    const stopping = source(5);
    for await (const page of pagesAhead(stopping.read, (p) => p.length === PAGE)) {
      expect(page).toEqual([1, 2, 3, 4, 5]);
      break; // the page after it is already being read, and fails
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
