import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { uniqueId } from './harness';

/**
 * Three objects in one plan: `accounts` and `products` reference nothing, `contacts` references `accounts`
 * (a foreign key in the target too, so a contact loaded before its account is refused by the target itself).
 */
export interface ObjectsScenario {
  migrationId: string;
  schema: string;
  dir: string;
  loaded: LoadedPlan;
  rows: { accounts: number; products: number; contacts: number };
}

export async function objectsScenario(
  staging: Staging,
  options: { accounts: number; products: number; contacts: number; pageSize: number },
): Promise<ObjectsScenario> {
  const migrationId = uniqueId('mig_objects');
  const schema = uniqueId('t');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-objects-'));
  const lines = (header: string, n: number, row: (i: number) => string) =>
    [header, ...Array.from({ length: n }, (_, i) => row(i + 1))].join('\n') + '\n';
  fs.writeFileSync(
    path.join(dir, 'accounts.csv'),
    lines('account_id,name', options.accounts, (i) => `${i},Account ${i}`),
  );
  fs.writeFileSync(
    path.join(dir, 'products.csv'),
    lines('sku,title,price', options.products, (i) => `P${String(i).padStart(6, '0')},Product ${i},${i}.25`),
  );
  fs.writeFileSync(
    path.join(dir, 'contacts.csv'),
    lines(
      'contact_id,account_id,full_name',
      options.contacts,
      (i) => `${i},${((i - 1) % options.accounts) + 1},Contact ${i}`,
    ),
  );
  await staging.sql.unsafe(`
    create schema "${schema}";
    create table "${schema}".accounts (id bigint primary key, name text not null);
    create table "${schema}".products (sku text primary key, title text not null, price numeric(12, 2));
    create table "${schema}".contacts (
      id bigint primary key,
      account_id bigint not null references "${schema}".accounts (id),
      full_name text
    );`);
  const planText = `version: 1
name: Objects ${migrationId}
source:
  kind: csv
  directory: ${JSON.stringify(dir)}
target:
  kind: postgres
  schema: ${schema}
objects:
  - name: accounts
    source: { file: accounts.csv, id: account_id }
    target: { table: accounts, key: id }
    pageSize: ${options.pageSize}
    fields:
      - { from: account_id, to: id, transform: [integer, required] }
      - { from: name, to: name, transform: [trim, required] }
  - name: products
    source: { file: products.csv, id: sku }
    target: { table: products, key: sku }
    pageSize: ${options.pageSize}
    sums: [price]
    fields:
      - { from: sku, to: sku, transform: [trim, required] }
      - { from: title, to: title, transform: [trim, required] }
      - { from: price, to: price, transform: [decimal] }
  - name: contacts
    source: { file: contacts.csv, id: contact_id }
    target: { table: contacts, key: id }
    pageSize: ${options.pageSize}
    fields:
      - { from: contact_id, to: id, transform: [integer, required] }
      - from: account_id
        to: account_id
        transform: [required, { reference: { object: accounts } }, integer]
      - { from: full_name, to: full_name, transform: [trim] }
`;
  const loaded = parsePlan(planText, path.join(dir, 'plan.yaml'));
  return {
    migrationId,
    schema,
    dir,
    loaded,
    rows: { accounts: options.accounts, products: options.products, contacts: options.contacts },
  };
}

export async function dropObjectsScenario(staging: Staging, s: ObjectsScenario): Promise<void> {
  await staging.sql.unsafe(`drop schema if exists "${s.schema}" cascade`);
  await staging.sql`delete from migrations where id = ${s.migrationId}`;
  await staging.sql`delete from audit_log where migration_id = ${s.migrationId}`;
  fs.rmSync(s.dir, { recursive: true, force: true });
}
