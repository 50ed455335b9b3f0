import { textOf } from '../../plan/text';
import { eachLimited } from '../kit/lanes';
import type { TargetRow } from '../target';
import type { FrontApi } from './api';
import { customFieldRow } from './custom-fields';
import { customFieldsOf, text, type FrontContext, type FrontResourceHandler } from './resource';
import { LIST_READ_BACK_FROM, Listing } from './listing';
import { conversationSchema, idOfLink, messageSchema, type FrontConversation } from './types';

/**
 * Conversations (key `thread_ref`): the conversation a ticket's imported messages opened gets its status,
 * assignee, tags and custom fields (`cf_<name>`) from the ticket. Tern never creates one directly: the first
 * imported message of a thread does, and Tern's extras keep the thread's conversation once it is known.
 */

/** https://dev.frontapp.com/reference/get-conversation-by-id */
export async function getConversation(api: FrontApi, id: string) {
  return api.read(conversationSchema, {
    method: 'get',
    url: `/conversations/${id}`,
    operation: 'get conversation',
    accept: [404],
  });
}

/** The conversation a message is in (from its link), or null when the message is gone. */
export async function conversationOfMessage(api: FrontApi, uid: string): Promise<string | null> {
  // https://dev.frontapp.com/reference/get-message
  const m = await api.read(messageSchema, {
    method: 'get',
    url: `/messages/alt:uid:${uid}`,
    operation: 'get message',
    accept: [404],
  });
  return m ? idOfLink(m._links?.related?.conversation) : null;
}

/** Trashes then deletes a conversation (Front deletes only from the trash); absent is fine. */
export async function deleteConversation(api: FrontApi, id: string): Promise<boolean> {
  // https://dev.frontapp.com/reference/update-conversation
  const trashed = await api.send({
    method: 'patch',
    url: `/conversations/${id}`,
    data: { status: 'deleted' },
    operation: 'trash conversation',
    idempotent: true,
    accept: [404],
  });
  if (trashed === 404) return false;
  // https://dev.frontapp.com/reference/delete-conversation
  await api.send({
    method: 'delete',
    url: `/conversations/${id}`,
    operation: 'delete conversation',
    idempotent: true,
    accept: [404],
  });
  return true;
}

/** An inbox's conversations, a hundred a request. https://dev.frontapp.com/reference/list-inbox-conversations */
export async function* inboxConversations(ctx: FrontContext): AsyncGenerator<FrontConversation[]> {
  const inbox = await ctx.account.inbox(ctx.api);
  yield* ctx.api.pages(conversationSchema, `/inboxes/${inbox}/conversations?limit=100`, 'list inbox conversations');
}

/** A conversation as Tern reads it back, or undefined when it is gone. */
async function conversationRow(ctx: FrontContext, id: string, threadRef: string): Promise<TargetRow | undefined> {
  return rowOf(ctx, await getConversation(ctx.api, id), threadRef);
}

function rowOf(ctx: FrontContext, c: FrontConversation | undefined, threadRef: string): TargetRow | undefined {
  if (!c || c.status === 'deleted') return undefined;
  return {
    thread_ref: threadRef,
    status: c.status === 'archived' ? 'archived' : 'open',
    assignee_id: c.assignee?.id ?? null,
    tags: JSON.stringify(c.tags.map((t) => t.name).sort()),
    ...customFieldRow(ctx.customFields, c.custom_fields),
    __tern_id: c.id,
  };
}

export const conversations: FrontResourceHandler = {
  /**
   * A conversation Tern has written before (the ledger has its id) is read: a change made in Front since is a
   * conflict, and an update keeps the custom fields the plan does not map. One the ledger has never written was
   * opened by Tern's own import: its id is all the write needs, from the thread's extras (or its first message).
   */
  async lookup(ctx, records) {
    const out = new Map<string, TargetRow>();
    // Gone from Front. After a rollback (which deleted the thread's messages, and with them the conversation), the
    // thread's import made a new conversation: found below through the thread, as for one never written. Deleted
    // behind Tern's back instead, the thread still names the same conversation, and it stays gone.
    const gone: (typeof records)[number][] = [];
    await eachLimited(
      records.filter((r) => r.targetId),
      ctx.api.concurrency,
      async (r) => {
        const row = await conversationRow(ctx, r.targetId!, r.key);
        if (row) out.set(r.sourceId, row);
        else gone.push(r);
      },
    );
    const byThread = [...records.filter((r) => !r.targetId), ...gone];
    const threads = await ctx.extras.get(
      'thread',
      byThread.map((r) => r.key),
    );
    await eachLimited(byThread, ctx.api.concurrency, async (r) => {
      const thread = threads.get(r.key);
      if (!thread) return;
      let id = thread.detail;
      if (!id && thread.targetId) {
        id = await conversationOfMessage(ctx.api, thread.targetId);
        if (id) await ctx.extras.put('thread', r.key, thread.targetId, id);
      }
      if (!id || id === r.targetId) return;
      // An earlier attempt may have updated it without hearing back: read it, as for one Tern wrote.
      const row = r.state === 'pending' ? await conversationRow(ctx, id, r.key) : { thread_ref: r.key, __tern_id: id };
      if (row) out.set(r.sourceId, { ...row, __tern_created: 'true' });
    });
    return out;
  },

  /**
   * Written conversations by the inbox's listing (a hundred a request), each one the listing did not reach read by
   * its id: one moved to another inbox, or listed where the listing stopped paying for itself.
   */
  async readBack(ctx, records, listings) {
    const wanted = records.filter((r) => r.targetId);
    if (wanted.length < LIST_READ_BACK_FROM) return conversations.lookup(ctx, records);
    const listed = await listings
      .of('conversations', (waiting) => new Listing(inboxConversations(ctx), (c) => c.id, waiting))
      .take(wanted.map((r) => r.targetId!));
    const out = new Map<string, TargetRow>();
    await eachLimited(wanted, ctx.api.concurrency, async (r) => {
      const c = listed.get(r.targetId!);
      const row = c ? rowOf(ctx, c, r.key) : await conversationRow(ctx, r.targetId!, r.key);
      if (row) out.set(r.sourceId, row);
    });
    return out;
  },

  async write(ctx, item) {
    const id = item.existing?.__tern_id;
    if (!id) return null;
    const p = item.payload;
    const customFields = customFieldsOf(ctx, item);
    // https://dev.frontapp.com/reference/update-conversation
    await ctx.api.send({
      method: 'patch',
      url: `/conversations/${id}`,
      data: {
        status: textOf(p.status) === 'archived' ? 'archived' : 'open',
        // Front's document types assignee_id as a string: an unassigned ticket leaves the assignee as it is.
        ...(text(p.assignee_id) ? { assignee_id: text(p.assignee_id) } : {}),
        tag_ids: await ctx.account.tags(ctx.api, ctx.extras, (p.tags as string[] | null) ?? []),
        ...customFields,
      },
      operation: 'update conversation',
      idempotent: true,
    });
    return id;
  },

  async remove(ctx, r) {
    return r.targetId ? deleteConversation(ctx.api, r.targetId) : false;
  },
};
