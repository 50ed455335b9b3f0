import type { Staging } from '../../staging/db';
import { holdMigration, stageChanges, type StagedChange } from '../../staging/repos/staged-changes';
import { bareMigration, testStaging } from '../support/harness';

/**
 * staged_records has no foreign key to its migration (its check ran once per staged record). What the key
 * guaranteed still holds: nothing is staged for a migration staging does not hold, and deleting a migration deletes
 * its staged records, those of a batch staged while the deletion was under way included. Rows are read from
 * staged_records itself.
 */
describe('staged records belong to a migration staging holds', () => {
  let staging: Staging;
  const migrations: string[] = [];

  beforeAll(async () => {
    staging = await testStaging();
  });
  afterAll(async () => {
    for (const id of migrations) await staging.sql`delete from migrations where id = ${id}`;
    await staging.close();
  });

  async function migration(): Promise<string> {
    const id = await bareMigration(staging, 'mig_sro');
    migrations.push(id);
    return id;
  }

  const changes = (n: number): StagedChange[] =>
    Array.from({ length: n }, (_, i) => ({
      sourceId: `S${i}`,
      position: `line ${i + 2}`,
      record: { id: `S${i}` },
      hash: `h${i}`,
      updatedAt: null,
      kind: 'new',
    }));

  const stagedIds = async (m: string) =>
    (
      await staging.sql<{ source_id: string }[]>`
        select source_id from staged_records where migration_id = ${m} order by source_id`
    ).map((r) => r.source_id);

  it('stages a delta’s changes for a migration it holds, and none for one that is gone', async () => {
    const m = await migration();
    await stageChanges(staging.sql, m, 'accounts', changes(2));
    expect(await stagedIds(m)).toEqual(['S0', 'S1']);

    await staging.sql`delete from migrations where id = ${m}`;
    expect(await stagedIds(m)).toEqual([]);
    await expect(stageChanges(staging.sql, m, 'accounts', changes(3))).rejects.toThrow(
      `migration ${m} is not in staging: nothing can be staged for it`,
    );
    expect(await stagedIds(m)).toEqual([]);
    await expect(holdMigration(staging.sql, m)).rejects.toThrow(`migration ${m} is not in staging`);
  });

  it('makes a deletion wait for a batch staged under the lock, then deletes the batch too', async () => {
    const m = await migration();
    const batch = await staging.sql.reserve();
    try {
      await batch`begin`;
      await holdMigration(batch, m);
      await batch`
        insert into staged_records (migration_id, object, source_id, raw, source_hash)
        values (${m}, 'accounts', 'S0', '{}'::jsonb, 'h'), (${m}, 'accounts', 'S1', '{}'::jsonb, 'h')`;
      let deleted = false;
      const deletion = staging.sql`delete from migrations where id = ${m}`.then(() => {
        deleted = true;
      });
      // The deletion reaches the server and waits there on the batch's lock.
      let waiting = 0;
      for (let polls = 0; waiting === 0 && polls < 200; polls += 1) {
        const [row] = await staging.sql<{ waiting: number }[]>`
          select count(*)::int as waiting from pg_stat_activity
          where wait_event_type = 'Lock' and query like 'delete from migrations where id = %'`;
        waiting = row?.waiting ?? 0;
        if (waiting === 0) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(waiting).toBe(1);
      expect(deleted).toBe(false);
      await batch`commit`;
      await deletion;
      expect(deleted).toBe(true);
    } finally {
      batch.release();
    }
    expect(await stagedIds(m)).toEqual([]);
  });
});
