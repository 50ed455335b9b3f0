import fs from 'node:fs';
import path from 'node:path';
import { PlanError } from '../../common/errors';
import { parsePlan } from '../../plan/load';

const demo = fs.readFileSync(path.join(__dirname, '../../examples/demo-customers.yaml'), 'utf8');

function problems(text: string): string {
  try {
    parsePlan(text, 'plan.yaml');
  } catch (err) {
    if (err instanceof PlanError) return err.message;
    throw err;
  }
  throw new Error('expected the plan to be invalid');
}

describe('plan loading', () => {
  it('accepts the demo plan and fills defaults', () => {
    const { plan, hash } = parsePlan(demo, 'demo.yaml');
    expect(plan.objects[0]).toMatchObject({ name: 'customers', pageSize: 5000, sums: ['lifetime_value'] });
    expect(plan.objects[0]!.source.encoding).toBe('utf8');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names an unknown transform with its line and the known ones', () => {
    const message = problems(demo.replace('transform: [email]', 'transform: [emial]'));
    const line = demo.split('\n').findIndex((l) => l.includes('transform: [email]')) + 1;
    expect(message).toContain(
      `plan.yaml:${line} objects.0.fields.3.transform.0: unknown transform "emial"; use one of:`,
    );
  });

  it('names a wrong type with its path', () => {
    expect(problems(demo.replace('version: 1', 'version: "one"'))).toMatch(/plan\.yaml:\d+ version: /);
  });

  it('rejects a credential written into the plan instead of an env var name', () => {
    const message = problems(demo.replace('# urlEnv: TARGET_DATABASE_URL', 'urlEnv: postgres://admin:secret@db/crm'));
    expect(message).toMatch(/target\.urlEnv: must be the NAME of an environment variable/);
  });

  it('requires the key column to be mapped from the source id', () => {
    const message = problems(demo.replace('{ from: customer_id, to: legacy_id', '{ from: email, to: legacy_id'));
    expect(message).toMatch(
      /objects\.0\.target\.key: key column "legacy_id" must be mapped from the source id "customer_id"/,
    );
  });

  it('reports shape and reference problems together', () => {
    const message = problems(
      demo.replace('transform: [email]', 'transform: [emial]').replace('sums: [lifetime_value]', 'sums: [revenue]'),
    );
    expect(message).toMatch(/unknown transform "emial"/);
    expect(message).toMatch(/objects\.0\.sums\.0: "revenue" is not a mapped target field/);
    expect(message).toMatch(/\(2 problems\)/);
  });

  it('names unknown keys, duplicate targets and YAML syntax errors', () => {
    expect(problems(demo.replace('    sums: [lifetime_value]', '    sums: [lifetime_value]\n    sumz: [x]'))).toMatch(
      /unknown key\(s\) "sumz"/,
    );
    expect(problems(demo.replace('to: last_name', 'to: first_name'))).toMatch(
      /target field "first_name" is mapped twice/,
    );
    expect(problems('version: 1\nname: [unclosed\n')).toMatch(/plan\.yaml:\d+ \(top level\): YAML syntax error/);
  });
});
