import type { CustomTransformFn } from '../../plan/compile';
import type { SourceRecord } from '../../plan/identity';
import { mergedObjectSchema } from '../../plan/merge-schema';
import { compileSurvivorship, type SurvivalResult, type SurvivingField } from '../../plan/survivorship';
import { RecordRejection } from '../../plan/transforms';

/** HubSpot companies and the legacy CRM's accounts into one companies table, with `survivorship` as given. */
function companies(survivorship: Record<string, unknown> = {}) {
  return mergedObjectSchema.parse({
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
          { from: 'tags', to: 'tags' },
          { from: 'revenue', to: 'revenue' },
          { to: 'origin', transform: [{ default: 'hubspot' }] },
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
          { from: 'labels', to: 'tags' },
          { from: 'annual_revenue', to: 'revenue' },
          { from: 'notes', to: 'notes' },
        ],
      },
    ],
    match: [{ kind: 'domain', field: 'domain' }],
    survivorship,
  });
}

const at = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));
const hubspot = (fields: Record<string, unknown>, updatedAt: string | null = null, sourceId = '101'): SourceRecord => ({
  source: 'hubspot',
  sourceId,
  updatedAt: at(updatedAt),
  fields,
});
const legacy = (fields: Record<string, unknown>, updatedAt: string | null = null, sourceId = 'A-7'): SourceRecord => ({
  source: 'legacy',
  sourceId,
  updatedAt: at(updatedAt),
  fields,
});

function fieldsOf(result: SurvivalResult): Record<string, SurvivingField> {
  if (!result.ok) throw new Error(`expected a merged record, got ${result.message}`);
  return result.fields;
}

/** A field's value and the `source/id:field` it came from. */
function picked(result: SurvivalResult, field: string): [unknown, string[]] {
  const f = fieldsOf(result)[field]!;
  return [f.value, f.lineage.map((l) => `${l.source}/${l.sourceId}:${l.sourceField}`)];
}

describe('survivorship by source priority', () => {
  it('takes a field the plan gives no rule from the first source in `sources` order', () => {
    const survive = compileSurvivorship(companies());
    const result = survive([legacy({ name: 'ACME Corp' }), hubspot({ name: 'Acme' })]);
    expect(fieldsOf(result).name).toEqual({
      value: 'Acme',
      rule: 'priority',
      lineage: [{ source: 'hubspot', sourceId: '101', sourceField: 'name', rule: 'priority' }],
    });
  });

  it('follows the rule’s order; sources it does not list come after, in `sources` order', () => {
    const survive = compileSurvivorship(companies({ name: { rule: 'priority', sources: ['legacy'] } }));
    expect(picked(survive([hubspot({ name: 'Acme' }), legacy({ name: 'ACME Corp' })]), 'name')).toEqual([
      'ACME Corp',
      ['legacy/A-7:account_name'],
    ]);
  });

  it('falls through blank values (null, missing, whitespace, an empty list) to the next source', () => {
    const survive = compileSurvivorship(companies({ name: { rule: 'priority', sources: ['legacy', 'hubspot'] } }));
    for (const blank of [null, undefined, '   ', []])
      expect(picked(survive([hubspot({ name: 'Acme' }), legacy({ name: blank })]), 'name')).toEqual([
        'Acme',
        ['hubspot/101:name'],
      ]);
  });

  it('keeps null with no lineage when every source is blank', () => {
    const survive = compileSurvivorship(companies());
    expect(fieldsOf(survive([hubspot({ name: '' }), legacy({ name: null })])).name).toEqual({
      value: null,
      rule: 'priority',
      lineage: [],
    });
  });

  it('takes a field only one source maps from that source, and a constant field with no source column', () => {
    const result = compileSurvivorship(companies())([
      hubspot({ origin: 'hubspot' }),
      legacy({ notes: 'Key account since 2009' }),
    ]);
    expect(picked(result, 'notes')).toEqual(['Key account since 2009', ['legacy/A-7:notes']]);
    expect(picked(result, 'origin')).toEqual(['hubspot', ['hubspot/101:null']]);
  });
});

