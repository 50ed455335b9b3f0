import { compileObjectMapper } from '../../plan/compile';
import { objectPlanSchema } from '../../plan/schema';
import { composeTransforms, RecordRejection, standaloneContext, type TransformSpec } from '../../plan/transforms';

const run = (specs: TransformSpec[], value: unknown) => composeTransforms(specs)(value, standaloneContext());
const rejection = (specs: TransformSpec[], value: unknown): RecordRejection => {
  try {
    run(specs, value);
  } catch (err) {
    if (err instanceof RecordRejection) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be quarantined`);
};

describe('datetime keeps every fractional digit the source gave', () => {
  it.each([
    ['2024-03-01 14:05:00.123456+00', '2024-03-01T14:05:00.123456Z'],
    ['2024-03-01T14:05:00.123456789Z', '2024-03-01T14:05:00.123456789Z'],
    ['2024-03-01T14:05:00.000001Z', '2024-03-01T14:05:00.000001Z'],
    ['2024-03-01T14:05:00.999999999Z', '2024-03-01T14:05:00.999999999Z'],
    ['2024-03-01T14:05:00.1Z', '2024-03-01T14:05:00.100Z'],
    ['2024-03-01 14:05:00', '2024-03-01T14:05:00.000Z'],
    ['2024-03-01T19:35:00.654321+0530', '2024-03-01T14:05:00.654321Z'],
    ['2024-03-01T19:35:00,654321+05:30', '2024-03-01T14:05:00.654321Z'],
    ['2023-12-31T23:59:59.999999-01', '2024-01-01T00:59:59.999999Z'],
  ])('%s → %s', (input, expected) => {
    expect(run(['datetime'], input)).toBe(expected);
  });

  it('reads wall time in the zone, keeping the fraction, at the edge of a daylight-saving gap', () => {
    const spec = { datetime: { zone: 'America/New_York' } };
    expect(run([spec], '2024-03-10 01:59:59.999999')).toBe('2024-03-10T06:59:59.999999Z');
    expect(run([spec], '2024-03-10 03:00:00.000001')).toBe('2024-03-10T07:00:00.000001Z');
    expect(rejection([spec], '2024-03-10 02:30:00.123456').code).toBe('invalid_datetime');
  });

  it('quarantines a fraction finer than nanoseconds rather than cutting it', () => {
    const err = rejection(['datetime'], '2024-03-01T14:05:00.1234567891Z');
    expect(err.code).toBe('invalid_datetime');
  });

  it('keeps the fraction of a value read with a luxon format (u: any number of digits)', () => {
    expect(run([{ datetime: { format: 'MM/dd/yyyy HH:mm:ss.u' } }], '03/01/2024 14:05:00.123456')).toBe(
      '2024-03-01T14:05:00.123456Z',
    );
    expect(
      run([{ datetime: { format: 'dd.MM.yyyy HH:mm:ss,u ZZ', zone: 'UTC' } }], '01.03.2024 19:35:00,5 +05:30'),
    ).toBe('2024-03-01T14:05:00.500Z');
    expect(run([{ datetime: { format: 'yyyyMMddHHmmssu' } }], '20240301140500123456789')).toBe(
      '2024-03-01T14:05:00.123456789Z',
    );
    expect(run([{ datetime: { format: 'MM/dd/yyyy HH:mm:ss.SSS' } }], '03/01/2024 14:05:00.070')).toBe(
      '2024-03-01T14:05:00.070Z',
    );
  });

  it('keeps the offset the source stated when asked (keepOffset), or the zone offset of a wall time', () => {
    const keep = { datetime: { keepOffset: true } };
    expect(run([keep], '2024-03-01T19:35:00.654321+0530')).toBe('2024-03-01T19:35:00.654321+05:30');
    expect(run([keep], '2024-03-01 14:05:00.123456+00')).toBe('2024-03-01T14:05:00.123456Z');
    expect(run([keep], '2024-03-01 14:05:00')).toBe('2024-03-01T14:05:00.000Z');
    const paris = { datetime: { keepOffset: true, zone: 'Europe/Paris' } };
    expect(run([paris], '2024-07-01 14:05:00.25')).toBe('2024-07-01T14:05:00.250+02:00');
    expect(run([paris], '2024-07-01 14:05:00.25-04:00')).toBe('2024-07-01T14:05:00.250-04:00');
  });

  it('timezone keeps the fraction too', () => {
    expect(run([{ timezone: { from: 'Europe/Paris', to: 'UTC' } }], '2024-03-01T15:05:00.123456')).toBe(
      '2024-03-01T14:05:00.123456Z',
    );
    expect(run([{ timezone: { from: 'UTC', to: 'Asia/Kolkata' } }], '2024-03-01T14:05:00.000000001')).toBe(
      '2024-03-01T19:35:00.000000001+05:30',
    );
  });
});

describe('numbers keep their scale and their digits', () => {
  it.each([
    [['decimal'], '1.50', '1.50'],
    [['decimal'], '0.10', '0.10'],
    [['decimal'], '1,234.50', '1234.50'],
    [['decimal'], '12345678901234567890.123456789012345678', '12345678901234567890.123456789012345678'],
    [[{ number: {} }], '1.50', '1.50'],
    [[{ number: { decimalSeparator: ',' } }], '1.234,50', '1234.50'],
    [[{ currency: {} }], '$1.50', '1.50'],
    [[{ currency: { decimals: 4 } }], '1.5000', '1.5000'],
  ] as [TransformSpec[], string, string][])('%j keeps %s as %s', (specs, input, expected) => {
    expect(run(specs, input)).toBe(expected);
  });

  it('decimal refuses a comma that is not a thousands separator instead of dropping it', () => {
    expect(rejection(['decimal'], '1,5').code).toBe('not_a_number');
    expect(rejection(['decimal'], '12,34.5').code).toBe('not_a_number');
  });

  it('integer keeps integers beyond 2^53 exact, as text', () => {
    expect(run(['integer'], '9007199254740993')).toBe('9007199254740993');
    expect(run(['integer'], '-123456789012345678901234567890')).toBe('-123456789012345678901234567890');
    expect(run(['integer'], 9007199254740993n)).toBe('9007199254740993');
    expect(run(['integer'], 1e21)).toBe('1000000000000000000000');
    expect(run(['integer'], '1,234,567')).toBe('1234567');
  });

  it('integer refuses separators that are not thousands groups, and fractions', () => {
    expect(rejection(['integer'], '1,2').code).toBe('not_an_integer');
    expect(rejection(['integer'], '12.5').code).toBe('not_an_integer');
    expect(rejection(['integer'], 1.5).code).toBe('not_an_integer');
  });
});

describe('text keeps every character; characters that cannot be text are quarantined', () => {
  const mapper = compileObjectMapper(
    objectPlanSchema.parse({
      name: 'notes',
      source: { file: 'notes.csv', id: 'id' },
      target: { table: 'notes', key: 'id' },
      fields: [
        { from: 'id', to: 'id' },
        { from: 'body', to: 'body' },
        { from: 'title', to: 'title', transform: ['trim'] },
        { from: 'tags', to: 'tags', transform: ['split'] },
      ],
    }),
  );
  const record = (over: Record<string, unknown>) => ({ id: '1', body: 'ok', title: ' t ', tags: 'a,b', ...over });

  it('keeps zero-width, combining and astral characters as they are', () => {
    const body = 'e\u0301 \u200b 😀 \u00a0 tab\there';
    const result = mapper(record({ body }));
    expect(result).toEqual({ ok: true, payload: { id: '1', body, title: 't', tags: ['a', 'b'] } });
  });

  it.each([
    ['a NUL character', 'before\u0000after', /NUL/],
    ['a lone surrogate', 'broken \ud800 text', /surrogate/],
    ['a replacement character from decoding', 'caf\ufffd', /U\+FFFD/],
  ])('quarantines %s, naming the field', (_what, body, why) => {
    const result = mapper(record({ body }));
    expect(result).toMatchObject({ ok: false, field: 'body', code: 'invalid_text' });
    expect(result.ok ? '' : result.message).toMatch(why);
    expect(result.ok ? '' : result.message).toMatch(/^body → body: /);
  });

  it('checks the source value even when a transform would drop the bad character', () => {
    const result = mapper(record({ tags: 'a,\u0000' }));
    expect(result).toMatchObject({ ok: false, field: 'tags', code: 'invalid_text' });
  });

  it('checks list elements', () => {
    const result = mapper(record({ tags: ['a', 'b\ud800'] }));
    expect(result).toMatchObject({ ok: false, field: 'tags', code: 'invalid_text' });
  });
});
