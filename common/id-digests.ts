/**
 * A set of ids summed up by bucket, so that a delta can tell which parts of a source's ids differ from staging's
 * without moving every id between the two databases (activities/delta-read.ts).
 *
 * Each id's text (compared byte for byte: `collate "C"`) falls into one of ID_BUCKETS buckets by a 64-bit hash;
 * a bucket's digest is its number of ids and the XOR of two 64-bit hashes of each id (two seeds). Two buckets
 * with the same digest hold the same ids unless 128 bits of hash collide, the same kind of trust Tern already
 * puts in a record's hash to say it did not change. Any difference (an id missing, added, repeated, or spelt
 * with padding) changes the bucket's digest, and a differing bucket's ids are listed and compared exactly.
 *
 * The hash is PostgreSQL's `hashtextextended`, the one its hash partitioning keeps stable across versions, so a
 * source database and staging compute the same digest for the same ids.
 */

export const ID_BUCKETS = 4096;

// A type, not an interface: it is a row type of the source's reads (Record<string, unknown>).
export type IdDigest = {
  bucket: number;
  /** Ids in the bucket (a repeated id counts twice). */
  n: number;
  /** XOR of each id's hash with the first seed, then with the second, as decimal text. */
  x1: string;
  x2: string;
};

/** The bucket of the id text `text` (a PostgreSQL expression), 0 to ID_BUCKETS − 1. */
export function idBucketSql(text: string): string {
  return `(hashtextextended((${text}) collate "C", 0) & ${ID_BUCKETS - 1})::int`;
}

/**
 * A PostgreSQL query digesting the id texts `text` yields over `fromWhere` (its FROM and WHERE clauses), one row
 * per bucket that holds an id, as IdDigest.
 */
export function idDigestsSql(text: string, fromWhere: string): string {
  return `select (h & ${ID_BUCKETS - 1})::int as bucket, count(*)::int as n, bit_xor(h)::text as x1,
            bit_xor(hashtextextended(t, 1))::text as x2
          from (select t, hashtextextended(t, 0) as h
                from (select (${text}) collate "C" as t ${fromWhere}) ids) hashed
          group by 1`;
}

export interface DigestDifference {
  /** Buckets whose digests differ, ascending. */
  buckets: number[];
  /** Ids each side holds in those buckets. */
  left: number;
  right: number;
}

/** The buckets where two digests of id sets differ (a bucket one side lacks differs when the other holds ids). */
export function differingBuckets(left: readonly IdDigest[], right: readonly IdDigest[]): DigestDifference {
  const byBucket = new Map(right.map((d) => [d.bucket, d]));
  const difference: DigestDifference = { buckets: [], left: 0, right: 0 };
  const differ = (l: IdDigest | undefined, r: IdDigest | undefined, bucket: number) => {
    difference.buckets.push(bucket);
    difference.left += l?.n ?? 0;
    difference.right += r?.n ?? 0;
  };
  for (const l of left) {
    const r = byBucket.get(l.bucket);
    byBucket.delete(l.bucket);
    if (!r || r.n !== l.n || r.x1 !== l.x1 || r.x2 !== l.x2) differ(l, r, l.bucket);
  }
  for (const r of byBucket.values()) differ(undefined, r, r.bucket);
  difference.buckets.sort((a, b) => a - b);
  return difference;
}
