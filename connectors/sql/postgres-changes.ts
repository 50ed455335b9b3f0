import { idBucketSql, idDigestsSql, type IdDigest } from '../../common/id-digests';
import { pagesAhead } from '../../common/pages-ahead';
import type { SourceItem } from '../source';
import type { KeyedSource } from '../sources';
import {
  describePostgresSource,
  quotePgIdent,
  type PostgresRelation,
  type PostgresSourceOptions,
} from './postgres-source';

/** Ids per page of the id listing: ids alone are small, so pages are larger than a whole read's. */
const ID_PAGE = 50_000;

/**
 * The updated-at column types a change read can compare with an instant, and how the instant is written for
 * each: `timestamp` (no zone) and `date` values are read by the delta as the worker's local wall time
 * (activities/extract.ts parseTimestamp), so the instant is given to them as that same wall time.
 */
const SINCE: Record<string, { cast: string; text: (since: Date) => string }> = {
  'pg_catalog.timestamptz': { cast: 'timestamptz', text: (since) => since.toISOString() },
  'pg_catalog."timestamp"': { cast: 'timestamp', text: localWallTime },
  'pg_catalog.date': { cast: 'date', text: (since) => localWallTime(since).slice(0, 10) },
};

function localWallTime(at: Date): string {
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 23);
}

/**
 * A PostgreSQL table or query read by what changed: rows whose updated-at column is at or after an instant, in
 * keyset pages over (updated-at, id), each page in its own read-only transaction with the instant and the
 * cursor as parameters; the source's ids alone, in keyset pages on the id, or digested by bucket
 * (common/id-digests.ts); and rows by id. The values are the
 * text a whole read yields (postgresSourceReader), so a row hashes the same whichever read found it.
 */
export function postgresKeyedSource(options: PostgresSourceOptions & { updatedAt: string }): KeyedSource {
  const describe = describePostgresSource(options);
  const { id: idColumn, pageSize, updatedAt } = options;
  const record = (r: PostgresRelation, raw: Record<string, unknown>): SourceItem => {
    const values = r.values(raw);
    const id = values[idColumn] ?? '';
    return { kind: 'record', position: `id ${id}`, cursor: id, record: values };
  };

  return {
    async unavailable() {
      const r = await describe();
      const type = r.typeOf(updatedAt);
      if (type === null)
        return `the updated-at column "${updatedAt}" (objects[].source.updatedAt) is not among the source's columns`;
      if (!SINCE[type])
        return `the updated-at column "${updatedAt}" is of type ${type}, which cannot be compared with an instant (cast it to timestamptz in a source query)`;
      return null;
    },

    async *changes(since) {
      const r = await describe();
      const type = r.typeOf(updatedAt);
      const bound = type ? SINCE[type] : undefined;
      if (!type || !bound) throw new Error(`${r.where}: no change read over "${updatedAt}" (see unavailable())`);
      const u = `s.${quotePgIdent(updatedAt)}`;
      // The next page is read while the caller stages this one.
      const pages = pagesAhead(
        (previous: readonly Record<string, unknown>[] | null) => {
          const last = previous?.[previous.length - 1];
          const after = last ? { u: String(last['tern:u']), id: String(last['tern:id']) } : null;
          const keyset: string = after ? `and (${u}, ${r.sid}) > ($2::${bound.cast}, $3::${r.idType})` : '';
          const params: string[] = after ? [bound.text(since), after.u, after.id] : [bound.text(since)];
          return r.read((query) =>
            query(
              `select ${r.selectList}, ${u}::text as "tern:u", ${r.sid}::text as "tern:id" from ${r.from}
               where ${r.sid} is not null and ${u} >= $1::${bound.cast} ${keyset}
               order by ${u}, ${r.sid} limit ${pageSize}`,
              params,
            ),
          );
        },
        (page) => page.length === pageSize,
      );
      for await (const rows of pages) for (const raw of rows) yield record(r, raw);
    },

    async *ids(buckets) {
      const r = await describe();
      if (buckets) {
        // The ids of a few buckets: one pass over the source, in no order (the caller bounds how many there are).
        const rows = await r.read((query) =>
          query<{ id: string }>(
            `select ${r.sid}::text as id from ${r.from}
             where ${r.sid} is not null and ${idBucketSql(`${r.sid}::text`)} = any($1::int[])`,
            [buckets.map(String)],
          ),
        );
        yield rows.map((row) => row.id);
        return;
      }
      // The next page is read while the caller compares this one.
      const pages = pagesAhead(
        (previous: string[] | null) => {
          const after = previous ? previous[previous.length - 1]! : null;
          return r
            .read((query) =>
              query<{ id: string }>(
                `select ${r.sid}::text as id from ${r.from}
                 where ${after === null ? `${r.sid} is not null` : `${r.sid} > $1::${r.idType}`}
                 order by ${r.sid} limit ${ID_PAGE}`,
                after === null ? [] : [after],
              ),
            )
            .then((rows) => rows.map((row) => row.id));
        },
        (page) => page.length === ID_PAGE,
      );
      yield* pages;
    },

    async idDigests() {
      const r = await describe();
      return r.read((query) =>
        query<IdDigest>(idDigestsSql(`${r.sid}::text`, `from ${r.from} where ${r.sid} is not null`)),
      );
    },

    async withoutId() {
      const r = await describe();
      const [row] = await r.read((query) =>
        query<{ n: number }>(`select count(*)::int as n from ${r.from} where ${r.sid} is null`),
      );
      return row?.n ?? 0;
    },

    async *byIds(ids) {
      const r = await describe();
      for (let i = 0; i < ids.length; i += pageSize) {
        const chunk = ids.slice(i, i + pageSize);
        const rows = await r.read((query) =>
          query(`select ${r.selectList} from ${r.from} where ${r.sid} = any($1::${r.idType}[]) order by ${r.sid}`, [
            chunk,
          ]),
        );
        for (const raw of rows) yield record(r, raw);
      }
    },
  };
}
