import { createHash } from 'node:crypto';
import type { Handler, SandboxRequest, SandboxResponse, VendorSandbox } from './core/server';
import type { ParameterPatch } from './core/spec';
import { GroupIndex, KeyIndex, type SandboxStore } from './core/store';

/**
 * The Front sandbox: teammates, inboxes, tags, contacts and conversations of Front's Core API (per
 * sandboxes/specs/front.core-api.json), with message import (202, idempotent by `external_id`, threading by
 * `metadata.thread_ref` or else by sender), `limit`/`page_token` paging with `_pagination.next` links, Front's error
 * body (`_error`) and its per-company rate limit (200 requests/min on Enterprise, `x-ratelimit-*` headers).
 */

export interface FrontTeammate {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  is_admin: boolean;
  is_available: boolean;
  is_blocked: boolean;
  type: 'user' | 'visitor' | 'rule' | 'macro' | 'API' | 'integration' | 'link';
}

export interface FrontInbox {
  id: string;
  name: string;
  address: string;
  is_private: boolean;
}

export interface FrontTag {
  id: string;
  name: string;
  description: string | null;
  highlight: string | null;
  is_private: boolean;
  is_visible_in_conversation_lists: boolean;
  created_at: number;
  updated_at: number;
}

export interface FrontContact {
  id: string;
  name: string | null;
  description: string | null;
  handles: { handle: string; source: string }[];
  links: string[];
  group_names: string[];
  list_names: string[];
  custom_fields: Record<string, unknown>;
  is_private: boolean;
  created_at: number;
  updated_at: number;
}

export interface FrontConversation {
  id: string;
  inbox_id: string;
  subject: string;
  status: 'archived' | 'unassigned' | 'assigned' | 'deleted' | 'spam';
  assignee_id: string | null;
  recipient: { handle: string; name: string | null; role: string };
  tag_ids: string[];
  /** How imported messages thread into it: `ref:<thread_ref>` or `sender:<handle>`. */
  thread_key: string | null;
  custom_fields: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

export interface FrontMessage {
  id: string;
  message_uid: string;
  external_id: string | null;
  conversation_id: string;
  inbox_id: string;
  type: string;
  is_inbound: boolean;
  created_at: number;
  subject: string;
  body: string;
  body_format: 'html' | 'markdown';
  author_id: string | null;
  sender: { handle: string; name: string | null };
  to: string[];
  cc: string[];
  bcc: string[];
  metadata: { thread_ref?: string; is_archived: boolean; should_skip_rules: boolean };
  /** Files imported with the message (multipart imports): what arrived, with its sha256; never the bytes. */
  attachments?: FrontAttachment[];
}

export interface FrontAttachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  /** Kept for checks through /__admin/records; Front's API does not show it. */
  sha256: string;
}

/** A custom field of the company's conversations or contacts (their "custom_fields"). */
export interface FrontCustomField {
  id: string;
  name: string;
  description: string;
  type: 'string' | 'boolean' | 'datetime' | 'number' | 'teammate' | 'inbox' | 'enum';
  values?: { value: string; label: string }[];
}

/** A message template (what Zendesk calls a macro's reply). */
export interface FrontMessageTemplate {
  id: string;
  name: string;
  subject: string | null;
  body: string;
  folder_id: string | null;
  inbox_ids: string[] | null;
  created_at: number;
  updated_at: number;
}

export interface FrontComment {
  id: string;
  conversation_id: string;
  author_id: string | null;
  body: string;
  is_pinned: boolean;
  posted_at: number;
  /** Files posted with the comment (multipart), as for imported messages. */
  attachments?: FrontAttachment[];
}

type Stored<T> = T & Record<string, unknown>;

export const frontCollections = {
  teammates: (store: SandboxStore) => store.collection<Stored<FrontTeammate>>('teammates'),
  inboxes: (store: SandboxStore) => store.collection<Stored<FrontInbox>>('inboxes'),
  tags: (store: SandboxStore) => store.collection<Stored<FrontTag>>('tags'),
  contacts: (store: SandboxStore) => store.collection<Stored<FrontContact>>('contacts'),
  conversations: (store: SandboxStore) => store.collection<Stored<FrontConversation>>('conversations'),
  messages: (store: SandboxStore) => store.collection<Stored<FrontMessage>>('messages'),
  comments: (store: SandboxStore) => store.collection<Stored<FrontComment>>('comments'),
  conversationCustomFields: (store: SandboxStore) =>
    store.collection<Stored<FrontCustomField>>('conversation_custom_fields'),
  contactCustomFields: (store: SandboxStore) => store.collection<Stored<FrontCustomField>>('contact_custom_fields'),
  messageTemplates: (store: SandboxStore) => store.collection<Stored<FrontMessageTemplate>>('message_templates'),
};

// ---------------------------------------------------------------------------------------------------------------
// Indexes: every lookup an import or a page needs is O(1) or O(page), however many records the company has.

const handleKey = (source: string, handle: string) => `${source}:${source === 'email' ? handle.toLowerCase() : handle}`;
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const indexes = {
  messageByExternalId: (store: SandboxStore) =>
    frontCollections
      .messages(store)
      .index('by-external-id', () => new KeyIndex<FrontMessage>((m) => m.external_id ?? undefined)),
  messageByUid: (store: SandboxStore) =>
    frontCollections.messages(store).index('by-uid', () => new KeyIndex<FrontMessage>((m) => m.message_uid)),
  messagesOfConversation: (store: SandboxStore) =>
    frontCollections.messages(store).index(
      'by-conversation',
      () =>
        new GroupIndex<Stored<FrontMessage>>(
          (m) => m.conversation_id,
          (a, b) => a.created_at - b.created_at || byId(a, b),
        ),
    ),
  commentsOfConversation: (store: SandboxStore) =>
    frontCollections.comments(store).index(
      'by-conversation',
      () =>
        new GroupIndex<Stored<FrontComment>>(
          (c) => c.conversation_id,
          (a, b) => a.posted_at - b.posted_at || byId(a, b),
        ),
    ),
  /** Open threads of imported messages: `<inbox id> <thread key>`; deleted conversations no longer thread. */
  conversationByThread: (store: SandboxStore) =>
    frontCollections
      .conversations(store)
      .index(
        'by-thread',
        () =>
          new KeyIndex<FrontConversation>((c) =>
            c.thread_key !== null && c.status !== 'deleted' ? `${c.inbox_id} ${c.thread_key}` : undefined,
          ),
      ),
  /** An inbox's conversations out of the trash, oldest id first: a page is a slice, however large the inbox. */
  conversationsOfInbox: (store: SandboxStore) =>
    frontCollections
      .conversations(store)
      .index(
        'by-inbox',
        () => new GroupIndex<Stored<FrontConversation>>((c) => (c.status !== 'deleted' ? c.inbox_id : undefined), byId),
      ),
  tagByName: (store: SandboxStore) =>
    frontCollections.tags(store).index('by-name', () => new KeyIndex<FrontTag>((t) => t.name)),
  contactByHandle: (store: SandboxStore) =>
    frontCollections
      .contacts(store)
      .index('by-handle', () => new KeyIndex<FrontContact>((c) => c.handles.map((h) => handleKey(h.source, h.handle)))),
  customFieldByName: (store: SandboxStore) =>
    frontCollections
      .conversationCustomFields(store)
      .index('by-name', () => new KeyIndex<FrontCustomField>((f) => f.name)),
  contactCustomFieldByName: (store: SandboxStore) =>
    frontCollections.contactCustomFields(store).index('by-name', () => new KeyIndex<FrontCustomField>((f) => f.name)),
  tagsById: (store: SandboxStore) =>
    frontCollections.tags(store).view('sorted-by-id', (all) => [...all.values()].sort(byId)),
  contactsById: (store: SandboxStore) =>
    frontCollections.contacts(store).view('sorted-by-id', (all) => [...all.values()].sort(byId)),
};

