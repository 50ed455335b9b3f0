-- The demo's target: a clean customers table, as a new system would define it.
create schema if not exists demo_target;
create table if not exists demo_target.customers (
  id bigserial primary key,
  legacy_id text not null,
  first_name text,
  last_name text,
  email text,
  signup_date date,
  country text,
  lifetime_value numeric(14, 2),
  is_active boolean,
  source_updated_at timestamptz,
  created_at timestamptz not null default now()
);
-- Tern finds records by their legacy id (after a retry, and to read them back): index it.
create index if not exists customers_legacy_id_idx on demo_target.customers (legacy_id);
