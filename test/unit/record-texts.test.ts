import { recordTexts } from '../../activities/extract';
import { checksum } from '../../plan/checksum';

/**
 * The JSON text staged as a record's raw and its source_hash, as extraction builds them: the hash is always
 * plan/checksum's, and the raw text holds exactly the fields and values `JSON.stringify(record)` holds (staging
 * keeps it as jsonb, which does not keep key order).
 */
describe('recordTexts', () => {
  const records: Record<string, unknown>[] = [
    { id: '1', name: 'Account 1', email: null, balance: '12.50' },
    { id: '2', name: 'Account 2', email: 'a@example.com', balance: '-0.01' },
    // The same keys in another order, then other keys: the canonical order is found again each time.
    { balance: '3', id: '3', email: null, name: 'x' },
    { zeta: 'z', alpha: 'a', Beta: 'B', _u: '_', ä: 'umlaut', '😀': 'emoji', '': 'empty key' },
    // Keys shaped like integers: a new object lists them first, in numeric order, whatever the sort said.
    { b: 'b', 10: 'ten', 2: 'two', a: 'a', '01': 'zero one', '-1': 'minus one' },
    { id: '4', count: 12, ratio: 0.1, big: 1e21, neg: -0, nan: Number.NaN, inf: Infinity, ok: true, no: false },
    { id: '5', gone: undefined, kept: 'yes' },
    { id: '6', text: 'tab\t newline\n quote" backslash\\ \u2028 \u0001 \ud83d\ude00 lone \ud800 end' },
    {},
    // Not flat: the general way, the record's own JSON text.
    { id: '7', nested: { b: 1, a: [2, { d: 3, c: 4 }] } },
    { id: '8', list: ['b', 'a'] },
    { id: '9', when: new Date('2024-01-02T03:04:05.678Z') },
    { id: '10', name: 'after the general way' },
    JSON.parse('{"id": "11", "__proto__": "own key", "name": "n"}') as Record<string, unknown>,
    { id: '12', name: 'flat again' },
  ];

  it('hashes every record as plan/checksum does, and its raw text holds the record’s fields and values', () => {
    for (const record of records) {
      const { raw, hash } = recordTexts(record);
      expect(hash).toBe(checksum(record));
      expect(JSON.parse(raw)).toEqual(JSON.parse(JSON.stringify(record)));
      expect(raw).toHaveLength(JSON.stringify(record).length);
    }
  });

  it('gives a record that is not flat (or has an own __proto__ key) its own JSON text', () => {
    for (const record of records.filter((r) => Object.values(r).some((v) => v !== null && typeof v === 'object')))
      expect(recordTexts(record).raw).toBe(JSON.stringify(record));
    const proto = records.find((r) => Object.prototype.hasOwnProperty.call(r, '__proto__'))!;
    expect(recordTexts(proto).raw).toBe(JSON.stringify(proto));
    expect(JSON.parse(recordTexts(proto).raw)).toHaveProperty(['__proto__'], 'own key');
  });

  it('gives the same texts whatever came before', () => {
    const once = records.map((r) => recordTexts(r));
    expect([...records].reverse().map((r) => recordTexts(r))).toEqual([...once].reverse());
    expect(records.map((r) => recordTexts(r))).toEqual(once);
  });
});
