import postgres from 'postgres';
import { pick, seededRandom } from '../../common/random';
import type { SandboxStore } from '../../sandboxes/core/store';
import type { HubSpotRecord } from '../../sandboxes/generate/crm';
import { argValue, runMain, withDatabase, writeFacts } from './facts';
import { FIRST_NAMES, LAST_NAMES } from './vocabulary';

/**
 * Two CRMs of one business, to be merged into one target (docs/merge.md, examples/merge-crm-to-postgres.yaml):
 * HubSpot (companies, contacts; written into the HubSpot sandbox's store) and an acquired company's legacy SQL
 * CRM (accounts, contacts, deals in one PostgreSQL schema). Deterministic from a seed.
 *
 * The generator first decides the real world: which companies and people exist, and in which system(s) each one
 * is. A company in both systems is spelt differently in each ("Acme Corp" acme.com beside "ACME Corporation"
 * WWW.Acme.COM), or, where HubSpot has no domain, has the same name and country in another case and padding; a
 * person in both has the same email (other case, padding) or the same phone written otherwise (E.164 beside
 * national). Values conflict across systems with different last-modified times, tags overlap, and in a few
 * groups two legacy accounts and one HubSpot company share a domain: those go to review. Every other key
 * (domain, name + country, email, phone) is unique by construction, so the groups are exactly the planted ones.
 *
 * The expected figures are computed from that world by the example plan's rules (`expectedOf`): records per
 * source, every merged group and its members by ref ("hubspot/<id>", "legacy/<id>"), the review groups, each
 * target row's expected values (the survivor of every field by its rule), and the sums per source.
 *
 * Run: npx tsx scripts/generate/merge-crm.ts --schema crm [--seed N] [--companies N] [--facts file.json]
 *        [--hubspot-port 8790]
 * (the legacy CRM into DATABASE_URL; with --hubspot-port, HubSpot's half served by the HubSpot sandbox on that port
 * until Ctrl-C; in code, `seedMergeHubSpot` fills a running sandbox).
 */

export const MERGE_CRM_DEFAULT_SEED = 20261207;
export const MERGE_CRM_DEFAULT_COMPANIES = 200;

export type SourceName = 'hubspot' | 'legacy';
/** The order of the plan's `sources`: the first one's record anchors a group (and breaks ties). */
export const SOURCE_ORDER: readonly SourceName[] = ['hubspot', 'legacy'];

export interface CompanyRep {
  source: SourceName;
  id: string;
  name: string;
  /** Raw: a host, a URL, "n/a", or null. */
  domain: string | null;
  country: string | null;
  industry: string | null;
  /** YYYY-MM-DD, or null. */
  customerSince: string | null;
  /** Legacy only: decimal text with 2 decimals. */
  revenue: string | null;
  notes: string | null;
  updatedAt: string;
}

export type CompanyKind = 'both-domain' | 'both-name' | 'hubspot' | 'legacy' | 'review';

export interface Company {
  key: number;
  kind: CompanyKind;
  /** hubspot first, then legacy (two legacy reps in a review group). */
  reps: CompanyRep[];
}

export interface PersonRep {
  source: SourceName;
  id: string;
  /** The id of the person's company in the same source. */
  companyId: string;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  /** HubSpot interests / legacy tags: one text, separated by , or ; */
  tags: string | null;
  updatedAt: string;
}

export type PersonKind = 'both-email' | 'both-phone' | 'hubspot' | 'legacy';

export interface Person {
  key: number;
  kind: PersonKind;
  company: number;
  reps: PersonRep[];
}

export interface Deal {
  id: string;
  accountId: string;
  title: string;
  stage: string;
  amount: string | null;
  closeDate: string;
  updatedAt: string;
}

export interface MergeCrmWorld {
  seed: number;
  size: { companies: number };
  companies: Company[];
  people: Person[];
  deals: Deal[];
}

export interface MergeCrmOptions {
  seed?: number;
  /** Real-world companies (each in HubSpot, the legacy CRM, or both). */
  companies?: number;
}

const INDUSTRIES = ['Software', 'Retail', 'Logistics', 'Healthcare', 'Energy', 'Finance', 'Media', 'Manufacturing'];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'CA', 'NL', 'AU'];
const TAGS = ['Golf', 'Wine', 'Travel', 'Webinar', 'Pricing', 'Partner', 'Newsletter', 'Events'];
const STAGES = ['New', 'Qualified', 'Proposal', 'Won', 'Lost'];
const AREAS = ['212', '312', '415', '617', '206', '303', '512', '646'];
const NAME_A = [
  'Acme',
  'Blue',
  'Harbor',
  'Northwind',
  'Silver',
  'Granite',
  'Maple',
  'Summit',
  'Cedar',
  'Atlas',
  'Orchid',
  'Falcon',
  'Meridian',
  'Pioneer',
  'Crescent',
  'Evergreen',
  'Golden',
  'Iron',
  'Lakeside',
  'Redwood',
  'Sterling',
  'Willow',
  'Copper',
  'Horizon',
  'Juniper',
  'Keystone',
  'Liberty',
  'Monarch',
  'Oakridge',
  'Prairie',
];
const NAME_B = [
  'Foods',
  'Logistics',
  'Labs',
  'Systems',
  'Health',
  'Energy',
  'Media',
  'Works',
  'Partners',
  'Capital',
  'Retail',
  'Robotics',
  'Analytics',
  'Textiles',
  'Motors',
  'Pharma',
  'Studios',
  'Networks',
  'Supply',
  'Foundry',
];
/** The company form as HubSpot spells it, and as the legacy CRM does. */
const FORMS: readonly [string, string][] = [
  ['Corp', 'Corporation'],
  ['Inc', 'Incorporated'],
  ['Ltd', 'Limited'],
  ['LLC', ', LLC'],
  ['Group', 'Group Holdings'],
];
const TLDS = ['.com', '.io', '.net', '.co.uk'];

const HUBSPOT_COMPANY_BASE = 18_000_000_000;
const HUBSPOT_CONTACT_BASE = 51_000_000_000;