/** Builds every index once, so the first request after seeding a large company is not the slow one. */
function prepareIndexes(store: SandboxStore): void {
  for (const build of Object.values(indexes)) build(store);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal server error',
  501: 'Not implemented',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

function frontError(status: number, message: string, details?: string[]): SandboxResponse {
  const title = TITLES[status] ?? (status >= 500 ? 'Internal server error' : 'Bad request');
  return { status, body: { _error: { status, title, message, ...(details?.length ? { details } : {}) } } };
}

class FrontError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function guarded(fn: Handler): Handler {
  return async (req, ctx) => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      if (err instanceof FrontError) return frontError(err.status, err.message);
      throw err;
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Ids, aliases, paging

/** The empty cc/bcc list every message without one shares (records are replaced, never changed in place). */
const NO_HANDLES: string[] = Object.freeze([]) as unknown as string[];
const NO_FILES: FrontAttachment[] = Object.freeze([]) as unknown as FrontAttachment[];
const nextId = (store: SandboxStore, prefix: string) => `${prefix}_${(store.nextId(prefix) + 0x1000).toString(36)}`;
const now = () => Math.floor(Date.now() / 1000);
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);

function findContact(store: SandboxStore, idOrAlias: string): Stored<FrontContact> | undefined {
  const contacts = frontCollections.contacts(store);
  const alias = /^alt:([a-z_]+):(.+)$/.exec(idOrAlias);
  if (!alias) return contacts.get(idOrAlias);
  return handleOwner(store, alias[2]!, alias[1]!);
}

function handleOwner(store: SandboxStore, handle: string, source: string): Stored<FrontContact> | undefined {
  const contacts = frontCollections.contacts(store);
  return indexes.contactByHandle(store).find(handleKey(source, handle), (id) => contacts.get(id));
}

function findTeammate(store: SandboxStore, idOrAlias: string): Stored<FrontTeammate> | undefined {
  const teammates = frontCollections.teammates(store);
  const alias = /^alt:(email|username):(.+)$/.exec(idOrAlias);
  if (!alias) return teammates.get(idOrAlias);
  return [...teammates.values()].find((t) =>
    alias[1] === 'email' ? t.email.toLowerCase() === alias[2]!.toLowerCase() : t.username === alias[2],
  );
}

/** A page of `items` by `limit` and `page_token` (an opaque offset), with Front's `_pagination.next` link. */
function paged<T>(
  req: SandboxRequest,
  baseUrl: string,
  items: readonly T[],
  present: (item: T) => unknown,
  defaultLimit = 50,
  reversed = false,
) {
  const limit = Math.max(1, Math.min(Number(one(req.query.limit) ?? defaultLimit), 100));
  const token = one(req.query.page_token);
  let offset = 0;
  if (token !== undefined) {
    const m = /^o(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m) throw new FrontError(400, `Invalid page_token "${token}"`);
    offset = Number(m[1]);
  }
  const page = reversed
    ? items.slice(Math.max(0, items.length - offset - limit), Math.max(0, items.length - offset)).reverse()
    : items.slice(offset, offset + limit);
  let next: string | null = null;
  if (offset + limit < items.length) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(req.query))
      if (k !== 'page_token' && k !== 'limit') for (const x of [v].flat()) q.append(k, x);
    q.set('limit', String(limit));
    q.set('page_token', Buffer.from(`o${offset + limit}`, 'utf8').toString('base64url'));
    next = `${baseUrl}${req.path}?${q.toString()}`;
  }
  return {
    status: 200,
    body: { _pagination: { next }, _links: { self: `${baseUrl}${req.path}` }, _results: page.map(present) },
  };
}

const sortOrder = (req: SandboxRequest, fallback: 'asc' | 'desc') =>
  (one(req.query.sort_order) as 'asc' | 'desc' | undefined) ?? fallback;

// ---------------------------------------------------------------------------------------------------------------
// Presentation

const presentTeammate = (t: FrontTeammate, baseUrl: string) => ({
  _links: {
    self: `${baseUrl}/teammates/${t.id}`,
    related: {
      inboxes: `${baseUrl}/teammates/${t.id}/inboxes`,
      conversations: `${baseUrl}/teammates/${t.id}/conversations`,
    },
  },
  ...t,
  custom_fields: {},
});

const presentInbox = (i: FrontInbox, baseUrl: string) => ({
  _links: {
    self: `${baseUrl}/inboxes/${i.id}`,
    related: {
      teammates: `${baseUrl}/inboxes/${i.id}/teammates`,
      conversations: `${baseUrl}/inboxes/${i.id}/conversations`,
      channels: `${baseUrl}/inboxes/${i.id}/channels`,
    },
  },
  id: i.id,
  name: i.name,
  is_private: i.is_private,
  is_public: !i.is_private,
  custom_fields: {},
});

const presentTag = (t: FrontTag, baseUrl: string) => ({
  _links: {
    self: `${baseUrl}/tags/${t.id}`,
    related: { conversations: `${baseUrl}/tags/${t.id}/conversations`, children: `${baseUrl}/tags/${t.id}/children` },
  },
  ...t,
});

