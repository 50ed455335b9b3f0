import {
  formatExplanation,
  lineageExplanation,
  mergedObjectOutline,
  shortValue,
  type ExplanationInput,
} from '../../scripts/client/explain';
import type { MergeLineageRow, MergeMemberRow } from '../../staging/repos/merge';

/** HubSpot companies and the legacy CRM's accounts merged into companies, as a stored plan holds the object. */
const companiesPlanObject = {
  name: 'companies',
  target: { table: 'companies', key: 'merge_ref' },
  sources: [
    {
      source: 'hubspot',
      object: 'companies',
      id: 'id',
      updatedAt: 'hs_lastmodifieddate',
      fields: [
        { from: 'name', to: 'name', transform: [] },
        { from: 'domain', to: 'domain', transform: [] },
        { from: 'phone', to: 'phone', transform: [] },
        { from: 'tags', to: 'tags', transform: [] },
        { from: 'annualrevenue', to: 'revenue', transform: [] },
        { to: 'origin', transform: [{ default: 'merged' }] },
      ],
    },
    {
      source: 'legacy',
      object: 'accounts',
      id: 'account_id',
      updatedAt: 'modified_at',
      fields: [
        { from: 'account_name', to: 'name', transform: [] },
        { from: 'website', to: 'domain', transform: [] },
        { from: 'tel', to: 'phone', transform: [] },
        { from: 'labels', to: 'tags', transform: [] },
        { from: 'revenue', to: 'revenue', transform: [] },
        { from: 'notes', to: 'notes', transform: [] },
      ],
    },
  ],
  match: [
    { kind: 'domain', field: 'domain' },
    { kind: 'phone', field: 'phone', defaultCountry: 'US' },
  ],
  survivorship: { name: { rule: 'priority', sources: ['legacy'] }, tags: { rule: 'union' } },
};

const outline = mergedObjectOutline(companiesPlanObject)!;

function member(ref: string, fields: Record<string, unknown>, extra: Partial<MergeMemberRow> = {}): MergeMemberRow {
  const [source, sourceId] = ref.split('/') as [string, string];
  return {
    ref,
    source,
    sourceId,
    mergedRef: 'hubspot/123',
    groupId: 'mg_5d1c0a9e4b7f2a31',
    status: 'merged',
    matchRule: 'domain on domain',
    fields,
    sourceUpdatedAt: null,
    ...extra,
  };
}

const hubspot123 = member(
  'hubspot/123',
  { name: 'Acme Inc', domain: 'acme.com', phone: '+1 212 555 0123', tags: ['vip'], revenue: 1000, origin: 'merged' },
  { sourceUpdatedAt: new Date('2026-03-01T10:00:00.000Z') },
);
const legacy9 = member(
  'legacy/9',
  {
    name: 'ACME Corp',
    domain: 'https://www.acme.com/about',
    phone: '(212) 555-0123',
    tags: ['partner', 'VIP'],
    revenue: 500,
    notes: '  ',
  },
  { sourceUpdatedAt: new Date('2025-11-20T08:30:00.000Z') },
);

const row = (
  field: string,
  value: unknown,
  ref: string,
  sourceField: string | null,
  rule: string,
  position = 0,
): MergeLineageRow => {
  const [source, sourceId] = ref.split('/') as [string, string];
  return { field, position, value, source, sourceId, sourceField, rule };
};

const lineage: MergeLineageRow[] = [
  row('name', 'ACME Corp', 'legacy/9', 'account_name', 'priority'),
  row('domain', 'acme.com', 'hubspot/123', 'domain', 'priority'),
  row('phone', '+1 212 555 0123', 'hubspot/123', 'phone', 'most_recent'),
  // Stored out of order: positions decide the elements' order.
  row('tags', 'partner', 'legacy/9', 'labels', 'union', 1),
  row('tags', 'vip', 'hubspot/123', 'tags', 'union', 0),
  row('revenue', 1500, 'hubspot/123', 'annualrevenue', 'transform sum'),
  row('revenue', 1500, 'legacy/9', 'revenue', 'transform sum'),
  row('origin', 'merged', 'hubspot/123', null, 'priority'),
  row('fax', '555-0199', 'legacy/9', 'fax', 'priority'),
];

