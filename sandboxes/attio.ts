import { randomUUID } from 'node:crypto';
import { seededRandom } from '../common/random';
import type { Handler, SandboxRequest, SandboxStore, VendorSandbox, WriteCounters } from './core/server';
import {
  checkRecord,
  filterKey,
  lookup,
  mergeValues,
  normaliseValues,
  type StoredValues,
  valueKey,
} from './attio-values';
import {
  ATTRIBUTE_TYPES,
  type AttioAttribute,
  type AttioAttributeType,
  AttioError,
  type AttioObjectDef,
  type AttioOption,
  type AttioStoredRecord,
  attributeOf,
  errorResponse,
  findAttribute,
  findObject,
  findTarget,
  MULTISELECT_TYPES,
  objectDefs,
  optionOf,
  presentAttribute,
  presentOption,
  recordsOf,
  saveObject,
  stableId,
  standardObjects,
  UNIQUE_TYPES,
  WORKSPACE_ID,
  withAttribute,
} from './attio-workspace';

export {
  attioWorkspaceFingerprint,
  attioWorkspaceState,
  standardObjects,
  type AttioAttribute,
  type AttioAttributeType,
  type AttioObjectDef,
  type AttioOption,
  type AttioWorkspaceState,
} from './attio-workspace';

/**
 * The Attio sandbox: the standard objects of a new workspace (companies, people, deals), their attributes, select
 * options and statuses, and records, through Attio's REST API v2 (per sandboxes/specs/attio.openapi.yaml). Attributes,
 * options and statuses are created and archived through the API as in Attio; record writes follow Attio's
 * validation rules (sandboxes/attio-values.ts) and its multiselect semantics (create and PUT overwrite, PATCH
 * appends, assert appends to its matching attribute only). Limit/offset paging; rate limits of 100 reads/s and
 * 25 writes/s, 429 with a `Retry-After` HTTP date.
 */

const SLUG = /^[a-z][a-z0-9_]*$/;

/** The records' data body of a write: `{data: {values}}`. */
const valuesOf = (req: SandboxRequest) =>
  (req.body as { data?: { values?: Record<string, unknown> } } | undefined)?.data?.values ?? {};

const dataOf = <T>(req: SandboxRequest) => ((req.body as { data?: T } | undefined)?.data ?? {}) as T;

const showArchived = (req: SandboxRequest) => req.query.show_archived === 'true';

function guarded(fn: Handler): Handler {
  return async (req, ctx) => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      if (err instanceof AttioError) return errorResponse(err.status, err.code, err.message);
      throw err;
    }
  };
}

/** A record as Attio returns it: a value list for every live attribute, empty where it has none. */
function present(object: AttioObjectDef, r: AttioStoredRecord): AttioStoredRecord {
  const values: StoredValues = {};
  for (const a of object.attributes) if (!a.is_archived) values[a.api_slug] = r.values[a.api_slug] ?? [];
  return { ...r, values };
}

function findRecord(store: SandboxStore, object: AttioObjectDef, recordId: string): AttioStoredRecord {
  const r = recordsOf(store, object.api_slug).get(recordId);
  if (!r) throw new AttioError(404, 'not_found', `Record with ID "${recordId}" not found.`);
  return r;
}

function newRecord(object: AttioObjectDef, values: StoredValues): AttioStoredRecord {
  const recordId = randomUUID();
  return {
    id: { workspace_id: WORKSPACE_ID, object_id: object.api_slug, record_id: recordId },
    created_at: new Date().toISOString(),
    web_url: `https://app.attio.com/sandbox/${object.api_slug}/record/${recordId}/overview`,
    values,
  };
}

/**
 * Stores a written record and counts the write under its external id: the value of the object's first unique
 * text attribute Tern (not Attio) created, the migration's key attribute; without one, the record id.
 */
function saveRecord(
  store: SandboxStore,
  writes: WriteCounters,
  object: AttioObjectDef,
  record: AttioStoredRecord,
): AttioStoredRecord {
  recordsOf(store, object.api_slug).set(record.id.record_id, record as AttioStoredRecord & Record<string, unknown>);
  const key = object.attributes.find(
    (a) => a.type === 'text' && a.is_unique && !a.is_system_attribute && !a.is_archived,
  );
  const externalId = key && record.values[key.api_slug]?.[0];
  writes.count(object.api_slug, externalId ? valueKey(externalId) : record.id.record_id);
  return record;
}

