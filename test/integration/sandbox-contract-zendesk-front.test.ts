import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { zendeskCollections, zendeskSandbox } from '../../sandboxes/zendesk';

/**
 * The Zendesk and Front sandboxes over real HTTP: every implemented route answers in the vendor's shape, requests
 * that break the vendor's spec are refused and recorded, credentials and rate limits are enforced with the vendor's
 * headers, and paging walks every record exactly once.
 */

const ZENDESK_BASIC = `Basic ${Buffer.from('agent@example.com/token:zendesk-sandbox-token').toString('base64')}`;
const FRONT_BEARER = 'Bearer front-sandbox-token';

function client(baseURL: string, authorization?: string): AxiosInstance {
  return axios.create({
    baseURL,
    validateStatus: () => true,
    headers: authorization ? { authorization } : {},
  });
}

/* Typed asymmetric matchers (jest's return `any`). */
const anyString = expect.any(String) as string;
const anyNumber = expect.any(Number) as number;
const anyBoolean = expect.any(Boolean) as boolean;
const anyArray = expect.any(Array) as unknown[];
const anyObject = expect.any(Object) as object;
const containing = (text: string) => expect.stringContaining(text) as string;
const matching = (re: RegExp) => expect.stringMatching(re) as string;

type Json = Record<string, unknown>;
const body = (r: AxiosResponse) => r.data as Json;

/** Sends requests until the sandbox answers 429 (bounded), returning that response. */
async function until429(send: () => Promise<AxiosResponse>): Promise<AxiosResponse> {
  for (let i = 0; i < 200; i++) {
    const responses = await Promise.all([send(), send(), send(), send()]);
    const limited = responses.find((r) => r.status === 429);
    if (limited) return limited;
  }
  throw new Error('the rate limiter never answered 429');
}