function input(overrides: Partial<ExplanationInput> = {}): ExplanationInput {
  return {
    migration: 'mig_merge_crm',
    object: 'companies',
    asked: 'hubspot/123',
    foundBy: 'merged ref',
    mergedRef: 'hubspot/123',
    outline,
    // Given legacy first: the explanation puts the anchor first, then `sources` order.
    members: [legacy9, hubspot123],
    lineage,
    ledger: [
      {
        ref: 'hubspot/123',
        state: 'written',
        targetId: '42',
        runPhase: 'full',
        updatedAt: new Date('2026-04-02T09:15:00.000Z'),
      },
    ],
    staged: [
      {
        ref: 'hubspot/123',
        disposition: null,
        dispositionReason: null,
        duplicateOf: null,
        sourceDeletedAt: null,
      },
      {
        ref: 'legacy/9',
        disposition: 'deduplicated',
        dispositionReason: 'merged: domain on domain',
        duplicateOf: 'hubspot/123',
        sourceDeletedAt: null,
      },
    ],
    quarantine: [],
    ...overrides,
  };
}

describe('the outline of a merged object read from the stored plan', () => {
  it('lists the sources in order, the target fields in the order the field maps first name them, and the rules', () => {
    expect(outline.sources).toEqual(['hubspot', 'legacy']);
    expect(outline.fields).toEqual(['name', 'domain', 'phone', 'tags', 'revenue', 'origin', 'notes']);
    expect(outline.match).toEqual([
      { kind: 'domain', field: 'domain' },
      { kind: 'phone', field: 'phone', defaultCountry: 'US' },
    ]);
  });

  it('reads the section a loaded plan keeps under `merge` beside the object it makes of it', () => {
    const loaded = {
      name: 'companies',
      source: { id: '_ref' },
      target: { table: 'companies', key: 'merge_ref' },
      fields: [
        { from: '_ref', to: 'merge_ref', transform: [] },
        { from: 'name', to: 'name', transform: [] },
      ],
      merge: companiesPlanObject,
    };
    expect(mergedObjectOutline(loaded)).toEqual(outline);
  });

  it('is undefined for a one-source object, so explain can refuse it', () => {
    const deals = {
      name: 'deals',
      source: { from: 'legacy', table: 'deals' },
      target: { table: 'deals', key: 'legacy_id' },
      fields: [{ from: 'deal_id', to: 'legacy_id' }],
    };
    expect(mergedObjectOutline(deals)).toBeUndefined();
    expect(mergedObjectOutline(null)).toBeUndefined();
    expect(mergedObjectOutline('companies')).toBeUndefined();
  });

  it('keeps the fields but not the match rules when the stored rules do not read as rules', () => {
    const odd = mergedObjectOutline({ ...companiesPlanObject, match: [{ kind: 'soundex', field: 'name' }] });
    expect(odd?.match).toBeNull();
    expect(odd?.fields).toContain('notes');
  });
});

