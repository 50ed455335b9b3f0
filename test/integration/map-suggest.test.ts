import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMappingFile } from '../../plan/suggest';
import type { MapSuggestOutcome } from '../../scripts/commands/map';
import type { Staging } from '../../staging/db';
import { testEnv, testSettings, testStaging, uniqueId } from '../support/harness';
import { runTern } from '../support/processes';

/**
 * `tern map suggest` as an operator runs it: preferences on a small CSV of deals, then the suggested mapping
 * file, the person's edits, and `tern plan validate` refusing a strict picklist until every value is mapped.
 */
describe('tern map suggest after a preferences run (CLI, real Temporal and PostgreSQL)', () => {
  let staging: Staging;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let planFile: string;
  const schema = uniqueId('map');
  const migrationId = uniqueId('mig_map');
  const mappingFile = () => path.join(dir, 'mappings/deals.status.yaml');

  // Each status appears at least twice (a picklist candidate holds every distinct value).
  const STATUSES: [string, number][] = [
    ['Won', 5],
    ['closed-won', 3],
    ['Qualfied', 2],
    ['3 - Proposal', 2],
    ['Dead', 2],
    ['Redlines', 2],
    ['new', 4],
  ];
  const planText = (picklist: string) => `version: 1
name: Map suggest ${migrationId}
source: { kind: csv, directory: . }
target: { kind: postgres, schema: ${schema} }
objects:
  - name: deals
    source: { file: deals.csv, id: id }
    target: { table: deals, key: legacy_id }
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: name, to: name, transform: [trim] }
      - from: status
        to: stage
        transform:
          - picklist: { ${picklist} }
`;
  const OPTIONS = 'options: [New, Qualified, Proposal, Negotiation, Won, Lost]';
  const tern = (...args: string[]) => runTern(args, env);
  const expectExit = (ran: { code: number | null; stdout: string; stderr: string }, code: number) => {
    if (ran.code !== code)
      throw new Error(`expected exit ${code}, got ${ran.code}; stdout:\n${ran.stdout}\nstderr:\n${ran.stderr}`);
  };

  beforeAll(async () => {
    staging = await testStaging();
    const settings = testSettings();
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_TASK_QUEUE: settings.taskQueue,
    };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-map-'));
    let id = 0;
    const rows = STATUSES.flatMap(([status, n]) => Array.from({ length: n }, () => `D${++id},Deal ${id},${status}`));
    fs.writeFileSync(path.join(dir, 'deals.csv'), ['id,name,status', ...rows].join('\n') + '\n');
    await staging.sql.unsafe(
      `create schema "${schema}"; create table "${schema}".deals (legacy_id text unique, name text, stage text)`,
    );
    planFile = path.join(dir, 'plan.yaml');
    fs.writeFileSync(planFile, planText(OPTIONS));
    const run = await tern('run', 'preferences', planFile, '--migration', migrationId);
    // Statuses no option names are quarantined by the picklist: preferences says so and does not exit 0.
    expectExit(run, 1);
    expect(run.stdout).toMatch(/^verdict: NOT CLEAN — \d+ of 20 record\(s\) predicted quarantined \(/m);
    // The stored report says the same, and so does its exit code: a script cannot mistake it for clean.
    const report = await tern('report', 'preferences', planFile, '--migration', migrationId);
    expectExit(report, 1);
    expect(report.stdout).toMatch(/^verdict: NOT CLEAN — /m);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes mappings/deals.status.yaml next to the plan and prints what a rule placed and what is left', async () => {
    const ran = await tern('map', 'suggest', planFile, 'deals.status', '--migration', migrationId);
    expectExit(ran, 0);
    expect(ran.stdout).toContain('7 values (20 records) of deals.status → stage, options from the plan');
    expect(ran.stdout).toContain('6 mapped by rule, 0 kept from the file, 1 need a person');
    expect(ran.stdout).toContain('need a person: "Redlines" (replace null in the file)');
    expect(ran.stdout).toContain('next: add `aliasesFile: mappings/deals.status.yaml` to the picklist of deals.status');
    const text = fs.readFileSync(mappingFile(), 'utf8');
    expect(text).toContain(`from the preferences profile of ${migrationId}`);
    const read = parseMappingFile(text, ['New', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost']);
    expect(read.issues).toEqual([]);
    expect(Object.fromEntries(read.entries.map((e) => [e.value, e.option]))).toEqual({
      Won: 'Won',
      'closed-won': 'Won',
      Qualfied: 'Qualified',
      '3 - Proposal': 'Proposal',
      Dead: 'Lost',
      Redlines: null,
      new: 'New',
    });
  });

  it('plan validate fails while a strict picklist’s file leaves a profiled value null, and passes once filled', async () => {
    fs.writeFileSync(planFile, planText(`${OPTIONS}, aliasesFile: mappings/deals.status.yaml, unmapped: strict`));
    const failing = await tern('plan', 'validate', planFile, '--migration', migrationId);
    expectExit(failing, 2);
    expect(failing.stdout).toMatch(
      /ERROR .*plan\.yaml:\d+ objects\.0\.fields\.2\.transform\.0: 1 status value\(s\) in the source match no picklist option or alias \(2 records\): "Redlines" \(2\) — fix: map each to an option in mappings\/deals\.status\.yaml/,
    );
    const offline = await tern('plan', 'validate', planFile, '--offline');
    expectExit(offline, 2);
    expect(offline.stdout).toContain('1 status value(s) are left null in mappings/deals.status.yaml: "Redlines"');

    fs.writeFileSync(
      mappingFile(),
      fs.readFileSync(mappingFile(), 'utf8').replace('"Redlines": null', '"Redlines": Negotiation'),
    );
    const passing = await tern('plan', 'validate', planFile, '--migration', migrationId);
    expectExit(passing, 0);
    expect(passing.stdout).toMatch(/profiled values of strict picklists \(1 objects\)/);
  });

  it('run again, keeps the person’s decisions and says the file is up to date; --json gives the outcome', async () => {
    const ran = await tern('map', 'suggest', planFile, 'deals.status', '--migration', migrationId, '--json');
    expectExit(ran, 0);
    const outcome = JSON.parse(ran.stdout.trim().split('\n').pop()!) as MapSuggestOutcome;
    expect(outcome).toMatchObject({
      written: false,
      merged: true,
      kept: 7,
      added: 0,
      needPerson: [],
      planUsesFile: true,
    });
    expect(fs.readFileSync(mappingFile(), 'utf8')).toContain('"Redlines": Negotiation');
  });

  it('names the fix when no preferences profile exists, or the field is not a picklist', async () => {
    const none = await tern('map', 'suggest', planFile, 'deals.status', '--migration', 'mig_never_ran');
    expectExit(none, 2);
    expect(none.stderr).toContain(
      'tern: migration mig_never_ran has no preferences profile of deals yet — fix: run `tern run preferences <plan>` first',
    );
    const notPicklist = await tern('map', 'suggest', planFile, 'deals.name', '--migration', migrationId);
    expectExit(notPicklist, 2);
    expect(notPicklist.stderr).toContain(
      'tern: deals.name → name is not mapped through a picklist — fix: add { picklist',
    );
  });
});
