import { packVerdict } from '../../report/load';
import { PROOF_PACK_FORMAT, proofPackHash, type ObjectProof, type ProofPack } from '../../report/model';

/**
 * A proof pack as buildProofPack makes one, written out by hand: two objects, a money line with values that are
 * not numbers, quarantine with examples, a conflict, an approval, a rollback. `edit` changes it before the verdict
 * and the hash are computed.
 */
export function proofPackFixture(edit: (pack: Omit<ProofPack, 'contentHash'>) => void = () => {}): ProofPack {
  const head = { seq: 41, id: 9041, hash: 'ab'.repeat(32), at: '2026-11-25T10:05:00.000Z' };
  const content: Omit<ProofPack, 'contentHash'> = {
    format: PROOF_PACK_FORMAT,
    generatedAt: '2026-11-25T12:00:00.000Z',
    includeValues: false,
    migration: {
      id: 'mig_legacy_crm',
      name: 'Legacy CRM',
      planHash: 'cd'.repeat(32),
      source: 'postgres',
      target: 'postgres',
      goldSchemaHash: 'ef'.repeat(32),
      createdAt: '2026-11-25T09:00:00.000Z',
    },
    verdict: { ok: true, failures: [], toAccept: [] },
    phases: [
      {
        phase: 'full',
        runs: [
          {
            status: 'completed',
            startedAt: '2026-11-25T10:00:00.000Z',
            finishedAt: '2026-11-25T10:04:31.500Z',
            seconds: 271.5,
            workflowId: 'mig_legacy_crm/full',
          },
        ],
        objects: [
          {
            object: 'accounts',
            provenAt: '2026-11-25T10:04:30.000Z',
            proofs: 2,
            source: 12345,
            loaded: 12000,
            quarantined: 45,
            filtered: 200,
            deduplicated: 100,
            countsHold: true,
            checksumMismatches: 0,
            sums: {},
            fidelity: { fields: ['name', 'created_on'], records: 12000, mismatches: 0, byField: {}, examples: [] },
            readBack: { scope: 'whole', reason: 'tern reconcile reads back whole', records: 12000 },
            ok: true,
            auditHead: head,
          },
          {
            object: 'deals',
            provenAt: '2026-11-25T10:04:31.000Z',
            proofs: 1,
            source: 3000,
            loaded: 2990,
            quarantined: 10,
            filtered: 0,
            deduplicated: 0,
            countsHold: true,
            checksumMismatches: 0,
            sums: {
              amount: {
                legacy: '1234567.89',
                new: '1230000.00',
                loaded: '1230000.00',
                quarantined: '4567.89',
                filtered: '0',
                deduplicated: '0',
                unaccounted: '0',
                deleted: '0',
                notNumbers: [{ reason: 'blank', disposition: 'loaded', count: 7, examples: ['d-17'] }],
                ok: true,
              },
            },
            fidelity: { fields: ['amount'], records: 2990, mismatches: 0, byField: {}, examples: [] },
            readBack: null,
            ok: true,
            auditHead: { ...head, seq: 42, id: 9042 },
          },
        ],
        ok: true,
      },
    ],
    preferences: {
      status: 'completed',
      startedAt: '2026-11-25T09:10:00.000Z',
      seconds: 12.3,
      verdict: {
        clean: false,
        errors: 0,
        warnings: 1,
        records: 15345,
        loaded: 14990,
        quarantined: { orphan_reference: 10, required_missing: 45 },
        blocked: [],
        notPredicted: [],
      },
      issues: [
        {
          severity: 'warning',
          object: 'deals',
          path: 'objects.1.fields.4.transform.0',
          message: 'close_date mixes MM/DD and DD/MM',
          fix: 'map it with { date: { format: auto } }',
        },
      ],
      objects: [
        {
          object: 'deals',
          rows: 3000,
          unreadable: 0,
          duplicateSourceIds: 0,
          duplicates: null,
          orphans: [{ field: 'account_id', object: 'accounts', count: 10, examples: ['99001', '99002'] }],
          fields: [
            {
              field: 'status',
              blank: 3,
              blankPercent: 0.1,
              distinct: 4,
              dominantType: 'text',
              typeAnomalies: 0,
              multiValue: 0,
              dates: null,
              picklistCandidate: true,
              picklist: [
                { value: 'Won', count: 1500 },
                { value: 'closed – lost', count: 1497 },
              ],
            },
            {
              field: 'close_date',
              blank: 0,
              blankPercent: 0,
              distinct: 900,
              dominantType: 'date',
              typeAnomalies: 2,
              multiValue: 0,
              dates: {
                verdict: 'mixed',
                iso: 10,
                monthFirst: 1200,
                dayFirst: 30,
                ambiguous: 1700,
                sameDayMonth: 58,
                invalid: 2,
              },
              picklistCandidate: false,
              picklist: null,
            },
          ],
          dryRun: {
            source: 3000,
            staged: 3000,
            loaded: 2990,
            quarantined: { orphan_reference: 10 },
            filtered: {},
            deduplicated: 0,
          },
          preflight: [],
        },
      ],
    },
    fieldMap: [
      {
        object: 'deals',
        source: 'legacy_crm.deals',
        target: 'crm_target.deals',
        key: 'legacy_id',
        filters: [{ name: 'junk', rule: 'name matches /^test/' }],
        dedupe: null,
        fields: [
          { from: 'id', transforms: ['trim', 'required'], to: 'legacy_id' },
          {
            from: 'status',
            transforms: ['collapse_whitespace', 'required', 'picklist(6 options, 68 aliases, unmapped→quarantine)'],
            to: 'stage',
          },
          { from: null, transforms: ['default("open")'], to: 'state' },
          { from: 'notes', transforms: [], to: 'notes' },
        ],
      },
    ],
    quarantine: {
      open: 55,
      resolved: 3,
      groups: [
        {
          object: 'accounts',
          stage: 'map',
          reason: 'required_missing',
          open: 45,
          resolved: 3,
          examples: [{ sourceId: 'a-1', field: 'name', position: 'line 7' }],
        },
        {
          object: 'deals',
          stage: 'map',
          reason: 'orphan_reference',
          open: 10,
          resolved: 0,
          examples: [{ sourceId: 'd-9', field: 'account_id', position: null }],
        },
      ],
    },
    conflicts: {
      total: 1,
      open: 1,
      list: [
        {
          object: 'deals',
          sourceId: 'd-1',
          phase: 'delta',
          policy: 'skip-and-report',
          outcome: 'skipped',
          detectedAt: '2026-11-25T11:00:00.000Z',
          resolvedAt: null,
        },
      ],
    },
    custody: {
      head: { ...head, seq: 57, id: 9057 },
      verification: {
        ok: true,
        entries: 57,
        head: { ...head, seq: 57, id: 9057 },
        keyIds: ['k-1a2b3c'],
        unkeyed: 0,
        headsChecked: 2,
        broken: null,
      },
    },
    approvals: [{ phase: 'full', by: 'alice', reason: 'sample reviewed with finance', at: '2026-11-25T09:59:00.000Z' }],
    rollback: {
      status: 'completed',
      startedAt: '2026-11-25T11:30:00.000Z',
      finishedAt: '2026-11-25T11:31:00.000Z',
      seconds: 60,
      by: 'bob',
      reason: 'rehearse the rollback before cutover',
      ok: true,
      objects: [{ object: 'deals', removed: 2987, restored: 3, mismatches: 0, rounds: 1, leftoversRepaired: 0 }],
    },
  };
  edit(content);
  content.verdict = packVerdict(content);
  return { ...content, contentHash: proofPackHash(content) };
}

