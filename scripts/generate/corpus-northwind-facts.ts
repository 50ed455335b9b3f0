import type { NorthwindTable, Row } from './corpus-northwind-data';
import { PLANTED, TEST_CUSTOMER_PATTERN, type DateClass, type Planted } from './corpus-northwind-dirt';
import { countOutcomes, noDateClasses, type DuplicateFacts, type ExpectedOutcomes, type RecordOutcome } from './facts';

/**
 * The facts of a planted Northwind corpus, in the vocabulary of docs/preferences.md, and the outcome that
 * examples/corpus-northwind.yaml implies for every record (filter → dedupe → transforms in field order →
 * loaded; a reference resolves only to a loaded record, or to a duplicate whose survivor is loaded).
 */

export type Outcome = 'loaded' | 'deduplicated' | `filtered:${string}` | `quarantined:${string}`;

export interface SumFacts {
  /** Exact totals (decimal text) of the values that read as amounts, over every record and by outcome. */
  source: string;
  loaded: string;
  quarantined: string;
  filtered: string;
  deduplicated: string;
  /** Values that are no amount at all (they add to no total). */
  unparsed: number;
}

export interface NorthwindObjectFacts {
  rows: number;
  /** Records where the field is null or blank, for the fields that carry planted or native gaps. */
  blank: Record<string, number>;
  duplicates?: DuplicateFacts;
  /** Per reference field: values that are the id of no record of the referenced table. */
  orphans: Record<string, number>;
  dates?: Record<string, Record<DateClass, number>>;
  typeAnomalies?: Record<string, number>;
  sums: Record<string, SumFacts>;
  planted: Record<string, number>;
  expected: ExpectedOutcomes;
}

/** The plan's filter rule names. */
export const TEST_ACCOUNTS_RULE = 'test-accounts';
export const CANCELLED_LINES_RULE = 'cancelled-lines';

const isBlank = (v: Row[string] | undefined) => v === null || v === undefined || String(v).trim() === '';
const dedupeKey = (v: Row[string] | undefined) =>
  isBlank(v) ? '' : String(v).trim().replace(/\s+/g, ' ').toLowerCase();

