import { randomUUID } from 'node:crypto';
import { seededRandom } from '../common/random';
import { asText } from '../connectors/kit/errors';
import type { Handler, SandboxRequest, SandboxResponse, SandboxStore, VendorSandbox } from './core/server';

/**
 * The Attio sandbox: objects, attributes and records of Attio's REST API v2 (per sandboxes/specs/attio.openapi.yaml),
 * with its validation rules (unique attributes, email and domain formats, options that must exist), its
 * limit/offset paging and its rate limits: 100 reads/s and 25 writes/s, 429 with a `Retry-After` HTTP date.
 */

export type AttioAttributeType =
  | 'text'
  | 'number'
  | 'email-address'
  | 'domain'
  | 'phone-number'
  | 'select'
  | 'status'
  | 'record-reference'
  | 'checkbox'
  | 'date'
  | 'currency';

export interface AttioAttribute {
  api_slug: string;
  title: string;
  type: AttioAttributeType;
  is_unique: boolean;
  is_required: boolean;
  is_multiselect: boolean;
  options?: string[];
  statuses?: string[];
  /** For record references: the object slug referenced. */
  target_object?: string;
}

export interface AttioObjectDef {
  api_slug: string;
  singular_noun: string;
  plural_noun: string;
  attributes: AttioAttribute[];
}

const attr = (api_slug: string, type: AttioAttributeType, extra: Partial<AttioAttribute> = {}): AttioAttribute => ({
  api_slug,
  title: api_slug.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
  type,
  is_unique: false,
  is_required: false,
  is_multiselect: false,
  ...extra,
});

/** The standard objects of a new Attio workspace, plus the `tern_id` attribute a migration adds to each. */
export function standardObjects(): AttioObjectDef[] {
  return [
    {
      api_slug: 'companies',
      singular_noun: 'Company',
      plural_noun: 'Companies',
      attributes: [
        attr('name', 'text'),
        attr('domains', 'domain', { is_unique: true, is_multiselect: true }),
        attr('description', 'text'),
        attr('categories', 'select', { is_multiselect: true, options: ['B2B', 'B2C', 'SaaS', 'Enterprise'] }),
        attr('tern_id', 'text'),
      ],
    },
    {
      api_slug: 'people',
      singular_noun: 'Person',
      plural_noun: 'People',
      attributes: [
        attr('name', 'text'),
        attr('email_addresses', 'email-address', { is_unique: true, is_multiselect: true }),
        attr('phone_numbers', 'phone-number', { is_multiselect: true }),
        attr('job_title', 'text'),
        attr('company', 'record-reference', { target_object: 'companies' }),
        attr('tern_id', 'text'),
      ],
    },
    {
      api_slug: 'deals',
      singular_noun: 'Deal',
      plural_noun: 'Deals',
      attributes: [
        attr('name', 'text', { is_required: true }),
        attr('stage', 'status', { is_required: true, statuses: ['Lead', 'In Progress', 'Won 🎉', 'Lost'] }),
        attr('value', 'currency'),
        attr('associated_company', 'record-reference', { target_object: 'companies' }),
        attr('tern_id', 'text'),
      ],
    },
  ];
}

type StoredRecord = {
  id: { workspace_id: string; object_id: string; record_id: string };
  created_at: string;
  web_url: string;
  values: Record<string, Record<string, unknown>[]>;
};

const WORKSPACE_ID = '00000000-0000-4000-8000-000000000a77';

function error(status: number, code: string, message: string, type = 'invalid_request_error'): SandboxResponse {
  return { status, body: { status_code: status, type, code, message } };
}

class RecordError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const DOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.[a-z0-9-]{1,63})*\.[a-z]{2,}$/i;
const PHONE = /^\+[1-9]\d{6,14}$/;

function objects(store: SandboxStore) {
  return store.collection<AttioObjectDef & Record<string, unknown>>('attio:objects');
}

function records(store: SandboxStore, object: string) {
  return store.collection<StoredRecord & Record<string, unknown>>(`records:${object}`);
}

/** Per-attribute value indexes (not part of the store's fingerprint): uniqueness checks and filters stay O(1). */
const indexes = new WeakMap<SandboxStore, Map<string, Map<string, Set<string>>>>();