/**
 * A merged object's proof written out by hand (the two-CRM companies: a hub and a legacy system, two merged groups, one
 * awaiting review), and its quarantine group awaiting a merge review decision: `withMergedObject` adds both to a pack
 * (`proofPackFixture(withMergedObject)`).
 */
export function mergedObjectProof(): ObjectProof {
  return {
    object: 'companies',
    provenAt: '2026-11-25T10:04:32.000Z',
    proofs: 1,
    source: 10,
    loaded: 4,
    quarantined: 4,
    filtered: 0,
    deduplicated: 2,
    countsHold: true,
    checksumMismatches: 0,
    sums: {
      revenue: {
        legacy: '808.50',
        new: '445',
        loaded: '445',
        quarantined: '34',
        filtered: '0',
        deduplicated: '180',
        unaccounted: '0',
        deleted: '0',
        notNumbers: [],
        ok: true,
      },
    },
    fidelity: { fields: ['name', 'revenue'], records: 4, mismatches: 0, byField: {}, examples: [] },
    readBack: { scope: 'whole', reason: 'full phase', records: 4 },
    merge: {
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
          single: { bySource: { hub: '200', legacy: '75' }, total: '275', merged: '275', ok: true },
          merged: { groups: 2, bySource: { hub: '150.50', legacy: '180' }, outcome: '170' },
        },
      },
      ok: true,
    },
    ok: true,
    auditHead: { seq: 43, id: 9043, hash: 'ac'.repeat(32), at: '2026-11-25T10:04:32.000Z' },
  };
}

export function withMergedObject(pack: Omit<ProofPack, 'contentHash'>): void {
  pack.phases[0]!.objects.push(mergedObjectProof());
  pack.quarantine.open += 3;
  pack.quarantine.groups.push({
    object: 'companies',
    stage: 'load',
    reason: 'merge_review_pending',
    open: 3,
    resolved: 0,
    examples: [{ sourceId: 'hub/4', field: null, position: null }],
  });
}
