import postgres from 'postgres';
import { pick, seededRandom } from '../../common/random';
import {
  argValue,
  countOutcomes,
  noDateClasses,
  outcomeLine,
  runMain,
  withDatabase,
  writeFacts,
  type DateClassFacts,
  type DuplicateFacts,
  type ExpectedOutcomes,
} from './facts';
import { FIRST_NAMES, LAST_NAMES } from './vocabulary';

/**
 * A seeded generator of a dirty legacy CRM database (accounts, contacts, deals, activities) in one PostgreSQL
 * schema, and the exact facts of what it planted, in the vocabulary of docs/preferences.md.
 *
 * Every anomaly is decided when its row is generated and counted there: the facts are known by construction,
 * not measured afterwards. The `expected` outcome of each object is what examples/legacy-crm.yaml implies
 * for every record (filter → dedupe → transforms in the plan's field order → loaded). References point only
 * at records predicted loaded, at duplicate accounts (they follow to their loaded survivor), at ids that do
 * not exist (orphans), or, counted as such, at records the plan filters or quarantines.
 *
 * Run: npx tsx scripts/generate/legacy-crm.ts --schema legacy_crm [--seed N] [--scale N] [--facts file.json]
 */

export const LEGACY_CRM_DEFAULT_SEED = 20261125;

export type DealStage = 'New' | 'Qualified' | 'Proposal' | 'Negotiation' | 'Won' | 'Lost';
export const DEAL_STAGES: readonly DealStage[] = ['New', 'Qualified', 'Proposal', 'Negotiation', 'Won', 'Lost'];

/** The 105 free-text deal statuses of the legacy CRM, each with the stage the plan maps it to and a weight. */
export const DEAL_STATUSES: readonly { value: string; stage: DealStage; weight: number }[] = [
  ...statuses('New', [
    ['New', 30],
    ['new', 12],
    ['NEW', 4],
    ['Open', 10],
    ['open', 6],
    ['OPEN', 2],
    ['New Lead', 6],
    ['new lead', 3],
    ['Lead', 6],
    ['lead', 3],
    ['Prospect', 4],
    ['prospect', 2],
    ['Prospecting', 8],
    ['prospecting', 3],
    ['1 - Prospecting', 5],
    ['Inbound', 2],
    ['Not contacted', 1],
  ]),
  ...statuses('Qualified', [
    ['Qualified', 30],
    ['qualified', 12],
    ['QUALIFIED', 3],
    ['Qualifed', 1],
    ['Qualfied', 1],
    ['Qualification', 8],
    ['qualification', 3],
    ['2 - Qualified', 5],
    ['SQL', 3],
    ['MQL', 3],
    ['Discovery', 5],
    ['discovery call', 2],
    ['Demo scheduled', 4],
    ['demo done', 2],
    ['Needs analysis', 3],
    ['needs-analysis', 1],
    ['In progress', 4],
    ['working', 2],
  ]),
  ...statuses('Proposal', [
    ['Proposal', 20],
    ['proposal', 8],
    ['PROPOSAL', 2],
    ['Proposal sent', 15],
    ['proposal sent', 6],
    ['Proposal Sent', 5],
    ['Propsal sent', 1],
    ['3 - Proposal', 5],
    ['Quote sent', 4],
    ['quoted', 2],
    ['Quoted', 3],
    ['Pricing sent', 2],
    ['Estimate', 2],
    ['RFP response', 1],
    ['Sent proposal', 2],
    ['Awaiting feedback', 2],
  ]),
  ...statuses('Negotiation', [
    ['Negotiation', 20],
    ['negotiation', 6],
    ['NEGOTIATION', 2],
    ['Negotiating', 6],
    ['negotiating', 4],
    ['Negociation', 1],
    ['Negotiation/Review', 4],
    ['In negotiation', 3],
    ['4 - Negotiation', 4],
    ['Contract sent', 4],
    ['contract sent', 2],
    ['Legal review', 3],
    ['Redlines', 1],
    ['Procurement', 2],
    ['Verbal', 1],
    ['Verbal yes', 1],
    ['Pending signature', 2],
  ]),
  ...statuses('Won', [
    ['Won', 30],
    ['won', 12],
    ['WON', 4],
    ['WON!', 2],
    ['Won!!', 1],
    ['Closed Won', 25],
    ['closed won', 8],
    ['Closed-Won', 4],
    ['closed-won', 3],
    ['CLOSED WON', 3],
    ['Closed/Won', 3],
    ['Closed - Won', 3],
    ['ClosedWon', 2],
    ['5 - Closed Won', 5],
    ['Signed', 4],
    ['signed', 2],
    ['Booked', 2],
    ['Sold', 2],
  ]),
  ...statuses('Lost', [
    ['Lost', 25],
    ['lost', 10],
    ['LOST', 3],
    ['Closed Lost', 20],
    ['closed lost', 6],
    ['Closed-Lost', 3],
    ['closed-lost', 3],
    ['Closed/Lost', 2],
    ['6 - Closed Lost', 5],
    ['Lost - price', 5],
    ['Lost - Price', 3],
    ['lost (price)', 2],
    ['Lost - competitor', 4],
    ['Lost to competitor', 3],
    ['Lost - no budget', 3],
    ['No decision', 3],
    ['no-decision', 2],
    ['Dead', 3],
    ['Lsot', 1],
  ]),
];

function statuses(stage: DealStage, values: [string, number][]) {
  return values.map(([value, weight]) => ({ value, stage, weight }));
}

/** Legacy user logins: active ones map to new users; inactive ones left the company; unmapped are not people. */
export const ACTIVE_OWNERS = [
  'jsmith',
  'mgarcia',
  'akowalski',
  'lchen',
  'pnguyen',
  'rrossi',
  'sdubois',
  'ttanaka',
  'ejohnson',
  'bsilva',
];
export const INACTIVE_OWNERS = ['dwhite', 'kbrown', 'hmueller', 'old_admin'];
export const UNMAPPED_OWNERS = ['import_bot', 'sysadmin'];

/** The purge rule of the example plan for junk accounts (trimmed names starting with test or zz, any case). */
export const JUNK_ACCOUNT_PATTERN = '^([Tt][Ee][Ss][Tt]|[Zz][Zz])';

