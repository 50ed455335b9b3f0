import {
  completeness,
  dedupeKeyOf,
  Deduplicator,
  filterRuleName,
  firstMatchingFilter,
  matchesFilter,
} from '../../plan/rules';
import { filterRuleSchema, type FilterRule } from '../../plan/schema';

const rule = (r: Record<string, unknown>): FilterRule => filterRuleSchema.parse(r);

describe('filter rules', () => {
  it('`in` matches trimmed values case-insensitively', () => {
    const r = rule({ field: 'status', in: ['Spam', 'test'] });
    expect(matchesFilter(r, { status: '  spam ' })).toBe(true);
    expect(matchesFilter(r, { status: 'TEST' })).toBe(true);
    expect(matchesFilter(r, { status: 'testing' })).toBe(false);
    expect(matchesFilter(r, { status: null })).toBe(false);
  });

  it('`blank` matches null, missing and whitespace; blank: false the opposite', () => {
    const r = rule({ field: 'email', blank: true });
    expect([null, undefined, '', '   ', 'a@b.co'].map((v) => matchesFilter(r, { email: v }))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(matchesFilter(rule({ field: 'email', blank: false }), { email: 'x' })).toBe(true);
  });

  it('date tests compare real dates and never match non-dates', () => {
    const before = rule({ field: 'closed', before: '2015-01-01' });
    expect(matchesFilter(before, { closed: '2014-12-31' })).toBe(true);
    expect(matchesFilter(before, { closed: '12/31/2014' })).toBe(true);
    expect(matchesFilter(before, { closed: '2015-01-01' })).toBe(false);
    expect(matchesFilter(before, { closed: 'soon' })).toBe(false);
    expect(matchesFilter(before, { closed: '03/04/2010' })).toBe(false); // ambiguous: not a date to compare
    expect(matchesFilter(rule({ field: 'closed', onOrAfter: '2015-01-01' }), { closed: '2015-01-01T10:00:00Z' })).toBe(
      true,
    );
  });

  it('`matches` is a regular expression on the trimmed text', () => {
    const r = rule({ name: 'junk', field: 'name', matches: '^(test|zz)' });
    expect(matchesFilter(r, { name: ' test account' })).toBe(true);
    expect(matchesFilter(r, { name: 'Acme' })).toBe(false);
    expect(firstMatchingFilter([rule({ field: 'x', in: ['a'] }), r], { x: 'b', name: 'zz top' })).toBe('junk');
    expect(firstMatchingFilter([r], { name: 'ok' })).toBeUndefined();
  });

  it('a rule needs exactly one test, and unnamed rules describe themselves', () => {
    expect(filterRuleSchema.safeParse({ field: 'x' }).success).toBe(false);
    expect(filterRuleSchema.safeParse({ field: 'x', in: ['a'], blank: true }).success).toBe(false);
    expect(filterRuleSchema.safeParse({ field: 'x', matches: '(' }).success).toBe(false);
    expect(filterRuleName(rule({ field: 'kind', in: ['system'] }))).toBe('kind in [system]');
  });
});

describe('deduplication', () => {
  const rows = [
    { sourceId: '1', ordinal: 1, updatedAt: new Date('2020-01-01'), record: { email: 'A@x.com ', name: 'a' } },
    { sourceId: '2', ordinal: 2, updatedAt: new Date('2023-01-01'), record: { email: 'a@X.com', name: '', phone: '' } },
    { sourceId: '3', ordinal: 3, updatedAt: null, record: { email: ' a@x.com', name: 'a', phone: '555' } },
    { sourceId: '4', ordinal: 4, updatedAt: null, record: { email: 'b@x.com' } },
    { sourceId: '5', ordinal: 5, updatedAt: null, record: { email: '  ' } },
    { sourceId: '6', ordinal: 6, updatedAt: null, record: { email: null } },
  ];
  const run = (survivor: 'first' | 'last' | 'latest_updated' | 'most_complete') => {
    const d = new Deduplicator({ key: ['email'], survivor });
    rows.forEach((r) => d.add(r));
    return d.result();
  };

  it('normalises keys and ignores records whose key is blank', () => {
    expect(dedupeKeyOf(['email'], { email: ' A@X.com ' })).toBe(dedupeKeyOf(['email'], { email: 'a@x.com' }));
    expect(dedupeKeyOf(['email'], { email: '   ' })).toBeNull();
    const { figures } = run('first');
    expect(figures).toEqual({ groups: 1, records: 3, excess: 2 });
  });

  it.each([
    ['first', '1'],
    ['last', '3'],
    ['latest_updated', '2'],
    ['most_complete', '3'],
  ] as const)('survivor %s keeps record %s', (survivor, kept) => {
    const { duplicates } = run(survivor);
    expect([...duplicates.keys()].sort()).toEqual(['1', '2', '3'].filter((id) => id !== kept));
    for (const d of duplicates.values()) expect(d.survivor).toBe(kept);
  });

  it('match: any joins records that share any one key field, transitively, after the normalising transforms', () => {
    const companies = [
      {
        sourceId: 'a',
        ordinal: 1,
        updatedAt: null,
        record: { name: 'Meridian Mining LLC', web: 'meridianmining.com' },
      },
      {
        sourceId: 'b',
        ordinal: 2,
        updatedAt: null,
        record: { name: 'Meridian Mining, LLC', web: 'https://www.MeridianMining.com/' },
      },
      { sourceId: 'c', ordinal: 3, updatedAt: null, record: { name: 'meridian mining, llc', web: '' } },
      { sourceId: 'd', ordinal: 4, updatedAt: null, record: { name: 'Atlas Software', web: 'n/a' } },
      { sourceId: 'e', ordinal: 5, updatedAt: null, record: { name: 'Juniper Construction', web: 'n/a' } },
      { sourceId: 'f', ordinal: 6, updatedAt: null, record: { name: '', web: 'N/A' } },
    ];
    const d = new Deduplicator({
      key: ['name', 'web'],
      survivor: 'first',
      match: 'any',
      normalise: { web: [{ domain: { onInvalid: 'null' } }] },
    });
    companies.forEach((c) => d.add(c));
    const { duplicates, figures } = d.result();
    // a~b by domain, b~c by name; "n/a" is no domain, so d, e and f stay apart.
    expect(figures).toEqual({ groups: 1, records: 3, excess: 2 });
    expect([...duplicates].map(([id, x]) => [id, x.survivor])).toEqual([
      ['b', 'a'],
      ['c', 'a'],
    ]);
    // With match: all, both fields must agree: no group here.
    const all = new Deduplicator({ key: ['name', 'web'], survivor: 'first', normalise: { web: ['domain'] } });
    companies.forEach((c) => all.add(c));
    expect(all.result().figures.groups).toBe(0);
  });

  it('counts non-blank fields for completeness', () => {
    expect(completeness({ a: 'x', b: ' ', c: null, d: 0 })).toBe(2);
  });
});
