import { canonicalValue } from '../../plan/target-values';
import { textOf } from '../../plan/text';
import { eachLimited } from '../kit/lanes';
import type { RecordRef, TargetRow } from '../target';
import { conversationOfMessage, deleteConversation, getConversation, inboxConversations } from './conversations';
import { epochSeconds } from './fields';
import { LIST_READ_BACK_FROM, Listing, type WaitingLimits } from './listing';
import { attachmentsOf, multipart } from './multipart';
import { runsOf, text, UPLOAD_TIMEOUT_MS, type FrontContext, type FrontResourceHandler } from './resource';
import { PageThreads } from './threads';
import { idOfLink, importedSchema, messageSchema, type FrontMessage } from './types';

/**
 * Messages (key `external_id`): imported into the plan's inbox; each carries `thread_ref`, so all messages of one
 * ticket thread into one conversation. Front will not import two messages with one external_id, so an import is
 * safe to repeat: a message the ledger has not written is never looked up, writing it again is the lookup.
 */

function messageRow(m: FrontMessage): TargetRow {
  const from = m.recipients.find((r) => r.role === 'from');
  return {
    thread_ref: m.metadata?.thread_ref ?? null,
    subject: m.subject,
    body: m.body,
    sender_handle: from?.handle ?? null,
    sender_name: from?.name ?? null,
    to: m.recipients.find((r) => r.role === 'to')?.handle ?? null,
    author_id: m.author?.id ?? null,
    is_inbound: String(m.is_inbound),
    // As a date-time, like the plan's value (the checksum compares epoch seconds either way).
    created_at: new Date(m.created_at * 1000).toISOString(),
    attachments: JSON.stringify(m.attachments ?? []),
    __tern_id: m.message_uid,
  };
}

/** A message as Tern reads it back, and the conversation it is in. https://dev.frontapp.com/reference/get-message */
async function getMessage(ctx: FrontContext, uid: string) {
  const m = await ctx.api.read(messageSchema, {
    method: 'get',
    url: `/messages/alt:uid:${uid}`,
    operation: 'get message',
    accept: [404],
  });
  return m && { row: messageRow(m), conversationId: idOfLink(m._links?.related?.conversation) };
}

/** Every message of a conversation, a hundred a request (none when the conversation is gone). */
function conversationMessages(ctx: FrontContext, conversationId: string) {
  // https://dev.frontapp.com/reference/list-conversation-messages
  return ctx.api.listOrNone(
    messageSchema,
    `/conversations/${conversationId}/messages?limit=100`,
    'list conversation messages',
  );
}

/** A message as a listing found it, with the conversation it is in. */
interface ListedMessage {
  row: TargetRow;
  conversationId: string | null;
}

/**
 * The messages of the plan's inbox, conversation after conversation (the inbox's listing, then each conversation's
 * messages): how a read-back finds messages whose conversation Tern has not learnt yet without reading each one
 * first. Each conversation is listed once per read-back, whichever way it was reached.
 */
class InboxMessages {
  readonly listed = new Set<string>();
  /** Conversations a page is listing now (pages of one read-back overlap): another page waits for the listing. */
  readonly listing = new Map<string, Promise<void>>();
  readonly walk: Listing<ListedMessage>;

  constructor(ctx: FrontContext, waiting: WaitingLimits = {}) {
    this.walk = new Listing(this.pages(ctx), (m) => m.row.__tern_id!, waiting);
  }

  /** One request's messages per step (an inbox page yields none: its conversations are listed next). */
  private async *pages(ctx: FrontContext): AsyncGenerator<ListedMessage[]> {
    for await (const conversations of inboxConversations(ctx)) {
      yield [];
      for (const c of conversations) {
        if (this.listed.has(c.id)) continue;
        this.listed.add(c.id);
        yield (await conversationMessages(ctx, c.id)).map((m) => ({ row: messageRow(m), conversationId: c.id }));
      }
    }
  }
}

