import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Staging } from '../../staging/db';
import { testEnv, testStaging, uniqueId } from '../support/harness';
import { runTern } from '../support/processes';

/**
 * The corpus of bad plans: each mistake an operator makes gets a precise message naming the place in the
 * file (path and line) and the fix, and `tern plan validate` exits 2. The good plan passes, so each failure
 * is the mistake's and nothing else's.
 */
describe('tern plan validate on a corpus of bad plans', () => {
  let staging: Staging;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const source = uniqueId('src');
  const target = uniqueId('tgt');

  const goodPlan = () => `version: 1
name: Corpus ${source}
source: { kind: postgres, urlEnv: TERN_CORPUS_SOURCE_URL, schema: ${source} }
target: { kind: postgres, schema: ${target} }
objects:
  - name: accounts
    source: { table: accounts, id: id }
    target: { table: accounts, key: legacy_id }
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: name, to: name, transform: [collapse_whitespace, required] }
  - name: deals
    source: { table: deals, id: id }
    target: { table: deals, key: legacy_id }
    fields:
      - { from: id, to: legacy_id, transform: [trim, required] }
      - { from: account_id, to: account_legacy_id, transform: [{ reference: { object: accounts, onMissing: quarantine } }] }
      - from: status
        to: stage
        transform:
          - picklist: { options: [open, won, lost], aliases: { closed won: won, on hold: open }, unmapped: strict }
`;

  const write = (name: string, text: string) => {
    const file = path.join(dir, `${name}.yaml`);
    fs.writeFileSync(file, text);
    return file;
  };
  const validate = (file: string, extraEnv: NodeJS.ProcessEnv = {}) =>
    runTern(['plan', 'validate', file, '--migration', uniqueId('mig_corpus')], { ...env, ...extraEnv });
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  beforeAll(async () => {
    staging = await testStaging();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-corpus-'));
    env = {
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: testEnv().temporalAddress,
      TERN_CORPUS_SOURCE_URL: testEnv().databaseUrl,
    };
    await staging.sql.unsafe(`
      create schema "${source}";
      create table "${source}".accounts (id int primary key, name text);
      create table "${source}".deals (id int primary key, account_id text, status text);
      insert into "${source}".accounts values (1, 'Acme'), (2, 'Globex');
      insert into "${source}".deals values (1, '1', 'Open'), (2, '2', 'closed won'), (3, '1', 'On hold'),
        (4, '2', 'Lost'), (5, '1', ' open ');
      create schema "${target}";
      create table "${target}".accounts (id bigserial primary key, legacy_id text unique not null, name text not null);
      create table "${target}".deals (id bigserial primary key, legacy_id text unique not null,
        account_legacy_id text, stage text not null);`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop schema if exists "${source}" cascade; drop schema if exists "${target}" cascade`);
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the good plan, having checked the target and the strict picklist against the source', async () => {
    const { code, stdout } = await validate(write('good', goodPlan()));
    expect(stdout).toMatch(/is valid/);
    expect(stdout).toMatch(/target schema/);
    expect(stdout).toMatch(/strict picklists/);
    expect(code).toBe(0);
  });

  it('unknown transform: names the transform, its place and the known ones', async () => {
    const text = goodPlan().replace('collapse_whitespace, required', 'collapse_whitspace, required');
    const { code, stderr } = await validate(write('unknown-transform', text));
    expect(code).toBe(2);
    expect(stderr).toContain(`:${lineOf(text, 'collapse_whitspace')} objects.0.fields.1.transform.0`);
    expect(stderr).toMatch(/unknown transform "collapse_whitspace"; use one of: .*collapse_whitespace/);
    expect(stderr).toMatch(/fix: correct the plan/);
  });

  it('wrong type: names the key, the line and the expected type', async () => {
    const text = goodPlan().replace(
      '    target: { table: accounts, key: legacy_id }\n',
      '    target: { table: accounts, key: legacy_id }\n    pageSize: lots\n',
    );
    const { code, stderr } = await validate(write('wrong-type', text));
    expect(code).toBe(2);
    expect(stderr).toContain(`:${lineOf(text, 'pageSize: lots')} objects.0.pageSize`);
    expect(stderr).toMatch(/expected number/i);
  });

  it('missing credential env var: names the variable and how to set it, never a value', async () => {
    const { code, stdout } = await validate(write('missing-env', goodPlan()), { TERN_CORPUS_SOURCE_URL: '' });
    expect(code).toBe(2);
    expect(stdout).toMatch(/source\.urlEnv: .*TERN_CORPUS_SOURCE_URL is not set/);
    expect(stdout).toMatch(/fix: .*export TERN_CORPUS_SOURCE_URL=/);
  });

  it('dependency cycle: names the cycle', async () => {
    const text = goodPlan().replace(
      '      - { from: name, to: name, transform: [collapse_whitespace, required] }\n',
      '      - { from: name, to: name, transform: [collapse_whitespace, required] }\n' +
        '      - { from: top_deal, to: top_deal, transform: [{ reference: { object: deals, onMissing: "null" } }] }\n',
    );
    const { code, stderr } = await validate(write('cycle', text));
    expect(code).toBe(2);
    expect(stderr).toMatch(/dependency cycle (accounts → deals → accounts|deals → accounts → deals)/);
  });

  it('mapping to a missing target field: names the table, the column and the closest one', async () => {
    const text = goodPlan().replace('{ from: name, to: name,', '{ from: name, to: nmae,');
    const { code, stdout } = await validate(write('missing-field', text));
    expect(code).toBe(2);
    expect(stdout).toContain(`:${lineOf(text, 'to: nmae')} objects.0.fields.1.to`);
    expect(stdout).toMatch(new RegExp(`${target}\\.accounts has no column "nmae"`));
    expect(stdout).toMatch(/did you mean "name"/);
  });

  it('picklist value unmapped under a strict policy: names the value, its count and the fix', async () => {
    const text = goodPlan().replace(', on hold: open', '');
    const { code, stdout } = await validate(write('strict-picklist', text));
    expect(code).toBe(2);
    expect(stdout).toMatch(/ERROR .*objects\.1\.fields\.2\.transform\.0: 1 status value\(s\)/);
    expect(stdout).toMatch(/"On hold" \(1\)/);
    expect(stdout).toMatch(/fix: add them to picklist\.aliases/);
  });
});
