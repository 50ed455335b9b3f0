import { ConfigError } from '../../common/errors';
import type { VendorClient } from '../kit/http';
import type { ChangeReader, SourceItem, SourceReader } from '../source';

/**
 * Zendesk Support as a source. Objects read one resource each:
 *
 * - `users`: the incremental user export (end users and agents, active or not, suspended or deleted);
 * - `organizations`: the incremental organization export (time-based; its page-boundary repeats dropped);
 * - `tickets`: the incremental ticket export (cursor, from the start of time to `end_of_stream`), each ticket
 *   flattened: requester and assignee emails and whether they are still active, custom field values as
 *   `field_<id>`, tags as a list. Deleted tickets are not part of the source any more: a delta deletes them.
 * - `comments`: every comment of every (not deleted) ticket, public replies and private notes, with its
 *   author (email, name, role, active), its ticket (subject, requester), its direction and its attachments.
 *
 * - `macros`: canned replies, their reply as HTML (`body_html`) and, apart, the ticket actions a Front message
 *   template cannot carry (`actions_note`).
 *
 * Cursors resume at the export page and the ticket within it: a crashed extract re-reads at most one page.
 */

export const ZENDESK_RESOURCES = ['users', 'organizations', 'tickets', 'comments', 'macros'] as const;
export type ZendeskResource = (typeof ZENDESK_RESOURCES)[number];

export interface ZendeskClients {
  /** The account's API budget. */
  api: VendorClient;
  /** Incremental exports, limited apart (10 requests per minute). */
  exports: VendorClient;
}

export interface User {
  id: number;
  name: string;
  email: string | null;
  role: string;
  active: boolean;
  suspended: boolean;
  organization_id: number | null;
  phone: string | null;
  time_zone: string | null;
  locale: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
}

export interface Ticket {
  id: number;
  external_id: string | null;
  type: string | null;
  subject: string;
  description: string;
  priority: string | null;
  status: string;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  group_id: number | null;
  tags: string[];
  custom_fields: { id: number; value: unknown }[];
  via?: { channel?: string };
  created_at: string;
  updated_at: string;
}

export interface Comment {
  id: number;
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  attachments: { id: number; file_name: string; content_url: string; content_type: string; size: number }[];
  via?: { channel?: string };
  created_at: string;
}

interface Position {
  /** The export cursor of the page (absent: the first page). */
  page?: string;
  /** Items of that page already read. */
  done: number;
}

const decode = (cursor: string | null): Position => (cursor ? (JSON.parse(cursor) as Position) : { done: 0 });
const encode = (p: Position) => JSON.stringify(p);

/** Pages of an incremental cursor export, with the position of each item. */
async function* cursorExport<T>(
  client: VendorClient,
  path: string,
  key: string,
  pageSize: number,
  from: Position,
  startTime = 0,
): AsyncGenerator<{ item: T; after: Position; index: number; page: string | undefined }> {
  let page = from.page;
  let skip = from.done;
  for (;;) {
    const res = await client.request<Record<string, unknown> & { after_cursor: string | null; end_of_stream: boolean }>(
      {
        method: 'get',
        url: path,
        params:
          page === undefined ? { start_time: startTime, per_page: pageSize } : { cursor: page, per_page: pageSize },
        operation: `export ${key}`,
      },
    );
    const items = (res.data[key] as T[] | undefined) ?? [];
    for (let i = skip; i < items.length; i++) yield { item: items[i]!, after: { page, done: i + 1 }, index: i, page };
    skip = 0;
    if (res.data.end_of_stream || !res.data.after_cursor || res.data.after_cursor === page) return;
    page = res.data.after_cursor;
  }
}

/** Every user by id (for authors, requesters and assignees), read once per extract. */
async function usersById(clients: ZendeskClients, pageSize: number): Promise<Map<number, User>> {
  const out = new Map<number, User>();
  for await (const { item } of cursorExport<User>(
    clients.exports,
    '/api/v2/incremental/users/cursor.json',
    'users',
    Math.min(pageSize, 1000),
    { done: 0 },
  ))
    out.set(item.id, item);
  return out;
}

function userRecord(u: User): Record<string, unknown> {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    role: u.role,
    active: u.active,
    suspended: u.suspended,
    organization_id: u.organization_id,
    phone: u.phone,
    time_zone: u.time_zone,
    locale: u.locale,
    tags: u.tags,
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}

