import { ConfigError } from '../../common/errors';
import { canonicalValue } from '../../plan/target-values';
import { textOf } from '../../plan/text';
import { RecordRejectedError } from '../kit/errors';
import { eachLimited } from '../kit/lanes';
import type { RecordRef, TargetRecords, TargetRow, WriteItem, WriteOutcome } from '../target';
import { comments } from './comments';
import { contacts } from './contacts';
import { conversations } from './conversations';
import {
  canonicalFrontField,
  checksummedFields,
  epochSeconds,
  FRONT_ORDERED_BY,
  hasCustomFields,
  REWRITTEN_FIELDS,
  type FrontResource,
} from './fields';
import { Listings } from './listing';
import { messages } from './messages';
import type { FrontContext, FrontResourceHandler } from './resource';
import { templates } from './templates';

/** Each resource's own lookups and writes, one file each. */
const HANDLERS: Record<FrontResource, FrontResourceHandler> = {
  contacts,
  messages,
  conversations,
  comments,
  templates,
};

/** Why a conversation could not be written (a handler answered null). */
const NO_CONVERSATION = {
  message:
    'no imported message opened this ticket’s conversation (the ticket has no public comment that was loaded); load its messages first',
  code: 'no_conversation',
};

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * One Front resource as a plan object's records: what is written is resolved into Front's own terms first
 * (teammates by email, tags by name, custom fields by type), so the checksum covers what Front stores.
 */
export class FrontRecords implements TargetRecords {
  readonly keyIsSourceId = false;
  private readonly handler: FrontResourceHandler;
  constructor(
    private readonly ctx: FrontContext,
    private readonly resource: FrontResource,
    /** The listings this object's read-back walks, kept from one page of records to the next. */
    private readonly listings = new Listings(),
  ) {
    this.handler = HANDLERS[resource];
  }

  storesAsSent(field: string): boolean {
    return !REWRITTEN_FIELDS[this.resource].includes(field);
  }

  private get api() {
    return this.ctx.api;
  }

  private teammate(email: string | null) {
    return this.ctx.account.teammate(this.api, email);
  }

  /** Refuses a `cf_…` field Front does not have, after reading the fields again (one created meanwhile). */
  private async checkCustomFields(payloads: readonly Record<string, unknown>[]): Promise<void> {
    if (!hasCustomFields(this.resource)) return;
    const keys = [...new Set(payloads.flatMap((p) => Object.keys(p).filter((k) => k.startsWith('cf_'))))];
    if (keys.every((k) => this.ctx.customFields.has(k))) return;
    const fields = await this.ctx.account.customFieldsHaving(this.api, this.resource, keys);
    this.ctx.customFields = fields;
    const unknown = keys.find((k) => !fields.has(k));
    if (unknown)
      throw new ConfigError(
        `${this.resource} field ${unknown} is not a Front ${this.resource.slice(0, -1)} custom field (known: ${[...fields.keys()].join(', ') || 'none'})`,
        'create the custom field in Front, or map to one of the known fields',
      );
  }

  async prepare(payloads: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    await this.checkCustomFields(payloads);
    const out: Record<string, unknown>[] = [];
    for (const payload of payloads) {
      const p = { ...payload };
      if (this.resource === 'messages' || this.resource === 'comments') {
        const author = p.author === null || p.author === undefined ? null : textOf(p.author);
        const inbound = this.resource === 'messages' && canonicalValue('boolean', p.is_inbound) === 'true';
        // A note always has an author in Front (one posted without is the API token's): without a known one it is
        // the fallback teammate's, so what is written is what Tern checksums.
        const mapped = inbound
          ? { id: null, fallback: false }
          : this.resource === 'comments' && !author?.trim()
            ? { ...(await this.teammate(this.ctx.account.config.fallbackTeammate)), fallback: true }
            : await this.teammate(author);
        p.author_id = mapped.id;
        const name = p.author_name === null || p.author_name === undefined ? author : textOf(p.author_name);
        const when = isoOf(epochSeconds(p.created_at)).replace('.000Z', 'Z');
        // Front stamps a comment with the time it is posted: the note keeps its own time and author visibly.
        if (this.resource === 'comments')
          p.body = `<p><em>Private note by ${escapeHtml(name ?? 'unknown')}${author ? ` &lt;${escapeHtml(author)}&gt;` : ''}, ${when}</em></p>${textOf(p.body)}`;
        else if (mapped.fallback)
          p.body = `<p><em>Originally written by ${escapeHtml(name ?? author ?? 'unknown')}${author ? ` &lt;${escapeHtml(author)}&gt;` : ''}</em></p>${textOf(p.body)}`;
        delete p.author;
        delete p.author_name;
      }
      if (this.resource === 'conversations') {
        const assignee = p.assignee === null || p.assignee === undefined ? null : textOf(p.assignee);
        p.assignee_id = (await this.teammate(assignee)).id;
        delete p.assignee;
        // `tags` and every `tag_<anything>` field (a status, a priority mapped to a tag) become the tag list.
        const tags: string[] = [];
        for (const key of Object.keys(p)) {
          if (key !== 'tags' && !key.startsWith('tag_')) continue;
          const value = p[key];
          if (value !== null && value !== undefined)
            for (const t of Array.isArray(value) ? value : [value]) if (textOf(t).trim()) tags.push(textOf(t).trim());
          delete p[key];
        }
        p.tags = [...new Set(tags)].sort();
      }
      out.push(p);
    }
    return out;
  }