/** The real world of both CRMs for a seed and a size: pure, no I/O. */
export function buildMergeCrm(options: MergeCrmOptions = {}): MergeCrmWorld {
  const seed = options.seed ?? MERGE_CRM_DEFAULT_SEED;
  const n = options.companies ?? MERGE_CRM_DEFAULT_COMPANIES;
  if (!Number.isInteger(n) || n < 20) throw new Error(`--companies ${n}: give a whole number of at least 20`);
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  const review = Math.max(1, Math.floor(n / 100));
  const bothDomain = Math.round(n * 0.2);
  const bothName = Math.max(1, Math.round(n * 0.04));
  const hubspotOnly = Math.round(n * 0.35);
  const legacyOnly = n - review - bothDomain - bothName - hubspotOnly;
  const kinds: CompanyKind[] = [
    ...Array<CompanyKind>(bothDomain).fill('both-domain'),
    ...Array<CompanyKind>(bothName).fill('both-name'),
    ...Array<CompanyKind>(hubspotOnly).fill('hubspot'),
    ...Array<CompanyKind>(legacyOnly).fill('legacy'),
    ...Array<CompanyKind>(review).fill('review'),
  ];
  shuffle(kinds, random);

  // Ids: HubSpot's in creation order, the legacy CRM's shuffled, so no id lines up with the other system's.
  const legacyAccountIds = shuffle(
    Array.from({ length: n + review }, (_, i) => i + 1),
    random,
  );
  let nextHubSpotCompany = HUBSPOT_COMPANY_BASE + 101;
  let nextLegacyAccount = 0;
  const hubspotCompanyId = () => String((nextHubSpotCompany += between(1, 9)));
  const legacyAccountId = () => String(legacyAccountIds[nextLegacyAccount++]!);

  const time = (from: number) => new Date(Date.UTC(2024, 0, 1) + from * 1000).toISOString();
  // Distinct instants: HubSpot's on even seconds, the legacy CRM's on odd ones, so most_recent never ties.
  const instant = (source: SourceName) => time(2 * between(0, 40_000_000) + (source === 'legacy' ? 1 : 0));
  const day = () => new Date(Date.UTC(2012, 0, 1) + between(0, 4000) * 86_400_000).toISOString().slice(0, 10);
  const cents = (lo: number, hi: number) => formatCents(BigInt(between(lo, hi)));

  const usedNames = new Set<string>();
  const usedHosts = new Set<string>();
  const companies: Company[] = [];
  kinds.forEach((kind, key) => {
    let base = `${pick(random, NAME_A)} ${pick(random, NAME_B)}`;
    for (let k = 2; usedNames.has(base.toLowerCase()); k++) base = `${base.replace(/ \d+$/, '')} ${k}`;
    usedNames.add(base.toLowerCase());
    let host = `${base.toLowerCase().replace(/[^a-z0-9]/g, '')}${pick(random, TLDS)}`;
    while (usedHosts.has(host)) host = `x${host}`;
    usedHosts.add(host);
    const [hubForm, legacyForm] = pick(random, FORMS);
    const country = pick(random, COUNTRIES);
    const industry = pick(random, INDUSTRIES);
    const hubspotRep = (overrides: Partial<CompanyRep> = {}): CompanyRep => ({
      source: 'hubspot',
      id: hubspotCompanyId(),
      name: `${base} ${hubForm}`,
      domain: chance(0.5) ? host : `www.${host}`,
      country: chance(0.85) ? country : null,
      industry: chance(0.9) ? industry : null,
      customerSince: chance(0.8) ? day() : null,
      revenue: null,
      notes: null,
      updatedAt: instant('hubspot'),
      ...overrides,
    });
    const legacyRep = (overrides: Partial<CompanyRep> = {}): CompanyRep => ({
      source: 'legacy',
      id: legacyAccountId(),
      name: `${chance(0.5) ? base.toUpperCase() : base}${legacyForm.startsWith(',') ? '' : ' '}${legacyForm}`,
      domain: pick(random, [
        `WWW.${mixedCase(host)}`,
        `https://www.${host}/`,
        `http://${mixedCase(host)}/contact`,
        host.toUpperCase(),
      ]),
      country: chance(0.9) ? pick(random, [country, country.toLowerCase(), ` ${country} `]) : null,
      industry: chance(0.9) ? industry : null,
      customerSince: chance(0.9) ? day() : null,
      revenue: chance(0.85) ? cents(10_000_00, 90_000_000_00) : null,
      notes: chance(0.5) ? `Key account since ${2000 + between(0, 20)}` : null,
      updatedAt: instant('legacy'),
      ...overrides,
    });
    let reps: CompanyRep[];
    if (kind === 'hubspot') reps = [hubspotRep(chance(0.1) ? { domain: null } : {})];
    else if (kind === 'legacy') reps = [legacyRep(chance(0.1) ? { domain: pick(random, ['n/a', null]) } : {})];
    else if (kind === 'both-domain') {
      const hub = hubspotRep();
      // A third of them disagree on the industry, a quarter on the country: the rules decide.
      const legacy = legacyRep({
        ...(chance(0.33)
          ? {
              industry: pick(
                random,
                INDUSTRIES.filter((i) => i !== industry),
              ),
            }
          : {}),
        ...(chance(0.25)
          ? {
              country: pick(
                random,
                COUNTRIES.filter((c) => c !== country),
              ),
            }
          : {}),
      });
      reps = [hub, legacy];
    } else if (kind === 'both-name') {
      // HubSpot has no domain: the name and country (another case, padding) are what says they are one.
      const name = `${base} ${hubForm}`;
      reps = [
        hubspotRep({ domain: null, country, name }),
        legacyRep({ name: `  ${name.toUpperCase()}  `, country: country.toLowerCase() }),
      ];
    } else {
      // Two legacy accounts and one HubSpot company on one domain: a person decides whether they are one.
      reps = [
        hubspotRep({ name: `${base} Group`, domain: host.toUpperCase() }),
        legacyRep({ name: `${base} Group`, domain: `www.${host}` }),
        legacyRep({ name: `${base} Holdings`, domain: `https://${host}/` }),
      ];
    }
    companies.push({ key, kind, reps });
  });

  // People: only in companies that are not under review (a reference to a group under review is an orphan).
  const people: Person[] = [];
  let phoneIndex = 0;
  let nextHubSpotContact = HUBSPOT_CONTACT_BASE + 11;
  let nextLegacyContact = 1000;
  const newPhone = () => phoneOf(phoneIndex++);
  for (const company of companies) {
    if (company.kind === 'review') continue;
    const hub = company.reps.find((r) => r.source === 'hubspot');
    const legacy = company.reps.find((r) => r.source === 'legacy');
    const host = hostOf(company.reps.find((r) => hostOf(r.domain))?.domain ?? null) ?? 'mail.example.org';
    const count = hub && legacy ? between(1, 3) : between(0, 2);
    for (let i = 0; i < count; i++) {
      const key = people.length;
      const kind: PersonKind =
        hub && legacy
          ? pick(random, ['both-email', 'both-email', 'both-email', 'both-phone', 'hubspot', 'legacy'] as const)
          : hub
            ? 'hubspot'
            : 'legacy';
      const firstName = pick(random, FIRST_NAMES);
      const lastName = pick(random, LAST_NAMES);
      const local = `${ascii(firstName)}.${ascii(lastName)}.${key}`;
      const email = `${local}@${host}`;
      const tags = () => (chance(0.6) ? sample(random, TAGS, between(1, 3)) : []);
      const rep = (source: SourceName, overrides: Partial<PersonRep>): PersonRep => ({
        source,
        id: source === 'hubspot' ? String((nextHubSpotContact += between(1, 5))) : String(nextLegacyContact++),
        companyId: (source === 'hubspot' ? hub : legacy)!.id,
        firstName,
        lastName,
        email: chance(0.92) ? email : null,
        phone: chance(0.85) ? formatPhone(newPhone(), pick(random, PHONE_FORMATS)) : null,
        tags: joinTags(tags(), random),
        updatedAt: instant(source),
        ...overrides,
      });
      let reps: PersonRep[];
      if (kind === 'hubspot') reps = [rep('hubspot', {})];
      else if (kind === 'legacy') reps = [rep('legacy', {})];
      else if (kind === 'both-email') {
        const shared = newPhone();
        const phones = pick(random, ['same', 'same', 'conflict', 'one'] as const);
        const hubTags = tags();
        // The legacy CRM's tags overlap HubSpot's interests in another case: the union keeps each once.
        const legacyTags = [...hubTags.slice(0, 1).map((t) => t.toLowerCase()), ...tags()];
        reps = [
          rep('hubspot', {
            email,
            phone: formatPhone(shared, 'e164'),
            tags: joinTags(hubTags, random),
          }),
          rep('legacy', {
            email: `  ${mixedCase(local)}@${host.toUpperCase()} `,
            phone:
              phones === 'same'
                ? formatPhone(shared, 'national')
                : phones === 'conflict'
                  ? formatPhone(newPhone(), 'national')
                  : null,
            tags: joinTags(legacyTags, random),
          }),
        ];
      } else {
        // Another email in each system, one phone written two ways.
        const shared = newPhone();
        reps = [
          rep('hubspot', { email, phone: formatPhone(shared, 'e164-compact') }),
          rep('legacy', {
            email: `${ascii(firstName)}${key}@private.example.net`,
            phone: formatPhone(shared, 'dotted'),
          }),
        ];
      }
      people.push({ key, kind, company: company.key, reps });
    }
  }

  const deals: Deal[] = [];
  let nextDeal = 5000;
  for (const company of companies) {
    if (company.kind === 'review') continue;
    const legacy = company.reps.find((r) => r.source === 'legacy');
    if (!legacy) continue;
    const count = between(0, 3);
    for (let i = 0; i < count; i++)
      deals.push({
        id: String(nextDeal++),
        accountId: legacy.id,
        title: `${collapse(legacy.name)} ${pick(random, ['Renewal', 'Expansion', 'Pilot', 'Licenses', 'Services'])}`,
        stage: pick(random, STAGES),
        amount: chance(0.95) ? cents(500_00, 250_000_00) : null,
        closeDate: day(),
        updatedAt: instant('legacy'),
      });
  }
  return { seed, size: { companies: n }, companies, people, deals };
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function sample<T>(random: () => number, items: readonly T[], count: number): T[] {
  return shuffle([...items], random).slice(0, count);
}

const joinTags = (tags: readonly string[], random: () => number): string | null =>
  tags.length === 0 ? null : tags.join(pick(random, ['; ', ', ', ';', ' , ']));

/** "acme.com" → "Acme.COM": every other label upper-cased, the first capitalised. */
function mixedCase(text: string): string {
  return text
    .split('.')
    .map((label, i) => (i % 2 === 1 ? label.toUpperCase() : label.charAt(0).toUpperCase() + label.slice(1)))
    .join('.');
}

/** Letters a-z of a name (accents dropped, other letters left out): the local part of an address. */
function ascii(name: string): string {
  const out = name
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
  return out === '' ? 'p' : out;
}

/** The 10 digits of the n-th phone number: unique, and valid in the US numbering plan. */
function phoneOf(n: number): string {
  const area = AREAS[n % AREAS.length]!;
  const rest = Math.floor(n / AREAS.length);
  return `${area}${String(201 + Math.floor(rest / 10_000))}${String(rest % 10_000).padStart(4, '0')}`;
}

const PHONE_FORMATS = ['e164', 'e164-compact', 'national', 'dotted', 'dashed'] as const;
type PhoneFormat = (typeof PHONE_FORMATS)[number];

function formatPhone(digits: string, format: PhoneFormat): string {
  const [a, b, c] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
  switch (format) {
    case 'e164':
      return `+1 ${a} ${b} ${c}`;
    case 'e164-compact':
      return `+1${digits}`;
    case 'national':
      return `(${a}) ${b}-${c}`;
    case 'dotted':
      return `${a}.${b}.${c}`;
    case 'dashed':
      return `${a}-${b}-${c}`;
  }
}

export function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

const centsOf = (amount: string): bigint => {
  const [int, frac = ''] = amount.split('.');
  const negative = int!.startsWith('-');
  const value = BigInt(int!.replace('-', '')) * 100n + BigInt((frac + '00').slice(0, 2));
  return negative ? -value : value;
};

// ---------------------------------------------------------------------------------------------------------------
// What the example plan's field maps make of each value (the plan's transforms, for the values generated here)

const collapse = (s: string | null): string | null => {
  if (s === null) return null;
  const out = s.trim().replace(/\s+/g, ' ');
  return out === '' ? null : out;
};

/** The `domain` transform on the values generated here: a host, lower-cased, without www.; "n/a" is none. */
export function hostOf(raw: string | null): string | null {
  if (raw === null || raw.trim() === '' || raw.trim().toLowerCase() === 'n/a') return null;
  return raw
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .replace(/^www\./, '');
}

const upperTrim = (s: string | null): string | null => (s === null || s.trim() === '' ? null : s.trim().toUpperCase());
const emailOf = (s: string | null): string | null => (s === null || s.trim() === '' ? null : s.trim().toLowerCase());
const phoneE164 = (s: string | null): string | null => (s === null ? null : `+1${s.replace(/\D/g, '').slice(-10)}`);
const tagsOf = (s: string | null): string[] | null => {
  if (s === null) return null;
  const list = s
    .split(/[,;]/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
  return list.length === 0 ? null : list;
};

export const refOf = (rep: { source: SourceName; id: string }): string => `${rep.source}/${rep.id}`;

/** A company record's target fields, as the plan maps them. */
export function companyFields(rep: CompanyRep): Record<string, string | null> {
  const fields: Record<string, string | null> = {
    name: collapse(rep.name),
    domain: hostOf(rep.domain),
    country: upperTrim(rep.country),
    industry: collapse(rep.industry),
    customer_since: rep.customerSince,
  };
  if (rep.source === 'legacy') Object.assign(fields, { annual_revenue: rep.revenue, notes: collapse(rep.notes) });
  return fields;
}

/** A person record's target fields, as the plan maps them (company_ref: the merged company's ref). */
export function personFields(rep: PersonRep, companyRef: string): Record<string, string | string[] | null> {
  return {
    first_name: collapse(rep.firstName),
    last_name: collapse(rep.lastName),
    email: emailOf(rep.email),
    phone: phoneE164(rep.phone),
    tags: tagsOf(rep.tags),
    company_ref: companyRef,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Expected figures: the example plan's match and survivorship rules applied to the world

export type CompanyRow = Record<
  'name' | 'domain' | 'country' | 'industry' | 'customer_since' | 'annual_revenue' | 'notes',
  string | null
>;
export type PersonRow = Record<'first_name' | 'last_name' | 'email' | 'phone' | 'company_ref', string | null> & {
  tags: string[] | null;
};
export type DealRow = Record<'company_ref' | 'title' | 'stage' | 'amount' | 'close_date', string | null>;

export interface MergedGroupFacts {
  /** The anchor's ref: the target key of the merged record. */
  ref: string;
  members: string[];
  /** The match rule (by its name in the plan) that joined the group. */
  rule: string;
}

export interface MergedObjectFacts {
  /** Source records by source. */
  records: Partial<Record<SourceName, number>>;
  /** Target rows: one per single record and per merged group (groups under review are not loaded). */
  targetRows: number;
  single: number;
  merged: MergedGroupFacts[];
  /** Records in merged groups that are not their anchor: staged as merged into it. */
  mergedInto: number;
  review: { members: string[] }[];
  reviewRecords: number;
  /** Per rule, the merged records whose value the rule chose against another record's different value. */
  conflicts: Record<string, number>;
}

/** A person's decision on a group under review: one record, or the parts written (refs), each its own record. */
export type ReviewDecision = 'merge' | { split: string[][] };

/** One merged record's field where its rule chose among different values, and the records the value came from. */
export interface SurvivorExample {
  object: string;
  ref: string;
  field: string;
  /** As Tern's lineage names it: priority, most_recent, most_complete, transform earliest, union. */
  rule: string;
  value: unknown;
  /** The ref of the record the value came from (a union: one per element, in order). */
  from: string[];
}

export interface MergeCrmFacts {
  seed: number;
  size: { companies: number };
  records: {
    hubspot: { companies: number; contacts: number };
    legacy: { accounts: number; contacts: number; deals: number };
  };
  objects: {
    companies: MergedObjectFacts & { rows: Record<string, CompanyRow> };
    people: MergedObjectFacts & { rows: Record<string, PersonRow> };
    deals: { records: { legacy: number }; targetRows: number; rows: Record<string, DealRow> };
  };
  /** Exact decimal sums, per source and of what the target must hold. */
  sums: {
    hubspot: Record<string, string>;
    legacy: { 'accounts.annual_revenue': string; 'deals.amount': string };
    target: { 'companies.annual_revenue': string; 'deals.amount': string };
    /** Revenue of the legacy accounts held back in review groups: legacy − review = target. */
    review: { 'accounts.annual_revenue': string };
  };
  /** What was planted, by kind. */
  planted: Record<string, number>;
  /** Per object and rule, the first few merged values the rule chose among different ones, with their origin. */
  survivors: SurvivorExample[];
}

const compareRefs = (a: { source: SourceName; id: string }, b: { source: SourceName; id: string }) =>
  SOURCE_ORDER.indexOf(a.source) - SOURCE_ORDER.indexOf(b.source) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

interface Candidate<V> {
  rep: { source: SourceName; id: string; updatedAt: string };
  value: V | null;
  fields: Record<string, unknown>;
}

const blank = (v: unknown) => v === null || (Array.isArray(v) && v.length === 0);

/** A survivor: the value, and the records it came from (one; a union's elements each from the first holder). */
interface Picked<V> {
  value: V | null;
  from: string[];
}

/** The first candidate in base order (sources, then id) with the highest score among non-blank values. */
function bestOf<V>(candidates: Candidate<V>[], score: (c: Candidate<V>) => number): Picked<V> {
  let winner: Candidate<V> | undefined;
  for (const c of candidates) if (!blank(c.value) && (winner === undefined || score(c) > score(winner))) winner = c;
  return winner ? { value: winner.value, from: [refOf(winner.rep)] } : { value: null, from: [] };
}

const RULES = {
  priority: (order: readonly SourceName[]) => (c: Candidate<unknown>) => -order.indexOf(c.rep.source),
  mostRecent: (c: Candidate<unknown>) => Date.parse(c.rep.updatedAt),
  mostComplete: (c: Candidate<unknown>) => Object.values(c.fields).filter((v) => !blank(v)).length,
};

/** The plan's `earliest` transform: the smallest ISO date, credited to the first record holding it. */
function earliestOf(candidates: Candidate<string>[]): Picked<string> {
  const given = candidates.filter((c) => c.value !== null);
  const value = given.map((c) => c.value!).sort()[0];
  return value === undefined
    ? { value: null, from: [] }
    : { value, from: [refOf(given.find((c) => c.value === value)!.rep)] };
}

function union(candidates: Candidate<string[]>[]): Picked<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  const from: string[] = [];
  for (const c of candidates)
    for (const t of c.value ?? []) {
      const k = t.trim().toLowerCase();
      if (!seen.has(k)) {
        seen.add(k);
        out.push(t);
        from.push(refOf(c.rep));
      }
    }
  return out.length === 0 ? { value: null, from: [] } : { value: out, from };
}

/** The survivor of one field, and whether the rule chose among different values. */
function survive<V>(
  reps: { source: SourceName; id: string; updatedAt: string; fields: Record<string, unknown> }[],
  field: string,
  pickWith: (candidates: Candidate<V>[]) => Picked<V>,
): Picked<V> & { conflict: boolean } {
  const candidates = reps
    .filter((r) => field in r.fields)
    .map((r) => ({ rep: r, value: (r.fields[field] ?? null) as V | null, fields: r.fields }));
  const values = new Set(candidates.filter((c) => !blank(c.value)).map((c) => JSON.stringify(c.value)));
  return { ...pickWith(candidates), conflict: values.size > 1 };
}

/** How many conflicts of each rule the facts give as examples, with their lineage. */
const SURVIVOR_EXAMPLES = 5;

/**
 * A survivorship rule's view of the records: `rule` is the rule's name as Tern reports it in lineage; conflicts
 * (the rule chose among different values) are counted, and the first few kept as examples with their origin.
 */
function survivorRecorder(
  object: string,
  conflicts: Record<string, number>,
  examples: SurvivorExample[],
  trace: ReadonlySet<string>,
) {
  return <V>(
    ref: string,
    reps: { source: SourceName; id: string; updatedAt: string; fields: Record<string, unknown> }[],
    field: string,
    rule: string,
    pickWith: (c: Candidate<V>[]) => Picked<V>,
    counted = true,
  ): V | null => {
    const out = survive(reps, field, pickWith);
    const example = { object, ref, field, rule, value: out.value, from: out.from };
    if (counted && out.conflict) {
      conflicts[rule] = (conflicts[rule] ?? 0) + 1;
      if (examples.filter((e) => e.object === object && e.rule === rule).length < SURVIVOR_EXAMPLES)
        examples.push(example);
      else if (trace.has(ref)) examples.push(example);
    } else if (trace.has(ref)) examples.push(example);
    return out.value;
  };
}

/**
 * The expected outcome of the example plan over the world: groups, review, every target row, the sums. `trace`:
 * merged refs whose every field is also given in `survivors`, with its origin (e.g. the records a delta touched).
 * `decisions`: a person's decisions on review groups, by the group's members (refs, sorted, joined with commas).
 */
export function expectedOf(
  world: MergeCrmWorld,
  options: { trace?: Iterable<string>; decisions?: Readonly<Record<string, ReviewDecision>> } = {},
): MergeCrmFacts {
  const trace = new Set(options.trace ?? []);
  const companyRefByRep = new Map<string, string>();
  const companies = mergedFacts(world.companies, {
    ruleOf: (c) => (c.kind === 'both-domain' ? 'domain' : 'name-country'),
    decisions: options.decisions,
  });
  for (const g of companies.loaded) for (const rep of g.reps) companyRefByRep.set(refOf(rep), g.ref);
  const examples: SurvivorExample[] = [];
  const conflicts: Record<string, number> = {};
  const companyRows: Record<string, CompanyRow> = {};
  const companySurvivor = survivorRecorder('companies', conflicts, examples, trace);
  for (const g of companies.loaded) {
    const reps = g.reps.map((r) => ({ ...r, fields: companyFields(r) }));
    const by = <V>(field: string, rule: string, pickWith: (c: Candidate<V>[]) => Picked<V>) =>
      companySurvivor(g.ref, reps, field, rule, pickWith);
    const first = (field: string) =>
      companySurvivor<string>(g.ref, reps, field, 'priority', (c) => bestOf(c, RULES.priority(SOURCE_ORDER)), false);
    companyRows[g.ref] = {
      name: by<string>('name', 'priority', (c) => bestOf(c, RULES.priority(['legacy', 'hubspot']))),
      domain: first('domain'),
      country: by<string>('country', 'most_complete', (c) => bestOf(c, RULES.mostComplete)),
      industry: by<string>('industry', 'most_recent', (c) => bestOf(c, RULES.mostRecent)),
      customer_since: by<string>('customer_since', 'transform earliest', earliestOf),
      annual_revenue: first('annual_revenue'),
      notes: first('notes'),
    };
  }

  const companyOfPerson = (p: Person, rep: PersonRep) => {
    const company = world.companies[p.company]!;
    const companyRep = company.reps.find((r) => r.source === rep.source && r.id === rep.companyId)!;
    return companyRefByRep.get(refOf(companyRep))!;
  };
  const people = mergedFacts(world.people, { ruleOf: (p) => (p.kind === 'both-email' ? 'email' : 'phone') });
  const peopleConflicts: Record<string, number> = {};
  const personRows: Record<string, PersonRow> = {};
  const personSurvivor = survivorRecorder('people', peopleConflicts, examples, trace);
  for (const g of people.loaded) {
    const person = g.entity;
    const reps = person.reps.map((r) => ({ ...r, fields: personFields(r, companyOfPerson(person, r)) }));
    const by = <V>(field: string, rule: string, pickWith: (c: Candidate<V>[]) => Picked<V>) =>
      personSurvivor(g.ref, reps, field, rule, pickWith);
    const first = (field: string) =>
      personSurvivor<string>(g.ref, reps, field, 'priority', (c) => bestOf(c, RULES.priority(SOURCE_ORDER)), false);
    personRows[g.ref] = {
      first_name: first('first_name'),
      last_name: first('last_name'),
      email: by<string>('email', 'priority', (c) => bestOf(c, RULES.priority(['legacy', 'hubspot']))),
      phone: by<string>('phone', 'most_recent', (c) => bestOf(c, RULES.mostRecent)),
      tags: by<string[]>('tags', 'union', union),
      company_ref: first('company_ref'),
    };
  }

  const legacyAccountRef = (id: string) => companyRefByRep.get(`legacy/${id}`) ?? null;
  const dealRows: Record<string, DealRow> = {};
  for (const d of world.deals)
    dealRows[d.id] = {
      company_ref: legacyAccountRef(d.accountId),
      title: collapse(d.title),
      stage: d.stage,
      amount: d.amount,
      close_date: d.closeDate,
    };

  const sum = (amounts: (string | null)[]) => formatCents(amounts.reduce((s, a) => s + (a ? centsOf(a) : 0n), 0n));
  const legacyAccounts = world.companies.flatMap((c) => c.reps.filter((r) => r.source === 'legacy'));
  const stillUnderReview = new Set(companies.facts.review.flatMap((g) => g.members));
  const reviewAccounts = legacyAccounts.filter((r) => stillUnderReview.has(refOf(r)));
  const count = <T extends { reps: { source: SourceName }[] }>(items: T[], source: SourceName) =>
    items.reduce((n, x) => n + x.reps.filter((r) => r.source === source).length, 0);
  const kinds = (items: { kind: string }[]) =>
    items.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x.kind]: (acc[x.kind] ?? 0) + 1 }), {});

  return {
    seed: world.seed,
    size: world.size,
    records: {
      hubspot: { companies: count(world.companies, 'hubspot'), contacts: count(world.people, 'hubspot') },
      legacy: {
        accounts: count(world.companies, 'legacy'),
        contacts: count(world.people, 'legacy'),
        deals: world.deals.length,
      },
    },
    objects: {
      companies: { ...companies.facts, conflicts, rows: companyRows },
      people: { ...people.facts, conflicts: peopleConflicts, rows: personRows },
      deals: { records: { legacy: world.deals.length }, targetRows: world.deals.length, rows: dealRows },
    },
    sums: {
      hubspot: {},
      legacy: {
        'accounts.annual_revenue': sum(legacyAccounts.map((r) => r.revenue)),
        'deals.amount': sum(world.deals.map((d) => d.amount)),
      },
      target: {
        'companies.annual_revenue': sum(Object.values(companyRows).map((r) => r.annual_revenue)),
        'deals.amount': sum(Object.values(dealRows).map((r) => r.amount)),
      },
      review: { 'accounts.annual_revenue': sum(reviewAccounts.map((r) => r.revenue)) },
    },
    planted: {
      ...Object.fromEntries(Object.entries(kinds(world.companies)).map(([k, v]) => [`companies.${k}`, v])),
      ...Object.fromEntries(Object.entries(kinds(world.people)).map(([k, v]) => [`people.${k}`, v])),
      'deals.onCompaniesHubSpotHas': world.deals.filter((d) =>
        companyRefByRep.get(`legacy/${d.accountId}`)?.startsWith('hubspot/'),
      ).length,
    },
    survivors: examples,
  };
}

