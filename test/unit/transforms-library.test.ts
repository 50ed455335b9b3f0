import { fieldMappingSchema } from '../../plan/schema';
import {
  composeTransforms,
  picklistCoverage,
  RecordRejection,
  splitList,
  standaloneContext,
  TRANSFORMS,
  type TransformContext,
  type TransformSpec,
} from '../../plan/transforms';

const run = (specs: TransformSpec[], value: unknown, ctx: TransformContext = standaloneContext()) =>
  composeTransforms(specs)(value, ctx);
const rejection = (specs: TransformSpec[], value: unknown, ctx: TransformContext = standaloneContext()) => {
  try {
    run(specs, value, ctx);
  } catch (err) {
    if (err instanceof RecordRejection) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
};
/** The plan-validation messages for one transform spec, as `tern plan validate` reports them. */
const planProblems = (spec: unknown): string[] => {
  const parsed = fieldMappingSchema.safeParse({ from: 'x', to: 'y', transform: [spec] });
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
};
/** Blank inputs every transform must pass through as null. */
const BLANKS = [null, undefined, '', '   ', '\t\u00a0\n'];

describe('titlecase', () => {
  it('capitalises words, hyphenated parts and one-letter prefixes, and lower-cases the rest', () => {
    expect(run(['titlecase'], "mary-jane o'brien")).toBe("Mary-Jane O'Brien");
    expect(run(['titlecase'], 'JOHN SMITH')).toBe('John Smith');
    expect(run(['titlecase'], "DON'T stop")).toBe("Don't Stop");
    expect(run(['titlecase'], "l'oréal ÉCOLE 3rd street")).toBe("L'Oréal École 3rd Street");
    expect(run(['titlecase'], 'jose\u0301 ñandú')).toBe('Jose\u0301 Ñandú');
  });
  it('keeps null, and blank text as it is', () => {
    expect(run(['titlecase'], null)).toBeNull();
    expect(run(['titlecase'], '  ')).toBe('  ');
    expect(run(['titlecase'], ['ann lee', 'BOB'])).toEqual(['Ann Lee', 'Bob']);
  });
});

describe('truncate', () => {
  it('quarantines overflow by default, counting code points', () => {
    expect(run([{ truncate: { length: 5 } }], 'abcde')).toBe('abcde');
    expect(run([{ truncate: { length: 2 } }], '😀😀')).toBe('😀😀');
    const err = rejection([{ truncate: { length: 5 } }], 'abcdef');
    expect(err.code).toBe('too_long');
    expect(err.message).toBe(
      '"abcdef" is 6 characters, longer than 5; shorten it in the source or set truncate.onOverflow: truncate',
    );
  });
  it('cuts when asked, never inside a surrogate pair', () => {
    expect(run([{ truncate: { length: 3, onOverflow: 'truncate' } }], 'a😀bcd')).toBe('a😀b');
    expect(run([{ truncate: { length: 1, onOverflow: 'truncate' } }], ['😀x', 'y'])).toEqual(['😀', 'y']);
    expect(run([{ truncate: { length: 3, onOverflow: 'truncate' } }], 'x'.repeat(1_000_000))).toBe('xxx');
  });
  it('passes null and blanks through', () => {
    expect(run([{ truncate: { length: 1 } }], null)).toBeNull();
    expect(run([{ truncate: { length: 1 } }], '')).toBe('');
  });
  it('requires a positive whole length', () => {
    expect(planProblems({ truncate: { length: 0 } })[0]).toMatch(/^truncate\.length: /);
    expect(planProblems('truncate')[0]).toMatch(/^truncate\.length: /);
    expect(planProblems({ truncate: { length: 5, onOverflow: 'cut' } })[0]).toMatch(/^truncate\.onOverflow: /);
  });
});

describe('number', () => {
  it('reads exact decimals with either separator', () => {
    expect(run(['number'], ' 1,234,567.891 ')).toBe('1234567.891');
    expect(run([{ number: { decimalSeparator: ',' } }], '1.234,56')).toBe('1234.56');
    expect(run([{ number: { decimalSeparator: ',' } }], '1 234 567,5')).toBe('1234567.5');
    expect(run([{ number: { decimalSeparator: ',' } }], '-0,5')).toBe('-0.5');
    expect(run(['number'], "1'234.50")).toBe('1234.50');
    expect(run(['number'], '12345678901234567890.123456789012')).toBe('12345678901234567890.123456789012');
    expect(run(['number'], '+007')).toBe('7');
    expect(run(['number'], '.5')).toBe('0.5');
    expect(run(['number'], '-0.00')).toBe('0.00');
  });
  it('reads typed numbers without exponent notation', () => {
    expect(run(['number'], 12.5)).toBe('12.5');
    expect(run([{ number: { decimalSeparator: ',' } }], 12.5)).toBe('12.5');
    expect(run(['number'], 1e21)).toBe('1000000000000000000000');
    expect(run(['number'], 1.5e-7)).toBe('0.00000015');
    expect(run(['number'], 10n ** 30n)).toBe(`1${'0'.repeat(30)}`);
  });
  it('refuses what is not a number, or thousands separators that are not in groups of three', () => {
    for (const bad of ['twelve', '1e5', '1.2.3', '1,23.4', '--1', '12-', 'NaN', Infinity])
      expect([bad, rejection(['number'], bad).code]).toEqual([bad, 'not_a_number']);
    // With a decimal comma, "1.5" is not read as 15.
    const err = rejection([{ number: { decimalSeparator: ',' } }], '1.5');
    expect(err.code).toBe('not_a_number');
    expect(err.message).toBe('"1.5" is not a number written like 1.234,56; correct it in the source');
    expect(rejection(['number'], '0,5').message).toBe(
      '"0,5" is not a number written like 1,234.56; correct it in the source or set number.decimalSeparator: \',\'',
    );
  });
  it('passes blanks through as null and reads lists element by element', () => {
    for (const blank of BLANKS) expect(run(['number'], blank)).toBeNull();
    expect(run(['number'], ['1,000', ' ', '2'])).toEqual(['1000', '2']);
  });
  it('rejects an unknown decimal separator', () => {
    expect(planProblems({ number: { decimalSeparator: ';' } })[0]).toMatch(/^number\.decimalSeparator: /);
  });
});

describe('currency', () => {
  it('strips symbols, ISO codes and accounting parentheses, and pads to the decimals', () => {
    expect(run(['currency'], '$1,234.5')).toBe('1234.50');
    expect(run(['currency'], '(12.50)')).toBe('-12.50');
    expect(run(['currency'], '$(12.50)')).toBe('-12.50');
    expect(run(['currency'], '(USD 12.50)')).toBe('-12.50');
    expect(run(['currency'], '-$12.50')).toBe('-12.50');
    expect(run(['currency'], '$-12.50')).toBe('-12.50');
    expect(run(['currency'], '12.50-')).toBe('-12.50');
    expect(run(['currency'], 'USD 12')).toBe('12.00');
    expect(run(['currency'], '99 GBP')).toBe('99.00');
    expect(run(['currency'], '£0.1')).toBe('0.10');
    expect(run(['currency'], '¥ 1,000')).toBe('1000.00');
    expect(run(['currency'], '₹99')).toBe('99.00');
    expect(run([{ currency: { decimalSeparator: ',' } }], '1.234,56 €')).toBe('1234.56');
    expect(run([{ currency: { decimals: 0 } }], 'JPY 1,000')).toBe('1000');
    expect(run([{ currency: { decimals: 3 } }], 'KWD 1.5')).toBe('1.500');
    expect(run(['currency'], 12.5)).toBe('12.50');
    expect(run(['currency'], '(0.00)')).toBe('0.00');
  });
  it('reads a value that is no amount at all as no amount when told, and still refuses a rounded one', () => {
    expect(rejection(['currency'], 'TBD').code).toBe('invalid_currency');
    expect(run([{ currency: { onInvalid: 'null' } }], 'TBD')).toBeNull();
    expect(run([{ currency: { onInvalid: 'null' } }], '$1,200')).toBe('1200.00');
    expect(rejection([{ currency: { onInvalid: 'null' } }], '12.345').code).toBe('invalid_currency');
  });
  it('never rounds: more fraction digits than decimals is a rejection', () => {
    const err = rejection(['currency'], '12.345 EUR');
    expect(err.code).toBe('invalid_currency');
    expect(err.message).toBe(
      '"12.345 EUR" has 3 decimal places, more than the 2 allowed (never rounded); correct the source or raise currency.decimals',
    );
    expect(rejection(['currency'], 0.125).code).toBe('invalid_currency');
  });
  it('rejects what is not an amount', () => {
    for (const bad of ['abc', 'USD', '$', '-(12.50)', '12.50 usd', 'US$ 12', '1.234,56', '12 34'])
      expect([bad, rejection(['currency'], bad).code]).toEqual([bad, 'invalid_currency']);
    expect(rejection(['currency'], '-(12.50)').message).toBe(
      '"-(12.50)" is both signed and in parentheses; write one of -12.50 or (12.50)',
    );
  });
  it('passes blanks through as null', () => {
    for (const blank of BLANKS) expect(run(['currency'], blank)).toBeNull();
  });
  it('checks its arguments', () => {
    expect(planProblems({ currency: { decimals: -1 } })[0]).toMatch(/^currency\.decimals: /);
    expect(planProblems({ currency: { decimals: 2, symbol: '$' } })[0]).toMatch(/^currency: /);
  });
});

describe('boolean with extra words', () => {
  it('adds words to the built-in ones, case- and space-insensitively', () => {
    const spec = { boolean: { true: ['sí', 'Oui'], false: ['non', 'nein'] } };
    expect(run([spec], ' OUI ')).toBe(true);
    expect(run([spec], 'si\u0301')).toBe(true); // decomposed í matches the plan's precomposed one
    expect(run([spec], 'NEIN')).toBe(false);
    expect(run([spec], 'yes')).toBe(true);
    expect(run([spec], true)).toBe(true);
    expect(run([spec], '')).toBeNull();
    const err = rejection([spec], 'peut-être');
    expect(err.code).toBe('not_a_boolean');
    expect(err.message).toBe(
      '"peut-être" is not yes/no, true/false or 1/0; fix the source or add it to boolean.true or boolean.false',
    );
  });
  it('keeps plain boolean working and refuses words that would mean both', () => {
    expect(run(['boolean'], 'Y')).toBe(true);
    expect(planProblems('boolean')).toEqual([]);
    expect(planProblems({ boolean: { true: ['no'] } })[0]).toMatch(
      /^boolean\.true\.0: "no" would mean both true and false; remove it from one list/,
    );
    expect(planProblems({ boolean: { true: ['x'], false: ['X'] } })).toHaveLength(2);
  });
});

describe('phone', () => {
  it('formats valid numbers as E.164, dropping extensions', () => {
    const us = { phone: { defaultCountry: 'US' } };
    expect(run([us], '(212) 555-0123')).toBe('+12125550123');
    expect(run([us], '212.555.0123 ext. 42')).toBe('+12125550123');
    expect(run([us], '+44 20 7946 0958')).toBe('+442079460958');
    expect(run(['phone'], '+33 1 42 68 53 00')).toBe('+33142685300');
    expect(run([us], 2125550123)).toBe('+12125550123');
    expect(run([us], ['212-555-0123', ''])).toEqual(['+12125550123']);
  });
  it('quarantines or nulls invalid numbers', () => {
    const err = rejection([{ phone: { defaultCountry: 'US' } }], '555-0100');
    expect(err.code).toBe('invalid_phone');
    expect(err.message).toBe(
      '"555-0100" is not a valid phone number (numbers without +country code are read as US); correct it in the source or set phone.onInvalid: null',
    );
    expect(rejection(['phone'], '212-555-0123').message).toContain('phone.defaultCountry is not set');
    expect(rejection([{ phone: { defaultCountry: 'US' } }], 'call 212-555-0123 today').code).toBe('invalid_phone');
    expect(run([{ phone: { defaultCountry: 'US', onInvalid: null } }], '555-0100')).toBeNull();
    expect(run([{ phone: { defaultCountry: 'US', onInvalid: 'null' } }], 'n/a')).toBeNull();
    expect(rejection(['phone'], '1'.repeat(1_000_000)).code).toBe('invalid_phone');
  });
  it('passes blanks through and checks the country code', () => {
    for (const blank of BLANKS) expect(run(['phone'], blank)).toBeNull();
    expect(planProblems({ phone: { defaultCountry: 'XX' } })[0]).toMatch(/^phone\.defaultCountry: is not a country/);
    expect(planProblems({ phone: { onInvalid: 'drop' } })[0]).toMatch(/^phone\.onInvalid: /);
  });
});

describe('datetime', () => {
  const ny = { datetime: { zone: 'America/New_York' } };
  it('reads ISO wall time in the zone and writes UTC with milliseconds', () => {
    expect(run([ny], '2024-03-01T14:05')).toBe('2024-03-01T19:05:00.000Z');
    expect(run([ny], '2024-03-01 14:05:00')).toBe('2024-03-01T19:05:00.000Z');
    expect(run([ny], '2024-07-01 14:05:00.5')).toBe('2024-07-01T18:05:00.500Z');
    expect(run([ny], '2024-03-01')).toBe('2024-03-01T05:00:00.000Z');
    expect(run(['datetime'], '2024-03-01T14:05')).toBe('2024-03-01T14:05:00.000Z');
    expect(run(['datetime'], new Date('2024-03-01T14:05:00Z'))).toBe('2024-03-01T14:05:00.000Z');
  });
  it('keeps an explicit offset whatever the zone', () => {
    expect(run([ny], '2024-03-01T14:05:00Z')).toBe('2024-03-01T14:05:00.000Z');
    expect(run([ny], '2024-03-01T14:05+02:00')).toBe('2024-03-01T12:05:00.000Z');
    expect(run([ny], '2024-03-01 14:05:00+0530')).toBe('2024-03-01T08:35:00.000Z');
    expect(run([ny], '2024-03-01 14:05:00-03')).toBe('2024-03-01T17:05:00.000Z');
  });
  it('reads an explicit luxon format, and ISO besides', () => {
    const spec = { datetime: { format: 'MM/dd/yyyy HH:mm', zone: 'Europe/Paris' } };
    expect(run([spec], '03/01/2024 14:05')).toBe('2024-03-01T13:05:00.000Z');
    expect(run([spec], '2024-03-01T14:05')).toBe('2024-03-01T13:05:00.000Z');
    expect(run([{ datetime: { format: 'dd.MM.yyyy HH:mm ZZ' } }], '01.03.2024 14:05 +01:00')).toBe(
      '2024-03-01T13:05:00.000Z',
    );
  });
  it('rejects what auto does not read, impossible dates and wall times skipped by daylight saving', () => {
    const err = rejection([ny], '03/01/2024 14:05');
    expect(err.code).toBe('invalid_datetime');
    expect(err.message).toBe(
      '"03/01/2024 14:05" is not a date-time in ISO 8601 (2024-03-01T14:05 or 2024-03-01 14:05:00); set datetime.format (a luxon format such as MM/dd/yyyy HH:mm)',
    );
    expect(rejection([ny], '2024-02-30T10:00').message).toBe(
      '"2024-02-30T10:00" is not a real date-time; correct it in the source',
    );
    expect(rejection([ny], '2024-03-10T02:30').message).toBe(
      '"2024-03-10T02:30" does not exist in America/New_York (skipped by a daylight-saving change); correct it in the source',
    );
    expect(
      rejection([{ datetime: { format: 'MM/dd/yyyy HH:mm', zone: 'America/New_York' } }], '03/10/2024 02:30').code,
    ).toBe('invalid_datetime');
    for (const bad of [
      'now',
      '2024-03-01T25:00',
      '2024-3-1 14:05',
      '1709301900',
      `2024-03-01T14:05${' '.repeat(1e6)}x`,
    ])
      expect([bad.slice(0, 30), rejection([ny], bad).code]).toEqual([bad.slice(0, 30), 'invalid_datetime']);
  });
  it('passes blanks through and rejects unknown zones and year-less formats in the plan', () => {
    for (const blank of BLANKS) expect(run([ny], blank)).toBeNull();
    expect(planProblems({ datetime: { zone: 'Mars/Olympus' } })[0]).toMatch(
      /^datetime\.zone: is not a known time zone; use an IANA name/,
    );
    expect(planProblems({ datetime: { format: 'MM/dd HH:mm' } })[0]).toMatch(
      /^datetime\.format: a datetime format must include the year/,
    );
    expect(planProblems({ datetime: { zone: 'Asia/Kolkata', format: 'auto' } })).toEqual([]);
  });
});

describe('timezone', () => {
  it('converts ISO wall time between zones, with the offset of the target zone', () => {
    expect(run([{ timezone: { from: 'America/New_York', to: 'Europe/Paris' } }], '2024-03-01T14:05')).toBe(
      '2024-03-01T20:05:00.000+01:00',
    );
    expect(run([{ timezone: { from: 'America/New_York', to: 'UTC' } }], '2024-07-01 14:05:00')).toBe(
      '2024-07-01T18:05:00.000Z',
    );
    expect(run([{ timezone: { from: 'America/New_York', to: 'Asia/Tokyo' } }], '2024-03-01T14:05:00Z')).toBe(
      '2024-03-01T23:05:00.000+09:00',
    );
  });
  it('rejects non-ISO values and times skipped in the source zone; passes blanks', () => {
    const spec = { timezone: { from: 'America/New_York', to: 'UTC' } };
    expect(rejection([spec], '03/01/2024 14:05').message).toBe(
      '"03/01/2024 14:05" is not an ISO 8601 date-time (2024-03-01T14:05); convert it with datetime first',
    );
    expect(rejection([spec], '2024-03-10T02:30').code).toBe('invalid_datetime');
    for (const blank of BLANKS) expect(run([spec], blank)).toBeNull();
    expect(planProblems({ timezone: { from: 'Europe/Pariss', to: 'UTC' } })[0]).toMatch(/^timezone\.from: /);
    expect(planProblems({ timezone: { from: 'UTC' } })[0]).toMatch(/^timezone\.to: /);
  });
});

describe('split', () => {
  it('splits on commas and semicolons, trims, drops empties and duplicates, keeps quoted parts whole', () => {
    expect(run(['split'], '"Smith, Jones", VIP; vip ;VIP,,')).toEqual(['Smith, Jones', 'VIP', 'vip']);
    expect(run(['split'], 'a;"b ""the"" c";d')).toEqual(['a', 'b "the" c', 'd']);
    expect(run([{ split: { lowercase: true } }], 'VIP, vip, Gold')).toEqual(['vip', 'gold']);
    expect(run([{ split: { unique: false } }], 'a,a')).toEqual(['a', 'a']);
    expect(run([{ split: { separators: ['|'], quote: false } }], '"a|b"|c')).toEqual(['"a', 'b"', 'c']);
    expect(run([{ split: { separators: [' / '] } }], 'x / y/z')).toEqual(['x', 'y/z']);
    expect(run(['split'], 'Zoë, 東京')).toEqual(['Zoë', '東京']);
  });
  it('reads an unclosed quote as a plain character', () => {
    expect(run(['split'], '"a, b')).toEqual(['"a', 'b']);
    expect(splitList('x, "y', [','], '"')).toEqual(['x', ' "y']);
  });
  it('returns null for blank input or no parts, and splits each element of a list', () => {
    for (const blank of BLANKS) expect(run(['split'], blank)).toBeNull();
    expect(run(['split'], ' , ; ')).toBeNull();
    expect(run(['split'], ['a,b', 'b;c', ''])).toEqual(['a', 'b', 'c']);
  });
  it('splits a megabyte of quotes and separators in linear time', () => {
    const started = Date.now();
    expect(run(['split'], 'ab,'.repeat(350_000))).toEqual(['ab']);
    // `"a,"a,` …: each quoted `a,` is followed by the plain `a` of the next repeat.
    const pairs = run([{ split: { unique: false } }], '"a,'.repeat(350_000)) as string[];
    expect([pairs.length, pairs[0], pairs[174_999]]).toEqual([175_000, 'a,a', 'a,a']);
    // Doubled quotes all the way, never closed: read as plain text, once.
    expect(run(['split'], `"${'a""'.repeat(250_000)}`)).toEqual([`"${'a""'.repeat(250_000)}`]);
    expect(Date.now() - started).toBeLessThan(2000);
  });
  it('checks its arguments', () => {
    expect(planProblems({ split: { separators: [] } })[0]).toMatch(/^split\.separators: /);
    expect(planProblems({ split: { quote: '""' } })[0]).toMatch(/^split\.quote: /);
    expect(planProblems({ split: { separators: ['"'] } })[0]).toMatch(
      /^split\.quote: the quote character cannot be part of a separator/,
    );
  });
});

describe('map', () => {
  const status = { map: { values: { A: 'Active', I: 'Inactive', 'On  Hold': 'Paused', 'N/A': null } } };
  it('matches trimmed, case-insensitive, whitespace-collapsed text', () => {
    expect(run([status], ' a ')).toBe('Active');
    expect(run([status], 'on hold')).toBe('Paused');
    expect(run([status], 'n/a')).toBeNull();
    expect(run([{ map: { values: { Café: 1 } } }], 'CAFE\u0301')).toBe(1);
  });
  it('matches exactly (but trimmed) when case-sensitive', () => {
    const spec = { map: { values: { a: 'lower', A: 'upper' }, caseInsensitive: false } };
    expect(run([spec], ' A ')).toBe('upper');
    expect(run([spec], 'a')).toBe('lower');
    expect(rejection([spec], 'On  hold').code).toBe('unmapped_value');
  });
  it('quarantines, defaults or keeps unmapped values', () => {
    const err = rejection([status], ' X ');
    expect(err.code).toBe('unmapped_value');
    expect(err.message).toBe(
      '"X" is not a known legacy value; add it to map.values (or set map.unmapped: default | keep)',
    );
    expect(run([{ map: { ...status.map, unmapped: 'default', default: 'Unknown' } }], 'X')).toBe('Unknown');
    expect(run([{ map: { ...status.map, unmapped: 'default', default: null } }], 'X')).toBeNull();
    expect(run([{ map: { ...status.map, unmapped: 'keep' } }], ' X ')).toBe(' X ');
  });
  it('passes blanks through as null and maps lists element by element, once per result', () => {
    for (const blank of BLANKS) expect(run([status], blank)).toBeNull();
    expect(run(['split', status], 'A; i; N/A; a')).toEqual(['Active', 'Inactive']);
    expect(run(['split', status], 'N/A')).toBeNull();
  });
  it('checks its arguments', () => {
    expect(planProblems({ map: { values: {} } })[0]).toMatch(/^map\.values: list at least one legacy value/);
    expect(planProblems({ map: { values: { a: 1 }, unmapped: 'default' } })[0]).toMatch(
      /^map\.default: unmapped: default needs a default value/,
    );
    expect(planProblems({ map: { values: { yes: 1, ' YES ': 2 } } })[0]).toMatch(
      /^map\.values\. YES : " YES " and "yes" are the same legacy value \(case-insensitively\) but map to different values/,
    );
    expect(planProblems({ map: { values: { yes: 1, YES: 2 }, caseInsensitive: false } })).toEqual([]);
  });
});

describe('picklist', () => {
  const industry = {
    picklist: {
      options: ['Financial Services', 'Healthcare', 'Retail'],
      aliases: { Banking: 'Financial Services', 'fin svcs': 'financial services', Shops: 'Retail' },
    },
  };
  it('matches options and aliases loosely and returns the option as written', () => {
    expect(run([industry], '  financial   SERVICES ')).toBe('Financial Services');
    expect(run([industry], 'BANKING')).toBe('Financial Services');
    expect(run([industry], 'Fin Svcs')).toBe('Financial Services');
    expect(run([industry], 'healthcare')).toBe('Healthcare');
  });
  it('quarantines or defaults unmapped values', () => {
    const err = rejection([industry], ' Mining ');
    expect(err.code).toBe('unmapped_value');
    expect(err.message).toBe(
      '"Mining" is not one of the 3 picklist options; add it to picklist.aliases (legacy: option) or set picklist.unmapped: default',
    );
    const withDefault = { picklist: { ...industry.picklist, unmapped: 'default', default: 'retail' } };
    expect(run([withDefault], 'Mining')).toBe('Retail');
  });
  it('composes after split: element by element, each option once', () => {
    expect(run(['split', industry], 'banking; Healthcare, "Financial Services", shops')).toEqual([
      'Financial Services',
      'Healthcare',
      'Retail',
    ]);
    expect(rejection(['split', industry], 'Retail, Mining').message).toMatch(/^"Mining" is not one of/);
    for (const blank of BLANKS) expect(run(['split', industry], blank)).toBeNull();
    for (const blank of BLANKS) expect(run([industry], blank)).toBeNull();
  });
  it('refuses aliases and defaults that are not options, naming them', () => {
    expect(planProblems({ picklist: { options: ['A', 'B'], aliases: { legacy: 'C' } } })).toEqual([
      expect.stringMatching(
        /^picklist\.aliases\.legacy: alias "legacy" maps to "C", which is not among the options; map it to one of: A, B/,
      ),
    ]);
    expect(planProblems({ picklist: { options: ['A'], unmapped: 'default', default: 'Z' } })[0]).toMatch(
      /^picklist\.default: default "Z" is not among the options/,
    );
    expect(planProblems({ picklist: { options: ['A'], unmapped: 'default' } })[0]).toMatch(
      /^picklist\.default: unmapped: default needs a default option/,
    );
    expect(planProblems({ picklist: { options: ['Open', 'open '] } })[0]).toMatch(
      /^picklist\.options\.1: option "open " repeats "Open"/,
    );
    expect(planProblems({ picklist: { options: ['A', 'B'], aliases: { a: 'B' } } })[0]).toMatch(
      /^picklist\.aliases\.a: alias "a" is itself the option "A" but maps to "B"/,
    );
    expect(planProblems({ picklist: { options: [] } })[0]).toMatch(/^picklist\.options: list at least one option/);
  });
  it('reports profiled values no option or alias covers', () => {
    expect(picklistCoverage(industry.picklist, ['Retail', 'banking', ' Mining ', 'Mining', '', 'Tech'])).toEqual({
      unmapped: [' Mining ', 'Mining', 'Tech'],
    });
    expect(picklistCoverage({ options: ['A'] }, ['a', ' A '])).toEqual({ unmapped: [] });
  });
});

describe('reference', () => {
  const ctx = (found: Record<string, string | undefined>): TransformContext => ({
    record: {},
    resolveReference: (object, id) =>
      object === 'accounts' && id in found ? { found: true, targetId: found[id] } : { found: false },
  });
  it('resolves trimmed ids to target ids, or keeps the id in a dry run', () => {
    expect(run([{ reference: { object: 'accounts' } }], ' A-1 ', ctx({ 'A-1': '901' }))).toBe('901');
    expect(run([{ reference: { object: 'accounts' } }], 'A-2', ctx({ 'A-2': undefined }))).toBe('A-2');
    expect(run([{ reference: { object: 'accounts' } }], 17, ctx({ '17': '5' }))).toBe('5');
  });
  it('applies the missing policy', () => {
    const err = rejection([{ reference: { object: 'accounts' } }], ' A-9 ', ctx({}));
    expect(err.code).toBe('orphan_reference');
    expect(err.message).toBe(
      'accounts "A-9" does not exist (or is not migrated); fix the source, or set reference.onMissing: null | placeholder',
    );
    expect(run([{ reference: { object: 'accounts', onMissing: null } }], 'A-9', ctx({}))).toBeNull();
    expect(
      run([{ reference: { object: 'accounts', onMissing: 'placeholder', placeholder: 'UNKNOWN' } }], 'A-9', ctx({})),
    ).toBe('UNKNOWN');
  });
  it('passes blanks through and resolves each element of a list', () => {
    for (const blank of BLANKS) expect(run([{ reference: { object: 'accounts' } }], blank, ctx({}))).toBeNull();
    expect(
      run(['split', { reference: { object: 'accounts', onMissing: null } }], 'A-1; A-9', ctx({ 'A-1': '901' })),
    ).toEqual(['901']);
  });
  it('requires a placeholder exactly when onMissing is placeholder', () => {
    expect(planProblems({ reference: { object: 'accounts', onMissing: 'placeholder' } })[0]).toMatch(
      /^reference\.placeholder: onMissing: placeholder needs the placeholder value/,
    );
    expect(planProblems({ reference: { object: 'accounts', placeholder: 'X' } })[0]).toMatch(
      /^reference\.placeholder: placeholder is used only with onMissing: placeholder/,
    );
    expect(planProblems({ reference: { onMissing: 'null' } })[0]).toMatch(/^reference\.object: /);
  });
});

describe('user', () => {
  const users = {
    user: {
      map: { jdoe: 'john.doe@new.example', 'M.Smith': 'mary@new.example', contractor: null },
      inactive: ['old.admin'],
      fallback: 'admin@new.example',
    },
  };
  it('maps legacy users trimmed and case-insensitively; inactive or null-mapped users go to the fallback', () => {
    expect(run([users], ' JDOE ')).toBe('john.doe@new.example');
    expect(run([users], 'm.smith')).toBe('mary@new.example');
    expect(run([users], 'Old.Admin')).toBe('admin@new.example');
    expect(run([users], 'contractor')).toBe('admin@new.example');
  });
  it('quarantines unmapped users, or sends them to the fallback', () => {
    const err = rejection([users], ' bob ');
    expect(err.code).toBe('unmapped_user');
    expect(err.message).toBe(
      'legacy user "bob" is not in user.map; add it there (or to user.inactive), or set user.unmapped: fallback',
    );
    expect(run([{ user: { ...users.user, unmapped: 'fallback' } }], 'bob')).toBe('admin@new.example');
    for (const blank of BLANKS) expect(run([users], blank)).toBeNull();
  });
  it('requires a fallback when one can be needed', () => {
    expect(planProblems({ user: { map: { a: 'b' }, unmapped: 'fallback' } })[0]).toMatch(
      /^user\.fallback: unmapped: fallback needs a fallback user/,
    );
    expect(planProblems({ user: { map: { a: 'b' }, inactive: ['c'] } })[0]).toMatch(
      /^user\.fallback: inactive users need a fallback user/,
    );
    expect(planProblems({ user: { map: { a: null } } })[0]).toMatch(/^user\.fallback: users mapped to null need/);
    expect(planProblems({ user: { map: { a: 'b' } } })).toEqual([]);
  });
});

describe('template, concat and coalesce', () => {
  const record = { first_name: ' Ann ', last_name: 'Lee', email: '', middle: null, title: '  Dr.\n' };
  const ctx = standaloneContext(record);
  it('template renders record fields and the current value, collapsing whitespace', () => {
    const spec = { template: { template: '{first_name} {middle} {last_name} <{email}>' } };
    expect(run([spec], 'ignored', ctx)).toBe('Ann Lee <>');
    expect(run([{ template: { template: '{title} {value} {{id}}' } }], ' X ', ctx)).toBe('Dr. X {id}');
    expect(run([{ template: { template: '{ missing } {email}' } }], null, ctx)).toBeNull();
    expect(run([{ template: { template: '{value}' } }], 'Zoë 東京', ctx)).toBe('Zoë 東京');
  });
  it('template placeholders are checked in the plan', () => {
    expect(planProblems({ template: { template: 'Hi {name' } })[0]).toMatch(
      /^template\.template: the "\{" at position 4 is not closed/,
    );
    expect(planProblems({ template: { template: 'a } b' } })[0]).toMatch(/^template\.template: a lone "\}"/);
    expect(planProblems({ template: { template: '{}' } })[0]).toMatch(/^template\.template: empty placeholder/);
    expect(planProblems({ template: { template: '{{literal}} {x}' } })).toEqual([]);
  });
  it('concat joins non-blank trimmed fields and ignores the current value', () => {
    expect(run([{ concat: { fields: ['first_name', 'middle', 'last_name'] } }], 'ignored', ctx)).toBe('Ann Lee');
    expect(run([{ concat: { fields: ['last_name', 'first_name'], separator: ', ' } }], null, ctx)).toBe('Lee, Ann');
    expect(run([{ concat: { fields: ['email', 'middle', 'nope'] } }], 'x', ctx)).toBeNull();
    expect(planProblems({ concat: { fields: [] } })[0]).toMatch(/^concat\.fields: list at least one source field/);
  });
  it('coalesce takes the first non-blank of the value and the fields, unchanged', () => {
    expect(run([{ coalesce: { fields: ['email', 'first_name'] } }], '  ', ctx)).toBe(' Ann ');
    expect(run([{ coalesce: { fields: ['email'] } }], 'mine', ctx)).toBe('mine');
    expect(run([{ coalesce: { fields: ['email', 'middle'] } }], null, ctx)).toBeNull();
    expect(run([{ coalesce: { fields: ['email', 'first_name'] } }, 'trim'], undefined, ctx)).toBe('Ann');
  });
});

describe('every transform on dirty values', () => {
  /** One spec per built-in transform, with arguments where it needs them. */
  const SPECS: Record<string, TransformSpec> = {
    trim: 'trim',
    lowercase: 'lowercase',
    uppercase: 'uppercase',
    titlecase: 'titlecase',
    collapse_whitespace: 'collapse_whitespace',
    truncate: { truncate: { length: 10 } },
    null_if_empty: 'null_if_empty',
    default: { default: 'x' },
    required: 'required',
    integer: 'integer',
    decimal: 'decimal',
    number: 'number',
    currency: 'currency',
    boolean: 'boolean',
    email: 'email',
    domain: 'domain',
    phone: { phone: { defaultCountry: 'US' } },
    date: 'date',
    datetime: { datetime: { zone: 'Europe/Paris' } },
    timezone: { timezone: { from: 'Europe/Paris', to: 'UTC' } },
    split: 'split',
    map: { map: { values: { a: 'b' } } },
    picklist: { picklist: { options: ['A'] } },
    reference: { reference: { object: 'accounts' } },
    user: { user: { map: { a: 'b' } } },
    template: { template: { template: '{value}!' } },
    concat: { concat: { fields: ['f'] } },
    coalesce: { coalesce: { fields: ['f'] } },
    replace: { replace: { find: 'x', with: '[{f}]' } },
    text_to_html: 'text_to_html',
  };

  it('covers every built-in transform', () => {
    expect(Object.keys(SPECS).sort()).toEqual(Object.keys(TRANSFORMS).sort());
  });

  it.each(Object.entries(SPECS))('%s handles a 1 MB value quickly, with a short message', (_name, spec) => {
    for (const huge of ['x'.repeat(1_000_000), `1${',1'.repeat(500_000)}`, ` ${'é '.repeat(500_000)}`]) {
      const started = Date.now();
      try {
        run([spec], huge, standaloneContext({ f: huge }));
      } catch (err) {
        if (!(err instanceof RecordRejection)) throw err;
        expect(err.message.length).toBeLessThan(400);
      }
      expect(Date.now() - started).toBeLessThan(1500);
    }
  });

  it('passes null through as null (or the documented value)', () => {
    const results = Object.fromEntries(
      Object.entries(SPECS).map(([name, spec]) => {
        try {
          return [name, run([spec], null)];
        } catch (err) {
          return [name, err instanceof RecordRejection ? `rejected: ${err.code}` : 'threw'];
        }
      }),
    );
    expect(results).toEqual({
      ...Object.fromEntries(Object.keys(SPECS).map((n) => [n, null])),
      default: 'x',
      required: 'rejected: required_missing',
      template: '!', // '{value}!' renders the blank value empty
    });
  });
});
