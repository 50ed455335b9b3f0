import type { StoredProfile } from '../../activities/preferences';
import type { TargetIssue } from '../../plan/target-check';
import { preferencesVerdict, verdictLine } from '../../report/preferences';

const profile = (object: string, dryRun: StoredProfile['dryRun']): StoredProfile => ({
  object,
  rows: dryRun?.staged ?? 0,
  fields: [],
  unreadable: 0,
  duplicateSourceIds: 0,
  orphans: [],
  dryRun,
});

const counts = (over: Partial<NonNullable<StoredProfile['dryRun']>>): NonNullable<StoredProfile['dryRun']> => ({
  source: 100,
  staged: 100,
  loaded: 100,
  quarantined: {},
  filtered: {},
  deduplicated: 0,
  ...over,
});

const warning: TargetIssue = { severity: 'warning', object: 'contacts', path: 'objects.0', message: 'm', fix: 'f' };

describe('the preferences verdict', () => {
  it('is not clean when the plan fits the target but the dry run predicts records quarantined', () => {
    const v = preferencesVerdict(
      [warning],
      [
        profile('contacts', counts({ source: 8469, staged: 8469, loaded: 10, quarantined: { key_mismatch: 8459 } })),
        profile('conversations', counts({ loaded: 98, quarantined: { orphan_reference: 2 } })),
      ],
    );
    expect(v).toMatchObject({
      clean: false,
      errors: 0,
      warnings: 1,
      records: 8569,
      loaded: 108,
      quarantined: { key_mismatch: 8459, orphan_reference: 2 },
    });
    expect(verdictLine(v)).toBe(
      'verdict: NOT CLEAN — 8461 of 8569 record(s) predicted quarantined (key_mismatch 8459, orphan_reference 2); 108 record(s) predicted loaded. Fix the plan or the data and run preferences again, or accept these outcomes knowingly',
    );
  });

  it('is not clean when the load of an object would stop, and says which and why', () => {
    const v = preferencesVerdict(
      [],
      [
        profile(
          'conversations',
          counts({ blocked: 'conversations field cf_x is not a Front conversation custom field — fix: create it' }),
        ),
      ],
    );
    expect(v.clean).toBe(false);
    expect(v.blocked).toEqual([
      {
        object: 'conversations',
        reason: 'conversations field cf_x is not a Front conversation custom field — fix: create it',
      },
    ]);
    expect(verdictLine(v)).toMatch(/^verdict: NOT CLEAN — the load of conversations would stop; 100 record\(s\)/);
  });

  it('is clean when every record is predicted loaded, filtered or deduplicated and the plan has no error', () => {
    const v = preferencesVerdict(
      [warning],
      [
        profile('accounts', counts({ loaded: 90, filtered: { junk: 6 }, deduplicated: 4 })),
        profile('notes', undefined),
      ],
    );
    expect(v).toMatchObject({ clean: true, records: 100, loaded: 90, quarantined: {}, blocked: [] });
    expect(verdictLine(v)).toMatch(/^verdict: clean — /);
  });

  it('counts what the dry run could not predict, per object', () => {
    const v = preferencesVerdict([], [profile('people', counts({ notPredicted: ['options created by the load'] }))]);
    expect(v.notPredicted).toEqual([{ object: 'people', what: 'options created by the load' }]);
  });

  it('is not clean with a plan error even when nothing is quarantined', () => {
    const v = preferencesVerdict([{ ...warning, severity: 'error' }], [profile('accounts', counts({}))]);
    expect(v.clean).toBe(false);
    expect(verdictLine(v)).toMatch(/^verdict: NOT CLEAN — 1 plan error\(s\); 100 record\(s\) predicted loaded/);
  });
});
