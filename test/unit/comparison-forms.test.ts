import { createHash } from 'node:crypto';
import { canonicalJson, checksum, differingFields, fieldChecksum, fieldChecksums } from '../../plan/checksum';
import { addDecimals } from '../../plan/decimal';
import { checkFidelityAs, expectedValue, fidelityPlan, type FidelityField } from '../../plan/fidelity';
import { UNREADABLE } from '../../plan/fidelity-values';
import { addSourceValue, addTargetValue, emptyAccumulator, settleSum, sourceAmount } from '../../plan/sum-equation';
import { canonicalDecimal, canonicalTimestamp, canonicalValue, decimalByParts } from '../../plan/target-values';
import { parseTimestampText, utcText } from '../../plan/timestamps';
import type { TransformSpec } from '../../plan/transforms';

/**
 * The reconciliation compares every record it reads back: the forms it compares in have shortcuts for the
 * values they see most (text already canonical, the same key list row after row, a running total). Each
 * shortcut must give exactly what the plain definition gives, and a checksum stored by an earlier run must still
 * match.
 */

/** The plain definition of canonical JSON: keys sorted at every level, undefined dropped. */
function plainSortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainSortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = plainSortKeys(v);
    }
    return out;
  }
  return value;
}
const plainJson = (value: unknown) => JSON.stringify(plainSortKeys(value));
const plainSha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A small deterministic generator, so a failure names the same case again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('checksums of canonical rows', () => {
  const row = {
    name: 'Account 7',
    email: 'user7@example.com',
    seats: '7',
    status: 'TRIAL',
    balance: '-24944.57',
    country: 'FR',
    legacy_id: '7',
    opened_on: '2001-01-08',
    source_updated_at: '2020-01-01T00:04:19.864199Z',
  };

  it('are the ones earlier runs stored', () => {
    // Computed by the release before the comparison's shortcuts; the ledger holds checksums like these.
    expect(checksum(row)).toBe('b24ad3ff804883d577836c5378ee76aebad96c6e93b25b01b7452bf0017c6121');
    expect(fieldChecksums(row)).toEqual({
      balance: '131eba9c9df8b8d7',
      country: 'db54d8e4c9ebb6af',
      email: 'dc0a4ac54c3d708f',
      legacy_id: '266aa5886067fbbc',
      name: 'b2ac9d581b57839c',
      opened_on: '5716d8053c29de75',
      seats: '266aa5886067fbbc',
      source_updated_at: '80ec2bb3fcb8c5f0',
      status: 'f94ff9a0827e8801',
    });
    const mixed = { b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] }, '10': 'x', '9': null, z: undefined, é: 'ünïcode ✓' };
    expect(canonicalJson(mixed)).toBe('{"9":null,"10":"x","a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1,"é":"ünïcode ✓"}');
    expect(fieldChecksum('a\ud800b')).toBe('27432a872192a565');
  });

  it('hash the canonical text as UTF-8, lone surrogates included', () => {
    for (const text of ['', 'plain', 'ünïcode ✓ 𝄞', 'a\ud800b', '\udc00', 'x'.repeat(5000)]) {
      expect(checksum(text)).toBe(plainSha(JSON.stringify(text)));
      expect(fieldChecksum(text)).toBe(plainSha(JSON.stringify(text)).slice(0, 16));
    }
  });

  it('sort keys as the plain definition does, row after row, whatever key lists alternate', () => {
    const next = random(7);
    const names = ['legacy_id', 'name', 'email', 'balance', '10', '9', 'a', 'B', 'é', '', 'source_updated_at'];
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      const keys = names.filter(() => next() < 0.7);
      // The same key list in another order, the previous list again, or a new one.
      const order = next() < 0.3 ? [...keys].reverse() : keys;
      const r: Record<string, unknown> = {};
      for (const k of order)
        r[k] =
          next() < 0.1 ? undefined : next() < 0.2 ? null : next() < 0.1 ? { y: 1, x: [2, { d: 0, c: 1 }] } : `${k}${i}`;
      rows.push(r);
      if (next() < 0.3 && rows.length > 1) rows.push(rows[rows.length - 2]!);
    }
    for (const r of rows) {
      expect(canonicalJson(r)).toBe(plainJson(r));
      expect(checksum(r)).toBe(plainSha(plainJson(r)));
    }
  });

  it('keep an own __proto__ key out, as the plain definition does', () => {
    const parsed = JSON.parse('{"b":"2","__proto__":"x","a":"1"}') as Record<string, unknown>;
    expect(canonicalJson(parsed)).toBe(plainJson(parsed));
    expect(canonicalJson(parsed)).toBe(canonicalJson({ a: '1', b: '2' }));
  });

  it('name the fields a read-back changed', () => {
    const stored = fieldChecksums(row);
    expect(differingFields(stored, { ...row })).toEqual([]);
    expect(differingFields(stored, { ...row, balance: '-24944.5', seats: null })).toEqual(['balance', 'seats']);
  });
});