/** The values a filter condition accepts: `{slug: v}`, `{slug: {$eq: v}}` or `{slug: {$in: [...]}}`. */
function accepted(slug: string, cond: unknown): unknown[] {
  if (cond === null || typeof cond !== 'object') return [cond];
  if ('$eq' in cond) return [cond.$eq];
  if ('$in' in cond && Array.isArray(cond.$in)) return cond.$in as unknown[];
  throw new AttioError(
    400,
    'filter_error',
    `Unsupported filter on attribute "${slug}": ${JSON.stringify(cond)} (the sandbox filters by value, $eq and $in).`,
  );
}

function query(store: SandboxStore, object: AttioObjectDef, filter: Record<string, unknown> | undefined) {
  const all = recordsOf(store, object.api_slug);
  if (!filter || Object.keys(filter).length === 0) return [...all.values()];
  let ids: string[] | undefined;
  for (const [slug, cond] of Object.entries(filter)) {
    const a = attributeOf(object, slug);
    if (!a || a.is_archived)
      throw new AttioError(400, 'filter_error', `Cannot filter on unknown attribute "${slug}" of ${object.api_slug}.`);
    const hits = lookup(
      store,
      object.api_slug,
      a.api_slug,
      accepted(slug, cond).map((v) => filterKey(a, v)),
    );
    ids = ids === undefined ? hits : ids.filter((id) => hits.includes(id));
  }
  return (ids ?? []).map((id) => all.get(id)).filter((r): r is AttioStoredRecord & Record<string, unknown> => !!r);
}

/** A deleted record leaves the record references that pointed to it, as in Attio. */
function dropReferences(store: SandboxStore, target: string, recordId: string): void {
  for (const object of objectDefs(store).values())
    for (const a of object.attributes) {
      if (a.type !== 'record-reference' || !a.allowed_objects?.includes(target)) continue;
      const records = recordsOf(store, object.api_slug);
      for (const id of lookup(store, object.api_slug, a.api_slug, [recordId])) {
        const r = records.get(id)!;
        const values = mergeValues(
          object,
          r.values,
          { [a.api_slug]: (r.values[a.api_slug] ?? []).filter((v) => v.target_record_id !== recordId) },
          'overwrite',
        );
        records.set(id, { ...r, values });
      }
    }
}