export const LEGACY_CRM_COLUMNS = {
  accounts: ['id', 'name', 'industry', 'website', 'country', 'created', 'owner', 'updated_at'],
  contacts: ['id', 'account_id', 'first_name', 'last_name', 'email', 'phone', 'tags', 'created', 'owner', 'updated_at'],
  deals: ['id', 'account_id', 'name', 'status', 'amount', 'close_date', 'owner', 'updated_at'],
  activities: ['id', 'deal_id', 'contact_id', 'kind', 'subject', 'occurred_at', 'notes', 'updated_at'],
} as const;

export type CrmObject = keyof typeof LEGACY_CRM_COLUMNS;
export const CRM_OBJECTS = Object.keys(LEGACY_CRM_COLUMNS) as CrmObject[];

export interface FieldFacts {
  /** Records where the field is null or blank after trimming. */
  blank: number;
  /** Distinct trimmed non-blank values (exact, case-sensitive). */
  distinct: number;
  /** Non-blank values containing `,` or `;`. */
  multiValue: number;
}

export type { DateClassFacts } from './facts';

export interface ObjectFacts {
  rows: number;
  /** Every column of the table, as the source reader yields it (values as PostgreSQL's text). */
  fields: Record<string, FieldFacts>;
  /** Objects with a dedupe rule: groups by the normalised key (blank keys ignored). */
  duplicates?: DuplicateFacts;
  /** Fields mapped through `reference`: non-blank values that are not the id of any record of the object. */
  orphans?: Record<string, number>;
  /** Fields whose values are mostly dates (types.date ≥ 50 % of non-blank values): the date classes. */
  dates?: Record<string, DateClassFacts>;
  /** Fields where one kind other than text holds ≥ 90 % of non-blank values: values of another kind. */
  typeAnomalies?: Record<string, number>;
  /** Exact decimal sums (as text) of the values of the records the plan loads. */
  sums?: Record<string, string>;
  /** What else was planted, for reports and the demo (not figures of the preferences phase). */
  planted: Record<string, number>;
  /** The dry-run outcome the example plan implies: rows = loaded + Σ quarantined + Σ filtered + deduplicated. */
  expected: ExpectedOutcomes;
}

export interface CrmFacts {
  seed: number;
  schema: string;
  totalRows: number;
  objects: Record<CrmObject, ObjectFacts>;
}

export interface LegacyCrmOptions {
  schema: string;
  seed?: number;
  scale?: number;
}

type Cell = string | number | Date | null;
type Row = Record<string, Cell>;
type DateClass = keyof DateClassFacts;
type Outcome =
  | { kind: 'loaded' }
  | { kind: 'filtered'; rule: string }
  | { kind: 'deduplicated' }
  | { kind: 'quarantined'; code: string };

const LOADED: Outcome = { kind: 'loaded' };
const DEDUPLICATED: Outcome = { kind: 'deduplicated' };
const quarantined = (code: string): Outcome => ({ kind: 'quarantined', code });

