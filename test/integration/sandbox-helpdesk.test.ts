import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import FormData from 'form-data';
import { type RunningSandbox, SandboxStore, startSandbox } from '../../sandboxes/core/server';
import { frontCollections, frontSandbox } from '../../sandboxes/front';
import { attachmentSha256, attachmentStream } from '../../sandboxes/generate/attachments';
import {
  ATTACHMENT_ID_BASE,
  attachmentContentUrl,
  generateHelpdesk,
  HELPDESK_END_AT,
  mergedIntoText,
  mergeText,
  touchHelpdesk,
} from '../../sandboxes/generate/helpdesk';
import {
  ZENDESK_CUSTOM_FIELDS,
  zendeskCollections,
  zendeskSandbox,
  type ZendeskAttachment,
  type ZendeskComment,
  type ZendeskTicket,
} from '../../sandboxes/zendesk';

/**
 * The sandboxes at the scale of a 12-year helpdesk: the generated Zendesk account has the shape of a real one,
 * changes between two runs come from touchHelpdesk, attachments download as streams of exactly their size, the
 * indexes follow writes made straight to the store, and Front takes multipart imports with large attachments,
 * idempotently, plus the routes a Zendesk → Front migration needs. No test leaves a spec violation behind.
 */

const ZENDESK_AUTH = 'Bearer zendesk-sandbox-token';
const FRONT_AUTH = 'Bearer front-sandbox-token';
const MB = 1024 * 1024;

function client(baseURL: string, authorization?: string): AxiosInstance {
  return axios.create({ baseURL, validateStatus: () => true, headers: authorization ? { authorization } : {} });
}

type Json = Record<string, unknown>;
const body = (r: AxiosResponse) => r.data as Json;

const epoch = (iso: string) => Date.parse(iso) / 1000;
const tickets = (store: SandboxStore) => [...zendeskCollections.tickets(store).values()];
const comments = (store: SandboxStore) => [...zendeskCollections.comments(store).values()];

/** Downloads a URL as a stream, hashing as the bytes arrive. */
async function download(url: string, authorization?: string) {
  const r = await axios.get<Readable>(url, {
    responseType: 'stream',
    validateStatus: () => true,
    headers: authorization ? { authorization } : {},
  });
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of r.data) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { status: r.status, headers: r.headers, size, sha256: hash.digest('hex') };
}

/** Follows the incremental ticket export from a start time or a cursor to end_of_stream. */
async function exportAll(zd: AxiosInstance, from: { start_time: number } | { cursor: string }, perPage = 1000) {
  const seen: { id: number; status: string; updated_at: string }[] = [];
  let r = await zd.get('/api/v2/incremental/tickets/cursor.json', { params: { ...from, per_page: perPage } });
  for (let pages = 0; ; pages++) {
    expect(r.status).toBe(200);
    const page = body(r);
    seen.push(...(page.tickets as { id: number; status: string; updated_at: string }[]));
    if (page.end_of_stream === true) return { seen, cursor: String(page.after_cursor) };
    expect(pages).toBeLessThan(1000);
    r = await zd.get(String(page.after_url));
  }
}

