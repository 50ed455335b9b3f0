import { textOf } from '../../plan/text';
import { UnknownOutcomeError } from '../kit/errors';
import { eachLimited } from '../kit/lanes';
import type { TargetRow } from '../target';
import { ALL_CUSTOM_FIELDS, customFieldRow } from './custom-fields';
import { customFieldsOf, text, type FrontContext, type FrontResourceHandler } from './resource';
import { LIST_READ_BACK_FROM, Listing } from './listing';
import { contactSchema, createdSchema, type FrontContact } from './types';

/**
 * Contacts (key `email`): one per end user, matched by email handle so a contact Front already holds (from live
 * mail) is updated, never duplicated. That is why a contact the ledger has never seen is still looked up: only
 * Front knows whether live mail created it, and an update keeps its before-image for the rollback. Many at once
 * are looked up in the account's contact directory (contact-directory.ts: Front's listing, kept current), and
 * only those it says Front holds are read.
 */

/** https://dev.frontapp.com/reference/get-contact (by id, or by handle: `alt:email:<address>`) */
async function readContact(ctx: FrontContext, idOrAlias: string): Promise<FrontContact | undefined> {
  return ctx.api.read(contactSchema, {
    method: 'get',
    url: `/contacts/${idOrAlias}`,
    operation: 'get contact',
    accept: [404],
  });
}

async function getContact(ctx: FrontContext, idOrAlias: string): Promise<TargetRow | undefined> {
  const c = await readContact(ctx, idOrAlias);
  return c && contactRow(ctx, c);
}

const holds = (c: FrontContact, email: string) =>
  c.handles.some((h) => h.source === 'email' && h.handle.toLowerCase() === email.toLowerCase());

/**
 * The contact Front holds an email on, found through the directory's answer: the contact it names, read by id, when
 * it still holds the email (else the email itself is asked for); none when the directory knows none.
 */
async function contactHolding(ctx: FrontContext, email: string, holder: string | undefined) {
  if (!holder) return undefined;
  const c = await readContact(ctx, holder);
  if (c && holds(c, email)) return contactRow(ctx, c);
  ctx.account.contactDirectory.forget(email, holder);
  return getContact(ctx, byEmail(email));
}

function contactRow(ctx: FrontContext, c: FrontContact): TargetRow {
  return {
    email: c.handles.find((h) => h.source === 'email')?.handle ?? null,
    name: c.name,
    description: c.description,
    ...customFieldRow(ctx.customFields, c.custom_fields),
    __tern_id: c.id,
  };
}

const byEmail = (email: string) => `alt:email:${encodeURIComponent(email)}`;

export const contacts: FrontResourceHandler = {
  async lookup(ctx, records) {
    const out = new Map<string, TargetRow>();
    const unseen = records.filter((r) => !r.targetId).map((r) => r.key);
    // A listing is worth starting for many emails; once the account is listed whole, a listing of what changed
    // since (usually one request) is worth it for two.
    const directory = ctx.account.contactDirectory;
    const holders =
      unseen.length >= (directory.whole ? 2 : LIST_READ_BACK_FROM)
        ? await directory.holders(ctx.api, unseen)
        : undefined;
    await eachLimited([...records], ctx.api.concurrency, async (r) => {
      const row = r.targetId
        ? await getContact(ctx, r.targetId)
        : holders
          ? await contactHolding(ctx, r.key, holders.get(r.key))
          : await getContact(ctx, byEmail(r.key));
      if (row) out.set(r.sourceId, row);
    });
    return out;
  },

  /**
   * Written contacts by the company's contact listing (a hundred a request), each one the listing did not reach
   * read by its id.
   */
  async readBack(ctx, records, listings) {
    const wanted = records.filter((r) => r.targetId);
    if (wanted.length < LIST_READ_BACK_FROM) return contacts.lookup(ctx, records);
    // https://dev.frontapp.com/reference/list-contacts
    const listed = await listings
      .of(
        'contacts',
        (waiting) =>
          new Listing(ctx.api.pages(contactSchema, '/contacts?limit=100', 'list contacts'), (c) => c.id, waiting),
      )
      .take(wanted.map((r) => r.targetId!));
    const out = new Map<string, TargetRow>();
    await eachLimited(wanted, ctx.api.concurrency, async (r) => {
      const c = listed.get(r.targetId!);
      const row = c ? contactRow(ctx, c) : await getContact(ctx, r.targetId!);
      if (row) out.set(r.sourceId, row);
    });
    return out;
  },

  async write(ctx, item) {
    const p = item.payload;
    const id = item.existing?.__tern_id;
    const customFields = customFieldsOf(ctx, item);
    if (id) {
      // https://dev.frontapp.com/reference/update-a-contact
      await ctx.api.send({
        method: 'patch',
        url: `/contacts/${id}`,
        data: { name: text(p.name), description: text(p.description) ?? '', ...customFields },
        operation: 'update contact',
        idempotent: true,
      });
      return id;
    }
    const email = textOf(p.email);
    try {
      // https://dev.frontapp.com/reference/create-contact
      const created = await ctx.api.readOrConflict(createdSchema, {
        method: 'post',
        url: '/contacts',
        data: {
          name: text(p.name),
          description: text(p.description),
          handles: [{ source: 'email', handle: email }],
          ...customFields,
        },
        operation: 'create contact',
      });
      if (created) return created.id;
    } catch (err) {
      if (!(err instanceof UnknownOutcomeError)) throw err;
    }
    // Created by a lost attempt, or by someone else meanwhile: the handle finds it.
    const found = await getContact(ctx, byEmail(email));
    if (!found?.__tern_id) throw new UnknownOutcomeError(`contact ${email}: outcome unknown`, 'front', undefined);
    return found.__tern_id;
  },

  async remove(ctx, r) {
    if (!r.targetId) return false;
    // https://dev.frontapp.com/reference/delete-a-contact
    const status = await ctx.api.send({
      method: 'delete',
      url: `/contacts/${r.targetId}`,
      operation: 'delete contact',
      idempotent: true,
      accept: [404],
    });
    // This process's directory forgets it at once; another's finds it gone when it reads it by id.
    ctx.account.contactDirectory.forget(r.key, r.targetId);
    return status !== 404;
  },

  async restore(ctx, ref, image) {
    const customFields = image[ALL_CUSTOM_FIELDS];
    // https://dev.frontapp.com/reference/update-a-contact
    await ctx.api.send({
      method: 'patch',
      url: `/contacts/${image.__tern_id ?? ref.targetId}`,
      data: {
        name: image.name ?? undefined,
        description: image.description ?? '',
        // Front replaces all of a contact's custom fields: the before-image holds them all.
        ...(customFields ? { custom_fields: JSON.parse(customFields) as Record<string, unknown> } : {}),
      },
      operation: 'restore contact',
      idempotent: true,
    });
  },
};
