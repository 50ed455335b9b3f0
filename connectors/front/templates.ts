import { textOf } from '../../plan/text';
import { UnknownOutcomeError } from '../kit/errors';
import { eachLimited } from '../kit/lanes';
import type { TargetRow } from '../target';
import { text, type FrontContext, type FrontResourceHandler } from './resource';
import { createdSchema, templateSchema, type FrontTemplate } from './types';

/**
 * Message templates (key `name`, from Zendesk macros): matched by name, so a template Front already has is
 * updated and its before-image kept.
 */

/** https://dev.frontapp.com/reference/list-message-templates */
const allTemplates = (ctx: FrontContext) =>
  ctx.api.list(templateSchema, '/message_templates', 'list message templates');

/** https://dev.frontapp.com/reference/get-message-template */
const getTemplate = (ctx: FrontContext, id: string) =>
  ctx.api.read(templateSchema, {
    method: 'get',
    url: `/message_templates/${id}`,
    operation: 'get message template',
    accept: [404],
  });

export const templates: FrontResourceHandler = {
  async lookup(ctx, records) {
    const out = new Map<string, TargetRow>();
    const unknown = records.filter((r) => !r.targetId);
    const byName = new Map<string, FrontTemplate>(
      unknown.length === 0 ? [] : (await allTemplates(ctx)).map((t) => [t.name, t]),
    );
    await eachLimited([...records], ctx.api.concurrency, async (r) => {
      const t = r.targetId ? await getTemplate(ctx, r.targetId) : byName.get(r.key);
      if (t) out.set(r.sourceId, { name: t.name, subject: t.subject, body: t.body, __tern_id: t.id });
    });
    return out;
  },

  async write(ctx, item) {
    const p = item.payload;
    const data = {
      name: textOf(p.name),
      ...(text(p.subject) ? { subject: text(p.subject) } : {}),
      body: textOf(p.body),
    };
    const id = item.existing?.__tern_id;
    if (id) {
      // https://dev.frontapp.com/reference/update-message-template
      await ctx.api.send({
        method: 'patch',
        url: `/message_templates/${id}`,
        data,
        operation: 'update message template',
        idempotent: true,
      });
      return id;
    }
    const find = async () => (await allTemplates(ctx)).find((t) => t.name === data.name);
    if (item.earlierAttempt) {
      const earlier = await find();
      if (earlier) return earlier.id;
    }
    try {
      // https://dev.frontapp.com/reference/create-message-template
      const created = await ctx.api.read(createdSchema, {
        method: 'post',
        url: '/message_templates',
        data,
        operation: 'create message template',
      });
      return created!.id;
    } catch (err) {
      if (!(err instanceof UnknownOutcomeError)) throw err;
      const found = await find();
      if (!found) throw err;
      return found.id;
    }
  },

  async remove(ctx, r) {
    if (!r.targetId) return false;
    // https://dev.frontapp.com/reference/delete-message-template
    const status = await ctx.api.send({
      method: 'delete',
      url: `/message_templates/${r.targetId}`,
      operation: 'delete message template',
      idempotent: true,
      accept: [404],
    });
    return status !== 404;
  },

  async restore(ctx, ref, image) {
    // https://dev.frontapp.com/reference/update-message-template
    await ctx.api.send({
      method: 'patch',
      url: `/message_templates/${image.__tern_id ?? ref.targetId}`,
      data: {
        name: image.name ?? undefined,
        ...(image.subject ? { subject: image.subject } : {}),
        body: image.body ?? '',
      },
      operation: 'restore message template',
      idempotent: true,
    });
  },
};
