import fs from 'node:fs';
import path from 'node:path';
import { parsePlan } from '../../plan/load';
import { DATABASE_PAGE_SIZE, DEFAULT_PAGE_SIZE } from '../../plan/schema';

const examples = path.join(__dirname, '../../examples');
const read = (name: string) => fs.readFileSync(path.join(examples, name), 'utf8');

/** A database target loads bigger pages when the plan does not say; a SaaS target keeps its own; a plan's word wins. */
describe('load page size by target kind', () => {
  it('gives a database target the database default when an object does not say', () => {
    const { plan } = parsePlan(read('demo-customers.yaml'), path.join(examples, 'demo-customers.yaml'));
    expect(plan.target.kind).toBe('postgres');
    expect(plan.objects.map((o) => o.pageSize)).toEqual([DATABASE_PAGE_SIZE]);
    expect(DATABASE_PAGE_SIZE).toBeGreaterThan(DEFAULT_PAGE_SIZE);
  });

  it('keeps the page size a plan states for a database target', () => {
    const text = read('demo-customers.yaml').replace(
      '    sums: [lifetime_value]',
      '    sums: [lifetime_value]\n    pageSize: 250',
    );
    const { plan } = parsePlan(text, path.join(examples, 'demo-customers.yaml'));
    expect(plan.objects[0]!.pageSize).toBe(250);
  });

  it('keeps the default for a SaaS target', () => {
    const { plan } = parsePlan(read('csv-crm-to-attio.yaml'), path.join(examples, 'csv-crm-to-attio.yaml'));
    expect(plan.target.kind).toBe('attio');
    expect(plan.objects.length).toBeGreaterThan(0);
    expect(plan.objects.map((o) => o.pageSize)).toEqual(plan.objects.map(() => DEFAULT_PAGE_SIZE));
  });
});