type Entity = { kind: string; reps: { source: SourceName; id: string; updatedAt: string }[] };

/** Groups of a merged object: singles, merged (one record per source), review (two of one source). */
function mergedFacts<E extends Entity>(
  entities: readonly E[],
  how: { ruleOf: (e: E) => string; decisions?: Readonly<Record<string, ReviewDecision>> },
) {
  const loaded: { ref: string; entity: E; reps: E['reps'] }[] = [];
  const merged: MergedGroupFacts[] = [];
  const review: { members: string[] }[] = [];
  let single = 0;
  let mergedInto = 0;
  let reviewRecords = 0;
  const records: Partial<Record<SourceName, number>> = {};
  const load = (e: E, reps: E['reps'], rule: string) => {
    const members = reps.map(refOf);
    loaded.push({ ref: members[0]!, entity: e, reps });
    if (reps.length === 1) single += 1;
    else {
      merged.push({ ref: members[0]!, members, rule });
      mergedInto += reps.length - 1;
    }
  };
  for (const e of entities) {
    for (const r of e.reps) records[r.source] = (records[r.source] ?? 0) + 1;
    const reps = [...e.reps].sort(compareRefs);
    const members = reps.map(refOf);
    if (e.kind !== 'review') {
      load(e, reps, how.ruleOf(e));
      continue;
    }
    // A group under review: loaded as a person decided (the whole, or the parts written), else held back.
    const decision = how.decisions?.[members.join(',')];
    if (decision === undefined) {
      review.push({ members });
      reviewRecords += members.length;
    } else if (decision === 'merge') load(e, reps, 'domain');
    else
      for (const part of decision.split)
        load(
          e,
          reps.filter((r) => part.includes(refOf(r))),
          'domain',
        );
  }
  return {
    loaded,
    facts: {
      records,
      targetRows: loaded.length,
      single,
      merged,
      mergedInto,
      review,
      reviewRecords,
    },
  };
}

