import { describeSchemaDrift, goldSchemaHash, type GoldColumn, type GoldSchema } from '../../plan/gold';
import { parsePlan } from '../../plan/load';
import { ProfileBuilder, type FieldProfile, type ObjectProfile } from '../../plan/profile';
import type { Plan } from '../../plan/schema';
import { checkPlanAgainstTarget, columnRejection, dateFormatFinding, type TargetIssue } from '../../plan/target-check';

function col(name: string, dataType: string, overrides: Partial<GoldColumn> = {}): GoldColumn {
  return {
    name,
    dataType,
    udtName: dataType,
    nullable: true,
    hasDefault: false,
    maxLength: null,
    precision: null,
    scale: null,
    ...overrides,
  };
}

/** The target: public.contacts with one column of each kind the checks care about. */
function contactsTable(): GoldSchema['tables'][string] {
  return {
    exists: true,
    columns: [
      col('legacy_id', 'text', { nullable: false }),
      col('name', 'text', { nullable: false }),
      col('email', 'character varying', { udtName: 'varchar', maxLength: 20 }),
      col('born', 'date'),
      col('age', 'integer', { udtName: 'int4' }),
      col('active', 'boolean', { udtName: 'bool' }),
      col('tags', 'ARRAY', { udtName: '_text' }),
      col('status', 'text'),
      col('created_at', 'timestamp with time zone', { udtName: 'timestamptz', nullable: false, hasDefault: true }),
    ],
    uniqueColumns: ['legacy_id'],
  };
}

function gold(tables: GoldSchema['tables'] = { contacts: contactsTable() }): GoldSchema {
  return { schema: 'public', tables };
}

/** A postgres-sourced plan whose one object `contacts` maps id → legacy_id, name → name, plus `fields`. */
function planWith(fields: string[], extraObjects = ''): Plan {
  const text = `
version: 1
name: target check
source: { kind: postgres, urlEnv: SOURCE_DATABASE_URL }
target: { kind: postgres }
objects:
  - name: contacts
    source: { table: contacts, id: id }
    target: { table: contacts, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [trim] }
${fields.map((f) => `      - ${f}`).join('\n')}
${extraObjects}`;
  return parsePlan(text, '/tmp/plan.yaml').plan;
}

const NAMES = 'legacy_id, name, email, born, age, active, tags, status, created_at';

function profileOf(object: string, records: Record<string, unknown>[]): ObjectProfile {
  const builder = new ProfileBuilder(object);
  for (const r of records) builder.add(r);
  return builder.finish();
}

const check = (plan: Plan, profile?: ObjectProfile): TargetIssue[] =>
  checkPlanAgainstTarget(plan, gold(), profile ? new Map([[profile.object, profile]]) : undefined);

