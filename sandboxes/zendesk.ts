import { pick, seededRandom } from '../common/random';
import type { Handler, RawRoute, SandboxRequest, SandboxResponse, VendorSandbox } from './core/server';
import { GroupIndex, KeyIndex, type RecordMap, type SandboxStore } from './core/store';
import { attachmentStream } from './generate/attachments';
import { generateHelpdesk } from './generate/helpdesk';
import {
  type Stored,
  ZENDESK_CUSTOM_FIELDS,
  zendeskCollections,
  type ZendeskAttachment,
  type ZendeskComment,
  type ZendeskOrganization,
  type ZendeskTicket,
  type ZendeskUser,
} from './zendesk-records';
import type { ParameterPatch } from './core/spec';

/**
 * The Zendesk Support sandbox: a small helpdesk (organizations, users, tickets and their comments) read through
 * the incremental export and ticket comment endpoints of sandboxes/specs/zendesk.support.openapi.yaml, with
 * Zendesk's paging (export cursors, time-based `next_page`, `page[size]`/`page[after]` cursors), its auth (API token
 * as Basic `{email}/token:{api_token}`, or an OAuth bearer), its rate limits (700 requests/min per account, 10/min
 * for incremental exports) and its error bodies.
 */

export {
  ZENDESK_CUSTOM_FIELDS,
  zendeskCollections,
  type ZendeskAttachment,
  type ZendeskComment,
  type ZendeskOrganization,
  type ZendeskTicket,
  type ZendeskUser,
} from './zendesk-records';

// ---------------------------------------------------------------------------------------------------------------
// Errors

class ZendeskError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.description ?? body.error));
  }
}

const invalid = (description: string, error = 'InvalidValue') => new ZendeskError(400, { error, description });
const notFound = () => new ZendeskError(404, { error: 'RecordNotFound', description: 'Not found' });

function guarded(fn: Handler): Handler {
  return async (req, ctx) => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      if (err instanceof ZendeskError) return { status: err.status, body: err.body };
      throw err;
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Paging helpers

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);

