import path from 'node:path';
import { PlanError } from '../../common/errors';
import { compileObjectMapper } from '../../plan/compile';
import { loadCustomTransforms } from '../../plan/custom';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { TRANSFORM_NAMES } from '../../plan/transforms';

const FIXTURES = path.join(__dirname, '../fixtures/custom-transforms');

/** A plan in the fixtures folder (so its modules resolve against it) declaring `custom` and mapping `fields`. */
function load(custom: string, fields: string[]): LoadedPlan {
  const text = `
version: 1
name: custom transforms
source: { kind: csv, directory: data }
target: { kind: postgres }
${custom}
objects:
  - name: people
    source: { file: people.csv, id: id }
    target: { table: people, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
${fields.map((f) => `      - ${f}`).join('\n')}
`;
  return parsePlan(text, path.join(FIXTURES, 'plan.yaml'));
}

const ALL = `customTransforms:
  initials: { module: ./names.ts, export: initials }
  noDigits: { module: ./names.ts, export: noDigits }
  explode: { module: names.ts, export: explode }
  withCountry: { module: ./names.ts }`;

function planError(fn: () => unknown): PlanError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlanError) return err;
    throw err;
  }
  throw new Error('expected a PlanError');
}

describe('loadCustomTransforms', () => {
  it('loads each declared export, resolving modules against the plan folder, default export by default', () => {
    const { plan, baseDir } = load(ALL, ['{ from: name, to: name }']);
    expect(baseDir).toBe(FIXTURES);
    const custom = loadCustomTransforms(plan, baseDir);
    expect(Object.keys(custom).sort()).toEqual(['explode', 'initials', 'noDigits', 'withCountry']);
    const ctx = { record: { country: 'FR' }, resolveReference: () => ({ found: false }) };
    expect(custom.initials!('ada lovelace', ctx, {})).toBe('AL');
    expect(custom.withCountry!('Ada', ctx, {})).toBe('Ada (FR)');
  });

  it('names customTransforms.<name> and the resolved path when the module cannot be loaded', () => {
    // A stored plan whose module went away since (a plan file naming a missing module does not load).
    const loaded = load('customTransforms:\n  initials: { module: ./names.ts, export: initials }', [
      '{ from: name, to: name }',
    ]);
    const { baseDir } = loaded;
    const plan = { ...loaded.plan, customTransforms: { initials: { module: './missing.ts', export: 'initials' } } };
    const err = planError(() => loadCustomTransforms(plan, baseDir));
    // Under jest the loader's error comes from another realm and prints as "Error: Cannot find module …".
    expect(err.message).toMatch(
      new RegExp(
        `^customTransforms\\.initials: cannot load module ${path.join(FIXTURES, 'missing.ts')}: (Error: )?Cannot find module`,
      ),
    );
    expect(err.fix).toBe('check the module path (relative to the plan file) and that it compiles');
  });

  it('resolves against the baseDir it is given', () => {
    const { plan } = load('customTransforms:\n  initials: { module: ./names.ts, export: initials }', [
      '{ from: name, to: name }',
    ]);
    const elsewhere = path.join(FIXTURES, '..');
    expect(planError(() => loadCustomTransforms(plan, elsewhere)).message).toContain(
      `cannot load module ${path.join(elsewhere, 'names.ts')}:`,
    );
  });

  it('names the missing export and how to fix it', () => {
    const { plan, baseDir } = load('customTransforms:\n  initials: { module: ./names.ts, export: initialz }', [
      '{ from: name, to: name }',
    ]);
    const err = planError(() => loadCustomTransforms(plan, baseDir));
    expect(err.message).toBe(
      `customTransforms.initials: ${path.join(FIXTURES, 'names.ts')} has no exported function "initialz"`,
    );
    expect(err.fix).toBe(
      'export a function (value, ctx, args) => newValue named initialz, or set customTransforms.initials.export',
    );
    const { plan: second } = load('customTransforms:\n  other: { module: ./names.ts, export: notAFunction }', [
      '{ from: name, to: name }',
    ]);
    expect(planError(() => loadCustomTransforms(second, baseDir)).message).toBe(
      `customTransforms.other: ${path.join(FIXTURES, 'names.ts')} has no exported function "notAFunction"`,
    );
  });
});

