import type { ColumnKind } from '../../plan/target-values';
import { textOf } from '../../plan/text';

/**
 * Front custom fields (https://dev.frontapp.com/reference/custom-fields) as plan fields: `cf_<name>` on contacts
 * and conversations. Front takes each value in its field's type (text, a boolean, a number, epoch seconds), so a
 * value is sent in that type, and compared in one canonical text whether it is the plan's value or Front's.
 */

/** A custom field as Front lists it (`GET /contacts/custom_fields`, `GET /conversations/custom_fields`). */
export interface FrontCustomField {
  name: string;
  type: 'string' | 'boolean' | 'datetime' | 'number' | 'teammate' | 'inbox' | 'enum';
}

/** A custom field's name as a plan field: `Order number` → `cf_order_number`. */
export function customFieldKey(name: string): string {
  return `cf_${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')}`;
}

/** How a custom field is checked against the plan's transforms (a datetime field wants a `datetime` transform). */
export function customFieldKind(type: FrontCustomField['type']): ColumnKind {
  return type === 'boolean' ? 'boolean' : type === 'number' ? 'decimal' : type === 'datetime' ? 'timestamp' : 'text';
}

const BOOLEAN_TEXT: Record<string, boolean> = { true: true, t: true, '1': true, false: false, f: false, '0': false };

/** Epoch seconds of a datetime value (digits are seconds already), or undefined when it is not one. */
function seconds(value: unknown): number | undefined {
  const text = textOf(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * A plan value as Front takes it for a field of this type; `{ error }` when the value is not of the type (the
 * record is refused with that reason, never sent as something else).
 */
export function customFieldWire(
  type: FrontCustomField['type'],
  value: unknown,
): { value: string | number | boolean | null } | { error: string } {
  if (value === null || value === undefined || value === '') return { value: null };
  switch (type) {
    case 'boolean': {
      if (typeof value === 'boolean') return { value };
      const b = BOOLEAN_TEXT[textOf(value).trim().toLowerCase()];
      return b === undefined ? { error: `${JSON.stringify(value)} is not a boolean` } : { value: b };
    }
    case 'number': {
      const text = textOf(value).trim();
      const n = Number(text);
      return text === '' || !Number.isFinite(n) ? { error: `${JSON.stringify(value)} is not a number` } : { value: n };
    }
    case 'datetime': {
      const s = seconds(value);
      return s === undefined ? { error: `${JSON.stringify(value)} is not a date and time` } : { value: s };
    }
    default:
      return { value: textOf(value) };
  }
}

/** What a custom field's fix says, per type. */
export const CUSTOM_FIELD_FIX: Record<FrontCustomField['type'], string> = {
  boolean: 'add a `boolean` transform to the field',
  number: 'add a `number` transform to the field',
  datetime: 'add a `datetime` transform to the field',
  string: 'map a text value',
  enum: 'map the value to one of the field’s choices',
  teammate: 'map a teammate’s email',
  inbox: 'map an inbox id',
};

/**
 * A custom field's value as canonical text, alike for the plan's value and Front's answer: the text of what is
 * sent (a datetime as epoch seconds, a number as the JSON number Front stores, a boolean as true/false). A value
 * that is not of the type is compared as its text (it is refused before it is sent).
 */
export function canonicalCustomField(type: FrontCustomField['type'], value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const wire = customFieldWire(type, value);
  if ('error' in wire) return textOf(value);
  return wire.value === null ? null : String(wire.value);
}

/** The row field that keeps every custom field value Front holds (JSON, keys sorted): for updates and restores. */
export const ALL_CUSTOM_FIELDS = '__custom_fields';

/** Front's custom field values as a row: each known field as `cf_…` text, and all of them under ALL_CUSTOM_FIELDS. */
export function customFieldRow(
  fields: ReadonlyMap<string, FrontCustomField>,
  values: Record<string, unknown> | null | undefined,
): Record<string, string | null> {
  const all = values ?? {};
  const row: Record<string, string | null> = {};
  for (const [key, field] of fields) {
    const v = all[field.name];
    const when = field.type === 'datetime' ? customFieldWire('datetime', v) : undefined;
    // A datetime reads back as a date-time, like the plan's value (the checksum compares epoch seconds either way).
    row[key] =
      v === null || v === undefined
        ? null
        : when && 'value' in when && typeof when.value === 'number'
          ? new Date(when.value * 1000).toISOString()
          : textOf(v);
  }
  const sorted = Object.fromEntries(
    Object.keys(all)
      .sort()
      .map((k) => [k, all[k]]),
  );
  row[ALL_CUSTOM_FIELDS] = JSON.stringify(sorted);
  return row;
}

/**
 * The custom fields to send for a record: the plan's `cf_…` values in Front's types over the values Front holds
 * already (an update replaces all of a record's custom fields, so the ones the plan does not map are sent as they
 * are). Undefined when the plan maps none: nothing is sent, nothing changes. A value not of its field's type
 * gives the field and the reason instead.
 */
export function customFieldsToSend(
  fields: ReadonlyMap<string, FrontCustomField>,
  payload: Record<string, unknown>,
  existing: string | null | undefined,
): { values?: Record<string, unknown> } | { error: string; field: string } {
  const mapped = [...fields].filter(([key]) => key in payload);
  if (mapped.length === 0) return {};
  const values: Record<string, unknown> = existing ? (JSON.parse(existing) as Record<string, unknown>) : {};
  for (const [key, field] of mapped) {
    const wire = customFieldWire(field.type, payload[key]);
    if ('error' in wire)
      return {
        field: key,
        error: `${key}: ${wire.error}, but Front's custom field "${field.name}" is of type ${field.type}; ${CUSTOM_FIELD_FIX[field.type]}`,
      };
    values[field.name] = wire.value;
  }
  return { values };
}
