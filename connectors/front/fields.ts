import { canonicalValue, type ColumnKind } from '../../plan/target-values';
import { textOf } from '../../plan/text';
import type { GoldColumn } from '../../plan/gold';
import { canonicalCustomField, type FrontCustomField } from './custom-fields';

/**
 * What Tern writes to Front and checksums, per resource: the plan's fields, what `prepare` turns them into (a
 * teammate id for an email, one tag list for `tag_*` fields), the fields the target adds itself, and how each one
 * is compared once read back. Pure: the same function names the fields on both sides of the proof.
 */

export const FRONT_RESOURCES = ['contacts', 'messages', 'conversations', 'comments', 'templates'] as const;
export type FrontResource = (typeof FRONT_RESOURCES)[number];

/**
 * Resources whose load waits for another's read-back, not only its load: Front opens a thread's conversation from
 * its first imported message and says which one only when asked, and the messages' read-back (a listing per
 * conversation) learns every thread's conversation at no extra request, where the conversations' load would ask
 * Front once per thread (`GET /messages/alt:uid:…`).
 */
export const FRONT_PROVEN_FIRST: Partial<Record<FrontResource, readonly FrontResource[]>> = {
  conversations: ['messages'],
};

/**
 * Resources whose records sharing a field's value reach Front one after another, in source order: a thread's
 * messages (the first opens its conversation), a conversation's notes (Front stamps a note with the time it is
 * posted and shows them in that order). A page writes each value's records in one lane; a load splits them into
 * groups of that value, never into source-id ranges (`activities/order-groups.ts`).
 */
export const FRONT_ORDERED_BY: Partial<Record<FrontResource, string>> = {
  messages: 'thread_ref',
  comments: 'conversation_id',
};

export interface FrontField {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
}

/** The fields a plan maps per resource, with their kinds (how they are compared after reading back). */
export const FIELDS: Record<FrontResource, FrontField[]> = {
  contacts: [
    { name: 'email', kind: 'text', nullable: false },
    { name: 'name', kind: 'text', nullable: true },
    { name: 'description', kind: 'text', nullable: true },
  ],
  messages: [
    { name: 'external_id', kind: 'text', nullable: false },
    { name: 'thread_ref', kind: 'text', nullable: false },
    { name: 'subject', kind: 'text', nullable: true },
    { name: 'body', kind: 'text', nullable: false },
    { name: 'sender_handle', kind: 'text', nullable: false },
    { name: 'sender_name', kind: 'text', nullable: true },
    { name: 'to', kind: 'text', nullable: false },
    { name: 'author', kind: 'text', nullable: true },
    { name: 'author_name', kind: 'text', nullable: true },
    { name: 'is_inbound', kind: 'boolean', nullable: false },
    { name: 'created_at', kind: 'timestamp', nullable: false },
    /** The source's attachments: [{ url | content_url, file_name, content_type, size }], streamed to Front. */
    { name: 'attachments', kind: 'json', nullable: true },
  ],
  conversations: [
    { name: 'thread_ref', kind: 'text', nullable: false },
    { name: 'status', kind: 'text', nullable: false },
    { name: 'assignee', kind: 'text', nullable: true },
    { name: 'tags', kind: 'array', nullable: true },
  ],
  comments: [
    { name: 'note_ref', kind: 'text', nullable: false },
    { name: 'conversation_id', kind: 'text', nullable: false },
    { name: 'body', kind: 'text', nullable: false },
    /** A teammate's email (the note's author); none, unknown or blocked: the plan's fallback teammate. */
    { name: 'author', kind: 'text', nullable: true },
    { name: 'author_name', kind: 'text', nullable: true },
    { name: 'created_at', kind: 'timestamp', nullable: false },
    { name: 'attachments', kind: 'json', nullable: true },
  ],
  templates: [
    { name: 'name', kind: 'text', nullable: false },
    { name: 'subject', kind: 'text', nullable: true },
    { name: 'body', kind: 'text', nullable: false },
  ],
};

/**
 * Plan fields Front does not store as sent: resolved to teammate ids (`author`, `assignee`), dropped once used
 * (`author_name`), or written into a body header (a note's author and time; a message by an unknown agent). The fidelity check
 * leaves them to the checksum, which compares what was actually written.
 */
export const REWRITTEN_FIELDS: Record<FrontResource, readonly string[]> = {
  contacts: [],
  // A message by an agent Front does not know is written by the fallback teammate under an "Originally written
  // by" header in its body.
  messages: ['author', 'author_name', 'body'],
  conversations: ['assignee'],
  comments: ['body', 'author', 'author_name', 'created_at'],
  templates: [],
};