/** Reads one message at a time (a few), keeping each thread's conversation in Tern's extras. */
async function readEach(ctx: FrontContext, records: readonly RecordRef[]): Promise<Map<string, TargetRow>> {
  const out = new Map<string, TargetRow>();
  const threads = conversationKeeper(ctx);
  await eachLimited(
    records.filter((r) => r.targetId),
    ctx.api.concurrency,
    async (r) => {
      const found = await getMessage(ctx, r.targetId!);
      if (!found) return;
      out.set(r.sourceId, found.row);
      threads.keep(r.targetId!, found);
    },
  );
  await threads.save();
  return out;
}

/**
 * The threads' conversations a read-back learns, kept in Tern's extras (one statement for the whole read): the
 * conversations object then needs no request to find them.
 */
function conversationKeeper(ctx: FrontContext) {
  const kept = new Map<string, { key: string; targetId: string; detail: string }>();
  return {
    keep(uid: string, found: ListedMessage): void {
      const thread = found.row.thread_ref;
      if (!thread || !found.conversationId || kept.has(thread)) return;
      kept.set(thread, { key: thread, targetId: uid, detail: found.conversationId });
    },
    save: () => ctx.extras.putMany('thread', [...kept.values()]),
  };
}

/**
 * Reading back many: each conversation Tern knows (a thread's first message names it in Tern's extras once a
 * read-back learnt it) is listed whole, up to 100 messages a request; with `inbox`, the messages still not found
 * are looked for in the inbox's listing, conversation after conversation, while that pays for itself. What is left
 * is read one message at a time: a ticket's messages sit side by side in source order, so each lane takes a run of
 * neighbours, reads the first and lists its conversation, finding the neighbours there (listed again if the walk
 * listed it before: its messages left the walk's bounded wait, and would otherwise be read one by one).
 */
async function readMany(
  ctx: FrontContext,
  wanted: readonly RecordRef[],
  inbox?: InboxMessages,
): Promise<Map<string, TargetRow>> {
  const out = new Map<string, TargetRow>();
  const threads = conversationKeeper(ctx);
  const rows = new Map<string, TargetRow | null>();
  const listed = new Set<string>();
  const asked = new Set(wanted.map((r) => r.targetId!));
  /**
   * Lists a conversation whole, once a page. `again`: even when another page of this read-back listed it; its
   * messages this page asks for were not waiting in the walk (a bounded wait drops the oldest), and listing it
   * again costs one request where reading them would cost one each.
   */
  const listConversation = async (conversation: string, again = false) => {
    if (listed.has(conversation)) return;
    listed.add(conversation);
    // Listed whole by another page of this read-back: the messages it was not asked for wait in the walk.
    if (inbox?.listed.has(conversation)) {
      if (!again) return inbox.listing.get(conversation);
      // Another page is listing it now (rare): listed again after it, so this page's messages come to this page.
      await inbox.listing.get(conversation);
    }
    inbox?.listed.add(conversation);
    const done = (async () => {
      const later: ListedMessage[] = [];
      for (const m of await conversationMessages(ctx, conversation)) {
        const row = messageRow(m);
        // The thread's conversation, learnt for the conversations object whichever message names it.
        threads.keep(m.message_uid, { row, conversationId: conversation });
        if (asked.has(m.message_uid)) rows.set(m.message_uid, row);
        else later.push({ row, conversationId: conversation });
      }
      inbox?.walk.keep(later);
    })();
    inbox?.listing.set(conversation, done);
    try {
      await done;
    } finally {
      inbox?.listing.delete(conversation);
    }
  };
  const firstOfThread = await ctx.extras.byTargetId(
    'thread',
    wanted.map((r) => r.targetId!),
  );
  const known = [...new Set(wanted.map((r) => firstOfThread.get(r.targetId!)?.detail))].filter((c): c is string => !!c);
  await eachLimited(known, ctx.api.concurrency, (c) => listConversation(c));
  if (inbox) {
    const unknown = wanted.map((r) => r.targetId!).filter((uid) => !rows.has(uid));
    for (const [uid, found] of await inbox.walk.take(unknown)) {
      rows.set(uid, found.row);
      threads.keep(uid, found);
    }
  }
  await eachLimited(runsOf(wanted, ctx.api.concurrency), ctx.api.concurrency, async (run) => {
    for (const r of run) {
      const uid = r.targetId!;
      if (!rows.has(uid)) {
        // Not where the extras said (or they did not say): the message itself names its conversation.
        const found = await getMessage(ctx, uid);
        rows.set(uid, found?.row ?? null);
        if (found?.conversationId) {
          await listConversation(found.conversationId, true);
          threads.keep(uid, found);
        }
      }
      const row = rows.get(uid);
      if (row) out.set(r.sourceId, row);
    }
  });
  await threads.save();
  return out;
}

