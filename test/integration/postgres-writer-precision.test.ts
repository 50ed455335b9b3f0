import { discoverTable, PostgresTableWriter } from '../../connectors/postgres/target';
import { openSql } from '../../staging/db';
import { testEnv, uniqueId } from '../support/harness';

/**
 * The PostgreSQL writer stores date and time values at the precision the target column keeps, whatever the
 * driver would make of them: postgres.js sends a parameter the server types as a timestamp through a JS Date
 * (milliseconds, local time zone) unless told otherwise.
 */
describe('PostgreSQL target: date and time values keep their precision', () => {
  const schema = uniqueId('t');
  const rows = [
    { legacy_id: 'a', at: '1996-08-29T20:53:43.260137Z', local: '1996-08-29T20:53:43.260137', day: '1996-08-29' },
    { legacy_id: 'b', at: '2024-03-31T01:59:59.999999+05:30', local: '2024-03-31 01:59:59.000001', day: '2024-02-29' },
  ];
  const expected = [
    ['a', '1996-08-29 20:53:43.260137', '1996-08-29 20:53:43.260137', '1996-08-29'],
    ['b', '2024-03-30 20:29:59.999999', '2024-03-31 01:59:59.000001', '2024-02-29'],
  ];

  async function written(sql: Awaited<ReturnType<typeof openSql>>) {
    const read = await sql.unsafe<{ legacy_id: string; at: string; local: string; day: string }[]>(
      `select legacy_id, (at at time zone 'UTC')::text as at, local::text, day::text from "${schema}".payments order by 1`,
    );
    return read.map((r) => [r.legacy_id, r.at, r.local, r.day]);
  }

  it('inserts and updates microseconds, offsets and dates exactly (in this process)', async () => {
    const sql = await openSql(testEnv().databaseUrl);
    try {
      await sql.unsafe(`create schema "${schema}";
        create table "${schema}".payments (legacy_id text primary key, at timestamptz, local timestamp, day date)`);
      const writer = new PostgresTableWriter(sql, await discoverTable(sql, schema, 'payments'), 'legacy_id');
      await writer.write(rows, []);
      expect(await written(sql)).toEqual(expected);
      await sql.unsafe(`delete from "${schema}".payments`);
      await writer.write(rows, []);
      await writer.write([], rows);
      expect(await written(sql)).toEqual(expected);
    } finally {
      await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      await sql.end();
    }
  });
});
