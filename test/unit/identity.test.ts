import { parse } from 'yaml';
import {
  applyReviewDecisions,
  compileMatchRule,
  parseReviewFile,
  renderReviewFile,
  resolveIdentities,
  type SourceRecord,
} from '../../plan/identity';
import { matchRuleSchema, type MatchRule } from '../../plan/merge-schema';

const rule = (r: Record<string, unknown>): MatchRule => matchRuleSchema.parse(r);
const email = rule({ kind: 'email', field: 'email' });
const phone = rule({ kind: 'phone', field: 'phone', defaultCountry: 'US' });
const domain = rule({ kind: 'domain', field: 'domain' });
const nameCity = rule({ kind: 'block', name: 'name-city', fields: ['name', 'city'] });

const rec = (source: string, sourceId: string, fields: Record<string, unknown>): SourceRecord => ({
  source,
  sourceId,
  updatedAt: null,
  fields,
});

/** The groups of two or more records, as `source/id` lists. */
const joined = (records: SourceRecord[], rules: MatchRule[]): string[][] =>
  resolveIdentities(records, rules)
    .groups.filter((g) => g.members.length > 1)
    .map((g) => g.members.map((m) => `${m.source}/${m.sourceId}`));

/** A deterministic shuffle (a linear congruential generator), so a failure replays. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('match rule keys', () => {
  it('email: trimmed and lower-cased; a value that is not an address has no key', () => {
    const keys = compileMatchRule(email);
    expect(keys({ email: ' Ada@Example.COM ' })).toEqual(['ada@example.com']);
    expect(keys({ email: 'n/a' })).toEqual([]);
    expect(keys({ email: '   ' })).toEqual([]);
    expect(keys({})).toEqual([]);
  });

  it('email: each address of a list is a key, each once', () => {
    expect(compileMatchRule(email)({ email: ['a@x.co', 'not one', 'A@X.co', 'b@x.co'] })).toEqual(['a@x.co', 'b@x.co']);
  });

  it('domain: a website or URL gives its host, lower-cased, without www.', () => {
    const keys = compileMatchRule(domain);
    expect(keys({ domain: 'https://www.Acme.com/about' })).toEqual(['acme.com']);
    expect(keys({ domain: 'ACME.COM' })).toEqual(['acme.com']);
    expect(keys({ domain: 'not a site' })).toEqual([]);
  });

  it('phone: E.164, numbers without +country read in the default country; invalid numbers have no key', () => {
    const keys = compileMatchRule(phone);
    expect(keys({ phone: '(212) 555-0123' })).toEqual(['+12125550123']);
    expect(keys({ phone: '+1 212 555 0123' })).toEqual(['+12125550123']);
    expect(keys({ phone: '555-0100' })).toEqual([]);
    expect(
      compileMatchRule(rule({ kind: 'phone', field: 'phone', defaultCountry: 'GB' }))({ phone: '020 7946 0018' }),
    ).toEqual(['+442079460018']);
  });

  it('phone without a default country: only numbers written with +country have a key', () => {
    const keys = compileMatchRule(rule({ kind: 'phone', field: 'phone' }));
    expect(keys({ phone: '+44 20 7946 0018' })).toEqual(['+442079460018']);
    expect(keys({ phone: '(212) 555-0123' })).toEqual([]);
  });

  it('block: every part trimmed, lower-cased, whitespace collapsed; a blank part gives no key', () => {
    const keys = compileMatchRule(nameCity);
    expect(keys({ name: '  Acme   Corp ', city: 'PARIS' })).toEqual(['acme corp + paris']);
    expect(keys({ name: 'Acme Corp', city: '' })).toEqual([]);
    expect(keys({ name: null, city: 'Paris' })).toEqual([]);
  });

  it('block: normalise transforms run on a part before it is compared', () => {
    const keys = compileMatchRule(
      rule({
        kind: 'block',
        fields: ['name', 'website'],
        normalise: { name: [{ replace: { pattern: '[,.]', with: '' } }], website: [{ domain: { onInvalid: null } }] },
      }),
    );
    expect(keys({ name: 'Meridian Mining, LLC.', website: 'http://www.meridian.io' })).toEqual([
      'meridian mining llc + meridian.io',
    ]);
  });
});

describe('identity resolution across sources', () => {
  it('matches records of two sources by each rule kind', () => {
    const records = [
      rec('hubspot', '1', { email: 'Ada@Example.com' }),
      rec('legacy', 'a', { email: ' ada@example.COM' }),
      rec('hubspot', '2', { domain: 'www.Globex.com' }),
      rec('legacy', 'b', { domain: 'https://globex.com/contact' }),
      rec('hubspot', '3', { phone: '(212) 555-0123' }),
      rec('legacy', 'c', { phone: '+1-212-555-0123' }),
      rec('hubspot', '4', { name: 'Initech', city: 'Austin ' }),
      rec('legacy', 'd', { name: 'INITECH', city: 'austin' }),
      rec('legacy', 'e', { name: 'Initech', city: 'Dallas' }),
    ];
    const result = resolveIdentities(records, [email, domain, phone, nameCity]);
    const merged = result.groups.filter((g) => g.status === 'merged');
    expect(merged.map((g) => [g.rule, g.members.map((m) => `${m.source}/${m.sourceId}`), g.links[0]!.key])).toEqual([
      ['email on email', ['hubspot/1', 'legacy/a'], 'ada@example.com'],
      ['domain on domain', ['hubspot/2', 'legacy/b'], 'globex.com'],
      ['phone on phone', ['hubspot/3', 'legacy/c'], '+12125550123'],
      ['name-city', ['hubspot/4', 'legacy/d'], 'initech + austin'],
    ]);
    expect(result.figures).toEqual({
      records: 9,
      mergedGroups: 4,
      mergedRecords: 8,
      reviewGroups: 0,
      reviewRecords: 0,
      single: 1,
    });
    expect(result.groups.find((g) => g.status === 'single')).toMatchObject({
      members: [{ source: 'legacy', sourceId: 'e' }],
      rule: null,
      links: [],
    });
  });

  it('never matches records on a value that normalises to nothing ("n/a" emails, invalid phones)', () => {
    const records = [
      rec('hubspot', '1', { email: 'n/a', phone: '555-0100' }),
      rec('legacy', 'a', { email: 'n/a', phone: '555-0100' }),
    ];
    expect(joined(records, [email, phone])).toEqual([]);
  });

  it('reports a match under the first rule that joins it; a later rule on the same records adds nothing', () => {
    const records = [
      rec('hubspot', '1', { email: 'ada@example.com', phone: '212-555-0123' }),
      rec('legacy', 'a', { email: 'ADA@example.com', phone: '(212) 555 0123' }),
    ];
    const emailFirst = resolveIdentities(records, [email, phone]).groups[0]!;
    expect(emailFirst.rule).toBe('email on email');
    expect(emailFirst.links.map((l) => l.rule)).toEqual(['email on email']);
    const phoneFirst = resolveIdentities(records, [phone, email]).groups[0]!;
    expect(phoneFirst.rule).toBe('phone on phone');
    expect(phoneFirst.links.map((l) => `${l.rule}: ${l.key}`)).toEqual(['phone on phone: +12125550123']);
  });

  it('joins matches transitively: A~B by email and B~C by phone make one group with both links', () => {
    const records = [
      rec('hubspot', '1', { email: 'ada@example.com' }),
      rec('legacy', 'a', { email: 'ada@example.com', phone: '212 555 0123' }),
      rec('billing', 'x', { phone: '+12125550123' }),
    ];
    const [group] = resolveIdentities(records, [email, phone]).groups;
    expect(group!.status).toBe('merged');
    expect(group!.rule).toBe('email on email');
    expect(group!.members.map((m) => `${m.source}/${m.sourceId}`)).toEqual(['billing/x', 'hubspot/1', 'legacy/a']);
    expect(group!.links).toEqual([
      {
        rule: 'email on email',
        key: 'ada@example.com',
        members: [
          { source: 'hubspot', sourceId: '1' },
          { source: 'legacy', sourceId: 'a' },
        ],
      },
      {
        rule: 'phone on phone',
        key: '+12125550123',
        members: [
          { source: 'billing', sourceId: 'x' },
          { source: 'legacy', sourceId: 'a' },
        ],
      },
    ]);
  });

  it('sends a group holding two records of the same source to review instead of merging it', () => {
    const records = [
      rec('hubspot', '1', { email: 'ada@example.com' }),
      rec('hubspot', '7', { phone: '212-555-0123' }),
      rec('legacy', '9', { email: 'ada@example.com', phone: '+12125550123' }),
      rec('hubspot', '2', { email: 'bob@example.com' }),
      rec('legacy', '3', { email: 'bob@example.com' }),
    ];
    const result = resolveIdentities(records, [email, phone]);
    const ambiguous = result.groups.find((g) => g.status === 'review')!;
    expect(ambiguous.members.map((m) => `${m.source}/${m.sourceId}`)).toEqual(['hubspot/1', 'hubspot/7', 'legacy/9']);
    expect(result.review).toEqual([
      {
        group: ambiguous.id,
        members: ambiguous.members,
        sameSource: [{ source: 'hubspot', sourceIds: ['1', '7'] }],
        links: ambiguous.links,
      },
    ]);
    expect(result.figures).toMatchObject({ mergedGroups: 1, mergedRecords: 2, reviewGroups: 1, reviewRecords: 3 });
  });

  it('writes the review file a person decides in: each group, how it matched, decision null', () => {
    const records = [
      rec('hubspot', '1', { email: 'ada@example.com' }),
      rec('hubspot', '7', { email: 'Ada@Example.com' }),
      rec('legacy', '9', { email: 'ada@example.com' }),
    ];
    const { review } = resolveIdentities(records, [email]);
    const text = renderReviewFile('people', review);
    expect(text.split('\n')[0]).toBe(
      '# Merge review of people: groups whose matches joined two or more records of the same source.',
    );
    expect(parse(text)).toEqual({
      groups: [
        {
          group: review[0]!.group,
          members: ['hubspot/1', 'hubspot/7', 'legacy/9'],
          sameSource: ['hubspot: 1, 7'],
          matched: ['email on email "ada@example.com": hubspot/1, hubspot/7, legacy/9'],
          decision: null,
        },
      ],
    });
  });

  it('gives the same groups, ids and links whatever order the records come in', () => {
    const records: SourceRecord[] = [];
    for (let i = 0; i < 60; i++) {
      records.push(
        rec('hubspot', `h${i}`, { email: `p${i % 25}@example.com`, phone: i % 7 === 0 ? '212-555-0123' : null }),
      );
      records.push(rec('legacy', `l${i}`, { email: `P${i % 40}@Example.com`, name: `Co ${i % 9}`, city: 'Paris' }));
      records.push(rec('billing', `b${i}`, { phone: `+1 212 555 01${String(i % 50).padStart(2, '0')}` }));
    }
    const rules = [email, phone, nameCity];
    const expected = resolveIdentities(records, rules);
    expect(expected.figures.mergedGroups + expected.figures.reviewGroups).toBeGreaterThan(1);
    for (const seed of [1, 2, 3, 42, 2026]) expect(resolveIdentities(shuffled(records, seed), rules)).toEqual(expected);
  });

  it('names a group by its members: the same records give the same id, other records another', () => {
    const a = [rec('hubspot', '1', { email: 'a@x.co' }), rec('legacy', 'a', { email: 'a@x.co' })];
    const [first] = resolveIdentities(a, [email]).groups;
    expect(first!.id).toMatch(/^mg_[0-9a-f]{16}$/);
    expect(resolveIdentities([...a].reverse(), [email]).groups[0]!.id).toBe(first!.id);
    const b = [rec('hubspot', '1', { email: 'a@x.co' }), rec('legacy', 'b', { email: 'a@x.co' })];
    expect(resolveIdentities(b, [email]).groups[0]!.id).not.toBe(first!.id);
  });

  it('refuses the same source record given twice', () => {
    expect(() =>
      resolveIdentities([rec('legacy', '1', {}), rec('hubspot', '1', {}), rec('legacy', '1', {})], [email]),
    ).toThrow('record legacy/1 is given twice; each source record is resolved once');
  });

  it('joins a large group through one shared key without comparing records pairwise', () => {
    const records = Array.from({ length: 5_000 }, (_, i) =>
      rec(i % 2 === 0 ? 'hubspot' : 'legacy', String(i), { domain: i < 4_000 ? 'acme.com' : `co${i}.com` }),
    );
    const result = resolveIdentities(records, [domain]);
    expect(result.figures).toMatchObject({ reviewGroups: 1, reviewRecords: 4_000, single: 1_000 });
    expect(result.review[0]!.links).toHaveLength(1);
  });
});

describe('the review file: a person decides', () => {
  // hubspot/1 and legacy/9 share an email, hubspot/7 and legacy/9 a phone: two HubSpot records in one group.
  const records = [
    rec('hubspot', '1', { email: 'ada@example.com' }),
    rec('hubspot', '7', { phone: '212-555-0123' }),
    rec('legacy', '9', { email: 'ada@example.com', phone: '+12125550123' }),
  ];
  const resolved = resolveIdentities(records, [email, phone]);
  const file = renderReviewFile('people', resolved.review);
  const decided = (decision: string): string => file.replace(/^ {4}decision: null$/m, `    decision: ${decision}`);

  it('lists an undecided group as pending and leaves it under review', () => {
    const read = parseReviewFile(file);
    expect(read).toEqual({ decisions: new Map(), pending: [resolved.review[0]!.group], issues: [] });
    expect(applyReviewDecisions(resolved, read.decisions)).toEqual({ resolution: resolved, issues: [] });
  });

  it('merges a group decided `merge` whole', () => {
    const read = parseReviewFile(decided('merge'));
    expect(read.issues).toEqual([]);
    const { resolution, issues } = applyReviewDecisions(resolved, read.decisions);
    expect(issues).toEqual([]);
    expect(resolution.groups).toEqual([{ ...resolved.groups[0]!, status: 'merged' }]);
    expect(resolution.review).toEqual([]);
    expect(resolution.figures).toMatchObject({ mergedGroups: 1, mergedRecords: 3, reviewGroups: 0 });
  });

  it('splits a group as written, each part keeping the links among its own records', () => {
    const read = parseReviewFile(decided('{ split: [[hubspot/1, legacy/9], [hubspot/7]] }'));
    const { resolution, issues } = applyReviewDecisions(resolved, read.decisions);
    expect(issues).toEqual([]);
    // Each part is the group a resolution of its records alone gives.
    const pair = resolveIdentities([records[0]!, records[2]!], [email]).groups;
    const single = resolveIdentities([records[1]!], [email]).groups;
    expect(resolution.groups).toEqual([...pair, ...single]);
    expect(resolution.figures).toEqual({
      records: 3,
      mergedGroups: 1,
      mergedRecords: 2,
      reviewGroups: 0,
      reviewRecords: 0,
      single: 1,
    });
  });

  it('keeps a group under review when its split leaves out a record, names one twice or one not in it', () => {
    const group = resolved.review[0]!.group;
    for (const [split, problem] of [
      [
        '[[hubspot/1, legacy/9], [legacy/3]]',
        'the split names legacy/3, which is not in the group; list only its records',
      ],
      ['[[hubspot/1, legacy/9], [legacy/9, hubspot/7]]', 'the split lists legacy/9 twice; put each record in one part'],
      ['[[hubspot/1], [legacy/9]]', 'the split leaves out hubspot/7; put each record in one part'],
    ]) {
      const { resolution, issues } = applyReviewDecisions(
        resolved,
        parseReviewFile(decided(`{ split: ${split} }`)).decisions,
      );
      expect(issues).toEqual([`group ${group}: ${problem}`]);
      expect(resolution).toEqual(resolved);
    }
  });

  it('reports a decision for a group no longer under review (its records changed)', () => {
    const changed = resolveIdentities([...records, rec('legacy', '10', { email: 'ada@example.com' })], [email, phone]);
    const { issues } = applyReviewDecisions(changed, parseReviewFile(decided('merge')).decisions);
    expect(issues).toEqual([
      `group ${resolved.review[0]!.group} is not under review: its records changed since the file was written; decide again`,
    ]);
  });

  it('reads bad entries as one-line problems with their lines, never throwing', () => {
    const group = resolved.review[0]!.group;
    const line = file.split('\n').findIndex((l) => l.startsWith('  - group: ')) + 1;
    expect(line).toBeGreaterThan(1);
    expect(parseReviewFile(decided('maybe')).issues).toEqual([
      {
        line,
        message: 'groups.0.decision: decision is null (undecided), merge, or { split: [[source/id, ...], ...] }',
      },
    ]);
    expect(parseReviewFile(decided('{ split: [[hubspot-1], [legacy/9]] }')).issues).toEqual([
      { line, message: 'groups.0.decision.split.0.0: is not a record; write it source/source id, e.g. hubspot/1' },
    ]);
    expect(parseReviewFile(decided('{ split: [[hubspot/1, hubspot/7, legacy/9]] }')).issues).toEqual([
      { line, message: 'groups.0.decision.split: a split makes at least two groups' },
    ]);
    expect(parseReviewFile(`${file}  - group: ${group}\n    decision: merge\n`).issues).toEqual([
      { line: file.split('\n').length, message: `group ${group} is listed twice; keep one decision` },
    ]);
    expect(parseReviewFile('groups: {}').issues).toEqual([
      { line: 1, message: 'a review file is a map with `groups: [...]`, as Tern writes it' },
    ]);
    expect(parseReviewFile('groups: [').issues[0]!.message).toMatch(/^YAML syntax error: /);
  });
});
