import type { MergeReconciliation } from '../../activities/reconcile-merge';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import { mergeReconciliationLines } from '../../scripts/client/merge-reconciliation';
import { formatPhaseResult } from '../../scripts/client/phases';
import { formatStatus, type MigrationStatus } from '../../scripts/commands/status';

/**
 * A merged object's proof per source as the CLI prints it (a phase's result, `tern reconcile`, `tern status`), with
 * hand-made figures: the table of each source's equation, the groups, the money source by source; and a one-source
 * object printed exactly as before.
 */

/** The two-CRM companies of the merge-phase integration test: hub and legacy, Acme and Initech merged, Hooli under review. */
function companiesMerge(): MergeReconciliation {
  return {
    sources: [
      { source: 'hub', read: 4, survivors: 3, mergedInto: 0, quarantined: 1, filtered: 0, deleted: 0, unaccounted: 0 },
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
        single: { bySource: { hub: '200', legacy: '75' }, total: '275', merged: '275', ok: true },
        merged: { groups: 2, bySource: { hub: '150.50', legacy: '180' }, outcome: '170' },
      },
    },
    ok: true,
  };
}

function proof(object: string, edit: Partial<ObjectReconciliation> = {}): ObjectReconciliation {
  return {
    object,
    source: 4,
    loaded: 4,
    quarantined: 0,
    filtered: 0,
    deduplicated: 0,
    unaccounted: 0,
    deleted: 0,
    conflicts: 0,
    checksumMismatches: 0,
    mismatchExamples: [],
    mismatchesByField: {},
    sums: {
      amount: {
        legacy: '1805',
        new: '1805',
        loaded: '1805',
        quarantined: '0',
        filtered: '0',
        deduplicated: '0',
        unaccounted: '0',
        deleted: '0',
        notNumbers: [],
        ok: true,
      },
    },
    fidelity: { fields: ['amount'], records: 4, mismatches: 0, byField: {}, examples: [] },
    readBack: {
      scope: 'whole',
      reason: 'full phase',
      records: 4,
      deletedChecked: 0,
      deletedPresent: 0,
      deletedExamples: [],
    },
    ok: true,
    ...edit,
  };
}

const companies = () =>
  proof('companies', {
    source: 10,
    loaded: 4,
    quarantined: 4,
    deduplicated: 2,
    sums: {},
    fidelity: { fields: [], records: 4, mismatches: 0, byField: {}, examples: [] },
    merge: companiesMerge(),
  });