/** The merged record (its ref) a source record of a merged object is part of; undefined under review. */
export function mergedRefOf(facts: MergeCrmFacts, object: 'companies' | 'people', ref: string): string | undefined {
  const o = facts.objects[object];
  if (ref in o.rows) return ref;
  return o.merged.find((g) => g.members.includes(ref))?.ref;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing the two systems

/** The legacy CRM's tables, in `schema` (dropped and created again). */
export function legacyDdl(schema: string): string {
  return `
drop schema if exists ${schema} cascade;
create schema ${schema};
create table ${schema}.accounts (
  account_id integer primary key,
  account_name text not null,
  website text,
  country text,
  industry text,
  created_on date,
  annual_revenue numeric(14, 2),
  notes text,
  modified_at timestamptz not null
);
create table ${schema}.contacts (
  contact_id integer primary key,
  account_id integer,
  first_name text,
  last_name text,
  email text,
  phone text,
  tags text,
  modified_at timestamptz not null
);
create table ${schema}.deals (
  deal_id integer primary key,
  account_id integer,
  title text,
  stage text,
  amount numeric(14, 2),
  close_date date,
  modified_at timestamptz not null
);`;
}

const accountRow = (r: CompanyRep) => ({
  account_id: Number(r.id),
  account_name: r.name,
  website: r.domain,
  country: r.country,
  industry: r.industry,
  created_on: r.customerSince,
  annual_revenue: r.revenue,
  notes: r.notes,
  modified_at: r.updatedAt,
});
const contactRow = (r: PersonRep) => ({
  contact_id: Number(r.id),
  account_id: Number(r.companyId),
  first_name: r.firstName,
  last_name: r.lastName,
  email: r.email,
  phone: r.phone,
  tags: r.tags,
  modified_at: r.updatedAt,
});
const dealRow = (d: Deal) => ({
  deal_id: Number(d.id),
  account_id: Number(d.accountId),
  title: d.title,
  stage: d.stage,
  amount: d.amount,
  close_date: d.closeDate,
  modified_at: d.updatedAt,
});

const legacyReps = <T extends { source: SourceName }>(items: { reps: T[] }[]) =>
  items.flatMap((x) => x.reps.filter((r) => r.source === 'legacy'));

function assertSchemaName(schema: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema))
    throw new Error(`schema "${schema}" must be a simple name: letters, digits and _`);
}

