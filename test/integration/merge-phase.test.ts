import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { loadPlanFile, parsePlan } from '../../plan/load';
import { writeMergeReview } from '../../scripts/commands/merge-review';
import { validatePlan } from '../../scripts/commands/validate-plan';
import { buildProofPack } from '../../report/load';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { useTernEnvironment, withWorker } from '../support/harness';
import { mergeCsvScenario } from '../support/merge-csv';

/**
 * A merged migration end to end on real Temporal and PostgreSQL: two CSV systems (a "hub" and a legacy CRM) feed one
 * companies table, the legacy deals reference the legacy accounts and land on the merged companies, and a rollback
 * leaves the target as before. Everything is counted from the target tables.
 */

const HUB_COMPANIES = `id,name,domain,phone,city,revenue,updated
1,Acme Corp,acme.com,+1 415 555 0100,San Francisco,100.50,2024-01-01
2,Globex,globex.com,,Springfield,200,2024-02-01
3,Initech,,+1 212 555 0199,New York,50,2024-03-01
4,Hooli,hooli.com,,Palo Alto,10,2024-03-01
`;
const LEGACY_ACCOUNTS = `account_id,account_name,website,tel,town,revenue,modified
9,ACME Corporation,WWW.Acme.COM,(415) 555-0100,San Francisco,120,2024-05-01
10,Umbrella,umbrella.com,,Raccoon City,75,2024-01-01
11,Initech LLC,initech.com,212-555-0199,New York,60,2023-01-01
12,Hooli Inc,hooli.com,,Palo Alto,11,2024-01-01
13,Hooli Holdings,HOOLI.COM,,Palo Alto,12,2024-01-01
,No Id Ltd,noid.com,,,1,2024-01-01
`;
const LEGACY_DEALS = `deal_id,account_id,amount
100,9,1000
101,10,500
102,11,300
103,404,5
`;