const presentContact = (c: FrontContact, baseUrl: string) => ({
  _links: {
    self: `${baseUrl}/contacts/${c.id}`,
    related: { notes: `${baseUrl}/contacts/${c.id}/notes`, conversations: `${baseUrl}/contacts/${c.id}/conversations` },
  },
  id: c.id,
  name: c.name,
  description: c.description,
  avatar_url: null,
  links: c.links,
  groups: c.group_names.map((name) => ({ name })),
  lists: c.list_names.map((name) => ({ name })),
  handles: c.handles,
  custom_fields: c.custom_fields,
  is_private: c.is_private,
  updated_at: c.updated_at,
});

function presentConversation(c: FrontConversation, store: SandboxStore, baseUrl: string) {
  const assignee = c.assignee_id ? frontCollections.teammates(store).get(c.assignee_id) : undefined;
  const tags = frontCollections.tags(store);
  return {
    _links: {
      self: `${baseUrl}/conversations/${c.id}`,
      related: {
        events: `${baseUrl}/conversations/${c.id}/events`,
        messages: `${baseUrl}/conversations/${c.id}/messages`,
        comments: `${baseUrl}/conversations/${c.id}/comments`,
        inboxes: `${baseUrl}/conversations/${c.id}/inboxes`,
      },
    },
    id: c.id,
    subject: c.subject,
    status: c.status,
    assignee: assignee ? presentTeammate(assignee, baseUrl) : null,
    recipient: { _links: { related: { contact: null } }, ...c.recipient },
    tags: c.tag_ids
      .map((id) => tags.get(id))
      .filter((t): t is Stored<FrontTag> => Boolean(t))
      .map((t) => presentTag(t, baseUrl)),
    links: [],
    custom_fields: c.custom_fields,
    created_at: c.created_at,
    updated_at: c.updated_at,
    is_private: false,
    scheduled_reminders: [],
    metadata: {},
  };
}

function presentMessage(m: FrontMessage, store: SandboxStore, baseUrl: string) {
  const author = m.author_id ? frontCollections.teammates(store).get(m.author_id) : undefined;
  const text = m.body.replace(/<[^>]+>/g, '');
  return {
    _links: {
      self: `${baseUrl}/messages/${m.id}`,
      related: { conversation: `${baseUrl}/conversations/${m.conversation_id}` },
    },
    id: m.id,
    message_uid: m.message_uid,
    type: m.type,
    is_inbound: m.is_inbound,
    draft_mode: null,
    created_at: m.created_at,
    subject: m.subject,
    blurb: text.slice(0, 100),
    author: author ? presentTeammate(author, baseUrl) : null,
    recipients: [
      { handle: m.sender.handle, name: m.sender.name, role: 'from' },
      ...m.to.map((handle) => ({ handle, name: null, role: 'to' })),
      ...m.cc.map((handle) => ({ handle, name: null, role: 'cc' })),
      ...m.bcc.map((handle) => ({ handle, name: null, role: 'bcc' })),
    ],
    body: m.body,
    text,
    attachments: (m.attachments ?? []).map((a) => presentAttachment(a, baseUrl)),
    metadata: m.metadata.thread_ref ? { thread_ref: m.metadata.thread_ref } : {},
  };
}

const presentAttachment = (a: FrontAttachment, baseUrl: string) => ({
  id: a.id,
  filename: a.filename,
  url: `${baseUrl}/download/${a.id}`,
  content_type: a.content_type,
  size: a.size,
  metadata: { is_inline: false },
});

const presentCustomField = (f: FrontCustomField, baseUrl: string) => ({
  _links: { self: `${baseUrl}/custom_fields/${f.id}` },
  id: f.id,
  name: f.name,
  description: f.description,
  type: f.type,
  ...(f.values ? { values: f.values } : {}),
});

const presentMessageTemplate = (t: FrontMessageTemplate, baseUrl: string) => ({
  _links: {
    self: `${baseUrl}/message_templates/${t.id}`,
    related: {
      owner: null,
      parent_folder: t.folder_id ? `${baseUrl}/message_template_folders/${t.folder_id}` : null,
    },
  },
  id: t.id,
  name: t.name,
  subject: t.subject,
  body: t.body,
  attachments: [],
  is_available_for_all_inboxes: t.inbox_ids === null,
  inbox_ids: t.inbox_ids,
});

const presentComment = (c: FrontComment, store: SandboxStore, baseUrl: string) => {
  const author = c.author_id ? frontCollections.teammates(store).get(c.author_id) : undefined;
  return {
    _links: {
      self: `${baseUrl}/comments/${c.id}`,
      related: {
        conversation: `${baseUrl}/conversations/${c.conversation_id}`,
        mentions: `${baseUrl}/comments/${c.id}/mentions`,
      },
    },
    id: c.id,
    author: author ? presentTeammate(author, baseUrl) : null,
    body: c.body,
    posted_at: c.posted_at,
    attachments: (c.attachments ?? []).map((a) => presentAttachment(a, baseUrl)),
    is_pinned: c.is_pinned,
  };
};

function conversationOr404(store: SandboxStore, id: string): Stored<FrontConversation> {
  const c = frontCollections.conversations(store).get(id);
  if (!c) throw new FrontError(404, `Conversation ${id} not found`);
  return c;
}

/** Tag ids for names, creating the tags that do not exist yet (as Front does for imported messages). */
function tagIds(store: SandboxStore, names: string[]): string[] {
  const tags = frontCollections.tags(store);
  return names.map((name) => {
    const existing = indexes.tagByName(store).find(name, (id) => tags.get(id));
    if (existing) return existing.id;
    const id = nextId(store, 'tag');
    const t = now();
    tags.set(id, {
      id,
      name,
      description: null,
      highlight: null,
      is_private: false,
      is_visible_in_conversation_lists: false,
      created_at: t,
      updated_at: t,
    });
    return id;
  });
}

