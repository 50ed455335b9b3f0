import type postgres from 'postgres';
import { ConfigError } from '../../common/errors';
import { textOf } from '../../plan/text';
import { canonicalDecimal, canonicalValue } from '../../plan/target-values';
import { RecordRejectedError, UnknownOutcomeError } from '../kit/errors';
import type { VendorClient } from '../kit/http';
import { eachLimited } from '../kit/lanes';
import type { GoldColumn, GoldSchema } from '../../plan/gold';
import { TargetExtras } from '../extras';
import type { RecordRef, TargetAdapter, TargetRecords, TargetRow, WriteItem, WriteOutcome } from '../target';

/**
 * Attio (REST API v2) as a Tern target: each plan object writes one Attio object (companies, people, deals, or
 * a custom object), one field per attribute, upserted on the object's key attribute (a unique text attribute
 * holding the source id, created by Tern when the workspace lacks it). Values are written in the attribute's
 * own type (select options and statuses by title, record references by record id, currencies as numbers), and
 * read back in the same canonical text for the checksum. Missing select options and statuses are created
 * when the plan allows it; every attribute, option and status Tern created is archived by a rollback.
 */

export interface AttioTargetConfig {
  /** Create the select options and statuses the plan writes that the workspace lacks (else the record is refused). */
  createOptions: boolean;
}

/** An Attio object and the attribute that identifies a record of it for Tern (the upsert's matching attribute). */
export interface AttioObjectBinding {
  object: string;
  key: string;
}

export type AttioType =
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
  | 'actor-reference'
  | 'location'
  | 'domain'
  | 'email-address'
  | 'phone-number'
  | 'interaction'
  | 'personal-name';

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

interface AttioAttributeBody {
  id: { attribute_id: string };
  title: string;
  api_slug: string;
  type: AttioType;
  is_unique: boolean;
  is_required: boolean;
  is_multiselect: boolean;
  is_writable?: boolean;
  is_archived?: boolean;
  config?: { record_reference?: { allowed_object_ids?: string[] } };
}

interface AttioOptionBody {
  id: { option_id?: string; status_id?: string };
  title: string;
  is_archived: boolean;
}

type AttioValue = Record<string, unknown>;

interface AttioRecordBody {
  id: { record_id: string };
  values: Record<string, AttioValue[]>;
}

/** The attribute types whose values Tern reads back and compares; the others are written but not verified. */
const FORMATS: Partial<Record<AttioType, GoldColumn['format']>> = {
  'email-address': 'email',
  domain: 'domain',
  'phone-number': 'phone',
};

const KINDS: Partial<Record<AttioType, string>> = {
  number: 'numeric',
  currency: 'numeric',
  rating: 'integer',
  checkbox: 'boolean',
  date: 'date',
  timestamp: 'timestamp with time zone',
};

/** The writes an object's records get in one request each; Attio has no batch write. */
export class AttioTarget implements TargetAdapter {
  readonly kind = 'attio';
  private readonly attributeCache = new Map<string, Promise<Map<string, AttioAttribute>>>();
  readonly extras: TargetExtras;

  constructor(
    readonly client: VendorClient,
    private readonly config: AttioTargetConfig,
    sql: postgres.Sql,
    migrationId: string,
    /** Plan object name → Attio object and key attribute. */
    private readonly bindings: Record<string, AttioObjectBinding>,
  ) {
    this.extras = new TargetExtras(sql, migrationId);
  }

  async records(objectName: string): Promise<TargetRecords> {
    const binding = this.bindings[objectName];
    if (!binding) throw new ConfigError(`object "${objectName}" has no Attio object`, 'set target.resource');
    return new AttioRecords(this, binding).load();
  }

  /** The object's attributes (archived ones left out), with the live options of selects and statuses. */
  attributes(object: string): Promise<Map<string, AttioAttribute>> {
    let cached = this.attributeCache.get(object);
    if (!cached) {
      cached = this.readAttributes(object);
      cached.catch(() => this.attributeCache.delete(object));
      this.attributeCache.set(object, cached);
    }
    return cached;
  }

  private objectSlugs?: Promise<Map<string, string>>;

