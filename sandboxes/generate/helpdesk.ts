import { seededRandom } from '../../common/random';
import type { SandboxStore } from '../core/store';
import { civilFromDays } from '../../plan/timestamps';
import {
  ZENDESK_CUSTOM_FIELDS,
  zendeskCollections,
  type ZendeskAttachment,
  type ZendeskComment,
  type ZendeskOrganization,
  type ZendeskTicket,
  type ZendeskUser,
  type Stored,
} from '../zendesk-records';
import {
  type Body,
  bodyPool,
  emailLocal,
  escapeHtml,
  FIRST_NAMES,
  LAST_NAMES,
  ORGANIZATION_SUFFIXES,
  ORGANIZATION_WORDS,
  SUBJECTS,
} from './text';

/**
 * A Zendesk account as it looks after years of use, for migrations at real scale (700k tickets, 7M comments):
 * ticket volume growing year on year, agents who left (inactive) and one suspended, deleted end users,
 * organizations, bodies in many scripts with HTML, private notes, attachments up to 20 MB, custom fields, tags,
 * every status with old tickets closed, merged and deleted tickets. The same seed and size give the same data.
 *
 * Memory: records share what can be shared (bodies, `via`, empty lists, custom field values), so 700k tickets and
 * their comments fit in a few GiB of heap. Every timestamp is at least 5 minutes before `endAt`.
 */

export interface HelpdeskOptions {
  /** Number of tickets: ids 1..tickets. */
  tickets: number;
  seed: number;
  /** Years of history ending at `endAt` (default 12). */
  years?: number;
  /** Epoch milliseconds or a Date; default HELPDESK_END_AT, so the data never depends on the clock. */
  endAt?: number | Date;
}

export interface HelpdeskFacts {
  tickets: number;
  comments: number;
  users: number;
  agents: number;
  organizations: number;
  attachments: number;
  /** Epoch seconds of the newest timestamp written. */
  newestAt: number;
}

/** The default end of the generated history. */
export const HELPDESK_END_AT = Date.UTC(2026, 0, 1);

const DAY = 86_400;
const YEAR = 365.25 * DAY;
/** Ticket volume grows by this factor every year. */
const GROWTH = 1.3;

export const ORGANIZATION_ID_BASE = 360_000_100_000;
export const USER_ID_BASE = 360_000_200_000;
export const COMMENT_ID_BASE = 360_100_000_000;
export const ATTACHMENT_ID_BASE = 360_200_000_000;
const GROUP_ID = 360_000_300_001;
/** Sequences of the store that continue the generated ids (see touchHelpdesk). */
const COMMENT_SEQUENCE = 'zendesk:comment';
const ATTACHMENT_SEQUENCE = 'zendesk:attachment';

const digit = (n: number) => 48 + n;

/**
 * Epoch seconds → `2019-01-01T00:00:00Z`, as one flat string: slicing `toISOString()` would keep a rope of three
 * strings alive per timestamp, 70 bytes more for each of millions of comments. (Civil date from days: plan/timestamps.)
 */
export function isoSeconds(seconds: number): string {
  const days = Math.floor(seconds / DAY);
  const rem = seconds - days * DAY;
  const { year: y, month: m, day: d } = civilFromDays(days);
  const h = Math.floor(rem / 3600);
  const mi = Math.floor((rem % 3600) / 60);
  const s = rem % 60;
  return String.fromCharCode(
    digit(Math.floor(y / 1000)),
    digit(Math.floor(y / 100) % 10),
    digit(Math.floor(y / 10) % 10),
    digit(y % 10),
    45,
    digit(Math.floor(m / 10)),
    digit(m % 10),
    45,
    digit(Math.floor(d / 10)),
    digit(d % 10),
    84,
    digit(Math.floor(h / 10)),
    digit(h % 10),
    58,
    digit(Math.floor(mi / 10)),
    digit(mi % 10),
    58,
    digit(Math.floor(s / 10)),
    digit(s % 10),
    90,
  );
}
const iso = isoSeconds;
const epochOf = (at: number | Date) => Math.floor((at instanceof Date ? at.getTime() : at) / 1000);