/** Conversation custom fields by name, each value of its field's type (Front's 400 otherwise). */
/** Custom field values of a conversation or a contact, each checked against its field's type. */
function checkedCustomFields(
  store: SandboxStore,
  values: Record<string, unknown>,
  of: 'conversation' | 'contact' = 'conversation',
): Record<string, unknown> {
  const fields =
    of === 'contact' ? frontCollections.contactCustomFields(store) : frontCollections.conversationCustomFields(store);
  const byName = of === 'contact' ? indexes.contactCustomFieldByName(store) : indexes.customFieldByName(store);
  for (const [name, value] of Object.entries(values)) {
    const field = byName.find(name, (id) => fields.get(id));
    if (!field) throw new FrontError(400, `Unknown ${of} custom field "${name}"`);
    if (value === null) continue;
    const ok =
      field.type === 'enum'
        ? typeof value === 'string' && (field.values ?? []).some((v) => v.value === value)
        : field.type === 'boolean'
          ? typeof value === 'boolean'
          : field.type === 'number' || field.type === 'datetime'
            ? typeof value === 'number'
            : typeof value === 'string';
    if (!ok)
      throw new FrontError(
        400,
        `Invalid value ${JSON.stringify(value)} for custom field "${name}" (${field.type}${field.values ? `: ${field.values.map((v) => v.value).join(', ')}` : ''})`,
      );
  }
  return { ...values };
}

function contactOr404(store: SandboxStore, idOrAlias: string): Stored<FrontContact> {
  const contact = findContact(store, idOrAlias);
  if (!contact) throw new FrontError(404, `Contact ${idOrAlias} not found`);
  return contact;
}