describe('generated helpdesk', () => {
  const N = 20_000;
  let store: SandboxStore;

  beforeAll(() => {
    store = new SandboxStore();
    generateHelpdesk(store, { tickets: N, seed: 11 });
  });

  test('same seed and size, same data; another seed, other data', () => {
    const a = new SandboxStore();
    const b = new SandboxStore();
    const c = new SandboxStore();
    generateHelpdesk(a, { tickets: 1500, seed: 4 });
    generateHelpdesk(b, { tickets: 1500, seed: 4 });
    generateHelpdesk(c, { tickets: 1500, seed: 5 });
    expect(a.fingerprint()).toBe(b.fingerprint());
    expect(c.fingerprint()).not.toBe(a.fingerprint());
    // Ids do not depend on the seed: tickets 1..N, comments and attachments numbered in order.
    expect(tickets(a).map((t) => t.id)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    const ids = comments(a).map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('tickets: ids 1..N, volume growing over 12 years, old ones closed, every status, merged and deleted', () => {
    const all = tickets(store);
    expect(all).toHaveLength(N);
    expect(Math.max(...all.map((t) => t.id))).toBe(N);
    const byYear = new Map<number, number>();
    for (const t of all)
      byYear.set(
        new Date(t.created_at).getUTCFullYear(),
        (byYear.get(new Date(t.created_at).getUTCFullYear()) ?? 0) + 1,
      );
    const years = [...byYear.keys()].sort();
    expect(years.length).toBeGreaterThanOrEqual(12);
    // Full years only (the first and the last are partial): each busier than the one before.
    const full = years.slice(1, -1).map((y) => byYear.get(y)!);
    for (let i = 1; i < full.length; i++) expect(full[i]!).toBeGreaterThan(full[i - 1]!);
    expect(full[full.length - 1]!).toBeGreaterThan(4 * full[0]!);

    const count = (status: ZendeskTicket['status']) => all.filter((t) => t.status === status).length;
    for (const status of ['new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted'] as const)
      expect(count(status)).toBeGreaterThan(0);
    expect(count('deleted') / N).toBeGreaterThan(0.002);
    expect(count('deleted') / N).toBeLessThan(0.01);
    const limit = HELPDESK_END_AT / 1000;
    const old = all.filter((t) => t.status !== 'deleted' && epoch(t.updated_at) < limit - 90 * 86_400);
    expect(old.filter((t) => t.status === 'closed').length / old.length).toBeGreaterThan(0.97);
    // New tickets are unassigned and have only their description.
    for (const t of all.filter((x) => x.status === 'new')) expect(t.assignee_id).toBeNull();

    const merged = all.filter((t) => t.tags.includes('closed_by_merge'));
    expect(merged.length / N).toBeGreaterThan(0.008);
    expect(merged.length / N).toBeLessThan(0.025);
    const byTicket = new Map<number, ZendeskComment[]>();
    for (const c of comments(store)) byTicket.set(c.ticket_id, [...(byTicket.get(c.ticket_id) ?? []), c]);
    let targetNotes = 0;
    for (const t of merged) {
      expect(t.status).toBe('closed');
      const last = byTicket.get(t.id)!.pop()!;
      expect(last.public).toBe(false);
      const into = Number(/#(\d+)$/.exec(last.plain_body)?.[1]);
      expect(last.plain_body).toBe(mergeText(t.id, into));
      expect(into).toBeLessThan(t.id);
      // The ticket merged into, when still open then, says so in a private note of the same moment.
      const note = byTicket.get(into)!.find((c) => c.plain_body === mergedIntoText(t.id, t.subject));
      if (note) {
        targetNotes += 1;
        expect(note).toMatchObject({ public: false, created_at: last.created_at });
      }
    }
    expect(targetNotes).toBeGreaterThan(merged.length / 10);
    expect(new Set(all.map((t) => t.priority))).toEqual(new Set([null, 'low', 'normal', 'high', 'urgent']));
    expect(new Set(all.map((t) => t.type))).toEqual(new Set([null, 'question', 'incident', 'problem', 'task']));
    expect(new Set(all[0]!.custom_fields.map((f) => f.id))).toEqual(new Set(Object.values(ZENDESK_CUSTOM_FIELDS)));
    expect(all.some((t) => t.tags.length > 0)).toBe(true);
  });

  test('comments: 1–20 a ticket, the first is the public description by the requester, ~20% of agent comments private', () => {
    const byTicket = new Map<number, ZendeskComment[]>();
    for (const c of comments(store)) {
      let list = byTicket.get(c.ticket_id);
      if (!list) byTicket.set(c.ticket_id, (list = []));
      list.push(c);
    }
    const users = zendeskCollections.users(store);
    let agentComments = 0;
    let privateNotes = 0;
    // Checked in plain loops and asserted once: 20k tickets would make a million expect() calls.
    const wrong: string[] = [];
    for (const t of tickets(store)) {
      // In time order, as the API lists them (a merge note arrives with a later id than the replies after it).
      const list = (byTicket.get(t.id) ?? []).sort((a, b) => epoch(a.created_at) - epoch(b.created_at) || a.id - b.id);
      if (list.length < 1 || list.length > 20) wrong.push(`ticket ${t.id} has ${list.length} comments`);
      const first = list[0];
      if (first && (!first.public || first.author_id !== t.requester_id || first.plain_body !== t.description))
        wrong.push(`ticket ${t.id}: the first comment is not its public description by the requester`);
      if (list.some((c) => c.created_at < t.created_at || c.created_at > t.updated_at))
        wrong.push(`ticket ${t.id}: a comment outside the ticket's lifetime`);
      for (const c of list) {
        const role = users.get(String(c.author_id))?.role;
        if (role === undefined) wrong.push(`comment ${c.id}: unknown author`);
        else if (role === 'end-user') {
          if (!c.public) wrong.push(`comment ${c.id}: a private note by an end user`);
        } else {
          agentComments += 1;
          if (!c.public) privateNotes += 1;
        }
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(privateNotes / agentComments).toBeGreaterThan(0.15);
    expect(privateNotes / agentComments).toBeLessThan(0.3);
    const all = comments(store);
    expect(all.length / N).toBeGreaterThan(6);
    // Unicode in many scripts, and HTML bodies with markup beside plain text without it.
    const html = all.map((c) => c.html_body).join('\n');
    for (const re of [
      /[\u4e00-\u9fff]/,
      /[\u0600-\u06ff]/,
      /[\u0590-\u05ff]/,
      /\p{Extended_Pictographic}/u,
      /é/,
      /dir="rtl"/,
      /<strong>/,
      /<a href=/,
      /&lt;/,
    ])
      expect(html).toMatch(re);
    const markup = /<\/?(p|div|strong|em|ul|li|a|blockquote|pre|code|br)\b/;
    expect(all.filter((c) => markup.test(c.plain_body)).map((c) => c.id)).toEqual([]);
    // Text that looks like markup is escaped in the HTML.
    expect(html).toContain('&lt;this&gt;');
  });

  test('people: agents ~N/2000+5 with ~5% gone and one suspended, deleted end users, organizations', () => {
    const users = [...zendeskCollections.users(store).values()];
    const agents = users.filter((u) => u.role !== 'end-user');
    expect(agents).toHaveLength(Math.floor(N / 2000) + 5);
    expect(agents.filter((u) => u.role === 'admin')).toHaveLength(1);
    expect(agents.filter((u) => u.suspended)).toHaveLength(1);
    expect(agents.filter((u) => !u.active).length).toBeGreaterThanOrEqual(1);
    expect(agents.filter((u) => !u.active).length / agents.length).toBeLessThanOrEqual(0.1);
    const endUsers = users.filter((u) => u.role === 'end-user');
    expect(endUsers.length).toBeGreaterThan(N / 4);
    expect(endUsers.filter((u) => !u.active).length).toBeGreaterThan(0);
    expect(endUsers.filter((u) => !u.active).length / endUsers.length).toBeLessThan(0.05);
    expect(new Set(users.map((u) => u.email.toLowerCase())).size).toBe(users.length);
    const orgs = zendeskCollections.organizations(store);
    expect(orgs.size).toBeGreaterThan(100);
    for (const u of endUsers) if (u.organization_id !== null) expect(orgs.has(String(u.organization_id))).toBe(true);
    // Every ticket's requester and assignee exist.
    const ids = new Set(users.map((u) => u.id));
    for (const t of tickets(store)) {
      expect(ids.has(t.requester_id)).toBe(true);
      if (t.assignee_id !== null) expect(ids.has(t.assignee_id)).toBe(true);
    }
  });

  test('attachments: on ~10% of tickets, 2 KB–2 MB mostly, a few up to 20 MB', () => {
    const withFiles = comments(store).filter((c) => c.attachments.length > 0);
    const ticketShare = new Set(withFiles.map((c) => c.ticket_id)).size / N;
    expect(ticketShare).toBeGreaterThan(0.07);
    expect(ticketShare).toBeLessThan(0.13);
    const files = withFiles.flatMap((c) => c.attachments);
    for (const a of files) {
      expect(a.size).toBeGreaterThanOrEqual(2048);
      expect(a.size).toBeLessThanOrEqual(20 * MB);
      expect(a.content_url).toBe(attachmentContentUrl(a.id, a.file_name));
    }
    expect(files.filter((a) => a.size <= 2 * MB).length / files.length).toBeGreaterThan(0.98);
    expect(files.some((a) => a.size > 5 * MB)).toBe(true);
    expect(new Set(files.map((a) => a.id)).size).toBe(files.length);
  });

  test('every timestamp is at least 5 minutes before endAt', () => {
    const endAt = Date.UTC(2025, 5, 30, 12, 0, 0);
    const s = new SandboxStore();
    generateHelpdesk(s, { tickets: 3000, seed: 2, years: 3, endAt: new Date(endAt) });
    const limit = endAt / 1000 - 300;
    let newest = 0;
    for (const name of ['tickets', 'comments', 'users', 'organizations'])
      for (const r of s.collection<{ created_at: string; updated_at?: string }>(name).values())
        for (const t of [r.created_at, r.updated_at]) if (t) newest = Math.max(newest, epoch(t));
    expect(newest).toBeLessThanOrEqual(limit);
    expect(newest).toBeGreaterThan(limit - 86_400);
    const firstYear = Math.min(...tickets(s).map((t) => epoch(t.created_at)));
    expect(firstYear).toBeGreaterThanOrEqual(endAt / 1000 - 3 * 366 * 86_400);
  });
});

describe('Zendesk sandbox with a generated helpdesk', () => {
  let sb: RunningSandbox;
  let zd: AxiosInstance;
  const N = 5000;

  beforeAll(async () => {
    sb = await startSandbox(zendeskSandbox, { seed: 3, size: N, rate: 100_000 });
    zd = client(sb.url, ZENDESK_AUTH);
  });
  afterEach(() => expect(sb.stats().specViolations).toEqual([]));
  afterAll(() => sb.close());

  test('startSandbox with a size generates the helpdesk; without one the small seed stays', async () => {
    expect(zendeskCollections.tickets(sb.store).size).toBe(N);
    const reference = new SandboxStore();
    generateHelpdesk(reference, { tickets: N, seed: 3 });
    expect(sb.store.fingerprint(['tickets', 'comments', 'users', 'organizations'])).toBe(reference.fingerprint());
    const small = await startSandbox(zendeskSandbox, { seed: 3 });
    try {
      expect(zendeskCollections.tickets(small.store).size).toBe(200);
    } finally {
      await small.close();
    }
  });

  test('the export walks every ticket once in (updated_at, id) order; a ticket pages its comments', async () => {
    const { seen } = await exportAll(zd, { start_time: 0 });
    expect(seen).toHaveLength(N);
    expect(new Set(seen.map((t) => t.id)).size).toBe(N);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      expect(epoch(a.updated_at) < epoch(b.updated_at) || (a.updated_at === b.updated_at && a.id < b.id)).toBe(true);
    }
    const ticket = tickets(sb.store).find(
      (t) => t.status !== 'deleted' && comments(sb.store).filter((c) => c.ticket_id === t.id).length >= 12,
    )!;
    const expected = comments(sb.store)
      .filter((c) => c.ticket_id === ticket.id)
      .map((c) => c.id);
    const walked: number[] = [];
    let r = await zd.get(`/api/v2/tickets/${ticket.id}/comments.json`, { params: { 'page[size]': 5 } });
    for (;;) {
      expect(r.status).toBe(200);
      const page = body(r) as { comments: { id: number }[]; meta: { has_more: boolean }; links: { next: string } };
      walked.push(...page.comments.map((c) => c.id));
      if (!page.meta.has_more) break;
      r = await zd.get(page.links.next);
    }
    expect(walked).toEqual(expected);
  });

  test('writes straight to the store reach the indexes: the export order and a ticket comment list', async () => {
    const ticketsMap = zendeskCollections.tickets(sb.store);
    const commentsMap = zendeskCollections.comments(sb.store);
    const { cursor } = await exportAll(zd, { start_time: 0 });
    const version = sb.store.version('tickets');
    const target = tickets(sb.store).find((t) => t.status === 'open')!;
    const at = new Date(Date.now() - 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    ticketsMap.set(String(target.id), { ...target, subject: 'Changed in place', updated_at: at });
    expect(sb.store.version('tickets')).toBe(version + 1);
    const after = await exportAll(zd, { cursor });
    expect(after.seen.map((t) => t.id)).toEqual([target.id]);

    const before = await zd.get(`/api/v2/tickets/${target.id}/comments.json`);
    const count = Number(body(before).count);
    const added: ZendeskComment = {
      ...commentsMap.get(String((body(before).comments as { id: number }[])[0]!.id))!,
      id: 999_000_001,
      created_at: at,
      plain_body: 'Added straight to the store',
    };
    commentsMap.set(String(added.id), added as ZendeskComment & Json);
    const withIt = body(await zd.get(`/api/v2/tickets/${target.id}/comments.json`));
    expect(withIt.count).toBe(count + 1);
    expect((withIt.comments as { id: number }[]).pop()!.id).toBe(added.id);
    commentsMap.delete(String(added.id));
    expect(body(await zd.get(`/api/v2/tickets/${target.id}/comments.json`)).count).toBe(count);
  });

  test('touchHelpdesk: new tickets, comments, status changes and deletes come out of the next export', async () => {
    const { cursor } = await exportAll(zd, { start_time: 0 });
    const maxComment = Math.max(...comments(sb.store).map((c) => c.id));
    const at = Date.now() - 3 * 60_000;
    const touched = touchHelpdesk(sb.store, {
      seed: 9,
      newTickets: 7,
      newComments: 11,
      statusChanges: 5,
      deletes: 3,
      at,
    });
    const maxTicket = Math.max(...tickets(sb.store).map((t) => t.id));
    expect(touched.newTicketIds).toEqual(Array.from({ length: 7 }, (_, i) => maxTicket - 6 + i));
    expect(touched.commentedTicketIds).toHaveLength(11);
    expect(touched.newCommentIds).toHaveLength(11);
    expect(touched.statusChangedTicketIds).toHaveLength(5);
    expect(touched.deletedTicketIds).toHaveLength(3);
    const changed = [
      ...touched.newTicketIds,
      ...touched.commentedTicketIds,
      ...touched.statusChangedTicketIds,
      ...touched.deletedTicketIds,
    ];
    expect(new Set(changed).size).toBe(changed.length);
    for (const id of touched.newCommentIds) expect(id).toBeGreaterThan(maxComment);

    // Small pages: the cursor has to resume inside a run of tickets of the same second, ordered by id.
    const delta = await exportAll(zd, { cursor }, 4);
    expect(delta.seen.map((t) => t.id)).toEqual([...changed].sort((a, b) => a - b));
    const stamp = new Date(Math.floor(at / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const t of delta.seen) expect(t.updated_at).toBe(stamp);
    for (const id of touched.deletedTicketIds) expect(delta.seen.find((t) => t.id === id)!.status).toBe('deleted');
    for (const [i, id] of touched.commentedTicketIds.entries()) {
      const listed = body(await zd.get(`/api/v2/tickets/${id}/comments.json`)).comments as { id: number }[];
      expect(listed.pop()!.id).toBe(touched.newCommentIds[i]);
    }
    for (const id of touched.newTicketIds) {
      const r = await zd.get(`/api/v2/tickets/${id}/comments.json`);
      expect(r.status).toBe(200);
      expect((body(r).comments as unknown[]).length).toBeGreaterThanOrEqual(1);
    }
    expect(() => touchHelpdesk(sb.store, { seed: 1, newTickets: 1, at: Date.now() })).toThrow(/minute/);
  });

  test('attachment content_url downloads exactly `size` deterministic bytes, with the content type', async () => {
    const withFiles = comments(sb.store).filter(
      (c) =>
        c.attachments.length > 0 && zendeskCollections.tickets(sb.store).get(String(c.ticket_id))!.status !== 'deleted',
    );
    const listed = body(await zd.get(`/api/v2/tickets/${withFiles[0]!.ticket_id}/comments.json`)).comments as Json[];
    const presented = (listed.find((c) => c.id === withFiles[0]!.id)!.attachments as Json[])[0]!;
    const stored = withFiles[0]!.attachments[0]!;
    expect(presented.content_url).toBe(`${sb.url}${stored.content_url}`);
    const files = withFiles.flatMap((c) => c.attachments);
    const largest = files.reduce((a, b) => (b.size > a.size ? b : a));
    for (const a of [stored, files[files.length - 1]!, largest]) {
      const got = await download(`${sb.url}${a.content_url}`, ZENDESK_AUTH);
      expect(got.status).toBe(200);
      expect(got.headers['content-type']).toBe(a.content_type);
      expect(Number(got.headers['content-length'])).toBe(a.size);
      expect(got.size).toBe(a.size);
      expect(got.sha256).toBe(attachmentSha256(a));
    }
    // Stable: the same attachment, the same bytes; another attachment of the same size, other bytes.
    expect(attachmentSha256(stored)).toBe(attachmentSha256({ ...stored }));
    expect(attachmentSha256({ ...stored, id: stored.id + 1 })).not.toBe(attachmentSha256(stored));
    expect(sb.stats().byOperation.DownloadAttachment).toBeGreaterThanOrEqual(3);
  });

  test('a 20 MB attachment streams; unknown tokens are 404, no credentials 401', async () => {
    const ticket = tickets(sb.store).find((t) => t.status === 'open')!;
    const attachment: ZendeskAttachment = {
      id: ATTACHMENT_ID_BASE + 900_000,
      file_name: 'Große Präsentation 2024.pdf',
      content_url: attachmentContentUrl(ATTACHMENT_ID_BASE + 900_000, 'Große Präsentation 2024.pdf'),
      content_type: 'application/pdf',
      size: 20 * MB,
      inline: false,
      deleted: false,
    };
    const comment = {
      ...comments(sb.store).find((c) => c.ticket_id === ticket.id)!,
      id: 999_000_002,
      attachments: [attachment],
    };
    zendeskCollections.comments(sb.store).set(String(comment.id), comment);
    const got = await download(`${sb.url}${attachment.content_url}`, ZENDESK_AUTH);
    expect(got).toMatchObject({ status: 200, size: 20 * MB, sha256: attachmentSha256(attachment) });
    const first = await new Promise<Buffer>((resolve) => {
      const s = attachmentStream(attachment);
      s.once('data', (chunk: Buffer) => {
        s.destroy();
        resolve(chunk);
      });
    });
    expect(first.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect((await download(`${sb.url}/attachments/token/nothing-here/?name=x.txt`, ZENDESK_AUTH)).status).toBe(404);
    expect((await download(`${sb.url}${attachment.content_url}`)).status).toBe(401);
    zendeskCollections.comments(sb.store).delete(String(comment.id));
  });

  test('downloads do not count against the API rate limit', async () => {
    const limited = await startSandbox(zendeskSandbox, { seed: 1, rate: 2 });
    try {
      const file = comments(limited.store).find((c) => c.attachments.length > 0)!.attachments[0]!;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => download(`${limited.url}${file.content_url}`, ZENDESK_AUTH)),
      );
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(limited.stats().rateLimited).toBe(0);
      const api = await Promise.all(
        Array.from({ length: 8 }, () => client(limited.url, ZENDESK_AUTH).get('/api/v2/tickets/1/comments.json')),
      );
      expect(api.some((r) => r.status === 429)).toBe(true);
    } finally {
      await limited.close();
    }
  });
});

describe('Front sandbox for a Zendesk migration', () => {
  let sb: RunningSandbox;
  let front: AxiosInstance;

  beforeAll(async () => {
    sb = await startSandbox(frontSandbox, { seed: 1, rate: 100_000 });
    front = client(sb.url, FRONT_AUTH);
  });
  afterEach(() => expect(sb.stats().specViolations).toEqual([]));
  afterAll(() => sb.close());

  /** The multipart form Front documents for an import with attachments. */
  function importForm(externalId: string, files: { name: string; size: number; type: string; id: number }[]) {
    const form = new FormData();
    form.append('sender[handle]', 'kunde@example.de');
    form.append('sender[name]', 'Jürgen Groß');
    form.append('to[0]', 'support@example.com');
    form.append('to[1]', 'billing@example.com');
    form.append('subject', 'Rechnung — 東京 📎');
    form.append('body', '<p>Anbei die Unterlagen</p>');
    form.append('body_format', 'html');
    form.append('external_id', externalId);
    form.append('created_at', '1600000000');
    form.append('type', 'email');
    form.append('tags[0]', 'zendesk-import');
    form.append('tags[1]', 'vip');
    form.append('metadata[thread_ref]', 'zendesk-ticket-77');
    form.append('metadata[is_inbound]', 'true');
    form.append('metadata[is_archived]', 'false');
    files.forEach((f, i) =>
      // A stream with a known length: the form is sent as it is read, never built in memory.
      form.append(`attachments[${i}]`, attachmentStream({ id: f.id, size: f.size, content_type: f.type }), {
        filename: f.name,
        contentType: f.type,
        knownLength: f.size,
      }),
    );
    return form;
  }

  const post = (path: string, form: FormData) =>
    front.post(path, form, { headers: form.getHeaders(), maxBodyLength: Infinity });

  test('a multipart import with a 5 MB attachment: 202, fields coerced, attachment hashed; re-import is a no-op', async () => {
    const files = [
      { name: 'rechnung-2019.pdf', size: 5 * MB, type: 'application/pdf', id: 501 },
      { name: 'foto.png', size: 40_000, type: 'image/png', id: 502 },
    ];
    const first = await post('/inboxes/inb_1/imported_messages', importForm('zendesk-comment-501', files));
    expect(first.status).toBe(202);
    const uid = String(body(first).message_uid);
    const message = [...frontCollections.messages(sb.store).values()].find(
      (m) => m.external_id === 'zendesk-comment-501',
    )!;
    expect(message).toMatchObject({
      created_at: 1600000000,
      is_inbound: true,
      subject: 'Rechnung — 東京 📎',
      sender: { handle: 'kunde@example.de', name: 'Jürgen Groß' },
      to: ['support@example.com', 'billing@example.com'],
      metadata: { thread_ref: 'zendesk-ticket-77', is_archived: false },
    });

    const got = body(await front.get(`/messages/alt:uid:${uid}`));
    expect(got.attachments).toEqual([
      {
        id: expect.stringMatching(/^fil_/) as string,
        filename: 'rechnung-2019.pdf',
        url: expect.stringContaining(`${sb.url}/download/fil_`) as string,
        content_type: 'application/pdf',
        size: 5 * MB,
        metadata: { is_inline: false },
      },
      expect.objectContaining({ filename: 'foto.png', size: 40_000, content_type: 'image/png' }),
    ]);
    expect(JSON.stringify(got)).not.toContain('sha256');
    const conversationId = String((got._links as { related: { conversation: string } }).related.conversation)
      .split('/')
      .pop()!;
    const thread = body(await front.get(`/conversations/${conversationId}/messages`))._results as Json[];
    expect((thread[0]!.attachments as Json[]).map((a) => a.size)).toEqual([5 * MB, 40_000]);
    const conversation = body(await front.get(`/conversations/${conversationId}`));
    expect((conversation.tags as Json[]).map((t) => t.name)).toEqual(['zendesk-import', 'vip']);
    expect(conversation.status).toBe('unassigned');

    // The sha256 is visible to checks through the admin records only.
    const records = (await client(sb.url).get('/__admin/records/messages')).data as {
      external_id: string;
      attachments?: { sha256: string; size: number }[];
    }[];
    const kept = records.find((m) => m.external_id === 'zendesk-comment-501')!;
    expect(kept.attachments!.map((a) => a.sha256)).toEqual(
      files.map((f) => attachmentSha256({ id: f.id, size: f.size, content_type: f.type })),
    );

    const count = frontCollections.messages(sb.store).size;
    const again = await post('/inboxes/inb_1/imported_messages', importForm('zendesk-comment-501', files));
    expect(again.status).toBe(202);
    expect(body(again).message_uid).toBe(uid);
    expect(frontCollections.messages(sb.store).size).toBe(count);
    expect(sb.writes.of('messages')['zendesk-comment-501']).toBe(1);

    // A JSON import with the same external id is the same message too.
    const json = await front.post('/inboxes/inb_1/imported_messages', {
      sender: { handle: 'kunde@example.de' },
      to: ['support@example.com'],
      body: 'x',
      external_id: 'zendesk-comment-501',
      created_at: 1600000000,
      metadata: { is_inbound: true },
    });
    expect(body(json).message_uid).toBe(uid);
  });

  test('the thread and external-id indexes follow records changed in place and set again, or deleted', async () => {
    const message = (externalId: string) => ({
      sender: { handle: 'thread@example.org' },
      to: ['support@example.com'],
      body: 'hi',
      external_id: externalId,
      created_at: 1600000100,
      metadata: { is_inbound: true, thread_ref: 'zendesk-ticket-inplace' },
    });
    expect((await front.post('/inboxes/inb_1/imported_messages', message('inplace-1'))).status).toBe(202);
    const messages = frontCollections.messages(sb.store);
    const conversations = frontCollections.conversations(sb.store);
    const first = [...messages.values()].find((m) => m.external_id === 'inplace-1')!;
    // Trashed in place (the same object), then set again: the thread no longer takes imports.
    const conversation = conversations.get(first.conversation_id)!;
    conversation.status = 'deleted';
    conversations.set(conversation.id, conversation);
    expect((await front.post('/inboxes/inb_1/imported_messages', message('inplace-2'))).status).toBe(202);
    const second = [...messages.values()].find((m) => m.external_id === 'inplace-2')!;
    expect(second.conversation_id).not.toBe(first.conversation_id);
    // A message removed from the store can be imported again, as a new message.
    messages.delete(first.id);
    expect((await front.post('/inboxes/inb_1/imported_messages', message('inplace-1'))).status).toBe(202);
    expect(sb.writes.of('messages')['inplace-1']).toBe(2);
    expect([...messages.values()].filter((m) => m.external_id === 'inplace-1')).toHaveLength(1);
  });

  test('contacts: update by id and by alias, delete; tags: get, delete, company tags', async () => {
    const created = body(
      await front.post('/contacts', { name: 'Olga', handles: [{ handle: 'olga@example.ru', source: 'email' }] }),
    );
    const id = String(created.id);
    expect(
      (
        await front.patch(`/contacts/${id}`, {
          name: 'Ольга Петрова',
          description: 'VIP',
          links: ['https://example.ru'],
        })
      ).status,
    ).toBe(204);
    expect(
      (await front.patch(`/contacts/${encodeURIComponent('alt:email:OLGA@example.ru')}`, { list_names: ['Zendesk'] }))
        .status,
    ).toBe(204);
    expect(body(await front.get(`/contacts/${encodeURIComponent('alt:email:olga@example.ru')}`))).toMatchObject({
      id,
      name: 'Ольга Петрова',
      description: 'VIP',
      links: ['https://example.ru'],
      lists: [{ name: 'Zendesk' }],
    });
    expect(sb.writes.of('contacts:updated')).toEqual({ [id]: 2 });
    expect((await front.delete(`/contacts/${id}`)).status).toBe(204);
    const gone = await front.get(`/contacts/${id}`);
    expect(gone.status).toBe(404);
    expect(body(gone)._error).toMatchObject({ status: 404, title: 'Not found' });
    expect((await front.get(`/contacts/${encodeURIComponent('alt:email:olga@example.ru')}`)).status).toBe(404);
    // The handle is free again.
    expect((await front.post('/contacts', { handles: [{ handle: 'olga@example.ru', source: 'email' }] })).status).toBe(
      201,
    );
    expect((await front.patch('/contacts/crd_404', { name: 'x' })).status).toBe(404);

    const tag = body(await front.post('/tags', { name: 'zendesk:billing' }));
    expect(body(await front.get(`/tags/${String(tag.id)}`))).toMatchObject({ id: tag.id, name: 'zendesk:billing' });
    const company = body(await front.get('/company/tags', { params: { limit: 100 } }))._results as Json[];
    expect(company.map((t) => t.name)).toContain('zendesk:billing');
    expect((await front.delete(`/tags/${String(tag.id)}`)).status).toBe(204);
    expect((await front.get(`/tags/${String(tag.id)}`)).status).toBe(404);
    expect((await front.post('/tags', { name: 'zendesk:billing' })).status).toBe(201);
    expect(sb.writes.of('tags:deleted')).toEqual({ [String(tag.id)]: 1 });
  });

  test('conversation custom fields: listed, set by name on update, unknown names and bad values refused', async () => {
    const fields = body(await front.get('/conversations/custom_fields'))._results as Json[];
    expect(fields.map((f) => [f.name, f.type])).toEqual([
      ['Product', 'enum'],
      ['Region', 'string'],
      ['Order number', 'string'],
    ]);
    expect(fields[0]!.values).toEqual([
      { value: 'basic', label: 'Basic' },
      { value: 'pro', label: 'Pro' },
      { value: 'enterprise', label: 'Enterprise' },
    ]);
    const ok = await front.patch('/conversations/cnv_1', {
      custom_fields: { Product: 'pro', Region: 'emea', 'Order number': '100234' },
    });
    expect(ok.status).toBe(204);
    expect(body(await front.get('/conversations/cnv_1')).custom_fields).toEqual({
      Product: 'pro',
      Region: 'emea',
      'Order number': '100234',
    });
    for (const bad of [{ Plan: 'pro' }, { Product: 'gold' }, { Region: 7 }]) {
      const r = await front.patch('/conversations/cnv_1', { custom_fields: bad });
      expect(r.status).toBe(400);
      expect(body(r)._error).toMatchObject({
        status: 400,
        title: 'Bad request',
        message: expect.any(String) as string,
      });
    }
    expect(body(await front.get('/conversations/cnv_1')).custom_fields).toMatchObject({ Product: 'pro' });
  });

  test('conversation comments newest first; message templates created, listed and deleted', async () => {
    for (const text of ['First internal note', 'Zweite Notiz — ünïcödé'])
      expect((await front.post('/conversations/cnv_1/comments', { body: text, author_id: 'tea_2' })).status).toBe(201);
    const listed = body(await front.get('/conversations/cnv_1/comments'));
    expect((listed._results as Json[]).map((c) => c.body)).toEqual(['Zweite Notiz — ünïcödé', 'First internal note']);
    expect((await front.get('/conversations/cnv_404/comments')).status).toBe(404);

    const created = await front.post('/message_templates', {
      name: 'Zendesk macro: Refund approved',
      subject: 'Your refund',
      body: '<p>Hi {{recipient.first_name}}, your refund is on its way.</p>',
      inbox_ids: ['inb_1'],
    });
    expect(created.status).toBe(201);
    expect(body(created)).toMatchObject({
      id: expect.stringMatching(/^rsp_/) as string,
      name: 'Zendesk macro: Refund approved',
      is_available_for_all_inboxes: false,
      inbox_ids: ['inb_1'],
      attachments: [],
    });
    const everywhere = body(await front.post('/message_templates', { name: 'Out of office', body: 'Back soon' }));
    expect(everywhere).toMatchObject({ is_available_for_all_inboxes: true, inbox_ids: null, subject: null });
    const list = body(await front.get('/message_templates', { params: { sort_order: 'desc' } }));
    expect(list._pagination).toEqual({ next: null });
    expect((list._results as Json[]).map((t) => t.id)).toEqual([everywhere.id, body(created).id]);
    expect((await front.post('/message_templates', { name: 'x', body: 'y', inbox_ids: ['inb_9'] })).status).toBe(400);
    expect((await front.delete(`/message_templates/${String(everywhere.id)}`)).status).toBe(204);
    expect((await front.delete(`/message_templates/${String(everywhere.id)}`)).status).toBe(404);
    expect(sb.writes.of('message_templates')).toEqual({ 'Zendesk macro: Refund approved': 1, 'Out of office': 1 });
  });
});

describe('Front multipart bodies that break the rules', () => {
  let sb: RunningSandbox;

  beforeAll(async () => {
    sb = await startSandbox(frontSandbox, { seed: 1, rate: 100_000 });
  });
  afterAll(() => sb.close());

  /** Sends a raw multipart body with a correct content-length (so only its multipart content is wrong). */
  function rawPost(path: string, boundary: string, payload: Buffer): Promise<{ status: number; body: Json }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${sb.url}${path}`,
        {
          method: 'POST',
          headers: {
            authorization: FRONT_AUTH,
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(payload.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  const field = (boundary: string, name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;

  test('a truncated file part is a 400 in Front’s error shape, recorded, and imports nothing', async () => {
    const boundary = 'tern-boundary-7MA4YWxkTrZu0gW';
    const fields = [
      ['sender[handle]', 'x@example.org'],
      ['to[0]', 'support@example.com'],
      ['body', 'hello'],
      ['external_id', 'truncated-1'],
      ['created_at', '1600000000'],
      ['metadata[is_inbound]', 'true'],
    ]
      .map(([k, v]) => field(boundary, k!, v!))
      .join('');
    const file = `--${boundary}\r\nContent-Disposition: form-data; name="attachments[0]"; filename="log.txt"\r\nContent-Type: text/plain\r\n\r\n`;
    // The file's bytes stop half-way: no closing boundary.
    const payload = Buffer.concat([Buffer.from(fields + file), Buffer.alloc(300_000, 0x41)]);
    const r = await rawPost('/inboxes/inb_1/imported_messages', boundary, payload);
    expect(r.status).toBe(400);
    expect(r.body._error).toMatchObject({
      status: 400,
      title: 'Bad request',
      message: expect.stringContaining('multipart') as string,
    });
    expect(sb.stats().specViolations.map((v) => v.operation)).toEqual(['import-inbox-message']);
    expect(sb.writes.of('messages')).toEqual({});
    expect([...frontCollections.messages(sb.store).values()].some((m) => m.external_id === 'truncated-1')).toBe(false);

    // The same form, complete, is accepted.
    const complete = Buffer.concat([
      Buffer.from(fields + file),
      Buffer.alloc(300_000, 0x41),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const ok = await rawPost('/inboxes/inb_1/imported_messages', boundary, complete);
    expect(ok.status).toBe(202);
    const message = [...frontCollections.messages(sb.store).values()].find((m) => m.external_id === 'truncated-1')!;
    expect(message.attachments).toEqual([
      {
        id: expect.stringMatching(/^fil_/) as string,
        filename: 'log.txt',
        content_type: 'text/plain',
        size: 300_000,
        sha256: createHash('sha256').update(Buffer.alloc(300_000, 0x41)).digest('hex'),
      },
    ]);
  });

  test('form values that do not fit the ImportMessage schema are spec violations, as in JSON', async () => {
    const before = sb.stats().specViolations.length;
    const form = new FormData();
    form.append('sender[handle]', 'x@example.org');
    form.append('to[0]', 'support@example.com');
    form.append('body', 'hello');
    form.append('external_id', 'bad-form-1');
    form.append('created_at', 'yesterday');
    form.append('metadata[is_inbound]', 'maybe');
    const r = await client(sb.url, FRONT_AUTH).post('/inboxes/inb_1/imported_messages', form, {
      headers: form.getHeaders(),
    });
    expect(r.status).toBe(400);
    const details = (body(r)._error as { details: string[] }).details;
    expect(details).toEqual(
      expect.arrayContaining([expect.stringContaining('created_at'), expect.stringContaining('is_inbound')]),
    );
    expect(
      sb
        .stats()
        .specViolations.slice(before)
        .map((v) => v.operation),
    ).toEqual(['import-inbox-message']);
    expect(sb.writes.of('messages')).not.toHaveProperty('bad-form-1');
  });
});