describe('checkPlanAgainstTarget: tables, keys and columns', () => {
  it('finds nothing wrong with a plan that fits the target', () => {
    expect(
      check(
        planWith([
          '{ from: email, to: email, transform: [email] }',
          '{ from: born, to: born, transform: [{ date: { format: YYYY-MM-DD } }] }',
          '{ from: age, to: age, transform: [integer] }',
          '{ from: active, to: active, transform: [boolean] }',
          '{ from: tags, to: tags, transform: [split] }',
          '{ from: status, to: status }',
        ]),
      ),
    ).toEqual([]);
  });

  it('reports a missing target table at objects.N.target.table and checks nothing else of that object', () => {
    const plan = planWith(
      [],
      `  - name: orders
    source: { table: orders, id: id }
    target: { table: orders, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: total, to: no_such_column }`,
    );
    expect(checkPlanAgainstTarget(plan, gold({ contacts: contactsTable() }))).toEqual([
      {
        severity: 'error',
        object: 'orders',
        path: 'objects.1.target.table',
        message: 'target table public.orders does not exist',
        fix: 'create it in the target, or correct target.schema / objects[1].target.table',
      },
    ]);
    // A table discovery recorded as absent is the same finding.
    const absent = gold({ contacts: contactsTable(), orders: { exists: false, columns: [], uniqueColumns: [] } });
    expect(checkPlanAgainstTarget(plan, absent).map((i) => i.path)).toEqual(['objects.1.target.table']);
  });

  it('reports a key column the target table lacks (and the field mapped to it)', () => {
    const plan = parsePlan(
      `
version: 1
name: target check
source: { kind: postgres, urlEnv: SOURCE_DATABASE_URL }
target: { kind: postgres }
objects:
  - name: contacts
    source: { table: contacts, id: id }
    target: { table: contacts, key: external_id }
    fields:
      - { from: id, to: external_id }
      - { from: name, to: name }
      - { from: id, to: legacy_id }
`,
      '/tmp/plan.yaml',
    ).plan;
    expect(check(plan)).toEqual([
      {
        severity: 'error',
        object: 'contacts',
        path: 'objects.0.target.key',
        message: 'public.contacts has no column "external_id" to hold the source id',
        fix: `add a unique text column for it, or set target.key to one of: ${NAMES}`,
      },
      {
        severity: 'error',
        object: 'contacts',
        path: 'objects.0.fields.0.to',
        message: 'public.contacts has no column "external_id"',
        fix: `map to one of: ${NAMES}`,
      },
    ]);
  });

  it('warns when the key column has no unique index', () => {
    const table = { ...contactsTable(), uniqueColumns: ['email'] };
    expect(checkPlanAgainstTarget(planWith([]), gold({ contacts: table }))).toEqual([
      {
        severity: 'warning',
        object: 'contacts',
        path: 'objects.0.target.key',
        message:
          'public.contacts.legacy_id has no unique index: key lookups scan the table and duplicates are not prevented by the target',
        fix: 'create unique index on public.contacts (legacy_id)',
      },
    ]);
  });

  it('reports a field mapped to a missing column, suggesting the closest name', () => {
    const issues = check(planWith(['{ from: email, to: emial }', '{ from: phone, to: phone_number }']));
    expect(issues).toEqual([
      {
        severity: 'error',
        object: 'contacts',
        path: 'objects.0.fields.2.to',
        message: 'public.contacts has no column "emial"',
        fix: `map to one of: ${NAMES} (did you mean "email"?)`,
      },
      {
        severity: 'error',
        object: 'contacts',
        path: 'objects.0.fields.3.to',
        message: 'public.contacts has no column "phone_number"',
        fix: `map to one of: ${NAMES}`,
      },
    ]);
  });

  it('reports a NOT NULL column without a default that no field maps', () => {
    const plan = parsePlan(
      `
version: 1
name: target check
source: { kind: postgres, urlEnv: SOURCE_DATABASE_URL }
target: { kind: postgres }
objects:
  - name: contacts
    source: { table: contacts, id: id }
    target: { table: contacts, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: email, to: email }
`,
      '/tmp/plan.yaml',
    ).plan;
    // created_at is NOT NULL too, but has a default; the nullable columns may stay unmapped.
    expect(check(plan)).toEqual([
      {
        severity: 'error',
        object: 'contacts',
        path: 'objects.0.fields',
        message: 'public.contacts.name is NOT NULL without a default, and no field maps to it: every insert would fail',
        fix: 'map a source field (or a { default: … }) to name',
      },
    ]);
  });
});

describe('checkPlanAgainstTarget: transform outputs against column types', () => {
  const typeError = (j: number, from: string, to: string, produces: string, dataType: string, fix: string) => ({
    severity: 'error',
    object: 'contacts',
    path: `objects.0.fields.${j}.transform`,
    message: `${from} → ${to}: the transforms produce ${produces}, but public.contacts.${to} is ${dataType}`,
    fix,
  });

  it('rejects raw text into date, integer and boolean columns, suggesting the transform', () => {
    expect(
      check(
        planWith([
          '{ from: born, to: born }',
          '{ from: age, to: age, transform: [trim] }',
          '{ from: active, to: active, transform: [trim, lowercase] }',
        ]),
      ),
    ).toEqual([
      typeError(2, 'born', 'born', 'raw text', 'date', 'add a `date` transform with the column format'),
      typeError(3, 'age', 'age', 'raw text', 'integer', 'add an `integer` transform'),
      typeError(4, 'active', 'active', 'raw text', 'boolean', 'add a `boolean` transform'),
    ]);
  });

  it('accepts date into a date column and split into an array column', () => {
    expect(
      check(
        planWith([
          '{ from: born, to: born, transform: [trim, { date: { format: DD/MM/YYYY } }] }',
          '{ from: tags, to: tags, transform: [{ split: { separators: ["|"] } }, lowercase] }',
        ]),
      ),
    ).toEqual([]);
  });

  it('rejects split into a text column, and a number into an integer column', () => {
    expect(
      check(
        planWith(['{ from: tags, to: status, transform: [split] }', '{ from: age, to: age, transform: [decimal] }']),
      ),
    ).toEqual([
      typeError(2, 'tags', 'status', 'an array', 'text', 'map it to an array column'),
      typeError(3, 'age', 'age', 'a number', 'integer', 'add an `integer` transform'),
    ]);
  });

  it('rejects a constant text default into an integer column, naming the missing source field', () => {
    expect(check(planWith(["{ to: age, transform: [{ default: 'n/a' }] }"]))).toEqual([
      typeError(2, '(no source field)', 'age', 'raw text', 'integer', 'add an `integer` transform'),
    ]);
  });
});