/** Writes the legacy CRM of the world into `schema` (dropped and created again). */
export async function writeLegacyCrm(sql: postgres.Sql, schema: string, world: MergeCrmWorld): Promise<void> {
  assertSchemaName(schema);
  await sql.unsafe(legacyDdl(schema));
  const insert = async (table: string, rows: Record<string, unknown>[]) => {
    for (let i = 0; i < rows.length; i += 1000)
      await sql`insert into ${sql(schema)}.${sql(table)} ${sql(rows.slice(i, i + 1000) as Record<string, postgres.SerializableParameter>[])}`;
  };
  await insert('accounts', legacyReps(world.companies).map(accountRow));
  await insert('contacts', legacyReps(world.people).map(contactRow));
  await insert('deals', world.deals.map(dealRow));
  await sql.unsafe(`analyze ${schema}.accounts; analyze ${schema}.contacts; analyze ${schema}.deals`);
}

const hubspotCompany = (r: CompanyRep): HubSpotRecord => ({
  id: r.id,
  properties: {
    name: r.name,
    domain: r.domain,
    website: hostOf(r.domain) ? `https://www.${hostOf(r.domain)}` : null,
    industry: r.industry,
    country: r.country,
    hubspot_owner_id: null,
    createdate: r.updatedAt,
    hs_lastmodifieddate: r.updatedAt,
    legacy_created: r.customerSince,
    hs_object_id: r.id,
  },
  createdAt: r.updatedAt,
  updatedAt: r.updatedAt,
  archived: false,
  associations: {},
});

