import {
  composeTransforms,
  describeTransform,
  parseDate,
  RecordRejection,
  standaloneContext,
  transformOutputKind,
} from '../../plan/transforms';

const run = (specs: Parameters<typeof composeTransforms>[0], value: unknown) =>
  composeTransforms(specs)(value, standaloneContext());
const rejection = (specs: Parameters<typeof composeTransforms>[0], value: unknown) => {
  try {
    run(specs, value);
  } catch (err) {
    if (err instanceof RecordRejection) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
};

describe('text transforms', () => {
  it('trims and collapses whitespace, including unicode spaces, and passes null through', () => {
    expect(run(['trim'], '  José \t')).toBe('José');
    expect(run(['collapse_whitespace'], ' Van   der\u00a0Berg ')).toBe('Van der Berg');
    expect(run(['trim', 'lowercase'], null)).toBeNull();
    expect(run(['uppercase'], 'straße')).toBe('STRASSE');
  });

  it('turns blanks into null and fills defaults only for blanks', () => {
    expect(run(['null_if_empty'], '   ')).toBeNull();
    expect(run(['null_if_empty'], '0')).toBe('0');
    expect(run([{ default: 'unknown' }], '')).toBe('unknown');
    expect(run([{ default: 'unknown' }], 'known')).toBe('known');
  });

  it('handles huge values without truncating them', () => {
    const huge = `  ${'x'.repeat(1_000_000)}  `;
    expect((run(['trim'], huge) as string).length).toBe(1_000_000);
  });

  it('rejects a blank required value with a reason code', () => {
    expect(rejection(['trim', 'required'], '   ').code).toBe('required_missing');
  });
});

describe('numbers and booleans', () => {
  it('parses integers and decimals from legacy formats, exactly', () => {
    expect(run(['integer'], ' 1,234 ')).toBe('1234');
    expect(run(['decimal'], '$1,234.50')).toBe('1234.50');
    expect(run(['decimal'], '€ 0.1')).toBe('0.1');
    expect(run(['decimal'], '12345678901234567890.123456789')).toBe('12345678901234567890.123456789');
    expect(run(['decimal'], '')).toBeNull();
  });

  it('rejects non-numbers with the value in the message', () => {
    const err = rejection(['decimal'], 'twelve');
    expect(err.code).toBe('not_a_number');
    expect(err.message).toContain('"twelve"');
    expect(rejection(['integer'], '1.5').code).toBe('not_an_integer');
  });

  it('reads yes/no flags in their many spellings', () => {
    for (const yes of ['Y', 'yes', 'TRUE', '1', ' on ']) expect(run(['boolean'], yes)).toBe(true);
    for (const no of ['N', 'no', 'false', '0', 'OFF']) expect(run(['boolean'], no)).toBe(false);
    expect(run(['boolean'], '')).toBeNull();
    expect(rejection(['boolean'], 'maybe').code).toBe('not_a_boolean');
  });
});

describe('email', () => {
  it('normalises case and whitespace', () => {
    expect(run(['email'], '  MOHAMMED.Johnson@Example.COM ')).toBe('mohammed.johnson@example.com');
  });
  it('quarantines what is not an address', () => {
    for (const bad of ['no-at-sign', 'two@@example.com', 'a@b', 'spaces in@example.com'])
      expect(rejection(['email'], bad).code).toBe('invalid_email');
  });
});

describe('dates', () => {
  it('reads an explicit format and always accepts ISO', () => {
    expect(parseDate('03/04/2020', 'MM/DD/YYYY')).toBe('2020-03-04');
    expect(parseDate('03/04/2020', 'DD/MM/YYYY')).toBe('2020-04-03');
    expect(parseDate('2020-04-03', 'MM/DD/YYYY')).toBe('2020-04-03');
    expect(parseDate('03.04.2020', 'DD.MM.YYYY')).toBe('2020-04-03');
  });

  it('decides MM-DD vs DD-MM from a day above 12 in auto mode and refuses to guess otherwise', () => {
    expect(parseDate('25/12/2019', 'auto')).toBe('2019-12-25');
    expect(parseDate('12/25/2019', 'auto')).toBe('2019-12-25');
    expect(parseDate('05/05/2019', 'auto')).toBe('2019-05-05');
    expect(parseDate('03/04/2019', 'auto')).toBeUndefined();
    const ambiguous = rejection(['date'], '03/04/2019');
    expect(ambiguous.code).toBe('ambiguous_date');
    expect(ambiguous.message).toBe(
      '"03/04/2019" is ambiguous: it reads as month/day or day/month; set date.format to MM/DD/YYYY or DD/MM/YYYY',
    );
    expect(rejection([{ date: { format: 'auto' } }], '12.01.2020').code).toBe('ambiguous_date');
  });

  it('calls everything else that auto cannot read an invalid date, not an ambiguous one', () => {
    for (const bad of ['13/13/2019', '02/30/2024', '00/05/2019', 'tomorrow', '2024-13-01', '1/2/24'])
      expect([bad, rejection(['date'], bad).code]).toEqual([bad, 'invalid_date']);
    expect(rejection(['date'], 'tomorrow').message).toBe(
      '"tomorrow" is not a valid date (YYYY-MM-DD, or DD/MM/YYYY or MM/DD/YYYY with a day above 12; set date.format otherwise)',
    );
  });

  it('passes blanks through as null and reads each element of a list', () => {
    expect(run(['date'], '  ')).toBeNull();
    expect(run(['date'], null)).toBeNull();
    expect(run(['date'], ['2020-01-02', '25/12/2019', ''])).toEqual(['2020-01-02', '2019-12-25']);
  });

  it('rejects dates that do not exist', () => {
    expect(parseDate('02/30/2020', 'MM/DD/YYYY')).toBeUndefined();
    expect(parseDate('2021-02-29', 'YYYY-MM-DD')).toBeUndefined();
    expect(parseDate('2020-02-29', 'YYYY-MM-DD')).toBe('2020-02-29');
    expect(rejection([{ date: { format: 'MM/DD/YYYY' } }], '13/01/2020').code).toBe('invalid_date');
  });
});

describe('existing transforms on lists and huge values', () => {
  it('applies text transforms to each element of a list', () => {
    expect(run(['trim', 'uppercase'], [' a ', 'b'])).toEqual(['A', 'B']);
    expect(run(['collapse_whitespace'], ['x   y'])).toEqual(['x y']);
  });

  it('treats an empty list as blank', () => {
    expect(run(['null_if_empty'], [])).toBeNull();
    expect(run([{ default: 'none' }], [])).toBe('none');
    expect(rejection(['required'], []).code).toBe('required_missing');
  });

  it('quotes at most 60 characters of a huge value in a message', () => {
    const err = rejection(['integer'], 'x'.repeat(1_000_000));
    expect(err.message).toBe(
      `"${'x'.repeat(60)}…" (1000000 characters) is not a whole number (thousands separators only in groups of 3); correct it in the source, or map the field with decimal`,
    );
  });

  it('validates a megabyte of dotted text as an email in linear time', () => {
    const started = Date.now();
    expect(rejection(['email'], `a@${'b.'.repeat(500_000)} `).code).toBe('invalid_email');
    expect(rejection(['email'], `a@${'b.'.repeat(200)}com`).code).toBe('invalid_email'); // over 254 characters
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('describeTransform and transformOutputKind', () => {
  it('renders specs briefly', () => {
    const aliases = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`legacy ${i}`, 'a']));
    expect(describeTransform('trim')).toBe('trim');
    expect(describeTransform({ date: { format: 'MM/DD/YYYY' } })).toBe('date(MM/DD/YYYY)');
    expect(describeTransform('date')).toBe('date(auto)');
    expect(describeTransform({ picklist: { options: ['a', 'b', 'c', 'd', 'e', 'f'], aliases } })).toBe(
      'picklist(6 options, 12 aliases, unmapped→quarantine)',
    );
    expect(describeTransform({ picklist: { options: ['a'], unmapped: 'default', default: 'a' } })).toBe(
      'picklist(1 option, 0 aliases, unmapped→default)',
    );
    expect(describeTransform({ reference: { object: 'accounts' } })).toBe('reference(accounts, missing→quarantine)');
    expect(describeTransform({ reference: { object: 'accounts', onMissing: null } })).toBe(
      'reference(accounts, missing→null)',
    );
    expect(describeTransform({ reference: { object: 'users', onMissing: 'placeholder', placeholder: 'U0' } })).toBe(
      'reference(users, missing→placeholder "U0")',
    );
    expect(describeTransform({ truncate: { length: 80 } })).toBe('truncate(80, overflow→quarantine)');
    expect(describeTransform({ number: { decimalSeparator: ',' } })).toBe('number(1.234,56)');
    expect(describeTransform('currency')).toBe('currency(2 decimals, 1,234.56)');
    expect(describeTransform('boolean')).toBe('boolean');
    expect(describeTransform({ boolean: { true: ['si', 'oui'] } })).toBe('boolean(+2 true, +0 false words)');
    expect(describeTransform({ phone: { defaultCountry: 'US' } })).toBe('phone(US, invalid→quarantine)');
    expect(describeTransform({ datetime: { zone: 'Europe/Paris' } })).toBe('datetime(auto, Europe/Paris)');
    expect(describeTransform({ timezone: { from: 'America/New_York', to: 'UTC' } })).toBe(
      'timezone(America/New_York→UTC)',
    );
    expect(describeTransform('split')).toBe('split("," ";", unique)');
    expect(describeTransform({ map: { values: { A: 1, B: 2 }, unmapped: 'keep' } })).toBe(
      'map(2 values, unmapped→keep)',
    );
    expect(describeTransform({ user: { map: { a: 'x' }, inactive: ['b'], fallback: 'admin' } })).toBe(
      'user(1 user, 1 inactive, unmapped→quarantine)',
    );
    expect(describeTransform({ template: { template: '{first} {last}' } })).toBe('template("{first} {last}")');
    expect(describeTransform({ concat: { fields: ['first', 'last'] } })).toBe('concat(first + last)');
    expect(describeTransform({ coalesce: { fields: ['email', 'email2'] } })).toBe('coalesce(value, email, email2)');
    expect(describeTransform({ default: 0 })).toBe('default(0)');
    expect(describeTransform({ my_custom: { x: 1 } })).toBe('my_custom');
    expect(describeTransform({ truncate: { length: 0 } })).toBe('truncate(invalid arguments)');
  });

  it('names the kind of value a transform or a chain ends with', () => {
    expect(transformOutputKind('trim')).toBe('text');
    expect(transformOutputKind('integer')).toBe('integer');
    expect(transformOutputKind({ currency: {} })).toBe('number');
    expect(transformOutputKind('date')).toBe('date');
    expect(transformOutputKind({ datetime: { zone: 'UTC' } })).toBe('timestamp');
    expect(transformOutputKind('boolean')).toBe('boolean');
    expect(transformOutputKind('split')).toBe('array');
    expect(transformOutputKind({ coalesce: { fields: ['a'] } })).toBe('any');
    expect(transformOutputKind('my_custom')).toBe('any');
    expect(transformOutputKind({ default: 0 })).toBe('integer');
    expect(transformOutputKind({ map: { values: { Y: true, N: false } } })).toBe('boolean');
    expect(transformOutputKind({ map: { values: { Y: 'yes' }, unmapped: 'keep' } })).toBe('text');
    expect(transformOutputKind({ map: { values: { Y: 1 }, unmapped: 'keep' } })).toBe('any');
    expect(transformOutputKind([])).toBe('any');
    expect(transformOutputKind(['trim', 'decimal', 'null_if_empty', { default: 0 }])).toBe('number');
    expect(transformOutputKind(['split', 'trim', { picklist: { options: ['a'] } }])).toBe('array');
    expect(transformOutputKind(['trim', 'required'])).toBe('text');
  });
});

describe('plan errors', () => {
  it('names unknown transforms and lists the known ones', () => {
    expect(() => composeTransforms(['trimm'])).toThrow(/unknown transform "trimm"; known: .*trim/);
  });
});
