import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Staging } from '../../staging/db';
import { uniqueId } from './harness';

/**
 * Two CSV systems for merged-migration tests: a "hub" (companies.csv) and a legacy CRM (accounts.csv, deals.csv)
 * feeding one PostgreSQL target (companies keyed by the merged record's ref, deals keyed by the legacy id), with a
 * plan that merges the companies and lands the legacy deals on them.
 */

export interface MergeCsvData {
  /** hub/companies.csv: id,name,domain,phone[,city],revenue,updated */
  hubCompanies: string;
  /** legacy/accounts.csv: account_id,account_name,website,tel[,town],revenue,modified */
  legacyAccounts: string;
  /** legacy/deals.csv: deal_id,account_id,amount */
  legacyDeals: string;
}

export interface MergeCsvOptions {
  /** The companies carry a city (hub `city`, legacy `town`). */
  city?: boolean;
  /** Phones match too (E.164, US numbers without +1), after domains. */
  phoneMatch?: boolean;
}

export interface MergeCsvScenario {
  dir: string;
  schema: string;
  migrationId: string;
  /** The plan file, in `dir`; its review file is `dir/companies.review.yaml`. */
  file: string;
}

export function mergeCsvPlanText(dir: string, schema: string, name: string, options: MergeCsvOptions = {}): string {
  const city = (from: string) => (options.city ? `\n          - { from: ${from}, to: city }` : '');
  return `version: 1
name: ${name}
sources:
  hub: { kind: csv, directory: ${JSON.stringify(path.join(dir, 'hub'))} }
  legacy: { kind: csv, directory: ${JSON.stringify(path.join(dir, 'legacy'))} }
target: { kind: postgres, schema: ${schema} }
objects:
  - name: companies
    target: { table: companies, key: merge_ref }
    sources:
      - source: hub
        object: companies.csv
        id: id
        updatedAt: updated
        fields:
          - { from: name, to: name }
          - { from: domain, to: domain }
          - { from: phone, to: phone }${city('city')}
          - { from: revenue, to: revenue, transform: [decimal] }
      - source: legacy
        object: accounts.csv
        id: account_id
        updatedAt: modified
        fields:
          - { from: account_name, to: name }
          - { from: website, to: domain }
          - { from: tel, to: phone }${city('town')}
          - { from: revenue, to: revenue, transform: [decimal] }
    match:
      - { kind: domain, field: domain }${options.phoneMatch ? '\n      - { kind: phone, field: phone, defaultCountry: US }' : ''}
    survivorship:
      name: { rule: priority, sources: [legacy] }
      revenue: { rule: most_recent }
    review: companies.review.yaml
    sums: [revenue]
  - name: deals
    source: { from: legacy, file: deals.csv, id: deal_id }
    target: { table: deals, key: legacy_id }
    fields:
      - { from: deal_id, to: legacy_id }
      - from: account_id
        to: company_ref
        transform: [{ reference: { object: companies, source: legacy, onMissing: 'null' } }]
      - { from: amount, to: amount, transform: [decimal] }
    sums: [amount]
`;
}

/** The two systems' files, the target's tables in a schema of their own, and the plan: unique to one test. */
export async function mergeCsvScenario(
  staging: Staging,
  data: MergeCsvData,
  options: MergeCsvOptions = {},
): Promise<MergeCsvScenario> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-merge-'));
  fs.mkdirSync(path.join(dir, 'hub'));
  fs.mkdirSync(path.join(dir, 'legacy'));
  fs.writeFileSync(path.join(dir, 'hub', 'companies.csv'), data.hubCompanies);
  fs.writeFileSync(path.join(dir, 'legacy', 'accounts.csv'), data.legacyAccounts);
  fs.writeFileSync(path.join(dir, 'legacy', 'deals.csv'), data.legacyDeals);
  const schema = uniqueId('merge');
  const migrationId = uniqueId('mig_merge');
  await staging.sql.unsafe(`
    create schema "${schema}";
    create table "${schema}".companies (merge_ref text primary key, name text, domain text, phone text, city text,
                                        revenue numeric(14, 2));
    create table "${schema}".deals (legacy_id text primary key, company_ref text, amount numeric(14, 2));`);
  const file = path.join(dir, 'plan.yaml');
  fs.writeFileSync(file, mergeCsvPlanText(dir, schema, `Merge ${migrationId}`, options));
  return { dir, schema, migrationId, file };
}
