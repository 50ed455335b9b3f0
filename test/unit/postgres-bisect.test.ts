import postgres from 'postgres';
import { PostgresTableRecords } from '../../connectors/postgres/records';
import type { PostgresTableWriter } from '../../connectors/postgres/target';
import type { WriteItem } from '../../connectors/target';

/**
 * A writer that behaves as PostgreSQL does for a page: the whole transaction fails when any row in it is bad,
 * with that row's own error; otherwise every row is written. It counts the statements it was asked for.
 */
function fakeWriter(bad: ReadonlySet<string>) {
  const calls: number[] = [];
  const writer = {
    write(inserts: readonly Record<string, unknown>[], updates: readonly Record<string, unknown>[]) {
      calls.push(inserts.length + updates.length);
      const rows = [...inserts, ...updates];
      const refused = rows.find((r) => bad.has(String(r.legacy_id)));
      if (refused) {
        const id = String(refused.legacy_id);
        return Promise.reject(
          new postgres.PostgresError({
            message: `invalid input syntax for type integer: "bad-${id}"`,
            code: '22P02',
          } as never),
        );
      }
      return Promise.resolve(new Map(rows.map((r) => [String(r.legacy_id), `t-${String(r.legacy_id)}`])));
    },
  };
  return { writer: writer as unknown as PostgresTableWriter, calls };
}

function page(n: number): WriteItem[] {
  return Array.from({ length: n }, (_, i) => ({
    sourceId: String(i),
    payload: { legacy_id: String(i), amount: String(i) },
    existing: i % 3 === 0 ? { legacy_id: String(i) } : undefined,
  }));
}

describe('PostgreSQL target: a page with bad rows is bisected, not replayed row by row', () => {
  it('writes a clean page in one attempt', async () => {
    const { writer, calls } = fakeWriter(new Set());
    const outcome = await new PostgresTableRecords(writer).write(page(1000));
    expect(calls).toEqual([1000]);
    expect(outcome.ids.size).toBe(1000);
    expect(outcome.rejected.size).toBe(0);
  });

  it('finds one bad row among 1,000 in about 2·log2(1000) attempts, refusing only it with its own error', async () => {
    const { writer, calls } = fakeWriter(new Set(['617']));
    const outcome = await new PostgresTableRecords(writer).write(page(1000));
    expect(calls.length).toBeLessThanOrEqual(2 * Math.log2(1000) + 2);
    expect([...outcome.rejected]).toEqual([
      ['617', { message: 'invalid input syntax for type integer: "bad-617"', code: '22P02' }],
    ]);
    expect(outcome.ids.size).toBe(999);
    expect(outcome.ids.has('617')).toBe(false);
  });

  it('refuses exactly the 3 bad rows among 500, each with its own message, in O(k·log n) attempts', async () => {
    const bad = new Set(['0', '250', '499']);
    const { writer, calls } = fakeWriter(bad);
    const outcome = await new PostgresTableRecords(writer).write(page(500));
    expect(calls.length).toBeLessThanOrEqual(3 * (2 * Math.log2(500) + 1));
    expect(new Set(outcome.rejected.keys())).toEqual(bad);
    for (const id of bad) expect(outcome.rejected.get(id)?.message).toContain(`bad-${id}`);
    expect(outcome.ids.size).toBe(497);
  });

  it('writes every good row exactly once', async () => {
    const { writer, calls } = fakeWriter(new Set(['3', '4', '900']));
    const outcome = await new PostgresTableRecords(writer).write(page(1000));
    const succeeded = outcome.ids.size + outcome.rejected.size;
    expect(succeeded).toBe(1000);
    expect(calls.length).toBeLessThan(100);
  });

  it('lets an error that is not a record’s end the page', async () => {
    const writer = {
      write: () =>
        Promise.reject(new postgres.PostgresError({ message: 'terminating connection', code: '57P01' } as never)),
    } as unknown as PostgresTableWriter;
    await expect(new PostgresTableRecords(writer).write(page(10))).rejects.toThrow('terminating connection');
  });
});
