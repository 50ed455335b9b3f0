import { createHash } from 'node:crypto';
import { canonicalJson } from '../plan/checksum';
import type { SandboxResponse, SandboxStore } from './core/server';

/**
 * The schema of the Attio sandbox's workspace: objects, their attributes, the options of select attributes and
 * the statuses of status attributes, as Attio's REST API v2 describes and returns them
 * (https://docs.attio.com/rest-api/endpoint-reference/attributes). Attributes, options and statuses are archived,
 * never deleted: an archived one keeps its slug or title, disappears from lists and cannot be written.
 */

export type AttioAttributeType =
  | 'text'
  | 'number'
  | 'checkbox'
  | 'currency'
  | 'date'
  | 'timestamp'
  | 'rating'
  | 'status'
  | 'select'
  | 'record-reference'
  | 'domain'
  | 'email-address'
  | 'phone-number';

export const ATTRIBUTE_TYPES: readonly AttioAttributeType[] = [
  'text',
  'number',
  'checkbox',
  'currency',
  'date',
  'timestamp',
  'rating',
  'status',
  'select',
  'record-reference',
  'domain',
  'email-address',
  'phone-number',
];

/** The types Attio lets hold several values, and those whose values it can keep unique. */
export const MULTISELECT_TYPES: ReadonlySet<AttioAttributeType> = new Set([
  'select',
  'record-reference',
  'domain',
  'email-address',
  'phone-number',
]);
export const UNIQUE_TYPES: ReadonlySet<AttioAttributeType> = new Set([
  'text',
  'number',
  'domain',
  'email-address',
  'phone-number',
]);

/** A select option or a status (`celebration_enabled` and `target_time_in_status` are a status's only). */
export interface AttioOption {
  id: string;
  title: string;
  is_archived: boolean;
  celebration_enabled?: boolean;
  target_time_in_status?: string | null;
}

export interface AttioAttribute {
  id: string;
  api_slug: string;
  title: string;
  description: string | null;
  type: AttioAttributeType;
  is_unique: boolean;
  is_required: boolean;
  is_multiselect: boolean;
  /** Attio's own attributes (those of a new workspace); attributes created through the API are not. */
  is_system_attribute: boolean;
  is_archived: boolean;
  created_at: string;
  /** The options of a select attribute, the statuses of a status attribute (archived ones included). */
  options?: AttioOption[];
  /** Record references: the slugs of the objects a value may point to. */
  allowed_objects?: string[];
  /** Currency attributes: the ISO 4217 code of their values. */
  currency_code?: string;
}

export interface AttioObjectDef {
  api_slug: string;
  singular_noun: string;
  plural_noun: string;
  attributes: AttioAttribute[];
}

export const WORKSPACE_ID = '00000000-0000-4000-8000-000000000a77';
const WORKSPACE_CREATED_AT = '2020-01-01T00:00:00.000000000Z';

/** A UUID derived from names: the same workspace always gets the same attribute, option and status ids. */
export function stableId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A refusal in Attio's error shape: `{status_code, type, code, message}`. */
export class AttioError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  type = 'invalid_request_error',
): SandboxResponse {
  return { status, body: { status_code: status, type, code, message } };
}

function standardAttribute(
  object: string,
  api_slug: string,
  title: string,
  type: AttioAttributeType,
  extra: Partial<AttioAttribute> = {},
): AttioAttribute {
  return {
    id: stableId(object, api_slug),
    api_slug,
    title,
    description: null,
    type,
    is_unique: false,
    is_required: false,
    is_multiselect: false,
    is_system_attribute: true,
    is_archived: false,
    created_at: WORKSPACE_CREATED_AT,
    ...extra,
  };
}

function choices(object: string, attribute: string, titles: string[], status = false): AttioOption[] {
  return titles.map((title) => ({
    id: stableId(object, attribute, title),
    title,
    is_archived: false,
    ...(status ? { celebration_enabled: title === 'Won 🎉', target_time_in_status: null } : {}),
  }));
}

/**
 * The standard objects of a new Attio workspace (the attributes a CRM migration writes). No migration key
 * attribute: a migration creates its own through the API.
 */
