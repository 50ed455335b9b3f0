import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { earliest } from '../../examples/merge-crm-transforms';
import { compileObjectMapper } from '../../plan/compile';
import { applyReviewDecisions, resolveIdentities, type ReviewDecision, type SourceRecord } from '../../plan/identity';
import { mergedObjectSchema, type MergedObjectPlan } from '../../plan/merge-schema';
import type { ObjectPlan } from '../../plan/schema';
import { compileSurvivorship } from '../../plan/survivorship';
import {
  buildMergeCrm,
  expectedOf,
  mergedRefOf,
  refOf,
  touchMergeCrm,
  type CompanyRep,
  type MergeCrmFacts,
  type MergeCrmWorld,
  type PersonRep,
  type ReviewDecision as GeneratorDecision,
} from '../../scripts/generate/merge-crm';

/**
 * The merge CRM generator says which records of HubSpot and the legacy CRM are one, which groups need review, and
 * what every target row holds. Here those figures are recomputed by Tern's own identity resolution and
 * survivorship over the example plan's field maps, match rules and survivorship rules, from the raw records as
 * each source's reader yields them: the planted overlaps are exactly where the generator says, and nowhere else.
 */

const PLAN = parse(fs.readFileSync(path.join(__dirname, '../../examples/merge-crm-to-postgres.yaml'), 'utf8')) as {
  objects: Record<string, unknown>[];
};
// The merged object's own section (what the plan adds to it, such as sums and the review file, left out).
const mergedObject = (name: string): MergedObjectPlan =>
  mergedObjectSchema.parse(
    Object.fromEntries(
      Object.entries(PLAN.objects.find((o) => o.name === name)!).filter(([k]) => k !== 'review' && k !== 'sums'),
    ),
  );
const CUSTOM = { earliest: (value: unknown) => earliest(value) };

/** A record as the HubSpot source reader yields it: id, properties, the associated company as company_id. */
function hubspotRaw(rep: CompanyRep | PersonRep): Record<string, unknown> {
  if ('companyId' in rep)
    return {
      id: rep.id,
      firstname: rep.firstName,
      lastname: rep.lastName,
      email: rep.email,
      phone: rep.phone,
      interests: rep.tags,
      lastmodifieddate: rep.updatedAt,
      company_id: rep.companyId,
    };
  return {
    id: rep.id,
    name: rep.name,
    domain: rep.domain,
    country: rep.country,
    industry: rep.industry,
    legacy_created: rep.customerSince,
    hs_lastmodifieddate: rep.updatedAt,
  };
}

/** A row of the legacy CRM as the SQL reader yields it (PostgreSQL's text of each value). */
function legacyRaw(rep: CompanyRep | PersonRep): Record<string, unknown> {
  if ('companyId' in rep)
    return {
      contact_id: rep.id,
      account_id: rep.companyId,
      first_name: rep.firstName,
      last_name: rep.lastName,
      email: rep.email,
      phone: rep.phone,
      tags: rep.tags,
      modified_at: rep.updatedAt,
    };
  return {
    account_id: rep.id,
    account_name: rep.name,
    website: rep.domain,
    country: rep.country,
    industry: rep.industry,
    created_on: rep.customerSince,
    annual_revenue: rep.revenue,
    notes: rep.notes,
    modified_at: rep.updatedAt,
  };
}

/** Every source record of a merged object mapped by its source's field map, as identity resolution takes them. */
function mapped(world: MergeCrmWorld, facts: MergeCrmFacts, object: MergedObjectPlan): SourceRecord[] {
  // References to companies resolve to the merged company of the record named (by source/id).
  const companyRefs = new Map<string, string>();
  for (const [ref, members] of Object.entries(facts.objects.companies.rows).map(
    ([r]) => [r, facts.objects.companies.merged.find((g) => g.ref === r)?.members ?? [r]] as const,
  ))
    for (const m of members) companyRefs.set(m, ref);
  const resolve = (o: string, id: string) =>
    o === 'companies' && companyRefs.has(id) ? { found: true, targetId: companyRefs.get(id)! } : { found: false };
  const mappers = new Map(
    object.sources.map((s) => [
      s.source,
      compileObjectMapper({ name: object.name, fields: s.fields } as unknown as ObjectPlan, CUSTOM),
    ]),
  );
  const reps =
    object.name === 'companies' ? world.companies.flatMap((c) => c.reps) : world.people.flatMap((p) => p.reps);
  return reps.map((rep) => {
    const raw = rep.source === 'hubspot' ? hubspotRaw(rep) : legacyRaw(rep);
    const result = mappers.get(rep.source)!(raw, resolve);
    if (!result.ok) throw new Error(`${refOf(rep)}: ${result.message}`);
    return { source: rep.source, sourceId: rep.id, updatedAt: new Date(rep.updatedAt), fields: result.payload };
  });
}