function ticketRecord(t: Ticket, users: Map<number, User>): Record<string, unknown> {
  const requester = users.get(t.requester_id);
  const assignee = t.assignee_id === null ? undefined : users.get(t.assignee_id);
  const record: Record<string, unknown> = {
    id: t.id,
    external_id: t.external_id,
    subject: t.subject,
    description: t.description,
    status: t.status,
    priority: t.priority,
    type: t.type,
    requester_id: t.requester_id,
    requester_email: requester?.email ?? null,
    requester_name: requester?.name ?? null,
    assignee_id: t.assignee_id,
    assignee_email: assignee?.email ?? null,
    assignee_name: assignee?.name ?? null,
    assignee_active: assignee ? assignee.active && !assignee.suspended : null,
    organization_id: t.organization_id,
    group_id: t.group_id,
    tags: t.tags,
    via_channel: t.via?.channel ?? null,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
  for (const f of t.custom_fields) record[`field_${f.id}`] = f.value ?? null;
  return record;
}

export function commentRecord(c: Comment, ticket: Ticket, users: Map<number, User>): Record<string, unknown> {
  const author = users.get(c.author_id);
  const requester = users.get(ticket.requester_id);
  const inbound = author ? author.role === 'end-user' : c.author_id === ticket.requester_id;
  return {
    id: c.id,
    ticket_id: ticket.id,
    ticket_subject: ticket.subject,
    ticket_created_at: ticket.created_at,
    ticket_updated_at: ticket.updated_at,
    public: c.public,
    author_id: c.author_id,
    author_email: author?.email ?? null,
    author_name: author?.name ?? null,
    author_role: author?.role ?? null,
    author_active: author ? author.active && !author.suspended : null,
    requester_email: requester?.email ?? null,
    requester_name: requester?.name ?? null,
    direction: inbound ? 'inbound' : 'outbound',
    /** Who the message went to when an agent wrote it (the requester); null for the customer's own. */
    counterpart_email: inbound ? null : (requester?.email ?? null),
    html_body: c.html_body,
    plain_body: c.plain_body,
    via_channel: c.via?.channel ?? null,
    attachment_count: c.attachments.length,
    attachments: c.attachments.map((a) => ({
      id: a.id,
      file_name: a.file_name,
      content_type: a.content_type,
      size: a.size,
      content_url: a.content_url,
    })),
    created_at: c.created_at,
  };
}

/** The comments of one ticket, oldest first, through cursor paging. */
async function ticketComments(client: VendorClient, ticketId: number): Promise<Comment[] | null> {
  const out: Comment[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await client.request<{ comments: Comment[]; meta: { has_more: boolean; after_cursor: string | null } }>(
      {
        method: 'get',
        url: `/api/v2/tickets/${ticketId}/comments.json`,
        params: { 'page[size]': 100, ...(after ? { 'page[after]': after } : {}) },
        operation: 'list ticket comments',
        accept: [404],
      },
    );
    // Deleted between the export and now: it leaves the source with its comments.
    if (res.status === 404) return null;
    out.push(...res.data.comments);
    if (!res.data.meta.has_more || !res.data.meta.after_cursor) return out;
    after = res.data.meta.after_cursor;
  }
}

export interface Macro {
  id: number;
  title: string;
  description: string | null;
  active: boolean;
  actions: { field: string; value: unknown }[];
  created_at: string;
  updated_at: string;
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function macroRecord(m: Macro): Record<string, unknown> {
  const html = m.actions.find((a) => a.field === 'comment_value_html')?.value;
  const text = m.actions.find((a) => a.field === 'comment_value')?.value;
  const others = m.actions.filter((a) => a.field !== 'comment_value_html' && a.field !== 'comment_value');
  return {
    id: m.id,
    title: m.title,
    description: m.description,
    active: m.active,
    body_html:
      typeof html === 'string' && html.trim() !== ''
        ? html
        : typeof text === 'string' && text.trim() !== ''
          ? `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`
          : null,
    actions_note:
      others.length === 0
        ? null
        : `<p><em>In Zendesk this macro also set: ${others.map((a) => `${escapeHtml(a.field)} ${escapeHtml(JSON.stringify(a.value))}`).join(', ')}</em></p>`,
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
}

/** A reader for one Zendesk resource. */
export function zendeskSourceReader(
  clients: ZendeskClients,
  resource: string,
  options: { pageSize: number; object: string },
): SourceReader {
  if (!(ZENDESK_RESOURCES as readonly string[]).includes(resource))
    throw new ConfigError(
      `object "${options.object}": source.resource "${resource}" is not a Zendesk resource Tern reads`,
      `set source.resource to one of ${ZENDESK_RESOURCES.join(', ')}`,
    );
  const pageSize = options.pageSize;
  return async function* read(cursor): AsyncGenerator<SourceItem> {
    const from = decode(cursor);
    switch (resource as ZendeskResource) {
      case 'users':
        for await (const { item, after } of cursorExport<User>(
          clients.exports,
          '/api/v2/incremental/users/cursor.json',
          'users',
          pageSize,
          from,
        ))
          yield { kind: 'record', position: `user ${item.id}`, cursor: encode(after), record: userRecord(item) };
        return;
      case 'organizations': {
        // Time-based: each page starts at the previous page's end time, so the records of that second repeat.
        const seen = new Set<number>();
        let start = from.page === undefined ? 0 : Number(from.page);
        for (;;) {
          const res = await clients.exports.request<{
            organizations: Record<string, unknown>[];
            end_time: number;
            end_of_stream: boolean;
          }>({
            method: 'get',
            url: '/api/v2/incremental/organizations.json',
            params: { start_time: start },
            operation: 'export organizations',
          });
          for (const org of res.data.organizations) {
            const id = Number(org.id);
            if (seen.has(id)) continue;
            seen.add(id);
            const { url: _url, ...record } = org;
            yield {
              kind: 'record',
              position: `organization ${id}`,
              cursor: encode({ page: String(start), done: 0 }),
              record,
            };
          }
          if (res.data.end_of_stream || res.data.end_time === start) return;
          start = res.data.end_time;
        }
      }
      case 'tickets': {
        const users = await usersById(clients, pageSize);
        for await (const { item, after } of cursorExport<Ticket>(
          clients.exports,
          '/api/v2/incremental/tickets/cursor.json',
          'tickets',
          pageSize,
          from,
        )) {
          if (item.status === 'deleted') continue;
          yield {
            kind: 'record',
            position: `ticket ${item.id}`,
            cursor: encode(after),
            record: ticketRecord(item, users),
          };
        }
        return;
      }
      case 'macros': {
        let after = from.page;
        let skip = from.done;
        for (;;) {
          const res = await clients.api.request<{
            macros: Macro[];
            meta: { has_more: boolean; after_cursor: string | null };
          }>({
            method: 'get',
            url: '/api/v2/macros.json',
            params: { 'page[size]': 100, ...(after ? { 'page[after]': after } : {}) },
            operation: 'list macros',
          });
          const macros = res.data.macros;
          for (let i = skip; i < macros.length; i++)
            yield {
              kind: 'record',
              position: `macro ${macros[i]!.id}`,
              cursor: encode({ page: after, done: i + 1 }),
              record: macroRecord(macros[i]!),
            };
          skip = 0;
          if (!res.data.meta.has_more || !res.data.meta.after_cursor) return;
          after = res.data.meta.after_cursor;
        }
      }
      case 'comments': {
        const users = await usersById(clients, pageSize);
        for await (const { item: ticket, page, index } of cursorExport<Ticket>(
          clients.exports,
          '/api/v2/incremental/tickets/cursor.json',
          'tickets',
          pageSize,
          from,
        )) {
          if (ticket.status === 'deleted') continue;
          const comments = await ticketComments(clients.api, ticket.id);
          if (comments === null) continue;
          // Resuming starts again at this ticket: its comments keep their positions, so none is staged twice.
          const resume = encode({ page, done: index });
          for (const c of comments)
            yield {
              kind: 'record',
              position: `ticket ${ticket.id} comment ${c.id}`,
              cursor: resume,
              record: commentRecord(c, ticket, users),
            };
        }
        return;
      }
    }
  };
}

/**
 * Only what changed since an instant, from the incremental exports: users, organizations and tickets changed
 * since (a deleted ticket is a deletion), the comments of every ticket changed since (a deleted ticket deletes
 * its comments). Macros have no change feed: undefined, and a delta reads them whole.
 */
export function zendeskChangeReader(
  clients: ZendeskClients,
  resource: string,
  options: { pageSize: number; object: string },
): ChangeReader | undefined {
  if (resource === 'macros') return undefined;
  const read = zendeskSourceReader(clients, resource, options);
  const pageSize = options.pageSize;
  return async function* changes(since) {
    // Zendesk exports nothing newer than a minute ago, and refuses a start time that recent.
    const start = Math.max(0, Math.min(Math.floor(since.getTime() / 1000), Math.floor(Date.now() / 1000) - 61));
    switch (resource as ZendeskResource) {
      case 'users':
        for await (const { item } of cursorExport<User>(
          clients.exports,
          '/api/v2/incremental/users/cursor.json',
          'users',
          pageSize,
          { done: 0 },
          start,
        ))
          yield { kind: 'record', position: `user ${item.id}`, cursor: '', record: userRecord(item) };
        return;
      case 'organizations':
        // Small and time-based: read whole (its reader drops the repeats at page boundaries).
        yield* read(null);
        return;
      case 'tickets':
      case 'comments': {
        const users = await usersById(clients, pageSize);
        for await (const { item: ticket } of cursorExport<Ticket>(
          clients.exports,
          '/api/v2/incremental/tickets/cursor.json',
          'tickets',
          pageSize,
          { done: 0 },
          start,
        )) {
          const position = `ticket ${ticket.id}`;
          const comments =
            ticket.status === 'deleted'
              ? null
              : resource === 'comments'
                ? await ticketComments(clients.api, ticket.id)
                : [];
          if (comments === null) {
            yield resource === 'tickets'
              ? { kind: 'deleted', position, sourceId: String(ticket.id) }
              : { kind: 'deleted', position, field: 'ticket_id', value: String(ticket.id) };
            continue;
          }
          if (resource === 'tickets') {
            yield { kind: 'record', position, cursor: '', record: ticketRecord(ticket, users) };
            continue;
          }
          for (const c of comments)
            yield {
              kind: 'record',
              position: `ticket ${ticket.id} comment ${c.id}`,
              cursor: '',
              record: commentRecord(c, ticket, users),
            };
        }
        return;
      }
    }
  };
}