describe('the lineage of a merged record', () => {
  const e = lineageExplanation(input());

  it('names the group, its status and the first rule that joined it, with the key the members share', () => {
    expect(e).toMatchObject({
      mergedRef: 'hubspot/123',
      groupId: 'mg_5d1c0a9e4b7f2a31',
      status: 'merged',
      matchRule: 'domain on domain',
      linksNote: null,
    });
    // The phone rule would join them too, but they were one group already: only the domain key is reported.
    expect(e.links).toEqual([{ rule: 'domain on domain', key: 'acme.com', members: ['hubspot/123', 'legacy/9'] }]);
  });

  it('lists the anchor first, then members in `sources` order, each with its updated-at and disposition', () => {
    expect(e.members.map((m) => [m.ref, m.anchor, m.updatedAt])).toEqual([
      ['hubspot/123', true, '2026-03-01T10:00:00.000Z'],
      ['legacy/9', false, '2025-11-20T08:30:00.000Z'],
    ]);
    expect(e.members[1]!.staged).toEqual({
      disposition: 'deduplicated',
      reason: 'merged: domain on domain',
      duplicateOf: 'hubspot/123',
      deletedAt: null,
    });
  });

  it('gives each field its value, rule and source record and field, in the plan order, then fields the plan no longer maps', () => {
    expect(e.fields.map((f) => f.field)).toEqual([
      'name',
      'domain',
      'phone',
      'tags',
      'revenue',
      'origin',
      'notes',
      'fax',
    ]);
    const field = (name: string) => e.fields.find((f) => f.field === name)!;
    expect(field('name')).toEqual({
      field: 'name',
      rule: 'priority',
      value: 'ACME Corp',
      from: [{ ref: 'legacy/9', source: 'legacy', sourceId: '9', sourceField: 'account_name' }],
      others: [{ ref: 'hubspot/123', value: 'Acme Inc' }],
    });
    // A computed value is credited to every record it was computed from.
    expect(field('revenue').from.map((o) => `${o.ref} ${o.sourceField}`)).toEqual([
      'hubspot/123 annualrevenue',
      'legacy/9 revenue',
    ]);
    expect(field('revenue').others).toEqual([]);
    expect(field('origin').from[0]!.sourceField).toBeNull();
    expect(field('notes')).toEqual({ field: 'notes', rule: null, value: null, from: [], others: [] });
  });

  it('gives a union field each element in order with the record it came from', () => {
    const tags = e.fields.find((f) => f.field === 'tags')!;
    expect(tags.value).toEqual(['vip', 'partner']);
    expect(tags.elements!.map((el) => [el.value, el.from.map((o) => `${o.ref} ${o.sourceField}`)])).toEqual([
      ['vip', ['hubspot/123 tags']],
      ['partner', ['legacy/9 labels']],
    ]);
    expect(tags.others).toEqual([]);
  });

  it('says whether the merged record was written, and which members are quarantined', () => {
    expect(e.target).toEqual({
      ref: 'hubspot/123',
      state: 'written',
      targetId: '42',
      phase: 'full',
      at: '2026-04-02T09:15:00.000Z',
    });
    expect(e.otherLedger).toEqual([]);
    expect(e.quarantine).toEqual([]);
  });

  it('prints all of it for a person', () => {
    expect(formatExplanation(e)).toBe(
      [
        'companies hubspot/123 (migration mig_merge_crm): group mg_5d1c0a9e4b7f2a31, merged',
        '  records of several sources merged into one',
        'matched by domain on domain',
        '  domain on domain "acme.com": hubspot/123, legacy/9',
        'members (2):',
        '  hubspot/123  anchor (holds the merged values)  updated 2026-03-01T10:00:00.000Z',
        '  legacy/9     merged into hubspot/123  updated 2025-11-20T08:30:00.000Z',
        'fields (value ← source record and field, rule):',
        '  name: "ACME Corp" ← legacy/9 account_name (priority)',
        '    hubspot/123 had "Acme Inc"',
        '  domain: "acme.com" ← hubspot/123 domain (priority)',
        '    legacy/9 had "https://www.acme.com/about"',
        '  phone: "+1 212 555 0123" ← hubspot/123 phone (most_recent)',
        '    legacy/9 had "(212) 555-0123"',
        '  tags: 2 value(s) (union)',
        '    "vip" ← hubspot/123 tags',
        '    "partner" ← legacy/9 labels',
        '  revenue: 1500 ← hubspot/123 annualrevenue + legacy/9 revenue (transform sum)',
        '  origin: "merged" ← hubspot/123 (constant) (priority)',
        '  notes: null (blank in every member)',
        '  fax: "555-0199" ← legacy/9 fax (priority)',
        'target: written, target id 42 (written, full phase, 2026-04-02T09:15:00.000Z)',
        'quarantine: none of its 2 members',
      ].join('\n'),
    );
  });
});

