import { seededRandom } from '../../common/random';
import type { NorthwindTable, Row } from './corpus-northwind-data';

/**
 * The dirt planted into the Northwind corpus, deterministically from a seed, with exact counts. Each kind of
 * dirt lands on records no other planted dirt touches (a record has at most one planted fault), so the
 * outcome of every record follows from its own fault and from the records it references.
 */

export const NORTHWIND_DEFAULT_SEED = 20261206;

/** How much of each kind is planted. */
export const PLANTED = {
  /** Customers copied under a respelled name (ASCII names only, so every database lower-cases them alike). */
  duplicatedCustomers: 10,
  /** Of those, customers copied twice. */
  customersCopiedTwice: 2,
  /** Orders moved from a customer to one of its copies (the legacy system booked them on the duplicate). */
  ordersOnCopies: 15,
  /** Customers whose required company name is missing: null, or only spaces. */
  nullCompanyNames: 2,
  blankCompanyNames: 1,
  /** Scratch customers the plan filters out. */
  testCustomers: 2,
  /** Orders whose customer id points at no customer. */
  orphanOrders: 6,
  /** Orders whose hand-typed date is day-first (day above 12) where the legacy system wrote month-first. */
  dayFirstDates: 5,
  /** Orders whose date does not exist (02/30, 04/31). */
  impossibleDates: 2,
  /** Orders whose freight is text that is no amount. */
  badFreight: 6,
  /** Orders without the required ship name. */
  nullShipNames: 2,
  /** Order lines of quantity 0 (cancelled lines), filtered by the plan. */
  zeroQuantityLines: 5,
  /** Order lines whose product id points at no product. */
  orphanLines: 4,
  /** Order lines entered twice (a copy under a new id). */
  duplicatedLines: 7,
} as const;

export const TEST_CUSTOMER_NAMES = ['TEST ACCOUNT - DO NOT USE', 'ZZZ OLD IMPORT (DELETE ME)'];
/** The example plan's filter for scratch customers. */
export const TEST_CUSTOMER_PATTERN = '^(TEST|ZZZ) ';
export const BAD_FREIGHT = ['TBD', 'n/a', 'see invoice', 'pending', '?', 'N/A'];
/** Ids above every id of the corpus, for planted rows and dangling references. */
export const FIRST_CUSTOMER_COPY_ID = 9001;
export const FIRST_TEST_CUSTOMER_ID = 9101;
export const FIRST_MISSING_CUSTOMER_ID = 9501;
export const FIRST_LINE_COPY_ID = 5001;
export const FIRST_MISSING_PRODUCT_ID = 9901;

export type DateClass = 'iso' | 'monthFirst' | 'dayFirst' | 'ambiguous' | 'sameDayMonth' | 'invalid';

/** What was planted where, by record id, for the facts. */
export interface Planted {
  /** Copy id → the id of the customer it copies. */
  customerCopies: Map<number, number>;
  /** Order id → the class its order_date text was written in. */
  dateClasses: Map<number, DateClass>;
  formattedFreight: number;
  microsecondTimestamps: Record<'customers' | 'orders', number>;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A deterministic sample of `n` items of `pool` (a partial Fisher–Yates shuffle of a copy). */
function sample<T>(random: () => number, pool: readonly T[], n: number): T[] {
  if (pool.length < n) throw new Error(`cannot plant ${n} faults in a pool of ${pool.length} records`);
  const items = [...pool];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (items.length - i));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, n);
}

/** A timestamp `seconds` after `base` (UTC text) with a microsecond part that milliseconds cannot hold. */
function withMicroseconds(random: () => number, base: string, maxSeconds: number): string {
  const start = Date.parse(`${base.slice(0, 10)}T00:00:00Z`);
  const at = new Date(start + Math.floor(random() * maxSeconds) * 1000).toISOString();
  let micros = 1 + Math.floor(random() * 999_999);
  if (micros % 1000 === 0) micros += 1;
  return `${at.slice(0, 10)} ${at.slice(11, 19)}.${pad(micros, 6)}`;
}

/** How a careless clerk respells a company name: every spelling is the same name once normalised. */
const RESPELL = [
  (n: string) => n.toLowerCase(),
  (n: string) => `  ${n} `,
  (n: string) => n.replace(/ /g, '  '),
  (n: string) => n.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase()),
];