describe('merged migration: two systems into one target on real Temporal and PostgreSQL', () => {
  const t = useTernEnvironment();
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  const scenario = () =>
    mergeCsvScenario(
      staging,
      { hubCompanies: HUB_COMPANIES, legacyAccounts: LEGACY_ACCOUNTS, legacyDeals: LEGACY_DEALS },
      { city: true, phoneMatch: true },
    );

  const companies = async (schema: string) =>
    staging.sql.unsafe<{ merge_ref: string; name: string; domain: string | null; revenue: string }[]>(
      `select merge_ref, name, domain, revenue::text as revenue from "${schema}".companies order by merge_ref`,
    );

  it('loads one company per real-world company, with each value from the rule that chose it, and rolls back', async () => {
    const s = await scenario();
    const loaded = parsePlan(fs.readFileSync(s.file, 'utf8'), s.file);
    await withWorker(settings, staging, async () => {
      // The sample first (about 10%, with what its records reference): it proves itself like any phase.
      const sample = await startPhase(client, settings, staging.db, loaded, {
        phase: 'sample',
        migrationId: s.migrationId,
      });
      const sampled = await sample.handle.result();
      expect(sampled.ok).toBe(true);
      expect(sampled.objects.every((o) => o.unaccounted === 0 && o.checksumMismatches === 0)).toBe(true);
      const full = await startPhase(client, settings, staging.db, loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      const result = await full.handle.result();
      const byObject = Object.fromEntries(result.objects.map((o) => [o.object, o]));
      // 4 hub + 6 legacy lines: Acme (hub/1 + legacy/9, by domain), Initech (hub/3 + legacy/11, by phone) merged;
      // Hooli (hub/4, legacy/12, legacy/13) awaits review (two legacy records); legacy's line without an id is
      // quarantined at extraction.
      expect(byObject.companies).toMatchObject({
        source: 10,
        loaded: 4, // hub/1 (Acme), hub/2 (Globex), hub/3 (Initech), legacy/10 (Umbrella)
        deduplicated: 2, // legacy/9 → hub/1, legacy/11 → hub/3
        quarantined: 4, // the three Hooli records awaiting review, the line without an id
        unaccounted: 0,
        checksumMismatches: 0,
      });
      // Per source: every record it gave is a survivor, merged into another, or quarantined.
      expect(byObject.companies!.merge).toEqual({
        sources: [
          {
            source: 'hub',
            read: 4,
            survivors: 3,
            mergedInto: 0,
            quarantined: 1,
            filtered: 0,
            deleted: 0,
            unaccounted: 0,
          },
          {
            source: 'legacy',
            read: 6,
            survivors: 1,
            mergedInto: 2,
            quarantined: 3,
            filtered: 0,
            deleted: 0,
            unaccounted: 0,
          },
        ],
        groups: { merged: 2, mergedRecords: 4, review: 1, reviewRecords: 3, rejected: 0, single: 2 },
        sums: {
          revenue: {
            // Globex (hub) 200 + Umbrella (legacy) 75: not merged, so the sources add up to the target.
            single: { bySource: { hub: '200', legacy: '75' }, total: '275', merged: '275', ok: true },
            // Acme and Initech: each source's figure beside the rule's (most recent: 120 + 50).
            merged: { groups: 2, bySource: { hub: '150.50', legacy: '180' }, outcome: '170' },
          },
        },
        ok: true,
      });
      expect(byObject.deals).toMatchObject({ source: 4, loaded: 4, quarantined: 0, checksumMismatches: 0 });

      const target = await companies(s.schema);
      expect(target.map((c) => c.merge_ref)).toEqual(['hub/1', 'hub/2', 'hub/3', 'legacy/10']);
      const acme = target.find((c) => c.merge_ref === 'hub/1')!;
      // name: legacy first; revenue: the most recently updated record (legacy/9, 2024-05-01).
      expect(acme).toMatchObject({ name: 'ACME Corporation', revenue: '120.00' });
      const initech = target.find((c) => c.merge_ref === 'hub/3')!;
      // revenue: hub/3 (2024-03-01) is more recent than legacy/11 (2023-01-01).
      expect(initech).toMatchObject({ name: 'Initech LLC', revenue: '50.00' });

      // A legacy deal pointing at legacy/9 lands on the merged Acme (hub/1); one pointing nowhere keeps no company.
      const deals = await staging.sql.unsafe<{ legacy_id: string; company_ref: string | null }[]>(
        `select legacy_id, company_ref from "${s.schema}".deals order by legacy_id`,
      );
      expect(deals).toEqual([
        { legacy_id: '100', company_ref: 'hub/1' },
        { legacy_id: '101', company_ref: 'legacy/10' },
        { legacy_id: '102', company_ref: 'hub/3' },
        { legacy_id: '103', company_ref: null },
      ]);

      const lineage = await staging.sql<{ field: string; source: string; source_id: string; rule: string }[]>`
        select field, source, source_id, rule from merge_lineage
        where migration_id = ${s.migrationId} and object = 'companies' and merged_ref = 'hub/1'
        order by field`;
      expect(lineage).toEqual(
        expect.arrayContaining([
          { field: 'name', source: 'legacy', source_id: '9', rule: 'priority' },
          { field: 'revenue', source: 'legacy', source_id: '9', rule: 'most_recent' },
          { field: 'city', source: 'hub', source_id: '1', rule: 'priority' },
        ]),
      );

      // The group under review: `tern merge review` writes it for a person; validation fails until it is decided.
      const review = await writeMergeReview(staging, loaded, 'companies', { migrationId: s.migrationId });
      expect(review).toMatchObject({ records: 3, decided: [], dropped: [] });
      expect(review.undecided).toHaveLength(1);
      const [hooli] = review.undecided;
      const written = fs.readFileSync(path.join(s.dir, 'companies.review.yaml'), 'utf8');
      expect(written).toContain('hub/4');
      expect(written).toContain('legacy/12');
      expect(written).toContain('legacy/13');
      const pending = loadPlanFile(s.file);
      const refused = await validatePlan(pending, { offline: true, env: {} });
      const awaiting = refused.findings.filter((f) => f.path === 'objects.0.review');
      expect(awaiting.map((f) => f.severity)).toEqual(['error']);
      expect(awaiting[0]!.message).toContain(hooli!);
      // A person decides: the three are one company. The delta merges them, and every source record is accounted for.
      fs.writeFileSync(
        path.join(s.dir, 'companies.review.yaml'),
        written.replace(/^( *)decision: null$/m, '$1decision: merge'),
      );
      // Meanwhile the hub gains Umbrella, which the legacy CRM already gave the target: the merged record keeps the
      // key it was written under (legacy/10), so the rows and references that hold it stay true.
      fs.appendFileSync(
        path.join(s.dir, 'hub', 'companies.csv'),
        '5,Umbrella Corp,umbrella.com,,Raccoon City,80,2024-06-01\n',
      );
      const decided = loadPlanFile(s.file);
      expect(
        (await validatePlan(decided, { offline: true, env: {} })).findings.filter((f) => f.path === 'objects.0.review'),
      ).toEqual([]);
      const delta = await startPhase(client, settings, staging.db, decided, {
        phase: 'delta',
        migrationId: s.migrationId,
      });
      const after = Object.fromEntries((await delta.handle.result()).objects.map((o) => [o.object, o]));
      expect(after.companies).toMatchObject({
        source: 11,
        loaded: 5,
        deduplicated: 5,
        quarantined: 1,
        unaccounted: 0,
        checksumMismatches: 0,
      });
      expect(after.companies!.merge!.sources).toEqual([
        {
          source: 'hub',
          read: 5,
          survivors: 4,
          mergedInto: 1,
          quarantined: 0,
          filtered: 0,
          deleted: 0,
          unaccounted: 0,
        },
        {
          source: 'legacy',
          read: 6,
          survivors: 1,
          mergedInto: 4,
          quarantined: 1,
          filtered: 0,
          deleted: 0,
          unaccounted: 0,
        },
      ]);
      expect((await companies(s.schema)).map((c) => c.merge_ref)).toEqual([
        'hub/1',
        'hub/2',
        'hub/3',
        'hub/4',
        'legacy/10',
      ]);
      expect((await companies(s.schema)).find((c) => c.merge_ref === 'hub/4')).toMatchObject({ name: 'Hooli Inc' });
      // Umbrella's most recent revenue is the hub's (2024-06-01), under the legacy key; its deal still points at it.
      expect((await companies(s.schema)).find((c) => c.merge_ref === 'legacy/10')).toMatchObject({ revenue: '80.00' });
      const [deal] = await staging.sql.unsafe<{ company_ref: string }[]>(
        `select company_ref from "${s.schema}".deals where legacy_id = '101'`,
      );
      expect(deal!.company_ref).toBe('legacy/10');

      // The proof pack built from staging carries each phase's proof per source, as the phases reported it.
      const pack = await buildProofPack(staging, s.migrationId);
      const proofOf = (phase: string, object: string) =>
        pack.phases.find((p) => p.phase === phase)!.objects.find((o) => o.object === object)!;
      expect(proofOf('delta', 'companies').merge).toEqual(after.companies!.merge);
      expect(proofOf('full', 'companies').merge).toEqual(byObject.companies!.merge);
      expect(proofOf('delta', 'deals')).not.toHaveProperty('merge');

      // Two companies the target holds become one: the legacy CRM's Umbrella now has Globex's website. Globex's
      // merged record (hub/2) stays; Umbrella's (legacy/10) leaves the target, the hub's Umbrella goes on alone, and
      // the legacy deal that pointed at legacy/10 is written again, onto the company it is now part of.
      const accounts = path.join(s.dir, 'legacy', 'accounts.csv');
      fs.writeFileSync(
        accounts,
        fs
          .readFileSync(accounts, 'utf8')
          .replace('10,Umbrella,umbrella.com', '10,Umbrella,globex.com')
          // and Initech LLC is gone from it: the hub's Initech goes on alone, under its own name.
          .replace(/^11,Initech LLC.*\n/m, ''),
      );
      const joined = await startPhase(client, settings, staging.db, decided, {
        phase: 'delta',
        migrationId: s.migrationId,
      });
      const joinedResult = await joined.handle.result();
      expect(joinedResult.ok).toBe(true);
      expect(joinedResult.objects.find((o) => o.object === 'companies')!.merge!.sources[1]).toMatchObject({
        source: 'legacy',
        read: 6,
        deleted: 1,
        unaccounted: 0,
      });
      expect((await companies(s.schema)).find((c) => c.merge_ref === 'hub/3')).toMatchObject({ name: 'Initech' });
      expect((await companies(s.schema)).map((c) => c.merge_ref)).toEqual([
        'hub/1',
        'hub/2',
        'hub/3',
        'hub/4',
        'hub/5',
      ]);
      const moved = await staging.sql.unsafe<{ legacy_id: string; company_ref: string | null }[]>(
        `select legacy_id, company_ref from "${s.schema}".deals order by legacy_id`,
      );
      expect(moved).toEqual([
        { legacy_id: '100', company_ref: 'hub/1' },
        { legacy_id: '101', company_ref: 'hub/2' },
        { legacy_id: '102', company_ref: 'hub/3' },
        { legacy_id: '103', company_ref: null },
      ]);

      const rollback = await startPhase(client, settings, staging.db, decided, {
        phase: 'rollback',
        migrationId: s.migrationId,
        reason: 'merge rehearsal done',
        by: 'carol',
      });
      expect((await rollback.handle.result()).ok).toBe(true);
    });
    expect(await companies(s.schema)).toEqual([]);
    const [deals] = await staging.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from "${s.schema}".deals`);
    expect(deals!.n).toBe(0);
  });
  it('loads the merge the plan says now: a survivorship rule and a review decision changed after preferences', async () => {
    const s = await scenario();
    await withWorker(settings, staging, async () => {
      const preferences = await startPhase(
        client,
        settings,
        staging.db,
        parsePlan(fs.readFileSync(s.file, 'utf8'), s.file),
        {
          phase: 'preferences',
          migrationId: s.migrationId,
        },
      );
      await preferences.handle.result();
      // Seen in preferences: Hooli awaits review, and the hub's names should win after all.
      const review = await writeMergeReview(staging, loadPlanFile(s.file), 'companies', { migrationId: s.migrationId });
      expect(review.undecided).toHaveLength(1);
      const reviewFile = path.join(s.dir, 'companies.review.yaml');
      fs.writeFileSync(
        reviewFile,
        fs.readFileSync(reviewFile, 'utf8').replace(/^( *)decision: null$/m, '$1decision: merge'),
      );
      fs.writeFileSync(s.file, fs.readFileSync(s.file, 'utf8').replace('sources: [legacy] }', 'sources: [hub] }'));
      const full = await startPhase(client, settings, staging.db, loadPlanFile(s.file), {
        phase: 'full',
        migrationId: s.migrationId,
      });
      const result = await full.handle.result();
      expect(result.objects.find((o) => o.object === 'companies')).toMatchObject({
        source: 10,
        loaded: 5,
        deduplicated: 4,
        quarantined: 1, // the legacy line without an id
        unaccounted: 0,
        checksumMismatches: 0,
      });
    });
    const target = await companies(s.schema);
    expect(target.map((c) => [c.merge_ref, c.name])).toEqual([
      ['hub/1', 'Acme Corp'],
      ['hub/2', 'Globex'],
      ['hub/3', 'Initech'],
      ['hub/4', 'Hooli'],
      ['legacy/10', 'Umbrella'],
    ]);
  });
});