describe('a merged object’s proof per source, as the CLI prints it', () => {
  it('prints the per-source table, the groups line and the sums lines', () => {
    expect(mergeReconciliationLines(companiesMerge(), '  ')).toEqual([
      '  source  read  survivors  merged into  quarantined  filtered  deleted  unaccounted',
      '  hub        4          3            0            1         0        0            0',
      '  legacy     6          1            2            3         0        0            0',
      '  groups: 2 merged (4 records), 1 awaiting a review decision (3 records), 0 record(s) in refused merges, 2 record(s) merged with no other',
      '  revenue, not merged: hub 200 + legacy 75 = 275 = target 275 ✓',
      '  revenue, 2 merged groups: hub 150.50, legacy 180 → 170 by the rules',
    ]);
  });

  it('shows what fails: a source with unaccounted records, single sums that differ from the target', () => {
    const m = companiesMerge();
    m.sources[1] = { ...m.sources[1]!, read: 8, unaccounted: 2 };
    m.sums.revenue!.single = { ...m.sums.revenue!.single, merged: '270', ok: false };
    m.sums.revenue!.merged = { groups: 0, bySource: { hub: '0', legacy: '0' }, outcome: '0' };
    m.ok = false;
    const lines = mergeReconciliationLines(m, '');
    expect(lines[2]).toBe('legacy     8          1            2            3         0        0            2');
    expect(lines).toContain(
      'legacy: 2 record(s) read but neither a survivor, merged, quarantined, filtered nor deleted ✗',
    );
    expect(lines).toContain('revenue, not merged: hub 200 + legacy 75 = 275 ≠ target 270 ✗');
    // No merged group holds money: no merged-groups line.
    expect(lines.some((l) => l.includes('merged group'))).toBe(false);
  });

  it('follows the object’s line in a phase result (and `tern reconcile`), the sums named by object and field', () => {
    const text = formatPhaseResult({
      migrationId: 'mig_merge',
      phase: 'full',
      ok: true,
      objects: [companies(), proof('deals')],
    });
    const lines = text.split('\n');
    const at = lines.indexOf('  companies per source: ok');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 7)).toEqual([
      '    source  read  survivors  merged into  quarantined  filtered  deleted  unaccounted',
      '    hub        4          3            0            1         0        0            0',
      '    legacy     6          1            2            3         0        0            0',
      '    groups: 2 merged (4 records), 1 awaiting a review decision (3 records), 0 record(s) in refused merges, 2 record(s) merged with no other',
      '    companies.revenue, not merged: hub 200 + legacy 75 = 275 = target 275 ✓',
      '    companies.revenue, 2 merged groups: hub 150.50, legacy 180 → 170 by the rules',
    ]);
    expect(lines.filter((l) => l.includes('per source'))).toHaveLength(1);
  });

  it('prints a one-source object exactly as before', () => {
    expect(formatPhaseResult({ migrationId: 'mig_crm', phase: 'full', ok: true, objects: [proof('deals')] })).toBe(
      [
        'object  source  loaded  quarantined  filtered  deduplicated  deleted  conflicts  checksum mismatches   ok',
        'deals        4       4            0         0             0        0          0                    0  yes',
        '  deals.amount: Sum(legacy) 1805 = loaded 1805 + quarantined 0 + filtered 0 + deduplicated 0; Sum(loaded) 1805 == Sum(new) 1805',
        '  deals: fidelity (target vs the source read at full precision) 4 records, 1 fields: all equal',
        'reconciliation OK: full phase of mig_crm',
      ].join('\n'),
    );
  });

  it('follows the object’s line in `tern status`, from the proof staging stored; a review reason says what it waits for', () => {
    const status: MigrationStatus = {
      migration: 'mig_merge',
      plan: 'merge',
      phases: [],
      runs: [],
      quarantine: {
        open: 3,
        byObject: [{ object: 'companies', stage: 'load', reason: 'merge_review_pending', count: 3 }],
      },
      reconciliation: {
        phase: 'full',
        ok: true,
        objects: [
          {
            object: 'companies',
            source: 10,
            loaded: 4,
            quarantined: 4,
            filtered: 0,
            deduplicated: 2,
            checksumMismatches: 0,
            sums: {},
            merge: companiesMerge(),
            ok: true,
            at: '2026-12-07T03:00:00.000Z',
          },
          {
            object: 'deals',
            source: 4,
            loaded: 4,
            quarantined: 0,
            filtered: 0,
            deduplicated: 0,
            checksumMismatches: 0,
            sums: {},
            ok: true,
            at: '2026-12-07T03:00:01.000Z',
          },
        ],
      },
      estimate: null,
      cutover: null,
    };
    const lines = formatStatus(status, 'merge.yaml').split('\n');
    expect(lines).toContain('  companies  load  merge_review_pending (awaiting a merge review decision)  3');
    const at = lines.findIndex((l) => l.startsWith('  companies: source 10 = loaded 4'));
    expect(lines.slice(at + 1, at + 8)).toEqual([
      '    per source: ok',
      '      source  read  survivors  merged into  quarantined  filtered  deleted  unaccounted',
      '      hub        4          3            0            1         0        0            0',
      '      legacy     6          1            2            3         0        0            0',
      '      groups: 2 merged (4 records), 1 awaiting a review decision (3 records), 0 record(s) in refused merges, 2 record(s) merged with no other',
      '      revenue, not merged: hub 200 + legacy 75 = 275 = target 275 ✓',
      '      revenue, 2 merged groups: hub 150.50, legacy 180 → 170 by the rules',
    ]);
    // The one-source object's proof is one line, as before, and the only per-source block is the merged object's.
    expect(lines.filter((l) => l.includes('per source'))).toEqual(['    per source: ok']);
    expect(lines.filter((l) => l.startsWith('  deals: '))).toEqual([
      '  deals: source 4 = loaded 4 + quarantined 0 + filtered 0 + deduplicated 0; checksum mismatches 0; ok (2026-12-07T03:00:01.000Z)',
    ]);
  });
});