/** Plants every kind of dirt into `rows` (changed in place) and returns where. */
export function plantDirt(rows: Record<NorthwindTable, Row[]>, seed: number): Planted {
  const random = seededRandom(seed);
  const planted: Planted = {
    customerCopies: new Map(),
    dateClasses: new Map(),
    formattedFreight: 0,
    microsecondTimestamps: { customers: 0, orders: 0 },
  };
  const { customers, orders, order_details: lines } = rows;
  const ordersOf = (customerId: Cell) => orders.filter((o) => o.customer_id === customerId);

  // Customers: copies, missing names, scratch accounts.
  const withOrders = customers.filter((c) => ordersOf(c.id).length > 0);
  const copied = sample(
    random,
    withOrders.filter((c) => /^[\x20-\x7e]+$/.test(String(c.company_name))),
    PLANTED.duplicatedCustomers,
  );
  let copyId = FIRST_CUSTOMER_COPY_ID;
  const copies: Row[] = [];
  copied.forEach((original, i) => {
    for (let k = 0; k < (i < PLANTED.customersCopiedTwice ? 2 : 1); k++) {
      const name = RESPELL[(i + k) % RESPELL.length]!(String(original.company_name));
      copies.push({ ...original, id: copyId, company_name: name });
      planted.customerCopies.set(copyId++, Number(original.id));
    }
  });
  const copiedIds = new Set(copied.map((c) => c.id));
  const nameless = sample(
    random,
    withOrders.filter((c) => !copiedIds.has(c.id)),
    PLANTED.nullCompanyNames + PLANTED.blankCompanyNames,
  );
  nameless.forEach((c, i) => (c.company_name = i < PLANTED.nullCompanyNames ? null : '   '));
  const scratch = TEST_CUSTOMER_NAMES.slice(0, PLANTED.testCustomers).map((name, i) => ({
    ...customers[i]!,
    id: FIRST_TEST_CUSTOMER_ID + i,
    customer_key: `TEST${i + 1}`,
    company_name: name,
  }));
  customers.push(...copies, ...scratch);
  for (const c of customers) {
    c.updated_at = withMicroseconds(random, '1998-05-06', 180 * 86_400);
    planted.microsecondTimestamps.customers += 1;
  }

  // Orders: each fault on its own orders, none on orders of a nameless customer (they are quarantined anyway).
  const namelessIds = new Set(nameless.map((c) => c.id));
  const used = new Set<Cell>();
  const take = (pool: readonly Row[], n: number) => {
    const picked = sample(
      random,
      pool.filter((o) => !used.has(o.id) && !namelessIds.has(o.customer_id)),
      n,
    );
    for (const o of picked) used.add(o.id);
    return picked;
  };
  const copiesOf = (id: Cell) => [...planted.customerCopies].filter(([, of]) => of === id).map(([c]) => c);
  take(
    orders.filter((o) => copiedIds.has(o.customer_id)),
    PLANTED.ordersOnCopies,
  ).forEach((o, i) => {
    const ids = copiesOf(o.customer_id);
    o.customer_id = ids[i % ids.length]!;
  });
  take(orders, PLANTED.orphanOrders).forEach((o, i) => (o.customer_id = FIRST_MISSING_CUSTOMER_ID + i));
  const dayOf = (o: Row) => Number(String(o.order_date).slice(8, 10));
  for (const o of take(
    orders.filter((x) => dayOf(x) > 12),
    PLANTED.dayFirstDates,
  )) {
    const d = String(o.order_date);
    o.order_date = `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
    planted.dateClasses.set(Number(o.id), 'dayFirst');
  }
  take(orders, PLANTED.impossibleDates).forEach((o, i) => {
    o.order_date = `${i % 2 === 0 ? '02/30' : '04/31'}/${String(o.order_date).slice(0, 4)}`;
    planted.dateClasses.set(Number(o.id), 'invalid');
  });
  take(orders, PLANTED.badFreight).forEach((o, i) => (o.freight = BAD_FREIGHT[i % BAD_FREIGHT.length]!));
  take(orders, PLANTED.nullShipNames).forEach((o) => (o.ship_name = null));

  // Every other order date as the clerks typed it: mostly ISO, a quarter month-first with slashes.
  for (const o of orders) {
    o.updated_at = withMicroseconds(random, '1996-07-04', 700 * 86_400);
    planted.microsecondTimestamps.orders += 1;
    if (planted.dateClasses.has(Number(o.id))) continue;
    const d = String(o.order_date);
    const [y, m, day] = [d.slice(0, 4), Number(d.slice(5, 7)), Number(d.slice(8, 10))];
    if (random() < 0.75) {
      o.order_date = d.slice(0, 10);
      planted.dateClasses.set(Number(o.id), 'iso');
    } else {
      o.order_date = `${pad(m)}/${pad(day)}/${y}`;
      planted.dateClasses.set(Number(o.id), day > 12 ? 'monthFirst' : day === m ? 'sameDayMonth' : 'ambiguous');
    }
    // A few amounts as an invoice prints them: "$1,007.64".
    if (!BAD_FREIGHT.includes(String(o.freight)) && random() < 0.03) {
      const [units, cents] = Number(o.freight).toFixed(2).split('.');
      o.freight = `$${units!.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
      planted.formattedFreight += 1;
    }
  }

  // Order lines: only on orders no planted fault touches, so each line has one fault at most.
  const cleanOrders = new Set(orders.filter((o) => !used.has(o.id)).map((o) => o.id));
  const usedLines = new Set<Cell>();
  const takeLines = (n: number) => {
    const picked = sample(
      random,
      lines.filter((l) => cleanOrders.has(l.order_id) && !usedLines.has(l.id)),
      n,
    );
    for (const l of picked) usedLines.add(l.id);
    return picked;
  };
  takeLines(PLANTED.zeroQuantityLines).forEach((l) => (l.quantity = 0));
  takeLines(PLANTED.orphanLines).forEach((l, i) => (l.product_id = FIRST_MISSING_PRODUCT_ID + i));
  const lineCopies = takeLines(PLANTED.duplicatedLines).map((l, i) => ({ ...l, id: FIRST_LINE_COPY_ID + i }));
  lines.push(...lineCopies);
  return planted;
}

type Cell = Row[string] | undefined;