/** Generates the legacy CRM into `options.schema` (dropped and recreated) and returns what was planted. */
export async function generateLegacyCrm(sql: postgres.Sql, options: LegacyCrmOptions): Promise<CrmFacts> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.schema))
    throw new Error(`schema "${options.schema}" must be a simple name: letters, digits and _`);
  const seed = options.seed ?? LEGACY_CRM_DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer (got ${seed})`);
  const data = buildLegacyCrm(seed, options.scale ?? 1);
  const facts: CrmFacts = { seed, schema: options.schema, totalRows: 0, objects: data.facts };
  facts.totalRows = CRM_OBJECTS.reduce((n, o) => n + data.facts[o].rows, 0);

  const s = sql(options.schema);
  await sql.begin(async (tx) => {
    await tx`drop schema if exists ${s} cascade`;
    await tx`create schema ${s}`;
    await tx`create table ${s}.accounts (
      id integer primary key, name text, industry text, website text, country text, created text, owner text,
      updated_at timestamptz not null)`;
    await tx`create table ${s}.contacts (
      id integer primary key, account_id text, first_name text, last_name text, email text, phone text, tags text,
      created text, owner text, updated_at timestamptz not null)`;
    await tx`create table ${s}.deals (
      id integer primary key, account_id text, name text, status text, amount text, close_date text, owner text,
      updated_at timestamptz not null)`;
    await tx`create table ${s}.activities (
      id integer primary key, deal_id text, contact_id text, kind text, subject text, occurred_at text, notes text,
      updated_at timestamptz not null)`;
    for (const object of CRM_OBJECTS) {
      const rows = data.rows[object];
      const columns = [...LEGACY_CRM_COLUMNS[object]];
      for (let i = 0; i < rows.length; i += 2000) {
        const chunk = rows.slice(i, i + 2000) as Record<string, postgres.ParameterOrJSON<never>>[];
        await tx`insert into ${s}.${tx(object)} ${tx(chunk, columns)}`;
      }
    }
  });
  return facts;
}

// ---------------------------------------------------------------------------------------------------------
// Vocabulary

const FIRST = [
  ...FIRST_NAMES,
  'Maria',
  'James',
  'Priya',
  'Kenji',
  'Amara',
  'Lucas',
  'Emma',
  'Mateo',
  'Sofia',
  'David',
  'Elena',
  'Omar',
  'Hannah',
  'Raj',
];
const LAST = [
  ...LAST_NAMES,
  'Patel',
  'Kim',
  'Martin',
  'Andersson',
  'Novak',
  'Schmidt',
  'Okafor',
  'Lopez',
  'Brown',
  'Wilson',
  'Moreau',
];
const NAME_A = [
  'Acme',
  'Northwind',
  'Globex',
  'Initech',
  'Umbrella',
  'Stark',
  'Wayne',
  'Hooli',
  'Vandelay',
  'Soylent',
  'Tyrell',
  'Cyberdyne',
  'Wonka',
  'Gringotts',
  'Oceanic',
  'Pied Piper',
  'Blue Sky',
  'Red Rock',
  'Silver Lake',
  'Golden Gate',
  'Evergreen',
  'Summit',
  'Pinnacle',
  'Horizon',
  'Atlas',
  'Apex',
  'Beacon',
  'Cascade',
  'Delta',
  'Everest',
  'Falcon',
  'Granite',
  'Harbor',
  'Ironwood',
  'Juniper',
  'Keystone',
  'Lakeside',
  'Meridian',
  'Nimbus',
  'Orchard',
  'Polaris',
  'Quantum',
  'Riverside',
  'Sequoia',
  'Sterling',
  'Upland',
  'Vertex',
  'Willow',
  'Yellowstone',
  'Bright',
];
const NAME_B = [
  'Industries',
  'Traders',
  'Logistics',
  'Systems',
  'Foods',
  'Analytics',
  'Pharma',
  'Energy',
  'Motors',
  'Textiles',
  'Labs',
  'Capital',
  'Media',
  'Robotics',
  'Software',
  'Consulting',
  'Holdings',
  'Partners',
  'Health',
  'Retail',
  'Networks',
  'Aerospace',
  'Chemicals',
  'Construction',
  'Furniture',
  'Hotels',
  'Insurance',
  'Marine',
  'Mining',
  'Printing',
];
const NAME_SUFFIX = [
  '',
  '',
  '',
  ' Inc',
  ' Inc.',
  ', Inc.',
  ' LLC',
  ' Ltd',
  ' GmbH',
  ' S.A.',
  ' & Co',
  ', LLC',
  ' Group',
  ' Corp',
];
const JUNK_NAMES = [
  'Test Account',
  'TEST - do not use',
  'test123',
  'Testing Co',
  'test account (ignore)',
  'zz Old',
  'ZZ_DELETE',
  'zz-dupe of',
  'ZZZ archive',
];
const INDUSTRIES = [
  'Software',
  'software',
  'Manufacturing',
  'Retail',
  'retail ',
  'Healthcare',
  'Health Care',
  'Finance',
  'Financial Services',
  'Education',
  'Logistics',
  'Energy',
  'Media',
  'Hospitality',
  'Construction',
  'Consulting',
  'Pharma',
  'Telecom',
];
/** Country as typed into the legacy CRM; the plan trims, upper-cases and maps each to its 2-letter code. */
const COUNTRIES: readonly [string, number][] = [
  ['US', 30],
  ['us', 6],
  ['USA', 10],
  ['United States', 8],
  ['U.S.', 2],
  ['GB', 5],
  ['UK', 5],
  ['United Kingdom', 3],
  ['England', 1],
  ['DE', 4],
  ['Germany', 3],
  ['Deutschland', 1],
  ['FR', 3],
  ['France', 2],
  ['CA', 3],
  ['Canada', 2],
  ['BR', 1],
  ['Brazil', 1],
  ['Brasil', 1],
  ['JP', 1],
  ['Japan', 1],
  ['AU', 2],
  ['Australia', 1],
  ['NL', 1],
  ['Netherlands', 1],
  ['Holland', 1],
  ['ES', 1],
  ['Spain', 1],
  ['España', 1],
];
const FREE_MAIL = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'aol.com'];
const AREA_CODES = ['212', '312', '415', '617', '206', '303', '512', '646', '404', '713'];
const TAGS = [
  'vip',
  'newsletter',
  'partner',
  'emea',
  'apac',
  'amer',
  'churn-risk',
  'trade show 2019',
  'webinar',
  'decision maker',
  'champion',
  'do not call',
];
/** Tags that contain commas, quoted in the legacy field so that splitting keeps them whole. */
const QUOTED_TAGS = ['"Smith, Jones & Co"', '"Q3, 2020 campaign"', '"Berlin, Munich roadshow"'];
const DEAL_KINDS = ['New business', 'Renewal', 'Expansion', 'Upsell', 'Pilot', 'Services', 'Support plan'];
const ACTIVITY_KINDS: readonly [string, number][] = [
  ['call', 20],
  ['Call', 6],
  ['CALL', 2],
  ['email', 18],
  ['Email', 6],
  ['e-mail', 4],
  ['meeting', 10],
  ['Meeting', 4],
  ['note', 10],
  ['Note', 4],
];
const SYSTEM_KINDS = ['system', 'system', 'System', 'SYSTEM', ' system'];
const SUBJECTS: Record<string, string[]> = {
  call: ['Intro call', 'Follow-up call', 'Call re: pricing', 'Left voicemail', 'Check-in, Q3 plans'],
  email: ['Re: proposal', 'Fwd: contract', 'Pricing, terms and next steps', 'Intro', 'Re: Re: renewal'],
  meeting: ['Kick-off meeting', 'Demo', 'QBR', 'Onsite visit; workshop', 'Lunch'],
  note: ['Note', 'Internal note', 'Budget confirmed', 'Champion left the company', 'Competitor in play'],
  system: ['Record updated', 'Owner changed', 'Stage changed', 'Imported', 'Synced from marketing'],
};
const NOTES = [
  'Asked for a discount; will come back next week.',
  'Wants references from the same industry',
  'Budget approved, waiting on legal',
  'No answer',
  'Sent deck, pricing sheet and case study',
  'Prefers email; do not call before 10am',
  'Spoke with CFO',
  'Follow up in January',
];

// ---------------------------------------------------------------------------------------------------------
// The generator proper

interface Built {
  rows: Record<CrmObject, Row[]>;
  facts: Record<CrmObject, ObjectFacts>;
}

/** Builds every row and every fact in memory; pure and deterministic for a seed and scale. */
export function buildLegacyCrm(seed: number, scale: number): Built {
  if (!(scale > 0)) throw new Error(`scale must be a positive number (got ${scale})`);
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const weighted = <T>(items: readonly (readonly [T, number])[]): T => {
    const total = items.reduce((n, [, w]) => n + w, 0);
    let r = random() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  };
  const count = (base: number) => Math.max(1, Math.round(base * scale));
  /** Blank in one of its legacy spellings: null, empty or spaces. */
  const blank = (): string | null => pick(random, [null, '', '  ', ' ']);
  const pad2 = (n: number) => String(n).padStart(2, '0');
  const maybePad = (n: number) => (chance(0.6) ? pad2(n) : String(n));
  const second = (fromYear: number, toYear: number) =>
    Date.UTC(fromYear, 0, 1) / 1000 +
    Math.floor(random() * ((Date.UTC(toYear + 1, 0, 1) - Date.UTC(fromYear, 0, 1)) / 1000));

  /** Ids with gaps: the gaps are ids of records deleted long ago, which orphans point at. */
  const ids = (start: number) => {
    let id = start;
    const gaps: number[] = [];
    return {
      next: () => {
        id += 1;
        if (chance(0.03)) {
          const skip = int(1, 3);
          for (let k = 0; k < skip; k++) gaps.push(id + k);
          id += skip;
        }
        return id;
      },
      /** An id that no record has: a gap, or above the last id. */
      missing: () => (gaps.length > 0 && chance(0.6) ? pick(random, gaps) : id + int(1, 5000)),
    };
  };
  /** An element of `items` satisfying `ok`, by a few random tries (undefined when none is found). */
  const pickWhere = <T>(items: readonly T[], ok: (item: T) => boolean): T | undefined => {
    for (let attempt = 0; attempt < 10 && items.length > 0; attempt++) {
      const item = pick(random, items);
      if (ok(item)) return item;
    }
    return undefined;
  };

  const tally = new Tally();
  const owner = (object: CrmObject): string | null => {
    const r = random();
    if (r < 0.01) {
      tally.plant(object, 'blankOwners');
      return blank();
    }
    if (r < 0.07) {
      tally.plant(object, 'inactiveOwners');
      return pick(random, INACTIVE_OWNERS);
    }
    if (r < 0.09) {
      tally.plant(object, 'unmappedOwners');
      return pick(random, UNMAPPED_OWNERS);
    }
    return pick(random, ACTIVE_OWNERS);
  };

  // Dates as typed: the class is chosen first, then a value of that class.
  const dateOf = (cls: DateClass, year: number, sep = '/'): string => {
    const month = int(1, 12);
    switch (cls) {
      case 'iso':
        return `${year}-${pad2(month)}-${pad2(int(1, 28))}`;
      case 'monthFirst':
        return `${maybePad(month)}${sep}${int(13, 28)}${sep}${year}`;
      case 'dayFirst':
        return `${int(13, 28)}${sep}${maybePad(month)}${sep}${year}`;
      case 'sameDayMonth':
        return `${maybePad(month)}${sep}${maybePad(month)}${sep}${year}`;
      case 'ambiguous': {
        let day = int(1, 12);
        if (day === month) day = (day % 12) + 1;
        return `${maybePad(month)}${sep}${maybePad(day)}${sep}${year}`;
      }
      case 'invalid':
        return pick(random, [
          `02/${int(30, 31)}/${year}`,
          `04/31/${year}`,
          `06/31/${year}`,
          `11/31/${year}`,
          `31/${pick(random, ['04', '06', '09', '11'])}/${year}`,
          `30/02/${year}`,
          'TBD',
          'Q3',
          'next quarter',
          'asap',
        ]);
    }
  };
  /** A US-style legacy date (MM/DD/YYYY): day > 12 is monthFirst, day = month sameDayMonth, else ambiguous. */
  const usDate = (year: number): { text: string; cls: DateClass } => {
    const month = int(1, 12);
    const day = int(1, 28);
    const cls: DateClass = day > 12 ? 'monthFirst' : day === month ? 'sameDayMonth' : 'ambiguous';
    return { text: `${maybePad(month)}/${maybePad(day)}/${year}`, cls };
  };

  // ----- accounts -------------------------------------------------------------------------------------------
  const nAccounts = count(5000);
  const accountIds = ids(1000);
  const accounts: Row[] = [];
  const accountOutcomes: Outcome[] = [];
  const usedNames = new Set<string>();
  const cleanAccounts: { id: number; name: string; members: number }[] = [];
  const loadedAccountIds: number[] = [];
  const duplicateAccountIds: number[] = [];
  const unloadedAccountIds: number[] = [];
  const accountName = new Map<number, string>();
  const junk = new RegExp(JUNK_ACCOUNT_PATTERN);
  let accountGroups = 0;
  let accountGroupRecords = 0;

  const companyName = (id: number): string => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const name = `${pick(random, NAME_A)} ${pick(random, NAME_B)}${pick(random, NAME_SUFFIX)}`;
      if (!usedNames.has(normaliseKey(name))) return name;
    }
    return `${pick(random, NAME_A)} ${pick(random, NAME_B)} ${id}`;
  };

  for (let i = 0; i < nAccounts; i++) {
    const id = accountIds.next();
    const r = random();
    let name: string | null;
    let outcome: Outcome = LOADED;
    let original: (typeof cleanAccounts)[number] | undefined;
    if (r < 0.02) {
      name = `${pick(random, JUNK_NAMES)} ${id}`;
      outcome = { kind: 'filtered', rule: 'junk-accounts' };
      unloadedAccountIds.push(id);
      tally.plant('accounts', 'junkAccounts');
    } else if (r < 0.025) {
      name = blank();
      outcome = quarantined('required_missing');
      unloadedAccountIds.push(id);
      tally.plant('accounts', 'blankNames');
    } else if (r < 0.06 && (original = pickWhere(cleanAccounts, (a) => a.members < 3))) {
      // A duplicate of an earlier clean account: same name but for case and whitespace; `first` survives.
      if (original.members === 1) {
        accountGroups += 1;
        accountGroupRecords += 1;
      }
      original.members += 1;
      accountGroupRecords += 1;
      name = nameVariant(random, original.name);
      outcome = DEDUPLICATED;
      duplicateAccountIds.push(id);
    } else {
      name = companyName(id);
      cleanAccounts.push({ id, name, members: 1 });
      loadedAccountIds.push(id);
    }
    if (name !== null && name.trim() !== '') {
      if (outcome.kind !== 'filtered' && junk.test(name.trim())) throw new Error(`bug: "${name}" looks like junk`);
      usedNames.add(normaliseKey(name));
      accountName.set(id, name.trim().replace(/\s+/g, ' '));
    }
    let industry: string | null = pick(random, INDUSTRIES);
    if (chance(0.04)) {
      industry = blank();
      tally.plant('accounts', 'blankIndustries');
    }
    const slug = slugOf(name ?? `account${id}`);
    const website = chance(0.12)
      ? blank()
      : pick(random, [`www.${slug}.com`, `http://www.${slug}.com`, `https://${slug}.com`, `${slug}.io`]);
    const country = chance(0.03) ? blank() : weighted(COUNTRIES);
    let created: string | null;
    if (chance(0.05)) created = blank();
    else if (chance(0.27)) created = tally.date('accounts', 'created', 'iso', dateOf('iso', int(2005, 2020)));
    else {
      const d = usDate(int(2005, 2020));
      created = tally.date('accounts', 'created', d.cls, d.text);
    }
    const updated = second(2016, 2024);
    tally.date('accounts', 'updated_at', 'iso');
    accounts.push({ id, name, industry, website, country, created, owner: owner('accounts'), updated_at: at(updated) });
    accountOutcomes.push(outcome);
  }
  tally.duplicates('accounts', ['name'], accountGroups, accountGroupRecords);

  /** An account reference of a planted kind; falls back to a clean one when there is none of that kind. */
  const accountRef = (
    object: CrmObject,
    weights: { orphan: number; unloaded: number; blank: number; duplicate: number },
  ): { value: string | null; ok: boolean; name?: string } => {
    const r = random();
    let edge = weights.orphan;
    if (r < edge) {
      tally.orphan(object, 'account_id');
      tally.plant(object, 'orphanAccounts');
      return { value: String(accountIds.missing()), ok: false };
    }
    if (r < (edge += weights.unloaded) && unloadedAccountIds.length > 0) {
      tally.plant(object, 'referencesToUnloadedAccounts');
      return { value: String(pick(random, unloadedAccountIds)), ok: false };
    }
    if (r < (edge += weights.blank)) {
      tally.plant(object, 'blankAccounts');
      return { value: blank(), ok: true };
    }
    if (r < (edge += weights.duplicate) && duplicateAccountIds.length > 0) {
      tally.plant(object, 'referencesToDuplicateAccounts');
      const id = pick(random, duplicateAccountIds);
      return { value: String(id), ok: true, name: accountName.get(id) };
    }
    if (loadedAccountIds.length === 0) return { value: null, ok: true };
    const id = pick(random, loadedAccountIds);
    const text = String(id);
    return { value: chance(0.01) ? ` ${text} ` : text, ok: true, name: accountName.get(id) };
  };

  // ----- contacts -------------------------------------------------------------------------------------------
  const nContacts = count(20000);
  const contactIds = ids(100000);
  const contacts: Row[] = [];
  const contactOutcomes: Outcome[] = [];
  const usedEmails = new Set<string>();
  const contactGroups: { email: string; members: { index: number; updated: number }[] }[] = [];
  const groupOf = new Map<number, number>();
  const cleanContacts: number[] = [];

  const localPart = (first: string, last: string): string =>
    pick(random, [
      `${asciiOf(first)}.${asciiOf(last)}`,
      `${asciiOf(first).slice(0, 1)}${asciiOf(last)}`,
      `${asciiOf(first)}_${asciiOf(last)}`,
    ]);
  const uniqueEmail = (build: (suffix: string) => string): string => {
    for (let n = 1; ; n++) {
      const email = build(n === 1 ? '' : String(n));
      const key = normaliseKey(email);
      if (!usedEmails.has(key)) {
        usedEmails.add(key);
        return email;
      }
    }
  };
  const phone = (): string | null => {
    const r = random();
    if (r < 0.05) {
      tally.plant('contacts', 'blankPhones');
      return blank();
    }
    if (r < 0.07) {
      tally.plant('contacts', 'invalidPhones');
      return pick(random, ['12', '555', '0000000', 'n/a', 'call reception', '123-45']);
    }
    const area = pick(random, AREA_CODES);
    const exchange = String(int(201, 989)).replace(/11$/, '21');
    const line = String(int(0, 9999)).padStart(4, '0');
    if (r < 0.1) return pick(random, ['+44 20 7946 0958', '+44 161 496 0321', '+49 30 901820', '+33 1 42 68 53 00']);
    return pick(random, [
      `(${area}) ${exchange}-${line}`,
      `${area}-${exchange}-${line}`,
      `${area}.${exchange}.${line}`,
      `${area}${exchange}${line}`,
      `+1 ${area} ${exchange} ${line}`,
      `1-${area}-${exchange}-${line}`,
      `${area}.${exchange}.${line} x${int(2, 99)}`,
      `(${area}) ${exchange}-${line} ext. ${int(2, 9)}`,
    ]);
  };
  const tags = (): string | null => {
    const r = random();
    if (r < 0.4) return blank();
    if (r < 0.7) return pick(random, TAGS);
    tally.plant('contacts', 'multiValueTags');
    const parts = shuffled(random, TAGS).slice(0, int(2, 4));
    if (chance(0.15)) {
      parts[0] = pick(random, QUOTED_TAGS);
      tally.plant('contacts', 'quotedTags');
    }
    return parts.join(pick(random, [', ', ',', ';', '; ']));
  };

  for (let i = 0; i < nContacts; i++) {
    const id = contactIds.next();
    const firstRaw = pick(random, FIRST);
    const lastRaw = pick(random, LAST);
    const first = chance(0.01) ? blank() : messyName(random, firstRaw);
    const last = chance(0.01) ? blank() : messyName(random, lastRaw);
    let updated = second(2018, 2024);
    let outcome: Outcome = LOADED;
    let account: { value: string | null; ok: boolean; name?: string };
    let email: string | null;
    let created: string | null;
    const original = chance(0.03)
      ? pickWhere(cleanContacts, (c) => (contactGroups[groupOf.get(c) ?? -1]?.members.length ?? 1) < 3)
      : undefined;
    if (original !== undefined) {
      // A duplicate of an earlier clean contact: the same email in another case or with spaces; the most
      // recently updated record of the group survives, whichever it is.
      let g = groupOf.get(original);
      if (g === undefined) {
        g = contactGroups.length;
        contactGroups.push({
          email: contacts[original]!.email as string,
          members: [{ index: original, updated: Date.parse(contacts[original]!.updated_at as string) / 1000 }],
        });
        groupOf.set(original, g);
      }
      const group = contactGroups[g]!;
      while (group.members.some((m) => m.updated === updated)) updated += 1;
      group.members.push({ index: i, updated });
      groupOf.set(i, g);
      email = emailVariant(random, group.email);
      account = accountRef('contacts', { orphan: 0, unloaded: 0, blank: 0.02, duplicate: 0.02 });
      created = tally.date('contacts', 'created', 'iso', dateOf('iso', int(2010, 2023)));
    } else {
      account = accountRef('contacts', { orphan: 0.015, unloaded: 0.004, blank: 0.025, duplicate: 0.02 });
      const domain = account.name && chance(0.8) ? `${slugOf(account.name)}.com` : pick(random, FREE_MAIL);
      const local = localPart(firstRaw, lastRaw);
      const e = random();
      let emailOk = true;
      if (e < 0.03) {
        email = blank();
        tally.plant('contacts', 'blankEmails');
      } else if (e < 0.045) {
        emailOk = false;
        tally.plant('contacts', 'invalidEmails');
        const broken = pick(random, [
          (sfx: string) => `${local}${sfx}@`,
          (sfx: string) => `${local}${sfx}(at)${domain}`,
          (sfx: string) => `${local}${sfx}@${domain.replace(/\./g, '')}`,
          (sfx: string) => `${asciiOf(firstRaw)} ${asciiOf(lastRaw)}${sfx}@${domain}`,
          (sfx: string) => `${local}${sfx}@@${domain}`,
          (sfx: string) => `${local}${sfx} at ${domain}`,
        ]);
        email = uniqueEmail(broken);
      } else {
        email = uniqueEmail((sfx) => `${local}${sfx}@${domain}`);
        if (chance(0.1)) email = email.toUpperCase();
        else if (chance(0.05)) email = ` ${email} `;
      }
      const c = random();
      let createdOk = true;
      if (c < 0.004) {
        createdOk = false;
        tally.plant('contacts', 'invalidCreated');
        // Not a calendar date in MM/DD/YYYY (nor in any other reading).
        const month = pick(random, ['02', '04', '06', '09', '11']);
        created = tally.date(
          'contacts',
          'created',
          'invalid',
          `${month}/${month === '02' ? 30 : 31}/${int(2010, 2023)}`,
        );
      } else if (c < 0.024) created = blank();
      else if (c < 0.324) created = tally.date('contacts', 'created', 'iso', dateOf('iso', int(2010, 2023)));
      else {
        const d = usDate(int(2010, 2023));
        created = tally.date('contacts', 'created', d.cls, d.text);
      }
      // The first field of the plan that rejects the record names the reason.
      if (!account.ok) outcome = quarantined('orphan_reference');
      else if (!emailOk) outcome = quarantined('invalid_email');
      else if (!createdOk) outcome = quarantined('invalid_date');
      if (outcome.kind === 'loaded' && email !== null && email.trim() !== '') cleanContacts.push(i);
    }
    tally.date('contacts', 'updated_at', 'iso');
    contacts.push({
      id,
      account_id: account.value,
      first_name: first,
      last_name: last,
      email,
      phone: phone(),
      tags: tags(),
      created,
      owner: owner('contacts'),
      updated_at: at(updated),
    });
    contactOutcomes.push(outcome);
  }
  let contactGroupRecords = 0;
  for (const group of contactGroups) {
    contactGroupRecords += group.members.length;
    const survivor = group.members.reduce((a, b) => (b.updated > a.updated ? b : a));
    for (const m of group.members) if (m !== survivor) contactOutcomes[m.index] = DEDUPLICATED;
  }
  tally.duplicates('contacts', ['email'], contactGroups.length, contactGroupRecords);

  // ----- deals ----------------------------------------------------------------------------------------------
  const nDeals = count(10000);
  const dealIds = ids(500000);
  const deals: Row[] = [];
  const dealOutcomes: Outcome[] = [];
  const loadedDealIds: number[] = [];
  const unloadedDealIds: number[] = [];
  const statusOrder = shuffled(
    random,
    DEAL_STATUSES.map((s) => s.value),
  );
  const statusWeights = DEAL_STATUSES.map((s) => [s.value, s.weight] as const);
  let loadedCents = 0n;

  for (let i = 0; i < nDeals; i++) {
    const id = dealIds.next();
    const account = accountRef('deals', { orphan: 0.015, unloaded: 0.005, blank: 0.005, duplicate: 0.02 });
    const year = int(2016, 2025);
    const name = `${account.name ?? pick(random, NAME_A)} - ${pick(random, DEAL_KINDS)} ${year}`;
    // Every status appears at least once (the first 105 deals), then by weight.
    const status = i < statusOrder.length ? statusOrder[i]! : weighted(statusWeights);
    let amount: string | null;
    let cents: bigint | null = null;
    const a = random();
    let amountOk = true;
    if (a < 0.015) {
      amountOk = false;
      tally.plant('deals', 'invalidAmounts');
      amount = pick(random, ['TBD', 'tbd', 'n/a', 'N/A', 'see notes', '?']);
    } else if (a < 0.035) {
      amount = blank();
      tally.plant('deals', 'blankAmounts');
    } else {
      const c = chance(0.6) ? int(10, 5000) * 5000 : int(50000, 50000000);
      cents = BigInt(c);
      amount = c % 100 === 0 && chance(0.3) ? String(c / 100) : `${Math.floor(c / 100)}.${pad2(c % 100)}`;
    }
    const d = random();
    let closeClass: DateClass | 'blank';
    if (d < 0.008) closeClass = 'invalid';
    else if (d < 0.048) closeClass = 'ambiguous';
    else if (d < 0.068) closeClass = 'blank';
    else if (d < 0.083) closeClass = 'sameDayMonth';
    else if (d < 0.233) closeClass = 'dayFirst';
    else if (d < 0.433) closeClass = 'monthFirst';
    else closeClass = 'iso';
    let closeDate: string | null;
    if (closeClass === 'blank') {
      closeDate = blank();
      tally.plant('deals', 'blankCloseDates');
    } else {
      const sep = closeClass === 'dayFirst' && chance(0.3) ? '.' : '/';
      closeDate = tally.date('deals', 'close_date', closeClass, dateOf(closeClass, year, sep));
      if (closeClass === 'ambiguous') tally.plant('deals', 'ambiguousCloseDates');
      if (closeClass === 'invalid') tally.plant('deals', 'invalidCloseDates');
    }
    let outcome: Outcome = LOADED;
    if (!account.ok) outcome = quarantined('orphan_reference');
    else if (!amountOk) outcome = quarantined('invalid_currency');
    else if (closeClass === 'ambiguous') outcome = quarantined('ambiguous_date');
    else if (closeClass === 'invalid') outcome = quarantined('invalid_date');
    if (outcome.kind === 'loaded') {
      loadedDealIds.push(id);
      if (cents !== null) loadedCents += cents;
    } else unloadedDealIds.push(id);
    tally.date('deals', 'updated_at', 'iso');
    deals.push({
      id,
      account_id: account.value,
      name: chance(0.05) ? `  ${name}` : name,
      status: chance(0.03) ? `${status} ` : status,
      amount,
      close_date: closeDate,
      owner: owner('deals'),
      updated_at: at(second(2016, 2024)),
    });
    dealOutcomes.push(outcome);
  }

  // ----- activities -----------------------------------------------------------------------------------------
  const nActivities = count(20000);
  const activityIds = ids(900000);
  const activities: Row[] = [];
  const activityOutcomes: Outcome[] = [];
  for (let i = 0; i < nActivities; i++) {
    const id = activityIds.next();
    const system = chance(0.08);
    const kind = system ? pick(random, SYSTEM_KINDS) : weighted(ACTIVITY_KINDS);
    if (system) tally.plant('activities', 'systemActivities');
    const r = random();
    let dealId: string | null;
    let dealOk = true;
    if (r < 0.06) {
      dealId = blank();
      tally.plant('activities', 'blankDeals');
    } else if (r < 0.08) {
      dealId = String(dealIds.missing());
      dealOk = false;
      tally.orphan('activities', 'deal_id');
      tally.plant('activities', 'orphanDeals');
    } else if (r < 0.095 && unloadedDealIds.length > 0) {
      dealId = String(pick(random, unloadedDealIds));
      dealOk = false;
      tally.plant('activities', 'referencesToUnloadedDeals');
    } else dealId = loadedDealIds.length > 0 ? String(pick(random, loadedDealIds)) : null;
    const c = random();
    let contactId: string | null;
    if (c < 0.15) contactId = blank();
    else if (c < 0.17) {
      contactId = String(contactIds.missing());
      tally.orphan('activities', 'contact_id');
      tally.plant('activities', 'orphanContacts');
    } else contactId = String(contacts[int(0, contacts.length - 1)]!.id);
    const occurred = second(2016, 2024);
    const iso = new Date(occurred * 1000).toISOString().slice(0, 19);
    tally.date('activities', 'occurred_at', 'iso');
    tally.date('activities', 'updated_at', 'iso');
    const subjectKey = system ? 'system' : kind.trim().toLowerCase().replace('e-mail', 'email');
    activities.push({
      id,
      deal_id: dealId,
      contact_id: contactId,
      kind,
      subject: pick(random, SUBJECTS[subjectKey] ?? SUBJECTS.note!),
      occurred_at: chance(0.7) ? `${iso}Z` : iso,
      notes: chance(0.5) ? blank() : pick(random, NOTES),
      updated_at: at(occurred + int(0, 86400 * 30)),
    });
    let outcome: Outcome = LOADED;
    if (system) outcome = { kind: 'filtered', rule: 'system-activities' };
    else if (!dealOk) outcome = quarantined('orphan_reference');
    activityOutcomes.push(outcome);
  }

  const rows = { accounts, contacts, deals, activities };
  const outcomes = {
    accounts: accountOutcomes,
    contacts: contactOutcomes,
    deals: dealOutcomes,
    activities: activityOutcomes,
  };
  const facts = {} as Record<CrmObject, ObjectFacts>;
  for (const object of CRM_OBJECTS) facts[object] = tally.objectFacts(object, rows[object], outcomes[object]);
  facts.deals.sums = { amount: decimalOf(loadedCents) };
  return { rows, facts };
}