export const messages: FrontResourceHandler = {
  // Never written, or written without an answer: the import is idempotent by external_id, so writing again is the
  // lookup; only messages Tern wrote are read.
  async lookup(ctx, records) {
    const wanted = records.filter((r) => r.targetId);
    return wanted.length < LIST_READ_BACK_FROM ? readEach(ctx, wanted) : readMany(ctx, wanted);
  },

  async readBack(ctx, records, listings) {
    const wanted = records.filter((r) => r.targetId);
    if (wanted.length < LIST_READ_BACK_FROM) return readEach(ctx, wanted);
    return readMany(
      ctx,
      wanted,
      listings.of('messages', (waiting) => new InboxMessages(ctx, waiting)),
    );
  },

  async openPage(ctx, items) {
    const threads = await PageThreads.read(
      ctx.extras,
      items.map((item) => textOf(item.payload.thread_ref)),
    );
    return { ctx: { ...ctx, threads }, close: () => threads.save() };
  },

  async write(ctx, item) {
    const p = item.payload;
    const inbox = await ctx.account.inbox(ctx.api);
    const authorId = text(p.author_id);
    const inbound = canonicalValue('boolean', p.is_inbound) === 'true';
    const attachments = attachmentsOf(p);
    const threadRef = textOf(p.thread_ref);
    const threads = ctx.threads;
    if (!threads) throw new Error('Front messages are written a page at a time, through openPage');
    const known = threads.before(threadRef);
    const before = known?.detail ? await getConversation(ctx.api, known.detail) : undefined;
    const message = {
      sender: {
        handle: textOf(p.sender_handle),
        ...(text(p.sender_name) ? { name: text(p.sender_name) } : {}),
        ...(!inbound && authorId ? { author_id: authorId } : {}),
      },
      to: [textOf(p.to)],
      ...(text(p.subject) ? { subject: text(p.subject) } : {}),
      body: textOf(p.body),
      body_format: 'html',
      external_id: textOf(p.external_id),
      created_at: epochSeconds(p.created_at),
      type: 'email',
      metadata: { thread_ref: threadRef, is_inbound: inbound, is_archived: true },
    };
    // https://dev.frontapp.com/reference/import-inbox-message
    const imported = await ctx.api.read(importedSchema, {
      method: 'post',
      url: `/inboxes/${inbox}/imported_messages`,
      // With attachments, Front takes the message as multipart/form-data, each file streamed from the source.
      data: attachments.length === 0 ? message : () => multipart(ctx.downloads, message, attachments),
      ...(attachments.length === 0 ? {} : { timeoutMs: UPLOAD_TIMEOUT_MS }),
      operation: 'import message',
      // Front will not import two messages with one external_id: sending again is safe.
      idempotent: true,
    });
    const uid = imported!.message_uid;
    threads.imported(threadRef, uid);
    // Importing into a conversation Tern already shaped (a delta's new comment) archives or reopens it: put its
    // status back, the ticket's own state is the conversations object's to change.
    if (before && before.status !== 'deleted') {
      // https://dev.frontapp.com/reference/update-conversation
      await ctx.api.send({
        method: 'patch',
        url: `/conversations/${before.id}`,
        data: { status: before.status === 'archived' ? 'archived' : 'open' },
        operation: 'keep conversation status',
        idempotent: true,
      });
    }
    return uid;
  },

  async remove(ctx, r) {
    if (!r.targetId) return false;
    // Front deletes messages with their conversation; a ticket's comments go only when the ticket goes.
    const conversation = await conversationOfMessage(ctx.api, r.targetId);
    if (conversation) await deleteConversation(ctx.api, conversation);
    return true;
  },
};
