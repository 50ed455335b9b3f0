import { matchRuleName, mergedObjectIssues, mergedObjectSchema, unknownMergeTransforms } from '../../plan/merge-schema';

/** A valid merged object: HubSpot companies and the legacy CRM's accounts into one companies table. */
const companies = (): Record<string, unknown> => ({
  name: 'companies',
  target: { table: 'companies', key: 'merge_id' },
  sources: [
    {
      source: 'hubspot',
      object: 'companies',
      id: 'id',
      updatedAt: 'updatedAt',
      fields: [
        { from: 'name', to: 'name' },
        { from: 'domain', to: 'domain' },
        { from: 'phone', to: 'phone' },
        { from: 'city', to: 'city' },
        { from: 'tags', to: 'tags', transform: [{ split: { separators: [';'] } }] },
      ],
    },
    {
      source: 'legacy',
      object: 'crm.accounts',
      id: 'account_id',
      updatedAt: 'modified_at',
      fields: [
        { from: 'account_name', to: 'name' },
        { from: 'website', to: 'domain' },
        { from: 'tel', to: 'phone' },
        { from: 'town', to: 'city' },
        { from: 'labels', to: 'tags' },
        { from: 'notes', to: 'notes' },
      ],
    },
  ],
  match: [
    { kind: 'domain', field: 'domain' },
    { kind: 'phone', field: 'phone', defaultCountry: 'US' },
    { kind: 'block', name: 'name-city', fields: ['name', 'city'] },
  ],
  survivorship: {
    name: { rule: 'priority', sources: ['legacy'] },
    phone: { rule: 'most_recent' },
    notes: { rule: 'most_complete' },
    tags: { rule: 'union' },
    city: { rule: 'transform', transform: 'titlecase' },
  },
});

/** The object with one change made by `edit`. */
function edited(edit: (o: Record<string, unknown> & { sources: Record<string, unknown>[] }) => void): unknown {
  const o = companies() as Record<string, unknown> & { sources: Record<string, unknown>[] };
  edit(o);
  return o;
}

