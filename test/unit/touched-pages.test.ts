import { readAhead, touchedPages } from '../../activities/reconcile';
import type { TargetRow } from '../../connectors/target';

/**
 * A delta's read-back pages: the touched ids come from the ledger a window at a time, each page reads those ids
 * from staging, and every touched record still in scope is handed out once, in order — a page whose ids all left
 * the scope is skipped, not taken for the end.
 */
const touched = Array.from({ length: 47 }, (_, i) => `t${String(i).padStart(3, '0')}`);

function ledger(inScope: (id: string) => boolean) {
  const listings: string[] = [];
  const listIds = (after: string, limit: number) => {
    listings.push(after);
    return Promise.resolve(
      touched
        .filter((id) => id > after)
        .slice(0, limit)
        .map((source_id) => ({ source_id })),
    );
  };
  const readIds = (ids: string[]) => Promise.resolve(ids.filter(inScope).map((source_id) => ({ source_id })));
  return { listIds, readIds, listings };
}

async function collect(after: string, inScope: (id: string) => boolean, sizes = { window: 10, page: 4 }) {
  const l = ledger(inScope);
  const staged = touchedPages(l.listIds, l.readIds, sizes);
  const seen: string[] = [];
  for await (const { page } of readAhead(after, staged, () => Promise.resolve(new Map<string, TargetRow>())))
    seen.push(...page.map((r) => r.source_id));
  return { seen, listings: l.listings };
}

describe('touchedPages', () => {
  it('hands out every touched record once, in order, listing the ledger a window at a time', async () => {
    const { seen, listings } = await collect('', () => true);
    expect(seen).toEqual(touched);
    // 47 ids in windows of 10: five listings, each after the last id listed.
    expect(listings).toEqual(['', 't009', 't019', 't029', 't039']);
  });

  it('skips pages whose records all left the scope, within a window and across windows', async () => {
    // t004..t027 (whole pages, and a whole window t010..t019) were deleted at the source since.
    const gone = (id: string) => id >= 't004' && id <= 't027';
    const { seen } = await collect('', (id) => !gone(id));
    expect(seen).toEqual(touched.filter((id) => !gone(id)));
  });

  it('starts after a resumed cursor', async () => {
    const { seen, listings } = await collect('t030', () => true);
    expect(seen).toEqual(touched.filter((id) => id > 't030'));
    expect(listings[0]).toBe('t030');
  });

  it('ends when nothing was touched', async () => {
    expect((await collect('', () => false)).seen).toEqual([]);
  });

  it('refuses a page asked for out of order', async () => {
    const l = ledger(() => true);
    const staged = touchedPages(l.listIds, l.readIds, { window: 10, page: 4 });
    await staged('');
    await expect(staged('t001')).rejects.toThrow('touched pages asked for after t001, not after t003');
  });
});