describe('Zendesk sandbox contract', () => {
  let sb: RunningSandbox;
  let zd: AxiosInstance;

  beforeAll(async () => {
    // A generous rate so the walks below are not throttled (the rate-limit test uses its own sandbox).
    sb = await startSandbox(zendeskSandbox, { seed: 7, rate: 1000 });
    zd = client(sb.url, ZENDESK_BASIC);
  });
  afterAll(() => sb.close());

  test('the seed is a small, deterministic helpdesk', async () => {
    const tickets = [...zendeskCollections.tickets(sb.store).values()];
    const users = [...zendeskCollections.users(sb.store).values()];
    expect(zendeskCollections.organizations(sb.store).size).toBe(5);
    expect(users).toHaveLength(40);
    expect(tickets).toHaveLength(200);
    expect(tickets.filter((t) => t.status === 'deleted')).toHaveLength(1);
    expect(new Set(tickets.map((t) => t.status))).toEqual(
      new Set(['new', 'open', 'pending', 'solved', 'closed', 'deleted']),
    );
    expect(users.some((u) => u.role !== 'end-user' && u.suspended)).toBe(true);
    expect(users.filter((u) => u.role === 'end-user' && !u.active)).toHaveLength(2);
    const comments = [...zendeskCollections.comments(sb.store).values()];
    expect(comments.some((c) => !c.public)).toBe(true);
    expect(comments.some((c) => c.attachments.length > 0)).toBe(true);
    const again = await startSandbox(zendeskSandbox, { seed: 7 });
    try {
      expect(again.store.fingerprint()).toBe(sb.store.fingerprint());
    } finally {
      await again.close();
    }
  });

  test('incremental ticket export walks every ticket exactly once to end_of_stream (.json form)', async () => {
    const seen: { id: number; updated_at: string; status: string }[] = [];
    let r = await zd.get('/api/v2/incremental/tickets/cursor.json', { params: { start_time: 0, per_page: 30 } });
    let pages = 0;
    for (;;) {
      expect(r.status).toBe(200);
      const page = body(r);
      expect(Object.keys(page).sort()).toEqual([
        'after_cursor',
        'after_url',
        'before_cursor',
        'before_url',
        'end_of_stream',
        'tickets',
      ]);
      expect(typeof page.after_cursor).toBe('string');
      expect(String(page.after_url).startsWith(`${sb.url}/api/v2/incremental/tickets/cursor.json?`)).toBe(true);
      if (pages > 0) expect(typeof page.before_url).toBe('string');
      seen.push(...(page.tickets as { id: number; updated_at: string; status: string }[]));
      pages += 1;
      if (page.end_of_stream === true) break;
      expect(pages).toBeLessThan(20);
      r = await zd.get(String(page.after_url));
    }
    expect(pages).toBe(7);
    const ids = seen.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort((a, b) => a - b)).toEqual(
      [...zendeskCollections.tickets(sb.store).keys()].map(Number).sort((a, b) => a - b),
    );
    expect(seen.filter((t) => t.status === 'deleted')).toHaveLength(1);
    // Ordered by updated_at, then id, across pages.
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      expect(a.updated_at < b.updated_at || (a.updated_at === b.updated_at && a.id < b.id)).toBe(true);
    }
  });

  test('incremental ticket export without the .json suffix, with start_time filtering and ticket shape', async () => {
    const all = [...zendeskCollections.tickets(sb.store).values()].sort((a, b) =>
      a.updated_at.localeCompare(b.updated_at),
    );
    const pivot = all[150]!;
    const start = Math.floor(Date.parse(pivot.updated_at) / 1000);
    const r = await zd.get('/api/v2/incremental/tickets/cursor', { params: { start_time: start } });
    expect(r.status).toBe(200);
    const page = body(r);
    const tickets = page.tickets as Json[];
    expect(page.end_of_stream).toBe(true);
    expect(page.before_cursor).toBeNull();
    expect(tickets).toHaveLength(all.filter((t) => Date.parse(t.updated_at) / 1000 >= start).length);
    const t = tickets[0]!;
    expect(t).toMatchObject({
      id: anyNumber,
      subject: anyString,
      status: anyString,
      tags: anyArray,
    });
    expect(t.url).toBe(`${sb.url}/api/v2/tickets/${String(t.id)}.json`);
    expect((t.custom_fields as unknown[]).length).toBeGreaterThan(0);
    expect(t.custom_fields).toEqual(expect.arrayContaining([expect.objectContaining({ id: anyNumber })]) as unknown);
    // The after cursor of the last page resumes with nothing new.
    const resumed = await zd.get('/api/v2/incremental/tickets/cursor', { params: { cursor: page.after_cursor } });
    expect(resumed.status).toBe(200);
    expect(body(resumed)).toMatchObject({ tickets: [], end_of_stream: true });
  });

  test('incremental user export walks every user, agents and deleted users included', async () => {
    const ids: number[] = [];
    let r = await zd.get('/api/v2/incremental/users/cursor.json', { params: { start_time: 0, per_page: 15 } });
    for (let pages = 0; ; pages++) {
      expect(r.status).toBe(200);
      const page = body(r);
      ids.push(...(page.users as { id: number }[]).map((u) => u.id));
      if (page.end_of_stream === true) break;
      expect(pages).toBeLessThan(10);
      r = await zd.get(String(page.after_url));
    }
    expect(ids).toHaveLength(40);
    expect(new Set(ids)).toEqual(new Set([...zendeskCollections.users(sb.store).keys()].map(Number)));
  });

  test('incremental organization export is time-based: next_page, end_time, end_of_stream', async () => {
    const ids = new Set<number>();
    let r = await zd.get('/api/v2/incremental/organizations.json', { params: { start_time: 0, per_page: 2 } });
    for (let pages = 0; ; pages++) {
      expect(r.status).toBe(200);
      const page = body(r);
      expect(page).toMatchObject({
        end_time: anyNumber,
        next_page: containing(`${sb.url}/api/v2/incremental/organizations.json?start_time=`),
      });
      for (const o of page.organizations as { id: number }[]) ids.add(o.id);
      if (page.end_of_stream === true) break;
      expect(pages).toBeLessThan(10);
      r = await zd.get(String(page.next_page));
    }
    expect(ids).toEqual(new Set([...zendeskCollections.organizations(sb.store).keys()].map(Number)));
  });

  test('ticket comments page with page[size] / page[after], ascending by created_at', async () => {
    const comments = [...zendeskCollections.comments(sb.store).values()];
    const ticketId = [...zendeskCollections.tickets(sb.store).values()].find(
      (t) => t.status !== 'deleted' && comments.filter((c) => c.ticket_id === t.id).length >= 5,
    )!.id;
    const expected = comments
      .filter((c) => c.ticket_id === ticketId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id)
      .map((c) => c.id);
    const walked: number[] = [];
    let r = await zd.get(`/api/v2/tickets/${ticketId}/comments.json`, { params: { 'page[size]': 2 } });
    for (let pages = 0; ; pages++) {
      expect(r.status).toBe(200);
      const page = body(r) as { comments: { id: number }[]; meta: Json; links: Json };
      expect(page.meta).toMatchObject({
        has_more: anyBoolean,
        after_cursor: anyString,
        before_cursor: anyString,
      });
      walked.push(...page.comments.map((c) => c.id));
      if (pages > 0) expect(page.links.prev).toEqual(containing('page%5Bbefore%5D='));
      if (page.meta.has_more !== true) {
        expect(page.links.next).toBeNull();
        break;
      }
      expect(pages).toBeLessThan(10);
      r = await zd.get(String(page.links.next));
    }
    expect(walked).toEqual(expected);
    // Without page[...] parameters: offset pagination, all of a ticket's comments on one page.
    const plain = await zd.get(`/api/v2/tickets/${ticketId}/comments`);
    expect(plain.status).toBe(200);
    expect(body(plain)).toMatchObject({ count: expected.length, next_page: null });
  });

  test('comments carry HTML bodies and attachment metadata with an absolute content_url', async () => {
    const withAttachment = [...zendeskCollections.comments(sb.store).values()].find(
      (c) =>
        c.attachments.length > 0 && zendeskCollections.tickets(sb.store).get(String(c.ticket_id))!.status !== 'deleted',
    )!;
    const r = await zd.get(`/api/v2/tickets/${withAttachment.ticket_id}/comments.json`, {
      params: { 'page[size]': 100 },
    });
    expect(r.status).toBe(200);
    const comment = (body(r).comments as Json[]).find((c) => c.id === withAttachment.id)!;
    expect(comment).toMatchObject({
      html_body: containing('<p>'),
      public: anyBoolean,
      author_id: anyNumber,
    });
    expect(comment).not.toHaveProperty('ticket_id');
    const attachment = (comment.attachments as Json[])[0]!;
    expect(attachment).toMatchObject({
      file_name: anyString,
      content_type: anyString,
      size: anyNumber,
    });
    expect(String(attachment.content_url).startsWith(`${sb.url}/attachments/token/`)).toBe(true);
  });

  test('comments of a deleted or unknown ticket are 404 RecordNotFound', async () => {
    const deleted = [...zendeskCollections.tickets(sb.store).values()].find((t) => t.status === 'deleted')!;
    for (const id of [deleted.id, 999999]) {
      const r = await zd.get(`/api/v2/tickets/${id}/comments.json`);
      expect(r.status).toBe(404);
      expect(r.data).toEqual({ error: 'RecordNotFound', description: 'Not found' });
    }
  });

  test('requests that break the spec are 400 RecordInvalid and recorded as spec violations', async () => {
    const before = sb.stats().specViolations.length;
    const bad = await zd.get('/api/v2/incremental/tickets/cursor.json', { params: { start_time: 'abc' } });
    expect(bad.status).toBe(400);
    expect(body(bad)).toMatchObject({
      error: 'RecordInvalid',
      description: anyString,
      details: anyObject,
    });
    const tooBig = await zd.get('/api/v2/tickets/1/comments.json', { params: { 'page[size]': 500 } });
    expect(tooBig.status).toBe(400);
    const unknownParam = await zd.get('/api/v2/incremental/organizations.json', {
      params: { start_time: 0, cursor: 'x' },
    });
    expect(unknownParam.status).toBe(400);
    const violations = sb.stats().specViolations.slice(before);
    expect(violations.map((v) => v.operation)).toEqual([
      'IncrementalTicketExportCursor',
      'ListTicketComments',
      'IncrementalOrganizationExport',
    ]);
    // Zendesk's own rules beyond the document: a first call needs start_time, at least a minute in the past.
    const noStart = await zd.get('/api/v2/incremental/tickets/cursor.json');
    expect(noStart.status).toBe(400);
    const tooRecent = await zd.get('/api/v2/incremental/tickets/cursor.json', {
      params: { start_time: Math.floor(Date.now() / 1000) },
    });
    expect(tooRecent.status).toBe(400);
    const badCursor = await zd.get('/api/v2/incremental/tickets/cursor.json', { params: { cursor: 'not-a-cursor' } });
    expect(badCursor.status).toBe(400);
    expect(sb.stats().specViolations.length - before).toBe(3);
  });

  test('unknown routes are 404 and recorded', async () => {
    const r = await zd.get('/api/v2/nothing-here.json');
    expect(r.status).toBe(404);
    expect(sb.stats().unknownRoutes).toContain('GET /api/v2/nothing-here.json');
  });
});