function index(store: SandboxStore, object: string, slug: string): Map<string, Set<string>> {
  let byStore = indexes.get(store);
  if (!byStore) {
    byStore = new Map();
    indexes.set(store, byStore);
  }
  const name = `${object}.${slug}`;
  let idx = byStore.get(name);
  if (!idx) {
    idx = new Map();
    for (const r of records(store, object).values())
      for (const v of r.values[slug] ?? []) addTo(idx, valueKey(v), r.id.record_id);
    byStore.set(name, idx);
  }
  return idx;
}

function addTo(idx: Map<string, Set<string>>, key: string, id: string): void {
  let set = idx.get(key);
  if (!set) {
    set = new Set();
    idx.set(key, set);
  }
  set.add(id);
}

function putRecord(store: SandboxStore, object: AttioObjectDef, record: StoredRecord): void {
  dropRecord(store, object, record.id.record_id);
  records(store, object.api_slug).set(record.id.record_id, record);
  for (const a of object.attributes)
    for (const v of record.values[a.api_slug] ?? [])
      addTo(index(store, object.api_slug, a.api_slug), valueKey(v), record.id.record_id);
}

function dropRecord(store: SandboxStore, object: AttioObjectDef, recordId: string): boolean {
  const old = records(store, object.api_slug).get(recordId);
  if (!old) return false;
  for (const a of object.attributes)
    for (const v of old.values[a.api_slug] ?? [])
      index(store, object.api_slug, a.api_slug).get(valueKey(v))?.delete(recordId);
  records(store, object.api_slug).delete(recordId);
  return true;
}

/** Ids of the records whose attribute holds one of `keys`. */
function lookup(store: SandboxStore, object: string, slug: string, keys: string[]): string[] {
  const idx = index(store, object, slug);
  return [...new Set(keys.flatMap((k) => [...(idx.get(k) ?? [])]))];
}

function findObject(store: SandboxStore, slug: string): AttioObjectDef {
  const def = objects(store).get(slug);
  if (!def) throw new RecordError(404, 'not_found', `Object with slug/ID "${slug}" not found.`);
  return def;
}

/** Normalises one written value the way Attio accepts it (a scalar or the type's object form). */
function normaliseValue(
  object: AttioObjectDef,
  a: AttioAttribute,
  input: unknown,
  store: SandboxStore,
): Record<string, unknown> {
  const bad = (why: string) =>
    new RecordError(
      400,
      'validation_type',
      `Invalid value for attribute "${a.api_slug}" on ${object.api_slug}: ${why}`,
    );
  const obj = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : undefined;
  switch (a.type) {
    case 'text': {
      const v = obj ? obj.value : input;
      if (typeof v !== 'string') throw bad('expected a string');
      return { attribute_type: 'text', value: v };
    }
    case 'number': {
      const v = obj ? obj.value : input;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('expected a number');
      return { attribute_type: 'number', value: v };
    }
    case 'checkbox': {
      const v = obj ? obj.value : input;
      if (typeof v !== 'boolean') throw bad('expected a boolean');
      return { attribute_type: 'checkbox', value: v };
    }
    case 'date': {
      const v = obj ? obj.value : input;
      if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v))
        throw bad(`"${String(v)}" is not a date (YYYY-MM-DD)`);
      return { attribute_type: 'date', value: v };
    }
    case 'email-address': {
      const v = obj ? obj.email_address : input;
      if (typeof v !== 'string' || !EMAIL.test(v)) throw bad(`"${String(v)}" is not a valid email address`);
      return { attribute_type: 'email-address', email_address: v.toLowerCase() };
    }
    case 'domain': {
      const v = obj ? obj.domain : input;
      if (typeof v !== 'string' || !DOMAIN.test(v)) throw bad(`"${String(v)}" is not a valid domain`);
      return { attribute_type: 'domain', domain: v.toLowerCase() };
    }
    case 'phone-number': {
      const v = obj ? (obj.original_phone_number ?? obj.phone_number) : input;
      if (typeof v !== 'string' || !PHONE.test(v)) throw bad(`"${String(v)}" is not a phone number in E.164 form`);
      return { attribute_type: 'phone-number', original_phone_number: v };
    }
    case 'select': {
      const v = obj ? (obj.option as string | undefined) : input;
      if (typeof v !== 'string' || !a.options?.includes(v))
        throw new RecordError(
          400,
          'value_not_found',
          `Select option "${String(v)}" does not exist on attribute "${a.api_slug}".`,
        );
      return { attribute_type: 'select', option: { title: v } };
    }
    case 'status': {
      const v = obj ? (obj.status as string | undefined) : input;
      if (typeof v !== 'string' || !a.statuses?.includes(v))
        throw new RecordError(
          400,
          'value_not_found',
          `Status "${String(v)}" does not exist on attribute "${a.api_slug}".`,
        );
      return { attribute_type: 'status', status: { title: v } };
    }
    case 'currency': {
      const v = obj ? obj.currency_value : input;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('expected a number (currency_value)');
      return { attribute_type: 'currency', currency_value: v };
    }
    case 'record-reference': {
      const target = (obj?.target_object as string | undefined) ?? a.target_object!;
      const id = obj ? (obj.target_record_id as string | undefined) : input;
      if (typeof id !== 'string') throw bad('expected {target_object, target_record_id}');
      if (!records(store, target).has(id))
        throw new RecordError(400, 'value_not_found', `Referenced ${target} record "${id}" does not exist.`);
      return { attribute_type: 'record-reference', target_object: target, target_record_id: id };
    }
  }
}