/** Writes a record by id: PATCH appends to multiselect attributes, PUT overwrites them. */
function updateById(mode: 'append' | 'overwrite'): Handler {
  return guarded((req, { store, writes }) => {
    const object = findObject(store, req.params.object!);
    const existing = findRecord(store, object, req.params.record_id!);
    const written = normaliseValues(store, object, valuesOf(req));
    const values = mergeValues(object, existing.values, written, mode);
    checkRecord(store, object, values, existing.id.record_id, written);
    const record = saveRecord(store, writes, object, { ...existing, values });
    return { status: 200, body: { data: present(object, record) } };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Attributes, options and statuses

export interface AttributeInput {
  title: string;
  description?: string | null;
  api_slug: string;
  type: AttioAttributeType;
  is_required: boolean;
  is_unique: boolean;
  is_multiselect: boolean;
  config?: {
    currency?: { default_currency_code?: string };
    record_reference?: { allowed_objects?: string[] };
  };
}

/** Refuses an attribute definition Attio would refuse; returns the objects a record reference may point to. */
function checkAttributeInput(store: SandboxStore, object: AttioObjectDef, input: AttributeInput): string[] | undefined {
  const bad = (why: string) =>
    new AttioError(400, 'validation_type', `Cannot create attribute "${input.api_slug}" on ${object.api_slug}: ${why}`);
  if (!SLUG.test(input.api_slug)) throw bad('the api_slug must be snake case (a-z, 0-9, _), starting with a letter');
  if (!ATTRIBUTE_TYPES.includes(input.type)) throw bad(`the type "${input.type}" is not supported`);
  if (input.type === 'status') throw bad('attributes of type "status" are not supported on objects');
  if (input.is_multiselect && !MULTISELECT_TYPES.has(input.type))
    throw bad(`an attribute of type "${input.type}" cannot be multiselect`);
  if (input.is_unique && !UNIQUE_TYPES.has(input.type))
    throw bad(`an attribute of type "${input.type}" cannot be unique`);
  const taken = attributeOf(object, input.api_slug);
  if (taken)
    throw new AttioError(
      409,
      'slug_conflict',
      `An attribute with the API slug "${input.api_slug}" already exists on ${object.api_slug}${taken.is_archived ? ' (archived: restore it with is_archived: false)' : ''}. Please choose a different API slug.`,
    );
  if (input.type !== 'record-reference') return undefined;
  const allowed = input.config?.record_reference?.allowed_objects ?? [];
  if (allowed.length === 0) throw bad('a record reference needs config.record_reference.allowed_objects');
  return allowed.map((o) => findObject(store, o).api_slug);
}

/**
 * Creates an attribute on an object as `POST /v2/objects/{object}/attributes` does, with the same checks (a text
 * attribute unless `type` says otherwise). Tests and benchmarks use it for a workspace a migration has keyed already.
 */
export function createAttioAttribute(
  store: SandboxStore,
  objectSlug: string,
  definition: Partial<AttributeInput> & { api_slug: string },
): AttioAttribute {
  const object = findObject(store, objectSlug);
  const input: AttributeInput = {
    title: definition.api_slug,
    type: 'text',
    is_required: false,
    is_unique: false,
    is_multiselect: false,
    ...definition,
  };
  const allowed = checkAttributeInput(store, object, input);
  const attribute: AttioAttribute = {
    id: stableId(object.api_slug, input.api_slug),
    api_slug: input.api_slug,
    title: input.title,
    description: input.description ?? null,
    type: input.type,
    is_unique: input.is_unique,
    is_required: input.is_required,
    is_multiselect: input.is_multiselect,
    is_system_attribute: false,
    is_archived: false,
    created_at: new Date().toISOString(),
    ...(input.type === 'select' ? { options: [] } : {}),
    ...(allowed ? { allowed_objects: allowed } : {}),
    ...(input.type === 'currency' ? { currency_code: input.config?.currency?.default_currency_code ?? 'USD' } : {}),
  };
  saveObject(store, withAttribute(object, attribute));
  return attribute;
}

function listedOptions(object: AttioObjectDef, a: AttioAttribute, all: boolean) {
  return (a.options ?? []).filter((o) => all || !o.is_archived).map((o) => presentOption(object, a, o));
}

/** The select attribute (`options`) or status attribute (`statuses`) a route names. */
function choiceAttribute(object: AttioObjectDef, identifier: string, kind: 'options' | 'statuses'): AttioAttribute {
  const a = findAttribute(object, identifier);
  const type = kind === 'statuses' ? 'status' : 'select';
  if (a.type !== type)
    throw new AttioError(
      404,
      'not_found',
      `Cannot find ${type} attribute "${a.api_slug}" on ${object.api_slug}: it is of type ${a.type}.`,
    );
  return a;
}

function titleConflict(
  object: AttioObjectDef,
  a: AttioAttribute,
  title: string,
  self?: AttioOption,
): AttioError | undefined {
  const other = a.options?.find((o) => o.title === title && o !== self);
  if (!other) return undefined;
  const kind = a.type === 'status' ? 'status' : 'select option';
  return new AttioError(
    409,
    'slug_conflict',
    `A ${kind} titled "${title}" already exists on attribute "${a.api_slug}" of ${object.api_slug}${other.is_archived ? ' (archived: restore it with is_archived: false)' : ''}.`,
  );
}

/** Rewrites the records holding an option or status after its title or archived flag changed. */
function refreshChoice(store: SandboxStore, object: AttioObjectDef, a: AttioAttribute, choice: AttioOption): void {
  const records = recordsOf(store, object.api_slug);
  const field = a.type === 'status' ? 'status' : 'option';
  const idKey = a.type === 'status' ? 'status_id' : 'option_id';
  for (const r of [...records.values()]) {
    const list = r.values[a.api_slug];
    if (!list?.some((v) => (v[field] as { id: Record<string, string> }).id[idKey] === choice.id)) continue;
    const values = list.map((v) =>
      (v[field] as { id: Record<string, string> }).id[idKey] === choice.id
        ? { ...v, [field]: presentOption(object, a, choice) }
        : v,
    );
    records.set(r.id.record_id, { ...r, values: { ...r.values, [a.api_slug]: values } });
  }
}

function createChoice(kind: 'options' | 'statuses'): Handler {
  return guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    const a = choiceAttribute(object, req.params.attribute!, kind);
    const input = dataOf<{ title: string; celebration_enabled?: boolean; target_time_in_status?: string | null }>(req);
    const conflict = titleConflict(object, a, input.title);
    if (conflict) throw conflict;
    const choice: AttioOption = {
      id: stableId(object.api_slug, a.api_slug, input.title),
      title: input.title,
      is_archived: false,
      ...(kind === 'statuses'
        ? {
            celebration_enabled: input.celebration_enabled ?? false,
            target_time_in_status: input.target_time_in_status ?? null,
          }
        : {}),
    };
    saveObject(store, withAttribute(object, { ...a, options: [...(a.options ?? []), choice] }));
    return { status: 200, body: { data: presentOption(object, a, choice) } };
  });
}

function updateChoice(kind: 'options' | 'statuses'): Handler {
  return guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    const a = choiceAttribute(object, req.params.attribute!, kind);
    const identifier = (kind === 'statuses' ? req.params.status : req.params.option)!;
    const choice = optionOf(a, identifier);
    if (!choice)
      throw new AttioError(
        400,
        'value_not_found',
        `Cannot find ${kind === 'statuses' ? 'status' : 'select option'} "${identifier}" for attribute "${a.api_slug}" on ${object.api_slug}.`,
      );
    const input = dataOf<Partial<Omit<AttioOption, 'id'>>>(req);
    if (input.title !== undefined) {
      const conflict = titleConflict(object, a, input.title, choice);
      if (conflict) throw conflict;
    }
    const changed: AttioOption = {
      ...choice,
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.is_archived !== undefined ? { is_archived: input.is_archived } : {}),
      ...(kind === 'statuses' && input.celebration_enabled !== undefined
        ? { celebration_enabled: input.celebration_enabled }
        : {}),
      ...(kind === 'statuses' && input.target_time_in_status !== undefined
        ? { target_time_in_status: input.target_time_in_status }
        : {}),
    };
    const attribute = { ...a, options: (a.options ?? []).map((o) => (o === choice ? changed : o)) };
    const updated = withAttribute(object, attribute);
    saveObject(store, updated);
    refreshChoice(store, updated, attribute, changed);
    return { status: 200, body: { data: presentOption(updated, attribute, changed) } };
  });
}

