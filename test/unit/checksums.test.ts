import { canonicalJson, checksum } from '../../plan/checksum';
import { addDecimals } from '../../plan/decimal';
import { canonicalDecimal, canonicalValue, columnKindOf } from '../../plan/target-values';

describe('checksums', () => {
  it('do not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe(
      '{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}',
    );
    expect(checksum({ a: 1, b: 'x' })).toBe(checksum({ b: 'x', a: 1 }));
    expect(checksum({ a: 1 })).not.toBe(checksum({ a: '1' }));
  });
});

describe('canonical target values', () => {
  it('print what Tern sent and what PostgreSQL returns the same way', () => {
    expect(canonicalValue('decimal', '1234.5')).toBe(canonicalValue('decimal', '1234.50'));
    expect(canonicalValue('boolean', true)).toBe(canonicalValue('boolean', 't'));
    expect(canonicalValue('timestamp', '2024-09-08T06:49:51.815Z')).toBe(
      canonicalValue('timestamp', '2024-09-08 06:49:51.815+00'),
    );
    expect(canonicalValue('timestamp', '2024-09-08T08:49:51Z')).toBe(
      canonicalValue('timestamp', '2024-09-08 10:49:51+02'),
    );
    expect(canonicalValue('integer', '007')).toBe('7');
    expect(canonicalValue('text', null)).toBeNull();
  });

  it('still tell different values apart', () => {
    expect(canonicalValue('decimal', '12.345')).not.toBe(canonicalValue('decimal', '12.35'));
    expect(canonicalValue('text', 'a ')).not.toBe(canonicalValue('text', 'a'));
  });

  it('normalise decimals without float rounding', () => {
    expect(canonicalDecimal('0012.5000')).toBe('12.5');
    expect(canonicalDecimal('-0.000')).toBe('0');
    expect(canonicalDecimal('1e3')).toBe('1000');
    expect(canonicalDecimal('98765432109876543210.0000000001')).toBe('98765432109876543210.0000000001');
  });

  it('map PostgreSQL types to kinds', () => {
    expect(columnKindOf('numeric')).toBe('decimal');
    expect(columnKindOf('timestamp with time zone')).toBe('timestamp');
    expect(columnKindOf('character varying')).toBe('text');
    expect(columnKindOf('bigint')).toBe('integer');
  });
});

describe('exact sums', () => {
  it('add legacy currency strings without losing cents', () => {
    let total = '0';
    for (let i = 0; i < 10; i++) total = addDecimals(total, '0.1');
    expect(total).toBe('1');
    expect(addDecimals('$1,234.50', '-34.5')).toBe('1200');
    expect(addDecimals('10', '')).toBe('10');
    expect(addDecimals('10', null)).toBe('10');
    expect(addDecimals('99999999999999999999.99', '0.01')).toBe('100000000000000000000');
  });
});
