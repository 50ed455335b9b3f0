import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { seededRandom } from '../../common/random';
import {
  ACTIVE_OWNERS,
  buildLegacyCrm,
  DEAL_STATUSES,
  type DealStage,
  INACTIVE_OWNERS,
  UNMAPPED_OWNERS,
} from '../../scripts/generate/legacy-crm';

/**
 * A dirty CRM as HubSpot holds it: the legacy CRM of scripts/generate/legacy-crm.ts (accounts, contacts, deals)
 * imported into HubSpot as companies, contacts and deals, with the dirt it came with (bad emails, phones and
 * domains, duplicates, multi-value interests, associations to records that do not exist, 105 free-text deal
 * statuses kept in a custom property beside the pipeline stage they mean), the account's owners (active and
 * deactivated) and its one deals pipeline. The same seed and scale give the same data; the facts are counted
 * from the records, by the predicates exported here.
 */

export const CRM_OBJECT_TYPES = ['companies', 'contacts', 'deals'] as const;
export type CrmObjectType = (typeof CRM_OBJECT_TYPES)[number];

/** A CRM object as HubSpot's v3 API presents it; every property value is a string or null. */
export type HubSpotRecord = {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  /** Associated record ids by object type (the contacts and deals side of each association). */
  associations: { companies?: string[]; contacts?: string[] };
};

export type HubSpotOwner = {
  id: string;
  email: string;
  type: 'PERSON';
  firstName: string;
  lastName: string;
  userId: number;
  userIdIncludingInactive: number;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  teams: { id: string; name: string; primary: boolean }[];
};

export type HubSpotStage = {
  id: string;
  label: string;
  displayOrder: number;
  metadata: { isClosed: 'true' | 'false'; probability: string };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  writePermissions: 'CRUD_ALL';
};

export type HubSpotPipeline = {
  id: string;
  label: string;
  displayOrder: number;
  stages: HubSpotStage[];
  createdAt: string;
  updatedAt: string;
  archived: boolean;
};

/** A property definition as the properties API describes it; `label` is also the export's column header. */
export interface CrmProperty {
  name: string;
  label: string;
  type: 'string' | 'number' | 'datetime' | 'enumeration';
  fieldType: 'text' | 'textarea' | 'number' | 'date' | 'select' | 'phonenumber';
  /** A property the account created (HubSpot's are `hubspotDefined`). */
  custom?: boolean;
  /** Returned when a read names no properties. */
  byDefault?: boolean;
}

const prop = (
  name: string,
  label: string,
  type: CrmProperty['type'] = 'string',
  fieldType: CrmProperty['fieldType'] = 'text',
  extra: Partial<CrmProperty> = {},
): CrmProperty => ({ name, label, type, fieldType, ...extra });

