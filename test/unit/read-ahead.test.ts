import { readAhead } from '../../activities/reconcile';

/**
 * The read-back's pages: the next page is read while the caller works on this one, yet each record is handed out
 * once, in source id order, whatever order the reads finish in; a read left in flight when the caller stops
 * fails quietly.
 */
const ids = Array.from({ length: 23 }, (_, i) => `r${String(i).padStart(3, '0')}`);
const PAGE = 5;
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function source(options: { failTargetAfter?: string } = {}) {
  const calls: string[] = [];
  const staged = async (after: string) => {
    calls.push(`staged ${after}`);
    // Later pages answer sooner: reads finish out of order.
    await delay(ids.findIndex((id) => id > after) === 0 ? 8 : 1);
    return ids
      .filter((id) => id > after)
      .slice(0, PAGE)
      .map((source_id) => ({ source_id }));
  };
  const target = async (page: readonly { source_id: string }[]) => {
    calls.push(`target ${page[0]!.source_id}`);
    await delay(page[0]!.source_id === ids[0] ? 10 : 2);
    if (options.failTargetAfter !== undefined && page[0]!.source_id > options.failTargetAfter)
      throw new Error('the target went away');
    return new Map(page.map((r) => [r.source_id, { id: r.source_id }]));
  };
  return { staged, target, calls };
}

describe('readAhead', () => {
  it('hands out every record once, in order, page by page', async () => {
    const s = source();
    const seen: string[] = [];
    for await (const { page, readBack } of readAhead('', s.staged, s.target)) {
      await delay(5); // the caller compares while the next page is read
      for (const r of page) {
        expect(readBack.get(r.source_id)).toEqual({ id: r.source_id });
        seen.push(r.source_id);
      }
    }
    expect(seen).toEqual(ids);
    // Every page read from staging once, plus the empty one that ends the read-back.
    expect(s.calls.filter((c) => c.startsWith('staged'))).toHaveLength(Math.ceil(ids.length / PAGE) + 1);
    expect(s.calls.filter((c) => c.startsWith('target'))).toHaveLength(Math.ceil(ids.length / PAGE));
  });

  it('resumes after a cursor', async () => {
    const s = source();
    const seen: string[] = [];
    for await (const { page } of readAhead(ids[11]!, s.staged, s.target)) seen.push(...page.map((r) => r.source_id));
    expect(seen).toEqual(ids.slice(12));
  });

  it('reads the next page while the caller works on this one', async () => {
    const s = source();
    const it = readAhead('', s.staged, s.target);
    await it.next();
    await delay(30);
    // The second page was read from staging and the target before the caller asked for it.
    expect(s.calls).toEqual(expect.arrayContaining([`staged ${ids[PAGE - 1]}`, `target ${ids[PAGE]}`]));
    await it.return(undefined);
  });

  it('stops with the caller; a failed read ahead is not left unhandled', async () => {
    const s = source({ failTargetAfter: ids[PAGE - 1]! });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(
        (async () => {
          for await (const { page } of readAhead('', s.staged, s.target)) {
            await delay(10);
            throw new Error(`cancelled at ${page[0]!.source_id}`);
          }
        })(),
      ).rejects.toThrow(`cancelled at ${ids[0]}`);
      await delay(20);
      expect(unhandled).toEqual([]);
      // A failure on the page the caller reaches is the caller's.
      await expect(
        (async () => {
          for await (const _ of readAhead('', s.staged, s.target)) void _;
        })(),
      ).rejects.toThrow('the target went away');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