/** Resources whose plan may map `cf_<name>` fields to Front custom fields of that resource. */
export const CUSTOM_FIELD_RESOURCES = ['contacts', 'conversations'] as const;
export type CustomFieldResource = (typeof CUSTOM_FIELD_RESOURCES)[number];
export const hasCustomFields = (resource: FrontResource): resource is CustomFieldResource =>
  (CUSTOM_FIELD_RESOURCES as readonly string[]).includes(resource);

/**
 * The fields `prepare` adds to every record of a resource, whether the plan maps their source or not: Front
 * stores them, so they are written, read back and checksummed (a plan without `author` writes no author, and
 * Front reads back none).
 */
export const ADDED_FIELDS: Record<FrontResource, Record<string, ColumnKind>> = {
  contacts: {},
  messages: { author_id: 'text' },
  conversations: { assignee_id: 'text', tags: 'array' },
  comments: { author_id: 'text' },
  templates: {},
};

/** Plan fields → the field Front stores and Tern reads back (null: not readable, so not in the checksum). */
const STORED_AS: Record<FrontResource, Record<string, string | null>> = {
  contacts: {},
  // external_id is Front's idempotency key, not returned on a message; the uid stands for it.
  messages: { external_id: null, author: 'author_id', author_name: null },
  // thread_ref only finds the conversation; the ticket's state is what is checked.
  conversations: { thread_ref: null, assignee: 'assignee_id' },
  // Front stamps its own posting time: the original time and author are shown inside the body.
  comments: { note_ref: null, author: 'author_id', author_name: null, created_at: null },
  templates: {},
};

/**
 * The fields Tern checksums for a record of `resource` written from these fields — the plan's, or a prepared
 * payload's, or the names this function returned (it is idempotent): what Front stores for each of them, and
 * the fields the target adds itself. Sorted, so both sides of the proof list them alike.
 */
export function checksummedFields(resource: FrontResource, fields: readonly string[]): string[] {
  const map = STORED_AS[resource];
  const out = new Set<string>(Object.keys(ADDED_FIELDS[resource]));
  for (const f of fields) {
    const stored = f in map ? map[f] : resource === 'conversations' && f.startsWith('tag_') ? 'tags' : f;
    if (stored) out.add(stored);
  }
  return [...out].sort();
}

/** A timestamp as Front's epoch seconds: digits are seconds already, anything else is parsed as a date. */
export function epochSeconds(value: unknown): number {
  const text = textOf(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${text}`);
  return Math.floor(ms / 1000);
}

/** An attachment as the plan maps it from the source. */
export interface SourceAttachment {
  url?: string;
  content_url?: string;
  file_name?: string;
  filename?: string;
  content_type?: string;
  size?: number;
}

/** What identifies an attachment on both sides: name, type and size, in a stable order. */
export function canonicalAttachments(value: unknown): string | null {
  const list = (typeof value === 'string' ? (JSON.parse(value) as unknown) : value) as SourceAttachment[] | null;
  if (!Array.isArray(list) || list.length === 0) return null;
  const rows = list
    .map((a) => [a.file_name ?? a.filename ?? '', a.content_type ?? '', Number(a.size ?? 0)] as const)
    .sort((x, y) => (x.join('\u0000') < y.join('\u0000') ? -1 : 1));
  return JSON.stringify(rows);
}

/**
 * One field's canonical text, the same whether the value is what Tern wrote or what Front returned: times as
 * epoch seconds, tags as a sorted list, custom fields by their Front type, the rest by kind.
 */
export function canonicalFrontField(
  resource: FrontResource,
  field: string,
  value: unknown,
  customFields: ReadonlyMap<string, FrontCustomField> = new Map(),
): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (field === 'created_at') return String(epochSeconds(value));
  if (field === 'attachments') return canonicalAttachments(value);
  if (field === 'tags') {
    const list = typeof value === 'string' ? (JSON.parse(value) as unknown[]) : (value as unknown[]);
    return list.length === 0 ? null : JSON.stringify(list.map((t) => textOf(t)).sort());
  }
  const custom = customFields.get(field);
  if (custom) return canonicalCustomField(custom.type, value);
  const kind =
    FIELDS[resource].find((f) => f.name === field)?.kind ?? ADDED_FIELDS[resource][field] ?? ('text' as const);
  return canonicalValue(kind, value);
}

/** A Front field as a column of the gold schema (what the plan is checked against). */
export function goldColumn(name: string, kind: ColumnKind, nullable: boolean): GoldColumn {
  const types: Partial<Record<ColumnKind, string>> = {
    text: 'text',
    boolean: 'boolean',
    decimal: 'numeric',
    timestamp: 'timestamp with time zone',
    array: 'ARRAY',
  };
  const dataType = types[kind] ?? 'text';
  return {
    name,
    dataType,
    udtName: dataType,
    nullable,
    hasDefault: false,
    maxLength: null,
    precision: null,
    scale: null,
  };
}
