import postgres from 'postgres';
import { copyRows, type TextRow } from '../../staging/copy-rows';
import { testEnv, uniqueId } from '../support/harness';

/**
 * COPY straight into a table with a constraint (how extraction stages a batch into staged_records first): when
 * PostgreSQL refuses a row, the error reaches the caller whether the refusal arrives while rows are still being sent
 * or after the last one, and the connection goes on in the same transaction once the savepoint taken before the
 * COPY is rolled back.
 */
describe('copyRows refused by PostgreSQL', () => {
  let sql: postgres.Sql;
  const table = uniqueId('copy_refused');

  beforeAll(async () => {
    sql = postgres(testEnv().databaseUrl, { max: 1, onnotice: () => undefined });
    await sql.unsafe(`create table ${table} (id text primary key, body text not null, n serial)`);
  });
  afterAll(async () => {
    await sql.unsafe(`drop table if exists ${table}`);
    await sql.end({ timeout: 5 });
  });

  /** `count` rows with ids `<prefix><i>`, each with a body of about 1 KB (tens of MB in all for the large cases). */
  const rows = (prefix: string, count: number): TextRow[] =>
    Array.from({ length: count }, (_, i) => [`${prefix}${i}`, `${'x\ty\\z\n'.repeat(170)}${i}`]);

  /** Stages `batch` under a savepoint in one transaction with a marker row; what was refused, and the table after. */
  async function stage(batch: TextRow[]): Promise<{ refused: string | null; ids: string[] }> {
    await sql.unsafe(`truncate ${table}`);
    await sql.unsafe(`insert into ${table} (id, body) values ('taken', 'first')`);
    const refused = await sql.begin(async (tx) => {
      await tx.unsafe('savepoint straight');
      let message: string | null = null;
      try {
        await copyRows(tx as unknown as postgres.Sql, table, ['id', 'body'], batch);
      } catch (err) {
        message = (err as Error).message;
        await tx.unsafe('rollback to savepoint straight');
      }
      await tx.unsafe(`insert into ${table} (id, body) values ('after', 'the same transaction')`);
      return message;
    });
    const ids = (await sql.unsafe<{ id: string }[]>(`select id from ${table} order by n`)).map((r) => r.id);
    return { refused, ids };
  }

  it('stages every row, in order, when none is refused', async () => {
    const batch = rows('r', 20_000);
    const { refused, ids } = await stage(batch);
    expect(refused).toBeNull();
    expect(ids).toEqual(['taken', ...batch.map((r) => r[0]), 'after']);
  });

  it('refused at the first of tens of MB of rows: nothing of it staged, the transaction goes on', async () => {
    const { refused, ids } = await stage([['taken', 'again'], ...rows('r', 40_000)]);
    expect(refused).toMatch(/duplicate key value violates unique constraint/);
    expect(ids).toEqual(['taken', 'after']);
  });

  it('refused at its last row: nothing of it staged, the transaction goes on', async () => {
    const { refused, ids } = await stage([...rows('r', 5_000), ['taken', 'again']]);
    expect(refused).toMatch(/duplicate key value violates unique constraint/);
    expect(ids).toEqual(['taken', 'after']);
  });

  it('leaves the connection usable after a refusal outside a transaction too', async () => {
    const outcome = await copyRows(sql, table, ['id', 'body'], [['taken', 'again'], ...rows('s', 20_000)]).catch(
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/duplicate key value violates unique constraint/);
    expect(await sql`select 1 as ok`).toEqual([{ ok: 1 }]);
  });
});