  /** Over the fields Front stores for the payload's, including those `prepare` added (see checksummedFields). */
  canonical(payload: Record<string, unknown>): TargetRow {
    const out: TargetRow = {};
    for (const field of checksummedFields(this.resource, Object.keys(payload)))
      out[field] = canonicalFrontField(this.resource, field, payload[field], this.ctx.customFields);
    return out;
  }

  /** The same fields for a plan's, a payload's or a checksum's field list, so both sides always agree. */
  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow {
    const out: TargetRow = {};
    for (const field of checksummedFields(this.resource, fields))
      out[field] = canonicalFrontField(this.resource, field, row[field] ?? null, this.ctx.customFields);
    return out;
  }

  /** With `fields`, a reconciliation's read-back: through Front's listings where the resource has one. */
  lookup(records: readonly RecordRef[], fields?: readonly string[]): Promise<Map<string, TargetRow>> {
    if (fields && this.handler.readBack) return this.handler.readBack(this.ctx, records, this.listings);
    return this.handler.lookup(this.ctx, records);
  }

  async write(items: readonly WriteItem[]): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { ids: new Map(), rejected: new Map() };
    // Up to the account's concurrency at once; the records sharing the value Front orders them by (a thread's
    // messages, a conversation's notes) one after another, in order, so Front shows them as the ticket had them.
    const orderedBy = FRONT_ORDERED_BY[this.resource];
    const lanes = new Map<string, WriteItem[]>();
    for (const item of items) {
      const lane = orderedBy ? textOf(item.payload[orderedBy]) : item.sourceId;
      const list = lanes.get(lane);
      if (list) list.push(item);
      else lanes.set(lane, [item]);
    }
    const page = (await this.handler.openPage?.(this.ctx, items)) ?? { ctx: this.ctx, close: async () => {} };
    try {
      await eachLimited([...lanes.values()], this.api.concurrency, async (lane) => {
        for (const item of lane) {
          try {
            const id = await this.handler.write(page.ctx, item);
            if (id === null) outcome.rejected.set(item.sourceId, NO_CONVERSATION);
            else outcome.ids.set(item.sourceId, id);
          } catch (err) {
            if (!(err instanceof RecordRejectedError)) throw err;
            outcome.rejected.set(item.sourceId, { message: err.message, code: err.code, field: err.field ?? null });
          }
        }
      });
    } catch (err) {
      // The page failed and is written again: its records are still pending in the ledger, and writing them again
      // saves what this page could not. The page's own error is the one to report.
      await page.close().catch(() => undefined);
      throw err;
    }
    await page.close();
    return outcome;
  }

  async remove(records: readonly RecordRef[]): Promise<number> {
    let removed = 0;
    for (const r of records) if (await this.handler.remove(this.ctx, r)) removed += 1;
    return removed;
  }

  async restore(images: readonly { ref: RecordRef; image: TargetRow }[]): Promise<void> {
    for (const { ref, image } of images) {
      if (!this.handler.restore)
        throw new Error(`Front ${this.resource} are only ever created by Tern: nothing to restore for ${ref.sourceId}`);
      await this.handler.restore(this.ctx, ref, image);
    }
  }
}