describe('explaining other merged records', () => {
  it('says which merged record a member ref belongs to', () => {
    const text = formatExplanation(lineageExplanation(input({ asked: 'legacy/9', foundBy: 'member ref' })));
    expect(text.split('\n').slice(0, 2)).toEqual([
      'companies hubspot/123 (migration mig_merge_crm): group mg_5d1c0a9e4b7f2a31, merged',
      '  legacy/9 is a member of the merged record hubspot/123',
    ]);
  });

  it('shows a group under review as not written, with its members quarantined and what to do', () => {
    const review = (m: MergeMemberRow) => ({ ...m, status: 'review' });
    const e = lineageExplanation(
      input({
        members: [review(hubspot123), review(legacy9)],
        lineage: [],
        ledger: [],
        staged: [],
        quarantine: ['hubspot/123', 'legacy/9'].map((ref) => ({
          ref,
          stage: 'load',
          reasonCode: 'merge_review_pending',
          field: null,
          message: 'its merge group mg_5d1c0a9e4b7f2a31 awaits a decision in companies.merge-review.yaml',
          createdAt: new Date('2026-04-02T09:00:00.000Z'),
        })),
      }),
    );
    expect(e.target).toBeNull();
    expect(e.fields.every((f) => f.rule === null)).toBe(true);
    const text = formatExplanation(e).split('\n');
    expect(text).toContain("  awaiting a person's decision in the review file: not loaded until then");
    expect(text).toContain('  legacy/9     merged into hubspot/123  updated 2025-11-20T08:30:00.000Z  not staged');
    expect(text).toContain(
      'target: not written (no ledger entry for hubspot/123); decide its group in the review file, then run the phase again',
    );
    expect(text.slice(-3)).toEqual([
      'quarantine: 2 open',
      '  hubspot/123  load  merge_review_pending: its merge group mg_5d1c0a9e4b7f2a31 awaits a decision in companies.merge-review.yaml',
      '  legacy/9  load  merge_review_pending: its merge group mg_5d1c0a9e4b7f2a31 awaits a decision in companies.merge-review.yaml',
    ]);
  });

  it('explains a single record without a match, and one a rollback removed from the target', () => {
    const single = member(
      'legacy/77',
      { name: 'Solo Ltd' },
      { mergedRef: 'legacy/77', status: 'single', matchRule: null },
    );
    const e = lineageExplanation(
      input({
        asked: 'legacy/77',
        mergedRef: 'legacy/77',
        members: [single],
        lineage: [row('name', 'Solo Ltd', 'legacy/77', 'account_name', 'priority')],
        ledger: [
          {
            ref: 'legacy/77',
            state: 'rolled_back',
            targetId: '7',
            runPhase: 'rollback',
            updatedAt: new Date('2026-04-03T00:00:00.000Z'),
          },
        ],
        staged: [],
      }),
    );
    expect(e.links).toEqual([]);
    const text = formatExplanation(e);
    expect(text).not.toContain('matched by');
    expect(text).toContain('  no record of another source matched it');
    expect(text).toContain(
      'target: removed from the target by a rollback, target id 7 (rolled_back, rollback phase, 2026-04-03T00:00:00.000Z)',
    );
    expect(text).toContain('quarantine: not quarantined');
  });

  it("lists another member's ledger row: a record written before a delta merged it into another", () => {
    const e = lineageExplanation(
      input({
        ledger: [
          ...input().ledger,
          {
            ref: 'legacy/9',
            state: 'set_aside',
            targetId: '17',
            runPhase: 'delta',
            updatedAt: new Date('2026-04-05T12:00:00.000Z'),
          },
        ],
      }),
    );
    expect(e.target?.ref).toBe('hubspot/123');
    expect(e.otherLedger.map((l) => [l.ref, l.state, l.targetId])).toEqual([['legacy/9', 'set_aside', '17']]);
    expect(formatExplanation(e).split('\n')).toContain(
      '  legacy/9: written once, then removed because the rules now set it aside, target id 17 (set_aside, delta phase, 2026-04-05T12:00:00.000Z)',
    );
  });

  it('says why the keys are missing when the members share none under the plan as it is now', () => {
    const e = lineageExplanation(input({ outline: { ...outline, match: [{ kind: 'email', field: 'email' }] } }));
    expect(e.links).toEqual([]);
    expect(formatExplanation(e)).toContain(
      "  keys not shown: no key of the plan's match rules joins the members' staged values now (the plan's rules changed since, or a person merged them in the review file)",
    );
  });

  it('cuts a long value to one line and keeps unicode as it is', () => {
    expect(shortValue('Zürich café ☕')).toBe('"Zürich café ☕"');
    const long = 'x'.repeat(200);
    expect(shortValue(long)).toBe(`"${'x'.repeat(76)}… (202 characters)`);
    expect(shortValue(undefined)).toBe('null');
    expect(shortValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
  });
});
