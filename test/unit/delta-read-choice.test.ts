import { MockActivityEnvironment } from '@temporalio/testing';
import { chooseRead, type ReadPlan } from '../../activities/delta-read';
import type { IdDigest } from '../../common/id-digests';
import type { KeyedSource, OpenedSource } from '../../connectors/sources';

/**
 * Which ids a `changed` delta lists, from the digests both sides give: none when every bucket agrees, the
 * differing buckets' ids, or every id when those hold most of them or the source database cannot digest.
 */
describe('chooseRead: the ids a changed read lists', () => {
  const digest = (bucket: number, n: number, x = '1'): IdDigest => ({ bucket, n, x1: x, x2: x });
  const staged = [digest(1, 40), digest(2, 30), digest(3, 30)];

  async function choose(sourceDigests: IdDigest[] | null, ids: string[]) {
    const asked: (readonly number[] | undefined)[] = [];
    const stagedAsked: (readonly number[])[] = [];
    const keyed: KeyedSource = {
      unavailable: () => Promise.resolve(null),
      withoutId: () => Promise.resolve(0),
      idDigests: () => Promise.resolve(sourceDigests),
      // eslint-disable-next-line @typescript-eslint/require-await
      async *ids(buckets) {
        asked.push(buckets);
        yield ids;
      },
      changes: () => {
        throw new Error('not read here');
      },
      byIds: () => {
        throw new Error('not read here');
      },
    };
    const source = { keyed, reader: null, close: () => Promise.resolve() } as unknown as OpenedSource;
    const read: ReadPlan = await new MockActivityEnvironment().run(() =>
      chooseRead(source, 'changed', Date.parse('2024-01-01T00:00:00Z'), 'postgres', {
        digests: () => Promise.resolve(staged),
        inBuckets: (buckets) => {
          stagedAsked.push(buckets);
          return Promise.resolve(buckets.map((b) => `staged-${b}`));
        },
      }),
    );
    const stagedIds = read.scope === 'changed' && read.stagedIds ? await read.stagedIds : null;
    return { read, asked, stagedAsked, stagedIds };
  }

  it('lists nothing when every bucket agrees', async () => {
    const { read, asked, stagedAsked, stagedIds } = await choose(staged, []);
    expect(asked).toEqual([]);
    expect(stagedAsked).toEqual([]);
    expect(stagedIds).toEqual([]);
    expect(read).toMatchObject({ scope: 'changed', buckets: [] });
    expect(read.reason).toMatch(/the ids of the 0 of 4096 id buckets whose digests differ/);
  });

  it('lists the differing buckets’ ids while they hold at most half of the ids', async () => {
    const { read, asked, stagedAsked, stagedIds } = await choose(
      [digest(1, 40), digest(2, 31, '9'), digest(3, 30)],
      ['a', 'b'],
    );
    expect(asked).toEqual([[2]]);
    // Staging lists the same buckets, once, beside the source.
    expect(stagedAsked).toEqual([[2]]);
    expect(stagedIds).toEqual(['staged-2']);
    expect(read).toMatchObject({ scope: 'changed', buckets: [2], ids: new Set(['a', 'b']) });
  });

  it('lists every id when the differing buckets hold most of them', async () => {
    const { read, asked, stagedAsked } = await choose([digest(1, 41, '9'), digest(2, 31, '9'), digest(3, 30)], ['a']);
    expect(asked).toEqual([undefined]);
    // compareIds pages through every staged id instead.
    expect(stagedAsked).toEqual([]);
    expect(read).toMatchObject({ stagedIds: null });
    expect(read).toMatchObject({ scope: 'changed', buckets: null });
    expect(read.reason).toMatch(/every id \(most id buckets differ from staging\)/);
  });

  it('lists every id when the source database cannot digest its ids', async () => {
    const { read, asked } = await choose(null, ['a', 'b', 'c']);
    expect(asked).toEqual([undefined]);
    expect(read).toMatchObject({ scope: 'changed', buckets: null });
    expect(read.reason).toMatch(/every id \(the source database cannot digest its ids\)/);
  });

  it('still reads a source whole when a listed bucket holds a repeated or padded id', async () => {
    const { read } = await choose([digest(1, 40), digest(2, 32, '9'), digest(3, 30)], ['a', 'a', ' b']);
    expect(read).toMatchObject({ scope: 'whole' });
    expect(read.reason).toMatch(/1 repeated id\(s\) and 1 id\(s\) blank or padded/);
  });
});
