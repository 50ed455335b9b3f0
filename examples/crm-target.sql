-- The target of examples/legacy-crm.yaml: the legacy CRM as a clean new system defines it. Idempotent.
--
-- legacy_id is Tern's key (the source id of each record) and the primary key: Tern reports the primary key
-- as a record's target id, so a reference (contacts.account_legacy_id, deals.account_legacy_id,
-- activities.deal_legacy_id, activities.contact_legacy_id) stores the referenced record's legacy id. No
-- foreign keys: objects load page by page, and the plan's references already guarantee that every
-- referenced record is loaded.
create schema if not exists crm_target;

create table if not exists crm_target.accounts (
  legacy_id text primary key,
  name text not null,
  industry text,
  website text,
  country char(2) check (country ~ '^[A-Z]{2}$'), -- ISO 3166-1 alpha-2
  created_on date,
  owner text, -- the new system's user (email)
  source_updated_at timestamptz
);

create table if not exists crm_target.contacts (
  legacy_id text primary key,
  account_legacy_id text, -- the account's legacy id (the survivor's, for a duplicate account)
  first_name text,
  last_name text,
  email text,
  phone text check (phone ~ '^\+[1-9][0-9]{1,14}$'), -- E.164
  tags text[],
  created_on date,
  owner text,
  source_updated_at timestamptz
);
create index if not exists contacts_account_legacy_id_idx on crm_target.contacts (account_legacy_id);
create index if not exists contacts_email_idx on crm_target.contacts (email);

create table if not exists crm_target.deals (
  legacy_id text primary key,
  account_legacy_id text,
  name text,
  stage text not null check (stage in ('New', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost')),
  amount numeric(14, 2),
  close_date date,
  owner text,
  source_updated_at timestamptz
);
create index if not exists deals_account_legacy_id_idx on crm_target.deals (account_legacy_id);

create table if not exists crm_target.activities (
  legacy_id text primary key,
  deal_legacy_id text,
  contact_legacy_id text,
  kind text not null,
  subject text,
  occurred_at timestamptz,
  notes text,
  source_updated_at timestamptz
);
create index if not exists activities_deal_legacy_id_idx on crm_target.activities (deal_legacy_id);
create index if not exists activities_contact_legacy_id_idx on crm_target.activities (contact_legacy_id);