/** The plain definition of an exact sum: both values scaled to the larger scale, added as integers. */
function plainAdd(total: string, value: string): string {
  const parse = (t: string) => {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(t.trim().replace(/[$€£\s,]/g, ''));
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
    const frac = m[3] ?? '';
    return { units: BigInt(`${m[2] || '0'}${frac}`) * (m[1] === '-' ? -1n : 1n), scale: frac.length };
  };
  const b = parse(value);
  if (!b) return total;
  const a = parse(total) ?? { units: 0n, scale: 0 };
  const scale = Math.max(a.scale, b.scale);
  const sum = a.units * 10n ** BigInt(scale - a.scale) + b.units * 10n ** BigInt(scale - b.scale);
  const digits = (sum < 0n ? -sum : sum).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return decimalByParts(`${sum < 0n ? '-' : ''}${text}`);
}

describe('canonical decimals', () => {
  it('leave canonical text as it is and print everything else as the plain definition does', () => {
    const cases = [
      '0',
      '-0',
      '+0',
      '00',
      '0.0',
      '-0.00',
      '.5',
      '-.5',
      '5.',
      '-5.',
      '+5',
      '05',
      '-05.50',
      '0.05',
      '-0.050',
      '10',
      '100.000',
      '1.10',
      '1.01',
      '-1.01',
      ' 12 ',
      '12 ',
      '1e3',
      '1.5e-3',
      '-1E+2',
      '',
      '.',
      '-',
      'abc',
      '1,5',
      '98765432109876543210.0000000001',
      '-0.0000000001',
    ];
    for (const text of cases) {
      expect(canonicalDecimal(text)).toBe(decimalByParts(text));
      expect(canonicalDecimal(canonicalDecimal(text))).toBe(canonicalDecimal(text));
    }
    const next = random(11);
    for (let i = 0; i < 3000; i++) {
      const digits = (n: number) => Array.from({ length: n }, () => String(Math.floor(next() * 10))).join('');
      const text = `${next() < 0.4 ? '-' : next() < 0.1 ? '+' : ''}${digits(Math.floor(next() * 4))}${next() < 0.6 ? `.${digits(Math.floor(next() * 4))}` : ''}`;
      expect(canonicalDecimal(text)).toBe(decimalByParts(text));
    }
  });

  it('add exactly as the plain definition does, running totals included', () => {
    const next = random(3);
    const amount = () => {
      const units = Math.floor(next() * 2_000_000) - 1_000_000;
      const scale = Math.floor(next() * 4);
      const text = (Math.abs(units) / 10 ** scale).toFixed(scale);
      return `${units < 0 ? '-' : ''}${next() < 0.1 ? `$${text}` : text}`;
    };
    // Three running totals added in turn, as the reconciliation adds its terms, and sums from scratch.
    const totals = ['0', '0', '0'];
    const plain = ['0', '0', '0'];
    for (let i = 0; i < 5000; i++) {
      const t = i % 3;
      const value = next() < 0.05 ? (next() < 0.5 ? '' : 'n/a') : amount();
      totals[t] = addDecimals(totals[t]!, value);
      plain[t] = plainAdd(plain[t]!, value);
      expect(totals[t]).toBe(plain[t]);
      const left = amount();
      expect(addDecimals(left, value)).toBe(plainAdd(left, value));
    }
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('-0.5', '0.5')).toBe('0');
    expect(addDecimals('0', '-0.005')).toBe('-0.005');
    expect(addDecimals('1.50', '-2')).toBe('-0.5');
    expect(addDecimals('$1,000.10', ' 2.90 ')).toBe('1003');
    // A total that is no number counts as zero; a value that is none leaves the total as written.
    expect(addDecimals('abc', '2.50')).toBe('2.5');
    expect(addDecimals('007.10', 'n/a')).toBe('007.10');
  });

  it('read source amounts the same with or without a separator that groups', () => {
    expect(sourceAmount('-12.50', { decimalSeparator: '.' })).toEqual({ amount: '-12.5' });
    expect(sourceAmount('0.00', { decimalSeparator: '.' })).toEqual({ amount: '0' });
    expect(sourceAmount('1.234', { decimalSeparator: ',' })).toEqual({ amount: '1234' });
    expect(sourceAmount('-1.234', { decimalSeparator: ',' })).toEqual({ amount: '-1234' });
    expect(sourceAmount('1,5', { decimalSeparator: ',' })).toEqual({ amount: '1.5' });
    expect(sourceAmount('(12.50)', { decimalSeparator: '.' })).toEqual({ amount: '-12.5' });
  });

  it('balance a money line whose terms are added in turn', () => {
    const acc = emptyAccumulator();
    const values = ['10.10', '-0.10', '5', '', '1e2', '0.005'];
    values.forEach((v, i) => {
      addSourceValue(acc, i % 2 === 0 ? 'loaded' : 'filtered', String(i), v, { decimalSeparator: '.' });
      if (i % 2 === 0) addTargetValue(acc, v === '1e2' ? '100.00' : v);
    });
    const s = settleSum(acc);
    expect([s.legacy, s.loaded, s.filtered, s.new, s.ok]).toEqual(['115.005', '115.1', '-0.095', '115.1', true]);
  });
});

