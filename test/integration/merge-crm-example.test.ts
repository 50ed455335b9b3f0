import { mergeBench } from '../../scripts/bench/merge';
import { testEnv, uniqueId } from '../support/harness';

/**
 * examples/merge-crm-to-postgres.yaml end to end, as `bench merge` runs it at a small size: the HubSpot sandbox and
 * a generated legacy CRM with planted overlaps, preferences → full → a delta after changes in both systems and a
 * person's decisions on every group under review → rollback, through Temporal and PostgreSQL. Every figure is
 * counted from the target tables and staging against the generator's: nothing lost, nothing twice, every value
 * the expected survivor with its expected origin, Tern's per-source proof equal to the generator's, and the
 * target as before after the rollback.
 */
jest.setTimeout(600_000);

describe('the merge CRM example, end to end', () => {
  const saved = process.env.TEMPORAL_ADDRESS;
  beforeAll(() => {
    process.env.TEMPORAL_ADDRESS = testEnv().temporalAddress;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
    else process.env.TEMPORAL_ADDRESS = saved;
  });

  it('merges, follows the review decisions, proves itself from the target, and rolls back', async () => {
    const figures = await mergeBench(testEnv().databaseUrl, {
      companies: 120,
      seed: 4,
      say: () => undefined,
      database: uniqueId('tern_merge_example'),
    });
    // The delta also deletes two people (one of each source) and a deal: their rows leave the target.
    expect(figures.delta.ternCounts.people!.deleted).toBe(2);
    expect(figures.delta.ternCounts.deals!.deleted).toBe(1);
    expect(figures.delta.target.rows.people).toBe(figures.full.target.rows.people - 1);
    for (const phase of [figures.full, figures.delta]) {
      expect(phase.target).toMatchObject({
        lost: 0,
        duplicated: 0,
        mismatches: 0,
        unexpected: 0,
        reviewLoaded: 0,
        sumsMatch: true,
      });
      expect(phase.lineage.mismatches).toBe(0);
      expect(phase.lineage.checked).toBeGreaterThan(20);
      expect(phase.unaccounted).toBe(0);
    }
    expect(figures.full.ternProof).toEqual({ agrees: true, differences: [] });
    // After the delta's deletions each source's proof counts its deleted person as read and deleted.
    expect(figures.delta.ternProof).toEqual({ agrees: true, differences: [] });
    expect(figures.preferences.problems).toEqual([]);
    expect(figures.full.quarantined).toEqual({ merge_review_pending: 3 * figures.expected.companies.reviewGroups });
    expect(figures.delta.reviewDecisions).toBe(figures.expected.companies.reviewGroups);
    expect(figures.delta.quarantined).toEqual({});
    expect(figures.full.target.mergedGroups.companies).toBe(figures.expected.companies.mergedGroups);
    expect(figures.full.target.rows.people).toBe(figures.expected.people.targetRows);
    expect(figures.rollback).toMatchObject({ ok: true, targetAsBefore: true });
    expect(figures.ok).toBe(true);
  });
});
