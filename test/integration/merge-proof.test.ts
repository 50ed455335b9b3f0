import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { renderProofPackHtml } from '../../report/html/page';
import { buildProofPack } from '../../report/load';
import { formatPhaseResult, startPhase } from '../../scripts/client/phases';
import { reconcileNow } from '../../scripts/commands/reconcile';
import { formatStatus, loadStatus } from '../../scripts/commands/status';
import type { Staging } from '../../staging/db';
import { useTernEnvironment, withWorker } from '../support/harness';
import { mergeCsvScenario } from '../support/merge-csv';

/**
 * A merged object's proof per source reaches the people who sign it: the phase's result prints it, staging keeps it
 * with the proof, and `tern status`, `tern reconcile` and the proof pack (JSON and page) built from staging carry it,
 * while the one-source object beside it shows none. Two CSV systems into one PostgreSQL target on real Temporal.
 */

const HUB_COMPANIES = `id,name,domain,phone,revenue,updated
1,Acme Corp,acme.com,+1 415 555 0100,100.50,2024-01-01
2,Globex,globex.com,,200,2024-02-01
3,Hooli,hooli.com,,10,2024-03-01
`;
const LEGACY_ACCOUNTS = `account_id,account_name,website,tel,revenue,modified
9,ACME Corporation,WWW.Acme.COM,(415) 555-0100,120,2024-05-01
10,Umbrella,umbrella.com,,75,2024-01-01
12,Hooli Inc,hooli.com,,11,2024-01-01
13,Hooli Holdings,HOOLI.COM,,12,2024-01-01
`;
const LEGACY_DEALS = `deal_id,account_id,amount
100,9,1000
101,10,500
`;

jest.setTimeout(300_000);

describe('a merged object’s proof per source, from the phase to the proof pack', () => {
  const t = useTernEnvironment();
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  it('is printed, stored with the proof, and carried by tern status, tern reconcile and the proof pack', async () => {
    const { migrationId, file } = await mergeCsvScenario(staging, {
      hubCompanies: HUB_COMPANIES,
      legacyAccounts: LEGACY_ACCOUNTS,
      legacyDeals: LEGACY_DEALS,
    });
    const loaded = parsePlan(fs.readFileSync(file, 'utf8'), file);

    const result = await withWorker(settings, staging, async () => {
      const full = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      return full.handle.result();
    });
    const byObject = Object.fromEntries(result.objects.map((o) => [o.object, o])) as Record<
      string,
      ObjectReconciliation
    >;
    const merge = byObject.companies!.merge!;
    // Acme (hub/1 + legacy/9) merged; Globex (hub) and Umbrella (legacy) single; Hooli (hub/3, legacy/12, legacy/13)
    // awaits review: two records of one system share its domain.
    expect(merge.sources).toEqual([
      { source: 'hub', read: 3, survivors: 2, mergedInto: 0, quarantined: 1, filtered: 0, deleted: 0, unaccounted: 0 },
      {
        source: 'legacy',
        read: 4,
        survivors: 1,
        mergedInto: 1,
        quarantined: 2,
        filtered: 0,
        deleted: 0,
        unaccounted: 0,
      },
    ]);
    expect(merge.sums.revenue).toEqual({
      single: { bySource: { hub: '200', legacy: '75' }, total: '275', merged: '275', ok: true },
      merged: { groups: 1, bySource: { hub: '100.50', legacy: '120' }, outcome: '120' },
    });
    expect(byObject.deals!.merge).toBeUndefined();

    // The phase's result, as printed at the end of `tern run full`.
    const printed = formatPhaseResult(result);
    expect(printed).toContain('    companies.revenue, not merged: hub 200 + legacy 75 = 275 = target 275 ✓');
    expect(printed).toContain('    companies.revenue, 1 merged group: hub 100.50, legacy 120 → 120 by the rules');

    // Staging keeps it with the proof; a one-source object's proof keeps none.
    const stored = await staging.sql<{ object: string; merge: unknown }[]>`
      select object, merge from reconciliations where migration_id = ${migrationId} order by object`;
    expect(stored).toEqual([
      { object: 'companies', merge },
      { object: 'deals', merge: null },
    ]);

    // `tern status` reads it back from staging.
    const status = await loadStatus({ client, staging, settings }, migrationId, { queryTimeoutMs: 5000 });
    expect(status.reconciliation!.objects.find((o) => o.object === 'companies')!.merge).toEqual(merge);
    expect(status.reconciliation!.objects.find((o) => o.object === 'deals')).not.toHaveProperty('merge');
    const statusText = formatStatus(status, file);
    expect(statusText).toContain('    per source: ok');
    expect(statusText).toContain(
      '      legacy     4          1            1            2         0        0            0',
    );
    expect(statusText).toContain('merge_review_pending (awaiting a merge review decision)  3');

    // `tern reconcile` proves it again, per source, and stores that proof too.
    const again = await reconcileNow(staging, migrationId, { phase: 'full' });
    expect(again.ok).toBe(true);
    expect(again.objects.find((o) => o.object === 'companies')!.merge).toEqual(merge);

    // The proof pack built from staging: its JSON carries the latest proof per source, its page shows it.
    const pack = await buildProofPack(staging, migrationId);
    const proofs = pack.phases.find((p) => p.phase === 'full')!.objects;
    expect(proofs.find((o) => o.object === 'companies')).toMatchObject({ proofs: 2, merge, ok: true });
    expect(proofs.find((o) => o.object === 'deals')).not.toHaveProperty('merge');
    expect(pack.quarantine.groups).toContainEqual(
      expect.objectContaining({ object: 'companies', reason: 'merge_review_pending', open: 3 }),
    );
    const html = renderProofPackHtml(pack);
    const companies = html.slice(
      html.indexOf('<article class="proof" data-object="companies">'),
      html.indexOf('<article class="proof" data-object="deals">'),
    );
    const text = companies.replace(/<[^>]+>/g, '');
    expect(text).toContain('Per source ✓ holds');
    expect(text).toContain('Sum(revenue), records not merged: hub 200 + legacy 75 = 275 == Sum(new) 275 in the target');
    expect(text).toContain('1 merged group(s): hub 100.50, legacy 120 → 120 by the survivorship rules');
    expect(html.slice(html.indexOf('<article class="proof" data-object="deals">'))).not.toContain('Per source');
  });
});