/** Comparable key of a stored value (for uniqueness and filters). */
function valueKey(v: Record<string, unknown>): string {
  return asText(
    v.value ??
      v.email_address ??
      v.domain ??
      v.original_phone_number ??
      v.target_record_id ??
      v.currency_value ??
      (v.option as { title?: string } | undefined)?.title ??
      (v.status as { title?: string } | undefined)?.title ??
      '',
  );
}

function normaliseValues(
  store: SandboxStore,
  object: AttioObjectDef,
  input: Record<string, unknown>,
): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const [slug, raw] of Object.entries(input)) {
    const a = object.attributes.find((x) => x.api_slug === slug);
    if (!a)
      throw new RecordError(
        400,
        'value_not_found',
        `Cannot find attribute with slug/ID "${slug}" on object "${object.api_slug}".`,
      );
    const list = Array.isArray(raw) ? raw : [raw];
    if (!a.is_multiselect && list.length > 1)
      throw new RecordError(400, 'validation_type', `Attribute "${slug}" accepts one value, got ${list.length}.`);
    out[slug] = list.filter((v) => v !== null && v !== undefined).map((v) => normaliseValue(object, a, v, store));
  }
  return out;
}

function checkRecord(
  store: SandboxStore,
  object: AttioObjectDef,
  values: Record<string, Record<string, unknown>[]>,
  selfId: string | undefined,
): void {
  for (const a of object.attributes) {
    const list = values[a.api_slug] ?? [];
    if (a.is_required && list.length === 0)
      throw new RecordError(
        400,
        'validation_type',
        `Required attribute "${a.api_slug}" is missing on ${object.api_slug}.`,
      );
    if (!a.is_unique) continue;
    for (const v of list) {
      const key = valueKey(v);
      const taken = lookup(store, object.api_slug, a.api_slug, [key]).find((id) => id !== selfId);
      if (taken)
        throw new RecordError(
          409,
          'uniqueness_conflict',
          `The value "${key}" provided for attribute "${a.api_slug}" is already taken by record ${taken}.`,
        );
    }
  }
}

function externalIdOf(values: Record<string, Record<string, unknown>[]>, recordId: string): string {
  const tern = values.tern_id?.[0];
  return tern ? valueKey(tern) : recordId;
}

function present(r: StoredRecord): StoredRecord {
  return r;
}

/** The values a filter condition accepts: `{slug: v}`, `{slug: {$eq: v}}` or `{slug: {$in: [...]}}`. */
function accepted(cond: unknown): string[] {
  if (cond !== null && typeof cond === 'object' && '$eq' in cond) return [String(cond.$eq)];
  if (cond !== null && typeof cond === 'object' && '$in' in cond)
    return ((cond as { $in: unknown[] }).$in ?? []).map(String);
  return [String(cond)];
}

