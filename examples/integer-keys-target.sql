-- Target of examples/integer-keys.yaml: integer keys and integer foreign keys.
create schema if not exists integer_keys_target;
create table if not exists integer_keys_target.accounts (
  id bigint primary key,
  name text not null,
  credit_limit numeric(12, 2),
  opened_at timestamptz
);
create table if not exists integer_keys_target.contacts (
  id bigint primary key,
  account_id bigint not null references integer_keys_target.accounts (id),
  full_name text,
  email text
);
