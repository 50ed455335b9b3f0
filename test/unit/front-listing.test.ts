import { Listing } from '../../connectors/front/listing';

/**
 * A read-back through a listing reads only as far as the records asked for need, spends no more requests than
 * reading those records one by one would, keeps what it listed early for a later ask (up to a bound), and leaves
 * what it did not reach to be read by id: it never says a record is absent.
 */

interface Item {
  id: string;
}

/** A listing of `ids`, `perPage` a page, counting the pages read. */
function listingOf(ids: readonly string[], perPage: number) {
  const read = { pages: 0 };
  async function* pages(): AsyncGenerator<Item[]> {
    for (let i = 0; i < ids.length; i += perPage) {
      read.pages += 1;
      await Promise.resolve();
      yield ids.slice(i, i + perPage).map((id) => ({ id }));
    }
  }
  return { pages: pages(), read };
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);

describe('Front read-back by listing', () => {
  it('reads pages only until every record asked for is found', async () => {
    const { pages, read } = listingOf(ids(0, 1000), 100);
    const listing = new Listing(pages, (item) => item.id);
    const found = await listing.take(ids(0, 150));
    expect([...found.keys()]).toEqual(ids(0, 150));
    expect(read.pages).toBe(2);
  });

  it('answers a later ask from what an earlier page listed, without reading it again', async () => {
    const { pages, read } = listingOf(ids(0, 1000), 100);
    const listing = new Listing(pages, (item) => item.id);
    await listing.take(ids(0, 150));
    const found = await listing.take(ids(150, 200));
    expect(found.size).toBe(50);
    expect(read.pages).toBe(2);
  });

  it('leaves a record it did not list absent, for the caller to read by id, and stops at the listing’s end', async () => {
    const { pages, read } = listingOf(ids(0, 250), 100);
    const listing = new Listing(pages, (item) => item.id);
    const found = await listing.take([...ids(240, 250), 'moved-elsewhere']);
    expect(found.size).toBe(10);
    expect(found.has('moved-elsewhere')).toBe(false);
    expect(read.pages).toBe(3);
    expect((await listing.take(['r5', 'gone'])).has('gone')).toBe(false);
    expect(read.pages).toBe(3);
  });

  it('spends no more requests than reading the records by id would: a listing of others is abandoned', async () => {
    // Nothing asked for is in the first 10,000 listed: 3 records asked allow 3 pages, then the caller reads them.
    const { pages, read } = listingOf([...ids(0, 10_000), 'a', 'b', 'c'], 100);
    const listing = new Listing(pages, (item) => item.id);
    const found = await listing.take(['a', 'b', 'c']);
    expect(found.size).toBe(0);
    expect(read.pages).toBe(3);
  });

  it('keeps at most its bound of listed records waiting, the oldest dropped first (read by id if asked later)', async () => {
    const { pages } = listingOf(ids(0, 500), 100);
    const listing = new Listing(pages, (item) => item.id, { items: 150 });
    expect((await listing.take(ids(450, 460))).size).toBe(10);
    const found = await listing.take(['r100', 'r340', 'r449']);
    expect([...found.keys()].sort()).toEqual(['r340', 'r449']);
  });

  it('keeps at most its bound of listed text waiting, however few records hold it', async () => {
    // Every record is 100 characters; 1,500 characters wait at most, i.e. the 15 listed last (r484 to r498).
    const { pages, read } = listingOf(ids(0, 500), 100);
    const listing = new Listing(pages, (item) => item.id, { size: 1_500, sizeOf: () => 100 });
    expect((await listing.take(['r450', 'r460', 'r470', 'r480', 'r499'])).size).toBe(5);
    const found = await listing.take(['r10', 'r440', 'r483', 'r484', 'r498']);
    expect([...found.keys()].sort()).toEqual(['r484', 'r498']);
    expect(read.pages).toBe(5);
  });

  it('reckons a record by its JSON unless told otherwise', async () => {
    const { pages } = listingOf(ids(0, 100), 100);
    // {"id":"r0"} is 11 characters: 30 of them leave room for two waiting records.
    const listing = new Listing(pages, (item) => item.id, { size: 30 });
    await listing.take(['r99']);
    expect([...(await listing.take(['r96', 'r97', 'r98'])).keys()].sort()).toEqual(['r97', 'r98']);
  });
});
