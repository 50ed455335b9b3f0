import { canonicalDecimal, canonicalTimestamp, canonicalValue } from '../../plan/target-values';

describe('canonical timestamps at full precision', () => {
  it('read PostgreSQL text and ISO 8601 with the same instant as equal, whatever the trailing zeros', () => {
    expect(canonicalValue('timestamp', '2024-01-02 03:04:05.12345+00')).toBe(
      canonicalValue('timestamp', '2024-01-02T03:04:05.123450Z'),
    );
    expect(canonicalValue('timestamp', '2024-01-02 03:04:05.12345+00')).toBe('2024-01-02T03:04:05.12345Z');
  });

  it('tell a value that lost its microseconds from the one that kept them', () => {
    expect(canonicalValue('timestamp', '2024-01-02T03:04:05.123456Z')).not.toBe(
      canonicalValue('timestamp', '2024-01-02 03:04:05.123+00'),
    );
    expect(canonicalValue('timestamp', '2024-01-02T03:04:05.000001Z')).not.toBe(
      canonicalValue('timestamp', '2024-01-02T03:04:05Z'),
    );
  });

  it('keep the millisecond form of earlier releases for values without finer digits', () => {
    expect(canonicalValue('timestamp', '2024-09-08 06:49:51.815+00')).toBe('2024-09-08T06:49:51.815Z');
    expect(canonicalValue('timestamp', '2024-09-08 06:49:51+00')).toBe('2024-09-08T06:49:51.000Z');
    expect(canonicalValue('timestamp', new Date('2024-09-08T06:49:51.815Z'))).toBe('2024-09-08T06:49:51.815Z');
  });

  it('move every offset spelling to UTC, fraction untouched', () => {
    const utc = '2024-01-01T22:34:05.123456Z';
    for (const text of [
      '2024-01-02 04:04:05.123456+05:30',
      '2024-01-02T04:04:05.123456+0530',
      '2024-01-01T17:34:05.123456-05',
      '2024-01-01 22:34:05.123456 Z',
    ])
      expect(canonicalValue('timestamp', text)).toBe(utc);
    // Historical zones print seconds in the offset: +00:09:21 (Paris mean time).
    expect(canonicalValue('timestamp', '1900-01-01 00:09:21+00:09:21')).toBe('1900-01-01T00:00:00.000Z');
  });

  it('cross midnight, month, year and leap-day boundaries exactly', () => {
    expect(canonicalValue('timestamp', '2024-03-01T01:00:00.5+02:00')).toBe('2024-02-29T23:00:00.500Z');
    expect(canonicalValue('timestamp', '2023-12-31T23:30:00-01:00')).toBe('2024-01-01T00:30:00.000Z');
    expect(canonicalValue('timestamp', '0001-01-01T00:00:00+01')).toBe('0000-12-31T23:00:00.000Z');
  });

  it('read a value without an offset (a timestamp without time zone) as UTC, never as the server zone', () => {
    expect(canonicalValue('timestamp', '2024-01-02 03:04:05.654321')).toBe('2024-01-02T03:04:05.654321Z');
    expect(canonicalValue('timestamp', '2024-01-02')).toBe('2024-01-02T00:00:00.000Z');
  });

  it('keep text that is no timestamp as it is, so it compares as text', () => {
    expect(canonicalValue('timestamp', 'infinity')).toBe('infinity');
    expect(canonicalValue('timestamp', 'soon')).toBe('soon');
    expect(canonicalTimestamp('2024-13-45 10:00')).toBeUndefined();
  });
});

describe('canonical decimals and integers at full precision', () => {
  it('compare decimals by value: the scale a numeric(p, s) column adds is no difference', () => {
    expect(canonicalValue('decimal', '1.50')).toBe(canonicalValue('decimal', '1.5'));
    expect(canonicalValue('decimal', '-0.000')).toBe('0');
    expect(canonicalValue('decimal', '12.3456')).not.toBe(canonicalValue('decimal', '12.35'));
  });

  it('shift exponents by their digits, never through a float', () => {
    expect(canonicalDecimal('1.2345678901234567890123e5')).toBe('123456.78901234567890123');
    expect(canonicalDecimal('12345678901234567890123e-25')).toBe('0.0012345678901234567890123');
    expect(canonicalDecimal('9007199254740993E0')).toBe('9007199254740993');
    expect(canonicalDecimal('-5e-1')).toBe('-0.5');
  });

  it('keep integers beyond 2^53 exact, and text that is no integer as it is', () => {
    expect(canonicalValue('integer', '9007199254740993')).toBe('9007199254740993');
    expect(canonicalValue('integer', '-0009223372036854775807')).toBe('-9223372036854775807');
    expect(canonicalValue('integer', 9007199254740993n)).toBe('9007199254740993');
    expect(canonicalValue('integer', ' +42 ')).toBe('42');
    expect(canonicalValue('integer', '1.5')).toBe('1.5');
  });

  it('read every boolean spelling PostgreSQL accepts', () => {
    for (const yes of ['t', 'TRUE', 'yes', 'y', 'on', '1', true]) expect(canonicalValue('boolean', yes)).toBe('true');
    for (const no of ['f', 'False', 'no', 'n', 'off', '0', false]) expect(canonicalValue('boolean', no)).toBe('false');
    expect(canonicalValue('boolean', 'maybe')).toBe('maybe');
  });

  it('keep dates as their calendar day', () => {
    expect(canonicalValue('date', '2024-02-29')).toBe('2024-02-29');
    expect(canonicalValue('date', new Date('2024-02-29T00:00:00Z'))).toBe('2024-02-29');
  });
});