  /** Object ids and slugs → slugs (Attio names a reference's allowed objects by id). */
  private slugs(): Promise<Map<string, string>> {
    this.objectSlugs ??= this.client
      .request<{ data: { id: { object_id: string }; api_slug: string }[] }>({
        method: 'get',
        url: '/v2/objects',
        operation: 'list objects',
      })
      .then((res) => {
        const out = new Map<string, string>();
        for (const o of res.data.data) {
          out.set(o.id.object_id, o.api_slug);
          out.set(o.api_slug, o.api_slug);
        }
        return out;
      });
    this.objectSlugs.catch(() => (this.objectSlugs = undefined));
    return this.objectSlugs;
  }

  private async readAttributes(object: string): Promise<Map<string, AttioAttribute>> {
    const slugs = await this.slugs();
    const res = await this.client.request<{ data: AttioAttributeBody[] }>({
      method: 'get',
      url: `/v2/objects/${encodeURIComponent(object)}/attributes`,
      operation: `list ${object} attributes`,
      accept: [404],
    });
    if (res.status === 404) return new Map();
    const out = new Map<string, AttioAttribute>();
    for (const a of res.data.data) {
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
      if (a.type === 'select' || a.type === 'status') attribute.options = await this.readOptions(object, a);
      out.set(a.api_slug, attribute);
    }
    return out;
  }

  private async readOptions(object: string, a: AttioAttributeBody): Promise<Map<string, string>> {
    const kind = a.type === 'status' ? 'statuses' : 'options';
    const res = await this.client.request<{ data: AttioOptionBody[] }>({
      method: 'get',
      url: `/v2/objects/${encodeURIComponent(object)}/attributes/${encodeURIComponent(a.api_slug)}/${kind}`,
      operation: `list ${object}.${a.api_slug} ${kind}`,
    });
    return new Map(
      res.data.data.filter((o) => !o.is_archived).map((o) => [o.title, o.id.status_id ?? o.id.option_id ?? o.title]),
    );
  }

  private readonly keyAttributes = new Map<string, Promise<void>>();

  /**
   * The key attribute is Tern's bookkeeping (the source id, unique): created on the first write when missing.
   * Only writes ask for it, so reading back after a rollback never brings it back.
   */
  ensureKeyAttribute(binding: AttioObjectBinding): Promise<void> {
    let ensured = this.keyAttributes.get(binding.object);
    if (!ensured) {
      ensured = this.createKeyAttribute(binding);
      ensured.catch(() => this.keyAttributes.delete(binding.object));
      this.keyAttributes.set(binding.object, ensured);
    }
    return ensured;
  }

  private async createKeyAttribute(binding: AttioObjectBinding): Promise<void> {
    const attributes = await this.attributes(binding.object);
    const key = attributes.get(binding.key);
    if (key) {
      if (!key.unique)
        throw new ConfigError(
          `Attio ${binding.object}.${binding.key} is not a unique attribute: Tern cannot upsert on it`,
          `make ${binding.key} unique in Attio, or set target.key to a unique attribute`,
        );
      return;
    }
    const res = await this.client.request<{ data: AttioAttributeBody }>({
      method: 'post',
      url: `/v2/objects/${encodeURIComponent(binding.object)}/attributes`,
      data: {
        data: {
          title: keyTitle(binding.key),
          description: 'The record’s id in the legacy system, written by the Tern migration (its matching key).',
          api_slug: binding.key,
          type: 'text',
          is_multiselect: false,
          is_required: false,
          is_unique: true,
          default_value: null,
          config: {},
        },
      },
      operation: `create ${binding.object}.${binding.key} attribute`,
      accept: [409],
    });
    const extraKey = `${binding.object}.${binding.key}`;
    if (res.status === 409) {
      // The slug is taken by an archived attribute: Tern's own from an earlier run it rolled back comes back.
      const ours = (await this.extras.created('attribute', { ever: true })).some((e) => e.key === extraKey);
      if (!ours)
        throw new ConfigError(
          `Attio ${binding.object} has an archived attribute "${binding.key}" that Tern did not create`,
          `unarchive it in Attio (it must be a unique text attribute), or set target.key to another name`,
        );
      await this.client.request({
        method: 'patch',
        url: `/v2/objects/${encodeURIComponent(binding.object)}/attributes/${encodeURIComponent(binding.key)}`,
        data: { data: { is_archived: false } },
        operation: `unarchive ${extraKey} attribute`,
        idempotent: true,
      });
    }
    await this.extras.put('attribute', extraKey, binding.key);
    this.attributeCache.delete(binding.object);
  }

