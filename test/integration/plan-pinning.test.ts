import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { workflowUiUrl } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { resolvePlanPaths, startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { getMigration, saveMigration, UnknownPlanVersionError } from '../../staging/migrations-repo';
import { approveUpdate, progressQuery } from '../../workflows/phase';
import {
  customerScenario,
  dropScenario,
  testClient,
  testEnv,
  testSettings,
  testStaging,
  withWorker,
  type CustomerScenario,
} from '../support/harness';
import { runTern } from '../support/processes';

const UPPER = '{ from: country, to: country, transform: [trim, uppercase, null_if_empty] }';
const LOWER = '{ from: country, to: country, transform: [trim, lowercase, null_if_empty] }';

/** A running phase keeps the plan it started with, on real Temporal and PostgreSQL. */
describe('a running phase keeps the plan it started with', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const scenarios: CustomerScenario[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    // The payload key the `tern` processes this test starts use too.
    settings = testSettings({ TERN_PAYLOAD_KEY: process.env.TERN_PAYLOAD_KEY });
    client = await testClient(settings);
  });
  afterAll(async () => {
    for (const s of scenarios) await dropScenario(staging, s);
    await client.connection.close();
    await staging.close();
  });

  const scenario = async (rows: number, seed: number) => {
    const s = await customerScenario(staging, { rows, seed });
    scenarios.push(s);
    expect(s.planText).toContain(UPPER);
    return s;
  };
  const countries = async (s: CustomerScenario) => {
    const [row] = await staging.sql.unsafe<{ n: number; upper: number; lower: number }[]>(
      `select count(*)::int as n,
              count(*) filter (where country = upper(country) and country <> lower(country))::int as upper,
              count(*) filter (where country = lower(country) and country <> upper(country))::int as lower
       from "${s.schema}".customers`,
    );
    return row!;
  };
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('`tern run` with an edited plan is refused while the phase runs, which loads the version it pinned', async () => {
    const s = await scenario(80, 31);
    const file = path.join(s.dir, 'plan.yaml');
    fs.writeFileSync(file, s.planText);
    const started = await startPhase(client, settings, staging.db, s.loaded, {
      phase: 'full',
      migrationId: s.migrationId,
      gate: true,
    });
    const edited = parsePlan(s.planText.replace(UPPER, LOWER), file);
    expect(edited.hash).not.toBe(s.loaded.hash);

    await withWorker(settings, staging, async () => {
      await eventually(async () => (await started.handle.query(progressQuery)).awaitingApproval, 'the gate');

      fs.writeFileSync(file, s.planText.replace(UPPER, LOWER));
      const env = {
        DATABASE_URL: testEnv().databaseUrl,
        TEMPORAL_ADDRESS: testEnv().temporalAddress,
        TERN_TASK_QUEUE: settings.taskQueue,
      };
      const ran = await runTern(['run', 'full', file, '--migration', s.migrationId], env);
      if (ran.code !== 2) throw new Error(`expected exit 2, got ${ran.code}; stderr:\n${ran.stderr}`);
      const lines = ran.stderr.split('\n').filter((l) => l.startsWith('tern: ') && !/^tern: staging on/.test(l));
      expect(lines).toEqual([
        `tern: the full phase of ${s.migrationId} is running with the plan it started with (hash ${s.loaded.hash.slice(0, 12)}), and this plan differs from it (hash ${edited.hash.slice(0, 12)}): a running phase keeps its plan — fix: wait until the phase ends (\`tern status <plan>\`) and run it again, or cancel it (Temporal UI: ${workflowUiUrl(settings.temporal, `${s.migrationId}/full`)}) and run \`tern run full <plan>\` to start over with this plan`,
      ]);
      // Refused before anything changed: the current plan is still the one the phase runs.
      expect((await getMigration(staging.db, s.migrationId)).planHash).toBe(s.loaded.hash);

      // Another command makes the edited plan current meanwhile; the running phase's activities load its own.
      await saveMigration(staging.db, {
        id: s.migrationId,
        plan: resolvePlanPaths(edited),
        planHash: edited.hash,
        actor: 'test',
      });
      await started.handle.executeUpdate(approveUpdate, { args: [{ by: 'test', reason: 'pinned plan check' }] });
      const result = await started.handle.result();
      expect(result.ok).toBe(true);
      expect(result.objects[0]).toMatchObject({ source: 80, loaded: 80, checksumMismatches: 0 });
    });
    const pinned = await countries(s);
    expect(pinned.upper).toBeGreaterThan(0);
    expect(pinned.lower).toBe(0);

    // The next phase starts with the plan as it is now, and pins that one.
    const again = await startPhase(client, settings, staging.db, edited, { phase: 'full', migrationId: s.migrationId });
    expect((await again.handle.describe()).memo).toMatchObject({ planHash: edited.hash });
    await withWorker(settings, staging, async () => {
      const result = await again.handle.result();
      expect(result.ok).toBe(true);
    });
    const current = await countries(s);
    expect(current).toEqual({ n: 80, upper: 0, lower: pinned.upper });
  });

  it('keeps every version of a plan by hash; the change and its audit entry commit together or not at all', async () => {
    const s = await scenario(5, 3);
    const first = s.loaded;
    const second = parsePlan(s.planText.replace(UPPER, LOWER), first.file);
    const save = (loaded: typeof first) =>
      saveMigration(staging.db, {
        id: s.migrationId,
        plan: resolvePlanPaths(loaded),
        planHash: loaded.hash,
        actor: 'test',
      });
    const changes = async () =>
      (
        await staging.sql<{ n: number }[]>`
          select count(*)::int as n from audit_log where migration_id = ${s.migrationId} and action = 'plan.changed'`
      )[0]!.n;

    expect(await save(first)).toEqual({ created: true, planChanged: false });
    expect(await save(second)).toEqual({ created: false, planChanged: true });
    expect((await getMigration(staging.db, s.migrationId)).planHash).toBe(second.hash);
    const old = await getMigration(staging.db, s.migrationId, first.hash);
    expect(old.planHash).toBe(first.hash);
    expect(JSON.stringify(old.plan)).toContain('"uppercase"');
    expect(JSON.stringify((await getMigration(staging.db, s.migrationId, second.hash)).plan)).toContain('"lowercase"');
    await expect(getMigration(staging.db, s.migrationId, 'f'.repeat(64))).rejects.toThrow(UnknownPlanVersionError);
    expect(await changes()).toBe(1);

    // The audit entry cannot be written: the plan change is not made either.
    const fn = `refuse_audit_${s.migrationId}`;
    await staging.sql.unsafe(`
      create function "${fn}"() returns trigger language plpgsql as $$
      begin raise exception 'audit log refused'; end $$;
      create trigger "${fn}" before insert on audit_log for each row
        when (new.migration_id = '${s.migrationId}') execute function "${fn}"();`);
    const third = parsePlan(s.planText.replace(UPPER, '{ from: country, to: country, transform: [trim] }'), first.file);
    try {
      const refused: unknown = await save(third).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((refused as Error | undefined)?.cause).toMatchObject({ message: 'audit log refused' });
    } finally {
      await staging.sql.unsafe(`drop trigger "${fn}" on audit_log; drop function "${fn}"();`);
    }
    expect((await getMigration(staging.db, s.migrationId)).planHash).toBe(second.hash);
    await expect(getMigration(staging.db, s.migrationId, third.hash)).rejects.toThrow(UnknownPlanVersionError);
    expect(await changes()).toBe(1);
    expect(await save(third)).toEqual({ created: false, planChanged: true });
    expect(await changes()).toBe(2);
  });
});
