import { textOf } from '../../plan/text';
import { UnknownOutcomeError } from '../kit/errors';
import { eachLimited } from '../kit/lanes';
import type { RecordRef, TargetRow } from '../target';
import { deleteConversation } from './conversations';
import { attachmentsOf, multipart } from './multipart';
import { text, UPLOAD_TIMEOUT_MS, type FrontContext, type FrontResourceHandler } from './resource';
import { commentSchema, createdSchema, type FrontComment } from './types';

/**
 * Comments (key: the note's own reference): private notes on their ticket's conversation, with the original
 * author and time in a visible header (Front stamps a comment with the time it is posted). Front has no way to
 * find a note by an id of Tern's, so one an earlier attempt may have posted is found by its body in the
 * conversation's listing; one the ledger has never tried to write is posted without a look.
 */

/** Every comment of a conversation (none when it is gone). https://dev.frontapp.com/reference/list-conversation-comments */
function conversationComments(ctx: FrontContext, conversationId: string): Promise<FrontComment[]> {
  return ctx.api.listOrNone(commentSchema, `/conversations/${conversationId}/comments`, 'list conversation comments');
}

function commentRow(c: FrontComment, conversationId: string, key: string): TargetRow {
  return {
    note_ref: key,
    conversation_id: conversationId,
    body: c.body,
    author_id: c.author?.id ?? null,
    attachments: JSON.stringify(c.attachments ?? []),
    __tern_id: `${conversationId}/${c.id}`,
  };
}

const conversationOf = (targetId: string) => targetId.split('/')[0]!;

/** Conversations whose notes a read-back keeps listed for its next pages (a ticket's notes sit side by side). */
const RECENT_CONVERSATIONS = 64;

/**
 * Notes Tern wrote, one listing per conversation (not one per note). `recent`: the listings of a read-back's last
 * conversations, so a ticket whose notes fall on two pages is listed once.
 */
async function readNotes(
  ctx: FrontContext,
  records: readonly RecordRef[],
  recent?: Map<string, FrontComment[]>,
): Promise<Map<string, TargetRow>> {
  const out = new Map<string, TargetRow>();
  const byConversation = new Map<string, RecordRef[]>();
  for (const r of records) {
    if (!r.targetId) continue;
    const conversationId = conversationOf(r.targetId);
    byConversation.set(conversationId, [...(byConversation.get(conversationId) ?? []), r]);
  }
  await eachLimited([...byConversation], ctx.api.concurrency, async ([conversationId, refs]) => {
    let listed = recent?.get(conversationId);
    if (!listed) {
      listed = await conversationComments(ctx, conversationId);
      recent?.set(conversationId, listed);
      if (recent && recent.size > RECENT_CONVERSATIONS) recent.delete(recent.keys().next().value!);
    }
    const found = new Map(listed.map((c) => [`${conversationId}/${c.id}`, c]));
    for (const r of refs) {
      const hit = found.get(r.targetId!);
      if (hit) out.set(r.sourceId, commentRow(hit, conversationId, r.key));
    }
  });
  return out;
}

export const comments: FrontResourceHandler = {
  lookup: (ctx, records) => readNotes(ctx, records),

  readBack: (ctx, records, listings) =>
    readNotes(
      ctx,
      records,
      listings.of('notes', () => new Map<string, FrontComment[]>()),
    ),

  async write(ctx, item) {
    const p = item.payload;
    const conversationId = textOf(p.conversation_id);
    const body = textOf(p.body);
    // In Front already (the lookup found it, e.g. a note changed at the source or in Front): changed in place,
    // never posted a second time. Front keeps the files a note was posted with.
    const existing = item.existing?.__tern_id;
    if (existing) {
      // https://dev.frontapp.com/reference/update-comment
      await ctx.api.send({
        method: 'patch',
        url: `/comments/${existing.split('/')[1]}`,
        data: { body },
        operation: 'update comment',
        idempotent: true,
      });
      return existing;
    }
    // An earlier attempt whose answer never came, or a lost answer: the note may be there already. Its body starts
    // with the header Tern writes (original author and time), so the body finds it.
    const findExisting = async () => (await conversationComments(ctx, conversationId)).find((c) => c.body === body);
    if (item.earlierAttempt) {
      const earlier = await findExisting();
      if (earlier) return `${conversationId}/${earlier.id}`;
    }
    try {
      const comment = { body, ...(text(p.author_id) ? { author_id: text(p.author_id) } : {}) };
      const files = attachmentsOf(p);
      // https://dev.frontapp.com/reference/add-comment
      const created = await ctx.api.read(createdSchema, {
        method: 'post',
        url: `/conversations/${conversationId}/comments`,
        data: files.length === 0 ? comment : () => multipart(ctx.downloads, comment, files),
        ...(files.length === 0 ? {} : { timeoutMs: UPLOAD_TIMEOUT_MS }),
        operation: 'add comment',
      });
      return `${conversationId}/${created!.id}`;
    } catch (err) {
      if (!(err instanceof UnknownOutcomeError)) throw err;
      const found = await findExisting();
      if (!found) throw err;
      return `${conversationId}/${found.id}`;
    }
  },

  async remove(ctx, r) {
    // Front has no endpoint to delete a comment: it goes with its conversation, which Tern opened.
    return r.targetId ? deleteConversation(ctx.api, conversationOf(r.targetId)) : false;
  },
};
