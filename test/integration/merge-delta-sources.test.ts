import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { testEnv, uniqueId, useTernEnvironment, withWorker } from '../support/harness';

/**
 * A merged object's delta reads of a SQL source only what changed since that source's own mark (its updated-at
 * column), with its ids listed: an updated row, a new row whose updated-at is old, and a deleted row all reach the
 * target; the hub's CSV is read whole. Real Temporal and PostgreSQL; counted from the target table.
 */

const URL_ENV = 'MERGE_DELTA_LEGACY_URL';

describe('merged object delta over a SQL source read by what changed', () => {
  const t = useTernEnvironment();
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => {
    ({ staging, client, settings } = t);
    process.env[URL_ENV] = testEnv().databaseUrl;
  });

  it('carries updates, late-dated new rows and deletions of the SQL source into the merged target', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-merge-delta-'));
    fs.writeFileSync(
      path.join(dir, 'companies.csv'),
      'id,name,domain,revenue,updated\n1,Acme Corp,acme.com,100,2024-01-01\n2,Globex,globex.com,200,2024-02-01\n',
    );
    const legacy = uniqueId('merge_legacy');
    const target = uniqueId('merge_target');
    await staging.sql.unsafe(`
      create schema "${legacy}";
      create table "${legacy}".accounts (account_id text primary key, account_name text, website text,
                                         revenue numeric(14, 2), modified timestamptz not null);
      insert into "${legacy}".accounts values
        ('9', 'ACME Corporation', 'acme.com', 120, now() - interval '2 days'),
        ('10', 'Umbrella', 'umbrella.com', 75, now() - interval '2 days'),
        ('11', 'Initech', 'initech.com', 60, now() - interval '2 days');
      create schema "${target}";
      create table "${target}".companies (merge_ref text primary key, name text, domain text, revenue numeric(14, 2));`);
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(
      file,
      `version: 1
name: Merge delta ${legacy}
sources:
  hub: { kind: csv, directory: ${JSON.stringify(dir)} }
  legacy: { kind: postgres, urlEnv: ${URL_ENV}, schema: ${legacy} }
target: { kind: postgres, schema: ${target} }
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
          - { from: revenue, to: revenue, transform: [decimal] }
      - source: legacy
        object: accounts
        id: account_id
        updatedAt: modified
        fields:
          - { from: account_name, to: name }
          - { from: website, to: domain }
          - { from: revenue, to: revenue, transform: [decimal] }
    match:
      - { kind: domain, field: domain }
    survivorship:
      revenue: { rule: most_recent }
`,
    );
    const loaded = parsePlan(fs.readFileSync(file, 'utf8'), file);
    const migrationId = uniqueId('mig_merge_delta');
    const rows = () =>
      staging.sql.unsafe<{ merge_ref: string; name: string; revenue: string }[]>(
        `select merge_ref, name, revenue::text as revenue from "${target}".companies order by merge_ref`,
      );
    await withWorker(settings, staging, async () => {
      const full = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      expect((await full.handle.result()).ok).toBe(true);
      expect((await rows()).map((r) => r.merge_ref)).toEqual(['hub/1', 'hub/2', 'legacy/10', 'legacy/11']);

      await staging.sql.unsafe(`
        update "${legacy}".accounts set revenue = 130, modified = now() where account_id = '9';
        insert into "${legacy}".accounts values ('12', 'Hooli', 'hooli.com', 10, now() - interval '30 days');
        delete from "${legacy}".accounts where account_id = '11';`);
      const delta = await startPhase(client, settings, staging.db, loaded, { phase: 'delta', migrationId });
      const result = await delta.handle.result();
      expect(result.ok).toBe(true);
      expect(result.objects[0]!.merge!.sources).toEqual([
        {
          source: 'hub',
          read: 2,
          survivors: 2,
          mergedInto: 0,
          quarantined: 0,
          filtered: 0,
          deleted: 0,
          unaccounted: 0,
        },
        {
          source: 'legacy',
          read: 4,
          survivors: 2,
          mergedInto: 1,
          quarantined: 0,
          filtered: 0,
          deleted: 1,
          unaccounted: 0,
        },
      ]);
    });
    // Acme's revenue is legacy/9's, updated now; Hooli arrived with an old updated-at; Initech left the legacy CRM.
    expect(await rows()).toEqual([
      { merge_ref: 'hub/1', name: 'Acme Corp', revenue: '130.00' },
      { merge_ref: 'hub/2', name: 'Globex', revenue: '200.00' },
      { merge_ref: 'legacy/10', name: 'Umbrella', revenue: '75.00' },
      { merge_ref: 'legacy/12', name: 'Hooli', revenue: '10.00' },
    ]);
    const [audit] = await staging.sql<{ details: { readReason: string } }[]>`
      select details from audit_log where migration_id = ${migrationId} and action = 'delta.extracted'`;
    expect(audit!.details.readReason).toContain('hub whole, legacy changed rows and the ids');
    await staging.sql.unsafe(`drop schema "${legacy}" cascade; drop schema "${target}" cascade`);
  });
});