describe('merged object plan section', () => {
  it('accepts two sources with their field maps, ordered match rules and survivorship per field', () => {
    expect(mergedObjectIssues(companies())).toEqual([]);
    const parsed = mergedObjectSchema.parse(companies());
    expect(parsed.sources.map((s) => s.source)).toEqual(['hubspot', 'legacy']);
    expect(parsed.match.map(matchRuleName)).toEqual(['domain on domain', 'phone on phone', 'name-city']);
    expect(parsed.survivorship.tags).toEqual({ rule: 'union' });
    // Field maps take the same defaults as a one-source object's.
    expect(parsed.sources[1]!.fields[0]!.transform).toEqual([]);
  });

  it('names a block rule without a name by its fields', () => {
    expect(matchRuleName({ kind: 'block', fields: ['name', 'city'], normalise: {} })).toBe('block on name + city');
  });

  it('refuses an object with one source, saying to use source:', () => {
    expect(mergedObjectIssues(edited((o) => (o.sources = o.sources.slice(0, 1))))).toEqual([
      'sources: a merged object has at least two sources; one source uses `source:`',
    ]);
  });

  it('refuses a source listed twice', () => {
    expect(mergedObjectIssues(edited((o) => (o.sources[1]!.source = 'hubspot')))).toEqual([
      'sources.1.source: source "hubspot" feeds this object twice; list each source once',
    ]);
  });

  it('refuses a target field mapped twice by one source', () => {
    expect(
      mergedObjectIssues(edited((o) => (o.sources[0]!.fields as unknown[]).push({ from: 'name2', to: 'name' }))),
    ).toEqual(['sources.0.fields.5.to: target field "name" is mapped twice from hubspot; map it once']);
  });

  it('refuses no match rule, naming an example', () => {
    expect(mergedObjectIssues(edited((o) => (o.match = [])))).toEqual([
      'match: give at least one match rule, e.g. { kind: email, field: email }',
    ]);
  });

  it('refuses a match rule of an unknown kind, listing the kinds', () => {
    expect(mergedObjectIssues(edited((o) => (o.match = [{ kind: 'fuzzy', field: 'name' }])))).toEqual([
      "match.0.kind: a match rule's kind is email, domain, phone or block",
    ]);
  });

  it('refuses a match rule on a field only one source maps', () => {
    expect(mergedObjectIssues(edited((o) => (o.match = [{ kind: 'email', field: 'notes' }])))).toEqual([
      'match.0: "notes" is mapped by only legacy; a match rule compares a target field that at least two sources map',
    ]);
    expect(mergedObjectIssues(edited((o) => (o.match = [{ kind: 'email', field: 'email' }])))).toEqual([
      'match.0: "email" is mapped by no source; a match rule compares a target field that at least two sources map',
    ]);
  });

  it('refuses a blocking key of one field', () => {
    expect(mergedObjectIssues(edited((o) => (o.match = [{ kind: 'block', fields: ['name'] }])))).toEqual([
      'match.0.fields: a blocking key joins at least two fields, e.g. [name, city]',
    ]);
  });

  it('refuses a phone rule with a country libphonenumber does not know', () => {
    expect(
      mergedObjectIssues(edited((o) => (o.match = [{ kind: 'phone', field: 'phone', defaultCountry: 'XX' }]))),
    ).toEqual([
      'match.0.defaultCountry: is not a country code libphonenumber knows; use an ISO 3166 code such as US, GB or FR',
    ]);
  });

  it('refuses survivorship of a field no source maps', () => {
    expect(mergedObjectIssues(edited((o) => (o.survivorship = { revenue: { rule: 'most_complete' } })))).toEqual([
      'survivorship.revenue: "revenue" is not a target field of this object; name a field a source maps',
    ]);
  });

  it('refuses a survivorship rule of an unknown kind, listing the rules', () => {
    expect(mergedObjectIssues(edited((o) => (o.survivorship = { name: { rule: 'longest' } })))).toEqual([
      'survivorship.name.rule: a survivorship rule is priority, most_recent, most_complete, transform or union',
    ]);
  });

  it('refuses a priority naming a source the object does not have, or one twice', () => {
    expect(
      mergedObjectIssues(edited((o) => (o.survivorship = { name: { rule: 'priority', sources: ['salesforce'] } }))),
    ).toEqual(['survivorship.name.sources.0: "salesforce" is not a source of this object; use one of hubspot, legacy']);
    expect(
      mergedObjectIssues(
        edited((o) => (o.survivorship = { name: { rule: 'priority', sources: ['legacy', 'legacy'] } })),
      ),
    ).toEqual(['survivorship.name.sources.1: "legacy" is listed twice; list each source once']);
  });

  it('refuses most_recent when a source mapping the field declares no updatedAt', () => {
    expect(mergedObjectIssues(edited((o) => delete o.sources[1]!.updatedAt))).toEqual([
      "survivorship.phone: most_recent compares each source's updatedAt, and legacy declares none; set its updatedAt column or use priority",
    ]);
  });

  it('checks a survivorship transform like a field map transform', () => {
    expect(
      mergedObjectIssues(
        edited((o) => (o.survivorship = { city: { rule: 'transform', transform: { truncate: {} } } })),
      ),
    ).toEqual([expect.stringMatching(/^survivorship\.city\.transform: truncate\.length: .+ \(limit text to N/)]);
  });

  it('refuses a survivorship rule without its rule, and a transform that is not a name or { name: args }', () => {
    expect(mergedObjectIssues(edited((o) => (o.survivorship = { name: { sources: ['legacy'] } })))).toEqual([
      'survivorship.name.rule: a survivorship rule is priority, most_recent, most_complete, transform or union',
    ]);
    expect(
      mergedObjectIssues(edited((o) => (o.survivorship = { name: { rule: 'transform', transform: 42 } }))),
    ).toEqual([
      'survivorship.name.transform: a transform is its name or { name: arguments }, e.g. trim or { truncate: { length: 80 } }',
    ]);
    expect(
      mergedObjectIssues(edited((o) => ((o.sources[0]!.fields as { transform?: unknown }[])[0]!.transform = [7]))),
    ).toEqual([
      'sources.0.fields.0.transform.0: a transform is its name or { name: arguments }, e.g. trim or { truncate: { length: 80 } }',
    ]);
  });

  it('refuses unknown keys with the fix', () => {
    expect(mergedObjectIssues(edited((o) => (o.sources[0]!.key = 'id')))).toEqual([
      'sources.0: unknown key(s) "key"; remove or correct them',
    ]);
  });

  it('lists transforms that are neither built in nor the plan’s own, with where they are', () => {
    const object = mergedObjectSchema.parse(
      edited((o) => {
        (o.sources[0]!.fields as { transform?: unknown[] }[])[0]!.transform = ['shout'];
        o.match = [{ kind: 'block', fields: ['name', 'city'], normalise: { name: ['strip_suffix'] } }];
        o.survivorship = { city: { rule: 'transform', transform: { longest: {} } } };
      }),
    );
    expect(unknownMergeTransforms(object, [])).toEqual([
      { path: 'sources.0.fields.0.transform.0', name: 'shout' },
      { path: 'match.0.normalise.name.0', name: 'strip_suffix' },
      { path: 'survivorship.city.transform', name: 'longest' },
    ]);
    expect(unknownMergeTransforms(object, ['shout', 'strip_suffix', 'longest'])).toEqual([]);
  });
});