describe('checkPlanAgainstTarget: with a profile', () => {
  const long = 'a.very.long.address@example.com'; // 31 characters; email holds 20

  it('warns about values longer than the column only for text-keeping chains', () => {
    const profile = profileOf('contacts', [
      { id: '1', name: 'A', email: long },
      { id: '2', name: 'B', email: 'x@y.co' },
    ]);
    const lengthWarning = (j: number) => ({
      severity: 'warning',
      object: 'contacts',
      path: `objects.0.fields.${j}`,
      message: `email has values up to 31 characters; public.contacts.email holds 20: longer records will be quarantined`,
      fix: 'add { truncate: { length: 20, onOverflow: truncate } } if cutting is acceptable, or widen the column',
    });
    expect(
      check(planWith(['{ from: email, to: email, transform: [trim, collapse_whitespace, lowercase] }']), profile),
    ).toEqual([lengthWarning(2)]);
    expect(check(planWith(['{ from: email, to: email }']), profile)).toEqual([lengthWarning(2)]);
    // After a map the target value is not the source text: no prediction from source lengths.
    expect(
      check(
        planWith([
          `{ from: email, to: email, transform: [trim, { map: { values: { "${long}": short }, unmapped: keep } }] }`,
        ]),
        profile,
      ),
    ).toEqual([]);
    // Within the column's length: nothing.
    const shortProfile = profileOf('contacts', [{ id: '1', name: 'A', email: 'x@y.co' }]);
    expect(check(planWith(['{ from: email, to: email, transform: [trim] }']), shortProfile)).toEqual([]);
  });

  describe('picklist coverage', () => {
    const statuses = [
      'Active',
      'active',
      'Active',
      'Active',
      'Inactive',
      'Inactive',
      'Inactive',
      'Gone',
      'Gone',
      'Zombie',
    ];
    const profile = profileOf(
      'contacts',
      statuses.map((status, i) => ({ id: String(i), name: 'n', status })),
    );

    it('is an error listing the unmapped values with their counts under unmapped: strict', () => {
      expect(
        check(
          planWith([
            '{ from: status, to: status, transform: [{ picklist: { options: [Active, Inactive], unmapped: strict } }] }',
          ]),
          profile,
        ),
      ).toEqual([
        {
          severity: 'error',
          object: 'contacts',
          path: 'objects.0.fields.2.transform.0',
          message:
            '2 status value(s) in the source match no picklist option or alias (3 records): "Gone" (2), "Zombie" (1)',
          fix: 'add them to picklist.aliases (value: option)',
        },
      ]);
    });

    it('is a warning naming the policy under unmapped: quarantine, and counts aliases as covered', () => {
      expect(
        check(
          planWith([
            '{ from: status, to: status, transform: [trim, { picklist: { options: [Active, Inactive], aliases: { Gone: Inactive } } }] }',
          ]),
          profile,
        ),
      ).toEqual([
        {
          severity: 'warning',
          object: 'contacts',
          path: 'objects.0.fields.2.transform.1',
          message:
            '1 status value(s) in the source match no picklist option or alias (1 records): "Zombie" (1); they will be handled by unmapped: quarantine',
          fix: 'add them to picklist.aliases (value: option)',
        },
      ]);
    });

    it('is silent when every value is covered', () => {
      expect(
        check(
          planWith([
            '{ from: status, to: status, transform: [{ picklist: { options: [Active, Inactive, Gone], aliases: { Zombie: Gone }, unmapped: strict } }] }',
          ]),
          profile,
        ),
      ).toEqual([]);
    });
  });

  it('reports the date-format finding of the profiled column at the date transform', () => {
    const profile = profileOf('contacts', [
      { id: '1', name: 'a', born: '25/03/2020' },
      { id: '2', name: 'b', born: '26/03/2020' },
      { id: '3', name: 'c', born: '2020-01-01' },
    ]);
    expect(
      check(planWith(['{ from: born, to: born, transform: [trim, { date: { format: MM/DD/YYYY } }] }']), profile),
    ).toEqual([
      {
        severity: 'warning',
        object: 'contacts',
        path: 'objects.0.fields.2.transform.1',
        message: 'born: 2 values can only be DD/MM (day > 12) and will be quarantined as invalid_date under MM/DD/YYYY',
        fix: 'use { date: { format: DD/MM/YYYY } }',
      },
    ]);
    expect(
      check(planWith(['{ from: born, to: born, transform: [{ date: { format: DD/MM/YYYY } }] }']), profile),
    ).toEqual([]);
  });
});