const hubspotContact = (r: PersonRep): HubSpotRecord => ({
  id: r.id,
  properties: {
    firstname: r.firstName,
    lastname: r.lastName,
    email: r.email,
    phone: r.phone,
    interests: r.tags,
    hubspot_owner_id: null,
    createdate: r.updatedAt,
    lastmodifieddate: r.updatedAt,
    legacy_created: null,
    hs_object_id: r.id,
  },
  createdAt: r.updatedAt,
  updatedAt: r.updatedAt,
  archived: false,
  associations: { companies: [r.companyId] },
});

/**
 * Replaces the HubSpot sandbox's companies, contacts and deals with the world's HubSpot half (its owners and
 * pipeline stay). Call it on a running sandbox's store before the first read.
 */
export function seedMergeHubSpot(store: SandboxStore, world: MergeCrmWorld): void {
  const collection = (name: string) => store.collection<HubSpotRecord>(name);
  for (const name of ['companies', 'contacts', 'deals']) collection(name).clear();
  for (const c of world.companies)
    for (const r of c.reps) if (r.source === 'hubspot') collection('companies').set(r.id, hubspotCompany(r));
  for (const p of world.people)
    for (const r of p.reps) if (r.source === 'hubspot') collection('contacts').set(r.id, hubspotContact(r));
}