describe('survivorship by most recent update', () => {
  const survive = compileSurvivorship(companies({ phone: { rule: 'most_recent' } }));

  it('takes the value of the record updated last', () => {
    expect(
      picked(
        survive([
          hubspot({ phone: '+1 212 555 0100' }, '2024-01-01T00:00:00Z'),
          legacy({ phone: '212-555-0199' }, '2025-06-30T12:00:00Z'),
        ]),
        'phone',
      ),
    ).toEqual(['212-555-0199', ['legacy/A-7:tel']]);
  });

  it('breaks a tie by the order of `sources`, whatever order the group comes in', () => {
    const same = '2025-03-01T09:30:00Z';
    const records = [legacy({ phone: 'L' }, same), hubspot({ phone: 'H' }, same)];
    expect(picked(survive(records), 'phone')).toEqual(['H', ['hubspot/101:phone']]);
    expect(picked(survive([...records].reverse()), 'phone')).toEqual(['H', ['hubspot/101:phone']]);
  });

  it('counts a record without an updated-at as older than any that has one', () => {
    expect(
      picked(survive([hubspot({ phone: 'H' }, null), legacy({ phone: 'L' }, '1999-01-01T00:00:00Z')]), 'phone'),
    ).toEqual(['L', ['legacy/A-7:tel']]);
  });

  it('counts an updated-at that is not a time as missing', () => {
    const invalid = { ...hubspot({ phone: 'H' }), updatedAt: new Date('not a date') };
    expect(picked(survive([invalid, legacy({ phone: 'L' }, '1999-01-01T00:00:00Z')]), 'phone')).toEqual([
      'L',
      ['legacy/A-7:tel'],
    ]);
  });

  it('skips the newest record when its value is blank', () => {
    expect(
      picked(
        survive([hubspot({ phone: 'H' }, '2024-01-01T00:00:00Z'), legacy({ phone: ' ' }, '2025-01-01T00:00:00Z')]),
        'phone',
      ),
    ).toEqual(['H', ['hubspot/101:phone']]);
  });
});

describe('survivorship by most complete record', () => {
  const survive = compileSurvivorship(companies({ name: { rule: 'most_complete' } }));

  it('takes the value of the record with the most non-blank fields', () => {
    const result = survive([
      hubspot({ name: 'Acme', domain: 'acme.com', phone: '' }),
      legacy({ name: 'ACME Corp', domain: 'acme.com', phone: '212', notes: 'x' }),
    ]);
    expect(picked(result, 'name')).toEqual(['ACME Corp', ['legacy/A-7:account_name']]);
  });

  it('breaks a tie by the order of `sources`, and skips a blank value of the most complete record', () => {
    expect(picked(survive([legacy({ name: 'L', domain: 'a' }), hubspot({ name: 'H', domain: 'b' })]), 'name')).toEqual([
      'H',
      ['hubspot/101:name'],
    ]);
    expect(
      picked(survive([hubspot({ name: 'H' }), legacy({ name: null, domain: 'a', phone: 'b', notes: 'c' })]), 'name'),
    ).toEqual(['H', ['hubspot/101:name']]);
  });
});

describe('survivorship by a named transform', () => {
  const longest: CustomTransformFn = (value) => (value as string[]).reduce((a, b) => (b.length > a.length ? b : a), '');
  const total: CustomTransformFn = (value) => (value as number[]).reduce((a, b) => a + b, 0);
  const rejecting: CustomTransformFn = () => {
    throw new RecordRejection('revenue_conflict', 'the sources disagree on revenue; pick one in the source');
  };
  const crashing: CustomTransformFn = () => {
    throw new TypeError('cannot read properties of undefined');
  };

  it('gives the plan’s own transform the non-blank values in source order; a picked value keeps its record', () => {
    let given: unknown;
    const survive = compileSurvivorship(companies({ name: { rule: 'transform', transform: 'longest' } }), {
      longest: (value, ctx, args) => {
        given = { value, record: ctx.record, args };
        return longest(value, ctx, args);
      },
    });
    const result = survive([
      legacy({ name: 'ACME Corporation' }),
      hubspot({ name: 'Acme' }),
      hubspot({ name: ' ' }, null, '102'),
    ]);
    expect(picked(result, 'name')).toEqual(['ACME Corporation', ['legacy/A-7:account_name']]);
    expect(fieldsOf(result).name!.rule).toBe('transform longest');
    expect(given).toEqual({
      value: ['Acme', 'ACME Corporation'],
      record: {
        'hubspot/101': { name: 'Acme' },
        'hubspot/102': { name: ' ' },
        'legacy/A-7': { name: 'ACME Corporation' },
      },
      args: {},
    });
  });

  it('credits a computed value to every record it was computed from', () => {
    const survive = compileSurvivorship(companies({ revenue: { rule: 'transform', transform: 'total' } }), { total });
    expect(picked(survive([hubspot({ revenue: 1200 }), legacy({ revenue: 800 })]), 'revenue')).toEqual([
      2000,
      ['hubspot/101:revenue', 'legacy/A-7:annual_revenue'],
    ]);
  });

  it('runs a built-in transform of the registry, with its arguments', () => {
    const survive = compileSurvivorship(
      companies({ name: { rule: 'transform', transform: { truncate: { length: 4, onOverflow: 'truncate' } } } }),
    );
    expect(picked(survive([hubspot({ name: 'Acme' }), legacy({ name: 'Globex' })]), 'name')).toEqual([
      ['Acme', 'Glob'],
      ['hubspot/101:name', 'legacy/A-7:account_name'],
    ]);
  });

  it('fails the group with the field, code and message when the transform rejects the values', () => {
    const survive = compileSurvivorship(companies({ revenue: { rule: 'transform', transform: 'pick' } }), {
      pick: rejecting,
    });
    expect(survive([hubspot({ revenue: 1 }), legacy({ revenue: 2 })])).toEqual({
      ok: false,
      field: 'revenue',
      code: 'revenue_conflict',
      message: 'revenue: the sources disagree on revenue; pick one in the source',
    });
  });

  it('fails the group, never the run, when the plan’s transform crashes', () => {
    const survive = compileSurvivorship(companies({ revenue: { rule: 'transform', transform: 'pick' } }), {
      pick: crashing,
    });
    expect(survive([hubspot({ revenue: 1 }), legacy({ revenue: 2 })])).toMatchObject({
      ok: false,
      field: 'revenue',
      code: 'custom_transform_failed',
      message: 'revenue: custom transform "pick" failed: cannot read properties of undefined',
    });
  });
});

