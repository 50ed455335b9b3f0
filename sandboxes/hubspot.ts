import { randomUUID } from 'node:crypto';
import { pick, seededRandom } from '../common/random';
import { DEAL_STATUSES } from '../scripts/generate/legacy-crm';
import type { Handler, SandboxRequest, VendorSandbox } from './core/server';
import type { RecordMap, SandboxStore } from './core/store';
import {
  CRM_OBJECT_TYPES,
  CRM_PROPERTIES,
  type CrmDataset,
  type CrmObjectType,
  type CrmProperty,
  dealStageFacts,
  DEALS_PIPELINE_ID,
  formatCents,
  generateCrm,
  type HubSpotOwner,
  type HubSpotPipeline,
  type HubSpotRecord,
  LAST_MODIFIED_PROPERTY,
  RECORD_ID_PROPERTY,
  type StageFacts,
  stageOfStatus,
} from './generate/crm';

/**
 * The HubSpot CRM sandbox: companies, contacts and deals of a dirty legacy CRM (sandboxes/generate/crm.ts), its
 * owners and deals pipeline, read through the routes of sandboxes/specs/hubspot.crm.yaml with HubSpot's paging
 * (`after` tokens, `paging.next.link`), property selection, associations, search (filter groups, sorts, 200 per
 * page, 10,000 results per query), its auth (a private app's bearer token), its rate limits (100 requests per
 * 10 seconds on Free/Starter, the search API 4 per second apart) and its error bodies.
 */

// ---------------------------------------------------------------------------------------------------------------
// Collections

export const hubspotCollections = {
  objects: (store: SandboxStore, type: CrmObjectType) => store.collection<HubSpotRecord>(type),
  owners: (store: SandboxStore) => store.collection<HubSpotOwner>('owners'),
  pipelines: (store: SandboxStore) => store.collection<HubSpotPipeline>('pipelines'),
};

/** The deals pipeline of the store. */
export function dealsPipeline(store: SandboxStore): HubSpotPipeline {
  const p = hubspotCollections.pipelines(store).get(`deals:${DEALS_PIPELINE_ID}`);
  if (!p) throw new Error('the HubSpot sandbox has no deals pipeline: seed it first');
  return p;
}

/**
 * The dataset scale a sandbox `size` asks for: the size is the scale (1 = 10,000 deals); without it, a small CRM
 * of 500 deals.
 */
export const crmScaleOf = (size?: number): number => size ?? 0.05;

/** The records of the store as a dataset (archived ones included), e.g. to export them or count their facts. */
export function hubspotDataset(store: SandboxStore): Omit<CrmDataset, 'facts' | 'seed' | 'scale'> {
  const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);
  const records = (type: CrmObjectType) => [...hubspotCollections.objects(store, type).values()].sort(byId);
  return {
    companies: records('companies'),
    contacts: records('contacts'),
    deals: records('deals'),
    owners: [...hubspotCollections.owners(store).values()].sort(byId),
    pipeline: dealsPipeline(store),
  };
}

/** Fills a store with the CRM `generateCrm` builds for the seed and scale. */
export function seedCrm(store: SandboxStore, seed: number, scale: number): void {
  const data = generateCrm({ seed, scale });
  for (const type of CRM_OBJECT_TYPES) {
    const c = hubspotCollections.objects(store, type);
    for (const r of data[type]) c.set(r.id, r);
  }
  const owners = hubspotCollections.owners(store);
  for (const o of data.owners) owners.set(o.id, o);
  hubspotCollections.pipelines(store).set(`deals:${data.pipeline.id}`, data.pipeline);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

class HubSpotError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly category: string,
  ) {
    super(message);
  }
}