function query(
  store: SandboxStore,
  object: AttioObjectDef,
  filter: Record<string, unknown> | undefined,
): StoredRecord[] {
  const all = records(store, object.api_slug);
  if (!filter || Object.keys(filter).length === 0) return [...all.values()];
  let ids: string[] | undefined;
  for (const [slug, cond] of Object.entries(filter)) {
    if (!object.attributes.some((a) => a.api_slug === slug))
      throw new RecordError(400, 'value_not_found', `Cannot filter on unknown attribute "${slug}".`);
    const hits = lookup(store, object.api_slug, slug, accepted(cond));
    ids = ids === undefined ? hits : ids.filter((id) => hits.includes(id));
  }
  return (ids ?? []).map((id) => all.get(id)!).filter(Boolean);
}

function guarded(fn: Handler): Handler {
  return async (req, ctx) => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      if (err instanceof RecordError) return error(err.status, err.code, err.message);
      throw err;
    }
  };
}

const data = (req: SandboxRequest) => (req.body as { data?: { values?: Record<string, unknown> } }).data ?? {};

const handlers: Record<string, Handler> = {
  'get /v2/objects': (_req, { store }) => ({
    status: 200,
    body: {
      data: [...objects(store).values()].map((o) => ({
        id: { workspace_id: WORKSPACE_ID, object_id: o.api_slug },
        api_slug: o.api_slug,
        singular_noun: o.singular_noun,
        plural_noun: o.plural_noun,
        created_at: '2020-01-01T00:00:00.000000000Z',
      })),
    },
  }),
  'get /v2/{target}/{identifier}/attributes': guarded((req, { store }) => {
    const object = findObject(store, req.params.identifier!);
    return {
      status: 200,
      body: {
        data: object.attributes.map((a) => ({
          id: {
            workspace_id: WORKSPACE_ID,
            object_id: object.api_slug,
            attribute_id: `${object.api_slug}.${a.api_slug}`,
          },
          title: a.title,
          api_slug: a.api_slug,
          type: a.type,
          is_unique: a.is_unique,
          is_required: a.is_required,
          is_multiselect: a.is_multiselect,
          is_system_attribute: a.api_slug !== 'tern_id',
          is_writable: true,
          is_archived: false,
          config: a.type === 'record-reference' ? { record_reference: { allowed_object_ids: [a.target_object] } } : {},
        })),
      },
    };
  }),
  'post /v2/objects/{object}/records': guarded((req, { store, writes }) => {
    const object = findObject(store, req.params.object!);
    const values = normaliseValues(store, object, data(req).values ?? {});
    checkRecord(store, object, values, undefined);
    const recordId = randomUUID();
    const record: StoredRecord = {
      id: { workspace_id: WORKSPACE_ID, object_id: object.api_slug, record_id: recordId },
      created_at: new Date().toISOString(),
      web_url: `https://app.attio.com/sandbox/${object.api_slug}/${recordId}`,
      values,
    };
    putRecord(store, object, record);
    writes.count(object.api_slug, externalIdOf(values, recordId));
    return { status: 200, body: { data: present(record) } };
  }),
  'put /v2/objects/{object}/records': guarded((req, { store, writes }) => {
    const object = findObject(store, req.params.object!);
    const matching = String(req.query.matching_attribute);
    const a = object.attributes.find((x) => x.api_slug === matching);
    if (!a) throw new RecordError(400, 'value_not_found', `Cannot find attribute with slug/ID "${matching}".`);
    if (!a.is_unique)
      throw new RecordError(400, 'validation_type', `Matching attribute "${matching}" must be a unique attribute.`);
    const values = normaliseValues(store, object, data(req).values ?? {});
    const keys = (values[matching] ?? []).map(valueKey);
    if (keys.length === 0)
      throw new RecordError(400, 'validation_type', `A value for the matching attribute "${matching}" is required.`);
    const existingId = lookup(store, object.api_slug, matching, keys)[0];
    const existing = existingId ? records(store, object.api_slug).get(existingId) : undefined;
    const recordId = existing?.id.record_id ?? randomUUID();
    const merged = existing ? { ...existing.values, ...values } : values;
    checkRecord(store, object, merged, recordId);
    const record: StoredRecord = existing
      ? { ...existing, values: merged }
      : {
          id: { workspace_id: WORKSPACE_ID, object_id: object.api_slug, record_id: recordId },
          created_at: new Date().toISOString(),
          web_url: `https://app.attio.com/sandbox/${object.api_slug}/${recordId}`,
          values: merged,
        };
    putRecord(store, object, record);
    writes.count(object.api_slug, externalIdOf(merged, recordId));
    return { status: 200, body: { data: present(record) } };
  }),
  'post /v2/objects/{object}/records/query': guarded((req, { store }) => {
    const object = findObject(store, req.params.object!);
    const body = (req.body ?? {}) as { filter?: Record<string, unknown>; limit?: number; offset?: number };
    const limit = Math.min(body.limit ?? 500, 500);
    const offset = body.offset ?? 0;
    const all = query(store, object, body.filter);
    return { status: 200, body: { data: all.slice(offset, offset + limit).map(present) } };
  }),
  'get /v2/objects/{object}/records/{record_id}': guarded((req, { store }) => {
    const object = findObject(store, req.params.object!);
    const r = records(store, object.api_slug).get(req.params.record_id!);
    if (!r) throw new RecordError(404, 'not_found', `Record with ID "${req.params.record_id}" not found.`);
    return { status: 200, body: { data: present(r) } };
  }),
  'delete /v2/objects/{object}/records/{record_id}': guarded((req, { store }) => {
    const object = findObject(store, req.params.object!);
    if (!dropRecord(store, object, req.params.record_id!))
      throw new RecordError(404, 'not_found', `Record with ID "${req.params.record_id}" not found.`);
    return { status: 200, body: {} };
  }),
};

