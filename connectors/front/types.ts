import { z } from 'zod';

/**
 * Front's answers as Tern reads them, validated here and nowhere else (https://dev.frontapp.com/reference).
 * Each schema names only the fields Tern uses; Front's other fields pass through unread.
 */

/** Any listing: a page of results and the link to the next (https://dev.frontapp.com/docs/pagination). */
export const frontList = <T extends z.ZodType>(item: T) =>
  z.object({
    _results: z.array(item),
    _pagination: z.object({ next: z.string().nullish() }).nullish(),
  });

export const teammateSchema = z.object({ id: z.string(), email: z.string(), is_blocked: z.boolean() });
export type FrontTeammate = z.infer<typeof teammateSchema>;

export const inboxSchema = z.object({ id: z.string(), name: z.string() });

export const tagSchema = z.object({ id: z.string(), name: z.string() });

export const customFieldSchema = z.object({
  name: z.string(),
  type: z.enum(['string', 'boolean', 'datetime', 'number', 'teammate', 'inbox', 'enum']),
});

export const createdSchema = z.object({ id: z.string() });

const attachmentSchema = z.object({ filename: z.string(), content_type: z.string(), size: z.number() });

export const contactSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  handles: z.array(z.object({ handle: z.string(), source: z.string() })),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
});
export type FrontContact = z.infer<typeof contactSchema>;

export const messageSchema = z.object({
  _links: z.object({ related: z.object({ conversation: z.string().nullish() }).nullish() }).nullish(),
  message_uid: z.string(),
  subject: z.string(),
  body: z.string(),
  is_inbound: z.boolean(),
  created_at: z.number(),
  author: z.object({ id: z.string() }).nullable(),
  recipients: z.array(z.object({ handle: z.string(), name: z.string().nullable(), role: z.string() })),
  metadata: z.object({ thread_ref: z.string().nullish() }).nullish(),
  attachments: z.array(attachmentSchema).nullish(),
});
export type FrontMessage = z.infer<typeof messageSchema>;

/** An import is accepted, not done: Front answers with the message's uid only. */
export const importedSchema = z.object({ message_uid: z.string() });

export const conversationSchema = z.object({
  id: z.string(),
  status: z.string(),
  assignee: z.object({ id: z.string() }).nullable(),
  tags: z.array(tagSchema),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
});
export type FrontConversation = z.infer<typeof conversationSchema>;

export const templateSchema = z.object({
  id: z.string(),
  name: z.string(),
  subject: z.string().nullable(),
  body: z.string(),
});
export type FrontTemplate = z.infer<typeof templateSchema>;

export const commentSchema = z.object({
  id: z.string(),
  body: z.string(),
  author: z.object({ id: z.string() }).nullable(),
  posted_at: z.number(),
  attachments: z.array(attachmentSchema).nullish(),
});
export type FrontComment = z.infer<typeof commentSchema>;

/** The id at the end of one of Front's links (`…/conversations/cnv_1` → `cnv_1`). */
export const idOfLink = (link: string | null | undefined): string | null =>
  link ? (link.split('/').pop() ?? null) : null;
