import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { differingBuckets, idBucketSql, idDigestsSql, type IdDigest } from '../../common/id-digests';
import { postgresKeyedSource } from '../../connectors/sql/postgres-changes';
import { connectStaging, type Staging } from '../../staging/db';
import { startEmbeddedDatabase } from '../../staging/embedded';
import { testStaging, uniqueId } from '../support/harness';

/**
 * The id digests a delta compares (common/id-digests.ts), computed by the databases themselves: PostgreSQL and the
 * embedded database agree on every bucket, and every kind of difference between two id sets (an id missing or
 * added, repeated, padded, or differing only in case) shows in the bucket that holds it, which the source's
 * listing by bucket then names.
 */
describe('id digests by bucket (real PostgreSQL, the embedded database)', () => {
  let staging: Staging;
  const schema = uniqueId('digests');
  const ids = Array.from({ length: 5000 }, (_, i) => `C${String(i * 7 + 3).padStart(6, '0')}`);

  beforeAll(async () => {
    staging = await testStaging();
    await staging.sql.unsafe(`create schema "${schema}"; create table "${schema}".ids (id text)`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await staging.close();
  });

  const digestsOf = (sql: Staging['sql'], set: readonly string[]) =>
    sql.unsafe<IdDigest[]>(idDigestsSql('id', 'from unnest($1::text[]) as ids(id)'), [set as string[]]);

  it('PostgreSQL and the embedded database digest the same ids alike, bucket for bucket', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-digests-'));
    const db = await startEmbeddedDatabase({ dataDir: path.join(dir, 'pglite') });
    try {
      const embedded = await connectStaging(db.url, { max: 1 });
      try {
        const set = [...ids, 'é', 'Ünïcødé ✓', '', '12345678901234567890'];
        const [server, wasm] = [await digestsOf(staging.sql, set), await digestsOf(embedded.sql, set)];
        expect(server.length).toBeGreaterThan(1000);
        expect(differingBuckets(server, wasm)).toEqual({ buckets: [], left: 0, right: 0 });
      } finally {
        await embedded.close();
      }
    } finally {
      await db.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing, added, repeated, padded or recased id changes its bucket, and the listing by bucket names it', async () => {
    const source = postgresKeyedSource({
      sql: staging.sql,
      schema,
      table: 'ids',
      id: 'id',
      updatedAt: 'id',
      pageSize: 1000,
      object: 'ids',
    });
    const staged = await digestsOf(staging.sql, ids);
    const changes: [string, (set: string[]) => string[], string[]][] = [
      ['none', (set) => set, []],
      ['missing', (set) => set.filter((id) => id !== ids[10]), [ids[10]!]],
      ['added', (set) => [...set, 'C999999'], ['C999999']],
      ['repeated', (set) => [...set, ids[20]!], [ids[20]!]],
      ['padded', (set) => set.map((id) => (id === ids[30] ? ` ${id}` : id)), [` ${ids[30]}`, ids[30]!]],
      [
        'recased',
        (set) => set.map((id) => (id === ids[40] ? id.toLowerCase() : id)),
        [ids[40]!.toLowerCase(), ids[40]!],
      ],
    ];
    for (const [what, change, expected] of changes) {
      await staging.sql.unsafe(`truncate "${schema}".ids`);
      await staging.sql.unsafe(`insert into "${schema}".ids select unnest($1::text[])`, [change(ids)]);
      const difference = differingBuckets((await source.idDigests())!, staged);
      // The source's ids in the differing buckets, against staging's: what differs is exactly the change.
      const listed: string[] = [];
      for await (const page of source.ids(difference.buckets)) listed.push(...page);
      const inBuckets = await staging.sql.unsafe<{ id: string }[]>(
        `select id from unnest($1::text[]) as ids(id) where ${idBucketSql('id')} = any($2::int[])`,
        [ids, difference.buckets],
      );
      const remaining = [...listed];
      const onlyStaged: string[] = [];
      for (const { id } of inBuckets) {
        const at = remaining.indexOf(id);
        if (at >= 0) remaining.splice(at, 1);
        else onlyStaged.push(id);
      }
      expect([what, [...remaining, ...onlyStaged].sort()]).toEqual([what, [...expected].sort()]);
      const [buckets] = await staging.sql.unsafe<{ n: number }[]>(
        `select count(distinct ${idBucketSql('id')})::int as n from unnest($1::text[]) as ids(id)`,
        [expected],
      );
      expect([what, difference.buckets.length]).toEqual([what, buckets!.n]);
      expect([what, difference.left, difference.right]).toEqual([what, listed.length, inBuckets.length]);
    }
  });
});