  /** Creates a select option or status Tern needs (the plan allows it), once. */
  async ensureOption(object: string, attribute: AttioAttribute, title: string): Promise<void> {
    if (attribute.options?.has(title)) return;
    const kind = attribute.type === 'status' ? 'statuses' : 'options';
    const res = await this.client.request<{ data: AttioOptionBody }>({
      method: 'post',
      url: `/v2/objects/${encodeURIComponent(object)}/attributes/${encodeURIComponent(attribute.slug)}/${kind}`,
      data: { data: { title } },
      operation: `create ${object}.${attribute.slug} ${kind === 'statuses' ? 'status' : 'option'}`,
      accept: [400, 409],
    });
    if (res.status === 200 || res.status === 201) {
      const id = res.data.data.id.status_id ?? res.data.data.id.option_id ?? title;
      await this.extras.put(kind === 'statuses' ? 'status' : 'option', `${object}.${attribute.slug}:${title}`, id);
      attribute.options?.set(title, id);
      return;
    }
    const extraKey = `${object}.${attribute.slug}:${title}`;
    const extraKind = kind === 'statuses' ? 'status' : 'option';
    if ((await this.extras.created(extraKind, { ever: true })).some((e) => e.key === extraKey)) {
      // Tern's own option from a run it rolled back (archived, its title still taken): it comes back.
      await this.client.request({
        method: 'patch',
        url: `/v2/objects/${encodeURIComponent(object)}/attributes/${encodeURIComponent(attribute.slug)}/${kind}/${encodeURIComponent(title)}`,
        data: { data: { is_archived: false } },
        operation: `unarchive ${extraKey} ${extraKind}`,
        idempotent: true,
      });
      await this.extras.put(extraKind, extraKey, title);
    }
    // Created meanwhile by another page, or brought back: read the options again.
    this.attributeCache.delete(object);
    const fresh = (await this.attributes(object)).get(attribute.slug);
    if (!fresh?.options?.has(title))
      throw new RecordRejectedError(
        `Attio ${object}.${attribute.slug}: could not create the ${kind === 'statuses' ? 'status' : 'option'} "${title}"`,
        'attio',
        res.status,
        'value_not_found',
        attribute.slug,
      );
    attribute.options?.set(title, fresh.options.get(title)!);
  }

  get createOptions(): boolean {
    return this.config.createOptions;
  }

  /** Plan object names by Attio object slug, for references. */
  planObjectOf(slug: string): string | undefined {
    return Object.entries(this.bindings).find(([, b]) => b.object === slug)?.[0];
  }

  async discoverGold(resources: readonly string[]): Promise<GoldSchema> {
    const gold: GoldSchema = { schema: 'attio', tables: {} };
    for (const resource of [...resources].sort()) {
      const attributes = await this.attributes(resource);
      const binding = Object.values(this.bindings).find((b) => b.object === resource);
      const columns = [...attributes.values()].filter((a) => a.writable).map((a) => this.goldColumn(a));
      // The key attribute Tern creates on its first write: part of what the plan writes.
      if (binding && !attributes.has(binding.key))
        columns.push(goldColumnOf(binding.key, 'text', { nullable: true, multiple: false }));
      gold.tables[resource] = {
        exists: attributes.size > 0,
        columns,
        uniqueColumns: [
          ...[...attributes.values()].filter((a) => a.unique).map((a) => a.slug),
          ...(binding && !attributes.has(binding.key) ? [binding.key] : []),
        ],
      };
    }
    return gold;
  }

  private goldColumn(a: AttioAttribute): GoldColumn {
    const referenced =
      a.type === 'record-reference' ? a.allowedObjects.map((o) => this.planObjectOf(o)).find(Boolean) : undefined;
    return goldColumnOf(a.slug, KINDS[a.type] ?? 'text', {
      nullable: !a.required,
      format: FORMATS[a.type],
      options: a.options ? [...a.options.keys()] : undefined,
      createsOptions: a.options ? this.config.createOptions : undefined,
      multiple: a.multiple,
      references: referenced,
    });
  }

