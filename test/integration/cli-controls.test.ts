import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import type { ApprovalOutcome } from '../../scripts/commands/controls';
import type { QuarantineList, QuarantineShow, ReplayOutcome } from '../../scripts/commands/quarantine';
import type { ReconcileOutcome } from '../../scripts/commands/reconcile';
import { loadStatus, type MigrationStatus } from '../../scripts/commands/status';
import type { Staging } from '../../staging/db';
import { progressQuery, type PhaseProgress } from '../../workflows/phase';
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

/** The operator's commands around a running migration, through the CLI on real Temporal and PostgreSQL. */
describe('tern status, reconcile, quarantine, pause/resume and approve', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let env: NodeJS.ProcessEnv;
  const scenarios: CustomerScenario[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_TASK_QUEUE: settings.taskQueue,
    };
  });
  afterAll(async () => {
    for (const s of scenarios) await dropScenario(staging, s);
    await client.connection.close();
    await staging.close();
  });

  /** A customers scenario with its plan written to `plan.yaml` in its folder (optionally edited). */
  const scenarioWithPlan = async (
    options: Parameters<typeof customerScenario>[1],
    edit: (planText: string) => string = (t) => t,
  ) => {
    const s = await customerScenario(staging, options);
    scenarios.push(s);
    const file = path.join(s.dir, 'plan.yaml');
    fs.writeFileSync(file, edit(s.planText));
    return { s, file };
  };
  const tern = (...args: string[]) => runTern(args, env);
  const lastJson = <T>(stdout: string): T => JSON.parse(stdout.trim().split('\n').pop()!) as T;
  const errorLines = (stderr: string) =>
    stderr.split('\n').filter((l) => l.startsWith('tern: ') && !/^tern: (staging on|workflow |saved )/.test(l));
  /** The exit code, with the command's stderr in the failure message. */
  const expectExit = (ran: { code: number | null; stderr: string }, code: number) => {
    if (ran.code !== code) throw new Error(`expected exit ${code}, got ${ran.code}; stderr:\n${ran.stderr}`);
  };
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  describe('after a full run of a CSV with 3 unparseable rows', () => {
    let s: CustomerScenario;
    let plan: string;

    beforeAll(async () => {
      ({ s, file: plan } = await scenarioWithPlan({ rows: 200, brokenRows: 3, seed: 13 }));
      const run = await tern('run', 'full', plan, '--migration', s.migrationId);
      if (run.code !== 0) throw new Error(`tern run full failed (${run.code}): ${run.stderr}`);
    });

    it('reconcile --json proves the migration again with the exact counts', async () => {
      const ran = await tern('reconcile', plan, '--migration', s.migrationId, '--json');
      expectExit(ran, 0);
      const outcome = lastJson<ReconcileOutcome>(ran.stdout);
      expect(outcome).toMatchObject({ migration: s.migrationId, phase: 'full', ok: true });
      expect(outcome.objects).toHaveLength(1);
      expect(outcome.objects[0]).toMatchObject({
        object: 'customers',
        source: 200,
        loaded: 197,
        quarantined: 3,
        filtered: 0,
        deduplicated: 0,
        checksumMismatches: 0,
      });
      const sums = outcome.objects[0]!.sums.lifetime_value!;
      expect(sums.loaded).toBe(sums.new);
      expect(sums.ok).toBe(true);
    });

    it('quarantine list counts the 3 unparseable rows; show lists them without the raw record', async () => {
      const list = await tern('quarantine', 'list', plan, '--migration', s.migrationId, '--json');
      expectExit(list, 0);
      expect(lastJson<QuarantineList>(list.stdout)).toEqual({
        migration: s.migrationId,
        open: 3,
        groups: [{ object: 'customers', stage: 'extract', reason: 'unparseable_row', open: 3 }],
      });

      const text = await tern('quarantine', 'list', plan, '--migration', s.migrationId);
      expectExit(text, 0);
      expect(text.stdout).toMatch(/customers\s+extract\s+unparseable_row\s+3/);

      const show = await tern(
        'quarantine',
        'show',
        plan,
        '--migration',
        s.migrationId,
        '--object',
        'customers',
        '--json',
      );
      expectExit(show, 0);
      const shown = lastJson<QuarantineShow>(show.stdout);
      expect(shown.total).toBe(3);
      expect(shown.records).toHaveLength(3);
      for (const r of shown.records) {
        expect(r).toMatchObject({ stage: 'extract', reason: 'unparseable_row' });
        expect(r.key).toMatch(/^line:\d+$/);
        expect(r.message).toMatch(/^line \d+: /);
        expect(r).not.toHaveProperty('raw');
      }
      expect(show.stdout).not.toMatch(/Unclosed|Short,Row/);
    });

    it('status --json shows the full phase completed with its UI link, and staging’s runs and proof', async () => {
      const ran = await tern('status', plan, '--migration', s.migrationId, '--json');
      expectExit(ran, 0);
      const status = lastJson<MigrationStatus>(ran.stdout);
      expect(status.migration).toBe(s.migrationId);
      expect(status.phases).toHaveLength(1);
      expect(status.phases[0]).toMatchObject({
        phase: 'full',
        status: 'completed',
        workflowId: `${s.migrationId}/full`,
      });
      expect(status.phases[0]!.closedAt).not.toBeNull();
      expect(status.phases[0]!.uiUrl).toContain(`/workflows/${encodeURIComponent(`${s.migrationId}/full`)}`);
      expect(status.runs).toEqual([expect.objectContaining({ phase: 'full', status: 'completed' })]);
      expect(status.quarantine).toEqual({
        open: 3,
        byObject: [{ object: 'customers', stage: 'extract', reason: 'unparseable_row', count: 3 }],
      });
      expect(status.reconciliation).toMatchObject({
        phase: 'full',
        ok: true,
        objects: [{ object: 'customers', source: 200, loaded: 197, quarantined: 3, checksumMismatches: 0 }],
      });
    });

    it('reconcile exits 1 and names a target row changed behind Tern’s back', async () => {
      const [row] = await staging.sql.unsafe<{ legacy_id: string }[]>(
        `select legacy_id from "${s.schema}".customers order by legacy_id limit 1 offset 10`,
      );
      const id = row!.legacy_id;
      await staging.sql.unsafe(`update "${s.schema}".customers set first_name = 'tampered' where legacy_id = $1`, [id]);
      const ran = await tern('reconcile', plan, '--migration', s.migrationId, '--json');
      expectExit(ran, 1);
      const outcome = lastJson<ReconcileOutcome>(ran.stdout);
      expect(outcome.ok).toBe(false);
      expect(outcome.objects[0]).toMatchObject({
        object: 'customers',
        loaded: 197,
        checksumMismatches: 1,
        mismatchExamples: [{ sourceId: id, fields: ['first_name'] }],
        ok: false,
      });
    });
  });

  it('pauses, resumes and approves a gated full phase; an approval without a reason is refused', async () => {
    const { s, file } = await scenarioWithPlan({ rows: 60, seed: 21 });
    const args = [file, '--migration', s.migrationId, '--phase', 'full'];
    const started = await startPhase(client, settings, staging.db, s.loaded, {
      phase: 'full',
      migrationId: s.migrationId,
      gate: true,
    });
    // No worker yet: the status says so instead of waiting for an answer.
    const early = await loadStatus({ client, staging, settings }, s.migrationId, { queryTimeoutMs: 1000 });
    expect(early.phases).toEqual([expect.objectContaining({ phase: 'full', status: 'running' })]);
    expect(early.phases[0]!.progressError).toMatch(/no worker answered the progress query within 1s/);

    await withWorker(settings, staging, async () => {
      const progress = () => started.handle.query(progressQuery);
      await eventually(async () => (await progress()).awaitingApproval, 'the gate');

      const status = await tern('status', file, '--migration', s.migrationId, '--json');
      expectExit(status, 0);
      const full = lastJson<MigrationStatus>(status.stdout).phases.find((p) => p.phase === 'full')!;
      expect(full.status).toBe('running');
      expect(full.progress).toMatchObject({ awaitingApproval: true, paused: false });
      expect((full.progress as PhaseProgress).objects[0]).toMatchObject({ object: 'customers', stage: 'prepared' });

      const paused = await tern('pause', ...args, '--reason', 'checking the target');
      expectExit(paused, 0);
      await eventually(async () => {
        const p = await progress();
        return p.paused && p.pauseReason === 'checking the target';
      }, 'the pause');
      const resumed = await tern('resume', ...args);
      expectExit(resumed, 0);
      await eventually(async () => !(await progress()).paused, 'the resume');

      const refused = await tern('approve', ...args, '--by', 'alice');
      expectExit(refused, 2);
      const lines = errorLines(refused.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/refused the approval: approve needs a `reason`/);
      expect(lines[0]).toMatch(/fix: tern approve <plan> --phase full --by <name> --reason/);
      expect(refused.stderr).not.toMatch(/^\s+at /m);
      expect((await progress()).awaitingApproval).toBe(true);

      const approved = await tern('approve', ...args, '--by', 'alice', '--reason', 'rehearsal signed off', '--json');
      expectExit(approved, 0);
      expect(lastJson<ApprovalOutcome>(approved.stdout)).toMatchObject({
        approval: { by: 'alice', reason: 'rehearsal signed off' },
        alreadyApproved: false,
      });
      const result = await started.handle.result();
      expect(result.ok).toBe(true);
      expect(result.approval).toEqual({ by: 'alice', reason: 'rehearsal signed off' });
      expect(result.objects[0]).toMatchObject({ source: 60, loaded: 60 });
    });
  });

  it('quarantine replay re-maps the staged records after a plan fix and resolves their quarantine', async () => {
    const strict = (t: string) =>
      t.replace(
        '{ from: country, to: country, transform: [trim, uppercase, null_if_empty] }',
        '{ from: country, to: country, transform: [trim, uppercase, required] }',
      );
    const { s, file } = await scenarioWithPlan({ rows: 150, seed: 5 }, strict);
    expect(fs.readFileSync(file, 'utf8')).toContain('[trim, uppercase, required]');
    const first = await tern('run', 'full', file, '--migration', s.migrationId, '--json');
    expectExit(first, 0);
    const list = lastJson<QuarantineList>(
      (await tern('quarantine', 'list', file, '--migration', s.migrationId, '--reason', 'required_missing', '--json'))
        .stdout,
    );
    const blanks = list.open;
    expect(blanks).toBeGreaterThan(0);
    expect(list.groups).toEqual([{ object: 'customers', stage: 'map', reason: 'required_missing', open: blanks }]);

    fs.writeFileSync(file, s.planText); // the fix: a blank country becomes null
    const replay = await tern('quarantine', 'replay', file, '--migration', s.migrationId, '--json');
    expectExit(replay, 0);
    const outcome = lastJson<ReplayOutcome>(replay.stdout);
    expect(outcome).toMatchObject({ migration: s.migrationId, planChanged: true, resolved: blanks, ok: true });
    expect(outcome.before.open).toBe(blanks);
    expect(outcome.after.open).toBe(0);
    expect(outcome.result.objects[0]).toMatchObject({ source: 150, loaded: 150, quarantined: 0 });
    const [target] = await staging.sql.unsafe<{ n: number; blank: number }[]>(
      `select count(*)::int as n, count(*) filter (where country is null)::int as blank from "${s.schema}".customers`,
    );
    expect(target).toEqual({ n: 150, blank: blanks });
  });
});
