import { differingBuckets, type IdDigest } from '../../common/id-digests';

/** Which buckets of two id sets' digests differ, and how many ids each side holds in them. */
describe('differingBuckets', () => {
  const d = (bucket: number, n: number, x1 = '1', x2 = '2'): IdDigest => ({ bucket, n, x1, x2 });

  it('finds none between equal digests, whatever their order', () => {
    expect(differingBuckets([d(1, 3), d(7, 2)], [d(7, 2), d(1, 3)])).toEqual({ buckets: [], left: 0, right: 0 });
    expect(differingBuckets([], [])).toEqual({ buckets: [], left: 0, right: 0 });
  });

  it('takes a bucket whose count or either hash differs, counting each side’s ids in it', () => {
    const left = [d(1, 3), d(2, 4), d(3, 5), d(4, 6)];
    const right = [d(1, 3), d(2, 5), d(3, 5, '9'), d(4, 6, '1', '9')];
    expect(differingBuckets(left, right)).toEqual({ buckets: [2, 3, 4], left: 15, right: 16 });
  });

  it('takes a bucket only one side holds, from either side, in ascending order', () => {
    expect(differingBuckets([d(9, 2), d(1, 1)], [d(1, 1), d(4, 7)])).toEqual({ buckets: [4, 9], left: 2, right: 7 });
  });
});