  /** Archives what Tern created beyond records: options, statuses, then its key attributes. */
  async rollbackExtras(): Promise<{ removed: number }> {
    let removed = 0;
    for (const kind of ['option', 'status', 'attribute'] as const) {
      for (const extra of await this.extras.created(kind)) {
        const [path, title] = splitExtraKey(extra.key);
        const [object, attribute] = path.split('.') as [string, string];
        const url =
          kind === 'attribute'
            ? `/v2/objects/${encodeURIComponent(object)}/attributes/${encodeURIComponent(attribute)}`
            : `/v2/objects/${encodeURIComponent(object)}/attributes/${encodeURIComponent(attribute)}/${kind === 'status' ? 'statuses' : 'options'}/${encodeURIComponent(title ?? '')}`;
        await this.client.request({
          method: 'patch',
          url,
          data: { data: { is_archived: true } },
          operation: `archive ${extra.key} ${kind}`,
          idempotent: true,
          accept: [404],
        });
        await this.extras.removed(kind, extra.key);
        this.attributeCache.delete(object);
        removed += 1;
      }
    }
    return { removed };
  }

  async verifyExtras(): Promise<{ remaining: string[] }> {
    const remaining: string[] = [];
    this.attributeCache.clear();
    for (const kind of ['option', 'status', 'attribute'] as const) {
      for (const extra of await this.extras.created(kind, { ever: true })) {
        const [path, title] = splitExtraKey(extra.key);
        const [object, attribute] = path.split('.') as [string, string];
        const live = (await this.attributes(object)).get(attribute);
        if (kind === 'attribute' ? live !== undefined : live?.options?.has(title ?? ''))
          remaining.push(`${kind} ${extra.key}`);
      }
    }
    return { remaining };
  }
}

function splitExtraKey(key: string): [string, string | undefined] {
  const i = key.indexOf(':');
  return i < 0 ? [key, undefined] : [key.slice(0, i), key.slice(i + 1)];
}

function keyTitle(slug: string): string {
  return slug
    .replace(/_/g, ' ')
    .replace(/\bid\b/i, 'ID')
    .replace(/^./, (c) => c.toUpperCase());
}

function goldColumnOf(name: string, dataType: string, extra: Partial<GoldColumn> & { nullable: boolean }): GoldColumn {
  const column: GoldColumn = {
    name,
    dataType,
    udtName: dataType,
    hasDefault: false,
    maxLength: null,
    precision: null,
    scale: null,
    ...extra,
  };
  for (const k of Object.keys(column) as (keyof GoldColumn)[]) if (column[k] === undefined) delete column[k];
  return column;
}

// ---------------------------------------------------------------------------------------------------------
// Values: plan payload ↔ Attio

/** The items of a payload value: a list as is, a scalar as one item, blank as none. */
function itemsOf(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === ''));
}

/** One payload item as Attio's write form for the attribute's type. */
function writeValue(a: AttioAttribute, item: unknown): unknown {
  const text = textOf(item);
  switch (a.type) {
    case 'number':
    case 'rating':
      return Number(text);
    case 'currency':
      return { currency_value: Number(text) };
    case 'checkbox':
      return canonicalValue('boolean', item) === 'true';
    case 'date':
      return text.slice(0, 10);
    case 'email-address':
      return { email_address: text };
    case 'domain':
      return { domain: text };
    case 'phone-number':
      return { original_phone_number: text };
    case 'select':
      return { option: text };
    case 'status':
      return { status: text };
    case 'record-reference':
      return { target_object: a.allowedObjects[0], target_record_id: text };
    default:
      return text;
  }
}

