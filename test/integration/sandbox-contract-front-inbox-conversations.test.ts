import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';

/**
 * The Front sandbox's `GET /inboxes/{inbox_id}/conversations` over real HTTP, as its other routes: Front's shape,
 * every conversation of the inbox exactly once through `_pagination.next`, trashed ones left out, requests that
 * break Front's spec refused and recorded, and the company's one rate limit and injected faults apply to it.
 */

const FRONT_BEARER = 'Bearer front-sandbox-token';

function client(baseURL: string): AxiosInstance {
  return axios.create({ baseURL, validateStatus: () => true, headers: { authorization: FRONT_BEARER } });
}

type Json = Record<string, unknown>;
const body = (r: AxiosResponse) => r.data as Json;

describe('Front sandbox: list inbox conversations', () => {
  let sb: RunningSandbox;
  let front: AxiosInstance;

  const importInto = (inbox: string, n: number) =>
    front.post(`/inboxes/${inbox}/imported_messages`, {
      sender: { handle: `customer${n}@example.org` },
      to: ['support@example.com'],
      subject: `Ticket ${n}`,
      body: `<p>ticket ${n}</p>`,
      external_id: `zendesk-comment-${inbox}-${n}`,
      created_at: 1_600_000_000 + n,
      metadata: { is_inbound: true, thread_ref: `zendesk-ticket-${inbox}-${n}` },
    });

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
      expect(pages).toBeLessThan(50);
      r = await front.get(page._pagination.next);
    }
    return out;
  }

  beforeAll(async () => {
    sb = await startSandbox(frontSandbox, { seed: 1, rate: 1000 });
    front = client(sb.url);
    for (let n = 0; n < 7; n++) expect((await importInto('inb_1', n)).status).toBe(202);
    expect((await importInto('inb_2', 0)).status).toBe(202);
  });
  afterAll(() => sb.close());

  test('every conversation of the inbox once, in Front’s shape, page after page; trashed ones left out', async () => {
    const inInbox = [...frontCollections.conversations(sb.store).values()].filter((c) => c.inbox_id === 'inb_1');
    expect(inInbox).toHaveLength(8); // the seed's conversation and the 7 imported
    const listed = await walk('/inboxes/inb_1/conversations', { limit: 3 });
    expect(listed.map((c) => c.id).sort()).toEqual(inInbox.map((c) => c.id).sort());
    expect(listed[0]).toMatchObject({
      id: expect.stringMatching(/^cnv_/) as string,
      status: expect.any(String) as string,
      tags: expect.any(Array) as unknown[],
      custom_fields: expect.any(Object) as object,
    });

    const trashed = inInbox.find((c) => c.id !== 'cnv_1')!;
    expect((await front.patch(`/conversations/${trashed.id}`, { status: 'deleted' })).status).toBe(204);
    const after = await walk('/inboxes/inb_1/conversations', { limit: 100 });
    expect(after.map((c) => c.id)).not.toContain(trashed.id);
    expect(after).toHaveLength(7);
    expect(sb.stats().specViolations).toEqual([]);
  });

  test('an unknown inbox is 404; a limit over 100 breaks the spec and is recorded; q is refused', async () => {
    const unknown = await front.get('/inboxes/inb_404/conversations');
    expect(unknown.status).toBe(404);
    expect(body(unknown)._error).toMatchObject({ status: 404 });
    const before = sb.stats().specViolations.length;
    expect((await front.get('/inboxes/inb_1/conversations', { params: { limit: 500 } })).status).toBe(400);
    expect(
      sb
        .stats()
        .specViolations.slice(before)
        .map((v) => v.operation),
    ).toEqual(['list-inbox-conversations']);
    expect((await front.get('/inboxes/inb_1/conversations', { params: { q: 'x' } })).status).toBe(400);
  });

  test('the company’s rate limit and injected faults apply to it like to every route', async () => {
    const limited = await startSandbox(frontSandbox, { seed: 1, rate: 2 });
    const failing = await startSandbox(frontSandbox, { seed: 1, rate: 1000, faults: { error5xx: 1 } });
    try {
      const ok = await client(limited.url).get('/inboxes/inb_1/conversations');
      expect(ok.status).toBe(200);
      expect(ok.headers['x-ratelimit-limit']).toBe('2');
      let r = ok;
      for (let i = 0; i < 20 && r.status !== 429; i++)
        r = await client(limited.url).get('/inboxes/inb_1/conversations');
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toMatch(/^\d+$/);
      expect((await client(failing.url).get('/inboxes/inb_1/conversations')).status).toBeGreaterThanOrEqual(500);
    } finally {
      await Promise.all([limited.close(), failing.close()]);
    }
  });
});
