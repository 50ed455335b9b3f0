import { composeTransforms, parseDate, RecordRejection, standaloneContext } from '../../plan/transforms';

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
    expect(rejection(['date'], '03/04/2019').code).toBe('ambiguous_or_invalid_date');
  });

  it('rejects dates that do not exist', () => {
    expect(parseDate('02/30/2020', 'MM/DD/YYYY')).toBeUndefined();
    expect(parseDate('2021-02-29', 'YYYY-MM-DD')).toBeUndefined();
    expect(parseDate('2020-02-29', 'YYYY-MM-DD')).toBe('2020-02-29');
    expect(rejection([{ date: { format: 'MM/DD/YYYY' } }], '13/01/2020').code).toBe('invalid_date');
  });
});

describe('plan errors', () => {
  it('names unknown transforms and lists the known ones', () => {
    expect(() => composeTransforms(['trimm'])).toThrow(/unknown transform "trimm"; known: .*trim/);
  });
});