const READ_OPERATIONS = new Set(['post /v2/objects/{object}/records/query', 'post /v2/objects/records/search']);

export const attioSandbox: VendorSandbox = {
  vendor: 'attio',
  specFile: 'attio.openapi.yaml',
  authenticate: (headers, credentials) => {
    const m = /^Bearer (.+)$/.exec(headers.authorization ?? '');
    return Boolean(m && credentials.tokens.includes(m[1]!));
  },
  // https://docs.attio.com/rest-api/guides/rate-limiting: 100 reads/s and 25 writes/s.
  limits: (rate) => ({
    read: { limit: rate ?? 100, windowMs: 1000 },
    write: { limit: rate ?? 25, windowMs: 1000 },
  }),
  bucket: (operationId, method) => (method === 'get' || READ_OPERATIONS.has(operationId) ? 'read' : 'write'),
  isWrite: (operationId, method) => method !== 'get' && !READ_OPERATIONS.has(operationId),
  // Attio documents no rate-limit headers on success; only the 429's Retry-After.
  rateHeaders: () => ({}),
  tooManyRequests: ({ resetAt }) => ({
    status: 429,
    headers: { 'retry-after': new Date(Math.ceil(resetAt / 1000) * 1000).toUTCString() },
    body: {
      status_code: 429,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      message: 'Rate limit exceeded, please try again later',
    },
  }),
  error: (status, message) =>
    status === 401
      ? error(401, 'unauthorized', message, 'auth_error')
      : status >= 500
        ? error(status, 'internal_server_error', message, 'api_error')
        : status === 404
          ? error(404, 'not_found', message)
          : error(status, 'validation_type', message),
  handlers,
  seed: (store, seed) => {
    for (const o of standardObjects()) objects(store).set(o.api_slug, o as AttioObjectDef & Record<string, unknown>);
    // A workspace is never empty: a few companies exist before Tern arrives (rollback must leave them).
    const random = seededRandom(seed);
    for (let i = 1; i <= 3; i++) {
      const id = `00000000-0000-4000-8000-${String(Math.floor(random() * 1e12)).padStart(12, '0')}`;
      records(store, 'companies').set(id, {
        id: { workspace_id: WORKSPACE_ID, object_id: 'companies', record_id: id },
        created_at: '2024-01-01T00:00:00.000000000Z',
        web_url: `https://app.attio.com/sandbox/companies/${id}`,
        values: {
          name: [{ attribute_type: 'text', value: `Existing company ${i}` }],
          domains: [{ attribute_type: 'domain', domain: `existing${i}.example.com` }],
        },
      });
    }
  },
};