const EMPTY: readonly never[] = Object.freeze([]);
/** The one frozen empty list every record without tags, collaborators or attachments shares. */
const empty = <T>() => EMPTY as unknown as T[];
const NO_FIELDS: Readonly<Record<string, never>> = Object.freeze({});
const VIA: Record<string, { channel: string }> = Object.fromEntries(
  ['email', 'web', 'api', 'mobile', 'chat', 'voice'].map((c) => [c, Object.freeze({ channel: c })]),
);
const CHANNELS = ['email', 'email', 'email', 'web', 'web', 'api', 'mobile', 'chat', 'voice'];
const PRODUCTS = ['basic', 'pro', 'enterprise', null].map((value) =>
  Object.freeze({ id: ZENDESK_CUSTOM_FIELDS.product, value }),
);
const REGIONS = ['emea', 'amer', 'apac', null].map((value) =>
  Object.freeze({ id: ZENDESK_CUSTOM_FIELDS.region, value }),
);
const NO_ORDER = Object.freeze({ id: ZENDESK_CUSTOM_FIELDS.orderNumber, value: null });
const TYPES: ZendeskTicket['type'][] = [
  null,
  null,
  'question',
  'question',
  'question',
  'incident',
  'incident',
  'problem',
  'task',
];
const PRIORITIES: ZendeskTicket['priority'][] = [
  null,
  null,
  null,
  'low',
  'normal',
  'normal',
  'normal',
  'high',
  'urgent',
];
const TAGS = [
  'billing',
  'bug',
  'vip',
  'refund',
  'login',
  'feature_request',
  'shipping',
  'api',
  'urgent',
  'de',
  'jp',
  'églises',
  'größe',
  'sso',
  'churn_risk',
];
const FILES = [
  { file_name: 'screenshot.png', content_type: 'image/png' },
  { file_name: 'photo of damage.jpg', content_type: 'image/jpeg' },
  { file_name: 'invoice-2021.pdf', content_type: 'application/pdf' },
  { file_name: 'server log (1).txt', content_type: 'text/plain' },
  { file_name: 'Übersicht.xlsx', content_type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  { file_name: '契約書.docx', content_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  { file_name: 'har-export.zip', content_type: 'application/zip' },
  { file_name: 'screen recording.mp4', content_type: 'video/mp4' },
];

/** The content_url Zendesk gives an attachment (kept as a path; presented as an absolute URL). */
export const attachmentContentUrl = (id: number, fileName: string) =>
  `/attachments/token/tok${id.toString(36)}/?name=${encodeURIComponent(fileName)}`;

/** Position in [0, 1) of the history → seconds since its start, for volume growing by GROWTH a year. */
function growthTime(p: number, years: number): number {
  const total = Math.pow(GROWTH, years) - 1;
  return (Math.log(1 + p * total) / Math.log(GROWTH)) * YEAR;
}

interface Agent {
  id: number;
  hiredAt: number;
  /** When the agent left (inactive or suspended), else Infinity. */
  leftAt: number;
}

/** Fills the Zendesk collections of `store` with a generated helpdesk. */
export function generateHelpdesk(store: SandboxStore, options: HelpdeskOptions): HelpdeskFacts {
  const n = Math.floor(options.tickets);
  if (!Number.isInteger(n) || n < 1) throw new Error(`tickets must be a positive integer, not ${options.tickets}`);
  const years = options.years ?? 12;
  const random = seededRandom(options.seed);
  const between = (a: number, b: number) => a + Math.floor(random() * (b - a));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const limit = epochOf(options.endAt ?? HELPDESK_END_AT) - 5 * 60 - 1;
  const start = Math.floor(limit - years * YEAR);
  const span = limit - start;
  const bodies = bodyPool(options.seed);
  const descriptions: Body[] = bodies.slice(0, 200);

  const orgs = zendeskCollections.organizations(store);
  const users = zendeskCollections.users(store);
  const tickets = zendeskCollections.tickets(store);
  const comments = zendeskCollections.comments(store);
  let newestAt = 0;
  const stamp = (t: number) => {
    if (t > newestAt) newestAt = t;
    return iso(t);
  };

  // Organizations: one per ~25 end users, created in the first years.
  const endUserCount = Math.ceil(n / 3) + 10;
  const orgCount = Math.max(3, Math.floor(endUserCount / 25));
  const orgDomains: string[] = [];
  for (let i = 1; i <= orgCount; i++) {
    const id = ORGANIZATION_ID_BASE + i;
    const word = ORGANIZATION_WORDS[(i - 1) % ORGANIZATION_WORDS.length]!;
    const name = `${word} ${ORGANIZATION_SUFFIXES[(i * 7) % ORGANIZATION_SUFFIXES.length]!}${i > ORGANIZATION_WORDS.length ? ` ${i}` : ''}`;
    const domain = `${emailLocal(word, 'org', i).replace(/\./g, '-')}.example.com`;
    orgDomains.push(domain);
    const created = start + Math.floor(random() * span * 0.5);
    const organization: ZendeskOrganization = {
      id,
      name,
      domain_names: [domain],
      details: i % 9 === 0 ? 'Bäckerei & Café — Filiale Köln' : null,
      notes: i % 13 === 0 ? 'Legacy contract: <b>do not</b> upsell' : null,
      group_id: null,
      shared_tickets: i % 2 === 0,
      shared_comments: false,
      external_id: i % 5 === 0 ? `LEGACY-ORG-${i}` : null,
      tags: i % 4 === 0 ? ['key_account'] : empty<string>(),
      organization_fields: { account_tier: pick(['gold', 'silver', 'bronze']) },
      created_at: stamp(created),
      updated_at: stamp(created + Math.floor(random() * (limit - created))),
      deleted_at: null,
    };
    orgs.set(String(id), organization as Stored<ZendeskOrganization>);
  }

  // Agents: ~1 per 2000 tickets plus 5, hired over the years; ~5% left (inactive), one suspended; the first is
  // the admin and never leaves.
  const agentCount = Math.floor(n / 2000) + 5;
  const agents: Agent[] = [];
  let userNumber = 0;
  const suspendedIndex = Math.min(agentCount - 1, 3);
  for (let i = 0; i < agentCount; i++) {
    userNumber += 1;
    const id = USER_ID_BASE + userNumber;
    const hiredAt = i < 5 ? start - between(1, 90) * DAY : start + Math.floor((i / agentCount) * span * 0.9);
    // One in twenty left the company: inactive from then on.
    const leaves = i > 0 && (i === suspendedIndex || (i - 2) % 20 === 0);
    const leftAt = leaves ? Math.min(limit - DAY, hiredAt + between(180, 2500) * DAY) : Infinity;
    agents.push({ id, hiredAt, leftAt });
    const first = FIRST_NAMES[(i * 7 + options.seed) % FIRST_NAMES.length]!;
    const last = LAST_NAMES[(i * 3 + options.seed) % LAST_NAMES.length]!;
    const user: ZendeskUser = {
      id,
      name: `${first} ${last}`,
      email: `${emailLocal(first, last, userNumber)}@support.example.com`,
      role: i === 0 ? 'admin' : 'agent',
      active: !leaves || i === suspendedIndex,
      suspended: i === suspendedIndex,
      verified: true,
      organization_id: null,
      phone: null,
      time_zone: pick(['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC']),
      locale: pick(['en-US', 'de', 'fr', 'ja']),
      tags: empty<string>(),
      user_fields: NO_FIELDS,
      created_at: stamp(Math.max(start - 90 * DAY, hiredAt)),
      updated_at: stamp(Math.min(limit, leaves ? leftAt : hiredAt + Math.floor(random() * (limit - hiredAt)))),
    };
    users.set(String(id), user as Stored<ZendeskUser>);
  }
  /** An agent working at `t` (a few tries among those hired by then; the admin otherwise). */
  const agentAt = (t: number): Agent => {
    let hired = 0;
    let hi = agents.length;
    while (hired < hi) {
      const mid = (hired + hi) >>> 1;
      if (agents[mid]!.hiredAt <= t) hired = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < 4 && hired > 0; k++) {
      const a = agents[Math.floor(random() * hired)]!;
      if (a.leftAt > t) return a;
    }
    return agents[0]!;
  };

  // End users, created at the pace tickets come in; ~2% deleted (inactive).
  const endUserBase = USER_ID_BASE + userNumber;
  const endUserCreated = new Float64Array(endUserCount);
  for (let i = 0; i < endUserCount; i++) {
    userNumber += 1;
    const id = USER_ID_BASE + userNumber;
    const created = start + Math.floor(growthTime((i + random()) / endUserCount, years) * 0.999) - DAY;
    endUserCreated[i] = created;
    const first = FIRST_NAMES[Math.floor(random() * FIRST_NAMES.length)]!;
    const last = LAST_NAMES[Math.floor(random() * LAST_NAMES.length)]!;
    const orgIndex = random() < 0.6 ? i % orgCount : -1;
    const deleted = random() < 0.02;
    const user: ZendeskUser = {
      id,
      name: `${first} ${last}`,
      email: `${emailLocal(first, last, userNumber)}@${orgIndex >= 0 ? orgDomains[orgIndex]! : pick(['mail.example.org', 'post.example.de', 'example.co.jp'])}`,
      role: 'end-user',
      active: !deleted,
      suspended: false,
      verified: !deleted && random() < 0.9,
      organization_id: orgIndex >= 0 ? ORGANIZATION_ID_BASE + orgIndex + 1 : null,
      phone: random() < 0.2 ? `+4930${between(1_000_000, 9_999_999)}` : null,
      time_zone: pick(['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Asia/Jerusalem']),
      locale: pick(['en-US', 'en-US', 'de', 'fr', 'ja', 'ar', 'he']),
      tags: random() < 0.05 ? ['vip'] : empty<string>(),
      user_fields: NO_FIELDS,
      created_at: stamp(created),
      updated_at: stamp(created + Math.floor(random() * (limit - created))),
    };
    users.set(String(id), user as Stored<ZendeskUser>);
  }
  /** An end user who existed at `t` (long-time customers file more tickets). */
  const endUserAt = (t: number): number => {
    let lo = 0;
    let hi = endUserCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (endUserCreated[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return endUserBase + 1 + Math.floor(random() * Math.max(1, lo));
  };

  let commentId = COMMENT_ID_BASE;
  let attachmentId = ATTACHMENT_ID_BASE;
  let attachmentCount = 0;
  const times = new Float64Array(21);
  /** Comments of each ticket, so a merge note never takes a ticket past 20. */
  const commentCounts = new Uint8Array(n + 1);
  for (let id = 1; id <= n; id++) {
    const created = start + Math.floor(growthTime((id - 1 + random()) / n, years));
    const age = limit - created;
    const requester = endUserAt(created);
    const agent = agentAt(created);
    const subjectTemplate = SUBJECTS[Math.floor(random() * SUBJECTS.length)]!;
    const subject = subjectTemplate.includes('{n}')
      ? subjectTemplate.replace('{n}', String(between(10_000, 9_999_999)))
      : subjectTemplate;
    const deleted = random() < 0.005;
    const merged = !deleted && id > 1 && random() < 0.015;
    let status: ZendeskTicket['status'];
    if (deleted) status = 'deleted';
    else if (merged) status = 'closed';
    else if (age > 28 * DAY) {
      // Solved tickets close after 28 days; a few old ones were forgotten open, pending or on hold.
      const r = random();
      status = r < 0.985 ? 'closed' : r < 0.99 ? 'open' : r < 0.995 ? 'pending' : 'hold';
    } else {
      const r = random();
      status = r < 0.15 ? 'new' : r < 0.45 ? 'open' : r < 0.6 ? 'pending' : r < 0.65 ? 'hold' : 'solved';
    }
    // 1..20 comments, most tickets a handful; a new ticket has only its description.
    const replies = Math.floor(19 * Math.pow(random(), 1.15));
    const count = status === 'new' ? 1 : merged ? Math.min(20, replies + 2) : 1 + replies;
    // Replies spread from minutes to days, squeezed into what is left of the history for recent tickets.
    times[0] = created;
    let total = 0;
    for (let c = 1; c < count; c++) {
      const gap = random() < 0.6 ? between(120, 6 * 3600) : between(6 * 3600, 5 * DAY);
      total += gap;
      times[c] = gap;
    }
    const room = Math.max(0, limit - created - 60);
    const scale = total > room ? room / total : 1;
    for (let c = 1; c < count; c++) times[c] = times[c - 1]! + Math.floor(times[c]! * scale);
    const mergeInto = merged ? mergeTarget(id, random) : 0;
    commentCounts[id] = count;
    const withAttachments = random() < 0.1 ? Math.floor(random() * count) : -1;
    const collaborator = random() < 0.08 ? endUserAt(created) : undefined;
    let anyPublic = false;
    let description = '';
    let channel = 'email';
    for (let c = 0; c < count; c++) {
      commentId += 1;
      const mergeNote = merged && c === count - 1;
      const byRequester = c === 0 || (!mergeNote && random() < 0.4);
      const author = byRequester
        ? collaborator !== undefined && c > 0 && random() < 0.2
          ? collaborator
          : requester
        : agent.id;
      // About a fifth of agent comments are private notes; the merge note always is.
      const isPublic = byRequester || (!mergeNote && random() >= 0.2);
      anyPublic ||= isPublic;
      const body =
        c === 0
          ? descriptions[Math.floor(random() * descriptions.length)]!
          : bodies[Math.floor(random() * bodies.length)]!;
      let attachments = empty<ZendeskAttachment>();
      if (c === withAttachments) {
        attachments = [];
        const k = 1 + Math.floor(Math.pow(random(), 3) * 3);
        for (let a = 0; a < k; a++) {
          attachmentId += 1;
          attachmentCount += 1;
          const file = FILES[Math.floor(random() * FILES.length)]!;
          // Mostly 2 KB – 2 MB, small ones the most common; about 1 in 500 is 5–20 MB.
          const size =
            random() < 0.002
              ? between(5 * 1024 * 1024, 20 * 1024 * 1024 + 1)
              : Math.floor(2048 * Math.pow(1000, Math.pow(random(), 2)));
          attachments.push({
            id: attachmentId,
            file_name: file.file_name,
            content_url: attachmentContentUrl(attachmentId, file.file_name),
            content_type: file.content_type,
            size,
            inline: file.content_type.startsWith('image/') && random() < 0.1,
            deleted: false,
          });
        }
      }
      const via = c === 0 ? pick(CHANNELS) : byRequester ? 'email' : 'web';
      if (c === 0) {
        description = body.plain;
        channel = via;
      }
      const text = mergeNote ? mergeText(id, mergeInto) : undefined;
      const comment: ZendeskComment = {
        id: commentId,
        ticket_id: id,
        type: 'Comment',
        author_id: author,
        body: text ?? body.plain,
        html_body: text === undefined ? body.html : `<div class="zd-comment"><p>${text}</p></div>`,
        plain_body: text ?? body.plain,
        public: isPublic,
        attachments,
        audit_id: commentId + 1_000_000,
        via: VIA[via]!,
        created_at: stamp(times[c]!),
      };
      comments.set(String(commentId), comment as Stored<ZendeskComment>);
    }
    const lastAt = times[count - 1]!;
    const settle =
      status === 'closed' ? between(1, 30) * DAY : status === 'solved' ? between(60, 3 * DAY) : between(0, 3600);
    const updated = Math.min(limit, lastAt + settle);
    const tags: string[] = [];
    for (const tag of TAGS) if (random() < 0.06) tags.push(tag);
    if (merged) tags.push('closed_by_merge');
    const orderNumber =
      random() < 0.5 ? { id: ZENDESK_CUSTOM_FIELDS.orderNumber, value: String(between(100_000, 999_999)) } : NO_ORDER;
    const ticket: ZendeskTicket = {
      id,
      external_id: id % 50 === 0 ? `LEGACY-${id}` : null,
      type: pick(TYPES),
      subject,
      raw_subject: subject,
      description,
      priority: pick(PRIORITIES),
      status,
      requester_id: requester,
      submitter_id: requester,
      assignee_id: status === 'new' ? null : agent.id,
      organization_id: users.get(String(requester))!.organization_id,
      group_id: status === 'new' ? null : GROUP_ID,
      collaborator_ids: collaborator !== undefined ? [collaborator] : empty<number>(),
      tags,
      custom_fields: [pick(PRODUCTS), pick(REGIONS), orderNumber] as ZendeskTicket['custom_fields'],
      via: VIA[channel]!,
      has_incidents: false,
      is_public: anyPublic,
      created_at: stamp(created),
      updated_at: stamp(updated),
    };
    tickets.set(String(id), ticket as Stored<ZendeskTicket>);
    // The ticket merged into gets a private note too, when it was still being worked on at the time.
    const target = merged ? tickets.get(String(mergeInto)) : undefined;
    if (
      target &&
      commentCounts[target.id]! < 20 &&
      target.status !== 'deleted' &&
      target.status !== 'new' &&
      !target.tags.includes('closed_by_merge') &&
      epochOf(Date.parse(target.updated_at)) >= lastAt
    ) {
      commentId += 1;
      commentCounts[target.id] = commentCounts[target.id]! + 1;
      const note = mergedIntoText(id, subject);
      const comment: ZendeskComment = {
        id: commentId,
        ticket_id: target.id,
        type: 'Comment',
        author_id: agent.id,
        body: note,
        html_body: `<div class="zd-comment"><p>${escapeHtml(note)}</p></div>`,
        plain_body: note,
        public: false,
        attachments: empty<ZendeskAttachment>(),
        audit_id: commentId + 1_000_000,
        via: VIA.web!,
        created_at: stamp(lastAt),
      };
      comments.set(String(commentId), comment as Stored<ZendeskComment>);
    }
  }
  store.advanceSequence(COMMENT_SEQUENCE, commentId - COMMENT_ID_BASE);
  store.advanceSequence(ATTACHMENT_SEQUENCE, attachmentId - ATTACHMENT_ID_BASE);
  return {
    tickets: n,
    comments: commentId - COMMENT_ID_BASE,
    users: userNumber,
    agents: agentCount,
    organizations: orgCount,
    attachments: attachmentCount,
    newestAt,
  };
}

/** A merged ticket goes into an earlier one (of the last few hundred). */
function mergeTarget(id: number, random: () => number): number {
  return Math.max(1, id - 1 - Math.floor(random() * Math.min(id - 1, 300)));
}

/** The note Zendesk leaves on the ticket another one was merged into. */
export const mergedIntoText = (from: number, subject: string) =>
  `Request #${from} "${subject}" was closed and merged into this request.`;

export const mergeText = (from: number, into: number) => `Request #${from} was closed and merged into request #${into}`;

// ---------------------------------------------------------------------------------------------------------------
// Deltas: what changes in the helpdesk between two migration runs.

export interface HelpdeskTouch {
  seed: number;
  /** New tickets, ids continuing after the largest one, each with 1–3 comments. */
  newTickets?: number;
  /** Comments added to existing open tickets (one per ticket). */
  newComments?: number;
  /** Existing tickets whose status changes (open → pending/solved, solved → open …). */
  statusChanges?: number;
  /** Existing tickets marked deleted. */
  deletes?: number;
  /** When it all happened: epoch ms or a Date, at least a minute in the past (Zendesk exports nothing newer). */
  at: number | Date;
}

export interface HelpdeskTouched {
  newTicketIds: number[];
  /** Tickets that got a comment, and the comments' ids. */
  commentedTicketIds: number[];
  newCommentIds: number[];
  statusChangedTicketIds: number[];
  deletedTicketIds: number[];
}

const NEXT_STATUS: Partial<Record<ZendeskTicket['status'], ZendeskTicket['status']>> = {
  new: 'open',
  open: 'solved',
  pending: 'open',
  hold: 'open',
  solved: 'closed',
};

/**
 * Changes the helpdesk the way a day of work does, every changed record stamped `updated_at = at`, and returns
 * the ids it touched. The tickets changed are distinct across the kinds of change and deterministic for the seed.
 */
export function touchHelpdesk(store: SandboxStore, touch: HelpdeskTouch): HelpdeskTouched {
  const at = epochOf(touch.at);
  if (at > Math.floor(Date.now() / 1000) - 60)
    throw new Error('touchHelpdesk: `at` must be at least a minute in the past, or the incremental export hides it');
  const random = seededRandom(touch.seed ^ 0x70c4);
  const stamp = iso(at);
  const tickets = zendeskCollections.tickets(store);
  const comments = zendeskCollections.comments(store);
  const users = zendeskCollections.users(store);
  const bodies = bodyPool(touch.seed);
  let maxId = 0;
  for (const t of tickets.values()) if (t.id > maxId) maxId = t.id;
  const agents: number[] = [];
  const endUsers: number[] = [];
  for (const u of users.values()) if (u.active && !u.suspended) (u.role === 'end-user' ? endUsers : agents).push(u.id);
  if (endUsers.length === 0 || agents.length === 0) throw new Error('touchHelpdesk needs a generated helpdesk');
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const nextCommentId = () => {
    for (;;) {
      const id = COMMENT_ID_BASE + store.nextId(COMMENT_SEQUENCE);
      if (!comments.has(String(id))) return id;
    }
  };
  const addComment = (ticket: ZendeskTicket, author: number, isPublic: boolean, first: boolean) => {
    const id = nextCommentId();
    const body = pick(bodies);
    const comment: ZendeskComment = {
      id,
      ticket_id: ticket.id,
      type: 'Comment',
      author_id: author,
      body: body.plain,
      html_body: body.html,
      plain_body: body.plain,
      public: isPublic,
      attachments: [],
      audit_id: id + 1_000_000,
      via: VIA[first ? 'email' : 'web']!,
      created_at: stamp,
    };
    comments.set(String(id), comment as Stored<ZendeskComment>);
    return comment;
  };

  const touched = new Set<number>();
  /** Distinct existing tickets whose status passes `ok`, picked at random (bounded tries, then a scan). */
  const choose = (count: number, ok: (t: ZendeskTicket) => boolean): ZendeskTicket[] => {
    const out: ZendeskTicket[] = [];
    for (let tries = 0; out.length < count && tries < count * 50; tries++) {
      const t = tickets.get(String(1 + Math.floor(random() * maxId)));
      if (t && !touched.has(t.id) && ok(t)) {
        touched.add(t.id);
        out.push(t);
      }
    }
    for (const t of tickets.values()) {
      if (out.length >= count) break;
      if (!touched.has(t.id) && ok(t)) {
        touched.add(t.id);
        out.push(t);
      }
    }
    return out;
  };

  const result: HelpdeskTouched = {
    newTicketIds: [],
    commentedTicketIds: [],
    newCommentIds: [],
    statusChangedTicketIds: [],
    deletedTicketIds: [],
  };

  for (const t of choose(touch.newComments ?? 0, (t) => t.status !== 'closed' && t.status !== 'deleted')) {
    const agent = t.assignee_id ?? pick(agents);
    const byRequester = random() < 0.5;
    const c = addComment(t, byRequester ? t.requester_id : agent, byRequester || random() >= 0.2, false);
    tickets.set(String(t.id), {
      ...t,
      status: byRequester ? 'open' : t.status === 'new' ? 'open' : t.status,
      assignee_id: agent,
      updated_at: stamp,
    });
    result.commentedTicketIds.push(t.id);
    result.newCommentIds.push(c.id);
  }
  for (const t of choose(touch.statusChanges ?? 0, (t) => NEXT_STATUS[t.status] !== undefined)) {
    const status = t.status === 'open' && random() < 0.3 ? 'pending' : NEXT_STATUS[t.status]!;
    tickets.set(String(t.id), {
      ...t,
      status,
      assignee_id: t.assignee_id ?? pick(agents),
      updated_at: stamp,
    });
    result.statusChangedTicketIds.push(t.id);
  }
  for (const t of choose(touch.deletes ?? 0, (t) => t.status !== 'deleted')) {
    tickets.set(String(t.id), { ...t, status: 'deleted', updated_at: stamp });
    result.deletedTicketIds.push(t.id);
  }
  for (let k = 0; k < (touch.newTickets ?? 0); k++) {
    const id = maxId + 1 + k;
    const requester = pick(endUsers);
    const subject = pick(SUBJECTS).replace('{n}', String(100_000 + id));
    const ticket: ZendeskTicket = {
      id,
      external_id: null,
      type: pick(TYPES),
      subject,
      raw_subject: subject,
      description: '',
      priority: pick(PRIORITIES),
      status: 'new',
      requester_id: requester,
      submitter_id: requester,
      assignee_id: null,
      organization_id: users.get(String(requester))?.organization_id ?? null,
      group_id: null,
      collaborator_ids: [],
      tags: [],
      custom_fields: [pick(PRODUCTS), pick(REGIONS), NO_ORDER] as ZendeskTicket['custom_fields'],
      via: VIA.email!,
      has_incidents: false,
      is_public: true,
      created_at: stamp,
      updated_at: stamp,
    };
    const first = addComment(ticket, requester, true, true);
    ticket.description = first.plain_body;
    const more = Math.floor(random() * 3);
    if (more > 0) {
      ticket.status = 'open';
      ticket.assignee_id = pick(agents);
      ticket.group_id = GROUP_ID;
      for (let c = 0; c < more; c++) addComment(ticket, c % 2 === 0 ? ticket.assignee_id : requester, true, false);
    }
    tickets.set(String(id), ticket as Stored<ZendeskTicket>);
    result.newTicketIds.push(id);
  }
  return result;
}