describe('compileObjectMapper with custom transforms', () => {
  const { plan, baseDir } = load(ALL, [
    "{ from: name, to: initials, transform: [trim, { initials: { sep: '.' } }, lowercase] }",
    '{ from: name, to: plain, transform: [initials] }',
    '{ from: nick, to: nick, transform: [noDigits, uppercase] }',
    '{ from: mood, to: mood, transform: [explode, { default: calm }] }',
    '{ from: name, to: label, transform: [trim, withCountry] }',
  ]);
  const mapper = compileObjectMapper(plan.objects[0]!, loadCustomTransforms(plan, baseDir));

  it('composes custom transforms with built-ins and passes their arguments', () => {
    expect(mapper({ id: '7', name: '  mary  jane ', nick: 'mj', mood: '', country: 'IE' })).toEqual({
      ok: true,
      payload: {
        legacy_id: '7',
        initials: 'm.j',
        plain: 'MJ',
        nick: 'MJ',
        mood: 'calm',
        label: 'mary  jane (IE)',
      },
    });
  });

  it('quarantines a RecordRejection thrown by a custom transform with its own code', () => {
    expect(mapper({ id: '7', name: 'Mary', nick: 'm4ry', mood: 'ok', country: 'IE' })).toEqual({
      ok: false,
      field: 'nick',
      code: 'has_digits',
      message: 'nick → nick: "m4ry" holds digits; names are letters',
    });
  });

  it('quarantines a plain Error as custom_transform_failed with the message', () => {
    expect(mapper({ id: '7', name: 'Mary', nick: 'mj', mood: 'bad', country: 'IE' })).toEqual({
      ok: false,
      field: 'mood',
      code: 'custom_transform_failed',
      message: 'mood → mood: custom transform "explode" failed: cannot handle bad',
    });
  });

  it('without the custom functions, the name is an unknown transform', () => {
    expect(() => compileObjectMapper(plan.objects[0]!)).toThrow(/^unknown transform "initials"; known: /);
  });
});

describe('plan validation of custom transform names', () => {
  function problems(custom: string, fields: string[]): string {
    return planError(() => load(custom, fields)).message;
  }

  it('accepts a name declared under customTransforms, with arguments', () => {
    const { plan } = load(ALL, ["{ from: name, to: name, transform: [trim, { initials: { sep: '.' } }] }"]);
    expect(plan.objects[0]!.fields[1]!.transform).toEqual(['trim', { initials: { sep: '.' } }]);
    const { sha256, ...declared } = plan.customTransforms.withCountry!;
    expect(declared).toEqual({ module: './names.ts', export: 'default' });
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects an undeclared name, listing the declared ones', () => {
    const message = problems(ALL, ['{ from: name, to: name, transform: [trim, shout] }']);
    expect(message).toMatch(/\(1 problem\)/);
    expect(message).toMatch(
      /plan\.yaml:\d+ objects\.0\.fields\.1\.transform\.1: unknown transform "shout"; use one of: /,
    );
    expect(
      message.endsWith(`use one of: ${TRANSFORM_NAMES.join(', ')}, initials, noDigits, explode, withCountry`),
    ).toBe(true);
  });

  it('without customTransforms, says where to declare one', () => {
    const message = problems('', ['{ from: name, to: name, transform: [{ initials: { sep: "." } }] }']);
    expect(message).toContain(
      `objects.0.fields.1.transform.0: unknown transform "initials"; use one of: ${TRANSFORM_NAMES.join(', ')} (or declare it under customTransforms)`,
    );
  });
});