/** Tern's groups, review and merged rows for a merged object, in the generator's vocabulary. */
function resolveWithTern(
  world: MergeCrmWorld,
  facts: MergeCrmFacts,
  name: 'companies' | 'people',
  decisions: Readonly<Record<string, GeneratorDecision>> = {},
) {
  const object = mergedObject(name);
  const records = mapped(world, facts, object);
  const resolved = resolveIdentities(records, object.match);
  // A person's decisions, by the members of the group under review, as the review file gives them (by group id).
  const asRef = (ref: string) => ({ source: ref.split('/')[0]!, sourceId: ref.split('/')[1]! });
  const byGroup = new Map<string, ReviewDecision>();
  for (const r of resolved.review) {
    const d = decisions[r.members.map((m) => `${m.source}/${m.sourceId}`).join(',')];
    if (d)
      byGroup.set(
        r.group,
        d === 'merge' ? { kind: 'merge' } : { kind: 'split', parts: d.split.map((p) => p.map(asRef)) },
      );
  }
  const applied = applyReviewDecisions(resolved, byGroup);
  expect(applied.issues).toEqual([]);
  const { groups, review } = applied.resolution;
  const survive = compileSurvivorship(object, CUSTOM);
  const byRef = new Map(records.map((r) => [`${r.source}/${r.sourceId}`, r]));
  const rows: Record<string, Record<string, unknown>> = {};
  const lineage: Record<string, Record<string, { rule: string; from: string[] }>> = {};
  for (const g of groups.filter((x) => x.status !== 'review')) {
    const members = g.members.map((m) => byRef.get(`${m.source}/${m.sourceId}`)!);
    const result = survive(members);
    if (!result.ok) throw new Error(`${g.id}: ${result.message}`);
    rows[`${g.members[0]!.source}/${g.members[0]!.sourceId}`] = Object.fromEntries(
      Object.entries(result.fields).map(([f, v]) => [f, v.value]),
    );
    lineage[`${g.members[0]!.source}/${g.members[0]!.sourceId}`] = Object.fromEntries(
      Object.entries(result.fields).map(([f, v]) => [
        f,
        { rule: v.rule, from: v.lineage.map((l) => `${l.source}/${l.sourceId}`) },
      ]),
    );
  }
  return {
    merged: groups
      .filter((g) => g.status === 'merged')
      .map((g) => ({
        ref: `${g.members[0]!.source}/${g.members[0]!.sourceId}`,
        members: g.members.map((m) => `${m.source}/${m.sourceId}`),
        rule: g.rule,
      })),
    review: review.map((r) => ({ members: r.members.map((m) => `${m.source}/${m.sourceId}`) })),
    single: groups.filter((g) => g.status === 'single').length,
    rows,
    lineage,
  };
}

const byRef = <T extends { ref: string }>(a: T, b: T) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

