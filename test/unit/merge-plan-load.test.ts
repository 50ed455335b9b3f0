import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePlan } from '../../plan/load';
import { sourceOf } from '../../plan/schema';
import { renderVisualMap } from '../../plan/visual-map';

const plan = (
  objects: string,
  top = `sources:\n  hub: { kind: csv, directory: a }\n  legacy: { kind: csv, directory: b }`,
) => `version: 1\nname: merge-load\n${top}\ntarget: { kind: postgres }\nobjects:\n${objects}`;

const companies = (extra = '', legacyFields = '          - { from: account_name, to: name }') => `  - name: companies
    target: { table: companies, key: merge_ref }
    sources:
      - source: hub
        object: companies.csv
        id: id
        fields:
          - { from: name, to: name }
          - { from: domain, to: domain }
      - source: legacy
        object: accounts.csv
        id: account_id
        fields:
${legacyFields}
          - { from: website, to: domain }
    match:
      - { kind: domain, field: domain }
${extra}`;

const problems = (text: string, dir = os.tmpdir()): string[] => {
  try {
    parsePlan(text, path.join(dir, 'plan.yaml'));
    return [];
  } catch (err) {
    return (err as Error).message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
};

describe('plans with several sources and merged objects', () => {
  it('loads a merged object as an object whose load copies the merged values, keyed by the merged record ref', () => {
    const loaded = parsePlan(plan(companies()), path.join(os.tmpdir(), 'plan.yaml'));
    const object = loaded.plan.objects[0]!;
    expect(object.merge?.sources.map((s) => s.source)).toEqual(['hub', 'legacy']);
    expect(object.source.id).toBe('_ref');
    expect(object.fields.map((f) => [f.from, f.to])).toEqual([
      ['_ref', 'merge_ref'],
      ['name', 'name'],
      ['domain', 'domain'],
    ]);
    expect(() => sourceOf(loaded.plan, object)).toThrow(/merged from several sources/);
    // The visual map shows each source's field map and the merge's rules, not the copy the load runs.
    expect(renderVisualMap(loaded.plan).split('\n')).toEqual([
      'companies: merged from hub companies.csv + legacy accounts.csv → public.companies (key merge_ref)',
      '  filters: (none)',
      '  dedupe: (none)',
      '  match: domain on domain',
      '  survivorship: name: priority hub > legacy (default); domain: priority hub > legacy (default)',
      '  hub.name            → (none) → name',
      '  hub.domain          → (none) → domain',
      '  legacy.account_name → (none) → name',
      '  legacy.website      → (none) → domain',
    ]);
  });

  it('names the problem of a merged object, not zod\'s "Invalid input" for both kinds of object', () => {
    expect(
      problems(plan(companies('    survivorship: { name: { rule: priority, sources: [salesforce] } }\n'))),
    ).toEqual([
      expect.stringContaining(
        'objects.0.survivorship.name.sources.0: "salesforce" is not a source of this object; use one of hub, legacy',
      ),
    ]);
    expect(problems(plan(companies('', '          - { from: account_id, to: merge_ref }')))[0]).toContain(
      '"merge_ref" is the target key: Tern writes each merged record\'s ref there',
    );
  });

  it('checks the sources each object reads: named, declared, and one kind of top-level source', () => {
    const oneSource = (from: string) =>
      `  - name: deals\n    source: { ${from}file: deals.csv, id: id }\n    target: { table: deals, key: legacy_id }\n    fields:\n      - { from: id, to: legacy_id }\n`;
    expect(problems(plan(oneSource('')))).toEqual([
      expect.stringContaining('objects.0.source.from: a plan with several sources says which one each object reads'),
    ]);
    expect(problems(plan(oneSource('from: crm, ')))).toEqual([
      expect.stringContaining('objects.0.source.from: "crm" is not one of the plan\'s sources; use one of hub, legacy'),
    ]);
    expect(problems(plan(oneSource('from: legacy, ')))).toEqual([]);
    expect(problems(plan(companies(), 'source: { kind: csv, directory: a }'))).toEqual([
      expect.stringContaining('objects.0.sources: a merged object reads sources the plan names'),
    ]);
    expect(
      problems(plan(oneSource(''), 'source: { kind: csv, directory: a }\nsources: { b: { kind: csv, directory: b } }')),
    ).toEqual([
      expect.stringContaining('a plan has `source:` (one system) or `sources:` (several, by name), not both'),
    ]);
  });

  it("reads a person's review decisions into the plan, so its hash changes with them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-merge-load-'));
    const text = plan(companies('    review: companies.review.yaml\n'));
    const before = parsePlan(text, path.join(dir, 'plan.yaml'));
    expect(before.plan.objects[0]!.merge).toMatchObject({ decisions: {}, undecided: [] });
    fs.writeFileSync(
      path.join(dir, 'companies.review.yaml'),
      'groups:\n  - group: mg_0123456789abcdef\n    decision: merge\n  - group: mg_fedcba9876543210\n    decision: null\n',
    );
    const after = parsePlan(text, path.join(dir, 'plan.yaml'));
    expect(after.plan.objects[0]!.merge).toMatchObject({
      decisions: { mg_0123456789abcdef: 'merge' },
      undecided: ['mg_fedcba9876543210'],
    });
    expect(after.hash).not.toBe(before.hash);
    fs.writeFileSync(path.join(dir, 'companies.review.yaml'), 'groups:\n  - group: nope\n    decision: merge\n');
    expect(problems(text, dir)).toEqual([
      expect.stringMatching(/objects\.0\.review: companies\.review\.yaml:2: groups\.0\.group: is not a group id/),
    ]);
  });
});
