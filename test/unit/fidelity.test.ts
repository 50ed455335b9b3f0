import { checkFidelity, fidelityPlan, fieldFidelity, type FidelityField } from '../../plan/fidelity';
import type { TransformSpec } from '../../plan/transforms';

const field = (transform: TransformSpec[], kind?: FidelityField['kind']): FidelityField => {
  const [f] = fidelityPlan({ fields: [{ from: 'src', to: 'dst', transform }] }, new Map(kind ? [['dst', kind]] : []));
  if (!f) throw new Error('field is not checkable');
  return f;
};

describe('fidelity of date-times', () => {
  const paidAt = field([{ datetime: { format: 'auto' } }]);

  it('accepts a microsecond timestamp that survived the migration', () => {
    expect(fieldFidelity(paidAt, '2024-05-06 07:08:09.123456', '2024-05-06 07:08:09.123456+00')).toEqual({
      checked: true,
      ok: true,
      expected: '2024-05-06T07:08:09.123456Z',
    });
  });

  it('finds a timestamp the target holds cut to milliseconds', () => {
    expect(fieldFidelity(paidAt, '2024-05-06 07:08:09.123456', '2024-05-06 07:08:09.123+00')).toMatchObject({
      checked: true,
      ok: false,
    });
  });

  it('reads wall times in the plan zone and offsets as the source wrote them', () => {
    const paris = field([{ datetime: { zone: 'Europe/Paris' } }]);
    expect(fieldFidelity(paris, '2024-07-01 12:00:00.5', '2024-07-01 10:00:00.5+00').ok).toBe(true);
    expect(fieldFidelity(paris, '2024-01-01T12:00:00.000001+05:30', '2024-01-01 06:30:00.000001+00').ok).toBe(true);
    expect(fieldFidelity(paris, '2024-07-01 12:00:00.5', '2024-07-01 12:00:00.5+00').ok).toBe(false);
  });

  it('carries the fraction digits of a luxon format that luxon itself reads as milliseconds', () => {
    const us = field([{ datetime: { format: 'MM/dd/yyyy HH:mm:ss.SSS', zone: 'UTC' } }]);
    expect(fieldFidelity(us, '05/06/2024 07:08:09.123456', '2024-05-06T07:08:09.123456Z').ok).toBe(true);
    expect(fieldFidelity(us, '05/06/2024 07:08:09.123456', '2024-05-06T07:08:09.123Z').ok).toBe(false);
  });

  it('does not judge a value the load refuses (a wall time daylight saving skips)', () => {
    const ny = field([{ datetime: { zone: 'America/New_York' } }]);
    expect(fieldFidelity(ny, '2024-03-10 02:30:00', null)).toEqual({ checked: false, ok: true });
  });
});

describe('fidelity of numbers', () => {
  it('compares decimals by value, to the last digit', () => {
    const amount = field(['decimal']);
    expect(fieldFidelity(amount, '$1,234.5', '1234.50').ok).toBe(true);
    expect(fieldFidelity(amount, '12.3456', '12.35').ok).toBe(false);
    const eu = field([{ number: { decimalSeparator: ',' } }]);
    expect(fieldFidelity(eu, '1.234,5678', '1234.5678').ok).toBe(true);
    const money = field([{ currency: { decimals: 2 } }]);
    expect(fieldFidelity(money, '(€12.50)', '-12.50').ok).toBe(true);
    expect(fieldFidelity(money, 'USD 1,000.01', '1000.00').ok).toBe(false);
  });

  it('keeps integers beyond 2^53 exact', () => {
    const big = field(['integer']);
    expect(fieldFidelity(big, '9,007,199,254,740,993', '9007199254740993').ok).toBe(true);
    expect(fieldFidelity(big, '9007199254740993', '9007199254740992').ok).toBe(false);
  });

  it('reads booleans with the plan words', () => {
    const vip = field([{ boolean: { true: ['oui'], false: ['non'] } }]);
    expect(fieldFidelity(vip, ' Oui ', 't').ok).toBe(true);
    expect(fieldFidelity(vip, 'non', 't').ok).toBe(false);
  });
});

describe('fidelity of text', () => {
  it('applies trim and case as the plan says', () => {
    expect(fieldFidelity(field(['trim', 'uppercase']), '  acme Corp ', 'ACME CORP').ok).toBe(true);
    expect(fieldFidelity(field(['trim']), '  Acme Corp ', 'Acme Corp.').ok).toBe(false);
    expect(fieldFidelity(field(['trim']), '  Acme Corp ', 'Acme Cor').ok).toBe(false);
  });

  it('normalises emails and phones (E.164) independently of the transforms', () => {
    expect(fieldFidelity(field(['email']), ' Ann@Example.COM ', 'ann@example.com').ok).toBe(true);
    expect(fieldFidelity(field(['email']), 'ann@example.com', 'ann@example.co').ok).toBe(false);
    const phone = field([{ phone: { defaultCountry: 'US' } }]);
    expect(fieldFidelity(phone, '(212) 555-0123', '+12125550123').ok).toBe(true);
    expect(fieldFidelity(phone, '(212) 555-0123', '+12125550124').ok).toBe(false);
  });

  it('compares a chain that ends in text as the target column reads it', () => {
    const copied = field([], 'timestamp');
    expect(fieldFidelity(copied, '2024-05-06T07:08:09.654321Z', '2024-05-06 07:08:09.654321+00').ok).toBe(true);
    expect(fieldFidelity(copied, '2024-05-06T07:08:09.654321Z', '2024-05-06 07:08:09.654+00').ok).toBe(false);
  });

  it('treats blank and no value alike, and a lost value as a difference', () => {
    expect(fieldFidelity(field(['trim', 'null_if_empty']), '   ', null).ok).toBe(true);
    expect(fieldFidelity(field(['trim']), 'x', null).ok).toBe(false);
  });
});

describe('the fidelity plan and the record check', () => {
  const plan = fidelityPlan({
    fields: [
      { from: 'id', to: 'legacy_id', transform: ['trim'] },
      { from: 'paid', to: 'paid_at', transform: ['trim', { datetime: { zone: 'UTC' } }] },
      { from: 'status', to: 'status', transform: [{ map: { values: { a: 'Active' } } }] },
      { from: 'first', to: 'name', transform: [{ concat: { fields: ['first', 'last'] } }] },
      { to: 'origin', transform: [{ default: 'legacy' }] },
      { from: 'amount', to: 'amount', transform: ['decimal'] },
    ],
  });

  it('lists only fields mapped from the source through value-preserving transforms', () => {
    expect(plan.map((f) => [f.to, f.kind])).toEqual([
      ['legacy_id', 'text'],
      ['paid_at', 'timestamp'],
      ['amount', 'decimal'],
    ]);
  });

  it('names each field whose target value differs from the source', () => {
    const raw = { id: ' 7 ', paid: '2024-05-06T07:08:09.123456Z', amount: '10.005' };
    expect(
      checkFidelity(plan, raw, { legacy_id: '7', paid_at: '2024-05-06 07:08:09.123+00', amount: '10.01' }),
    ).toEqual([
      { field: 'paid_at', from: 'paid', expected: '2024-05-06T07:08:09.123456Z', actual: '2024-05-06T07:08:09.123Z' },
      { field: 'amount', from: 'amount', expected: '10.005', actual: '10.01' },
    ]);
    expect(
      checkFidelity(plan, raw, { legacy_id: '7', paid_at: '2024-05-06 07:08:09.123456+00', amount: '10.0050' }),
    ).toEqual([]);
  });
});
