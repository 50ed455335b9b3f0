import { canonicalDecimal, canonicalValue } from '../../plan/target-values';
import { textOf } from '../../plan/text';
import type { AttioAttribute } from './attributes';
import type { AttioValue } from './types';

/**
 * Plan payload ↔ Attio values, in the attribute's own type (https://docs.attio.com/docs/attribute-types): what is
 * written, and the canonical text a stored value reads back as, which is what a payload canonicalises to, so the
 * checksums compare what Attio stores. Pure: no requests.
 */

/** The items of a payload value: a list as is, a scalar as one item, blank as none. */
export function itemsOf(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === ''));
}

/** One payload item as Attio's write form for the attribute's type. */
export function writeValue(a: AttioAttribute, item: unknown): unknown {
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
export function readValue(a: AttioAttribute, v: AttioValue): string | null {
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
export function canonicalItem(a: AttioAttribute, item: unknown): string {
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
export function canonicalOf(a: AttioAttribute, items: (string | null)[]): string | null {
  const present = items.filter((i): i is string => i !== null && i !== '');
  if (present.length === 0) return null;
  if (!a.multiple) return present[0]!;
  return JSON.stringify([...new Set(present)].sort());
}

/** A canonical row value back into items (restoring a before-image). */
export function itemsOfCanonical(a: AttioAttribute, text: string | null): string[] {
  if (text === null) return [];
  if (a.multiple && text.startsWith('[')) return JSON.parse(text) as string[];
  return [text];
}