function tagOr404(store: SandboxStore, id: string): Stored<FrontTag> {
  const tag = frontCollections.tags(store).get(id);
  if (!tag) throw new FrontError(404, `Tag ${id} not found`);
  return tag;
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers

interface ImportBody {
  sender: { handle: string; name?: string; author_id?: string };
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  body: string;
  body_format?: 'html' | 'markdown';
  external_id: string;
  created_at: number;
  type?: string;
  assignee_id?: string;
  tags?: string[];
  conversation_id?: string;
  metadata: { thread_ref?: string; is_inbound: boolean; is_archived?: boolean; should_skip_rules?: boolean };
}

const handlers: Record<string, Handler> = {
  'list-teammates': (req, { store, baseUrl }) =>
    paged(req, baseUrl, [...frontCollections.teammates(store).values()], (t) => presentTeammate(t, baseUrl), 100),
  'list-inboxes': (req, { store, baseUrl }) =>
    paged(req, baseUrl, [...frontCollections.inboxes(store).values()], (i) => presentInbox(i, baseUrl), 100),
  'list-tags': guarded((req, { store, baseUrl }) => {
    return paged(
      req,
      baseUrl,
      indexes.tagsById(store),
      (t) => presentTag(t, baseUrl),
      50,
      sortOrder(req, 'asc') === 'desc',
    );
  }),
  'create-tag': guarded((req, { store, writes, baseUrl }) => {
    const body = req.body as {
      name: string;
      description?: string;
      highlight?: string;
      is_visible_in_conversation_lists?: boolean;
    };
    if (body.name.trim() === '') throw new FrontError(400, 'Tag name cannot be empty');
    const tags = frontCollections.tags(store);
    if (indexes.tagByName(store).find(body.name, (id) => tags.get(id)))
      throw new FrontError(409, `A tag named "${body.name}" already exists`);
    const id = nextId(store, 'tag');
    const t = now();
    const tag: FrontTag = {
      id,
      name: body.name,
      description: body.description ?? null,
      highlight: body.highlight ?? null,
      is_private: false,
      is_visible_in_conversation_lists: body.is_visible_in_conversation_lists ?? false,
      created_at: t,
      updated_at: t,
    };
    frontCollections.tags(store).set(id, tag as Stored<FrontTag>);
    writes.count('tags', body.name);
    return { status: 201, body: presentTag(tag, baseUrl) };
  }),
  // `q[updated_after]` / `q[updated_before]` and `sort_by` created_at or updated_at, as Front documents them.
  'list-contacts': guarded((req, { store, baseUrl }) => {
    // The format is the spec's to check (`frontSpecPatches`).
    const bound = (name: string) => {
      const v = one(req.query[`q[${name}]`]);
      return v === undefined ? undefined : Number(v);
    };
    const after = bound('updated_after');
    const before = bound('updated_before');
    const sortBy = one(req.query.sort_by);
    if (sortBy !== undefined && sortBy !== 'created_at' && sortBy !== 'updated_at')
      throw new FrontError(400, `sort_by must be created_at or updated_at, not "${sortBy}"`);
    let contacts: readonly FrontContact[] = indexes.contactsById(store);
    if (after !== undefined || before !== undefined)
      contacts = contacts.filter(
        (c) => (after === undefined || c.updated_at > after) && (before === undefined || c.updated_at < before),
      );
    if (sortBy !== undefined) {
      const key = (c: FrontContact) => (sortBy === 'updated_at' ? c.updated_at : c.created_at);
      contacts = [...contacts].sort((a, b) => key(a) - key(b) || a.id.length - b.id.length || byId(a, b));
    }
    return paged(req, baseUrl, contacts, (c) => presentContact(c, baseUrl), 50, sortOrder(req, 'asc') === 'desc');
  }),
  'create-contact': guarded((req, { store, writes, baseUrl }) => {
    const body = req.body as {
      name?: string;
      description?: string;
      handles: { handle: string; source: string }[];
      links?: string[];
      group_names?: string[];
      list_names?: string[];
      custom_fields?: Record<string, unknown>;
    };
    if (body.handles.length === 0) throw new FrontError(400, 'A contact needs at least one handle');
    for (const h of body.handles) {
      const owner = handleOwner(store, h.handle, h.source);
      if (owner)
        throw new FrontError(
          409,
          `The ${h.source} handle "${h.handle}" is already used by another contact (${owner.id})`,
        );
    }
    const id = nextId(store, 'crd');
    const t = now();
    const contact: FrontContact = {
      id,
      name: body.name ?? null,
      description: body.description ?? null,
      handles: body.handles.map((h) => ({ handle: h.handle, source: h.source })),
      links: body.links ?? [],
      group_names: body.group_names ?? [],
      list_names: body.list_names ?? [],
      custom_fields: checkedCustomFields(store, body.custom_fields ?? {}, 'contact'),
      is_private: false,
      created_at: t,
      updated_at: t,
    };
    frontCollections.contacts(store).set(id, contact as Stored<FrontContact>);
    writes.count('contacts', body.handles[0]!.handle);
    return { status: 201, body: presentContact(contact, baseUrl) };
  }),
  'get-contact': guarded((req, { store, baseUrl }) => ({
    status: 200,
    body: presentContact(contactOr404(store, req.params.contact_id!), baseUrl),
  })),
  // Only the fields given change; custom_fields, when given, replace all of the contact's custom fields.
  'update-a-contact': guarded((req, { store, writes }) => {
    const contact = contactOr404(store, req.params.contact_id!);
    const body = req.body as {
      name?: string;
      description?: string;
      links?: string[];
      group_names?: string[];
      list_names?: string[];
      custom_fields?: Record<string, unknown>;
    };
    frontCollections.contacts(store).set(contact.id, {
      ...contact,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.links !== undefined ? { links: [...body.links] } : {}),
      ...(body.group_names !== undefined ? { group_names: [...body.group_names] } : {}),
      ...(body.list_names !== undefined ? { list_names: [...body.list_names] } : {}),
      ...(body.custom_fields !== undefined
        ? { custom_fields: checkedCustomFields(store, body.custom_fields, 'contact') }
        : {}),
      updated_at: now(),
    });
    writes.count('contacts:updated', contact.id);
    return { status: 204 };
  }),
  'delete-a-contact': guarded((req, { store, writes }) => {
    const contact = contactOr404(store, req.params.contact_id!);
    frontCollections.contacts(store).delete(contact.id);
    writes.count('contacts:deleted', contact.id);
    return { status: 204 };
  }),
  'get-tag': guarded((req, { store, baseUrl }) => ({
    status: 200,
    body: presentTag(tagOr404(store, req.params.tag_id!), baseUrl),
  })),
  // Conversations that carried the tag no longer show it.
  'delete-tag': guarded((req, { store, writes }) => {
    const tag = tagOr404(store, req.params.tag_id!);
    frontCollections.tags(store).delete(tag.id);
    writes.count('tags:deleted', tag.id);
    return { status: 204 };
  }),
  'list-company-tags': guarded((req, { store, baseUrl }) =>
    paged(
      req,
      baseUrl,
      indexes.tagsById(store).filter((t) => !t.is_private),
      (t) => presentTag(t, baseUrl),
      50,
      sortOrder(req, 'asc') === 'desc',
    ),
  ),
  'list-contact-custom-fields': guarded((req, { store, baseUrl }) => ({
    status: 200,
    body: {
      _links: { self: `${baseUrl}/contacts/custom_fields` },
      _results: [...frontCollections.contactCustomFields(store).values()]
        .sort(byId)
        .map((f) => presentCustomField(f, baseUrl)),
    },
  })),
  'list-conversation-custom-fields': guarded((req, { store, baseUrl }) => ({
    status: 200,
    body: {
      _links: { self: `${baseUrl}/conversations/custom_fields` },
      _results: [...frontCollections.conversationCustomFields(store).values()]
        .sort(byId)
        .map((f) => presentCustomField(f, baseUrl)),
    },
  })),
  // Newest first, all on one page (the operation has no paging parameters).
  'list-conversation-comments': guarded((req, { store, baseUrl }) => {
    const conversation = conversationOr404(store, req.params.conversation_id!);
    const comments = indexes.commentsOfConversation(store).of(conversation.id);
    return {
      status: 200,
      body: {
        _links: { self: `${baseUrl}/conversations/${conversation.id}/comments` },
        _results: [...comments].reverse().map((c) => presentComment(c, store, baseUrl)),
      },
    };
  }),
  'list-message-templates': guarded((req, { store, baseUrl }) => {
    const sortBy = one(req.query.sort_by) ?? 'created_at';
    if (!['created_at', 'updated_at', 'sort_order'].includes(sortBy))
      throw new FrontError(400, `sort_by must be created_at, updated_at or sort_order, not "${sortBy}"`);
    const key = (t: FrontMessageTemplate) => (sortBy === 'updated_at' ? t.updated_at : t.created_at);
    const templates = [...frontCollections.messageTemplates(store).values()].sort(
      (a, b) => key(a) - key(b) || byId(a, b),
    );
    if (sortOrder(req, 'asc') === 'desc') templates.reverse();
    return {
      status: 200,
      body: {
        _pagination: { next: null },
        _links: { self: `${baseUrl}/message_templates` },
        _results: templates.map((t) => presentMessageTemplate(t, baseUrl)),
      },
    };
  }),
  'create-message-template': guarded((req, { store, writes, baseUrl }) => {
    const body = req.body as {
      name: string;
      subject?: string;
      body: string;
      folder_id?: string;
      inbox_ids?: string[] | null;
    };
    if (body.name.trim() === '') throw new FrontError(400, 'Message template name cannot be empty');
    if (body.inbox_ids) {
      if (body.inbox_ids.length === 0) throw new FrontError(400, 'inbox_ids must not be empty');
      const missing = body.inbox_ids.find((id) => !frontCollections.inboxes(store).has(id));
      if (missing) throw new FrontError(400, `Inbox ${missing} not found`);
    }
    const id = nextId(store, 'rsp');
    const t = now();
    const template: FrontMessageTemplate = {
      id,
      name: body.name,
      subject: body.subject ?? null,
      body: body.body,
      folder_id: body.folder_id ?? null,
      inbox_ids: body.inbox_ids ? [...body.inbox_ids] : null,
      created_at: t,
      updated_at: t,
    };
    frontCollections.messageTemplates(store).set(id, template as Stored<FrontMessageTemplate>);
    writes.count('message_templates', body.name);
    return { status: 201, body: presentMessageTemplate(template, baseUrl) };
  }),
  'get-message-template': guarded((req, { store, baseUrl }) => {
    const template = frontCollections.messageTemplates(store).get(req.params.message_template_id!);
    if (!template) throw new FrontError(404, `Message template ${req.params.message_template_id} not found`);
    return { status: 200, body: presentMessageTemplate(template, baseUrl) };
  }),
  'update-message-template': guarded((req, { store, writes, baseUrl }) => {
    const templates = frontCollections.messageTemplates(store);
    const template = templates.get(req.params.message_template_id!);
    if (!template) throw new FrontError(404, `Message template ${req.params.message_template_id} not found`);
    const body = req.body as { name?: string; subject?: string; body?: string };
    if (body.name !== undefined && body.name.trim() === '')
      throw new FrontError(400, 'Message template name cannot be empty');
    const next = {
      ...template,
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.subject !== undefined ? { subject: body.subject } : {}),
      ...(body.body !== undefined ? { body: body.body } : {}),
      updated_at: now(),
    };
    templates.set(template.id, next);
    writes.count('message_templates:updated', template.id);
    return { status: 200, body: presentMessageTemplate(next, baseUrl) };
  }),
  'delete-message-template': guarded((req, { store, writes }) => {
    const id = req.params.message_template_id!;
    if (!frontCollections.messageTemplates(store).delete(id))
      throw new FrontError(404, `Message template ${id} not found`);
    writes.count('message_templates:deleted', id);
    return { status: 204 };
  }),
  'import-inbox-message': guarded((req, { store, writes }) => {
    const inbox = frontCollections.inboxes(store).get(req.params.inbox_id!);
    if (!inbox) throw new FrontError(404, `Inbox ${req.params.inbox_id} not found`);
    const body = req.body as ImportBody;
    const messages = frontCollections.messages(store);
    // Front will not import two messages with the same external_id: the second import is acknowledged as the first.
    const existing = indexes.messageByExternalId(store).find(body.external_id, (id) => messages.get(id));
    if (existing) return { status: 202, body: { status: 'accepted', message_uid: existing.message_uid } };
    const files = req.files ?? [];
    const stray = files.find((f) => !/^attachments\[\d*\]$/.test(f.field));
    if (stray) throw new FrontError(400, `Unexpected file field "${stray.field}": attachments go in attachments[n]`);
    if (body.to.length === 0) throw new FrontError(400, 'to must list at least one recipient handle');
    if (body.assignee_id !== undefined && !findTeammate(store, body.assignee_id))
      throw new FrontError(400, `Teammate ${body.assignee_id} not found`);
    const author = body.sender.author_id !== undefined ? findTeammate(store, body.sender.author_id) : undefined;
    if (body.sender.author_id !== undefined && !author)
      throw new FrontError(400, `Teammate ${body.sender.author_id} not found`);
    const conversations = frontCollections.conversations(store);
    let conversation: Stored<FrontConversation> | undefined;
    if (body.conversation_id !== undefined) {
      conversation = conversations.get(body.conversation_id);
      if (!conversation) throw new FrontError(404, `Conversation ${body.conversation_id} not found`);
    } else {
      // Threads by thread_ref when given, else by sender (Front's documented fallback).
      const threadKey =
        body.metadata.thread_ref !== undefined
          ? `ref:${body.metadata.thread_ref}`
          : `sender:${body.sender.handle.toLowerCase()}`;
      conversation = indexes
        .conversationByThread(store)
        .find(`${inbox.id} ${threadKey}`, (id) => conversations.get(id));
      if (!conversation) {
        const id = nextId(store, 'cnv');
        conversation = {
          id,
          inbox_id: inbox.id,
          subject: body.subject ?? '',
          status: 'unassigned',
          assignee_id: null,
          recipient: body.metadata.is_inbound
            ? { handle: body.sender.handle, name: body.sender.name ?? null, role: 'from' }
            : { handle: body.to[0]!, name: null, role: 'to' },
          tag_ids: [],
          thread_key: threadKey,
          custom_fields: {},
          created_at: body.created_at,
          updated_at: body.created_at,
        };
        conversations.set(id, conversation);
      }
    }
    const archived = body.metadata.is_archived ?? true;
    const assignee =
      body.assignee_id !== undefined ? findTeammate(store, body.assignee_id)!.id : conversation.assignee_id;
    conversations.set(conversation.id, {
      ...conversation,
      assignee_id: assignee,
      status: archived ? 'archived' : assignee ? 'assigned' : 'unassigned',
      tag_ids: [...new Set([...conversation.tag_ids, ...tagIds(store, body.tags ?? [])])],
      updated_at: Math.max(conversation.updated_at, body.created_at),
    });
    // Imports repeat the same bodies, subjects and handles millions of times: one copy of each is kept.
    const intern = (text: string) => store.strings.intern(text);
    const id = nextId(store, 'msg');
    // 16 bytes as 32 hex characters (a slice of the 64-character digest would keep the whole digest alive).
    const uid = createHash('sha256')
      .update(`front-sandbox:${body.external_id}`)
      .digest()
      .subarray(0, 16)
      .toString('hex');
    const message: FrontMessage = {
      id,
      message_uid: uid,
      external_id: body.external_id,
      conversation_id: conversation.id,
      inbox_id: inbox.id,
      type: body.type ?? 'email',
      is_inbound: body.metadata.is_inbound,
      created_at: body.created_at,
      subject: intern(body.subject ?? ''),
      body: intern(body.body),
      body_format: body.body_format ?? 'markdown',
      author_id: body.metadata.is_inbound ? null : (author?.id ?? null),
      sender: {
        handle: intern(body.sender.handle),
        name: body.sender.name === undefined ? null : intern(body.sender.name),
      },
      to: body.to.map(intern),
      cc: body.cc?.length ? body.cc.map(intern) : NO_HANDLES,
      bcc: body.bcc?.length ? body.bcc.map(intern) : NO_HANDLES,
      metadata: {
        ...(body.metadata.thread_ref !== undefined ? { thread_ref: intern(body.metadata.thread_ref) } : {}),
        is_archived: archived,
        should_skip_rules: body.metadata.should_skip_rules ?? true,
      },
      attachments:
        files.length === 0
          ? NO_FILES
          : files.map((f) => ({
              id: nextId(store, 'fil'),
              filename: f.filename,
              content_type: f.content_type,
              size: f.size,
              sha256: f.sha256,
            })),
    };
    messages.set(id, message as Stored<FrontMessage>);
    writes.count('messages', body.external_id);
    return { status: 202, body: { status: 'accepted', message_uid: uid } };
  }),
  'get-conversation-by-id': guarded((req, { store, baseUrl }) => ({
    status: 200,
    body: presentConversation(conversationOr404(store, req.params.conversation_id!), store, baseUrl),
  })),
  'update-conversation': guarded((req, { store, writes }) => {
    const conversation = conversationOr404(store, req.params.conversation_id!);
    const body = req.body as {
      assignee_id?: string | null;
      inbox_id?: string;
      status?: 'archived' | 'open' | 'deleted' | 'spam';
      tag_ids?: string[];
      custom_fields?: Record<string, unknown>;
    };
    const next = { ...conversation };
    if (body.assignee_id !== undefined) {
      if (body.assignee_id !== null && !findTeammate(store, body.assignee_id))
        throw new FrontError(400, `Teammate ${body.assignee_id} not found`);
      next.assignee_id = body.assignee_id === null ? null : findTeammate(store, body.assignee_id)!.id;
    }
    if (body.inbox_id !== undefined) {
      if (!frontCollections.inboxes(store).has(body.inbox_id))
        throw new FrontError(400, `Inbox ${body.inbox_id} not found`);
      next.inbox_id = body.inbox_id;
    }
    if (body.tag_ids !== undefined) {
      const missing = body.tag_ids.find((id) => !frontCollections.tags(store).has(id));
      if (missing) throw new FrontError(400, `Tag ${missing} not found`);
      next.tag_ids = [...body.tag_ids];
    }
    if (body.custom_fields !== undefined) next.custom_fields = checkedCustomFields(store, body.custom_fields);
    if (body.status !== undefined)
      next.status = body.status === 'open' ? (next.assignee_id ? 'assigned' : 'unassigned') : body.status;
    next.updated_at = now();
    frontCollections.conversations(store).set(conversation.id, next);
    writes.count('conversations', conversation.id);
    return { status: 204 };
  }),
  // Permanent deletion: only from the trash (status "deleted"); the conversation's messages and comments go with it.
  'delete-conversation': guarded((req, { store, writes }) => {
    const conversation = conversationOr404(store, req.params.conversation_id!);
    if (conversation.status !== 'deleted')
      throw new FrontError(400, 'Conversation must have status "trashed" before it can be permanently deleted');
    frontCollections.conversations(store).delete(conversation.id);
    for (const m of [...indexes.messagesOfConversation(store).of(conversation.id)])
      frontCollections.messages(store).delete(m.id);
    for (const c of [...indexes.commentsOfConversation(store).of(conversation.id)])
      frontCollections.comments(store).delete(c.id);
    writes.count('conversations:deleted', conversation.id);
    return { status: 204 };
  }),
  // The inbox's conversations, trashed ones aside (Front's `q` filters statuses; the sandbox does not take it).
  'list-inbox-conversations': guarded((req, { store, baseUrl }) => {
    const inbox = frontCollections.inboxes(store).get(req.params.inbox_id!);
    if (!inbox) throw new FrontError(404, `Inbox ${req.params.inbox_id} not found`);
    if (one(req.query.q) !== undefined) throw new FrontError(400, 'The sandbox does not filter conversations by q');
    const conversations = indexes.conversationsOfInbox(store).of(inbox.id);
    return paged(req, baseUrl, conversations, (c) => presentConversation(c, store, baseUrl));
  }),
  'list-conversation-messages': guarded((req, { store, baseUrl }) => {
    const conversation = conversationOr404(store, req.params.conversation_id!);
    const asc = sortOrder(req, 'desc') === 'asc';
    const messages = indexes.messagesOfConversation(store).of(conversation.id);
    return paged(req, baseUrl, messages, (m) => presentMessage(m, store, baseUrl), 50, !asc);
  }),
  'add-comment': guarded((req, { store, writes, baseUrl }) => {
    const conversation = conversationOr404(store, req.params.conversation_id!);
    const body = req.body as { author_id?: string; body: string; is_pinned?: boolean };
    const author = body.author_id !== undefined ? findTeammate(store, body.author_id) : undefined;
    if (body.author_id !== undefined && !author) throw new FrontError(400, `Teammate ${body.author_id} not found`);
    const files = req.files ?? [];
    const stray = files.find((f) => !/^attachments\[\d*\]$/.test(f.field));
    if (stray) throw new FrontError(400, `Unexpected file field "${stray.field}": attachments go in attachments[n]`);
    const id = nextId(store, 'com');
    const comment: FrontComment = {
      id,
      conversation_id: conversation.id,
      author_id: author?.id ?? null,
      body: body.body,
      is_pinned: body.is_pinned ?? false,
      posted_at: now(),
      ...(files.length > 0
        ? {
            attachments: files.map((f) => ({
              id: nextId(store, 'fil'),
              filename: f.filename,
              content_type: f.content_type,
              size: f.size,
              sha256: f.sha256,
            })),
          }
        : {}),
    };
    frontCollections.comments(store).set(id, comment as Stored<FrontComment>);
    writes.count('comments', `${conversation.id}:${createHash('sha256').update(body.body).digest('hex').slice(0, 16)}`);
    return { status: 201, body: presentComment(comment, store, baseUrl) };
  }),
  // Front: the body "can only be updated if the comment was created using the same token" (one token here).
  'update-comment': guarded((req, { store, writes, baseUrl }) => {
    const comments = frontCollections.comments(store);
    const comment = comments.get(req.params.comment_id!);
    if (!comment) throw new FrontError(404, `Comment ${req.params.comment_id} not found`);
    const body = (req.body ?? {}) as { body?: string; is_pinned?: boolean };
    const next = {
      ...comment,
      ...(body.body !== undefined ? { body: body.body } : {}),
      ...(body.is_pinned !== undefined ? { is_pinned: body.is_pinned } : {}),
    };
    comments.set(comment.id, next);
    writes.count('comments:updated', comment.id);
    return { status: 200, body: presentComment(next, store, baseUrl) };
  }),
  'get-message': guarded((req, { store, baseUrl }) => {
    const idOrAlias = req.params.message_id!;
    const messages = frontCollections.messages(store);
    const uid = /^alt:uid:(.+)$/.exec(idOrAlias)?.[1];
    const message =
      uid === undefined ? messages.get(idOrAlias) : indexes.messageByUid(store).find(uid, (id) => messages.get(id));
    if (!message) throw new FrontError(404, `Message ${idOrAlias} not found`);
    return { status: 200, body: presentMessage(message, store, baseUrl) };
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// Seed: the company as it is before Tern imports anything.

function seedCompany(store: SandboxStore): void {
  const teammates: FrontTeammate[] = [
    {
      id: 'tea_1',
      email: 'leia@support.example.com',
      username: 'leia',
      first_name: 'Leia',
      last_name: 'Organa',
      is_admin: true,
      is_available: true,
      is_blocked: false,
      type: 'user',
    },
    {
      id: 'tea_2',
      email: 'finn@support.example.com',
      username: 'finn',
      first_name: 'Finn',
      last_name: 'Storm',
      is_admin: false,
      is_available: true,
      is_blocked: false,
      type: 'user',
    },
    {
      id: 'tea_3',
      email: 'rey@support.example.com',
      username: 'rey',
      first_name: 'Rey',
      last_name: 'Skywalker',
      is_admin: false,
      is_available: false,
      is_blocked: false,
      type: 'user',
    },
    // Where messages of agents who left are attributed: not available, blocked from logging in.
    {
      id: 'tea_4',
      email: 'former-agents@support.example.com',
      username: 'former.agents',
      first_name: 'Former',
      last_name: 'Agents',
      is_admin: false,
      is_available: false,
      is_blocked: true,
      type: 'user',
    },
  ];
  for (const t of teammates) frontCollections.teammates(store).set(t.id, t as Stored<FrontTeammate>);
  const inboxes: FrontInbox[] = [
    { id: 'inb_1', name: 'Support', address: 'support@example.com', is_private: false },
    { id: 'inb_2', name: 'Billing', address: 'billing@example.com', is_private: false },
  ];
  for (const i of inboxes) frontCollections.inboxes(store).set(i.id, i as Stored<FrontInbox>);
  const t0 = Date.UTC(2024, 0, 15) / 1000;
  ['vip', 'bug', 'feature-request'].forEach((name, i) => {
    const id = `tag_${i + 1}`;
    frontCollections.tags(store).set(id, {
      id,
      name,
      description: null,
      highlight: i === 0 ? 'purple' : null,
      is_private: false,
      is_visible_in_conversation_lists: i === 0,
      created_at: t0,
      updated_at: t0,
    });
  });
  const contacts: FrontContact[] = [
    {
      id: 'crd_1',
      name: 'Existing Customer',
      description: null,
      handles: [{ handle: 'existing.customer@example.org', source: 'email' }],
      links: [],
      group_names: [],
      list_names: [],
      custom_fields: {},
      is_private: false,
      created_at: t0,
      updated_at: t0,
    },
    {
      id: 'crd_2',
      name: 'Åsa Lindqvist',
      description: 'Met at a trade fair',
      handles: [
        { handle: 'asa@lindqvist.example.se', source: 'email' },
        { handle: '+46701234567', source: 'phone' },
      ],
      links: [],
      group_names: [],
      list_names: [],
      custom_fields: {},
      is_private: false,
      created_at: t0,
      updated_at: t0,
    },
  ];
  for (const c of contacts) frontCollections.contacts(store).set(c.id, c as Stored<FrontContact>);
  const customFields: FrontCustomField[] = [
    {
      id: 'fld_1',
      name: 'Product',
      description: 'The plan the customer is on',
      type: 'enum',
      values: ['basic', 'pro', 'enterprise'].map((value) => ({
        value,
        label: value[0]!.toUpperCase() + value.slice(1),
      })),
    },
    { id: 'fld_2', name: 'Region', description: 'Sales region', type: 'string' },
    { id: 'fld_3', name: 'Order number', description: 'Order the conversation is about', type: 'string' },
  ];
  for (const f of customFields)
    frontCollections.conversationCustomFields(store).set(f.id, f as Stored<FrontCustomField>);
  const contactFields: FrontCustomField[] = [
    { id: 'fld_11', name: 'Language', description: 'Language the customer writes in', type: 'string' },
    { id: 'fld_12', name: 'Time zone', description: 'Where the customer is', type: 'string' },
    { id: 'fld_13', name: 'Customer since', description: 'First contact with the company', type: 'datetime' },
    { id: 'fld_14', name: 'Account manager', description: 'Who looks after the account', type: 'string' },
    { id: 'fld_15', name: 'VIP', description: 'Answer first', type: 'boolean' },
  ];
  for (const f of contactFields) frontCollections.contactCustomFields(store).set(f.id, f as Stored<FrontCustomField>);
  frontCollections.conversations(store).set('cnv_1', {
    id: 'cnv_1',
    inbox_id: 'inb_1',
    subject: 'Welcome to Front',
    status: 'archived',
    assignee_id: 'tea_1',
    recipient: { handle: 'existing.customer@example.org', name: 'Existing Customer', role: 'from' },
    tag_ids: ['tag_1'],
    thread_key: null,
    custom_fields: {},
    created_at: t0,
    updated_at: t0,
  });
  frontCollections.messages(store).set('msg_1', {
    id: 'msg_1',
    message_uid: 'seed0000000000000000000000000001',
    external_id: null,
    conversation_id: 'cnv_1',
    inbox_id: 'inb_1',
    type: 'email',
    is_inbound: true,
    created_at: t0,
    subject: 'Welcome to Front',
    body: '<p>Hello, this conversation existed before the migration.</p>',
    body_format: 'html',
    author_id: null,
    sender: { handle: 'existing.customer@example.org', name: 'Existing Customer' },
    to: ['support@example.com'],
    cc: [],
    bcc: [],
    metadata: { is_archived: true, should_skip_rules: true },
  });
}

function authenticate(headers: Record<string, string>, credentials: { tokens: string[] }): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '');
  return Boolean(m && credentials.tokens.includes(m[1]!.trim()));
}

