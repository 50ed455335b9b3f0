import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CORPUS_FILE, corpusRows, NORTHWIND_TABLES, readCorpus } from '../../scripts/generate/corpus-northwind-data';
import { NORTHWIND_DEFAULT_SEED, PLANTED, plantDirt } from '../../scripts/generate/corpus-northwind-dirt';
import { cents, northwindFacts, outcomes } from '../../scripts/generate/corpus-northwind-facts';

const planted = (seed: number) => {
  const rows = corpusRows(readCorpus());
  const where = plantDirt(rows, seed);
  return { rows, where, facts: northwindFacts(rows, where), outcomes: outcomes(rows, where) };
};

describe('the Northwind corpus loader (pure: no database)', () => {
  it('reads the corpus exactly as the MIT-licensed package ships it', () => {
    const sha = createHash('sha256').update(fs.readFileSync(CORPUS_FILE)).digest('hex');
    expect(sha).toBe('003973ab2f07f88b189d0a801490ba3490ee4ef0811e71b70aae1bedbe6c5132');
    const rows = corpusRows(readCorpus());
    expect(Object.fromEntries(NORTHWIND_TABLES.map((t) => [t, rows[t].length]))).toEqual({
      categories: 8,
      suppliers: 30,
      shippers: 3,
      customers: 91,
      products: 77,
      orders: 830,
      order_details: 2155,
    });
    // The corpus's literal "NULL" is no value; its numbers keep their exact amounts.
    expect(rows.customers.filter((c) => c.region === 'NULL')).toEqual([]);
    expect(rows.orders.find((o) => o.id === 10248)).toMatchObject({
      freight: '32.38',
      order_date: '1996-07-04 00:00:00',
    });
  });

  it('names the table and field of a corpus it cannot read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corpus-'));
    const file = path.join(dir, 'bad.json');
    const corpus = JSON.parse(fs.readFileSync(CORPUS_FILE, 'utf8')) as { orders: { freight: unknown }[] };
    corpus.orders[3]!.freight = 'lots';
    fs.writeFileSync(file, JSON.stringify(corpus));
    try {
      expect(() => readCorpus(file)).toThrow(/bad\.json: orders\.3\.freight: .*restore the file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('plants the same dirt for the same seed, and other dirt for another', () => {
    const a = planted(NORTHWIND_DEFAULT_SEED);
    expect(planted(NORTHWIND_DEFAULT_SEED).rows).toEqual(a.rows);
    expect(planted(NORTHWIND_DEFAULT_SEED + 1).rows.orders).not.toEqual(a.rows.orders);
  });

  it.each([NORTHWIND_DEFAULT_SEED, 1, 42])('accounts for every record exactly once (seed %i)', (seed) => {
    const { rows, facts, outcomes: decided } = planted(seed);
    for (const table of NORTHWIND_TABLES) {
      const e = facts[table].expected;
      const sum = (c: Record<string, number>) => Object.values(c).reduce((x, y) => x + y, 0);
      expect([table, e.loaded + e.deduplicated + sum(e.filtered) + sum(e.quarantined)]).toEqual([
        table,
        rows[table].length,
      ]);
      expect(decided[table].size).toBe(rows[table].length);
    }
    expect(facts.customers.expected).toMatchObject({
      filtered: { 'test-accounts': PLANTED.testCustomers },
      deduplicated: facts.customers.duplicates!.excess,
      quarantined: { required_missing: PLANTED.nullCompanyNames + PLANTED.blankCompanyNames },
    });
    expect(facts.orders.expected.quarantined).toMatchObject({
      invalid_date: PLANTED.dayFirstDates + PLANTED.impossibleDates,
      invalid_currency: PLANTED.badFreight,
      required_missing: PLANTED.nullShipNames,
    });
    // Orphans, plus every order of a customer without a name.
    expect(facts.orders.expected.quarantined.orphan_reference).toBeGreaterThan(PLANTED.orphanOrders);
    expect(facts.order_details.expected).toMatchObject({
      filtered: { 'cancelled-lines': PLANTED.zeroQuantityLines },
      deduplicated: PLANTED.duplicatedLines,
    });
    for (const [, f] of [
      ['orders', facts.orders.sums.freight!],
      ['order_details', facts.order_details.sums.unit_price!],
    ] as const) {
      const c = (s: string) => Math.round(Number(s) * 100);
      expect(c(f.loaded) + c(f.quarantined) + c(f.filtered) + c(f.deduplicated)).toBe(c(f.source));
    }
  });

  it('reads amounts as the currency transform does, and nothing else', () => {
    expect([cents('32.38'), cents('$1,007.64'), cents('8.5'), cents('7')]).toEqual([3238, 100764, 850, 700]);
    expect([cents('TBD'), cents('1,00.5'), cents('12.345'), cents(null)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
