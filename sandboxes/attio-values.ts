import { asText } from '../connectors/kit/errors';
import type { SandboxStore } from './core/server';
import { KeyIndex } from './core/store';
import {
  type AttioAttribute,
  AttioError,
  type AttioObjectDef,
  type AttioOption,
  type AttioStoredRecord,
  attributeOf,
  optionOf,
  presentOption,
  recordsOf,
} from './attio-workspace';

/**
 * Attio's rules for the values written to records (https://docs.attio.com/docs/attribute-types): each value in the
 * type's write form, in the type's format, an option or status that exists and is not archived, a referenced record
 * that exists, one value for a single-value attribute, a value for each required attribute of a new record and no
 * value another record holds in a unique attribute. Every refusal names the attribute as `attribute "<slug>"` and
 * the value; checks run in a fixed order (the request's attributes in order, then required, then unique ones), so
 * the same write is always refused for the same reason.
 */

// The same patterns as Tern's pre-flight (plan/target-check.ts VALUE_FORMATS): it predicts these refusals.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const DOMAIN = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.[a-z0-9-]{1,63})*\.[a-z]{2,}$/i;
const PHONE = /^\+[1-9]\d{6,14}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export type StoredValues = Record<string, Record<string, unknown>[]>;

const shown = (v: unknown) => {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

function invalid(object: AttioObjectDef, a: AttioAttribute, why: string): AttioError {
  return new AttioError(
    400,
    'validation_type',
    `Invalid value for attribute "${a.api_slug}" on ${object.api_slug}: ${why}`,
  );
}

function isValidDate(text: string): boolean {
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** A select option or status a write names (by id or title), which must exist and not be archived. */
function liveChoice(object: AttioObjectDef, a: AttioAttribute, input: unknown): AttioOption {
  const kind = a.type === 'status' ? 'status' : 'select option';
  if (typeof input !== 'string') throw invalid(object, a, `expected the title or id of a ${kind}, got ${shown(input)}`);
  const choice = optionOf(a, input);
  if (!choice)
    throw new AttioError(
      400,
      'value_not_found',
      `Cannot find ${kind} "${input}" for attribute "${a.api_slug}" on ${object.api_slug}.`,
    );
  if (choice.is_archived)
    throw new AttioError(
      400,
      'value_not_found',
      `The ${kind} "${choice.title}" of attribute "${a.api_slug}" on ${object.api_slug} is archived.`,
    );
  return choice;
}

/** One written value as Attio stores it: a scalar or the type's object form in, the type's value object out. */
export function normaliseValue(
  store: SandboxStore,
  object: AttioObjectDef,
  a: AttioAttribute,
  input: unknown,
): Record<string, unknown> {
  const obj =
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? (input as Record<string, unknown>)
      : undefined;
  const field = (name: string) => (obj ? obj[name] : input);
  switch (a.type) {
    case 'text': {
      const v = field('value');
      if (typeof v !== 'string') throw invalid(object, a, `expected a string, got ${shown(v)}`);
      return { attribute_type: 'text', value: v };
    }
    case 'number': {
      const v = field('value');
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(object, a, `expected a number, got ${shown(v)}`);
      return { attribute_type: 'number', value: v };
    }
    case 'rating': {
      const v = field('value');
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 5)
        throw invalid(object, a, `expected a rating from 0 to 5, got ${shown(v)}`);
      return { attribute_type: 'rating', value: v };
    }
    case 'checkbox': {
      const v = field('value');
      if (typeof v !== 'boolean') throw invalid(object, a, `expected true or false, got ${shown(v)}`);
      return { attribute_type: 'checkbox', value: v };
    }
    case 'date': {
      const v = field('value');
      if (typeof v !== 'string' || !DATE.test(v) || !isValidDate(v))
        throw invalid(object, a, `"${shown(v)}" is not a date (YYYY-MM-DD)`);
      return { attribute_type: 'date', value: v };
    }
    case 'timestamp': {
      const v = field('value');
      if (typeof v !== 'string' || !TIMESTAMP.test(v) || Number.isNaN(Date.parse(v)))
        throw invalid(object, a, `"${shown(v)}" is not an ISO 8601 timestamp with a time zone`);
      return { attribute_type: 'timestamp', value: new Date(v).toISOString() };
    }
    case 'email-address': {
      const v = field('email_address');
      if (typeof v !== 'string' || !EMAIL.test(v))
        throw invalid(object, a, `"${shown(v)}" is not a valid email address`);
      const email = v.toLowerCase();
      const at = email.lastIndexOf('@');
      return {
        attribute_type: 'email-address',
        original_email_address: v,
        email_address: email,
        email_domain: email.slice(at + 1),
        email_local_specifier: email.slice(0, at),
      };
    }
    case 'domain': {
      const v = field('domain');
      if (typeof v !== 'string' || !DOMAIN.test(v)) throw invalid(object, a, `"${shown(v)}" is not a valid domain`);
      const domain = v.toLowerCase();
      return { attribute_type: 'domain', domain, root_domain: domain.split('.').slice(-2).join('.') };
    }
    case 'phone-number': {
      const v = obj ? (obj.original_phone_number ?? obj.phone_number) : input;
      if (typeof v !== 'string' || !PHONE.test(v))
        throw invalid(object, a, `"${shown(v)}" is not a phone number in E.164 form (+ and 7 to 15 digits)`);
      return { attribute_type: 'phone-number', original_phone_number: v, phone_number: v };
    }
    case 'select': {
      const choice = liveChoice(object, a, field('option'));
      return { attribute_type: 'select', option: presentOption(object, a, choice) };
    }
    case 'status': {
      const choice = liveChoice(object, a, field('status'));
      return { attribute_type: 'status', status: presentOption(object, a, choice) };
    }
    case 'currency': {
      const v = field('currency_value');
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw invalid(object, a, `expected a number (currency_value), got ${shown(v)}`);
      const code = obj?.currency_code ?? a.currency_code ?? 'USD';
      if (code !== (a.currency_code ?? 'USD'))
        throw invalid(object, a, `the currency "${shown(code)}" is not the attribute's ${a.currency_code ?? 'USD'}`);
      return { attribute_type: 'currency', currency_value: v, currency_code: code };
    }
    case 'record-reference': {
      const allowed = a.allowed_objects ?? [];
      const target = obj ? obj.target_object : allowed[0];
      const id = field('target_record_id');
      if (typeof target !== 'string' || typeof id !== 'string')
        throw invalid(object, a, `expected {target_object, target_record_id}, got ${shown(input)}`);
      if (!allowed.includes(target))
        throw invalid(object, a, `records of "${target}" cannot be referenced (allowed: ${allowed.join(', ')})`);
      if (!recordsOf(store, target).has(id))
        throw new AttioError(
          400,
          'value_not_found',
          `Invalid value for attribute "${a.api_slug}" on ${object.api_slug}: the ${target} record "${id}" does not exist.`,
        );
      return { attribute_type: 'record-reference', target_object: target, target_record_id: id };
    }
  }
}

/** The comparable key of a stored value: what uniqueness, filters and duplicates are decided on. */
export function valueKey(v: Record<string, unknown>): string {
  const choice = (v.option ?? v.status) as { title?: string } | undefined;
  return asText(
    v.value ??
      v.email_address ??
      v.domain ??
      v.phone_number ??
      v.target_record_id ??
      v.currency_value ??
      choice?.title ??
      '',
  );
}

/** The key a filter value is compared with (emails and domains case-insensitively, options by title or id). */
export function filterKey(a: AttioAttribute, v: unknown): string {
  const text = asText(v);
  if (a.type === 'email-address' || a.type === 'domain') return text.toLowerCase();
  if (a.type === 'select' || a.type === 'status') return optionOf(a, text)?.title ?? text;
  return text;
}

/** The attribute a write names, which must exist and not be archived. */
export function writableAttribute(object: AttioObjectDef, slug: string): AttioAttribute {
  const a = attributeOf(object, slug);
  if (!a)
    throw new AttioError(
      400,
      'value_not_found',
      `Cannot find attribute "${slug}" on ${object.api_slug}: no attribute has this slug or ID.`,
    );
  if (a.is_archived)
    throw new AttioError(
      400,
      'value_not_found',
      `Cannot write archived attribute "${a.api_slug}" on ${object.api_slug}: restore it first (is_archived: false).`,
    );
  return a;
}

/**
 * The values of a write, normalised and keyed by attribute slug (an id as key is resolved to its slug). `[]`
 * stays in the result: for an update it clears the attribute. Repeated values of one attribute count once.
 */
export function normaliseValues(
  store: SandboxStore,
  object: AttioObjectDef,
  input: Record<string, unknown>,
): StoredValues {
  const out: StoredValues = {};
  for (const [slug, raw] of Object.entries(input)) {
    const a = writableAttribute(object, slug);
    const list = (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== null && v !== undefined);
    const values = dedupe(list.map((v) => normaliseValue(store, object, a, v)));
    if (!a.is_multiselect && values.length > 1)
      throw invalid(
        object,
        a,
        `the attribute holds one value, got ${values.length} (${values.map((v) => `"${valueKey(v)}"`).join(', ')})`,
      );
    out[a.api_slug] = [...(out[a.api_slug] ?? []), ...values];
  }
  return out;
}

function dedupe(values: Record<string, unknown>[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = valueKey(v);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * How a write combines with a record's values. `overwrite` (create, PUT by id): each given attribute gets exactly
 * the given values. `append` (PATCH by id): multiselect attributes get the given values added in front of theirs,
 * single-value ones are replaced. An assert appends to the matching attribute only (`appendTo`).
 */
export function mergeValues(
  object: AttioObjectDef,
  existing: StoredValues,
  written: StoredValues,
  mode: 'overwrite' | 'append',
  appendTo?: string,
): StoredValues {
  const out: StoredValues = { ...existing };
  for (const [slug, values] of Object.entries(written)) {
    const a = attributeOf(object, slug)!;
    const append = a.is_multiselect && (mode === 'append' || slug === appendTo);
    const next = append ? dedupe([...values, ...(existing[slug] ?? [])]) : values;
    if (next.length === 0) delete out[slug];
    else out[slug] = next;
  }
  return out;
}

/** Records filed by the keys of one attribute's values, kept current by the store on every write. */
export function valueIndex(store: SandboxStore, object: string, slug: string): KeyIndex<AttioStoredRecord> {
  return recordsOf(store, object).index(
    `values:${slug}`,
    () => new KeyIndex<AttioStoredRecord>((r) => (r.values[slug] ?? []).map(valueKey)),
  );
}

/** Ids of the records whose attribute holds one of `keys`, in the order the records were first filed. */
export function lookup(store: SandboxStore, object: string, slug: string, keys: readonly string[]): string[] {
  const idx = valueIndex(store, object, slug);
  return [...new Set(keys.flatMap((k) => idx.all(k)))];
}

/**
 * A record's values after a write, checked as Attio does: required attributes hold a value (all of them for a
 * new record, those the write names for an update) and no unique value is held by another record.
 */
export function checkRecord(
  store: SandboxStore,
  object: AttioObjectDef,
  values: StoredValues,
  selfId: string | undefined,
  written: StoredValues,
): void {
  for (const a of object.attributes) {
    if (a.is_archived || !a.is_required) continue;
    const checked = selfId === undefined || a.api_slug in written;
    if (checked && (values[a.api_slug] ?? []).length === 0)
      throw new AttioError(
        400,
        'validation_type',
        `Required attribute "${a.api_slug}" on ${object.api_slug} has no value: a ${object.api_slug} record needs one.`,
      );
  }
  for (const a of object.attributes) {
    if (a.is_archived || !a.is_unique) continue;
    for (const v of written[a.api_slug] ?? []) {
      const key = valueKey(v);
      const taken = lookup(store, object.api_slug, a.api_slug, [key]).find((id) => id !== selfId);
      if (taken)
        throw new AttioError(
          409,
          'uniqueness_conflict',
          `The value "${key}" provided for attribute "${a.api_slug}" on ${object.api_slug} is already taken by record ${taken}.`,
        );
    }
  }
}