export function standardObjects(): AttioObjectDef[] {
  return [
    {
      api_slug: 'companies',
      singular_noun: 'Company',
      plural_noun: 'Companies',
      attributes: [
        standardAttribute('companies', 'name', 'Name', 'text'),
        standardAttribute('companies', 'domains', 'Domains', 'domain', { is_unique: true, is_multiselect: true }),
        standardAttribute('companies', 'description', 'Description', 'text'),
        standardAttribute('companies', 'categories', 'Categories', 'select', {
          is_multiselect: true,
          options: choices('companies', 'categories', ['B2B', 'B2C', 'SaaS', 'Enterprise']),
        }),
      ],
    },
    {
      api_slug: 'people',
      singular_noun: 'Person',
      plural_noun: 'People',
      attributes: [
        standardAttribute('people', 'name', 'Name', 'text'),
        standardAttribute('people', 'email_addresses', 'Email addresses', 'email-address', {
          is_unique: true,
          is_multiselect: true,
        }),
        standardAttribute('people', 'phone_numbers', 'Phone numbers', 'phone-number', { is_multiselect: true }),
        standardAttribute('people', 'job_title', 'Job title', 'text'),
        standardAttribute('people', 'description', 'Description', 'text'),
        standardAttribute('people', 'company', 'Company', 'record-reference', { allowed_objects: ['companies'] }),
      ],
    },
    {
      api_slug: 'deals',
      singular_noun: 'Deal',
      plural_noun: 'Deals',
      attributes: [
        standardAttribute('deals', 'name', 'Deal name', 'text', { is_required: true }),
        standardAttribute('deals', 'stage', 'Deal stage', 'status', {
          is_required: true,
          options: choices('deals', 'stage', ['Lead', 'In Progress', 'Won 🎉', 'Lost'], true),
        }),
        standardAttribute('deals', 'value', 'Deal value', 'currency', { currency_code: 'USD' }),
        standardAttribute('deals', 'associated_company', 'Associated company', 'record-reference', {
          allowed_objects: ['companies'],
        }),
        standardAttribute('deals', 'associated_people', 'Associated people', 'record-reference', {
          is_multiselect: true,
          allowed_objects: ['people'],
        }),
      ],
    },
  ];
}

export function objectDefs(store: SandboxStore) {
  return store.collection<AttioObjectDef & Record<string, unknown>>('attio:objects');
}

/** The object named by its slug or id (the sandbox's object ids are their slugs). */
export function findObject(store: SandboxStore, identifier: string): AttioObjectDef {
  const def = objectDefs(store).get(identifier);
  if (!def) throw new AttioError(404, 'not_found', `Object with slug/ID "${identifier}" not found.`);
  return def;
}

/** Attributes live on objects only: the sandbox's workspace has no lists. */
export function findTarget(store: SandboxStore, target: string, identifier: string): AttioObjectDef {
  if (target === 'lists') throw new AttioError(404, 'not_found', `List with slug/ID "${identifier}" not found.`);
  return findObject(store, identifier);
}

/** The attribute named by its slug or id, archived or not. */
export function attributeOf(object: AttioObjectDef, identifier: string): AttioAttribute | undefined {
  return object.attributes.find((a) => a.api_slug === identifier || a.id === identifier);
}

export function findAttribute(object: AttioObjectDef, identifier: string): AttioAttribute {
  const a = attributeOf(object, identifier);
  if (!a)
    throw new AttioError(
      404,
      'not_found',
      `Attribute with slug/ID "${identifier}" not found on object "${object.api_slug}".`,
    );
  return a;
}

/** The option (or status) named by its id or title, archived or not. */
export function optionOf(a: AttioAttribute, identifier: string): AttioOption | undefined {
  return a.options?.find((o) => o.id === identifier) ?? a.options?.find((o) => o.title === identifier);
}

/** Stores a changed object definition (a new value, so the store's version moves). */
export function saveObject(store: SandboxStore, object: AttioObjectDef): void {
  objectDefs(store).set(object.api_slug, { ...object });
}

/** Replaces one attribute of an object and returns the new object definition. */
export function withAttribute(object: AttioObjectDef, attribute: AttioAttribute): AttioObjectDef {
  const known = object.attributes.some((a) => a.id === attribute.id);
  return {
    ...object,
    attributes: known
      ? object.attributes.map((a) => (a.id === attribute.id ? attribute : a))
      : [...object.attributes, attribute],
  };
}

