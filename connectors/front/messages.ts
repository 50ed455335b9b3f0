import { canonicalValue } from '../../plan/target-values';
import { textOf } from '../../plan/text';
import { eachLimited } from '../kit/lanes';
import type { TargetRow } from '../target';
import { conversationOfMessage, deleteConversation, getConversation } from './conversations';
import { epochSeconds } from './fields';
import { attachmentsOf, multipart } from './multipart';
import { runsOf, text, UPLOAD_TIMEOUT_MS, type FrontContext, type FrontResourceHandler } from './resource';
import { idOfLink, importedSchema, messageSchema, type FrontMessage } from './types';

/**
 * Messages (key `external_id`): imported into the plan's inbox; each carries `thread_ref`, so all messages of one
 * ticket thread into one conversation. Front will not import two messages with one external_id, so an import is
 * safe to repeat: a message the ledger has not written is never looked up, writing it again is the lookup.
 */

/**
 * From how many messages on one read-back Tern reads whole conversations (one listing finds every message of a
 * ticket) instead of one message at a time: below it, a listing would mostly find messages nobody asked for.
 */
const LIST_READ_BACK_FROM = 20;

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

export const messages: FrontResourceHandler = {
  async lookup(ctx, records) {
    const out = new Map<string, TargetRow>();
    // Never written, or written without an answer: the import is idempotent by external_id, so writing again is
    // the lookup.
    const wanted = records.filter((r) => r.targetId);
    // The thread's conversation, once a read-back learns it, is kept in Tern's extras: the conversations object
    // then needs no request to find it.
    const kept = new Set<string>();
    const keepConversation = async (uid: string, found: { row: TargetRow; conversationId: string | null }) => {
      const thread = found.row.thread_ref;
      if (!thread || !found.conversationId || kept.has(thread)) return;
      kept.add(thread);
      await ctx.extras.put('thread', thread, uid, found.conversationId);
    };
    if (wanted.length < LIST_READ_BACK_FROM) {
      await eachLimited(wanted, ctx.api.concurrency, async (r) => {
        const found = await getMessage(ctx, r.targetId!);
        if (!found) return;
        out.set(r.sourceId, found.row);
        await keepConversation(r.targetId!, found);
      });
      return out;
    }
    // Reading back many: a ticket's messages sit side by side in source order, so each lane takes a run of
    // neighbours and lists each one's whole conversation (up to 100 messages a request), finding the neighbours
    // there instead of asking for them one by one. A thread's first message names its conversation in Tern's
    // extras once an earlier read-back learnt it; any other message is read once to learn it.
    const rows = new Map<string, TargetRow | null>();
    const listed = new Set<string>();
    const listConversation = async (conversation: string) => {
      if (listed.has(conversation)) return;
      listed.add(conversation);
      for (const m of await conversationMessages(ctx, conversation)) rows.set(m.message_uid, messageRow(m));
    };
    const firstOfThread = await ctx.extras.byTargetId(
      'thread',
      wanted.map((r) => r.targetId!),
    );
    await eachLimited(runsOf(wanted, ctx.api.concurrency), ctx.api.concurrency, async (run) => {
      for (const r of run) {
        const uid = r.targetId!;
        const conversation = firstOfThread.get(uid)?.detail;
        if (!rows.has(uid) && conversation) await listConversation(conversation);
        if (!rows.has(uid)) {
          // Not where the extras said (or they did not say): the message itself names its conversation.
          const found = await getMessage(ctx, uid);
          rows.set(uid, found?.row ?? null);
          if (found?.conversationId) {
            await listConversation(found.conversationId);
            await keepConversation(uid, found);
          }
        }
        const row = rows.get(uid);
        if (row) out.set(r.sourceId, row);
      }
    });
    return out;
  },

  async write(ctx, item) {
    const p = item.payload;
    const inbox = await ctx.account.inbox(ctx.api);
    const authorId = text(p.author_id);
    const inbound = canonicalValue('boolean', p.is_inbound) === 'true';
    const attachments = attachmentsOf(p);
    const threadRef = textOf(p.thread_ref);
    const known = (await ctx.extras.get('thread', [threadRef])).get(threadRef);
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
    await ctx.extras.put('thread', threadRef, uid);
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