// ---------------------------------------------------------------------------------------------------------------
// Changes for a delta

export interface MergeCrmTouched {
  at: string;
  /** Source records changed, created or deleted, by ref, with what the change plants. */
  changes: { ref: string; object: string; what: string; deleted?: true }[];
}

/**
 * Changes both systems as their users would between two runs (the world in place; then write them with
 * `applyMergeCrmTouch`): a legacy account's industry (newer: the merged company takes it), a HubSpot contact's
 * phone (newer: the merged person takes it), a new legacy contact with the email of a HubSpot-only person (the
 * two become one, tags united), a legacy account's revenue, and a new legacy deal on an account HubSpot also has;
 * and deletions: a HubSpot-only contact (archived), the legacy half of a person both systems held (the HubSpot half
 * stays, alone), and a legacy deal.
 */
export function touchMergeCrm(world: MergeCrmWorld, at: Date = new Date()): MergeCrmTouched {
  const when = at.toISOString();
  const changes: MergeCrmTouched['changes'] = [];
  const both = world.companies.find((c) => c.kind === 'both-domain')!;
  const account = both.reps.find((r) => r.source === 'legacy')!;
  account.industry = INDUSTRIES.find((i) => i !== account.industry && i !== both.reps[0]!.industry)!;
  account.updatedAt = when;
  changes.push({ ref: refOf(account), object: 'accounts', what: `industry → ${account.industry} (most_recent)` });

  const phoned = world.people.find((p) => p.kind === 'both-email' && p.reps.every((r) => r.phone !== null))!;
  const contact = phoned.reps.find((r) => r.source === 'hubspot')!;
  contact.phone = formatPhone(phoneOf(900_000 + phoned.key), 'e164');
  contact.updatedAt = when;
  changes.push({ ref: refOf(contact), object: 'contacts', what: `phone → ${contact.phone} (most_recent)` });

  const lonely = world.people.find(
    (p) =>
      p.kind === 'hubspot' &&
      p.reps[0]!.email !== null &&
      world.companies[p.company]!.reps.some((r) => r.source === 'legacy'),
  )!;
  const legacyAccount = world.companies[lonely.company]!.reps.find((r) => r.source === 'legacy')!;
  const maxContact = Math.max(...legacyReps(world.people).map((r) => Number(r.id)));
  const hubRep = lonely.reps[0]!;
  const newRep: PersonRep = {
    source: 'legacy',
    id: String(maxContact + 1),
    companyId: legacyAccount.id,
    firstName: hubRep.firstName,
    lastName: hubRep.lastName,
    email: ` ${hubRep.email!.toUpperCase()}`,
    phone: null,
    tags: 'Events; newsletter',
    updatedAt: when,
  };
  lonely.reps.push(newRep);
  lonely.kind = 'both-email';
  changes.push({ ref: refOf(newRep), object: 'contacts', what: `new, email of ${refOf(hubRep)} (merged by email)` });

  const rich = world.companies.find((c) => c.kind === 'legacy' && c.reps[0]!.revenue !== null)!;
  const richRep = rich.reps[0]!;
  richRep.revenue = formatCents(centsOf(richRep.revenue!) + 100_000n);
  richRep.updatedAt = when;
  changes.push({ ref: refOf(richRep), object: 'accounts', what: `annual_revenue → ${richRep.revenue}` });

  const deal: Deal = {
    id: String(Math.max(...world.deals.map((d) => Number(d.id))) + 1),
    accountId: account.id,
    title: `${collapse(account.name)} Upsell`,
    stage: 'Proposal',
    amount: '12345.67',
    closeDate: when.slice(0, 10),
    updatedAt: when,
  };
  world.deals.push(deal);
  changes.push({ ref: `legacy/${deal.id}`, object: 'deals', what: `new, on ${refOf(account)} (HubSpot has it too)` });
  // Deletions. A HubSpot-only person: archived (HubSpot keeps it 90 days, listed with archived=true only).
  const gone = world.people.find((p) => p.kind === 'hubspot' && p !== lonely)!;
  world.people.splice(world.people.indexOf(gone), 1);
  changes.push({ ref: refOf(gone.reps[0]!), object: 'contacts', what: 'archived (HubSpot only)', deleted: true });
  // The legacy half of a person both systems held: the HubSpot half is the person now.
  const halved = world.people.find((p) => p.kind === 'both-email' && p !== phoned && p !== lonely && p.reps[1]!.tags)!;
  const legacyHalf = halved.reps.find((r) => r.source === 'legacy')!;
  halved.reps = halved.reps.filter((r) => r !== legacyHalf);
  halved.kind = 'hubspot';
  changes.push({ ref: refOf(legacyHalf), object: 'contacts', what: 'deleted (its HubSpot half stays)', deleted: true });
  const dropped = world.deals.find((d) => d.accountId !== account.id)!;
  world.deals.splice(world.deals.indexOf(dropped), 1);
  changes.push({ ref: `legacy/${dropped.id}`, object: 'deals', what: 'deleted', deleted: true });
  return { at: when, changes };
}

