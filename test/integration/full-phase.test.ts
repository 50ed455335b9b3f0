import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { verifyAuditChain } from '../../staging/audit-verify';
import { progressQuery } from '../../workflows/phase';
import { withWorker, type CustomerScenario, useTernEnvironment } from '../support/harness';

describe('full phase: CSV → PostgreSQL on real Temporal and PostgreSQL', () => {
  const t = useTernEnvironment();
  // Set once the suite's environment is up (a describe's body runs before beforeAll).
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  const scenario = (options: Parameters<typeof t.scenario>[0]) => t.scenario(options);
  const targetRows = async (s: CustomerScenario) => {
    const [row] = await staging.sql.unsafe<{ n: number; keys: number }[]>(
      `select count(*)::int as n, count(distinct legacy_id)::int as keys from "${s.schema}".customers`,
    );
    return row!;
  };

  it('migrates every row of a dirty CSV exactly once and proves it by counts, checksums and sums', async () => {
    const s = await scenario({ rows: 1200 });
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });
    const customers = result.objects[0]!;
    expect(result.ok).toBe(true);
    expect(customers).toMatchObject({
      object: 'customers',
      source: 1200,
      loaded: 1200,
      quarantined: 0,
      checksumMismatches: 0,
      unaccounted: 0,
    });
    expect(customers.sums.lifetime_value).toMatchObject({ ok: true, unaccounted: '0' });
    expect(customers.sums.lifetime_value!.loaded).toBe(customers.sums.lifetime_value!.new);
    expect(await targetRows(s)).toEqual({ n: 1200, keys: 1200 });

    // The dirt was cleaned on the way: no padded names, no upper-case emails, ISO dates only.
    const [dirty] = await staging.sql.unsafe<{ padded: number; shouting: number }[]>(
      `select count(*) filter (where first_name <> btrim(first_name))::int as padded,
              count(*) filter (where email <> lower(email))::int as shouting from "${s.schema}".customers`,
    );
    expect(dirty).toEqual({ padded: 0, shouting: 0 });
    const chain = await verifyAuditChain(staging.db, s.migrationId);
    expect(chain.broken).toBeNull();
    expect(chain.ok).toBe(true);
    expect(chain.entries).toBeGreaterThanOrEqual(3);
    expect(chain.headsChecked).toBeGreaterThanOrEqual(1);
  });

  it('quarantines broken rows with their line numbers and migrates the rest', async () => {
    const s = await scenario({ rows: 500, brokenRows: 4, seed: 11 });
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });
    const customers = result.objects[0]!;
    expect(customers).toMatchObject({ source: 500, loaded: 496, quarantined: 4, checksumMismatches: 0 });
    expect(result.ok).toBe(true);
    const rows = await staging.sql<{ record_key: string; message: string; reason_code: string }[]>`
      select record_key, message, reason_code from quarantine where migration_id = ${s.migrationId} order by record_key`;
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row.record_key).toMatch(/^line:\d+$/);
      expect(row.reason_code).toBe('unparseable_row');
      expect(row.message).toMatch(/^line \d+: /);
    }
    expect(await targetRows(s)).toEqual({ n: 496, keys: 496 });
  });

  it('writes nothing new when a finished phase is run again', async () => {
    const s = await scenario({ rows: 300, seed: 3 });
    const run = () =>
      withWorker(settings, staging, async () => {
        const started = await startPhase(client, settings, staging.db, s.loaded, {
          phase: 'full',
          migrationId: s.migrationId,
        });
        return started.handle.result();
      });
    await run();
    const before =
      await staging.sql`select source_id, attempt, updated_at from id_map where migration_id = ${s.migrationId} order by source_id`;
    const second = await run();
    const after =
      await staging.sql`select source_id, attempt, updated_at from id_map where migration_id = ${s.migrationId} order by source_id`;
    expect(second.ok).toBe(true);
    expect(after).toEqual(before);
    expect(await targetRows(s)).toEqual({ n: 300, keys: 300 });
  });

  it('attaches a second start of a running phase to the first and answers the progress query', async () => {
    const s = await scenario({ rows: 400, seed: 5, pageSize: 50 });
    const first = await startPhase(client, settings, staging.db, s.loaded, {
      phase: 'full',
      migrationId: s.migrationId,
    });
    const second = await startPhase(client, settings, staging.db, s.loaded, {
      phase: 'full',
      migrationId: s.migrationId,
    });
    expect(second.handle.firstExecutionRunId).toBe(first.handle.firstExecutionRunId);
    const description = await first.handle.describe();
    expect(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['MigrationId', s.migrationId],
        ['Phase', 'full'],
        ['Source', 'csv'],
        ['Target', 'postgres'],
      ]),
    );
    const result = await withWorker(settings, staging, () => first.handle.result());
    expect(result.ok).toBe(true);
    // Queries of a closed workflow are answered from its history by a worker.
    const progress = await withWorker(settings, staging, () => first.handle.query(progressQuery));
    expect(progress.objects[0]).toMatchObject({
      object: 'customers',
      stage: 'done',
      total: 400,
      done: 400,
      written: 400,
      quarantined: 0,
    });
    expect(await targetRows(s)).toEqual({ n: 400, keys: 400 });
  });

  it("reports a target row changed behind Tern's back as a checksum mismatch", async () => {
    const s = await scenario({ rows: 200, seed: 9 });
    const run = () =>
      withWorker(settings, staging, async () => {
        const started = await startPhase(client, settings, staging.db, s.loaded, {
          phase: 'full',
          migrationId: s.migrationId,
        });
        return started.handle.result();
      });
    expect((await run()).ok).toBe(true);
    await staging.sql.unsafe(
      `update "${s.schema}".customers set email = 'someone.else@example.com' where legacy_id = 'C000042'`,
    );
    const again = await run();
    expect(again.ok).toBe(false);
    expect(again.objects[0]).toMatchObject({
      checksumMismatches: 1,
      mismatchExamples: [{ sourceId: 'C000042', fields: ['email'] }],
    });
  });
});