/**
 * Documented parameters the published document declares another way: the contact listing's query object `q`
 * (https://dev.frontapp.com/docs/query-object-q) is declared as one string, but is sent as one bracketed parameter per
 * property, `q[updated_after]` and `q[updated_before]` (seconds, up to 3 decimals).
 */
export const frontSpecPatches: readonly ParameterPatch[] = ['updated_after', 'updated_before'].map((name) => ({
  path: '/contacts',
  method: 'get' as const,
  parameter: { name: `q[${name}]`, in: 'query', schema: { type: 'string', pattern: '^\\d+(\\.\\d{1,3})?$' } },
}));

export const frontSandbox: VendorSandbox = {
  vendor: 'front',
  specFile: 'front.core-api.json',
  specPatches: frontSpecPatches,
  authenticate,
  // https://dev.frontapp.com/docs/rate-limiting: per company, 200 requests/min on Enterprise.
  limits: (rate) => ({
    company: rate === undefined ? { limit: 200, windowMs: 60_000 } : { limit: rate, windowMs: 1000 },
  }),
  bucket: () => 'company',
  isWrite: (_operationId, method) => method !== 'get',
  rateHeaders: (state) => ({
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(Math.ceil(state.resetAt / 1000)),
  }),
  tooManyRequests: ({ resetAt, retryAfterMs }) => ({
    status: 429,
    headers: {
      'retry-after': String(Math.ceil(retryAfterMs / 1000)),
      'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
    },
    body: { _error: { status: 429, title: 'Too Many Requests', message: 'Rate limit exceeded' } },
  }),
  error: (status, message, details) =>
    frontError(
      status,
      message,
      details?.map((d) => `${d.path} ${d.message}`),
    ),
  handlers,
  seed: (store) => seedCompany(store),
  prepare: prepareIndexes,
};
