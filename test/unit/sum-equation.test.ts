import { differingFields, fieldChecksums } from '../../plan/checksum';
import {
  addDeletedValue,
  addSourceValue,
  addTargetValue,
  addUnreadable,
  amountFormatOf,
  emptyAccumulator,
  settleSum,
  sourceAmount,
  sumLine,
} from '../../plan/sum-equation';

const dot = { decimalSeparator: '.' } as const;
const comma = { decimalSeparator: ',' } as const;

describe('source amounts, read exactly and independently of the transforms', () => {
  it.each([
    ['1234.56', dot, '1234.56'],
    ['$1,234.56', dot, '1234.56'],
    ['USD 1,234.56', dot, '1234.56'],
    ['(12.50)', dot, '-12.5'],
    ['-0.10', dot, '-0.1'],
    ['1.234,56 €', comma, '1234.56'],
    ['9007199254740993.01', dot, '9007199254740993.01'],
    ['1.5e3', dot, '1500'],
    [42, dot, '42'],
  ])('%p → %p', (value, format, expected) => {
    expect(sourceAmount(value, format)).toEqual({ amount: expected });
  });

  it.each([
    [null, 'blank'],
    ['  ', 'blank'],
    ['n/a', 'not_a_number'],
    ['12.3.4', 'not_a_number'],
  ])('%p is not a number: %p', (value, reason) => {
    expect(sourceAmount(value, dot)).toEqual({ reason });
  });

  it('takes the decimal separator from the field transforms', () => {
    expect(amountFormatOf([{ currency: { decimalSeparator: ',' } }])).toEqual(comma);
    expect(amountFormatOf(['trim', 'decimal'])).toEqual(dot);
    expect(amountFormatOf(undefined)).toEqual(dot);
  });
});

describe('the sum equation', () => {
  it('explains the whole source by disposition, and compares loaded with the target', () => {
    const acc = emptyAccumulator();
    addSourceValue(acc, 'loaded', 'a', '10.00', dot);
    addTargetValue(acc, '10');
    addSourceValue(acc, 'loaded', 'b', '5.25', dot);
    addTargetValue(acc, '5.25');
    addSourceValue(acc, 'quarantined', 'c', '321.77', dot);
    addSourceValue(acc, 'quarantined', 'd', 'twelve', dot);
    addSourceValue(acc, 'filtered', 'e', '1', dot);
    addSourceValue(acc, 'deduplicated', 'f', '2', dot);
    addUnreadable(acc, ['line:7']);
    addDeletedValue(acc, '100', dot);
    const s = settleSum(acc);
    expect(s).toMatchObject({
      legacy: '340.02',
      loaded: '15.25',
      new: '15.25',
      quarantined: '321.77',
      filtered: '1',
      deduplicated: '2',
      unaccounted: '0',
      deleted: '100',
      ok: true,
    });
    expect(s.notNumbers).toEqual([
      { reason: 'not_a_number', disposition: 'quarantined', count: 1, examples: ['d'] },
      { reason: 'unreadable_record', disposition: 'quarantined', count: 1, examples: ['line:7'] },
    ]);
    const line = sumLine('payments.amount', s);
    expect(line).toContain('Sum(legacy) 340.02 = loaded 15.25 + quarantined 321.77 + filtered 1 + deduplicated 2');
    expect(line).toContain('Sum(loaded) 15.25 == Sum(new) 15.25');
    expect(line).toContain('1 not_a_number (quarantined)');
    expect(line).toContain('deleted by the source 100');
  });

  it('fails when the target holds a different total, or a record is in no term', () => {
    const changed = emptyAccumulator();
    addSourceValue(changed, 'loaded', 'a', '10.00', dot);
    addTargetValue(changed, '9.99');
    expect(settleSum(changed).ok).toBe(false);
    expect(sumLine('x.y', settleSum(changed))).toContain('Sum(loaded) 10 != Sum(new) 9.99');

    const lost = emptyAccumulator();
    addSourceValue(lost, 'unaccounted', 'a', '3', dot);
    expect(settleSum(lost)).toMatchObject({ unaccounted: '3', ok: false });

    const blankLost = emptyAccumulator();
    addSourceValue(blankLost, 'unaccounted', 'a', '', dot);
    expect(settleSum(blankLost).ok).toBe(false);
  });

  it('prints reconciliations stored before the equation in their old form', () => {
    expect(sumLine('deals.amount', { legacy: '1', new: '1' })).toBe('deals.amount: Sum(legacy) 1 == Sum(new) 1');
  });
});

describe('per-field checksums', () => {
  it('name the fields a read-back changed, including fields a target adds itself', () => {
    const written = fieldChecksums({ subject: 'Hi', author_id: 'tea_1', created_at: '2024-01-01T00:00:00.123456Z' });
    expect(Object.keys(written)).toEqual(['author_id', 'created_at', 'subject']);
    expect(
      differingFields(written, { subject: 'Hi', author_id: 'tea_1', created_at: '2024-01-01T00:00:00.123456Z' }),
    ).toEqual([]);
    expect(
      differingFields(written, { subject: 'Hi', author_id: 'tea_2', created_at: '2024-01-01T00:00:00.123Z' }),
    ).toEqual(['author_id', 'created_at']);
    expect(differingFields(written, { subject: 'Hi' })).toEqual(['author_id', 'created_at']);
  });
});