function intParam(req: SandboxRequest, name: string, fallback: number, max: number): number {
  const raw = one(req.query[name]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw invalid(`${name} must be a positive integer`);
  return Math.min(n, max);
}

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A ticket's comments in order (created_at, id), from an index kept by the comments collection. */
export function ticketComments(store: SandboxStore, ticketId: number): readonly Stored<ZendeskComment>[] {
  return zendeskCollections
    .comments(store)
    .index(
      'by-ticket',
      () =>
        new GroupIndex<Stored<ZendeskComment>>(
          (c) => String(c.ticket_id),
          (a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id,
        ),
    )
    .of(String(ticketId));
}

/** An export position: after the record with this (updated_at, id). Opaque to clients, as Zendesk's cursors are. */
interface Position {
  t: number;
  id: number;
}

const encodeCursor = (p: Position) => Buffer.from(`${p.t}.${p.id}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): Position {
  const m = /^(\d+)\.(-?\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw invalid('Invalid cursor', 'InvalidPaginationParameter');
  return { t: Number(m[1]), id: Number(m[2]) };
}

/**
 * A collection in export order, (updated_at, id) ascending, with each record's updated_at in seconds beside it:
 * rebuilt only when the collection changed, then every page is a binary search and a slice.
 */
interface ExportOrder<T> {
  records: T[];
  times: Float64Array;
  ids: Float64Array;
}

function exportOrder<T extends { updated_at: string; id: number }>(collection: RecordMap<T>): ExportOrder<T> {
  return collection.view('export-order', (all) => {
    const n = all.size;
    const unsorted: T[] = new Array<T>(n);
    const t = new Float64Array(n);
    let i = 0;
    let tMin = Infinity;
    let tMax = -Infinity;
    for (const r of all.values()) {
      unsorted[i] = r;
      t[i] = epoch(r.updated_at);
      tMin = Math.min(tMin, t[i]!);
      tMax = Math.max(tMax, t[i]!);
      i += 1;
    }
    // A native numeric sort of (second, position) packed in one double, then each run of equal seconds by id:
    // a rebuild of 700k tickets in a fraction of a second instead of two with a comparator.
    const order: number[] = [];
    if (n < 2 ** 23 && tMax - tMin < 2 ** 29) {
      const keys = new Float64Array(n);
      for (let k = 0; k < n; k++) keys[k] = (t[k]! - tMin) * 2 ** 23 + k;
      keys.sort();
      for (let k = 0; k < n; k++) order.push(keys[k]! % 2 ** 23);
      for (let a = 0; a < n;) {
        let b = a + 1;
        while (b < n && t[order[b]!] === t[order[a]!]) b += 1;
        if (b - a > 1) {
          const run = order.slice(a, b).sort((x, y) => unsorted[x]!.id - unsorted[y]!.id);
          for (let k = a; k < b; k++) order[k] = run[k - a]!;
        }
        a = b;
      }
    } else {
      for (let k = 0; k < n; k++) order.push(k);
      order.sort((a, b) => t[a]! - t[b]! || unsorted[a]!.id - unsorted[b]!.id);
    }
    const records: T[] = new Array<T>(n);
    const times = new Float64Array(n);
    const ids = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const r = unsorted[order[k]!]!;
      records[k] = r;
      times[k] = t[order[k]!]!;
      ids[k] = r.id;
    }
    return { records, times, ids };
  });
}

/** The index of the first record strictly after a position. */
function firstAfter(order: ExportOrder<unknown>, p: Position): number {
  let lo = 0;
  let hi = order.records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = order.times[mid]!;
    if (t < p.t || (t === p.t && order.ids[mid]! <= p.id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Up to `perPage` records after `from` that are old enough to export, and whether more of those follow. */
function exportPage<T>(order: ExportOrder<T>, from: Position, perPage: number, horizon: number) {
  const start = firstAfter(order, from);
  let end = start;
  while (end < order.records.length && end - start < perPage && order.times[end]! <= horizon) end += 1;
  const more = end < order.records.length && order.times[end]! <= horizon;
  return { page: order.records.slice(start, end), more };
}

/** The start time of an incremental export: required, and at least one minute in the past (Zendesk's rule). */
function startTime(req: SandboxRequest): number {
  const raw = one(req.query.start_time);
  if (raw === undefined) throw invalid('start_time is required');
  const t = Number(raw);
  if (!Number.isInteger(t) || t < 0) throw invalid('start_time must be a UNIX timestamp in seconds');
  if (t > Math.floor(Date.now() / 1000) - 60)
    throw invalid('Too recent start_time. Use a start_time older than 1 minute');
  return t;
}

/** Cursor-based incremental export (tickets, users): `start_time` first, then `cursor`. */
function cursorExport<T extends { updated_at: string; id: number }>(
  key: string,
  path: string,
  collection: (store: SandboxStore) => RecordMap<T>,
  present: (r: T, baseUrl: string) => unknown,
): Handler {
  return guarded((req, { store, baseUrl }) => {
    const cursor = one(req.query.cursor);
    const perPage = intParam(req, 'per_page', 1000, 1000);
    const from: Position = cursor !== undefined ? decodeCursor(cursor) : { t: startTime(req), id: -1 };
    // Data of the most recent minute is not exported yet.
    const horizon = Math.floor(Date.now() / 1000) - 60;
    const { page, more } = exportPage(exportOrder(collection(store)), from, perPage, horizon);
    const last = page[page.length - 1];
    const afterCursor = encodeCursor(last ? { t: epoch(last.updated_at), id: last.id } : from);
    const beforeCursor = cursor !== undefined ? cursor : null;
    const url = (c: string) => {
      const q = new URLSearchParams({ cursor: c });
      if (req.query.per_page !== undefined) q.set('per_page', String(perPage));
      return `${baseUrl}${path}.json?${q.toString()}`;
    };
    return {
      status: 200,
      body: {
        [key]: page.map((r) => present(r, baseUrl)),
        after_cursor: afterCursor,
        after_url: url(afterCursor),
        before_cursor: beforeCursor,
        before_url: beforeCursor === null ? null : url(beforeCursor),
        end_of_stream: !more,
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Presentation

const presentTicket = (t: ZendeskTicket, baseUrl: string) => ({
  url: `${baseUrl}/api/v2/tickets/${t.id}.json`,
  ...t,
  generated_timestamp: epoch(t.updated_at),
  fields: t.custom_fields,
});

const presentUser = (u: ZendeskUser, baseUrl: string) => ({ url: `${baseUrl}/api/v2/users/${u.id}.json`, ...u });

const presentOrganization = (o: ZendeskOrganization, baseUrl: string) => ({
  url: `${baseUrl}/api/v2/organizations/${o.id}.json`,
  ...o,
});

const presentComment = (c: ZendeskComment, baseUrl: string) => {
  const { ticket_id: _ticket, ...rest } = c;
  return {
    ...rest,
    attachments: c.attachments.map((a) => ({
      url: `${baseUrl}/api/v2/attachments/${a.id}.json`,
      ...a,
      content_url: `${baseUrl}${a.content_url}`,
      mapped_content_url: `${baseUrl}${a.content_url}`,
      thumbnails: [],
    })),
    metadata: { system: { client: 'Tern sandbox', ip_address: '127.0.0.1' }, custom: {} },
  };
};

// ---------------------------------------------------------------------------------------------------------------
// Handlers

const handlers: Record<string, Handler> = {
  IncrementalTicketExportCursor: cursorExport(
    'tickets',
    '/api/v2/incremental/tickets/cursor',
    zendeskCollections.tickets,
    presentTicket,
  ),
  IncrementalUserExportCursor: cursorExport(
    'users',
    '/api/v2/incremental/users/cursor',
    zendeskCollections.users,
    presentUser,
  ),
  // Time-based: records changed at or after start_time; the next page starts at end_time, so the records of that
  // second appear again (Zendesk's documented duplicates at page boundaries).
  IncrementalOrganizationExport: guarded((req, { store, baseUrl }) => {
    const start = startTime(req);
    const perPage = intParam(req, 'per_page', 1000, 1000);
    const horizon = Math.floor(Date.now() / 1000) - 60;
    // Every record of the start second or later: after (start - 1 s, the largest id).
    const { page, more } = exportPage(
      exportOrder(zendeskCollections.organizations(store)),
      { t: start - 1, id: Number.MAX_SAFE_INTEGER },
      perPage,
      horizon,
    );
    const last = page[page.length - 1];
    const endTime = last ? epoch(last.updated_at) : start;
    const q = new URLSearchParams({ start_time: String(endTime) });
    if (req.query.per_page !== undefined) q.set('per_page', String(perPage));
    return {
      status: 200,
      body: {
        organizations: page.map((o) => presentOrganization(o, baseUrl)),
        count: page.length,
        end_time: endTime,
        next_page: `${baseUrl}/api/v2/incremental/organizations.json?${q.toString()}`,
        end_of_stream: !more,
      },
    };
  }),
  // Cursor pagination (`page[size]`, `page[after]`), by position then id, as Zendesk lists macros.
  ListMacros: guarded((req, { store, baseUrl }) => {
    const active = one(req.query.active);
    const macros = [...zendeskCollections.macros(store).values()]
      .filter((m) => active === undefined || String(m.active) === active)
      .sort((a, b) => a.position - b.position || a.id - b.id);
    const size = intParam(req, 'page[size]', 100, 100);
    const afterRaw = one(req.query['page[after]']);
    let start = 0;
    if (afterRaw !== undefined) {
      const id = Number(Buffer.from(afterRaw, 'base64url').toString('utf8'));
      const i = macros.findIndex((m) => m.id === id);
      if (!Number.isInteger(id) || i < 0)
        throw invalid('page[after] is not a valid cursor', 'InvalidPaginationParameter');
      start = i + 1;
    }
    const page = macros.slice(start, start + size);
    const last = page[page.length - 1];
    const after = last ? Buffer.from(String(last.id), 'utf8').toString('base64url') : null;
    const hasMore = start + size < macros.length;
    return {
      status: 200,
      body: {
        macros: page.map((m) => ({ url: `${baseUrl}/api/v2/macros/${m.id}.json`, ...m })),
        meta: { has_more: hasMore, after_cursor: after, before_cursor: null },
        links: {
          next:
            hasMore && after ? `${baseUrl}/api/v2/macros.json?page%5Bsize%5D=${size}&page%5Bafter%5D=${after}` : null,
          prev: null,
        },
      },
    };
  }),
  ListTicketComments: guarded((req, { store, baseUrl }) => {
    const ticketId = Number(req.params.ticket_id);
    const ticket = zendeskCollections.tickets(store).get(String(ticketId));
    // Deleted tickets are only visible through /deleted_tickets and the incremental export.
    if (!ticket || ticket.status === 'deleted') throw notFound();
    const desc = one(req.query.sort) === '-created_at';
    const ascending = ticketComments(store, ticketId);
    const comments = desc ? [...ascending].reverse() : ascending;
    const cursorMode = ['page[size]', 'page[after]', 'page[before]'].some((k) => req.query[k] !== undefined);
    if (!cursorMode) {
      // Offset pagination (the default without page[...] parameters): 100 per page.
      const page = comments.slice(0, 100);
      return {
        status: 200,
        body: {
          comments: page.map((c) => presentComment(c, baseUrl)),
          next_page: null,
          previous_page: null,
          count: comments.length,
        },
      };
    }
    const size = intParam(req, 'page[size]', 100, 100);
    const afterRaw = one(req.query['page[after]']);
    const beforeRaw = one(req.query['page[before]']);
    const indexOf = (cursor: string) => {
      const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
      const i = comments.findIndex((c) => c.id === id);
      if (!Number.isInteger(id) || i < 0)
        throw invalid('page[after] / page[before] is not a valid cursor', 'InvalidPaginationParameter');
      return i;
    };
    let start = 0;
    let end = Math.min(size, comments.length);
    if (afterRaw !== undefined) {
      start = indexOf(afterRaw) + 1;
      end = Math.min(start + size, comments.length);
    } else if (beforeRaw !== undefined) {
      end = indexOf(beforeRaw);
      start = Math.max(0, end - size);
    }
    const page = comments.slice(start, end);
    const cursorOf = (c: ZendeskComment | undefined) =>
      c ? Buffer.from(String(c.id), 'utf8').toString('base64url') : null;
    const afterCursor = cursorOf(page[page.length - 1]);
    const beforeCursor = cursorOf(page[0]);
    const hasMore = end < comments.length;
    const link = (key: string, cursor: string) => {
      const q = new URLSearchParams({ 'page[size]': String(size), [key]: cursor });
      if (desc) q.set('sort', '-created_at');
      return `${baseUrl}/api/v2/tickets/${ticketId}/comments.json?${q.toString()}`;
    };
    return {
      status: 200,
      body: {
        comments: page.map((c) => presentComment(c, baseUrl)),
        meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
        links: {
          next: hasMore && afterCursor ? link('page[after]', afterCursor) : null,
          prev: start > 0 && beforeCursor ? link('page[before]', beforeCursor) : null,
        },
      },
    };
  }),
};

// ---------------------------------------------------------------------------------------------------------------
// Attachment downloads: `content_url` is not part of the API document. Zendesk answers it outside the API (no API
// rate limit); the sandbox streams the attachment's generated bytes directly with a 200.

const TOKEN_OF_URL = /^\/attachments\/token\/([^/]+)\/?/;

/** Comments by the download tokens of their attachments. */
const attachmentsByToken = (store: SandboxStore) =>
  zendeskCollections
    .comments(store)
    .index(
      'by-attachment-token',
      () =>
        new KeyIndex<ZendeskComment>((c) =>
          c.attachments.length === 0
            ? undefined
            : c.attachments.map((a) => TOKEN_OF_URL.exec(a.content_url)?.[1] ?? String(a.id)),
        ),
    );

/** The attachment a `content_url` token names, if any. */
export function findAttachment(store: SandboxStore, token: string): ZendeskAttachment | undefined {
  const comments = zendeskCollections.comments(store);
  const comment = attachmentsByToken(store).find(token, (id) => comments.get(id));
  return comment?.attachments.find((a) => TOKEN_OF_URL.exec(a.content_url)?.[1] === token);
}

const attachmentDownload: RawRoute = {
  name: 'DownloadAttachment',
  method: 'get',
  match: (pathname) => {
    const m = TOKEN_OF_URL.exec(pathname);
    return m && pathname.replace(TOKEN_OF_URL, '') === '' ? { token: decodeURIComponent(m[1]!) } : undefined;
  },
  handle: (req, { store }) => {
    const attachment = findAttachment(store, req.params.token!);
    if (!attachment || attachment.deleted)
      return { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };
    const name = one(req.query.name) ?? attachment.file_name;
    return {
      status: 200,
      headers: {
        'content-type': attachment.content_type,
        'content-length': String(attachment.size),
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      },
      stream: attachmentStream(attachment),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Spec patches: documented parameters the published document leaves out or declares wrongly.

const optionalStartTime = (path: string): ParameterPatch => ({
  path,
  method: 'get',
  // The document marks start_time required, but Zendesk's cursor exports take it on the first call only.
  parameter: { name: 'start_time', in: 'query', schema: { type: 'integer' } },
});

export const zendeskSpecPatches: readonly ParameterPatch[] = [
  // Cursor pagination is documented for macros; the document lists only the filters.
  ...['page[size]', 'page[after]'].map((name): ParameterPatch => ({
    path: '/api/v2/macros',
    method: 'get',
    parameter: {
      name,
      in: 'query',
      schema: name === 'page[size]' ? { type: 'integer', minimum: 1, maximum: 100 } : { type: 'string' },
    },
  })),
  optionalStartTime('/api/v2/incremental/tickets/cursor'),
  {
    path: '/api/v2/incremental/tickets/cursor',
    method: 'get',
    parameter: { name: 'per_page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  },
  optionalStartTime('/api/v2/incremental/users/cursor'),
  ...['page[size]', 'page[after]', 'page[before]', 'sort'].map((name): ParameterPatch => ({
    path: '/api/v2/tickets/{ticket_id}/comments',
    method: 'get',
    parameter: {
      name,
      in: 'query',
      schema:
        name === 'page[size]'
          ? { type: 'integer', minimum: 1, maximum: 100 }
          : name === 'sort'
            ? { type: 'string', enum: ['created_at', '-created_at'] }
            : { type: 'string' },
    },
  })),
];

// ---------------------------------------------------------------------------------------------------------------
// Auth, limits, errors

const TOKEN_SEPARATOR = '/token:';

function authenticate(headers: Record<string, string>, credentials: { tokens: string[] }): boolean {
  const header = headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) {
    const token = bearer[1]!.trim();
    return credentials.tokens.some((t) => t === token || t.split(TOKEN_SEPARATOR)[1] === token);
  }
  const basic = /^Basic\s+(.+)$/i.exec(header);
  if (!basic) return false;
  const decoded = Buffer.from(basic[1]!.trim(), 'base64').toString('utf8');
  const at = decoded.indexOf(TOKEN_SEPARATOR);
  // Password authentication (`email:password`) is not accepted: API tokens only.
  if (at <= 0) return false;
  const secret = decoded.slice(at + TOKEN_SEPARATOR.length);
  return (
    secret.length > 0 && credentials.tokens.some((t) => t === decoded || (!t.includes(TOKEN_SEPARATOR) && t === secret))
  );
}

function zendeskError(status: number, message: string, details?: { path: string; message: string }[]): SandboxResponse {
  if (status === 401) return { status, body: { error: "Couldn't authenticate you" } };
  if (status === 404) return { status, body: { error: 'RecordNotFound', description: 'Not found' } };
  if (status >= 500) return { status, body: { error: 'InternalError', description: message } };
  const byField: Record<string, { description: string; error: string }[]> = {};
  for (const d of details ?? [])
    (byField[d.path] ??= []).push({ description: `${d.path} ${d.message}`, error: 'InvalidValue' });
  return {
    status,
    body: {
      error: 'RecordInvalid',
      description: message,
      details: details?.length ? byField : { base: [{ description: message, error: 'InvalidValue' }] },
    },
  };
}

const isIncremental = (operationId: string) => operationId.startsWith('Incremental');

export const zendeskSandbox: VendorSandbox = {
  vendor: 'zendesk',
  specFile: 'zendesk.support.openapi.yaml',
  specPatches: zendeskSpecPatches,
  specPath: (pathname) => pathname.replace(/\.json$/, ''),
  authenticate,
  // https://developer.zendesk.com/api-reference/introduction/rate-limits: 700/min on Enterprise, 10/min for
  // incremental exports.
  limits: (rate) => ({
    account: rate === undefined ? { limit: 700, windowMs: 60_000 } : { limit: rate, windowMs: 1000 },
    incremental: rate === undefined ? { limit: 10, windowMs: 60_000 } : { limit: rate, windowMs: 1000 },
  }),
  bucket: (operationId) => (isIncremental(operationId) ? 'incremental' : 'account'),
  isWrite: (_operationId, method) => method !== 'get',
  rateHeaders: (state) => {
    const reset = String(Math.max(0, Math.ceil((state.resetAt - Date.now()) / 1000)));
    return {
      'X-Rate-Limit': String(state.limit),
      'X-Rate-Limit-Remaining': String(state.remaining),
      'ratelimit-limit': String(state.limit),
      'ratelimit-remaining': String(state.remaining),
      'ratelimit-reset': reset,
    };
  },
  tooManyRequests: ({ retryAfterMs }) => ({
    status: 429,
    headers: { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) },
    body: { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' },
  }),
  error: zendeskError,
  handlers,
  rawRoutes: [attachmentDownload],
  seed: (store, seed, size) => {
    if (size === undefined) seedHelpdesk(store, seed);
    else generateHelpdesk(store, { tickets: size, seed });
    seedMacros(store, seed);
  },
  prepare: (store) => {
    exportOrder(zendeskCollections.tickets(store));
    exportOrder(zendeskCollections.users(store));
    exportOrder(zendeskCollections.organizations(store));
    ticketComments(store, 0);
    attachmentsByToken(store);
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Seed: a small helpdesk, the same for the same seed.

const FIRST = [
  'Ana',
  'Björn',
  'Chloé',
  'Dmitri',
  'Emeka',
  'Fatima',
  'Giulia',
  'Hiro',
  'Ingrid',
  'José',
  'Kavya',
  'Liam',
  'Mei',
  'Nora',
  'Óscar',
  'Priya',
  'Quentin',
  'Rania',
  'Søren',
  'Tomás',
  'Uma',
  'Vikram',
  'Wen',
  'Yara',
  'Zoë',
];
const LAST = [
  'Ahmed',
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Håkansson',
  'Ito',
  'Jensen',
  'Kowalski',
  'López',
  'Müller',
  'Nakamura',
  "O'Brien",
  'Petrov',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weiß',
];
const ORGS = [
  { name: 'Acme Logistics', domain: 'acme-logistics.example.com' },
  { name: 'Brightwave Media', domain: 'brightwave.example.com' },
  { name: 'Café Müller GmbH', domain: 'cafe-mueller.example.de' },
  { name: 'Northwind Traders', domain: 'northwind.example.com' },
  { name: '東京テック株式会社', domain: 'tokyo-tech.example.jp' },
];
const SUBJECTS = [
  'Cannot log in after password reset',
  'Invoice #{n} shows the wrong VAT',
  'Export to CSV times out',
  'Feature request: dark mode',
  'Order {n} arrived damaged',
  'Bitte Rechnung stornieren',
  'API returns 500 on /orders',
  'How do I add a teammate?',
  'Refund for duplicate charge',
  'Shipping address change — urgent',
  'アカウントの削除について',
  'SSO login loops back to the start page',
];
const PHRASES = [
  'Thanks for reaching out!',
  'Could you send a screenshot of the error?',
  'I have forwarded this to our billing team.',
  'The issue is fixed in the latest release 🎉',
  'Merci beaucoup, ça marche maintenant.',
  'We are still seeing this on our side.',
  'Vielen Dank für die schnelle Hilfe — Grüße aus Köln.',
  'Please see the attached log file.',
  'Internal note: customer is on the legacy plan.',
  'ご連絡ありがとうございます。',
];
const TAGS = ['billing', 'bug', 'vip', 'refund', 'login', 'feature_request', 'shipping', 'api', 'urgent', 'de', 'jp'];
const FILES = [
  { file_name: 'screenshot.png', content_type: 'image/png' },
  { file_name: 'invoice-2021.pdf', content_type: 'application/pdf' },
  { file_name: 'server log (1).txt', content_type: 'text/plain' },
  { file_name: 'Übersicht.xlsx', content_type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
];

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Tickets from 2019-01-01 to 2024-06-30. */
const SEED_FROM = Date.UTC(2019, 0, 1) / 1000;
const SEED_TO = Date.UTC(2024, 5, 30) / 1000;
const DAY = 86_400;

function seedHelpdesk(store: SandboxStore, seed: number): void {
  const random = seededRandom(seed);
  const between = (a: number, b: number) => a + Math.floor(random() * (b - a));
  const orgs = zendeskCollections.organizations(store);
  const users = zendeskCollections.users(store);
  const tickets = zendeskCollections.tickets(store);
  const comments = zendeskCollections.comments(store);

  const orgIds: number[] = [];
  ORGS.forEach((o, i) => {
    const id = 360_000_100_000 + i + 1;
    const created = SEED_FROM - between(30, 400) * DAY;
    orgs.set(String(id), {
      id,
      name: o.name,
      domain_names: [o.domain],
      details: i === 2 ? 'Bäckerei & Café' : null,
      notes: null,
      group_id: null,
      shared_tickets: i % 2 === 0,
      shared_comments: false,
      external_id: i === 0 ? 'LEGACY-ORG-1' : null,
      tags: i === 4 ? ['jp'] : [],
      organization_fields: { account_tier: pick(random, ['gold', 'silver', 'bronze']) },
      created_at: iso(created),
      updated_at: iso(created + between(1, 1500) * DAY),
      deleted_at: null,
    });
    orgIds.push(id);
  });

  const agents: number[] = [];
  const endUsers: number[] = [];
  for (let i = 1; i <= 40; i++) {
    const id = 360_000_200_000 + i;
    // Eight agents (one admin); one agent suspended (left the company); two end users deleted.
    const role: ZendeskUser['role'] = i === 1 ? 'admin' : i <= 8 ? 'agent' : 'end-user';
    const first = FIRST[(i * 7 + seed) % FIRST.length]!;
    const last = LAST[(i * 3 + seed) % LAST.length]!;
    const orgIndex = role === 'end-user' ? i % (ORGS.length + 1) : ORGS.length;
    const organization_id = orgIndex < ORGS.length ? orgIds[orgIndex]! : null;
    const domain = organization_id
      ? ORGS[orgIndex]!.domain
      : role === 'end-user'
        ? 'mail.example.org'
        : 'support.example.com';
    const email = `${first}.${last}.${i}`
      .normalize('NFD')
      .replace(/[\u0300-\u036f']/g, '')
      .replace(/ß/g, 'ss')
      .replace(/ø/g, 'o')
      .toLowerCase();
    const created = SEED_FROM - between(1, 300) * DAY;
    const deleted = i === 20 || i === 33;
    users.set(String(id), {
      id,
      name: `${first} ${last}`,
      email: `${email}@${domain}`,
      role,
      active: !deleted,
      suspended: i === 7,
      verified: !deleted,
      organization_id,
      phone: random() < 0.3 ? `+4930${between(1_000_000, 9_999_999)}` : null,
      time_zone: pick(random, ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']),
      locale: pick(random, ['en-US', 'de', 'fr', 'ja']),
      tags: random() < 0.2 ? ['vip'] : [],
      user_fields: {},
      created_at: iso(created),
      updated_at: iso(created + between(1, 2000) * DAY),
    });
    (role === 'end-user' ? endUsers : agents).push(id);
  }

  let commentId = 360_100_000_000;
  let attachmentId = 360_200_000_000;
  const span = SEED_TO - SEED_FROM;
  for (let n = 1; n <= 200; n++) {
    const id = n;
    const created = SEED_FROM + Math.floor(random() * span);
    const age = (SEED_TO - created) / DAY;
    const requester = pick(random, endUsers);
    const agent = pick(random, agents);
    const status: ZendeskTicket['status'] =
      n === 137
        ? 'deleted'
        : n <= 5
          ? (['new', 'open', 'pending', 'solved', 'closed'] as const)[n - 1]!
          : age > 365
            ? 'closed'
            : pick(random, ['new', 'open', 'open', 'pending', 'solved', 'solved', 'closed'] as const);
    const subject = pick(random, SUBJECTS).replace('{n}', String(between(1000, 99999)));
    const commentCount = between(1, 7);
    let t = created;
    const ticketComments: ZendeskComment[] = [];
    for (let c = 0; c < commentCount; c++) {
      if (c > 0) t += between(60, 5 * DAY);
      const author = c === 0 || random() < 0.4 ? requester : agent;
      const isPublic = c === 0 || author === requester || random() < 0.7;
      const text = c === 0 ? `${subject}. ${pick(random, PHRASES)}` : pick(random, PHRASES);
      const attachments: ZendeskAttachment[] = [];
      if (random() < 0.15) {
        const f = pick(random, FILES);
        attachmentId += 1;
        attachments.push({
          id: attachmentId,
          file_name: f.file_name,
          content_url: `/attachments/token/tok${attachmentId.toString(36)}/?name=${encodeURIComponent(f.file_name)}`,
          content_type: f.content_type,
          size: between(2_000, 2_000_000),
          inline: false,
          deleted: false,
        });
      }
      commentId += 1;
      ticketComments.push({
        id: commentId,
        ticket_id: id,
        type: 'Comment',
        author_id: author,
        body: text,
        html_body: `<div class="zd-comment" dir="auto"><p>${escapeHtml(text)}</p>${random() < 0.3 ? '<p><strong>Best regards</strong><br>Support</p>' : ''}</div>`,
        plain_body: text,
        public: isPublic,
        attachments,
        audit_id: commentId + 1_000_000,
        via: { channel: c === 0 ? pick(random, ['email', 'web', 'api']) : 'web' },
        created_at: iso(t),
      });
    }
    const updated = Math.min(t + between(0, 10 * DAY), SEED_TO + 5 * DAY);
    for (const c of ticketComments) comments.set(String(c.id), c as Stored<ZendeskComment>);
    const tags = TAGS.filter(() => random() < 0.15);
    tickets.set(String(id), {
      id,
      external_id: n % 10 === 0 ? `LEGACY-${n}` : null,
      type: pick(random, ['question', 'incident', 'problem', 'task', null] as const),
      subject,
      raw_subject: subject,
      description: ticketComments[0]!.plain_body,
      priority: pick(random, ['low', 'normal', 'normal', 'high', 'urgent', null] as const),
      status,
      requester_id: requester,
      submitter_id: requester,
      assignee_id: status === 'new' ? null : agent,
      organization_id: users.get(String(requester))!.organization_id,
      group_id: 360_000_300_001,
      collaborator_ids: random() < 0.1 ? [pick(random, endUsers)] : [],
      tags,
      custom_fields: [
        { id: ZENDESK_CUSTOM_FIELDS.product, value: pick(random, ['basic', 'pro', 'enterprise', null]) },
        { id: ZENDESK_CUSTOM_FIELDS.region, value: pick(random, ['emea', 'amer', 'apac']) },
        { id: ZENDESK_CUSTOM_FIELDS.orderNumber, value: random() < 0.5 ? String(between(100000, 999999)) : null },
      ],
      via: { channel: ticketComments[0]!.via.channel },
      has_incidents: false,
      is_public: ticketComments.some((c) => c.public),
      created_at: iso(created),
      updated_at: iso(updated),
    });
  }
}

/** The account's macros: canned replies (some in HTML, some inactive), the same for the same seed. */
function seedMacros(store: SandboxStore, seed: number): void {
  const random = seededRandom(seed ^ 0x3ac0);
  const macros = zendeskCollections.macros(store);
  const replies = [
    ['Ask for a screenshot', 'Could you send us a screenshot of the error, please?'],
    ['Close: fixed in release', 'The issue is fixed in the latest release 🎉 — please update and let us know.'],
    ['Billing: forwarded', '<p>I have forwarded this to our <strong>billing team</strong>.</p>'],
    ['Refund issued', 'We have issued a refund; it shows on your statement within 5–10 days.'],
    ['Bitte um Geduld', 'Vielen Dank für Ihre Geduld — wir melden uns in Kürze.'],
    ['Merci', 'Merci beaucoup pour votre message, nous revenons vers vous rapidement.'],
    ['お問い合わせありがとうございます', 'ご連絡ありがとうございます。担当者より折り返しご連絡いたします。'],
    ['Escalate to tier 2', 'I am escalating this to our tier 2 team, who will follow up today.'],
    ['Password reset steps', '1. Open the login page\n2. Click "Forgot password"\n3. Follow the link we email you'],
    ['Shipping delay', 'Your order is delayed by the carrier; the new delivery date is in your tracking link.'],
    ['Legacy: old plan', 'This answer was for the 2014 plan and is no longer used.'],
    ['Status only: solve', ''],
  ];
  replies.forEach(([title, body], i) => {
    const id = 360_300_000_000 + i + 1;
    const created = Date.UTC(2015, 0, 1) / 1000 + Math.floor(random() * 8 * 365 * 86_400);
    const html = body!.startsWith('<p>');
    const actions: { field: string; value: unknown }[] = [];
    if (body) actions.push({ field: html ? 'comment_value_html' : 'comment_value', value: body });
    if (i % 3 === 1 || title === 'Status only: solve') actions.push({ field: 'status', value: 'solved' });
    if (i % 4 === 2) actions.push({ field: 'priority', value: 'high' });
    macros.set(String(id), {
      id,
      title: title!,
      description: i % 2 === 0 ? `Canned reply: ${title!}` : null,
      active: title !== 'Legacy: old plan',
      position: i + 1,
      actions,
      restriction: i === 7 ? { type: 'Group', id: 360_000_300_001 } : null,
      created_at: new Date(created * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      updated_at: new Date((created + 86_400) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  });
}