/** Writes a touch's changes into both systems (legacy rows upserted, HubSpot records replaced). */
export async function applyMergeCrmTouch(
  sql: postgres.Sql,
  schema: string,
  store: SandboxStore,
  world: MergeCrmWorld,
  touched: MergeCrmTouched,
): Promise<void> {
  assertSchemaName(schema);
  const wanted = new Set(touched.changes.filter((c) => !c.deleted).map((c) => c.ref));
  for (const c of touched.changes.filter((x) => x.deleted)) {
    const [source, id] = c.ref.split('/') as [SourceName, string];
    if (source === 'legacy') {
      const key = c.object === 'accounts' ? 'account_id' : c.object === 'contacts' ? 'contact_id' : 'deal_id';
      await sql`delete from ${sql(schema)}.${sql(c.object)} where ${sql(key)} = ${Number(id)}`;
    } else {
      const records = store.collection<HubSpotRecord>(c.object === 'accounts' ? 'companies' : c.object);
      const record = records.get(id);
      if (record) records.set(id, { ...record, archived: true, archivedAt: touched.at, updatedAt: touched.at });
    }
  }
  const upsert = async (table: string, key: string, row: Record<string, unknown>) => {
    const columns = Object.keys(row);
    await sql`insert into ${sql(schema)}.${sql(table)} ${sql(row as Record<string, postgres.SerializableParameter>, columns)}
      on conflict (${sql(key)}) do update set ${sql(
        row as Record<string, postgres.SerializableParameter>,
        columns.filter((c) => c !== key),
      )}`;
  };
  for (const r of legacyReps(world.companies))
    if (wanted.has(refOf(r))) await upsert('accounts', 'account_id', accountRow(r));
  for (const r of legacyReps(world.people))
    if (wanted.has(refOf(r))) await upsert('contacts', 'contact_id', contactRow(r));
  for (const d of world.deals) if (wanted.has(`legacy/${d.id}`)) await upsert('deals', 'deal_id', dealRow(d));
  for (const p of world.people)
    for (const r of p.reps)
      if (r.source === 'hubspot' && wanted.has(refOf(r)))
        store.collection<HubSpotRecord>('contacts').set(r.id, hubspotContact(r));
  for (const c of world.companies)
    for (const r of c.reps)
      if (r.source === 'hubspot' && wanted.has(refOf(r)))
        store.collection<HubSpotRecord>('companies').set(r.id, hubspotCompany(r));
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const schema = argValue(args, 'schema') ?? 'crm';
  const seed = Number(argValue(args, 'seed') ?? MERGE_CRM_DEFAULT_SEED);
  const companies = Number(argValue(args, 'companies') ?? MERGE_CRM_DEFAULT_COMPANIES);
  const world = buildMergeCrm({ seed, companies });
  const facts = expectedOf(world);
  await withDatabase((sql) => writeLegacyCrm(sql, schema, world));
  const c = facts.objects.companies;
  const p = facts.objects.people;
  console.log(`merge CRM (seed ${seed}, ${companies} companies): legacy CRM written to schema ${schema}`);
  console.log(`  hubspot: ${JSON.stringify(facts.records.hubspot)}; legacy: ${JSON.stringify(facts.records.legacy)}`);
  console.log(
    `  companies: ${c.targetRows} target rows, ${c.merged.length} merged groups, ${c.review.length} review groups`,
  );
  console.log(`  people: ${p.targetRows} target rows, ${p.merged.length} merged groups`);
  console.log(`  sums: ${JSON.stringify(facts.sums)}`);
  writeFacts(argValue(args, 'facts'), facts);
  const port = argValue(args, 'hubspot-port');
  if (port === undefined) return;
  // HubSpot's half, served by the HubSpot sandbox until Ctrl-C: point the plan's sources.hubspot.baseUrl at it.
  const { startSandbox } = await import('../../sandboxes/core/server');
  const { hubspotSandbox } = await import('../../sandboxes/hubspot');
  const sandbox = await startSandbox(hubspotSandbox, { port: Number(port), seed, rate: 1000 });
  seedMergeHubSpot(sandbox.store, world);
  console.log(`HubSpot sandbox on ${sandbox.url} (Authorization: Bearer hubspot-sandbox-token); Ctrl-C stops it`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await sandbox.close();
}

if (require.main === module) runMain(main);