/** The property each object type's changes are searched by: contacts keep HubSpot's older name. */
export const LAST_MODIFIED_PROPERTY: Record<CrmObjectType, string> = {
  companies: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

/** The properties of each object type, in export column order (after "Record ID"). */
export const CRM_PROPERTIES: Record<CrmObjectType, readonly CrmProperty[]> = {
  companies: [
    prop('name', 'Company name', 'string', 'text', { byDefault: true }),
    prop('domain', 'Company Domain Name', 'string', 'text', { byDefault: true }),
    prop('website', 'Website URL'),
    prop('industry', 'Industry'),
    prop('country', 'Country/Region'),
    prop('hubspot_owner_id', 'Company owner', 'enumeration', 'select'),
    prop('createdate', 'Create Date', 'datetime', 'date', { byDefault: true }),
    prop('hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { byDefault: true }),
    prop('legacy_created', 'Legacy Created Date', 'string', 'text', { custom: true }),
  ],
  contacts: [
    prop('firstname', 'First Name', 'string', 'text', { byDefault: true }),
    prop('lastname', 'Last Name', 'string', 'text', { byDefault: true }),
    prop('email', 'Email', 'string', 'text', { byDefault: true }),
    prop('phone', 'Phone Number', 'string', 'phonenumber'),
    prop('interests', 'Interests', 'string', 'textarea', { custom: true }),
    prop('hubspot_owner_id', 'Contact owner', 'enumeration', 'select'),
    prop('createdate', 'Create Date', 'datetime', 'date', { byDefault: true }),
    prop('lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { byDefault: true }),
    prop('legacy_created', 'Legacy Created Date', 'string', 'text', { custom: true }),
  ],
  deals: [
    prop('dealname', 'Deal Name', 'string', 'text', { byDefault: true }),
    prop('amount', 'Amount', 'number', 'number', { byDefault: true }),
    prop('closedate', 'Close Date', 'datetime', 'date', { byDefault: true }),
    prop('pipeline', 'Pipeline', 'enumeration', 'select', { byDefault: true }),
    prop('dealstage', 'Deal Stage', 'enumeration', 'select', { byDefault: true }),
    prop('legacy_status', 'Legacy Status', 'string', 'text', { custom: true }),
    prop('hubspot_owner_id', 'Deal owner', 'enumeration', 'select'),
    prop('createdate', 'Create Date', 'datetime', 'date', { byDefault: true }),
    prop('hs_lastmodifieddate', 'Last Modified Date', 'datetime', 'date', { byDefault: true }),
  ],
};

/** Every object type also has `hs_object_id` (the record id), returned with every read. */
export const RECORD_ID_PROPERTY = prop('hs_object_id', 'Record ID', 'number', 'number', { byDefault: true });

export const DEALS_PIPELINE_ID = 'default';

/** HubSpot's default deal stages; each legacy stage lands in one, "Decision Maker Bought-In" stays empty. */
const STAGES: readonly { id: string; label: string; probability: string; legacy?: DealStage }[] = [
  { id: 'appointmentscheduled', label: 'Appointment Scheduled', probability: '0.2', legacy: 'New' },
  { id: 'qualifiedtobuy', label: 'Qualified To Buy', probability: '0.4', legacy: 'Qualified' },
  { id: 'presentationscheduled', label: 'Presentation Scheduled', probability: '0.6', legacy: 'Proposal' },
  { id: 'decisionmakerboughtin', label: 'Decision Maker Bought-In', probability: '0.8' },
  { id: 'contractsent', label: 'Contract Sent', probability: '0.9', legacy: 'Negotiation' },
  { id: 'closedwon', label: 'Closed Won', probability: '1.0', legacy: 'Won' },
  { id: 'closedlost', label: 'Closed Lost', probability: '0.0', legacy: 'Lost' },
];

/** The deal stage id each legacy stage maps to. */
export const STAGE_OF_LEGACY: Record<DealStage, string> = Object.fromEntries(
  STAGES.filter((s) => s.legacy).map((s) => [s.legacy!, s.id]),
) as Record<DealStage, string>;

const STAGE_OF_STATUS = new Map(DEAL_STATUSES.map((s) => [s.value, STAGE_OF_LEGACY[s.stage]]));

/** The stage id a legacy status (as typed, padding ignored) maps to. */
export function stageOfStatus(status: string): string {
  const stage = STAGE_OF_STATUS.get(status.trim());
  if (!stage) throw new Error(`"${status}" is not one of the legacy deal statuses`);
  return stage;
}

/** Legacy logins and the people behind them (the unmapped ones are system accounts, deactivated too). */
const OWNER_NAMES: Record<string, [string, string]> = {
  jsmith: ['John', 'Smith'],
  mgarcia: ['María', 'García'],
  akowalski: ['Anna', 'Kowalski'],
  lchen: ['Li', 'Chen'],
  pnguyen: ['Phuong', 'Nguyen'],
  rrossi: ['Roberto', 'Rossi'],
  sdubois: ['Sophie', 'Dubois'],
  ttanaka: ['Takeshi', 'Tanaka'],
  ejohnson: ['Emily', 'Johnson'],
  bsilva: ['Bruno', 'Silva'],
  dwhite: ['David', 'White'],
  kbrown: ['Karen', 'Brown'],
  hmueller: ['Hans', 'Müller'],
  old_admin: ['Old', 'Admin'],
  import_bot: ['Import', 'Bot'],
  sysadmin: ['System', 'Administrator'],
};

/** Record ids: the legacy id above a per-type base, so references to deleted legacy rows stay dangling. */
const ID_BASE: Record<CrmObjectType, number> = {
  companies: 18_000_000_000,
  contacts: 51_000_000_000,
  deals: 27_000_000_000,
};

export interface CrmDataset {
  seed: number;
  scale: number;
  companies: HubSpotRecord[];
  contacts: HubSpotRecord[];
  deals: HubSpotRecord[];
  owners: HubSpotOwner[];
  pipeline: HubSpotPipeline;
  facts: CrmFacts;
}

export interface StageFacts {
  label: string;
  deals: number;
  /** Deals whose amount is a decimal number (the others are blank or text such as "TBD"). */
  dealsWithAmount: number;
  /** Exact sum of those amounts. */
  amountSum: string;
}

export interface CrmFacts {
  counts: Record<CrmObjectType, number> & { owners: number; activeOwners: number; archivedOwners: number };
  /** The distinct legacy deal statuses, padding trimmed, sorted (105). */
  legacyStatuses: string[];
  /** Distinct `legacy_status` values as stored (with the trailing spaces some carry). */
  legacyStatusSpellings: number;
  /** By deal stage id (every stage of the pipeline, empty ones included). */
  stages: Record<string, StageFacts>;
  totalAmount: string;
  bad: { emails: number; phones: number; domains: number; amounts: number };
  blank: { emails: number; phones: number; domains: number; amounts: number };
  /** Values holding several items separated by `,` or `;`. */
  multiValue: { interests: number };
  /** Associations to records that do not exist. */
  orphans: { contactCompanies: number; dealCompanies: number; dealContacts: number };
  /** Groups of records that are the same real company (name) or person (email), as the legacy CRM planted them. */
  duplicates: { companies: { groups: number; records: number }; contacts: { groups: number; records: number } };
  /** Records without an owner, and with a deactivated one. */
  owners: { unowned: number; deactivated: number };
}

// ---------------------------------------------------------------------------------------------------------------
// Predicates: what the facts count as dirty.

const blankText = (v: string | null | undefined): boolean => v === null || v === undefined || v.trim() === '';

export function isBadEmail(v: string | null | undefined): boolean {
  return !blankText(v) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v!.trim());
}

/** Fewer than 8 digits, only zeros, or words where a number belongs (extensions aside). */
export function isBadPhone(v: string | null | undefined): boolean {
  if (blankText(v)) return false;
  const digits = v!.replace(/\D/g, '');
  const words = v!.replace(/\b(ext\.?|x)\s*\d+/gi, '').replace(/[\d\s().+\-/]/g, '');
  return digits.length < 8 || /^0+$/.test(digits) || words.length > 0;
}

/** Not a bare host name with a top-level domain (`n/a`, `www.acme`, `acme .com`). */
export function isBadDomain(v: string | null | undefined): boolean {
  if (blankText(v)) return false;
  const d = v!.trim().toLowerCase();
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(d)) return true;
  return d.startsWith('www.') && d.split('.').length < 3;
}

export const isMultiValue = (v: string | null | undefined): boolean => !blankText(v) && /[,;]/.test(v!);

/** An amount in cents when it is a decimal number (2 places at most), else null. */
export function amountCents(v: string | null | undefined): bigint | null {
  const m = /^\s*(-?)(\d+)(?:\.(\d{1,2}))?\s*$/.exec(v ?? '');
  if (!m) return null;
  const cents = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
  return m[1] ? -cents : cents;
}

export function formatCents(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** Per-stage counts and exact sums of the live (not archived) deals. */
export function dealStageFacts(
  deals: Iterable<HubSpotRecord>,
  pipeline: HubSpotPipeline,
): { stages: Record<string, StageFacts>; totalAmount: string } {
  const sums = new Map<string, { deals: number; withAmount: number; cents: bigint }>();
  for (const s of pipeline.stages) sums.set(s.id, { deals: 0, withAmount: 0, cents: 0n });
  let total = 0n;
  for (const d of deals) {
    if (d.archived) continue;
    const s = sums.get(d.properties.dealstage ?? '');
    if (!s) throw new Error(`deal ${d.id} is in stage "${d.properties.dealstage}", not one of the pipeline`);
    s.deals += 1;
    const cents = amountCents(d.properties.amount);
    if (cents !== null) {
      s.withAmount += 1;
      s.cents += cents;
      total += cents;
    }
  }
  const stages: Record<string, StageFacts> = {};
  for (const st of pipeline.stages) {
    const s = sums.get(st.id)!;
    stages[st.id] = { label: st.label, deals: s.deals, dealsWithAmount: s.withAmount, amountSum: formatCents(s.cents) };
  }
  return { stages, totalAmount: formatCents(total) };
}

// ---------------------------------------------------------------------------------------------------------------
// The generator

export interface CrmOptions {
  seed: number;
  /** 1 = 5,000 companies, 20,000 contacts and 10,000 deals. */
  scale?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** A legacy cell as text (the legacy rows hold text, numbers and dates); null and '' are unset. */
function cellText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return v.toISOString();
  return null;
}
const nullIfBlank = (v: unknown): string | null => {
  const text = cellText(v);
  return text === '' ? null : text;
};

export function generateCrm(options: CrmOptions): CrmDataset {
  const scale = options.scale ?? 1;
  const legacy = buildLegacyCrm(options.seed, scale);
  // A stream of its own, so the legacy data stays the legacy generator's for the same seed.
  const random = seededRandom(options.seed ^ 0x4b5f07);
  const created = (updatedMs: number) => updatedMs - Math.floor(random() * 3 * 365 * 86_400_000);

  const logins = [...ACTIVE_OWNERS, ...INACTIVE_OWNERS, ...UNMAPPED_OWNERS];
  const accountCreated = Date.UTC(2014, 2, 3, 9, 15);
  const owners: HubSpotOwner[] = logins.map((login, i) => {
    const [firstName, lastName] = OWNER_NAMES[login] ?? [login, ''];
    const archived = !ACTIVE_OWNERS.includes(login);
    return {
      id: String(41_629_779 + i * 1013),
      email: `${login.replace(/_/g, '.')}@northwind-legacy.example.com`,
      type: 'PERSON',
      firstName,
      lastName,
      userId: 9_586_504 + i,
      userIdIncludingInactive: 9_586_504 + i,
      createdAt: iso(accountCreated + i * 86_400_000),
      updatedAt: iso(accountCreated + (i + 400) * 86_400_000),
      archived,
      teams: archived ? [] : [{ id: '1000001', name: i % 2 === 0 ? 'Sales East' : 'Sales West', primary: true }],
    };
  });
  const ownerId = new Map(logins.map((l, i) => [l, owners[i]!.id]));
  const ownerOf = (login: unknown): string | null =>
    typeof login === 'string' && login.trim() !== '' ? (ownerId.get(login.trim()) ?? null) : null;

  const pipeline: HubSpotPipeline = {
    id: DEALS_PIPELINE_ID,
    label: 'Sales Pipeline',
    displayOrder: 0,
    createdAt: iso(accountCreated),
    updatedAt: iso(accountCreated),
    archived: false,
    stages: STAGES.map((s, i) => ({
      id: s.id,
      label: s.label,
      displayOrder: i,
      metadata: {
        isClosed: s.id === 'closedwon' || s.id === 'closedlost' ? 'true' : 'false',
        probability: s.probability,
      },
      createdAt: iso(accountCreated),
      updatedAt: iso(accountCreated),
      archived: false,
      writePermissions: 'CRUD_ALL',
    })),
  };

  const ref = (type: CrmObjectType, legacyId: unknown): string | null => {
    const text = cellText(legacyId)?.trim() ?? '';
    return /^\d+$/.test(text) ? String(ID_BASE[type] + Number(text)) : null;
  };
  const record = (
    type: CrmObjectType,
    legacyId: unknown,
    updatedAt: string,
    properties: Record<string, string | null>,
    associations: HubSpotRecord['associations'] = {},
  ): HubSpotRecord => {
    const id = ref(type, legacyId)!;
    const updated = Date.parse(updatedAt);
    const createdAt = iso(created(updated));
    return {
      id,
      properties: {
        ...properties,
        hs_object_id: id,
        createdate: createdAt,
        [LAST_MODIFIED_PROPERTY[type]]: iso(updated),
      },
      createdAt,
      updatedAt: iso(updated),
      archived: false,
      associations,
    };
  };

  const companies = legacy.rows.accounts.map((a) =>
    record('companies', a.id, String(a.updated_at), {
      name: nullIfBlank(a.name),
      domain: domainOf(random, a.website),
      website: nullIfBlank(a.website),
      industry: nullIfBlank(a.industry),
      country: nullIfBlank(a.country),
      hubspot_owner_id: ownerOf(a.owner),
      legacy_created: nullIfBlank(a.created),
    }),
  );
  const contacts = legacy.rows.contacts.map((c) => {
    const company = ref('companies', c.account_id);
    return record(
      'contacts',
      c.id,
      String(c.updated_at),
      {
        firstname: nullIfBlank(c.first_name),
        lastname: nullIfBlank(c.last_name),
        email: nullIfBlank(c.email),
        phone: nullIfBlank(c.phone),
        interests: nullIfBlank(c.tags),
        hubspot_owner_id: ownerOf(c.owner),
        legacy_created: nullIfBlank(c.created),
      },
      company ? { companies: [company] } : {},
    );
  });
  // A deal's contacts are the people its activities were with (some of them long deleted).
  const dealContacts = new Map<string, string[]>();
  for (const act of legacy.rows.activities) {
    const deal = ref('deals', act.deal_id);
    const contact = ref('contacts', act.contact_id);
    if (!deal || !contact) continue;
    const list = dealContacts.get(deal) ?? [];
    if (!list.includes(contact) && list.length < 5) list.push(contact);
    dealContacts.set(deal, list);
  }
  const deals = legacy.rows.deals.map((d) => {
    const status = String(d.status);
    const company = ref('companies', d.account_id);
    const id = ref('deals', d.id)!;
    const people = dealContacts.get(id);
    return record(
      'deals',
      d.id,
      String(d.updated_at),
      {
        dealname: nullIfBlank(d.name),
        amount: nullIfBlank(d.amount),
        closedate: nullIfBlank(d.close_date),
        pipeline: DEALS_PIPELINE_ID,
        dealstage: stageOfStatus(status),
        legacy_status: status,
        hubspot_owner_id: ownerOf(d.owner),
      },
      { ...(company ? { companies: [company] } : {}), ...(people ? { contacts: [...people].sort() } : {}) },
    );
  });

  const dup = (o: 'accounts' | 'contacts') => ({
    groups: legacy.facts[o].duplicates?.groups ?? 0,
    records: legacy.facts[o].duplicates?.records ?? 0,
  });
  const dataset: Omit<CrmDataset, 'facts'> = {
    seed: options.seed,
    scale,
    companies,
    contacts,
    deals,
    owners,
    pipeline,
  };
  return {
    ...dataset,
    facts: crmFacts(dataset, { companies: dup('accounts'), contacts: dup('contacts') }),
  };
}

/** A company's domain as an import left it: mostly the bare host of its website, some of them broken. */
function domainOf(random: () => number, website: unknown): string | null {
  if (typeof website !== 'string' || website.trim() === '') return null;
  const host = website
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/^www\./i, '')
    .replace(/\/.*$/, '');
  const r = random();
  if (r < 0.02) return 'n/a';
  if (r < 0.04) return `www.${host.split('.')[0]}`;
  if (r < 0.06) return host.replace('.', ' .');
  if (r < 0.07) return host.toUpperCase();
  return host;
}

/** The facts of a dataset, counted from its records. */
export function crmFacts(
  data: Omit<CrmDataset, 'facts'>,
  duplicates: CrmFacts['duplicates'] = { companies: { groups: 0, records: 0 }, contacts: { groups: 0, records: 0 } },
): CrmFacts {
  const live = (list: HubSpotRecord[]) => list.filter((r) => !r.archived);
  const companies = live(data.companies);
  const contacts = live(data.contacts);
  const deals = live(data.deals);
  const companyIds = new Set(companies.map((c) => c.id));
  const contactIds = new Set(contacts.map((c) => c.id));
  const count = (list: HubSpotRecord[], test: (r: HubSpotRecord) => boolean) =>
    list.reduce((n, r) => n + (test(r) ? 1 : 0), 0);
  const orphansOf = (list: HubSpotRecord[], type: 'companies' | 'contacts', known: Set<string>) =>
    list.reduce((n, r) => n + (r.associations[type] ?? []).filter((id) => !known.has(id)).length, 0);
  const deactivated = new Set(data.owners.filter((o) => o.archived).map((o) => o.id));
  const all = [...companies, ...contacts, ...deals];
  const statuses = new Set(deals.map((d) => d.properties.legacy_status ?? ''));
  return {
    counts: {
      companies: companies.length,
      contacts: contacts.length,
      deals: deals.length,
      owners: data.owners.length,
      activeOwners: data.owners.filter((o) => !o.archived).length,
      archivedOwners: data.owners.filter((o) => o.archived).length,
    },
    legacyStatuses: [...new Set([...statuses].map((s) => s.trim()))].sort(),
    legacyStatusSpellings: statuses.size,
    ...dealStageFacts(deals, data.pipeline),
    bad: {
      emails: count(contacts, (c) => isBadEmail(c.properties.email)),
      phones: count(contacts, (c) => isBadPhone(c.properties.phone)),
      domains: count(companies, (c) => isBadDomain(c.properties.domain)),
      amounts: count(deals, (d) => !blankText(d.properties.amount) && amountCents(d.properties.amount) === null),
    },
    blank: {
      emails: count(contacts, (c) => blankText(c.properties.email)),
      phones: count(contacts, (c) => blankText(c.properties.phone)),
      domains: count(companies, (c) => blankText(c.properties.domain)),
      amounts: count(deals, (d) => blankText(d.properties.amount)),
    },
    multiValue: { interests: count(contacts, (c) => isMultiValue(c.properties.interests)) },
    orphans: {
      contactCompanies: orphansOf(contacts, 'companies', companyIds),
      dealCompanies: orphansOf(deals, 'companies', companyIds),
      dealContacts: orphansOf(deals, 'contacts', contactIds),
    },
    duplicates,
    owners: {
      unowned: count(all, (r) => r.properties.hubspot_owner_id === null),
      deactivated: count(all, (r) => deactivated.has(r.properties.hubspot_owner_id ?? '')),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// CSV export

/** The column headers of each export file, as HubSpot's export names them. */
export const CRM_EXPORT_HEADERS: Record<CrmObjectType, readonly string[]> = {
  companies: ['Record ID', ...CRM_PROPERTIES.companies.map((p) => p.label)],
  contacts: ['Record ID', ...CRM_PROPERTIES.contacts.map((p) => p.label), 'Associated Company IDs'],
  deals: ['Record ID', ...CRM_PROPERTIES.deals.map((p) => p.label), 'Associated Company IDs', 'Associated Contact IDs'],
};

/** A date-time as the export writes it: `YYYY-MM-DD HH:mm` (UTC). */
export const exportDateTime = (value: string): string => value.slice(0, 16).replace('T', ' ');

/** One CSV field: quoted when it holds a quote, a separator, a line break or padding. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The export row of a record: labels for the pipeline and stage, owner names, dates without seconds. */
export function exportRows(
  dataset: Pick<CrmDataset, 'owners' | 'pipeline'>,
): (type: CrmObjectType, r: HubSpotRecord) => string[] {
  const owners = new Map(dataset.owners.map((o) => [o.id, `${o.firstName} ${o.lastName}`.trim()]));
  const stages = new Map(dataset.pipeline.stages.map((s) => [s.id, s.label]));
  return (type, r) => {
    const cells = [r.id];
    for (const p of CRM_PROPERTIES[type]) {
      const v = r.properties[p.name] ?? null;
      if (v === null) cells.push('');
      else if (p.name === 'hubspot_owner_id') cells.push(owners.get(v) ?? '');
      else if (p.name === 'dealstage') cells.push(stages.get(v) ?? v);
      else if (p.name === 'pipeline') cells.push(v === dataset.pipeline.id ? dataset.pipeline.label : v);
      else if (p.type === 'datetime' && p.name !== 'closedate') cells.push(exportDateTime(v));
      else cells.push(v);
    }
    if (type !== 'companies') cells.push((r.associations.companies ?? []).join(';'));
    if (type === 'deals') cells.push((r.associations.contacts ?? []).join(';'));
    return cells;
  };
}

/**
 * Writes the dataset as HubSpot's export writes it: companies.csv, contacts.csv and deals.csv in `dir`, a header
 * row of display names, one row per live record, multiple associated ids joined by `;`. Written in chunks.
 */
export async function writeCrmCsvExport(
  dir: string,
  dataset: Pick<CrmDataset, CrmObjectType | 'owners' | 'pipeline'>,
): Promise<Record<CrmObjectType, string>> {
  await fs.promises.mkdir(dir, { recursive: true });
  const files = {} as Record<CrmObjectType, string>;
  const rowOf = exportRows(dataset);
  for (const type of CRM_OBJECT_TYPES) {
    const file = path.join(dir, `${type}.csv`);
    const out = fs.createWriteStream(file, { encoding: 'utf8' });
    const closed = once(out, 'close');
    let chunk = `${CRM_EXPORT_HEADERS[type].map(csvField).join(',')}\r\n`;
    for (const r of dataset[type]) {
      if (r.archived) continue;
      chunk += `${rowOf(type, r).map(csvField).join(',')}\r\n`;
      if (chunk.length >= 1 << 16) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await closed;
    files[type] = file;
  }
  return files;
}