function listChoices(kind: 'options' | 'statuses'): Handler {
  return guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    const a = choiceAttribute(object, req.params.attribute!, kind);
    return { status: 200, body: { data: listedOptions(object, a, showArchived(req)) } };
  });
}

/** Renames an attribute's key in every record (its values move with its slug). */
function renameValues(store: SandboxStore, object: string, from: string, to: string): void {
  const records = recordsOf(store, object);
  for (const r of [...records.values()]) {
    if (!(from in r.values)) continue;
    const { [from]: moved, ...rest } = r.values;
    records.set(r.id.record_id, { ...r, values: { ...rest, [to]: moved! } });
  }
}

const handlers: Record<string, Handler> = {
  'get /v2/objects': (_req, { store }) => ({
    status: 200,
    body: { data: [...objectDefs(store).values()].map(presentObject) },
  }),
  'get /v2/objects/{object}': guarded((req, { store }) => ({
    status: 200,
    body: { data: presentObject(findObject(store, req.params.object!)) },
  })),
  'get /v2/{target}/{identifier}/attributes': guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    const all = object.attributes.filter((a) => showArchived(req) || !a.is_archived);
    const offset = Number(req.query.offset ?? 0);
    const limit = req.query.limit === undefined ? all.length : Number(req.query.limit);
    return {
      status: 200,
      body: { data: all.slice(offset, offset + limit).map((a) => presentAttribute(object, a)) },
    };
  }),
  'post /v2/{target}/{identifier}/attributes': guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    const attribute = createAttioAttribute(store, object.api_slug, dataOf<AttributeInput>(req));
    return { status: 200, body: { data: presentAttribute(object, attribute) } };
  }),
  'get /v2/{target}/{identifier}/attributes/{attribute}': guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    return { status: 200, body: { data: presentAttribute(object, findAttribute(object, req.params.attribute!)) } };
  }),
  'patch /v2/{target}/{identifier}/attributes/{attribute}': guarded((req, { store }) => {
    const object = findTarget(store, req.params.target!, req.params.identifier!);
    const a = findAttribute(object, req.params.attribute!);
    const input = dataOf<Partial<AttributeInput> & { is_archived?: boolean }>(req);
    if (a.is_system_attribute)
      throw new AttioError(
        400,
        'system_edit_unauthorized',
        `Cannot change attribute "${a.api_slug}" on ${object.api_slug}: it is a system attribute of Attio.`,
      );
    if (input.api_slug !== undefined && input.api_slug !== a.api_slug) {
      if (!SLUG.test(input.api_slug))
        throw new AttioError(
          400,
          'validation_type',
          `Cannot rename attribute "${a.api_slug}": "${input.api_slug}" is not snake case.`,
        );
      if (attributeOf(object, input.api_slug))
        throw new AttioError(
          409,
          'slug_conflict',
          `An attribute with the API slug "${input.api_slug}" already exists on ${object.api_slug}. Please choose a different API slug.`,
        );
    }
    if (input.is_unique && !UNIQUE_TYPES.has(a.type))
      throw new AttioError(400, 'validation_type', `Attribute "${a.api_slug}" of type ${a.type} cannot be unique.`);
    const changed: AttioAttribute = {
      ...a,
      ...(input.title !== undefined ? { title: input.title } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.api_slug !== undefined ? { api_slug: input.api_slug } : {}),
      ...(input.is_required !== undefined ? { is_required: input.is_required } : {}),
      ...(input.is_unique !== undefined ? { is_unique: input.is_unique } : {}),
      ...(input.is_archived !== undefined ? { is_archived: input.is_archived } : {}),
    };
    saveObject(store, withAttribute(object, changed));
    if (changed.api_slug !== a.api_slug) renameValues(store, object.api_slug, a.api_slug, changed.api_slug);
    return { status: 200, body: { data: presentAttribute(object, changed) } };
  }),
  'get /v2/{target}/{identifier}/attributes/{attribute}/options': listChoices('options'),
  'post /v2/{target}/{identifier}/attributes/{attribute}/options': createChoice('options'),
  'patch /v2/{target}/{identifier}/attributes/{attribute}/options/{option}': updateChoice('options'),
  'get /v2/{target}/{identifier}/attributes/{attribute}/statuses': listChoices('statuses'),
  'post /v2/{target}/{identifier}/attributes/{attribute}/statuses': createChoice('statuses'),
  'patch /v2/{target}/{identifier}/attributes/{attribute}/statuses/{status}': updateChoice('statuses'),

  'post /v2/objects/{object}/records': guarded((req, { store, writes }) => {
    const object = findObject(store, req.params.object!);
    const values = mergeValues(object, {}, normaliseValues(store, object, valuesOf(req)), 'overwrite');
    checkRecord(store, object, values, undefined, values);
    const record = saveRecord(store, writes, object, newRecord(object, values));
    return { status: 200, body: { data: present(object, record) } };
  }),
  // Assert: the record whose matching attribute holds one of the given values is updated, else one is created.
  'put /v2/objects/{object}/records': guarded((req, { store, writes }) => {
    const object = findObject(store, req.params.object!);
    const matching = String(req.query.matching_attribute);
    const a = attributeOf(object, matching);
    if (!a || a.is_archived)
      throw new AttioError(
        400,
        'value_not_found',
        `No attribute was found for matching_attribute slug/ID "${matching}" on ${object.api_slug}.`,
      );
    if (!a.is_unique)
      throw new AttioError(
        400,
        'validation_type',
        `The matching attribute "${a.api_slug}" on ${object.api_slug} must be a unique attribute.`,
      );
    const written = normaliseValues(store, object, valuesOf(req));
    const keys = (written[a.api_slug] ?? []).map(valueKey);
    if (keys.length === 0)
      throw new AttioError(
        400,
        'validation_type',
        `A value for the matching attribute "${a.api_slug}" on ${object.api_slug} is required.`,
      );
    const matches = lookup(store, object.api_slug, a.api_slug, keys);
    if (matches.length > 1)
      throw new AttioError(
        400,
        'multiple_match_results',
        `The values of the matching attribute "${a.api_slug}" on ${object.api_slug} match ${matches.length} records: ${matches.join(', ')}.`,
      );
    const existing = matches[0] === undefined ? undefined : recordsOf(store, object.api_slug).get(matches[0]);
    const values = mergeValues(object, existing?.values ?? {}, written, 'overwrite', a.api_slug);
    checkRecord(store, object, values, existing?.id.record_id, written);
    const record = saveRecord(store, writes, object, existing ? { ...existing, values } : newRecord(object, values));
    return { status: 200, body: { data: present(object, record) } };
  }),
  'post /v2/objects/{object}/records/query': guarded((req, { store }) => {
    const object = findObject(store, req.params.object!);
    const body = (req.body ?? {}) as { filter?: Record<string, unknown>; limit?: number; offset?: number };
    const limit = Math.min(body.limit ?? 500, 500);
    const offset = body.offset ?? 0;
    const all = query(store, object, body.filter);
    return { status: 200, body: { data: all.slice(offset, offset + limit).map((r) => present(object, r)) } };
  }),
  'get /v2/objects/{object}/records/{record_id}': guarded((req, { store }) => {
    const object = findObject(store, req.params.object!);
    return { status: 200, body: { data: present(object, findRecord(store, object, req.params.record_id!)) } };
  }),
  'patch /v2/objects/{object}/records/{record_id}': updateById('append'),
  'put /v2/objects/{object}/records/{record_id}': updateById('overwrite'),
  'delete /v2/objects/{object}/records/{record_id}': guarded((req, { store }) => {
    const object = findObject(store, req.params.object!);
    if (!recordsOf(store, object.api_slug).delete(req.params.record_id!))
      throw new AttioError(404, 'not_found', `Record with ID "${req.params.record_id}" not found.`);
    dropReferences(store, object.api_slug, req.params.record_id!);
    return { status: 200, body: {} };
  }),
};

