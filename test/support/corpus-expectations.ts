import type { NorthwindTable } from '../../scripts/generate/corpus-northwind-data';

/**
 * What examples/corpus-northwind.yaml must make of each legacy Northwind row, written independently of Tern
 * as SQL over the legacy schema: every target column as the text PostgreSQL prints for the target's type,
 * so a loaded row and its source row compare as strings. Nothing here reads staging or Tern's ledger.
 */

/** The key a company name is deduplicated by: trimmed, inner whitespace collapsed, lower-case. */
const nameKey = (column: string) => `nullif(lower(regexp_replace(btrim(${column}), '\\s+', ' ', 'g')), '')`;
/** A legacy timestamp without zone is UTC wall time; the target keeps it to the microsecond. */
const utc = (column: string) => `(${column} at time zone 'UTC')::timestamptz::text`;
/** An amount as the legacy free-text freight holds it: "32.38", "$1,007.64"; anything else is no amount. */
export const AMOUNT_PATTERN = String.raw`^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$`;
const amount = (column: string) =>
  `case when btrim(${column}) ~ '${AMOUNT_PATTERN}' then regexp_replace(btrim(${column}), '[$,]', '', 'g')::numeric end`;

/** Per target table: column → SQL expression over the legacy row `s` (schema `L`). */
const EXPECTED: Record<NorthwindTable, Record<string, string>> = {
  categories: { id: 's.id', name: 'btrim(s.name)', description: 's.description' },
  suppliers: {
    id: 's.id',
    company_name: 'btrim(s.company_name)',
    contact_name: 's.contact_name',
    contact_title: 's.contact_title',
    street: 's.street',
    city: 's.city',
    region: 's.region',
    postal_code: 's.postal_code',
    country: 's.country',
    phone: 's.phone',
  },
  shippers: { id: 's.id', company_name: 'btrim(s.company_name)', phone: 's.phone' },
  customers: {
    id: 's.id',
    customer_key: 'btrim(s.customer_key)',
    company_name: `regexp_replace(btrim(s.company_name), '\\s+', ' ', 'g')`,
    contact_name: 's.contact_name',
    contact_title: 's.contact_title',
    street: 's.street',
    city: 's.city',
    region: 's.region',
    postal_code: 's.postal_code',
    country: 's.country',
    phone: 's.phone',
    source_updated_at: utc('s.updated_at'),
  },
  products: {
    id: 's.id',
    name: 'btrim(s.name)',
    supplier_id: 's.supplier_id',
    category_id: 's.category_id',
    quantity_per_unit: 's.quantity_per_unit',
    unit_price: 's.unit_price::numeric(10, 2)',
    units_in_stock: 's.units_in_stock',
    units_on_order: 's.units_on_order',
    reorder_level: 's.reorder_level',
    discontinued: 's.discontinued',
  },
  orders: {
    id: 's.id',
    // An order booked on a duplicate customer belongs to the first customer of that name.
    customer_id: `coalesce((select min(d.id) from L.customers c join L.customers d
        on ${nameKey('d.company_name')} = ${nameKey('c.company_name')} where c.id = s.customer_id), s.customer_id)`,
    customer_key: 's.customer_key',
    // The legacy clerks typed ISO or American month-first dates.
    order_date: `case when btrim(s.order_date) ~ '^\\d{4}-' then btrim(s.order_date)::date
        else to_date(btrim(s.order_date), 'MM/DD/YYYY') end`,
    required_date: 's.required_date',
    shipped_date: utc('s.shipped_date'),
    freight: `(${amount('s.freight')})::numeric(10, 2)`,
    ship_name: 'btrim(s.ship_name)',
    ship_street: 's.ship_street',
    ship_city: 's.ship_city',
    ship_region: 's.ship_region',
    ship_postal_code: 's.ship_postal_code',
    ship_country: 's.ship_country',
    shipper_id: 's.shipper_id',
    source_updated_at: utc('s.updated_at'),
  },
  order_details: {
    id: 's.id',
    order_id: 's.order_id',
    product_id: 's.product_id',
    unit_price: 's.unit_price::numeric(10, 2)',
    quantity: 's.quantity',
    discount: 's.discount::numeric(4, 2)',
  },
};

/** The legacy rows of one table whose id is in the target, each column as the target must print it. */
export function expectedRowsSql(legacy: string, target: string, table: NorthwindTable): string {
  const columns = Object.entries(EXPECTED[table])
    .map(([column, expr]) => `(${expr.replace(/\bL\./g, `"${legacy}".`)})::text as "${column}"`)
    .join(',\n    ');
  return `select ${columns}
    from "${legacy}"."${table}" s
    where s.id in (select id from "${target}"."${table}")`;
}

/** Every row of a target table, each column of the plan as text. */
export function targetRowsSql(target: string, table: NorthwindTable): string {
  const columns = Object.keys(EXPECTED[table])
    .map((c) => `"${c}"::text as "${c}"`)
    .join(', ');
  return `select ${columns} from "${target}"."${table}"`;
}

/** The money columns the plan sums, by table. */
export const TARGET_SUM_COLUMNS: [NorthwindTable, string][] = [
  ['products', 'unit_price'],
  ['orders', 'freight'],
  ['order_details', 'unit_price'],
];

/** Sum(source) of a money column over every legacy row, and how many non-blank values are no amount. */
export function sourceSumSql(legacy: string, table: NorthwindTable, field: string): string {
  const value = `s."${field}"::text`;
  return `select coalesce(sum(${amount(value)}), 0)::numeric(14, 2)::text as total,
      count(*) filter (where btrim(${value}) <> '' and ${amount(value)} is null)::int as unparsed
    from "${legacy}"."${table}" s`;
}
