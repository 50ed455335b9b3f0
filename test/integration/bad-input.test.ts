import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Staging } from '../../staging/db';
import {
  customerScenario,
  dropScenario,
  testEnv,
  testStaging,
  uniqueId,
  type CustomerScenario,
} from '../support/harness';
import { runTern } from '../support/processes';

/** The CLI's answer to bad input: one line naming the problem and the fix, and a non-zero exit code. */
describe('tern run with bad input', () => {
  let staging: Staging;
  let scenario: CustomerScenario;
  let env: NodeJS.ProcessEnv;
  const planFile = () => path.join(scenario.dir, 'plan.yaml');

  beforeAll(async () => {
    staging = await testStaging();
    scenario = await customerScenario(staging, { rows: 50 });
    fs.writeFileSync(planFile(), scenario.planText);
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_TASK_QUEUE: uniqueId('tq'),
    };
  });
  afterAll(async () => {
    await dropScenario(staging, scenario);
    await staging.close();
  });

  const expectOneLineError = (stderr: string, ...patterns: RegExp[]) => {
    const errorLines = stderr
      .split('\n')
      // Progress lines (an object's stage and counts while the CLI waits) are commentary, not errors.
      .filter(
        (l) =>
          l.startsWith('tern: ') &&
          !/^tern: (staging on|workflow )/.test(l) &&
          !/^tern: \S+: [a-z ]+, \d+ written, \d+ quarantined/.test(l),
      );
    expect(errorLines).toHaveLength(1);
    for (const p of patterns) expect(errorLines[0]).toMatch(p);
    expect(stderr).not.toMatch(/^\s+at /m);
  };

  it('names a missing source file and the fix', async () => {
    const bad = path.join(scenario.dir, 'missing-file.yaml');
    fs.writeFileSync(bad, scenario.planText.replace('file: customers.csv', 'file: nowhere.csv'));
    const { code, stderr } = await runTern(['run', 'full', bad, '--migration', uniqueId('mig_missing')], env);
    expect(code).toBe(2);
    expectOneLineError(stderr, /nowhere\.csv does not exist/, /fix: check the source directory/);
  });

  it('names a malformed DATABASE_URL and the fix', async () => {
    const { code, stderr } = await runTern(['run', 'full', planFile()], {
      ...env,
      DATABASE_URL: 'mysql://root@localhost/crm',
    });
    expect(code).toBe(2);
    expectOneLineError(stderr, /DATABASE_URL is not a PostgreSQL URL/, /fix: set DATABASE_URL=postgres:\/\//);
  });

  it('names an unreachable database and the fix', async () => {
    const { code, stderr } = await runTern(['run', 'full', planFile()], {
      ...env,
      DATABASE_URL: 'postgres://tern@127.0.0.1:1/nowhere',
    });
    expect(code).toBe(3);
    expectOneLineError(
      stderr,
      /cannot connect to the database at postgres:\/\/tern@127\.0\.0\.1:1\/nowhere/,
      /fix: check DATABASE_URL/,
    );
  });

  it('names an unreachable Temporal server and the fix', async () => {
    const { code, stderr } = await runTern(['run', 'full', planFile()], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(3);
    expectOneLineError(stderr, /Temporal server at TEMPORAL_ADDRESS=127\.0\.0\.1:1 does not answer/, /fix: /);
  });

  it('lists every problem of an invalid plan with its line', async () => {
    const bad = path.join(os.tmpdir(), `${uniqueId('plan')}.yaml`);
    fs.writeFileSync(
      bad,
      scenario.planText
        .replace('transform: [email]', 'transform: [emial]')
        .replace('target: { table: customers, key: legacy_id }', 'target: { table: customers, key: legacy }'),
    );
    try {
      const { code, stderr } = await runTern(['plan', 'validate', bad], env);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(`${path.basename(bad)}:\\d+ objects\\.0\\.fields\\.3\\.transform\\.0: unknown transform "emial"`),
      );
      expect(stderr).toMatch(/objects\.0\.target\.key: key column "legacy" is not among the mapped fields/);
      expect(stderr).not.toMatch(/^\s+at /m);
    } finally {
      fs.rmSync(bad, { force: true });
    }
  });

  it('runs the plan when the input is good, printing the reconciliation', async () => {
    const { code, stdout } = await runTern(
      ['run', 'full', planFile(), '--migration', scenario.migrationId, '--json'],
      env,
    );
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
      ok: boolean;
      objects: { loaded: number }[];
      uiUrl: string;
    };
    expect(result.ok).toBe(true);
    expect(result.objects[0]!.loaded).toBe(50);
    expect(result.uiUrl).toContain(encodeURIComponent(`${scenario.migrationId}/full`));
  });
});