describe('canonical timestamps', () => {
  const plain = (text: string) => {
    const parsed = parseTimestampText(text);
    return parsed ? utcText(parsed) : undefined;
  };

  it('leave only text in the canonical form as it is', () => {
    const cases = [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2024-02-30T00:00:00.000Z',
      '2024-04-31T00:00:00.000Z',
      '2024-13-01T00:00:00.000Z',
      '2024-00-01T00:00:00.000Z',
      '2024-01-00T00:00:00.000Z',
      '2024-01-01T24:00:00.000Z',
      '2024-01-01T23:60:00.000Z',
      '2016-12-31T23:59:60.000Z',
      '2024-01-01T00:00:00.1230Z',
      '2024-01-01T00:00:00.1200Z',
      '2024-01-01T00:00:00.123456Z',
      '2024-01-01T00:00:00.12Z',
      '2024-01-01T00:00:00Z',
      '2024-01-01T00:00:00.000z',
      '0000-02-29T12:00:00.000Z',
      '1900-02-29T12:00:00.000Z',
      '2000-02-29T12:00:00.000Z',
      ' 2024-01-01T00:00:00.000Z',
      '2024-01-01 00:00:00.123+00',
      '2024-01-01T00:00:00.123+01:00',
    ];
    for (const text of cases) expect([text, canonicalTimestamp(text)]).toEqual([text, plain(text)]);
    expect(canonicalTimestamp('2024-01-01T24:00:00.000Z')).toBe('2024-01-02T00:00:00.000Z');
    expect(canonicalTimestamp('2023-02-29T00:00:00.000Z')).toBeUndefined();
  });

  it('read each text for itself, whichever text was read before', () => {
    const texts = [
      '2020-01-01 00:00:37.123457+00',
      '2020-01-01 00:00:37.123457+00',
      '2020-01-01 00:00:37.123457+05',
      'infinity',
      'infinity',
      '2020-01-01 00:00:37.123457+00',
      '2020-01-01T00:00:37.123457Z',
      '2020-01-01 00:00:37.123457',
    ];
    for (const text of texts) expect(canonicalTimestamp(text)).toBe(plain(text));
    expect(canonicalTimestamp(new Date('2020-01-01T00:00:37.123Z'))).toBe('2020-01-01T00:00:37.123Z');
    expect(canonicalValue('timestamp', 'infinity')).toBe('infinity');
  });

  it('print integers by value', () => {
    for (const [text, want] of [
      ['0', '0'],
      ['-0', '0'],
      ['+5', '5'],
      ['007', '7'],
      [' 5 ', '5'],
      ['-12', '-12'],
      ['12345678901234567890', '12345678901234567890'],
      ['1.0', '1.0'],
    ])
      expect(canonicalValue('integer', text)).toBe(want);
  });
});