describe('Zendesk sandbox auth and rate limits', () => {
  let sb: RunningSandbox;

  beforeAll(async () => {
    sb = await startSandbox(zendeskSandbox, {
      seed: 1,
      credentials: { tokens: ['zendesk-sandbox-token', 'admin@example.com/token:pair-secret'] },
    });
  });
  afterAll(() => sb.close());

  test('401 without or with wrong credentials; API tokens as Basic, OAuth as Bearer', async () => {
    const path = '/api/v2/tickets/1/comments.json';
    const before = sb.stats().unauthorized;
    const none = await client(sb.url).get(path);
    expect(none.status).toBe(401);
    expect(none.data).toEqual({ error: "Couldn't authenticate you" });
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    for (const wrong of [
      basic('agent@example.com/token:nope'),
      basic('agent@example.com:zendesk-sandbox-token'),
      basic('someone@example.com/token:pair-secret'),
      'Bearer nope',
    ]) {
      expect((await client(sb.url, wrong).get(path)).status).toBe(401);
    }
    expect(sb.stats().unauthorized - before).toBe(5);
    for (const right of [
      ZENDESK_BASIC,
      basic('other@example.com/token:zendesk-sandbox-token'),
      basic('admin@example.com/token:pair-secret'),
      'Bearer zendesk-sandbox-token',
    ]) {
      expect((await client(sb.url, right).get(path)).status).toBe(200);
    }
  });

  test('documented limits by default: 700/min for the account, 10/min for incremental exports', async () => {
    const zd = client(sb.url, ZENDESK_BASIC);
    const comments = await zd.get('/api/v2/tickets/1/comments.json');
    expect(comments.headers['x-rate-limit']).toBe('700');
    expect(comments.headers['ratelimit-limit']).toBe('700');
    expect(Number(comments.headers['x-rate-limit-remaining'])).toBeLessThan(700);
    expect(comments.headers['ratelimit-remaining']).toBe(comments.headers['x-rate-limit-remaining']);
    expect(Number(comments.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(0);
    expect(Number(comments.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
    const exported = await zd.get('/api/v2/incremental/organizations.json', { params: { start_time: 0 } });
    expect(exported.headers['x-rate-limit']).toBe('10');
  });

  test('429 with Retry-After seconds and X-Rate-Limit-Remaining 0 when the configured rate is exceeded', async () => {
    const limited = await startSandbox(zendeskSandbox, { seed: 1, rate: 2 });
    try {
      const zd = client(limited.url, ZENDESK_BASIC);
      const r = await until429(() => zd.get('/api/v2/tickets/1/comments.json'));
      expect(r.data).toEqual({
        error: 'APIRateLimitExceeded',
        description: 'Number of allowed API requests per minute exceeded',
      });
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(1);
      expect(r.headers['x-rate-limit']).toBe('2');
      expect(r.headers['x-rate-limit-remaining']).toBe('0');
      expect(limited.stats().rateLimited).toBeGreaterThan(0);
      // Incremental exports have their own bucket, also at the configured rate.
      const e = await until429(() => zd.get('/api/v2/incremental/organizations.json', { params: { start_time: 0 } }));
      expect(e.headers['x-rate-limit']).toBe('2');
    } finally {
      await limited.close();
    }
  });
});

describe('Front sandbox contract', () => {
  let sb: RunningSandbox;
  let front: AxiosInstance;
  let seedState: string;
  const ROLLBACK = ['conversations', 'messages', 'comments'];

  beforeAll(async () => {
    sb = await startSandbox(frontSandbox, { seed: 1, rate: 1000 });
    front = client(sb.url, FRONT_BEARER);
    seedState = sb.store.fingerprint(ROLLBACK);
  });
  afterAll(() => sb.close());

  /** Follows `_pagination.next` from `path`, returning every result. */
  async function walk(path: string, params: Json): Promise<Json[]> {
    const out: Json[] = [];
    let r = await front.get(path, { params });
    for (let pages = 0; ; pages++) {
      expect(r.status).toBe(200);
      const page = body(r) as { _results: Json[]; _pagination: { next: string | null } };
      out.push(...page._results);
      if (page._pagination.next === null) break;
      expect(page._pagination.next.startsWith(`${sb.url}${path}?`)).toBe(true);
      expect(pages).toBeLessThan(20);
      r = await front.get(page._pagination.next);
    }
    return out;
  }

  test('teammates and inboxes', async () => {
    const teammates = await front.get('/teammates');
    expect(teammates.status).toBe(200);
    const list = body(teammates)._results as Json[];
    expect(list).toHaveLength(4);
    expect(list.filter((t) => t.is_blocked === true)).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: matching(/^tea_/),
      email: anyString,
      _links: { self: containing(sb.url) },
    });
    expect(body(teammates)._pagination).toEqual({ next: null });
    const inboxes = await front.get('/inboxes');
    expect(inboxes.status).toBe(200);
    expect((body(inboxes)._results as Json[]).map((i) => i.name)).toEqual(['Support', 'Billing']);
  });

  test('tags: list through _pagination.next, create, and a duplicate name is a 409', async () => {
    expect((await walk('/tags', { limit: 2 })).map((t) => t.name)).toEqual(['vip', 'bug', 'feature-request']);
    const created = await front.post('/tags', { name: 'Imported from Zendesk', highlight: 'blue' });
    expect(created.status).toBe(201);
    expect(body(created)).toMatchObject({
      id: matching(/^tag_/),
      name: 'Imported from Zendesk',
      highlight: 'blue',
    });
    const again = await front.post('/tags', { name: 'Imported from Zendesk' });
    expect(again.status).toBe(409);
    expect(body(again)._error).toMatchObject({ status: 409, title: 'Conflict', message: anyString });
    expect(sb.writes.of('tags')).toEqual({ 'Imported from Zendesk': 1 });
    expect((await walk('/tags', { limit: 1 })).map((t) => t.name)).toContain('Imported from Zendesk');
  });

  test('contacts: create, 409 for a handle in use, get by id and by alt:email alias, list pages', async () => {
    const created = await front.post('/contacts', {
      name: 'Zoë Müller',
      handles: [{ handle: 'zoe@example.de', source: 'email' }],
    });
    expect(created.status).toBe(201);
    const contact = body(created);
    expect(contact).toMatchObject({
      id: matching(/^crd_/),
      name: 'Zoë Müller',
      handles: [{ handle: 'zoe@example.de', source: 'email' }],
    });
    const taken = await front.post('/contacts', {
      name: 'Someone else',
      handles: [{ handle: 'EXISTING.customer@example.org', source: 'email' }],
    });
    expect(taken.status).toBe(409);
    expect(body(taken)._error).toMatchObject({ status: 409, title: 'Conflict' });
    expect(sb.writes.of('contacts')).toEqual({ 'zoe@example.de': 1 });

    const byId = await front.get(`/contacts/${String(contact.id)}`);
    expect(byId.status).toBe(200);
    expect(body(byId).name).toBe('Zoë Müller');
    const byAlias = await front.get(`/contacts/${encodeURIComponent('alt:email:asa@lindqvist.example.se')}`);
    expect(byAlias.status).toBe(200);
    expect(body(byAlias)).toMatchObject({ id: 'crd_2', name: 'Åsa Lindqvist' });
    const missing = await front.get('/contacts/alt:email:nobody@example.com');
    expect(missing.status).toBe(404);
    expect(body(missing)._error).toMatchObject({ status: 404, title: 'Not found' });

    const all = await walk('/contacts', { limit: 1 });
    expect(all.map((c) => c.id)).toEqual(['crd_1', 'crd_2', contact.id]);
  });

  test('imported messages: 202, threading by thread_ref, idempotent by external_id, conversation routes, rollback', async () => {
    const message = (externalId: string, createdAt: number, extra: Json = {}) => ({
      sender: { handle: 'customer@example.org', name: 'Customer' },
      to: ['support@example.com'],
      subject: 'Order arrived damaged',
      body: '<p>The box was <b>crushed</b> 📦</p>',
      body_format: 'html',
      external_id: externalId,
      created_at: createdAt,
      tags: ['vip'],
      metadata: { is_inbound: true, thread_ref: 'zendesk-ticket-42' },
      ...extra,
    });
    const first = await front.post('/inboxes/inb_1/imported_messages', message('zendesk-comment-1', 1600000000));
    expect(first.status).toBe(202);
    expect(body(first)).toEqual({ status: 'accepted', message_uid: anyString });
    const uid = String(body(first).message_uid);

    // The same external_id again: accepted with the same uid, nothing created, no write counted.
    const messagesBefore = frontCollections.messages(sb.store).size;
    const dup = await front.post('/inboxes/inb_1/imported_messages', message('zendesk-comment-1', 1600000000));
    expect(dup.status).toBe(202);
    expect(body(dup)).toEqual({ status: 'accepted', message_uid: uid });
    expect(frontCollections.messages(sb.store).size).toBe(messagesBefore);
    expect(
      [...frontCollections.messages(sb.store).values()].filter((m) => m.external_id === 'zendesk-comment-1'),
    ).toHaveLength(1);
    expect(sb.writes.of('messages')).toEqual({ 'zendesk-comment-1': 1 });

    const reply = await front.post(
      '/inboxes/inb_1/imported_messages',
      message('zendesk-comment-2', 1600000500, {
        sender: { handle: 'leia@support.example.com', author_id: 'tea_1' },
        to: ['customer@example.org'],
        metadata: { is_inbound: false, thread_ref: 'zendesk-ticket-42' },
      }),
    );
    expect(reply.status).toBe(202);

    const got = await front.get(`/messages/alt:uid:${uid}`);
    expect(got.status).toBe(200);
    expect(body(got)).toMatchObject({
      message_uid: uid,
      is_inbound: true,
      body: '<p>The box was <b>crushed</b> 📦</p>',
    });
    const messageId = String(body(got).id);
    expect((await front.get(`/messages/${messageId}`)).status).toBe(200);
    const conversationUrl = String((body(got)._links as { related: { conversation: string } }).related.conversation);
    const conversationId = conversationUrl.split('/').pop()!;

    const conversation = await front.get(`/conversations/${conversationId}`);
    expect(conversation.status).toBe(200);
    expect(body(conversation)).toMatchObject({
      id: conversationId,
      subject: 'Order arrived damaged',
      status: 'archived',
    });
    expect((body(conversation).tags as Json[]).map((t) => t.name)).toEqual(['vip']);

    // Both messages threaded into one conversation; newest first, through _pagination.next.
    const thread = await walk(`/conversations/${conversationId}/messages`, { limit: 1 });
    expect(thread.map((m) => m.is_inbound)).toEqual([false, true]);
    expect(thread[0]!.author).toMatchObject({ id: 'tea_1' });

    const comment = await front.post(`/conversations/${conversationId}/comments`, {
      body: 'Migrated from Zendesk ticket #42',
      author_id: 'tea_2',
    });
    expect(comment.status).toBe(201);
    expect(body(comment)).toMatchObject({
      id: matching(/^com_/),
      body: 'Migrated from Zendesk ticket #42',
      author: { id: 'tea_2' },
    });
    expect(Object.values(sb.writes.of('comments'))).toEqual([1]);

    // A conversation is only deleted for good from the trash.
    const tooSoon = await front.delete(`/conversations/${conversationId}`);
    expect(tooSoon.status).toBe(400);
    expect(body(tooSoon)._error).toMatchObject({ status: 400 });
    expect((await front.patch(`/conversations/${conversationId}`, { status: 'deleted' })).status).toBe(204);
    expect(body(await front.get(`/conversations/${conversationId}`)).status).toBe('deleted');
    expect((await front.delete(`/conversations/${conversationId}`)).status).toBe(204);
    expect((await front.get(`/conversations/${conversationId}`)).status).toBe(404);
    expect((await front.get(`/messages/${messageId}`)).status).toBe(404);
    expect(sb.store.fingerprint(ROLLBACK)).toBe(seedState);
    expect((await front.get('/conversations/cnv_1')).status).toBe(200);
  });

  test('an import without a thread_ref threads by sender; an unknown inbox is 404', async () => {
    const base = { to: ['billing@example.com'], body: 'Hi', created_at: 1500000000, metadata: { is_inbound: true } };
    const a = await front.post('/inboxes/inb_2/imported_messages', {
      ...base,
      sender: { handle: 'x@example.org' },
      external_id: 'by-sender-1',
    });
    const b = await front.post('/inboxes/inb_2/imported_messages', {
      ...base,
      sender: { handle: 'x@example.org' },
      external_id: 'by-sender-2',
    });
    expect([a.status, b.status]).toEqual([202, 202]);
    const conversations = new Set(
      [...frontCollections.messages(sb.store).values()]
        .filter((m) => m.external_id?.startsWith('by-sender-'))
        .map((m) => m.conversation_id),
    );
    expect(conversations.size).toBe(1);
    const unknown = await front.post('/inboxes/inb_999/imported_messages', {
      ...base,
      sender: { handle: 'x@example.org' },
      external_id: 'nowhere',
    });
    expect(unknown.status).toBe(404);
    expect(body(unknown)._error).toMatchObject({ status: 404, title: 'Not found' });
  });

  test('requests that break the spec are 400 with Front error details and recorded', async () => {
    const before = sb.stats().specViolations.length;
    const noTo = await front.post('/inboxes/inb_1/imported_messages', {
      sender: { handle: 'customer@example.org' },
      body: 'hello',
      external_id: 'missing-to',
      created_at: 1600000000,
      metadata: { is_inbound: true },
    });
    expect(noTo.status).toBe(400);
    const error = body(noTo)._error as Json;
    expect(error).toMatchObject({ status: 400, title: 'Bad request', message: anyString });
    expect(error.details).toEqual(expect.arrayContaining([containing('to')]));
    const tooMany = await front.get('/tags', { params: { limit: 500 } });
    expect(tooMany.status).toBe(400);
    expect(body(tooMany)._error).toMatchObject({ status: 400 });
    const badStatus = await front.patch('/conversations/cnv_1', { status: 'gone' });
    expect(badStatus.status).toBe(400);
    expect(
      sb
        .stats()
        .specViolations.slice(before)
        .map((v) => v.operation),
    ).toEqual(['import-inbox-message', 'list-tags', 'update-conversation']);
    expect(sb.writes.of('messages')).not.toHaveProperty('missing-to');
  });

  test('401 without a bearer token', async () => {
    const r = await client(sb.url).get('/teammates');
    expect(r.status).toBe(401);
    expect(body(r)._error).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect((await client(sb.url, 'Bearer wrong').get('/teammates')).status).toBe(401);
  });

  test('documented limit by default; 429 with retry-after and x-ratelimit-reset when the configured rate is exceeded', async () => {
    const byDefault = await startSandbox(frontSandbox, { seed: 1 });
    const limited = await startSandbox(frontSandbox, { seed: 1, rate: 2 });
    try {
      const ok = await client(byDefault.url, FRONT_BEARER).get('/inboxes');
      expect(ok.headers['x-ratelimit-limit']).toBe('200');
      expect(ok.headers['x-ratelimit-remaining']).toBe('199');
      expect(ok.headers['x-ratelimit-reset']).toMatch(/^\d{10}$/);

      const r = await until429(() => client(limited.url, FRONT_BEARER).get('/teammates'));
      expect(r.data).toEqual({ _error: { status: 429, title: 'Too Many Requests', message: 'Rate limit exceeded' } });
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(1);
      expect(r.headers['x-ratelimit-reset']).toMatch(/^\d{10}$/);
      expect(r.headers['x-ratelimit-limit']).toBe('2');
      expect(r.headers['x-ratelimit-remaining']).toBe('0');
      expect(limited.stats().rateLimited).toBeGreaterThan(0);
    } finally {
      await Promise.all([byDefault.close(), limited.close()]);
    }
  });
});