/** An attribute as `GET /v2/objects/{object}/attributes` returns it. */
export function presentAttribute(object: AttioObjectDef, a: AttioAttribute): Record<string, unknown> {
  return {
    id: { workspace_id: WORKSPACE_ID, object_id: object.api_slug, attribute_id: a.id },
    title: a.title,
    description: a.description,
    api_slug: a.api_slug,
    type: a.type,
    is_system_attribute: a.is_system_attribute,
    is_writable: true,
    is_required: a.is_required,
    is_unique: a.is_unique,
    is_multiselect: a.is_multiselect,
    is_default_value_enabled: false,
    is_archived: a.is_archived,
    default_value: null,
    relationship: null,
    created_at: a.created_at,
    config: {
      currency: {
        default_currency_code: a.type === 'currency' ? (a.currency_code ?? 'USD') : null,
        display_type: a.type === 'currency' ? 'symbol' : null,
      },
      record_reference: { allowed_object_ids: a.type === 'record-reference' ? (a.allowed_objects ?? []) : null },
    },
  };
}

/** A select option or a status as Attio returns it (alone, or inside a record's value). */
export function presentOption(object: AttioObjectDef, a: AttioAttribute, o: AttioOption): Record<string, unknown> {
  const id = { workspace_id: WORKSPACE_ID, object_id: object.api_slug, attribute_id: a.id };
  return a.type === 'status'
    ? {
        id: { ...id, status_id: o.id },
        title: o.title,
        is_archived: o.is_archived,
        celebration_enabled: o.celebration_enabled ?? false,
        target_time_in_status: o.target_time_in_status ?? null,
      }
    : { id: { ...id, option_id: o.id }, title: o.title, is_archived: o.is_archived };
}

export interface AttioStoredRecord {
  id: { workspace_id: string; object_id: string; record_id: string };
  created_at: string;
  web_url: string;
  /** Values by attribute slug; an attribute without values has no key. */
  values: Record<string, Record<string, unknown>[]>;
}

export function recordsOf(store: SandboxStore, object: string) {
  return store.collection<AttioStoredRecord & Record<string, unknown>>(`records:${object}`);
}

/** What of a stored value is the value itself (a select's option by id and title, not its archived flag). */
function stateOfValue(v: Record<string, unknown>): Record<string, unknown> {
  const choice = (v.option ?? v.status) as { id?: Record<string, string>; title?: string } | undefined;
  if (!choice) return v;
  return {
    attribute_type: v.attribute_type,
    choice: choice.id?.option_id ?? choice.id?.status_id,
    title: choice.title,
  };
}

export interface AttioWorkspaceState {
  objects: Record<
    string,
    {
      attributes: Record<string, unknown>[];
      records: { record_id: string; values: Record<string, string[]> }[];
    }
  >;
}

/**
 * The live state of the workspace as a client sees it: every object's non-archived attributes (with their
 * non-archived options or statuses) and every record with the values of those attributes, all sorted. What a
 * migration created and its rollback archived or deleted is not in it: compare the state before a migration
 * with the state after its rollback.
 */
export function attioWorkspaceState(store: SandboxStore): AttioWorkspaceState {
  const out: AttioWorkspaceState = { objects: {} };
  for (const object of [...objectDefs(store).values()].sort((a, b) => a.api_slug.localeCompare(b.api_slug))) {
    const live = object.attributes.filter((a) => !a.is_archived).sort((a, b) => a.api_slug.localeCompare(b.api_slug));
    const attributes = live.map((a) => ({
      api_slug: a.api_slug,
      title: a.title,
      type: a.type,
      is_unique: a.is_unique,
      is_required: a.is_required,
      is_multiselect: a.is_multiselect,
      ...(a.allowed_objects ? { allowed_objects: [...a.allowed_objects].sort() } : {}),
      ...(a.currency_code ? { currency_code: a.currency_code } : {}),
      ...(a.options
        ? {
            options: a.options
              .filter((o) => !o.is_archived)
              .map((o) => ({ ...o }))
              .sort((x, y) => x.title.localeCompare(y.title)),
          }
        : {}),
    }));
    const records = [...recordsOf(store, object.api_slug).values()]
      .map((r) => {
        const values: Record<string, string[]> = {};
        for (const a of live) {
          const list = r.values[a.api_slug] ?? [];
          if (list.length > 0) values[a.api_slug] = list.map((v) => canonicalJson(stateOfValue(v))).sort();
        }
        return { record_id: r.id.record_id, values };
      })
      .sort((a, b) => a.record_id.localeCompare(b.record_id));
    out.objects[object.api_slug] = { attributes, records };
  }
  return out;
}

/** A hash of `attioWorkspaceState`: equal fingerprints mean a client sees the same workspace. */
export function attioWorkspaceFingerprint(store: SandboxStore): string {
  return createHash('sha256')
    .update(canonicalJson(attioWorkspaceState(store)))
    .digest('hex');
}
