-- The target of examples/merge-crm-to-postgres.yaml: one CRM made of HubSpot's and the legacy CRM's records.
-- Idempotent.
--
-- merge_ref is Tern's key for a merged object: the ref of the group's anchor record ("hubspot/18000000133", or
-- "legacy/47" for a company only the legacy CRM has). It is the primary key, so a reference (people.company_ref,
-- deals.company_ref) stores the merged company's ref whichever system the referring record came from. deals is
-- a one-source object: its key is the legacy deal id. No foreign keys: objects load page by page, and the
-- plan's references already guarantee that every referenced record is loaded.
create schema if not exists merged;

create table if not exists merged.companies (
  merge_ref text primary key,
  name text not null,
  domain text, -- host only, lower-case, without www.
  country char(2), -- ISO 3166-1 alpha-2
  industry text,
  customer_since date,
  annual_revenue numeric(14, 2),
  notes text
);

create table if not exists merged.people (
  merge_ref text primary key,
  first_name text,
  last_name text,
  email text,
  phone text check (phone ~ '^\+[1-9][0-9]{1,14}$'), -- E.164
  tags text[],
  company_ref text
);
create index if not exists people_company_ref_idx on merged.people (company_ref);

create table if not exists merged.deals (
  legacy_id text primary key,
  company_ref text,
  title text,
  stage text,
  amount numeric(14, 2),
  close_date date
);
create index if not exists deals_company_ref_idx on merged.deals (company_ref);
