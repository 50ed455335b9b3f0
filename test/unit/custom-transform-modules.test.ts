import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlanError } from '../../common/errors';
import { checksum } from '../../plan/checksum';
import { loadCustomTransforms } from '../../plan/custom';
import { parsePlan, type LoadedPlan } from '../../plan/load';

/** A plan in `dir` declaring one custom transform `shout` from `module`, used on the name field. */
function planText(module: string, extra = ''): string {
  return `
version: 1
name: modules
source: { kind: csv, directory: data }
target: { kind: postgres }
customTransforms:
  shout: { module: ${JSON.stringify(module)}, export: shout${extra} }
objects:
  - name: people
    source: { file: people.csv, id: id }
    target: { table: people, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [shout] }
`;
}

const shoutModule = (suffix: string) =>
  `exports.shout = (value) => String(value).toUpperCase() + ${JSON.stringify(suffix)};\n`;

function planError(fn: () => unknown): PlanError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlanError) return err;
    throw err;
  }
  throw new Error('expected a PlanError');
}

describe('custom transform modules live in the plan’s folder, and their content is part of the plan’s hash', () => {
  let root: string;
  let planDir: string;
  let elsewhere: string;
  const load = (text: string): LoadedPlan => parsePlan(text, path.join(planDir, 'plan.yaml'));
  /** The single problem line a plan load reports (the line naming file, field and fix). */
  const problem = (text: string): string => {
    const lines = planError(() => load(text)).message.split('\n');
    expect(lines[0]).toMatch(/\(1 problem\):$/);
    return lines[1]!.trim();
  };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tern-modules-')));
    planDir = path.join(root, 'plan');
    elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(path.join(planDir, 'transforms'), { recursive: true });
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(planDir, 'transforms', 'shout.js'), shoutModule('!'));
    fs.writeFileSync(path.join(elsewhere, 'shout.js'), shoutModule('?'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('accepts a module in the plan’s folder or below it, and puts its content hash into the plan', () => {
    const loaded = load(planText('./transforms/shout.js'));
    const expected = checksumOfFile(path.join(planDir, 'transforms', 'shout.js'));
    expect(loaded.plan.customTransforms.shout).toEqual({
      module: './transforms/shout.js',
      export: 'shout',
      sha256: expected,
    });
    expect(loaded.hash).toBe(checksum(loaded.plan));
    expect(loadCustomTransforms(loaded.plan, planDir).shout!('ada', ctx, {})).toBe('ADA!');
  });

  it('refuses a module above the plan’s folder (../x.js), naming file, field and fix', () => {
    const text = planText('../elsewhere/shout.js');
    expect(problem(text)).toBe(
      `${path.join(planDir, 'plan.yaml')}:${lineOf(text, 'shout: {')} customTransforms.shout.module: ../elsewhere/shout.js (${path.join(elsewhere, 'shout.js')}) is outside the plan's folder ${planDir}; move the module into the plan's folder (or a folder below it) and name it relative to the plan file`,
    );
  });

  it('refuses an absolute path elsewhere', () => {
    const absolute = path.join(elsewhere, 'shout.js');
    expect(problem(planText(absolute))).toContain(
      `customTransforms.shout.module: ${absolute} (${absolute}) is outside the plan's folder ${planDir}; move the module into the plan's folder`,
    );
  });

  it('refuses a symbolic link in the plan’s folder that leads outside it, file or folder', () => {
    fs.symlinkSync(path.join(elsewhere, 'shout.js'), path.join(planDir, 'link.js'));
    expect(problem(planText('./link.js'))).toContain(
      `customTransforms.shout.module: ./link.js is a symbolic link to ${path.join(elsewhere, 'shout.js')}, outside the plan's folder ${planDir}; move the module into the plan's folder`,
    );
    fs.symlinkSync(elsewhere, path.join(planDir, 'linked'));
    expect(problem(planText('./linked/shout.js'))).toContain(
      `customTransforms.shout.module: ./linked/shout.js is a symbolic link to ${path.join(elsewhere, 'shout.js')}, outside the plan's folder`,
    );
  });

  it('accepts a symbolic link that stays inside the plan’s folder', () => {
    fs.symlinkSync(path.join(planDir, 'transforms', 'shout.js'), path.join(planDir, 'alias.js'));
    expect(load(planText('./alias.js')).plan.customTransforms.shout!.sha256).toBe(
      checksumOfFile(path.join(planDir, 'transforms', 'shout.js')),
    );
  });

  it('names a module that does not exist, with the path it looked at', () => {
    expect(problem(planText('./transforms/missing.js'))).toContain(
      `customTransforms.shout.module: cannot read module ./transforms/missing.js (${path.join(planDir, 'transforms', 'missing.js')}: ENOENT); check the path (relative to the plan file)`,
    );
  });

  it('refuses a content hash written into the plan file', () => {
    expect(problem(planText('./transforms/shout.js', ', sha256: abc'))).toContain(
      "customTransforms.shout.sha256: is Tern's own (the module's content hash, computed when the plan is loaded); remove it",
    );
  });

  it('changes the plan’s hash when a module’s content changes, and only then', () => {
    const text = planText('./transforms/shout.js');
    const before = load(text);
    expect(load(text).hash).toBe(before.hash);
    fs.writeFileSync(path.join(planDir, 'transforms', 'shout.js'), shoutModule('!!'));
    const after = load(text);
    expect(after.hash).not.toBe(before.hash);
    expect(after.plan.customTransforms.shout!.sha256).not.toBe(before.plan.customTransforms.shout!.sha256);
  });

  it('keeps the hash of a plan without custom transforms: the checksum of the plan itself', () => {
    const text = planText('./transforms/shout.js')
      .replace(/customTransforms:\n.*\n/, '')
      .replace(', transform: [shout]', '');
    const loaded = load(text);
    expect(loaded.plan.customTransforms).toEqual({});
    expect(loaded.hash).toBe(checksum(loaded.plan));
  });

  it('a worker refuses to run a module edited since its plan version was loaded, with the fix', () => {
    const module = path.join(planDir, 'transforms', 'edited.js');
    fs.writeFileSync(module, shoutModule('!'));
    const pinned = load(planText('./transforms/edited.js'));
    fs.writeFileSync(module, shoutModule('!!'));
    const err = planError(() => loadCustomTransforms(pinned.plan, planDir));
    expect(err.message).toMatch(
      new RegExp(
        `^customTransforms\\.shout: ${escape(module)} changed since this version of the plan was loaded \\(its content hash is [0-9a-f]{12}, the plan's [0-9a-f]{12}\\)$`,
      ),
    );
    expect(err.fix).toBe(
      'put the module back as it was until the phase running this plan ends, or cancel that phase and run it again with the edited plan',
    );
    // The plan loaded again pins the new content, which runs.
    expect(loadCustomTransforms(load(planText('./transforms/edited.js')).plan, planDir).shout!('ada', ctx, {})).toBe(
      'ADA!!',
    );
  });

  it('one worker process keeps the module its plan version loaded, loads an edited one for the new version, then refuses the old', () => {
    // Under jest, modules cannot be dropped from the require cache: a real process shows what a worker does.
    const script = path.join(__dirname, '../fixtures/custom-transforms/pinned-process.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, planDir], { encoding: 'utf8' });
    const module = path.join(planDir, 'shout.js');
    expect(out.trim().split('\n')).toEqual([
      'first: ADA!',
      'first, module edited since: ADA!',
      'second: ADA?',
      expect.stringMatching(
        new RegExp(
          `^first, after the second loaded: refused: customTransforms\\.shout: ${escape(module)} changed since`,
        ),
      ),
    ]);
  });
});

const ctx = { record: {}, resolveReference: () => ({ found: false }) };

function checksumOfFile(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