/** One stored Attio value as canonical text (the form a payload item canonicalises to). */
function readValue(a: AttioAttribute, v: AttioValue): string | null {
  switch (a.type) {
    case 'number':
    case 'rating':
      return v.value === null || v.value === undefined ? null : canonicalDecimal(textOf(v.value));
    case 'currency':
      return v.currency_value === null || v.currency_value === undefined
        ? null
        : canonicalDecimal(textOf(v.currency_value));
    case 'checkbox':
      return v.value === true ? 'true' : 'false';
    case 'email-address':
      return textOf(v.email_address ?? '').toLowerCase() || null;
    case 'domain':
      return textOf(v.domain ?? '').toLowerCase() || null;
    case 'phone-number':
      return textOf(v.original_phone_number ?? v.phone_number ?? '') || null;
    case 'select':
      return textOf((v.option as { title?: string } | undefined)?.title ?? '') || null;
    case 'status':
      return textOf((v.status as { title?: string } | undefined)?.title ?? '') || null;
    case 'record-reference':
      return textOf(v.target_record_id ?? '') || null;
    default:
      return v.value === null || v.value === undefined ? null : textOf(v.value);
  }
}

/** A payload item's canonical text for the attribute (what `readValue` gives back for it). */
function canonicalItem(a: AttioAttribute, item: unknown): string {
  const text = textOf(item);
  switch (a.type) {
    case 'number':
    case 'rating':
    case 'currency':
      return canonicalDecimal(text);
    case 'checkbox':
      return canonicalValue('boolean', item) ?? 'false';
    case 'date':
      return text.slice(0, 10);
    case 'email-address':
    case 'domain':
      return text.toLowerCase();
    default:
      return text;
  }
}

/** Canonical text of a whole attribute: one value as it is; several as a sorted JSON list; none as null. */
function canonicalOf(a: AttioAttribute, items: (string | null)[]): string | null {
  const present = items.filter((i): i is string => i !== null && i !== '');
  if (present.length === 0) return null;
  if (!a.multiple) return present[0]!;
  return JSON.stringify([...new Set(present)].sort());
}

/** A canonical row value back into items (restoring a before-image). */
function itemsOfCanonical(a: AttioAttribute, text: string | null): string[] {
  if (text === null) return [];
  if (a.multiple && text.startsWith('[')) return JSON.parse(text) as string[];
  return [text];
}

// ---------------------------------------------------------------------------------------------------------
// Records

const LOOKUP_CHUNK = 100;

/** One Attio object as a plan object's records. */
class AttioRecords implements TargetRecords {
  readonly keyIsSourceId = true;

  constructor(
    private readonly attio: AttioTarget,
    private readonly binding: AttioObjectBinding,
  ) {}

  private get client() {
    return this.attio.client;
  }

  private get object() {
    return this.binding.object;
  }

  private attributes() {
    return this.attio.attributes(this.object);
  }

  private async attribute(field: string): Promise<AttioAttribute> {
    const a = (await this.attributes()).get(field);
    if (!a)
      throw new ConfigError(
        `Attio ${this.object} has no attribute "${field}" (the plan maps a field to it)`,
        `map to one of: ${[...(await this.attributes()).keys()].join(', ')}, or create the attribute in Attio`,
      );
    return a;
  }

  /** Creates the options and statuses the payloads name when the plan allows it. */
  async prepare(payloads: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    if (!this.attio.createOptions) return payloads;
    const attributes = await this.attributes();
    const wanted = new Map<string, Set<string>>();
    for (const p of payloads)
      for (const [field, value] of Object.entries(p)) {
        const a = attributes.get(field);
        if (!a?.options) continue;
        for (const item of itemsOf(value))
          if (!a.options.has(textOf(item))) {
            const set = wanted.get(field) ?? new Set<string>();
            set.add(textOf(item));
            wanted.set(field, set);
          }
      }
    for (const [field, titles] of wanted)
      for (const title of [...titles].sort()) await this.attio.ensureOption(this.object, attributes.get(field)!, title);
    return payloads;
  }

  canonical(payload: Record<string, unknown>): TargetRow {
    return this.canonicalFields(payload, Object.keys(payload), (a, v) =>
      canonicalOf(
        a,
        itemsOf(v).map((i) => canonicalItem(a, i)),
      ),
    );
  }

  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow {
    return this.canonicalFields(row, fields, (a, v) => (v === null || v === undefined ? null : textOf(v)));
  }

