import type { AttioApi } from './api';
import { listOptions, optionKindOf } from './options';
import { attioList, attributeSchema, type AttioType } from './types';

/**
 * Attributes: an object's fields, one type each. Tern reads them to write and read back values in their own type,
 * and creates one itself, the object's key attribute (the source id, unique), which a rollback archives.
 */

/** An attribute as Tern uses it. */
export interface AttioAttribute {
  slug: string;
  title: string;
  type: AttioType;
  unique: boolean;
  required: boolean;
  multiple: boolean;
  writable: boolean;
  /** Record references: the objects (slugs or ids) a value may point at. */
  allowedObjects: string[];
  /** Select and status attributes: the live options by title. */
  options?: Map<string, string>;
}

/** What a field without a known attribute is taken for: one text value. */
export function textAttribute(slug: string): AttioAttribute {
  return {
    slug,
    title: slug,
    type: 'text',
    unique: false,
    required: false,
    multiple: false,
    writable: true,
    allowedObjects: [],
  };
}

const attributesUrl = (object: string) => `/v2/objects/${encodeURIComponent(object)}/attributes`;

/**
 * The object's attributes by slug (archived ones left out; none when the object does not exist), with the live
 * options of selects and statuses. `slugs` names a reference's allowed objects by slug.
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/list-attributes
 */
export async function listAttributes(
  api: AttioApi,
  object: string,
  slugs: ReadonlyMap<string, string>,
): Promise<Map<string, AttioAttribute>> {
  const res = await api.read(attioList(attributeSchema), {
    method: 'get',
    url: attributesUrl(object),
    operation: `list ${object} attributes`,
    setup: true,
    accept: [404],
  });
  const out = new Map<string, AttioAttribute>();
  for (const a of res?.data ?? []) {
    if (a.is_archived) continue;
    const attribute: AttioAttribute = {
      slug: a.api_slug,
      title: a.title,
      type: a.type,
      unique: a.is_unique,
      required: a.is_required,
      multiple: a.is_multiselect,
      writable: a.is_writable ?? true,
      allowedObjects: (a.config?.record_reference?.allowed_object_ids ?? []).map((id) => slugs.get(id) ?? id),
    };
    if (a.type === 'select' || a.type === 'status')
      attribute.options = await listOptions(api, object, a.api_slug, optionKindOf(a.type));
    out.set(a.api_slug, attribute);
  }
  return out;
}

/**
 * Creates the key attribute Tern upserts on: unique text, named after its slug. Its status: 409 when the slug is
 * taken (by an archived attribute: a live one would have been read).
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/create-an-attribute
 */
export function createKeyAttribute(api: AttioApi, object: string, slug: string): Promise<number> {
  return api.send({
    method: 'post',
    url: attributesUrl(object),
    data: {
      data: {
        title: keyTitle(slug),
        description: 'The record’s id in the legacy system, written by the Tern migration (its matching key).',
        api_slug: slug,
        type: 'text',
        is_multiselect: false,
        is_required: false,
        is_unique: true,
        default_value: null,
        config: {},
      },
    },
    operation: `create ${object}.${slug} attribute`,
    setup: true,
    accept: [409],
  });
}

/**
 * Archives an attribute (absent is fine), or brings an archived one back.
 * https://docs.attio.com/rest-api/endpoint-reference/attributes/update-an-attribute
 */
export async function setAttributeArchived(
  api: AttioApi,
  object: string,
  slug: string,
  archived: boolean,
): Promise<void> {
  const url = `${attributesUrl(object)}/${encodeURIComponent(slug)}`;
  await api.send(
    archived
      ? {
          method: 'patch',
          url,
          data: { data: { is_archived: true } },
          operation: `archive ${object}.${slug} attribute`,
          setup: true,
          idempotent: true,
          accept: [404],
        }
      : {
          method: 'patch',
          url,
          data: { data: { is_archived: false } },
          operation: `unarchive ${object}.${slug} attribute`,
          setup: true,
          idempotent: true,
        },
  );
}

/** `legacy_id` → `Legacy ID`. */
function keyTitle(slug: string): string {
  return slug
    .replace(/_/g, ' ')
    .replace(/\bid\b/i, 'ID')
    .replace(/^./, (c) => c.toUpperCase());
}