describe('dateFormatFinding', () => {
  const dates = (d: Partial<NonNullable<FieldProfile['dates']>>): NonNullable<FieldProfile['dates']> => ({
    iso: 0,
    monthFirst: 0,
    dayFirst: 0,
    ambiguous: 0,
    sameDayMonth: 0,
    invalid: 0,
    verdict: 'undetermined',
    ...d,
  });
  const MIXED_FIX = 'the column mixes both orders: map it with { date: { format: auto } } and review the quarantine';

  it('MM/DD/YYYY with day-first values', () => {
    expect(dateFormatFinding('MM/DD/YYYY', dates({ dayFirst: 3, verdict: 'DD/MM' }))).toEqual({
      message: '3 values can only be DD/MM (day > 12) and will be quarantined as invalid_date under MM/DD/YYYY',
      fix: 'use { date: { format: DD/MM/YYYY } }',
    });
    expect(dateFormatFinding('MM/DD/YYYY', dates({ dayFirst: 3, monthFirst: 2, verdict: 'mixed' }))?.fix).toBe(
      MIXED_FIX,
    );
    expect(dateFormatFinding('MM/DD/YYYY', dates({ monthFirst: 5, ambiguous: 4, verdict: 'MM/DD' }))).toBeUndefined();
  });

  it('DD/MM/YYYY (and DD.MM.YYYY) with month-first values', () => {
    expect(dateFormatFinding('DD/MM/YYYY', dates({ monthFirst: 4, verdict: 'MM/DD' }))).toEqual({
      message: '4 values can only be MM/DD (second part > 12) and will be quarantined as invalid_date under DD/MM/YYYY',
      fix: 'use { date: { format: MM/DD/YYYY } }',
    });
    expect(dateFormatFinding('DD.MM.YYYY', dates({ monthFirst: 1, dayFirst: 1, verdict: 'mixed' }))).toEqual({
      message: '1 values can only be MM/DD (second part > 12) and will be quarantined as invalid_date under DD.MM.YYYY',
      fix: MIXED_FIX,
    });
    expect(dateFormatFinding('DD/MM/YYYY', dates({ dayFirst: 4, ambiguous: 9, verdict: 'DD/MM' }))).toBeUndefined();
  });

  it('auto with ambiguous values and a clear MM/DD verdict suggests MM/DD/YYYY', () => {
    expect(dateFormatFinding('auto', dates({ monthFirst: 10, ambiguous: 5, verdict: 'MM/DD' }))).toEqual({
      message:
        '5 ambiguous dates (both parts ≤ 12) will be quarantined as ambiguous_date; every unambiguous value of the column is MM/DD',
      fix: 'set { date: { format: MM/DD/YYYY } } to read them as the column does',
    });
  });

  it('auto with ambiguous values and a mixed verdict suggests no format', () => {
    expect(dateFormatFinding('auto', dates({ monthFirst: 1, dayFirst: 1, ambiguous: 2, verdict: 'mixed' }))).toEqual({
      message:
        "2 ambiguous dates (both parts ≤ 12) will be quarantined as ambiguous_date (the column's verdict: mixed)",
      fix: 'name the format per source, or accept the quarantine and resolve those records by hand',
    });
  });

  it('auto without ambiguous values, and ISO, find nothing', () => {
    expect(dateFormatFinding('auto', dates({ monthFirst: 3, dayFirst: 3, verdict: 'mixed' }))).toBeUndefined();
    expect(dateFormatFinding('YYYY-MM-DD', dates({ dayFirst: 3, monthFirst: 3, ambiguous: 3 }))).toBeUndefined();
  });
});

