import fs from 'node:fs';
import path from 'node:path';
import type { Staging } from '../../staging/db';
import {
  customerScenario,
  dropScenario,
  testEnv,
  testSettings,
  testStaging,
  type CustomerScenario,
} from '../support/harness';
import { runTern } from '../support/processes';

/**
 * `tern run` and `tern rollback` show each object's progress while they wait; where stderr is not a terminal (a
 * log, CI, this test) as plain lines, one per object when its stage changes, beside Tern's other running lines.
 */
describe('progress of a phase as plain lines, through the CLI on real Temporal and PostgreSQL', () => {
  let staging: Staging;
  let env: NodeJS.ProcessEnv;
  let scenario: CustomerScenario;
  let plan: string;

  beforeAll(async () => {
    staging = await testStaging();
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_TASK_QUEUE: testSettings().taskQueue,
    };
    scenario = await customerScenario(staging, { rows: 200, brokenRows: 3, seed: 29, pageSize: 50 });
    plan = path.join(scenario.dir, 'plan.yaml');
    fs.writeFileSync(plan, scenario.planText);
  });
  afterAll(async () => {
    await dropScenario(staging, scenario);
    await staging.close();
  });

  const tern = async (...args: string[]) => {
    const ran = await runTern([...args, '--migration', scenario.migrationId], env);
    if (ran.code !== 0) throw new Error(`tern ${args.join(' ')} exited ${ran.code}:\n${ran.stderr}`);
    return ran;
  };
  const progressLines = (stderr: string, object: string) =>
    stderr.split('\n').filter((l) => l.startsWith(`tern: ${object}: `));

  it('prints each object as it goes and once done, and leaves the reconciliation on stdout', async () => {
    const ran = await tern('run', 'full', plan);
    const lines = progressLines(ran.stderr, 'customers');
    // Seen at least once before it was done, then done: the 197 staged records read, written, nothing left.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[lines.length - 1]).toBe('tern: customers: done 197/197 (100%), 197 written, 0 quarantined');
    expect(lines.slice(0, -1).every((l) => !l.startsWith('tern: customers: done'))).toBe(true);
    // Stages only move forward, and a line repeats only when its count moved.
    expect(new Set(lines).size).toBe(lines.length);
    expect(ran.stdout).toMatch(/reconciliation OK: full phase of /);
    expect(ran.stdout).not.toContain('customers: done');
  });

  it('prints nothing of the kind with --json: stdout stays one JSON object', async () => {
    const ran = await tern('run', 'full', plan, '--json');
    expect(progressLines(ran.stderr, 'customers')).toEqual([]);
    expect(JSON.parse(ran.stdout)).toMatchObject({ ok: true, phase: 'full' });
  });

  it("counts a rollback's records against the ledger rows it has to undo", async () => {
    const ran = await tern('rollback', plan, '--reason', 'undo the progress test migration');
    const lines = progressLines(ran.stderr, 'customers');
    expect(lines[lines.length - 1]).toBe('tern: customers: rolled back 197/197 (100%), 197 removed, 0 restored');
    expect(ran.stderr).toContain('tern: rollback: stage: done');
    expect(ran.stdout).toMatch(/rollback OK for /);
  });
});