describe('the merge CRM generator', () => {
  const world = buildMergeCrm();
  const facts = expectedOf(world);

  it('plants every kind of overlap, a review group per hundred companies, and deals on companies HubSpot has', () => {
    expect(facts.planted).toMatchObject({
      'companies.both-domain': 40,
      'companies.both-name': 8,
      'companies.review': 2,
    });
    expect(facts.planted['people.both-email']).toBeGreaterThan(20);
    expect(facts.planted['people.both-phone']).toBeGreaterThan(5);
    expect(facts.planted['deals.onCompaniesHubSpotHas']).toBeGreaterThan(20);
    expect(Object.keys(facts.objects.companies.conflicts).sort()).toEqual([
      'most_complete',
      'most_recent',
      'priority',
      'transform earliest',
    ]);
    expect(Object.keys(facts.objects.people.conflicts).sort()).toEqual(['most_recent', 'priority', 'union']);
    expect(facts.objects.companies.conflicts['transform earliest']).toBeGreaterThan(3);
    expect(facts.objects.companies.conflicts.most_recent).toBeGreaterThan(3);
    expect(facts.objects.companies.conflicts.most_complete).toBeGreaterThan(3);
    expect(facts.objects.people.conflicts.most_recent).toBeGreaterThan(3);
    expect(facts.objects.people.conflicts.union).toBeGreaterThan(3);
    // The review groups: two legacy accounts and one HubSpot company on one domain.
    for (const g of facts.objects.companies.review)
      expect(g.members.map((m) => m.split('/')[0])).toEqual(['hubspot', 'legacy', 'legacy']);
  });

  it('adds up: every source record is in one target row or under review, and the sums agree', () => {
    for (const name of ['companies', 'people'] as const) {
      const o = facts.objects[name];
      const records = Object.values(o.records).reduce((a, b) => a + b, 0);
      expect(o.targetRows + o.mergedInto + o.reviewRecords).toBe(records);
      expect(o.single + o.merged.length).toBe(o.targetRows);
      expect(Object.keys(o.rows)).toHaveLength(o.targetRows);
    }
    const c = facts.objects.companies;
    expect(c.records).toEqual({ hubspot: facts.records.hubspot.companies, legacy: facts.records.legacy.accounts });
    const cents = (s: string) => BigInt(s.replace('.', ''));
    expect(
      cents(facts.sums.legacy['accounts.annual_revenue']) - cents(facts.sums.review['accounts.annual_revenue']),
    ).toBe(cents(facts.sums.target['companies.annual_revenue']));
    expect(facts.sums.target['deals.amount']).toBe(facts.sums.legacy['deals.amount']);
    // Every deal lands on a loaded company.
    for (const row of Object.values(facts.objects.deals.rows)) expect(c.rows[row.company_ref!]).toBeDefined();
  });

  for (const name of ['companies', 'people'] as const)
    it(`puts the ${name} overlaps exactly where Tern's identity resolution and survivorship find them`, () => {
      const tern = resolveWithTern(world, facts, name);
      const expected = facts.objects[name];
      expect(tern.merged.sort(byRef)).toEqual([...expected.merged].sort(byRef));
      expect(tern.review).toEqual(expected.review);
      expect(tern.single).toBe(expected.single);
      expect(Object.keys(tern.rows).sort()).toEqual(Object.keys(expected.rows).sort());
      for (const [ref, row] of Object.entries(expected.rows))
        expect({ ref, ...tern.rows[ref] }).toEqual({ ref, ...row });
    });

  it("names for each rule's chosen values the records Tern's lineage credits them to", () => {
    const rules = new Set(facts.survivors.map((e) => `${e.object}: ${e.rule}`));
    expect([...rules].sort()).toEqual([
      'companies: most_complete',
      'companies: most_recent',
      'companies: priority',
      'companies: transform earliest',
      'people: most_recent',
      'people: priority',
      'people: union',
    ]);
    const tern = {
      companies: resolveWithTern(world, facts, 'companies'),
      people: resolveWithTern(world, facts, 'people'),
    };
    for (const e of facts.survivors) {
      const got = tern[e.object as 'companies' | 'people'].lineage[e.ref]![e.field]!;
      expect({ ref: e.ref, field: e.field, ...got }).toEqual({
        ref: e.ref,
        field: e.field,
        rule: e.rule,
        from: e.from,
      });
      expect(tern[e.object as 'companies' | 'people'].rows[e.ref]![e.field]).toEqual(e.value);
    }
  });

  it("follows a person's review decisions: a group merged whole, a group split in two", () => {
    const [whole, split] = facts.objects.companies.review;
    const [hub, first, second] = split!.members;
    const decisions: Record<string, GeneratorDecision> = {
      [whole!.members.join(',')]: 'merge',
      [split!.members.join(',')]: { split: [[hub!, second!], [first!]] },
    };
    const decided = expectedOf(world, { decisions });
    const c = decided.objects.companies;
    expect(c.review).toEqual([]);
    expect(c.reviewRecords).toBe(0);
    expect(c.targetRows).toBe(facts.objects.companies.targetRows + 3);
    expect(c.merged.length).toBe(facts.objects.companies.merged.length + 2);
    expect(c.rows[first!]).toBeDefined();
    expect(decided.sums.target['companies.annual_revenue']).toBe(decided.sums.legacy['accounts.annual_revenue']);
    const tern = resolveWithTern(world, decided, 'companies', decisions);
    expect(tern.merged.sort(byRef)).toEqual([...c.merged].sort(byRef));
    expect(tern.review).toEqual([]);
    expect(tern.single).toBe(c.single);
    for (const [ref, row] of Object.entries(c.rows)) expect({ ref, ...tern.rows[ref] }).toEqual({ ref, ...row });
  });

  it('is deterministic: the same seed gives the same world and figures, another seed another', () => {
    expect(expectedOf(buildMergeCrm())).toEqual(facts);
    const other = expectedOf(buildMergeCrm({ seed: 7 }));
    expect(other.objects.companies.merged).not.toEqual(facts.objects.companies.merged);
    const large = expectedOf(buildMergeCrm({ companies: 2000 }));
    expect(large.objects.companies.review).toHaveLength(20);
    expect(large.planted['companies.both-domain']).toBe(400);
  });

  it('scales: thousands of companies still hold exactly the planted groups', () => {
    const big = buildMergeCrm({ seed: 11, companies: 3000 });
    const bigFacts = expectedOf(big);
    for (const name of ['companies', 'people'] as const) {
      const tern = resolveWithTern(big, bigFacts, name);
      expect(tern.merged.length).toBe(bigFacts.objects[name].merged.length);
      expect(tern.review).toEqual(bigFacts.objects[name].review);
      expect(tern.single).toBe(bigFacts.objects[name].single);
    }
  });

  it('changes both systems for a delta, and the figures follow', () => {
    const changed = buildMergeCrm();
    const touched = touchMergeCrm(changed, new Date('2026-12-01T00:00:00Z'));
    const after = expectedOf(changed);
    expect(touched.changes.map((c) => [c.object, c.deleted ?? false])).toEqual([
      ['accounts', false],
      ['contacts', false],
      ['contacts', false],
      ['accounts', false],
      ['deals', false],
      ['contacts', true],
      ['contacts', true],
      ['deals', true],
    ]);
    // One person more merged (the new legacy contact), one less (its legacy half deleted); one person gone.
    expect(after.objects.people.merged.length).toBe(facts.objects.people.merged.length);
    expect(after.objects.people.targetRows).toBe(facts.objects.people.targetRows - 1);
    expect(after.objects.deals.targetRows).toBe(facts.objects.deals.targetRows);
    const [archived, halved, deal] = touched.changes.filter((c) => c.deleted).map((c) => c.ref);
    expect(after.objects.people.rows[archived!]).toBeUndefined();
    expect(facts.objects.people.rows[archived!]).toBeDefined();
    expect(after.objects.people.merged.some((g) => g.members.includes(halved!))).toBe(false);
    expect(facts.objects.people.merged.some((g) => g.members.includes(halved!))).toBe(true);
    expect(after.objects.deals.rows[deal!.slice('legacy/'.length)]).toBeUndefined();
    const differing = (name: 'companies' | 'people') =>
      Object.keys(after.objects[name].rows).filter(
        (ref) => JSON.stringify(after.objects[name].rows[ref]) !== JSON.stringify(facts.objects[name].rows[ref]),
      );
    expect(differing('companies')).toHaveLength(2);
    // The changed phone, and the person the new legacy contact joined (its tags); the halved one if its tags went.
    expect(differing('people').length).toBeGreaterThanOrEqual(2);
    // Every field of each merged record a change touched, with its origin, as Tern's lineage credits it.
    const refs = touched.changes.flatMap((c) => {
      const object = c.object === 'accounts' ? 'companies' : c.object === 'contacts' ? 'people' : undefined;
      const merged = object && mergedRefOf(after, object, c.ref);
      return merged ? [merged] : [];
    });
    expect(refs).toHaveLength(4);
    const traced = expectedOf(changed, { trace: refs });
    expect(traced.objects).toEqual(after.objects);
    const tracedRefs = new Set(traced.survivors.map((e) => e.ref));
    for (const ref of refs) expect(tracedRefs.has(ref)).toBe(true);
    for (const name of ['companies', 'people'] as const) {
      const tern = resolveWithTern(changed, after, name);
      for (const e of traced.survivors.filter((x) => x.object === name))
        expect({ ref: e.ref, field: e.field, ...tern.lineage[e.ref]![e.field] }).toEqual({
          ref: e.ref,
          field: e.field,
          rule: e.rule,
          from: e.from,
        });
      for (const [ref, row] of Object.entries(after.objects[name].rows))
        expect({ ref, ...tern.rows[ref] }).toEqual({ ref, ...row });
    }
  });
});