describe('columnRejection', () => {
  const columns = [
    col('name', 'text', { nullable: false }),
    col('nick', 'character varying', { maxLength: 3 }),
    col('note', 'text'),
  ];

  it('rejects null or undefined in a NOT NULL column as required_missing', () => {
    const expected = {
      code: 'required_missing',
      field: 'name',
      message: 'name is empty, and the target requires a value (NOT NULL)',
      fix: 'map a source field that always has a value to name, or add { default: … }',
    };
    expect(columnRejection({ name: null }, columns)).toEqual(expected);
    expect(columnRejection({ name: undefined, nick: 'abc' }, columns)).toEqual(expected);
  });

  it('counts length in characters, so emoji count once', () => {
    // Three emoji are six UTF-16 code units but three characters: fits varchar(3).
    expect(columnRejection({ name: 'x', nick: '😀😀😀' }, columns)).toBeUndefined();
    expect(columnRejection({ name: 'x', nick: 'é😀ab' }, columns)).toEqual({
      code: 'too_long',
      field: 'nick',
      message: 'nick has 4 characters; the target column holds 3',
      value: 'é😀ab',
      fix: 'add { truncate: { length: 3, onOverflow: truncate } }',
    });
  });

  it('accepts everything else: unmapped NOT NULL columns, nulls in nullable ones, unbounded text', () => {
    expect(columnRejection({ nick: null, note: 'x'.repeat(10_000) }, columns)).toBeUndefined();
    expect(columnRejection({ name: 'Mary', nick: 'Mo', note: null }, columns)).toBeUndefined();
    expect(columnRejection({ name: 'Mary', nick: 1234 }, columns)).toBeUndefined();
  });
});

describe('gold schema hash and drift', () => {
  const base = (): GoldSchema =>
    gold({
      contacts: contactsTable(),
      orders: { exists: true, columns: [col('id', 'integer'), col('total', 'numeric')], uniqueColumns: ['id'] },
    });

  it('equal schemas hash equal whatever the key order, and show no drift', () => {
    const a = base();
    const reordered: GoldSchema = {
      tables: {
        orders: {
          uniqueColumns: ['id'],
          columns: a.tables.orders!.columns.map((c) => Object.fromEntries(Object.entries(c).reverse()) as GoldColumn),
          exists: true,
        },
        contacts: contactsTable(),
      },
      schema: 'public',
    };
    expect(goldSchemaHash(reordered)).toBe(goldSchemaHash(a));
    expect(goldSchemaHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(describeSchemaDrift(a, reordered)).toEqual([]);
  });

  it('describes a dropped, an added and a changed column', () => {
    const before = base();
    const after = base();
    const contacts = after.tables.contacts!;
    contacts.columns = contacts.columns
      .filter((c) => c.name !== 'age')
      .map((c) => (c.name === 'email' ? { ...c, maxLength: 10 } : c));
    contacts.columns.push(col('phone', 'text'));
    expect(goldSchemaHash(after)).not.toBe(goldSchemaHash(before));
    expect(describeSchemaDrift(before, after)).toEqual([
      'public.contacts.email changed',
      'public.contacts.age was dropped',
      'public.contacts.phone was added',
    ]);
  });

  it('describes a dropped table (absent or no longer existing) and a created one', () => {
    const before = base();
    const { orders: _dropped, ...rest } = before.tables;
    expect(describeSchemaDrift(before, gold(rest))).toEqual(['public.orders was dropped']);
    const gone = base();
    gone.tables.orders = { exists: false, columns: [], uniqueColumns: [] };
    expect(describeSchemaDrift(before, gone)).toEqual(['public.orders was dropped']);
    expect(describeSchemaDrift(gone, before)).toEqual(['public.orders was created']);
  });
});