function errorBody(message: string, category: string, extra: Record<string, unknown> = {}) {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

const invalid = (message: string) => new HubSpotError(400, message, 'VALIDATION_ERROR');

function guarded(fn: Handler): Handler {
  return async (req, ctx) => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      if (err instanceof HubSpotError) return { status: err.status, body: errorBody(err.message, err.category) };
      throw err;
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading helpers

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
const list = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

const SINGULAR: Record<CrmObjectType, string> = { companies: 'company', contacts: 'contact', deals: 'deal' };

/** HubSpot accepts an object type by its plural, its singular or its type id. */
function objectTypeOf(name: string): CrmObjectType {
  const n = name.toLowerCase();
  const ids: Record<string, CrmObjectType> = { '0-1': 'contacts', '0-2': 'companies', '0-3': 'deals' };
  const type = (CRM_OBJECT_TYPES as readonly string[]).includes(n)
    ? (n as CrmObjectType)
    : (CRM_OBJECT_TYPES.find((t) => SINGULAR[t] === n) ?? ids[n]);
  if (!type) throw invalid(`Unable to infer object type from: ${name}`);
  return type;
}

function intParam(req: SandboxRequest, name: string, fallback: number): number {
  const raw = one(req.query[name]);
  return raw === undefined ? fallback : Number(raw);
}

/** Live and archived records in id order, rebuilt only when the collection changed. */
function idOrder(collection: RecordMap<HubSpotRecord>): { live: HubSpotRecord[]; archived: HubSpotRecord[] } {
  return collection.view('id-order', (all) => {
    const sorted = [...all.values()].sort((a, b) => Number(a.id) - Number(b.id));
    return { live: sorted.filter((r) => !r.archived), archived: sorted.filter((r) => r.archived) };
  });
}

/** The first index whose id is at least `after` (HubSpot's list `after` token is the next record's id). */
function startAt<T extends { id: string }>(sorted: readonly T[], after: string | undefined): number {
  if (after === undefined) return 0;
  if (!/^\d+$/.test(after)) throw invalid(`after: "${after}" is not a valid paging token`);
  const target = Number(after);
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Number(sorted[mid]!.id) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const propertiesOf = (type: CrmObjectType): readonly CrmProperty[] => [...CRM_PROPERTIES[type], RECORD_ID_PROPERTY];

/** The properties a read returns: the named ones (with the id and dates always), or the type's defaults. */
function selectedProperties(type: CrmObjectType, names: string[]): string[] {
  const known = propertiesOf(type);
  if (names.length === 0) return known.filter((p) => p.byDefault).map((p) => p.name);
  const always = ['hs_object_id', 'createdate', LAST_MODIFIED_PROPERTY[type]];
  const wanted = new Set([...names, ...always]);
  return known.filter((p) => wanted.has(p.name)).map((p) => p.name);
}

/** Associations stored on one side (contacts → companies, deals → companies and contacts), read from both. */
function associatedIds(store: SandboxStore, from: CrmObjectType, to: CrmObjectType, id: string): string[] {
  const record = hubspotCollections.objects(store, from).get(id);
  if (!record) return [];
  const forward = from !== 'companies' && to !== 'deals' && from !== to;
  if (forward) return record.associations[to] ?? [];
  if (from === 'deals' || to === from) return [];
  // Reverse: the `to` records that name this one.
  const index = hubspotCollections.objects(store, to).view(`associated-${from}`, (all) => {
    const out = new Map<string, string[]>();
    for (const r of all.values()) {
      if (r.archived) continue;
      for (const other of r.associations[from] ?? []) {
        const ids = out.get(other) ?? [];
        ids.push(r.id);
        out.set(other, ids);
      }
    }
    return out;
  });
  return index.get(id) ?? [];
}

/** HubSpot-defined (primary) association type ids. */
const ASSOCIATION_TYPE_ID: Record<string, number> = {
  'contacts>companies': 1,
  'companies>contacts': 2,
  'deals>contacts': 3,
  'contacts>deals': 4,
  'deals>companies': 5,
  'companies>deals': 6,
};

function present(
  store: SandboxStore,
  type: CrmObjectType,
  r: HubSpotRecord,
  properties: string[],
  associations: CrmObjectType[] = [],
) {
  const props: Record<string, string | null> = {};
  for (const name of properties) props[name] = r.properties[name] ?? null;
  const out: Record<string, unknown> = {
    id: r.id,
    properties: props,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    archived: r.archived,
  };
  if (r.archivedAt) out.archivedAt = r.archivedAt;
  const assoc: Record<string, unknown> = {};
  for (const to of associations) {
    const ids = associatedIds(store, type, to, r.id);
    if (ids.length > 0)
      assoc[to] = { results: ids.map((id) => ({ id, type: `${SINGULAR[type]}_to_${SINGULAR[to]}` })) };
  }
  if (associations.length > 0 && Object.keys(assoc).length > 0) out.associations = assoc;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Search

interface SearchFilter {
  propertyName: string;
  operator: string;
  value?: string;
  highValue?: string;
  values?: string[];
}

interface SearchRequest {
  filterGroups?: { filters: SearchFilter[] }[];
  sorts?: (string | { propertyName: string; direction?: 'ASCENDING' | 'DESCENDING' })[];
  properties?: string[];
  limit?: number;
  after?: string | number;
  query?: string;
}

/** The most results one search query pages through. */
export const SEARCH_RESULT_CAP = 10_000;

const isDateProperty = (type: CrmObjectType, name: string) =>
  name !== 'closedate' && propertiesOf(type).some((p) => p.name === name && p.type === 'datetime');

/** A filter value as a comparable: epoch ms for dates (ms or ISO accepted), numbers for numbers, else text. */
function comparable(type: CrmObjectType, name: string, value: string | null | undefined): number | string | null {
  if (value === null || value === undefined) return null;
  if (isDateProperty(type, name)) {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : value.toLowerCase();
}

/** Each record's comparable value of a property, kept until the collection changes (searches filter and sort by it). */
function keysOf(store: SandboxStore, type: CrmObjectType, name: string): Map<string, number | string | null> {
  return hubspotCollections
    .objects(store, type)
    .view(
      `search-key-${name}`,
      (all) => new Map([...all.values()].map((r) => [r.id, comparable(type, name, r.properties[name])])),
    );
}

function matches(store: SandboxStore, type: CrmObjectType, r: HubSpotRecord, f: SearchFilter): boolean {
  const raw = r.properties[f.propertyName];
  const has = raw !== null && raw !== undefined && raw !== '';
  if (f.operator === 'HAS_PROPERTY') return has;
  if (f.operator === 'NOT_HAS_PROPERTY') return !has;
  const v = keysOf(store, type, f.propertyName).get(r.id) ?? null;
  const of = (x: string | undefined) => comparable(type, f.propertyName, x);
  if (f.operator === 'IN' || f.operator === 'NOT_IN') {
    const inside = (f.values ?? []).some((x) => of(x) === v);
    return f.operator === 'IN' ? has && inside : !inside;
  }
  if (f.operator === 'CONTAINS_TOKEN' || f.operator === 'NOT_CONTAINS_TOKEN') {
    const token = (f.value ?? '').replace(/\*/g, '').toLowerCase();
    const found = has && raw.toLowerCase().includes(token);
    return f.operator === 'CONTAINS_TOKEN' ? found : !found;
  }
  if (f.value === undefined) throw invalid(`filter on ${f.propertyName}: operator ${f.operator} needs a value`);
  const w = of(f.value);
  if (f.operator === 'NEQ') return v !== w;
  if (v === null || w === null) return false;
  switch (f.operator) {
    case 'EQ':
      return v === w;
    case 'LT':
      return v < w;
    case 'LTE':
      return v <= w;
    case 'GT':
      return v > w;
    case 'GTE':
      return v >= w;
    case 'BETWEEN': {
      const high = of(f.highValue);
      return high !== null && v >= w && v <= high;
    }
    default:
      throw invalid(`operator ${f.operator} is not supported`);
  }
}

function search(store: SandboxStore, type: CrmObjectType, body: SearchRequest) {
  const groups = body.filterGroups ?? [];
  const filterCount = groups.reduce((n, g) => n + g.filters.length, 0);
  if (filterCount > 25) throw invalid(`A search may have at most 25 filters; this one has ${filterCount}`);
  const limit = body.limit ?? 10;
  const offset = body.after === undefined || body.after === '' ? 0 : Number(body.after);
  if (!Number.isInteger(offset) || offset < 0) throw invalid(`after: "${String(body.after)}" is not a paging token`);
  if (offset >= SEARCH_RESULT_CAP)
    throw invalid(
      `Search results are limited to ${SEARCH_RESULT_CAP} per query; after=${offset} pages past them. Narrow the filters (for example by a date range) to read further.`,
    );
  const all = idOrder(hubspotCollections.objects(store, type)).live;
  const hits =
    groups.length === 0
      ? [...all]
      : all.filter((r) => groups.some((g) => g.filters.every((f) => matches(store, type, r, f))));
  const sort = body.sorts?.[0];
  if (sort !== undefined) {
    const name = typeof sort === 'string' ? sort.replace(/^-/, '') : sort.propertyName;
    const desc = typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING';
    // Each key computed once (dates are parsed), then a plain sort of the pairs.
    const keys = keysOf(store, type, name);
    const keyed = hits.map((r) => ({ r, key: keys.get(r.id) ?? null, id: Number(r.id) }));
    keyed.sort((a, b) => {
      const x = a.key;
      const y = b.key;
      const c = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
      return (desc ? -c : c) || a.id - b.id;
    });
    keyed.forEach((k, i) => (hits[i] = k.r));
  }
  const properties = selectedProperties(type, body.properties ?? []);
  const page = hits.slice(offset, offset + limit);
  const next = offset + limit < hits.length ? String(offset + limit) : undefined;
  return {
    total: hits.length,
    results: page.map((r) => present(store, type, r, properties)),
    ...(next ? { paging: { next: { after: next } } } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers

const handlers: Record<string, Handler> = {
  // https://developers.hubspot.com/docs/api-reference/crm-deals-v3/guide (and companies, contacts)
  listObjects: guarded((req, { store, baseUrl }) => {
    const type = objectTypeOf(req.params.objectType!);
    const limit = intParam(req, 'limit', 10);
    const archived = one(req.query.archived) === 'true';
    const associations = list(req.query.associations).map(objectTypeOf);
    const properties = selectedProperties(type, list(req.query.properties));
    const order = idOrder(hubspotCollections.objects(store, type))[archived ? 'archived' : 'live'];
    const start = startAt(order, one(req.query.after));
    const page = order.slice(start, start + limit);
    const next = order[start + limit]?.id;
    const link = () => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query)) if (k !== 'after') q.set(k, Array.isArray(v) ? v.join(',') : v);
      q.set('after', next!);
      return `${baseUrl}/crm/v3/objects/${type}?${q.toString()}`;
    };
    return {
      status: 200,
      body: {
        results: page.map((r) => present(store, type, r, properties, associations)),
        ...(next ? { paging: { next: { after: next, link: link() } } } : {}),
      },
    };
  }),
  // https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
  searchObjects: guarded((req, { store }) => ({
    status: 200,
    body: search(store, objectTypeOf(req.params.objectType!), req.body ?? {}),
  })),
  listProperties: guarded((req, { store }) => {
    const type = objectTypeOf(req.params.objectType!);
    const pipeline = dealsPipeline(store);
    const options: Record<string, { label: string; value: string; displayOrder: number; hidden: boolean }[]> = {
      dealstage: pipeline.stages.map((s) => ({
        label: s.label,
        value: s.id,
        displayOrder: s.displayOrder,
        hidden: false,
      })),
      pipeline: [{ label: pipeline.label, value: pipeline.id, displayOrder: 0, hidden: false }],
    };
    return {
      status: 200,
      body: {
        results: propertiesOf(type).map((p, i) => ({
          name: p.name,
          label: p.label,
          type: p.type,
          fieldType: p.fieldType,
          groupName: `${SINGULAR[type]}information`,
          description: '',
          displayOrder: i,
          hubspotDefined: !p.custom,
          calculated: false,
          archived: false,
          options: options[p.name] ?? [],
        })),
      },
    };
  }),
  // https://developers.hubspot.com/docs/api-reference/crm-pipelines-v3/guide
  listPipelines: guarded((req, { store }) => {
    const type = req.params.objectType!.toLowerCase();
    if (type === 'tickets') return { status: 200, body: { results: [] } };
    if (objectTypeOf(type) !== 'deals') throw invalid(`Object type ${type} does not have pipelines`);
    return { status: 200, body: { results: [dealsPipeline(store)] } };
  }),
  listPipelineStages: guarded((req, { store }) => {
    const pipeline = dealsPipeline(store);
    if (req.params.objectType!.toLowerCase() !== 'deals' || req.params.pipelineId !== pipeline.id)
      throw new HubSpotError(404, `Unable to find pipeline ${req.params.pipelineId}`, 'OBJECT_NOT_FOUND');
    return { status: 200, body: { results: pipeline.stages } };
  }),
  // https://developers.hubspot.com/docs/api-reference/crm-crm-owners-v3/guide
  listOwners: guarded((req, { store, baseUrl }) => {
    const archived = one(req.query.archived) === 'true';
    const email = one(req.query.email)?.toLowerCase();
    const limit = intParam(req, 'limit', 100);
    const owners = [...hubspotCollections.owners(store).values()]
      .filter((o) => o.archived === archived && (email === undefined || o.email.toLowerCase() === email))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const start = startAt(owners, one(req.query.after));
    const next = owners[start + limit]?.id;
    return {
      status: 200,
      body: {
        results: owners.slice(start, start + limit),
        ...(next
          ? {
              paging: {
                next: {
                  after: next,
                  link: `${baseUrl}/crm/v3/owners?limit=${limit}&archived=${archived}&after=${next}`,
                },
              },
            }
          : {}),
      },
    };
  }),
  // https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide
  batchReadAssociations: guarded((req, { store }) => {
    const from = objectTypeOf(req.params.fromObjectType!);
    const to = objectTypeOf(req.params.toObjectType!);
    const startedAt = new Date().toISOString();
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const { id } of (req.body as { inputs: { id: string }[] }).inputs) {
      const ids = associatedIds(store, from, to, id);
      if (ids.length === 0) {
        errors.push({
          status: 'error',
          category: 'OBJECT_NOT_FOUND',
          subCategory: 'crm.associations.NO_ASSOCIATIONS_FOUND',
          message: `No ${SINGULAR[to]} is associated with ${SINGULAR[from]} ${id}.`,
          context: { fromObjectId: [id] },
        });
        continue;
      }
      const typeId = ASSOCIATION_TYPE_ID[`${from}>${to}`];
      results.push({
        from: { id },
        to: ids.map((other) => ({
          toObjectId: Number(other),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId, label: null }],
        })),
      });
    }
    return {
      status: errors.length > 0 ? 207 : 200,
      body: {
        status: 'COMPLETE',
        results,
        ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
        startedAt,
        completedAt: new Date().toISOString(),
      },
    };
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// Limits

/**
 * https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines: Free/Starter apps get 100
 * requests per 10 seconds and 250,000 a day; the CRM search API is limited apart, to 4 requests per second.
 */
const TEN_SECONDLY = { limit: 100, windowMs: 10_000 };
const SEARCH_PER_SECOND = { limit: 4, windowMs: 1000 };
const DAILY_LIMIT = 250_000;

/** The window of each limit figure in use, for the Interval header (a limit state carries only its figure). */
const windowOfLimit = new Map<number, number>([
  [TEN_SECONDLY.limit, TEN_SECONDLY.windowMs],
  [SEARCH_PER_SECOND.limit, SEARCH_PER_SECOND.windowMs],
]);
/** Requests counted against the daily limit, by UTC day. */
const daily = { day: '', used: 0 };

function hubspotError(status: number, message: string, details?: { path: string; message: string }[]) {
  if (status === 401)
    return {
      status,
      body: errorBody(
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        'INVALID_AUTHENTICATION',
      ),
    };
  const category = status === 404 ? 'OBJECT_NOT_FOUND' : status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR';
  return {
    status,
    body: errorBody(
      message,
      category,
      details?.length ? { errors: details.map((d) => ({ message: `${d.path} ${d.message}`, in: d.path })) } : {},
    ),
  };
}

export const hubspotSandbox: VendorSandbox = {
  vendor: 'hubspot',
  specFile: 'hubspot.crm.yaml',
  authenticate: (headers, credentials) => {
    const m = /^Bearer (.+)$/.exec(headers.authorization ?? '');
    return Boolean(m && credentials.tokens.includes(m[1]!));
  },
  limits: (rate) => {
    if (rate !== undefined) windowOfLimit.set(rate, 1000);
    return {
      'ten-secondly': rate === undefined ? TEN_SECONDLY : { limit: rate, windowMs: 1000 },
      search: rate === undefined ? SEARCH_PER_SECOND : { limit: rate, windowMs: 1000 },
    };
  },
  bucket: (operationId) => (operationId === 'searchObjects' ? 'search' : 'ten-secondly'),
  // Every route served reads (search and association batch reads are POSTs that write nothing).
  isWrite: () => false,
  rateHeaders: (state) => {
    const day = new Date().toISOString().slice(0, 10);
    if (daily.day !== day) Object.assign(daily, { day, used: 0 });
    daily.used += 1;
    return {
      'X-HubSpot-RateLimit-Max': String(state.limit),
      'X-HubSpot-RateLimit-Remaining': String(state.remaining),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(windowOfLimit.get(state.limit) ?? 10_000),
      'X-HubSpot-RateLimit-Daily': String(DAILY_LIMIT),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, DAILY_LIMIT - daily.used)),
    };
  },
  tooManyRequests: () => ({
    status: 429,
    body: {
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: 'TEN_SECONDLY_ROLLING',
    },
  }),
  error: hubspotError,
  handlers,
  seed: (store, seed, size) => seedCrm(store, seed, crmScaleOf(size)),
  prepare: (store) => {
    for (const type of CRM_OBJECT_TYPES) idOrder(hubspotCollections.objects(store, type));
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Changes for a delta

export interface CrmTouch {
  /** Seed of the changes (which records, which values). */
  seed?: number;
  newDeals?: number;
  newContacts?: number;
  /** Live deals whose legacy status (and so stage) and amount change. */
  changedDeals?: number;
  /** Live deals deleted (archived, as HubSpot keeps them for 90 days). */
  deletedDeals?: number;
  /** The modification time (default: now). */
  at?: Date;
}

export interface CrmTouched {
  at: string;
  created: { deals: string[]; contacts: string[] };
  changed: { deals: string[] };
  /** Archived: listed with `archived=true` only. */
  deleted: { deals: string[] };
  /** Per-stage counts and sums of the live deals after the changes. */
  stages: Record<string, StageFacts>;
  totalAmount: string;
  counts: Record<CrmObjectType, number>;
}

/**
 * Changes the CRM as its users would between two migrations: new contacts and deals, deals moved to another
 * stage with a new amount, a deal deleted (archived). Every change bumps the record's last-modified date.
 */
export function touchCrm(store: SandboxStore, touch: CrmTouch = {}): CrmTouched {
  const random = seededRandom(touch.seed ?? 1);
  const at = (touch.at ?? new Date()).toISOString();
  const deals = hubspotCollections.objects(store, 'deals');
  const contacts = hubspotCollections.objects(store, 'contacts');
  const liveDeals = idOrder(deals).live;
  const liveCompanies = idOrder(hubspotCollections.objects(store, 'companies')).live;
  const activeOwners = [...hubspotCollections.owners(store).values()].filter((o) => !o.archived);
  const amount = () => formatCents(BigInt(Math.floor(random() * 50_000_000) + 10_000));
  // Well above every id in use, so no new record takes the id an orphan association points at.
  const nextId = (c: RecordMap<HubSpotRecord>) => {
    let max = 0;
    for (const id of c.keys()) max = Math.max(max, Number(id));
    return max + 100_001;
  };
  const out: CrmTouched = {
    at,
    created: { deals: [], contacts: [] },
    changed: { deals: [] },
    deleted: { deals: [] },
    stages: {},
    totalAmount: '0.00',
    counts: { companies: 0, contacts: 0, deals: 0 },
  };

  // Deals to change and to archive: distinct, chosen among the live ones.
  const chosen = new Set<number>();
  const choose = () => {
    if (chosen.size >= liveDeals.length) throw new Error('touchCrm: not enough live deals to change');
    let i: number;
    do i = Math.floor(random() * liveDeals.length);
    while (chosen.has(i));
    chosen.add(i);
    return liveDeals[i]!;
  };
  for (let n = 0; n < (touch.changedDeals ?? 5); n++) {
    const deal = choose();
    const stage = deal.properties.dealstage;
    const status = pick(
      random,
      DEAL_STATUSES.filter((s) => stageOfStatus(s.value) !== stage),
    ).value;
    deals.set(deal.id, {
      ...deal,
      properties: {
        ...deal.properties,
        legacy_status: status,
        dealstage: stageOfStatus(status),
        amount: amount(),
        hs_lastmodifieddate: at,
      },
      updatedAt: at,
    });
    out.changed.deals.push(deal.id);
  }
  for (let n = 0; n < (touch.deletedDeals ?? 1); n++) {
    const deal = choose();
    deals.set(deal.id, { ...deal, archived: true, archivedAt: at, updatedAt: at });
    out.deleted.deals.push(deal.id);
  }

  let contactId = nextId(contacts);
  for (let n = 0; n < (touch.newContacts ?? 3); n++) {
    const id = String(contactId++);
    const company = liveCompanies.length > 0 ? pick(random, liveCompanies).id : undefined;
    contacts.set(id, {
      id,
      properties: {
        firstname: `New${n + 1}`,
        lastname: 'Contact',
        email: `new.contact${n + 1}.${id}@example.com`,
        phone: `+1 415 555 ${String(1000 + n).slice(-4)}`,
        interests: n % 2 === 0 ? 'webinar, pricing; partner' : null,
        hubspot_owner_id: activeOwners.length > 0 ? pick(random, activeOwners).id : null,
        legacy_created: null,
        hs_object_id: id,
        createdate: at,
        lastmodifieddate: at,
      },
      createdAt: at,
      updatedAt: at,
      archived: false,
      associations: company ? { companies: [company] } : {},
    });
    out.created.contacts.push(id);
  }
  let dealId = nextId(deals);
  for (let n = 0; n < (touch.newDeals ?? 3); n++) {
    const id = String(dealId++);
    const status = pick(random, DEAL_STATUSES).value;
    const company = liveCompanies.length > 0 ? pick(random, liveCompanies).id : undefined;
    const people = out.created.contacts.slice(0, 1 + (n % 2));
    deals.set(id, {
      id,
      properties: {
        dealname: `New deal ${n + 1}`,
        amount: amount(),
        closedate: at.slice(0, 10),
        pipeline: DEALS_PIPELINE_ID,
        dealstage: stageOfStatus(status),
        legacy_status: status,
        hubspot_owner_id: activeOwners.length > 0 ? pick(random, activeOwners).id : null,
        hs_object_id: id,
        createdate: at,
        hs_lastmodifieddate: at,
      },
      createdAt: at,
      updatedAt: at,
      archived: false,
      associations: { ...(company ? { companies: [company] } : {}), ...(people.length ? { contacts: people } : {}) },
    });
    out.created.deals.push(id);
  }

  Object.assign(out, dealStageFacts(deals.values(), dealsPipeline(store)));
  for (const type of CRM_OBJECT_TYPES) out.counts[type] = idOrder(hubspotCollections.objects(store, type)).live.length;
  return out;
}