// ---------------------------------------------------------------------------------------------------------
// Counting

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const SLASHED_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const BOOLEAN = new Set(['true', 'false', 'yes', 'no', 'y', 'n', 't', 'f']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
type Kind = 'number' | 'date' | 'boolean' | 'email' | 'text';

/** The kind of a trimmed non-blank value, as docs/preferences.md defines `types`. */
export function kindOf(value: string): Kind {
  if (NUMBER.test(value)) return 'number';
  if (ISO_DATE.test(value) || SLASHED_DATE.test(value)) return 'date';
  if (BOOLEAN.has(value.toLowerCase())) return 'boolean';
  if (EMAIL.test(value)) return 'email';
  return 'text';
}

const realDate = (y: number, m: number, d: number) => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/** The date class of a trimmed non-blank value, as docs/preferences.md defines `dates`. */
export function dateClassOf(value: string): DateClass {
  const iso = ISO_DATE.exec(value);
  if (iso) return realDate(Number(iso[1]), Number(iso[2]), Number(iso[3])) ? 'iso' : 'invalid';
  const slashed = SLASHED_DATE.exec(value);
  if (!slashed) return 'invalid';
  const [a, b, y] = [Number(slashed[1]), Number(slashed[2]), Number(slashed[3])];
  if (a <= 12 && b > 12) return realDate(y, a, b) ? 'monthFirst' : 'invalid';
  if (b <= 12 && a > 12) return realDate(y, b, a) ? 'dayFirst' : 'invalid';
  if (a <= 12 && b <= 12 && a !== b) return realDate(y, a, b) && realDate(y, b, a) ? 'ambiguous' : 'invalid';
  if (a === b && a <= 12) return realDate(y, a, b) ? 'sameDayMonth' : 'invalid';
  return 'invalid';
}

/** Dedupe key normalisation: trimmed, lower-cased, inner whitespace collapsed. */
function normaliseKey(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The facts being planted, per object, counted as each row is generated. */
class Tally {
  private readonly planted = new Map<CrmObject, Record<string, number>>();
  private readonly dates = new Map<CrmObject, Record<string, DateClassFacts>>();
  private readonly orphans = new Map<CrmObject, Record<string, number>>();
  private readonly dupes = new Map<CrmObject, NonNullable<ObjectFacts['duplicates']>>();

  plant(object: CrmObject, what: string): void {
    const p = this.planted.get(object) ?? {};
    p[what] = (p[what] ?? 0) + 1;
    this.planted.set(object, p);
  }

  orphan(object: CrmObject, field: string): void {
    const o = this.orphans.get(object) ?? {};
    o[field] = (o[field] ?? 0) + 1;
    this.orphans.set(object, o);
  }

  /** Counts a date value of a known class; returns the value. */
  date(object: CrmObject, field: string, cls: DateClass, value?: string): string {
    const d = this.dates.get(object) ?? {};
    const f = (d[field] ??= noDateClasses());
    f[cls] += 1;
    this.dates.set(object, d);
    return value ?? '';
  }

  duplicates(object: CrmObject, key: string[], groups: number, records: number): void {
    this.dupes.set(object, { key, groups, records, excess: records - groups });
  }

  objectFacts(object: CrmObject, rows: Row[], outcomes: Outcome[]): ObjectFacts {
    const columns = LEGACY_CRM_COLUMNS[object];
    const fields: Record<string, FieldFacts> = {};
    const typeAnomalies: Record<string, number> = {};
    const datesByScan: Record<string, DateClassFacts> = {};
    for (const column of columns) {
      let blank = 0;
      let multiValue = 0;
      const distinct = new Set<string>();
      const kinds: Record<Kind, number> = { number: 0, date: 0, boolean: 0, email: 0, text: 0 };
      const classes = noDateClasses();
      for (const row of rows) {
        const text = sourceText(row[column] ?? null);
        const trimmed = text === null ? '' : text.trim();
        if (trimmed === '') {
          blank += 1;
          continue;
        }
        distinct.add(trimmed);
        if (/[,;]/.test(trimmed)) multiValue += 1;
        kinds[kindOf(trimmed)] += 1;
        classes[dateClassOf(trimmed)] += 1;
      }
      fields[column] = { blank, distinct: distinct.size, multiValue };
      const nonBlank = rows.length - blank;
      const dominant = (['number', 'date', 'boolean', 'email'] as const).find((k) => kinds[k] >= 0.9 * nonBlank);
      if (nonBlank > 0 && dominant) typeAnomalies[column] = nonBlank - kinds[dominant];
      if (nonBlank > 0 && kinds.date >= 0.5 * nonBlank) datesByScan[column] = classes;
    }
    // What was counted while generating must be what the data holds: a generator bug fails loudly here.
    const dates = this.dates.get(object) ?? {};
    if (JSON.stringify(sortKeys(dates)) !== JSON.stringify(sortKeys(datesByScan)))
      throw new Error(`bug: ${object} date classes ${JSON.stringify(dates)} ≠ ${JSON.stringify(datesByScan)}`);

    const expected = countOutcomes(
      outcomes.map((o) => ({
        kind: o.kind,
        reason: o.kind === 'filtered' ? o.rule : o.kind === 'quarantined' ? o.code : undefined,
      })),
    );
    expected.filtered = sortKeys(expected.filtered);
    expected.quarantined = sortKeys(expected.quarantined);
    const duplicates = this.dupes.get(object);
    if (duplicates && duplicates.excess !== expected.deduplicated)
      throw new Error(`bug: ${object} excess ${duplicates.excess} ≠ deduplicated ${expected.deduplicated}`);
    const facts: ObjectFacts = {
      rows: rows.length,
      fields,
      planted: sortKeys(this.planted.get(object) ?? {}),
      expected,
    };
    if (duplicates) facts.duplicates = duplicates;
    const referenceFields = {
      accounts: [],
      contacts: ['account_id'],
      deals: ['account_id'],
      activities: ['deal_id', 'contact_id'],
    }[object];
    if (referenceFields.length > 0) {
      const counted = this.orphans.get(object) ?? {};
      facts.orphans = Object.fromEntries(referenceFields.map((f) => [f, counted[f] ?? 0]));
    }
    facts.dates = sortKeys(dates);
    facts.typeAnomalies = typeAnomalies;
    return facts;
  }
}

/** A cell as PostgreSQL prints it with `::text` (in a UTC session for timestamps). */
function sourceText(cell: Cell): string | null {
  if (cell === null) return null;
  if (cell instanceof Date) return `${cell.toISOString().slice(0, 19).replace('T', ' ')}+00`;
  return String(cell);
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function decimalOf(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** A timestamptz value as ISO text: works whatever type serializers the client was given (drizzle replaces them). */
const at = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The same name as the legacy CRM would hold it twice: other case, doubled or padding spaces. */
function nameVariant(random: () => number, name: string): string {
  const variants = [
    name.toUpperCase(),
    name.toLowerCase(),
    ` ${name}`,
    `${name}  `,
    name.replace(' ', '  '),
    `  ${name.toLowerCase()} `,
    name,
  ];
  return pick(random, variants);
}

function emailVariant(random: () => number, email: string): string {
  const base = email.trim();
  return pick(random, [base.toUpperCase(), base.toLowerCase(), ` ${base.toLowerCase()}`, `${capitalise(base)} `]);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function messyName(random: () => number, name: string): string {
  const r = random();
  if (r < 0.05) return name.toUpperCase();
  if (r < 0.08) return name.toLowerCase();
  if (r < 0.15) return `  ${name} `;
  return name;
}

function asciiOf(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/gi, 'o')
    .replace(/ł/gi, 'l')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function slugOf(name: string): string {
  return (
    asciiOf(
      name
        .replace(/,?\s*(inc\.?|llc|ltd|gmbh|s\.a\.|corp|group|& co)\s*$/i, '')
        .trim()
        .replace(/\s+/g, '-'),
    ) || 'company'
  );
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const schema = argValue(args, 'schema') ?? 'legacy_crm';
  const seed = Number(argValue(args, 'seed') ?? LEGACY_CRM_DEFAULT_SEED);
  const scale = Number(argValue(args, 'scale') ?? 1);
  await withDatabase(async (sql) => {
    const started = performance.now();
    const facts = await generateLegacyCrm(sql, { schema, seed, scale });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`legacy CRM: schema ${schema}, seed ${seed}, scale ${scale}: ${facts.totalRows} rows in ${seconds}s`);
    for (const object of CRM_OBJECTS) {
      const { rows, expected } = facts.objects[object];
      console.log(outcomeLine(object, 10, rows, 6, expected));
    }
    writeFacts(argValue(args, 'facts'), facts);
  });
}

if (require.main === module) runMain(main);
