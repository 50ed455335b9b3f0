-- The target of examples/corpus-northwind.yaml: Northwind as a clean new system defines it. Idempotent.
--
-- Every table keeps the legacy integer id as its primary key, which is also Tern's key (target.key: id), so a
-- reference (products.supplier_id, orders.customer_id, order_details.order_id…) stores the referenced
-- record's id and the database enforces it with a foreign key: objects load parents first, and a rollback
-- removes children first. Money is numeric(10, 2); timestamps keep microseconds.
create schema if not exists northwind_target;

create table if not exists northwind_target.categories (
  id integer primary key,
  name text not null,
  description text
);

create table if not exists northwind_target.suppliers (
  id integer primary key,
  company_name text not null,
  contact_name text,
  contact_title text,
  street text,
  city text,
  region text,
  postal_code text,
  country text,
  phone text
);

create table if not exists northwind_target.shippers (
  id integer primary key,
  company_name text not null,
  phone text
);

create table if not exists northwind_target.customers (
  id integer primary key,
  customer_key text not null,
  company_name text not null,
  contact_name text,
  contact_title text,
  street text,
  city text,
  region text,
  postal_code text,
  country text,
  phone text,
  source_updated_at timestamptz not null
);

create table if not exists northwind_target.products (
  id integer primary key,
  name text not null,
  supplier_id integer references northwind_target.suppliers (id),
  category_id integer references northwind_target.categories (id),
  quantity_per_unit text,
  unit_price numeric(10, 2) not null,
  units_in_stock integer,
  units_on_order integer,
  reorder_level integer,
  discontinued boolean not null
);

create table if not exists northwind_target.orders (
  id integer primary key,
  customer_id integer not null references northwind_target.customers (id), -- a duplicate's orders go to its survivor
  customer_key text,
  order_date date not null,
  required_date date,
  shipped_date timestamptz,
  freight numeric(10, 2) not null,
  ship_name text not null,
  ship_street text,
  ship_city text,
  ship_region text,
  ship_postal_code text,
  ship_country text,
  shipper_id integer references northwind_target.shippers (id),
  source_updated_at timestamptz not null
);
create index if not exists orders_customer_id_idx on northwind_target.orders (customer_id);

create table if not exists northwind_target.order_details (
  id integer primary key,
  order_id integer not null references northwind_target.orders (id),
  product_id integer not null references northwind_target.products (id),
  unit_price numeric(10, 2) not null,
  quantity integer not null check (quantity > 0),
  discount numeric(4, 2) not null
);
create index if not exists order_details_order_id_idx on northwind_target.order_details (order_id);
create index if not exists order_details_product_id_idx on northwind_target.order_details (product_id);