describe('survivorship of multi-value fields by union', () => {
  const survive = compileSurvivorship(companies({ tags: { rule: 'union' } }));

  it('keeps every value once (compared trimmed and lower-cased), each with the record it first came from', () => {
    const result = survive([
      legacy({ tags: ['VIP', 'mining', ' '] }, null, 'A-7'),
      hubspot({ tags: ['vip ', 'Partner', null] }),
      legacy({ tags: 'Partner' }, null, 'A-9'),
    ]);
    const tags = fieldsOf(result).tags!;
    expect(tags.value).toEqual(['vip ', 'Partner', 'mining']);
    expect(
      tags.elements!.map((e) => [e.value, `${e.lineage.source}/${e.lineage.sourceId}:${e.lineage.sourceField}`]),
    ).toEqual([
      ['vip ', 'hubspot/101:tags'],
      ['Partner', 'hubspot/101:tags'],
      ['mining', 'legacy/A-7:labels'],
    ]);
    expect(tags.lineage).toEqual(tags.elements!.map((e) => e.lineage));
  });

  it('is null when every record’s list is blank', () => {
    expect(fieldsOf(survive([hubspot({ tags: [] }), legacy({ tags: null })])).tags).toEqual({
      value: null,
      rule: 'union',
      lineage: [],
      elements: [],
    });
  });
});

describe('the merged record', () => {
  const survive = compileSurvivorship(
    companies({
      name: { rule: 'priority', sources: ['legacy'] },
      phone: { rule: 'most_recent' },
      notes: { rule: 'most_complete' },
      tags: { rule: 'union' },
    }),
  );
  const group = [
    hubspot(
      { name: 'Acme', domain: 'acme.com', phone: '+12125550100', tags: ['vip'], revenue: 1200, origin: 'hubspot' },
      '2025-06-01T00:00:00Z',
    ),
    legacy(
      { name: null, domain: 'www.acme.com', phone: '212-555-0199', tags: 'Mining', notes: 'since 2009' },
      '2025-07-01T00:00:00Z',
    ),
  ];

  it('takes every target field with the lineage its rule gives', () => {
    const fields = fieldsOf(survive(group));
    expect(
      Object.fromEntries(
        Object.entries(fields).map(([field, f]) => [
          field,
          f.lineage.map((l) => `${l.source}:${l.sourceField}:${l.rule}`),
        ]),
      ),
    ).toEqual({
      name: ['hubspot:name:priority'],
      domain: ['hubspot:domain:priority'],
      phone: ['legacy:tel:most_recent'],
      tags: ['hubspot:tags:union', 'legacy:labels:union'],
      revenue: ['hubspot:revenue:priority'],
      origin: ['hubspot:null:priority'],
      notes: ['legacy:notes:most_complete'],
    });
  });

  it('is the same whatever order the group’s records come in', () => {
    expect(survive([...group].reverse())).toEqual(survive(group));
  });

  it('refuses a record of a source the object does not have', () => {
    expect(() => survive([{ source: 'salesforce', sourceId: '1', updatedAt: null, fields: {} }])).toThrow(
      'record salesforce/1: "salesforce" is not a source of companies',
    );
  });
});