/** An amount in cents, as the currency transform reads it ("$1,007.64"); undefined when it is no amount. */
export function cents(value: Row[string] | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const m = /^\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/.exec(String(value).trim());
  if (!m) return undefined;
  return Number(m[1]!.replace(/,/g, '')) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const money = (c: number) => `${Math.trunc(c / 100)}.${String(c % 100).padStart(2, '0')}`;

/** Outcome of every record of every table, by id. */
export function outcomes(
  rows: Record<NorthwindTable, Row[]>,
  planted: Planted,
): Record<NorthwindTable, Map<number, Outcome>> {
  const out = Object.fromEntries(Object.keys(rows).map((t) => [t, new Map<number, Outcome>()])) as Record<
    NorthwindTable,
    Map<number, Outcome>
  >;
  for (const t of ['categories', 'suppliers', 'shippers', 'products'] as const)
    for (const r of rows[t]) out[t].set(Number(r.id), 'loaded');

  /** Groups records by key among those not filtered; every record but the first of its group is a duplicate. */
  const dedupe = (table: NorthwindTable, key: (r: Row) => string) => {
    const survivors = new Map<string, number>();
    const survivorOf = new Map<number, number>();
    for (const r of [...rows[table]].sort((a, b) => Number(a.id) - Number(b.id))) {
      const id = Number(r.id);
      if (out[table].has(id)) continue;
      const k = key(r);
      if (k === '') continue;
      const first = survivors.get(k);
      if (first === undefined) survivors.set(k, id);
      else {
        out[table].set(id, 'deduplicated');
        survivorOf.set(id, first);
      }
    }
    return survivorOf;
  };
  const resolves = (table: NorthwindTable, id: unknown, survivorOf?: Map<number, number>) => {
    const o = out[table].get(Number(id));
    if (o === 'loaded') return true;
    const survivor = survivorOf?.get(Number(id));
    return o === 'deduplicated' && survivor !== undefined && out[table].get(survivor) === 'loaded';
  };
  const decide = (table: NorthwindTable, checks: (r: Row) => string | undefined) => {
    for (const r of rows[table]) {
      const id = Number(r.id);
      if (out[table].has(id)) continue;
      const reason = checks(r);
      out[table].set(id, reason ? `quarantined:${reason}` : 'loaded');
    }
  };

  const testAccount = new RegExp(TEST_CUSTOMER_PATTERN);
  for (const c of rows.customers)
    if (!isBlank(c.company_name) && testAccount.test(String(c.company_name).trim()))
      out.customers.set(Number(c.id), `filtered:${TEST_ACCOUNTS_RULE}`);
  const customerSurvivor = dedupe('customers', (c) => dedupeKey(c.company_name));
  decide('customers', (c) => (isBlank(c.company_name) ? 'required_missing' : undefined));

  decide('orders', (o) => {
    if (!resolves('customers', o.customer_id, customerSurvivor)) return 'orphan_reference';
    const dateClass = planted.dateClasses.get(Number(o.id));
    if (dateClass === 'dayFirst' || dateClass === 'invalid') return 'invalid_date';
    if (cents(o.freight) === undefined) return 'invalid_currency';
    if (isBlank(o.ship_name)) return 'required_missing';
    return undefined;
  });

  for (const l of rows.order_details)
    if (Number(l.quantity) === 0) out.order_details.set(Number(l.id), `filtered:${CANCELLED_LINES_RULE}`);
  dedupe('order_details', (l) => `${String(l.order_id)}|${String(l.product_id)}`);
  decide('order_details', (l) =>
    !resolves('orders', l.order_id) || !resolves('products', l.product_id) ? 'orphan_reference' : undefined,
  );
  return out;
}

/** Every fact of the planted corpus. */
export function northwindFacts(
  rows: Record<NorthwindTable, Row[]>,
  planted: Planted,
): Record<NorthwindTable, NorthwindObjectFacts> {
  const decided = outcomes(rows, planted);
  const facts = {} as Record<NorthwindTable, NorthwindObjectFacts>;
  for (const table of Object.keys(rows) as NorthwindTable[]) {
    const expected = countOutcomes(
      [...decided[table].values()].map((outcome) => {
        const [kind, reason] = outcome.split(':') as [RecordOutcome['kind'], string | undefined];
        return { kind, reason };
      }),
    );
    facts[table] = { rows: rows[table].length, blank: {}, orphans: {}, sums: {}, planted: {}, expected };
  }
  const blank = (table: NorthwindTable, field: string) =>
    (facts[table].blank[field] = rows[table].filter((r) => isBlank(r[field])).length);
  blank('customers', 'company_name');
  blank('orders', 'ship_name');
  blank('orders', 'shipped_date');
  blank('orders', 'freight');

  const sums = (table: NorthwindTable, field: string) => {
    const total = { source: 0, loaded: 0, quarantined: 0, filtered: 0, deduplicated: 0 };
    let unparsed = 0;
    for (const r of rows[table]) {
      const c = cents(r[field]);
      if (c === undefined) {
        if (!isBlank(r[field])) unparsed += 1;
        continue;
      }
      total.source += c;
      const kind = decided[table].get(Number(r.id))!.split(':')[0] as keyof typeof total;
      total[kind] += c;
    }
    facts[table].sums[field] = {
      source: money(total.source),
      loaded: money(total.loaded),
      quarantined: money(total.quarantined),
      filtered: money(total.filtered),
      deduplicated: money(total.deduplicated),
      unparsed,
    };
  };
  sums('products', 'unit_price');
  sums('orders', 'freight');
  sums('order_details', 'unit_price');

  const copies = planted.customerCopies.size;
  facts.customers.duplicates = {
    key: ['company_name'],
    groups: PLANTED.duplicatedCustomers,
    records: PLANTED.duplicatedCustomers + copies,
    excess: copies,
  };
  facts.order_details.duplicates = {
    key: ['order_id', 'product_id'],
    groups: PLANTED.duplicatedLines,
    records: 2 * PLANTED.duplicatedLines,
    excess: PLANTED.duplicatedLines,
  };
  facts.products.orphans = { supplier_id: 0, category_id: 0 };
  facts.orders.orphans = { customer_id: PLANTED.orphanOrders, shipper_id: 0 };
  facts.order_details.orphans = { order_id: 0, product_id: PLANTED.orphanLines };

  const classes: Record<DateClass, number> = noDateClasses();
  for (const c of planted.dateClasses.values()) classes[c] += 1;
  facts.orders.dates = { order_date: classes };
  // Freight is a number field (≥ 90 % plain amounts); "$1,007.64" and the words are of another kind.
  facts.orders.typeAnomalies = { freight: planted.formattedFreight + PLANTED.badFreight };

  facts.customers.planted = {
    copies,
    ordersOnCopies: PLANTED.ordersOnCopies,
    missingCompanyNames: PLANTED.nullCompanyNames + PLANTED.blankCompanyNames,
    testCustomers: PLANTED.testCustomers,
    microsecondTimestamps: planted.microsecondTimestamps.customers,
  };
  facts.orders.planted = {
    orphans: PLANTED.orphanOrders,
    dayFirstDates: PLANTED.dayFirstDates,
    impossibleDates: PLANTED.impossibleDates,
    badFreight: PLANTED.badFreight,
    formattedFreight: planted.formattedFreight,
    missingShipNames: PLANTED.nullShipNames,
    microsecondTimestamps: planted.microsecondTimestamps.orders,
  };
  facts.order_details.planted = {
    zeroQuantity: PLANTED.zeroQuantityLines,
    orphans: PLANTED.orphanLines,
    copies: PLANTED.duplicatedLines,
  };
  return facts;
}