  /** Attributes are known once `records()` read them; a field without one canonicalises as text. */
  private known?: Map<string, AttioAttribute>;

  private canonicalFields(
    source: Record<string, unknown>,
    fields: readonly string[],
    of: (a: AttioAttribute, v: unknown) => string | null,
  ): TargetRow {
    const out: TargetRow = {};
    for (const field of [...fields].sort()) {
      if (field.startsWith('__')) continue;
      const a = this.known?.get(field) ?? textAttribute(field);
      out[field] = of(a, source[field]);
    }
    return out;
  }

  /** Called by `records()`' caller before any canonical form is taken. */
  async load(): Promise<this> {
    this.known = await this.attributes();
    return this;
  }

  private rowOf(attributes: Map<string, AttioAttribute>, record: AttioRecordBody): TargetRow {
    const row: TargetRow = { __tern_id: record.id.record_id };
    for (const a of attributes.values()) {
      if (!a.writable) continue;
      row[a.slug] = canonicalOf(
        a,
        (record.values[a.slug] ?? []).map((v) => readValue(a, v)),
      );
    }
    return row;
  }

  async lookup(records: readonly RecordRef[]): Promise<Map<string, TargetRow>> {
    const attributes = await this.attributes();
    const out = new Map<string, TargetRow>();
    // No key attribute yet: no record carries a source id, none was written by Tern.
    if (!attributes.has(this.binding.key)) return out;
    const bySourceId = new Map(records.map((r) => [r.key, r.sourceId]));
    const chunks: string[][] = [];
    const keys = [...bySourceId.keys()];
    for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) chunks.push(keys.slice(i, i + LOOKUP_CHUNK));
    await eachLimited(chunks, this.client.concurrency, async (chunk) => {
      const res = await this.client.request<{ data: AttioRecordBody[] }>({
        method: 'post',
        url: `/v2/objects/${encodeURIComponent(this.object)}/records/query`,
        data: { filter: { [this.binding.key]: { $in: chunk } }, limit: 500, offset: 0 },
        operation: `find ${this.object}`,
        idempotent: true,
      });
      for (const record of res.data.data) {
        const key = readValue(
          attributes.get(this.binding.key) ?? textAttribute(this.binding.key),
          record.values[this.binding.key]?.[0] ?? {},
        );
        const sourceId = key === null ? undefined : bySourceId.get(key);
        if (sourceId !== undefined) out.set(sourceId, this.rowOf(attributes, record));
      }
    });
    return out;
  }

  private async valuesOf(payload: Record<string, unknown>): Promise<Record<string, unknown[]>> {
    const values: Record<string, unknown[]> = {};
    for (const [field, value] of Object.entries(payload)) {
      const a = await this.attribute(field);
      values[field] = itemsOf(value).map((item) => writeValue(a, item));
    }
    return values;
  }

  async write(items: readonly WriteItem[]): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { ids: new Map(), rejected: new Map() };
    if (!this.known?.has(this.binding.key)) {
      await this.attio.ensureKeyAttribute(this.binding);
      await this.load();
    }
    const taken = await this.uniqueConflicts(items);
    for (const [sourceId, refusal] of taken) outcome.rejected.set(sourceId, refusal);
    await eachLimited(
      items.filter((i) => !taken.has(i.sourceId)),
      this.client.concurrency,
      async (item) => {
        try {
          const values = await this.valuesOf(item.payload);
          // Attio's assert: the record whose key attribute holds this source id is updated, or created. Written
          // twice (an answer lost), it lands on the same record.
          const res = await this.client.request<{ data: AttioRecordBody }>({
            method: 'put',
            url: `/v2/objects/${encodeURIComponent(this.object)}/records`,
            params: { matching_attribute: this.binding.key },
            data: { data: { values } },
            operation: `assert ${this.object}`,
            idempotent: true,
          });
          outcome.ids.set(item.sourceId, res.data.data.id.record_id);
        } catch (err) {
          if (!(err instanceof RecordRejectedError)) throw err;
          outcome.rejected.set(item.sourceId, { message: err.message, code: err.code, field: err.field ?? null });
        }
      },
    );
    return outcome;
  }

  /**
   * Records whose value of a unique attribute (other than the key) another record holds — in Attio already, or
   * earlier in this page — would get a 409: found with one query per attribute, they are not sent, with the
   * reason pre-flight gave them (`target_unique_conflict`).
   */
  async uniqueConflicts(
    items: readonly WriteItem[],
  ): Promise<Map<string, { message: string; code: string; field: string; notSent: true }>> {
    const out = new Map<string, { message: string; code: string; field: string; notSent: true }>();
    const attributes = await this.attributes();
    const keyAttribute = attributes.get(this.binding.key) ?? textAttribute(this.binding.key);
    for (const a of attributes.values()) {
      if (!a.unique || a.slug === this.binding.key) continue;
      const wanted = new Map<string, string[]>();
      for (const item of items)
        for (const v of itemsOf(item.payload[a.slug])) {
          const k = canonicalItem(a, v);
          wanted.set(k, [...(wanted.get(k) ?? []), item.sourceId]);
        }
      if (wanted.size === 0) continue;
      const holders = new Map<string, string>();
      const values = [...wanted.keys()];
      for (let i = 0; i < values.length; i += LOOKUP_CHUNK) {
        const res = await this.client.request<{ data: AttioRecordBody[] }>({
          method: 'post',
          url: `/v2/objects/${encodeURIComponent(this.object)}/records/query`,
          data: { filter: { [a.slug]: { $in: values.slice(i, i + LOOKUP_CHUNK) } }, limit: 500, offset: 0 },
          operation: `find ${this.object} by ${a.slug}`,
          idempotent: true,
        });
        for (const record of res.data.data) {
          const holder = readValue(keyAttribute, record.values[this.binding.key]?.[0] ?? {}) ?? record.id.record_id;
          for (const v of record.values[a.slug] ?? []) {
            const k = readValue(a, v);
            if (k !== null) holders.set(k, holder);
          }
        }
      }
      for (const [value, sourceIds] of wanted)
        for (const sourceId of sourceIds) {
          if (out.has(sourceId)) continue;
          const holder = holders.get(value);
          if (holder === undefined) holders.set(value, sourceId);
          else if (holder !== sourceId)
            out.set(sourceId, {
              message: `${a.slug} "${value}" is already held by record ${holder}; ${a.slug} is unique in Attio`,
              code: 'target_unique_conflict',
              field: a.slug,
              notSent: true,
            });
        }
    }
    return out;
  }

  async remove(records: readonly RecordRef[]): Promise<number> {
    let removed = 0;
    await eachLimited([...records], this.client.concurrency, async (r) => {
      let id = r.targetId ?? null;
      if (!id) id = (await this.lookup([r])).get(r.sourceId)?.__tern_id ?? null;
      if (!id) return;
      const res = await this.client.request({
        method: 'delete',
        url: `/v2/objects/${encodeURIComponent(this.object)}/records/${encodeURIComponent(id)}`,
        operation: `delete ${this.object}`,
        idempotent: true,
        accept: [404],
      });
      if (res.status !== 404) removed += 1;
    });
    return removed;
  }

  async restore(images: readonly { ref: RecordRef; image: TargetRow }[]): Promise<void> {
    const attributes = await this.attributes();
    for (const { ref, image } of images) {
      const id = ref.targetId ?? (await this.lookup([ref])).get(ref.sourceId)?.__tern_id;
      if (!id)
        throw new UnknownOutcomeError(
          `Attio ${this.object} ${ref.sourceId}: the record to restore is gone`,
          'attio',
          undefined,
        );
      // Overwrite: every attribute the before-image names, emptied where it was empty.
      const values: Record<string, unknown[]> = {};
      for (const [field, text] of Object.entries(image)) {
        const a = attributes.get(field);
        if (!a || field.startsWith('__')) continue;
        values[field] = itemsOfCanonical(a, text).map((item) => writeValue(a, item));
      }
      await this.client.request({
        method: 'put',
        url: `/v2/objects/${encodeURIComponent(this.object)}/records/${encodeURIComponent(id)}`,
        data: { data: { values } },
        operation: `restore ${this.object}`,
        idempotent: true,
      });
    }
  }
}

function textAttribute(slug: string): AttioAttribute {
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
