import type { StoredProfile } from '../../activities/preferences';
import type { FieldProfile } from '../../plan/profile';
import { formatPreferencesReport, type PreferencesReport } from '../../report/preferences';

/** Every figure gets its own number, so finding it in the text means the text shows that figure. */
let next = 1000;
const unique = () => (next += 17);

function field(name: string, overrides: Partial<FieldProfile> = {}): FieldProfile {
  return {
    field: name,
    blank: unique(),
    blankPercent: unique() / 100,
    distinct: unique(),
    rawDistinct: unique(),
    top: [
      { value: 'a', count: unique() },
      { value: 'b', count: unique() },
    ],
    picklistCandidate: false,
    maxLength: unique(),
    multiValue: unique(),
    types: { number: unique(), date: unique(), boolean: unique(), email: unique(), text: unique() },
    dominantType: 'text',
    typeAnomalies: unique(),
    ...overrides,
  };
}

const dates = () => ({
  iso: unique(),
  monthFirst: unique(),
  dayFirst: unique(),
  ambiguous: unique(),
  sameDayMonth: unique(),
  invalid: unique(),
  verdict: 'mixed' as const,
});

const tickets: StoredProfile = {
  object: 'tickets',
  rows: unique(),
  unreadable: unique(),
  duplicateSourceIds: unique(),
  duplicates: { key: ['email'], groups: unique(), records: unique(), excess: unique() },
  orphans: [{ field: 'owner_id', object: 'users', count: unique(), examples: ['U1'] }],
  fields: [
    field('id'),
    field('opened', { dates: dates() }),
    field('status', {
      picklistCandidate: true,
      values: [
        { value: 'Open', count: unique() },
        { value: 'Closed', count: unique() },
      ],
    }),
  ],
  dryRun: {
    source: unique(),
    staged: unique(),
    loaded: unique(),
    quarantined: { invalid_date: unique(), too_long: unique() },
    filtered: { spam: unique() },
    deduplicated: unique(),
  },
  preflight: [
    {
      code: 'too_long',
      field: 'subject',
      records: unique(),
      examples: [{ record: 'T1', value: 'x' }],
      fix: 'widen the column',
    } as NonNullable<StoredProfile['preflight']>[number],
  ],
};

const report: PreferencesReport = {
  migrationId: 'mig_7',
  plan: 'Tickets',
  planHash: 'f'.repeat(64),
  goldSchemaHash: null,
  run: { status: 'completed', startedAt: '2024-01-01T00:00:00.000Z', finishedAt: null, seconds: unique() / 10 },
  issues: [],
  objects: [tickets],
};

/** Every number in a JSON value, with where it is. */
function figures(value: unknown, at = ''): { at: string; n: number }[] {
  if (typeof value === 'number') return [{ at, n: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => figures(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => figures(v, at ? `${at}.${k}` : k));
  return [];
}

const shows = (text: string, n: number) =>
  new RegExp(`(?<![\\d.])${String(n).replace('.', '\\.')}(?![\\d.])`).test(text);
const missing = (text: string, value: unknown) =>
  figures(value)
    .filter((f) => !shows(text, f.n))
    .map((f) => f.at);

describe('preferences report: the text shows every figure the JSON has', () => {
  it('with --fields, every number of the JSON is in the text', () => {
    const json = JSON.parse(JSON.stringify(report)) as PreferencesReport;
    const text = formatPreferencesReport(report, { fields: true });
    expect(missing(text, { run: json.run, objects: json.objects })).toEqual([]);
  });

  it('without --fields, every figure of a finding is in the text: each date class, both distinct counts', () => {
    const text = formatPreferencesReport(report);
    const opened = tickets.fields[1]!;
    const status = tickets.fields[2]!;
    expect(missing(text, opened.dates)).toEqual([]);
    expect(text).toMatch(new RegExp(`same day/month ${opened.dates!.sameDayMonth}`));
    expect(missing(text, { distinct: status.distinct, raw: status.rawDistinct })).toEqual([]);
    expect(missing(text, tickets.dryRun)).toEqual([]);
    expect(missing(text, { duplicates: tickets.duplicates, orphans: tickets.orphans, rows: tickets.rows })).toEqual([]);
  });

  it('reads a profile stored before raw spellings were counted', () => {
    const { rawDistinct: _, ...old } = tickets.fields[2]!;
    const text = formatPreferencesReport({ ...report, objects: [{ ...tickets, fields: [old] }] });
    expect(text).toContain(`picklist candidate: ${old.distinct} distinct`);
  });
});