function presentObject(o: AttioObjectDef) {
  return {
    id: { workspace_id: WORKSPACE_ID, object_id: o.api_slug },
    api_slug: o.api_slug,
    singular_noun: o.singular_noun,
    plural_noun: o.plural_noun,
    created_at: '2020-01-01T00:00:00.000000000Z',
  };
}

const READ_OPERATIONS = new Set(['post /v2/objects/{object}/records/query', 'post /v2/objects/records/search']);

/** Fills a store with a new workspace: the standard objects and three companies that exist before Tern arrives. */
function seedWorkspace(store: SandboxStore, seed: number): void {
  for (const o of standardObjects()) saveObject(store, o);
  // Rollback must leave these companies as they were.
  const random = seededRandom(seed);
  const companies = findObject(store, 'companies');
  for (let i = 1; i <= 3; i++) {
    const id = `00000000-0000-4000-8000-${String(Math.floor(random() * 1e12)).padStart(12, '0')}`;
    const values = normaliseValues(store, companies, {
      name: [`Existing company ${i}`],
      domains: [`existing${i}.example.com`],
    });
    recordsOf(store, 'companies').set(id, {
      id: { workspace_id: WORKSPACE_ID, object_id: 'companies', record_id: id },
      created_at: '2024-01-01T00:00:00.000000000Z',
      web_url: `https://app.attio.com/sandbox/companies/record/${id}/overview`,
      values,
    });
  }
}

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
      ? errorResponse(401, 'unauthorized', message, 'auth_error')
      : status >= 500
        ? errorResponse(status, 'internal_server_error', message, 'api_error')
        : status === 404
          ? errorResponse(404, 'not_found', message)
          : errorResponse(status, 'validation_type', message),
  handlers,
  seed: (store, seed) => seedWorkspace(store, seed),
};