describe('fidelity readings', () => {
  const fieldOf = (transform: TransformSpec[], kind?: FidelityField['kind']): FidelityField => {
    const [f] = fidelityPlan({ fields: [{ from: 'src', to: 'dst', transform }] }, new Map(kind ? [['dst', kind]] : []));
    if (!f) throw new Error('field is not checkable');
    return f;
  };

  it('read calendar days that exist, in every notation', () => {
    const auto = fieldOf(['date']);
    const dayFirst = fieldOf([{ date: { format: 'DD/MM/YYYY' } }]);
    expect(expectedValue(auto, '2024-02-29')).toBe('2024-02-29');
    expect(expectedValue(auto, '2024-2-9')).toBe('2024-02-09');
    expect(expectedValue(auto, '2024-02-29T10:00:00Z')).toBe('2024-02-29');
    expect(expectedValue(auto, '2023-02-29')).toBe(UNREADABLE);
    expect(expectedValue(auto, '1900-02-29')).toBe(UNREADABLE);
    expect(expectedValue(auto, '2000-02-29')).toBe('2000-02-29');
    expect(expectedValue(auto, '2024-04-31')).toBe(UNREADABLE);
    expect(expectedValue(auto, '2024-13-01')).toBe(UNREADABLE);
    expect(expectedValue(auto, '2024-00-10')).toBe(UNREADABLE);
    expect(expectedValue(auto, '2024-01-00')).toBe(UNREADABLE);
    expect(expectedValue(auto, '31/12/2024')).toBe('2024-12-31');
    expect(expectedValue(auto, '05/06/2024')).toBe(UNREADABLE);
    expect(expectedValue(dayFirst, '30/04/2024')).toBe('2024-04-30');
    expect(expectedValue(dayFirst, '31/04/2024')).toBe(UNREADABLE);
    expect(expectedValue(dayFirst, '29.02.2023')).toBe(UNREADABLE);
  });

  it('read date-times in UTC and in a zone, with every fraction digit', () => {
    const utc = fieldOf(['datetime']);
    const paris = fieldOf([{ datetime: { zone: 'Europe/Paris' } }]);
    expect(expectedValue(utc, '2020-01-01 00:00:37.123457+00')).toBe('2020-01-01T00:00:37.123457Z');
    expect(expectedValue(utc, '2020-01-01 00:00:37.12345+05:30')).toBe('2019-12-31T18:30:37.12345Z');
    expect(expectedValue(utc, ' 2020-01-01 00:00:37 ')).toBe('2020-01-01T00:00:37.000Z');
    expect(expectedValue(utc, '2020-01-01T00:00:37.1000Z')).toBe('2020-01-01T00:00:37.100Z');
    expect(expectedValue(utc, '2020-02-30 00:00:00')).toBe(UNREADABLE);
    expect(expectedValue(utc, 'yesterday')).toBe(UNREADABLE);
    expect(expectedValue(paris, '2024-07-01 12:00:00.5')).toBe('2024-07-01T10:00:00.500Z');
    expect(expectedValue(paris, '2024-07-01 12:00:00.5+00')).toBe('2024-07-01T12:00:00.500Z');
    expect(expectedValue(paris, '2024-03-31 02:30:00')).toBe(UNREADABLE);
  });

  it('read each field through its own chain, record after record', () => {
    const upper = fieldOf(['trim', 'uppercase', 'null_if_empty']);
    const lower = fieldOf(['trim', 'lowercase']);
    const required = fieldOf(['required', 'integer']);
    for (let i = 0; i < 3; i++) {
      expect(expectedValue(upper, ` Active${i} `)).toBe(`ACTIVE${i}`);
      expect(expectedValue(lower, ` Active${i} `)).toBe(`active${i}`);
      expect(expectedValue(upper, '  ')).toBeNull();
      expect(expectedValue(required, ` 00${i} `)).toBe(String(i));
      expect(expectedValue(required, '')).toBe(UNREADABLE);
    }
    // A chain whose reading stops early never reaches the steps after it.
    const stops: FidelityField = { from: 'src', to: 'dst', kind: 'text', transform: ['required', 'no_such_reading'] };
    expect(expectedValue(stops, '')).toBe(UNREADABLE);
    expect(() => expectedValue(stops, 'x')).toThrow(TypeError);
  });

  it('find a lost digit in a record compared in the target forms', () => {
    const fields = fidelityPlan(
      {
        fields: [
          { from: 'updated_at', to: 'source_updated_at', transform: ['datetime'] },
          { from: 'balance', to: 'balance', transform: ['decimal'] },
          { from: 'seats', to: 'seats', transform: ['integer'] },
        ],
      },
      new Map(),
    );
    const raw = { updated_at: '2020-01-01 00:00:37.123457+00', balance: '-24920.80', seats: '7' };
    const asSent = (readings: Readonly<Record<string, string>>) =>
      Object.fromEntries(
        Object.entries(readings).map(([k, v]) => [
          k,
          canonicalValue(k === 'source_updated_at' ? 'timestamp' : k === 'balance' ? 'decimal' : 'integer', v),
        ]),
      );
    const read = (row: Record<string, string>) => (field: string) =>
      canonicalValue(
        field === 'source_updated_at' ? 'timestamp' : field === 'balance' ? 'decimal' : 'integer',
        row[field],
      );
    const same = { source_updated_at: '2020-01-01 00:00:37.123457+00', balance: '-24920.8', seats: '7' };
    expect(checkFidelityAs(fields, raw, asSent, read(same))).toEqual([]);
    const cut = { source_updated_at: '2020-01-01 00:00:37.123+00', balance: '-24920.81', seats: '7' };
    expect(checkFidelityAs(fields, raw, asSent, read(cut))).toEqual(['source_updated_at', 'balance']);
  });
});
