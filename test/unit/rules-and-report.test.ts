import type { StoredProfile } from '../../activities/preferences';
import type { FieldProfile } from '../../plan/profile';
import { formatPreferencesReport, type PreferencesReport, WRITE_TIME_CHECKS } from '../../report/preferences';

function field(name: string, overrides: Partial<FieldProfile> = {}): FieldProfile {
  return {
    field: name,
    blank: 0,
    blankPercent: 0,
    distinct: 100,
    top: [],
    picklistCandidate: false,
    maxLength: 10,
    multiValue: 0,
    types: { number: 0, date: 0, boolean: 0, email: 0, text: 100 },
    dominantType: 'text',
    typeAnomalies: 0,
    ...overrides,
  };
}

const customers: StoredProfile = {
  object: 'customers',
  rows: 100,
  unreadable: 2,
  duplicateSourceIds: 1,
  duplicates: { key: ['email', 'last_name'], groups: 3, records: 7, excess: 4 },
  orphans: [
    { field: 'account_id', object: 'accounts', count: 5, examples: ['A1', 'A2', 'A3', 'A4'] },
    { field: 'owner_id', object: 'users', count: 0, examples: [] },
  ],
  fields: [
    field('id'),
    field('email', { blank: 12, blankPercent: 12 }),
    field('signup', {
      multiValue: 3,
      dates: {
        iso: 10,
        monthFirst: 40,
        dayFirst: 0,
        ambiguous: 45,
        sameDayMonth: 3,
        invalid: 2,
        verdict: 'MM/DD',
      },
    }),
    field('amount', { typeAnomalies: 4, dominantType: 'number' }),
    field('tags', { multiValue: 9 }),
    field('status', { picklistCandidate: true, distinct: 4 }),
  ],
  dryRun: {
    source: 102,
    staged: 100,
    loaded: 80,
    quarantined: { invalid_date: 3, extract_error: 2, too_long: 5 },
    filtered: { 'closed-before-2015': 6 },
    deduplicated: 4,
  },
};

const report: PreferencesReport = {
  migrationId: 'mig_42',
  plan: 'Demo customers',
  planHash: 'f'.repeat(64),
  goldSchemaHash: '0123456789abcdef0123456789abcdef',
  run: {
    status: 'completed',
    startedAt: '2024-01-01T00:00:00.000Z',
    finishedAt: '2024-01-01T00:00:12.500Z',
    seconds: 12.5,
  },
  issues: [
    {
      severity: 'warning',
      object: 'customers',
      path: 'objects.0.fields.4',
      message: 'email has values up to 80 characters; public.customers.email holds 60',
      fix: 'widen the column',
    },
    {
      severity: 'error',
      object: 'customers',
      path: 'objects.0.target.table',
      message: 'target table public.customers does not exist',
      fix: 'create it in the target',
    },
  ],
  objects: [customers],
};

describe('formatPreferencesReport', () => {
  it('prints anomalies, the dry-run equation and the issues (errors first)', () => {
    expect(formatPreferencesReport(report).split('\n')).toEqual([
      'preferences of mig_42 (Demo customers) — completed in 12.5s',
      'gold schema 0123456789abcdef',
      '',
      'customers: 100 rows, 2 unreadable, 1 duplicate source ids',
      '  duplicates by [email, last_name]: 3 groups, 7 records, 4 extra',
      '  orphans: 5 account_id values name no accounts record (e.g. A1, A2, A3)',
      '  email: 12% blank (12)',
      '  signup: dates MM/DD: iso 10, MM/DD 40, DD/MM 0, ambiguous 45, same day/month 3, invalid 2',
      '  amount: 4 values are not number',
      '  tags: 9 multi-value',
      '  status: picklist candidate: 4 distinct',
      '  dry run: source 102 (staged 100) = loaded 80 + quarantined 10 + filtered 6 + deduplicated 4',
      '    quarantined: too_long 5, invalid_date 3, extract_error 2',
      '    filtered: closed-before-2015 6',
      '',
      'plan vs target: 1 error(s), 1 warning(s)',
      '  ERROR objects.0.target.table: target table public.customers does not exist — fix: create it in the target',
      '  WARNING objects.0.fields.4: email has values up to 80 characters; public.customers.email holds 60 — fix: widen the column',
      'verdict: NOT CLEAN — 1 plan error(s); 10 of 102 record(s) predicted quarantined (too_long 5, invalid_date 3, extract_error 2); 80 record(s) predicted loaded. Fix the plan or the data and run preferences again, or accept these outcomes knowingly',
      WRITE_TIME_CHECKS,
    ]);
  });

  it('lists every field with --fields, even those without notes', () => {
    const lines = formatPreferencesReport(report, { fields: true }).split('\n');
    expect(lines).toContain('  id: 100 distinct');
    expect(formatPreferencesReport(report).split('\n')).not.toContain('  id: 100 distinct');
  });

  it('handles an unfrozen schema, a running phase, a clean object without a dry run and no issues', () => {
    const clean: StoredProfile = {
      object: 'accounts',
      rows: 3,
      unreadable: 0,
      duplicateSourceIds: 0,
      orphans: [],
      fields: [field('id', { distinct: 3 })],
    };
    expect(
      formatPreferencesReport({
        ...report,
        goldSchemaHash: null,
        run: { ...report.run, status: 'running', finishedAt: null, seconds: null },
        issues: [],
        objects: [
          clean,
          { ...clean, object: 'users', dryRun: { ...customers.dryRun!, quarantined: {}, filtered: {} } },
        ],
      }).split('\n'),
    ).toEqual([
      'preferences of mig_42 (Demo customers) — running',
      'gold schema (not frozen)',
      '',
      'accounts: 3 rows',
      '',
      'users: 3 rows',
      '  dry run: source 102 (staged 100) = loaded 80 + quarantined 0 + filtered 0 + deduplicated 4',
      '',
      'plan vs target: 0 error(s), 0 warning(s)',
      'verdict: clean — the plan fits the target and the dry run predicts no quarantine (80 of 102 record(s) loaded, the rest filtered or deduplicated by the rules)',
      WRITE_TIME_CHECKS,
    ]);
  });
});
