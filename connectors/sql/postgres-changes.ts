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
 * A PostgreSQL table or query read by what changed: the keys of the rows whose updated-at column is at or after
 * an instant, in keyset pages over (updated-at, id), then those rows by id, each statement in its own read-only
 * transaction with its values as parameters; the source's ids alone, in keyset pages on the id, or digested by
 * bucket (common/id-digests.ts); and rows by id. The values are the text a whole read yields (postgresSourceReader), so a row hashes the same whichever read found it.
 */
export function postgresKeyedSource(options: PostgresSourceOptions & { updatedAt: string }): KeyedSource {
  const describe = describePostgresSource(options);
  const { id: idColumn, pageSize, updatedAt } = options;
  const record = (r: PostgresRelation, raw: Record<string, unknown>): SourceItem => {
    const values = r.values(raw);
    const id = values[idColumn] ?? '';
    return { kind: 'record', position: `id ${id}`, cursor: id, record: values };
  };
  /** The rows with these ids, a page at a time (each in id order), the next page read while the caller works. */
  async function* rowsById(r: PostgresRelation, ids: readonly string[]): AsyncGenerator<SourceItem> {
    if (ids.length === 0) return;
    const pages = pagesAhead(
      (previous: { at: number; rows: Record<string, unknown>[] } | null) => {
        const at = previous ? previous.at + pageSize : 0;
        return r
          .read((query) =>
            query(`select ${r.selectList} from ${r.from} where ${r.sid} = any($1::${r.idType}[]) order by ${r.sid}`, [
              ids.slice(at, at + pageSize),
            ]),
          )
          .then((rows) => ({ at, rows }));
      },
      (page) => page.at + pageSize < ids.length,
    );
    for await (const page of pages) for (const raw of page.rows) yield record(r, raw);
  }

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
      // The changed rows' keys first, ID_PAGE of them a statement in (updated-at, id) order, then their rows by
      // id: where no index leads with the updated-at column, each statement is a pass over the source, and a
      // read of 1% of a table takes one pass rather than one per page of rows. The next keys are read ahead.
      const keys = pagesAhead(
        (previous: { u: string; id: string }[] | null) => {
          const after = previous?.[previous.length - 1];
          const keyset: string = after ? `and (${u}, ${r.sid}) > ($2::${bound.cast}, $3::${r.idType})` : '';
          const params: string[] = after ? [bound.text(since), after.u, after.id] : [bound.text(since)];
          return r.read((query) =>
            query<{ u: string; id: string }>(
              `select ${u}::text as u, ${r.sid}::text as id from ${r.from}
               where ${r.sid} is not null and ${u} >= $1::${bound.cast} ${keyset}
               order by ${u}, ${r.sid} limit ${ID_PAGE}`,
              params,
            ),
          );
        },
        (page) => page.length === ID_PAGE,
      );
      for await (const page of keys)
        yield* rowsById(
          r,
          page.map((key) => key.id),
        );
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
      return r.read(async (query) => {
        // A legacy server may lack what the digests are computed with (bit_xor came with PostgreSQL 14).
        const [can] = await query<{ ok: boolean }>(
          `select to_regprocedure('hashtextextended(text,bigint)') is not null
                  and to_regprocedure('bit_xor(bigint)') is not null as ok`,
        );
        if (!can?.ok) return null;
        return query<IdDigest>(idDigestsSql(`${r.sid}::text`, `from ${r.from} where ${r.sid} is not null`));
      });
    },

    async withoutId() {
      const r = await describe();
      const [row] = await r.read((query) =>
        query<{ n: number }>(`select count(*)::int as n from ${r.from} where ${r.sid} is null`),
      );
      return row?.n ?? 0;
    },

    async *byIds(ids) {
      yield* rowsById(await describe(), ids);
    },
  };
}
