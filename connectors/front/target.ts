import type { Readable } from 'node:stream';
import FormData from 'form-data';
import type postgres from 'postgres';
import { ConfigError } from '../../common/errors';
import { canonicalValue } from '../../plan/target-values';
import { textOf } from '../../plan/text';
import { RecordRejectedError, UnknownOutcomeError, VendorError } from '../kit/errors';
import { eachLimited } from '../kit/lanes';
import type { VendorClient } from '../kit/http';
import type { GoldColumn, GoldSchema } from '../../plan/gold';
import { TargetExtras } from '../extras';
import type { RecordRef, TargetAdapter, TargetRecords, TargetRow, WriteItem, WriteOutcome } from '../target';
import {
  canonicalFrontField,
  checksummedFields,
  epochSeconds,
  FIELDS,
  FRONT_RESOURCES,
  goldColumn,
  hasCustomFields,
  type CustomFieldResource,
  type FrontResource,
  type SourceAttachment,
  REWRITTEN_FIELDS,
} from './fields';
import {
  ALL_CUSTOM_FIELDS,
  customFieldKey,
  customFieldKind,
  customFieldRow,
  customFieldsToSend,
  type FrontCustomField,
} from './custom-fields';

/**
 * Front as a plan's target. Four resources, written in dependency order by the plan:
 *
 * - `contacts` (key `email`): one contact per end user, matched by email handle so a contact Front already
 *   holds (from live mail) is updated, never duplicated.
 * - `messages` (key `external_id`): imported messages in the plan's inbox; each carries `thread_ref`, so all
 *   messages of one ticket thread into one conversation. Front will not import two messages with one
 *   external_id, so an import is safe to repeat.
 * - `conversations` (key `thread_ref`): the conversation the ticket's messages opened gets its status,
 *   assignee, tags and custom fields (`cf_<name>` fields) from the ticket.
 * - `comments` (key: the note's own reference): private notes, with the original author and time in a visible
 *   header (Front stamps a comment with the time it is posted).
 * - `templates` (key `name`): message templates (Zendesk macros), matched by name so one Front already has is
 *   updated, its before-image kept.
 *
 * Agents map to teammates by email; an agent Front does not know (or a blocked teammate) is written as the
 * plan's fallback teammate, and the message or note says who wrote it originally.
 */

export { canonicalAttachments, FRONT_RESOURCES, type FrontResource } from './fields';
export { customFieldKey } from './custom-fields';

export interface FrontTargetConfig {
  inbox: string;
  fallbackTeammate: string;
}

/** Opens an attachment of the source as a stream (the source's credentials stay with the source). */
export type AttachmentDownloads = (url: string) => Promise<Readable>;

interface Teammate {
  id: string;
  email: string;
  is_blocked: boolean;
}

interface FrontList<T> {
  _results: T[];
  _pagination?: { next?: string | null };
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const isoOf = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * A write that streams files from the source into a multipart form may take longer than a JSON call; each file is
 * watched for stalls by the download itself, the whole upload is bounded by this.
 */
const UPLOAD_TIMEOUT_MS = 5 * 60_000;

/**
 * From how many messages on one read-back Tern reads whole conversations (one listing finds every message of a
 * ticket) instead of one message at a time: below it, a listing would mostly find messages nobody asked for.
 */
const LIST_READ_BACK_FROM = 20;

/** Splits `items` into at most `parts` runs of neighbours, in order. */
function runsOf<T>(items: readonly T[], parts: number): T[][] {
  const size = Math.max(1, Math.ceil(items.length / Math.max(1, parts)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Front, reached through the connector kit (governed, retried, credentials by reference). */
export class FrontTarget implements TargetAdapter {
  readonly kind = 'front';
  private teammates?: Promise<Map<string, Teammate>>;
  private inboxId?: Promise<string>;
  private tagIds?: Map<string, string>;
  private customFields: Partial<Record<CustomFieldResource, Promise<Map<string, FrontCustomField>>>> = {};
  readonly extras: TargetExtras;

  constructor(
    readonly client: VendorClient,
    private readonly config: FrontTargetConfig,
    sql: postgres.Sql,
    migrationId: string,
    /** Plan object name → Front resource. */
    private readonly resources: Record<string, FrontResource>,
    /** The source's attachment downloads, when the source has attachments. */
    readonly downloads?: AttachmentDownloads,
  ) {
    this.extras = new TargetExtras(sql, migrationId);
  }

  async records(objectName: string): Promise<TargetRecords> {
    const resource = this.resources[objectName];
    if (!resource) throw new ConfigError(`object "${objectName}" has no Front resource`, 'set target.resource');
    // Custom fields are known before any record is prepared or compared: their types decide both.
    return (hasCustomFields(resource) ? this.customFieldsOf(resource) : Promise.resolve(new Map())).then(
      (customFields) => new FrontRecords(this, resource, customFields),
    );
  }

  async discoverGold(resources: readonly string[]): Promise<GoldSchema> {
    const inbox = await this.inbox();
    const gold: GoldSchema = { schema: `front:${inbox}`, tables: {} };
    for (const name of [...resources].sort()) {
      const known = (FRONT_RESOURCES as readonly string[]).includes(name);
      const columns: GoldColumn[] = known
        ? FIELDS[name as FrontResource].map((f) => goldColumn(f.name, f.kind, f.nullable))
        : [];
      if (known && hasCustomFields(name as FrontResource))
        for (const [key, field] of [...(await this.customFieldsOf(name as CustomFieldResource))].sort())
          columns.push(goldColumn(key, customFieldKind(field.type), true));
      gold.tables[name] = {
        exists: known,
        columns,
        uniqueColumns: known ? [FIELDS[name as FrontResource][0]!.name] : [],
        // Any tag_<name> field of a conversation adds its value to the conversation's tags.
        ...(name === 'conversations' ? { fieldPatterns: ['^tag_[a-z0-9_]+$'] } : {}),
      };
    }
    return gold;
  }

  /** Tags Tern created are removed once every conversation is gone. */
  async rollbackExtras(): Promise<{ removed: number }> {
    let removed = 0;
    for (const tag of await this.extras.created('tag')) {
      await this.client.request({
        method: 'delete',
        url: `/tags/${tag.target_id}`,
        operation: 'delete tag',
        idempotent: true,
        accept: [404],
      });
      await this.extras.removed('tag', tag.key);
      this.tagIds?.delete(tag.key);
      removed += 1;
    }
    return { removed };
  }

  async verifyExtras(): Promise<{ remaining: string[] }> {
    const rows = await this.extras.created('tag', { ever: true });
    const remaining: string[] = [];
    for (const tag of rows) {
      const res = await this.client.request({
        method: 'get',
        url: `/tags/${tag.target_id}`,
        operation: 'get tag',
        accept: [404],
      });
      if (res.status !== 404) remaining.push(`tag ${tag.key}`);
    }
    return { remaining };
  }

  // -- what Front knows --------------------------------------------------------------------------------------

  async list<T>(url: string, operation: string): Promise<T[]> {
    const out: T[] = [];
    let next: string | null = url;
    while (next) {
      const res: { data: FrontList<T> } = await this.client.request<FrontList<T>>({
        method: 'get',
        url: next,
        operation,
      });
      out.push(...res.data._results);
      next = res.data._pagination?.next ?? null;
    }
    return out;
  }

  teammateMap(): Promise<Map<string, Teammate>> {
    this.teammates ??= this.list<Teammate>('/teammates', 'list teammates').then(
      (all) => new Map(all.map((t) => [t.email.toLowerCase(), t])),
    );
    this.teammates.catch(() => (this.teammates = undefined));
    return this.teammates;
  }

  /** The teammate id for an agent's email; unknown or blocked → the fallback teammate (`fallback: true`). */
  async teammate(email: string | null): Promise<{ id: string | null; fallback: boolean }> {
    if (!email) return { id: null, fallback: false };
    const all = await this.teammateMap();
    const found = all.get(email.trim().toLowerCase());
    if (found && !found.is_blocked) return { id: found.id, fallback: false };
    const fallback = all.get(this.config.fallbackTeammate.toLowerCase());
    if (!fallback)
      throw new ConfigError(
        `target.fallbackTeammate ${this.config.fallbackTeammate} is not a Front teammate`,
        'set target.fallbackTeammate to the email of an active teammate',
      );
    return { id: fallback.id, fallback: true };
  }

  inbox(): Promise<string> {
    this.inboxId ??= (async () => {
      if (/^inb_/.test(this.config.inbox)) return this.config.inbox;
      const all = await this.list<{ id: string; name: string }>('/inboxes', 'list inboxes');
      const hit = all.find((i) => i.name === this.config.inbox);
      if (!hit)
        throw new ConfigError(
          `target.inbox "${this.config.inbox}" is not a Front inbox (inboxes: ${all.map((i) => i.name).join(', ')})`,
          'set target.inbox to an inbox id (inb_…) or the exact name of an inbox',
        );
      return hit.id;
    })();
    this.inboxId.catch(() => (this.inboxId = undefined));
    return this.inboxId;
  }

  /**
   * A resource's custom fields by plan key (`cf_…`): their Front name and type.
   * https://dev.frontapp.com/reference/list-contact-custom-fields,
   * https://dev.frontapp.com/reference/list-conversation-custom-fields
   */
  customFieldsOf(resource: CustomFieldResource): Promise<Map<string, FrontCustomField>> {
    const known = (this.customFields[resource] ??= this.list<FrontCustomField>(
      `/${resource}/custom_fields`,
      `list ${resource.slice(0, -1)} custom fields`,
    ).then((all) => new Map(all.map((f) => [customFieldKey(f.name), { name: f.name, type: f.type }]))));
    known.catch(() => delete this.customFields[resource]);
    return known;
  }

  /** The plan's fallback teammate: a note without a known author is written as theirs. */
  fallbackTeammate(): string {
    return this.config.fallbackTeammate;
  }

  private tagQueue: Promise<unknown> = Promise.resolve();

  /**
   * Tag ids by name, creating the tags Front does not have (and recording them for the rollback). One call at a
   * time: concurrent writers of a page must not create one tag twice.
   */
  tags(names: readonly string[]): Promise<string[]> {
    const next = this.tagQueue.then(() => this.tagsNow(names));
    this.tagQueue = next.catch(() => undefined);
    return next;
  }

  private async tagsNow(names: readonly string[]): Promise<string[]> {
    if (!this.tagIds) {
      const all = await this.list<{ id: string; name: string }>('/tags', 'list tags');
      this.tagIds = new Map(all.map((t) => [t.name, t.id]));
    }
    const ids: string[] = [];
    for (const name of names) {
      let id = this.tagIds.get(name);
      if (!id) {
        const res = await this.client.request<{ id: string }>({
          method: 'post',
          url: '/tags',
          data: { name },
          operation: 'create tag',
          accept: [409],
          idempotent: true,
        });
        if (res.status === 409) {
          // Created meanwhile by someone else: read the tags again.
          this.tagIds = undefined;
          return this.tagsNow(names);
        }
        id = res.data.id;
        await this.extras.put('tag', name, id);
        this.tagIds.set(name, id);
      }
      ids.push(id);
    }
    return ids;
  }

  /** Trashes then deletes a conversation (Front deletes only from the trash); absent is fine. */
  async deleteConversation(id: string): Promise<boolean> {
    const trashed = await this.client.request({
      method: 'patch',
      url: `/conversations/${id}`,
      data: { status: 'deleted' },
      operation: 'trash conversation',
      idempotent: true,
      accept: [404],
    });
    if (trashed.status === 404) return false;
    await this.client.request({
      method: 'delete',
      url: `/conversations/${id}`,
      operation: 'delete conversation',
      idempotent: true,
      accept: [404],
    });
    return true;
  }

  /** The conversation a message is in (from its link), or null when the message is gone. */
  async conversationOfMessage(uid: string): Promise<string | null> {
    const res = await this.client.request<{ _links: { related: { conversation: string } } }>({
      method: 'get',
      url: `/messages/alt:uid:${uid}`,
      operation: 'get message',
      accept: [404],
    });
    if (res.status === 404) return null;
    return res.data._links.related.conversation.split('/').pop() ?? null;
  }
}

/** One Front resource as a plan object's records. */
class FrontRecords implements TargetRecords {
  readonly keyIsSourceId = false;

  storesAsSent(field: string): boolean {
    return !REWRITTEN_FIELDS[this.resource].includes(field);
  }

  constructor(
    private readonly front: FrontTarget,
    private readonly resource: FrontResource,
    /** The resource's custom fields by plan key (`cf_…`); empty for resources without any. */
    private readonly customFields: ReadonlyMap<string, FrontCustomField>,
  ) {}

  private get client() {
    return this.front.client;
  }

  async prepare(payloads: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const payload of payloads) {
      const p = { ...payload };
      if (hasCustomFields(this.resource))
        for (const key of Object.keys(p))
          if (key.startsWith('cf_') && !this.customFields.has(key))
            throw new ConfigError(
              `${this.resource} field ${key} is not a Front ${this.resource.slice(0, -1)} custom field (known: ${[...this.customFields.keys()].join(', ') || 'none'})`,
              'create the custom field in Front, or map to one of the known fields',
            );
      if (this.resource === 'messages' || this.resource === 'comments') {
        const author = p.author === null || p.author === undefined ? null : textOf(p.author);
        const inbound = this.resource === 'messages' && canonicalValue('boolean', p.is_inbound) === 'true';
        // A note always has an author in Front (one posted without is the API token's): without a known one it is
        // the fallback teammate's, so what is written is what Tern checksums.
        const mapped = inbound
          ? { id: null, fallback: false }
          : this.resource === 'comments' && !author?.trim()
            ? { ...(await this.front.teammate(this.front.fallbackTeammate())), fallback: true }
            : await this.front.teammate(author);
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
        p.assignee_id = (await this.front.teammate(assignee)).id;
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
      out[field] = canonicalFrontField(this.resource, field, payload[field], this.customFields);
    return out;
  }

  /** The same fields for a plan's, a payload's or a checksum's field list, so both sides always agree. */
  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow {
    const out: TargetRow = {};
    for (const field of checksummedFields(this.resource, fields))
      out[field] = canonicalFrontField(this.resource, field, row[field] ?? null, this.customFields);
    return out;
  }

  // -- lookup ------------------------------------------------------------------------------------------------

  async lookup(records: readonly RecordRef[]): Promise<Map<string, TargetRow>> {
    const out = new Map<string, TargetRow>();
    const each = (list: readonly RecordRef[], fn: (r: RecordRef) => Promise<void>) =>
      eachLimited([...list], this.client.concurrency, fn);
    switch (this.resource) {
      case 'contacts':
        await each(records, async (r) => {
          const url = r.targetId ? `/contacts/${r.targetId}` : `/contacts/alt:email:${encodeURIComponent(r.key)}`;
          const row = await this.getContact(url);
          if (row) out.set(r.sourceId, row);
        });
        return out;
      case 'messages': {
        // Never written, or written without an answer: the import is idempotent by external_id, so writing again
        // is the lookup.
        const wanted = records.filter((r) => r.targetId);
        if (wanted.length < LIST_READ_BACK_FROM) {
          await each(wanted, async (r) => {
            const found = await this.getMessage(r.targetId!);
            if (found) out.set(r.sourceId, found.row);
          });
          return out;
        }
        // Reading back many: a ticket's messages sit side by side in source order, so each lane takes a run of
        // neighbours, reads one message to learn its conversation, then lists the whole conversation (up to 100
        // messages a request) and finds the neighbours there instead of asking for them one by one.
        const rows = new Map<string, TargetRow | null>();
        const listed = new Set<string>();
        await eachLimited(runsOf(wanted, this.client.concurrency), this.client.concurrency, async (run) => {
          for (const r of run) {
            const uid = r.targetId!;
            if (!rows.has(uid)) {
              const found = await this.getMessage(uid);
              rows.set(uid, found?.row ?? null);
              const conversation = found?.conversationId;
              if (conversation && !listed.has(conversation)) {
                listed.add(conversation);
                for (const m of await this.conversationMessages(conversation)) rows.set(m.message_uid, messageRow(m));
              }
            }
            const row = rows.get(uid);
            if (row) out.set(r.sourceId, row);
          }
        });
        return out;
      }
      case 'conversations': {
        const threads = await this.front.extras.get(
          'thread',
          records.filter((r) => !r.targetId).map((r) => r.key),
        );
        await each(records, async (r) => {
          let id = r.targetId ?? null;
          let ternCreated = false;
          if (!id) {
            const thread = threads.get(r.key);
            if (!thread) return;
            ternCreated = true;
            id = thread.detail ?? (thread.targetId ? await this.front.conversationOfMessage(thread.targetId) : null);
            if (!id) return;
            if (!thread.detail) await this.front.extras.put('thread', r.key, thread.targetId, id);
          }
          const row = await this.getConversation(id, r.key);
          if (row) out.set(r.sourceId, ternCreated ? { ...row, __tern_created: 'true' } : row);
        });
        return out;
      }
      case 'templates': {
        const unknown = records.filter((r) => !r.targetId);
        const byName =
          unknown.length === 0
            ? new Map<string, FrontTemplate>()
            : new Map(
                (await this.front.list<FrontTemplate>('/message_templates', 'list message templates')).map((t) => [
                  t.name,
                  t,
                ]),
              );
        await each(records, async (r) => {
          const t = r.targetId ? await this.getTemplate(r.targetId) : byName.get(r.key);
          if (t) out.set(r.sourceId, { name: t.name, subject: t.subject, body: t.body, __tern_id: t.id });
        });
        return out;
      }
      case 'comments': {
        // One listing per conversation finds every note of it (not one listing per note).
        const byConversation = new Map<string, RecordRef[]>();
        for (const r of records) {
          if (!r.targetId) continue;
          const conversationId = r.targetId.split('/')[0]!;
          byConversation.set(conversationId, [...(byConversation.get(conversationId) ?? []), r]);
        }
        await eachLimited([...byConversation], this.client.concurrency, async ([conversationId, refs]) => {
          const comments = new Map(
            (await this.conversationComments(conversationId)).map((c) => [`${conversationId}/${c.id}`, c]),
          );
          for (const r of refs) {
            const hit = comments.get(r.targetId!);
            if (hit) out.set(r.sourceId, commentRow(hit, conversationId, r.key));
          }
        });
        return out;
      }
    }
  }

  private async getContact(url: string): Promise<TargetRow | undefined> {
    const res = await this.client.request<FrontContactBody>({
      method: 'get',
      url,
      operation: 'get contact',
      accept: [404],
    });
    if (res.status === 404) return undefined;
    const c = res.data;
    return {
      email: c.handles.find((h) => h.source === 'email')?.handle ?? null,
      name: c.name,
      description: c.description,
      ...customFieldRow(this.customFields, c.custom_fields),
      __tern_id: c.id,
    };
  }

  /** A message as Tern reads it back, and the conversation it is in. */
  private async getMessage(uid: string): Promise<{ row: TargetRow; conversationId: string | null } | undefined> {
    const res = await this.client.request<FrontMessageBody>({
      method: 'get',
      url: `/messages/alt:uid:${uid}`,
      operation: 'get message',
      accept: [404],
    });
    if (res.status === 404) return undefined;
    const link = res.data._links?.related?.conversation;
    return { row: messageRow(res.data), conversationId: link ? (link.split('/').pop() ?? null) : null };
  }

  /** Every message of a conversation, a hundred a request (none when the conversation is gone). */
  private conversationMessages(conversationId: string): Promise<FrontMessageBody[]> {
    return this.front
      .list<FrontMessageBody>(`/conversations/${conversationId}/messages?limit=100`, 'list conversation messages')
      .catch((err: unknown) => {
        if (err instanceof VendorError && err.status === 404) return [];
        throw err;
      });
  }

  /** Every comment of a conversation (none when the conversation is gone). */
  private conversationComments(conversationId: string): Promise<FrontComment[]> {
    return this.front
      .list<FrontComment>(`/conversations/${conversationId}/comments`, 'list conversation comments')
      .catch((err: unknown) => {
        if (err instanceof VendorError && err.status === 404) return [];
        throw err;
      });
  }

  private async getTemplate(id: string): Promise<FrontTemplate | undefined> {
    const res = await this.client.request<FrontTemplate>({
      method: 'get',
      url: `/message_templates/${id}`,
      operation: 'get message template',
      accept: [404],
    });
    return res.status === 404 ? undefined : res.data;
  }

  /** A conversation's status, or undefined when it is gone. */
  private async conversationState(id: string): Promise<{ id: string; status: string } | undefined> {
    const res = await this.client.request<FrontConversationBody>({
      method: 'get',
      url: `/conversations/${id}`,
      operation: 'get conversation',
      accept: [404],
    });
    return res.status === 404 ? undefined : { id, status: res.data.status };
  }

  private async getConversation(id: string, threadRef: string): Promise<TargetRow | undefined> {
    const res = await this.client.request<FrontConversationBody>({
      method: 'get',
      url: `/conversations/${id}`,
      operation: 'get conversation',
      accept: [404],
    });
    if (res.status === 404 || res.data.status === 'deleted') return undefined;
    const c = res.data;
    return {
      thread_ref: threadRef,
      status: c.status === 'archived' ? 'archived' : 'open',
      assignee_id: c.assignee?.id ?? null,
      tags: JSON.stringify(c.tags.map((t) => t.name).sort()),
      ...customFieldRow(this.customFields, c.custom_fields),
      __tern_id: c.id,
    };
  }

  // -- write -------------------------------------------------------------------------------------------------

  async write(items: readonly WriteItem[]): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { ids: new Map(), rejected: new Map() };
    // Up to the account's concurrency at once; the messages of one thread one after another, in order, so
    // Front threads them as the ticket had them.
    const lanes = new Map<string, WriteItem[]>();
    for (const item of items) {
      const lane = this.resource === 'messages' ? textOf(item.payload.thread_ref) : item.sourceId;
      lanes.set(lane, [...(lanes.get(lane) ?? []), item]);
    }
    await eachLimited([...lanes.values()], this.client.concurrency, async (lane) => {
      for (const item of lane) await this.writeItem(item, outcome);
    });
    return outcome;
  }

  private async writeItem(item: WriteItem, outcome: WriteOutcome): Promise<void> {
    {
      try {
        const id = await this.writeOne(item);
        if (id === null)
          outcome.rejected.set(item.sourceId, {
            message:
              'no imported message opened this ticket’s conversation (the ticket has no public comment that was loaded); load its messages first',
            code: 'no_conversation',
          });
        else outcome.ids.set(item.sourceId, id);
      } catch (err) {
        if (!(err instanceof RecordRejectedError)) throw err;
        outcome.rejected.set(item.sourceId, {
          message: err.message,
          code: err.code,
          field: err.field ?? null,
        });
      }
    }
  }

  /** `{ custom_fields }` to send with the record, or nothing when the plan maps none; a value of the wrong type refuses it. */
  private customFieldsOf(item: WriteItem): { custom_fields?: Record<string, unknown> } {
    const send = customFieldsToSend(this.customFields, item.payload, item.existing?.[ALL_CUSTOM_FIELDS]);
    if ('error' in send) throw new RecordRejectedError(send.error, 'front', 400, 'custom_field_type', send.field);
    return send.values ? { custom_fields: send.values } : {};
  }

  private async writeOne(item: WriteItem): Promise<string | null> {
    const p = item.payload;
    const text = (v: unknown) => (v === null || v === undefined ? undefined : textOf(v));
    switch (this.resource) {
      case 'contacts': {
        const id = item.existing?.__tern_id;
        const customFields = this.customFieldsOf(item);
        if (id) {
          // https://dev.frontapp.com/reference/update-a-contact
          await this.client.request({
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
          const res = await this.client.request<{ id: string }>({
            method: 'post',
            url: '/contacts',
            data: {
              name: text(p.name),
              description: text(p.description),
              handles: [{ source: 'email', handle: email }],
              ...customFields,
            },
            operation: 'create contact',
            accept: [409],
          });
          if (res.status !== 409) return res.data.id;
        } catch (err) {
          if (!(err instanceof UnknownOutcomeError)) throw err;
        }
        // Created by a lost attempt, or by someone else meanwhile: the handle finds it.
        const found = await this.getContact(`/contacts/alt:email:${encodeURIComponent(email)}`);
        if (!found?.__tern_id) throw new UnknownOutcomeError(`contact ${email}: outcome unknown`, 'front', undefined);
        return found.__tern_id;
      }
      case 'messages': {
        const inbox = await this.front.inbox();
        const authorId = text(p.author_id);
        const inbound = canonicalValue('boolean', p.is_inbound) === 'true';
        const attachments = ((p.attachments as SourceAttachment[] | null) ?? []).filter(Boolean);
        const known = (await this.front.extras.get('thread', [textOf(p.thread_ref)])).get(textOf(p.thread_ref));
        const before = known?.detail ? await this.conversationState(known.detail) : undefined;
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
          metadata: { thread_ref: textOf(p.thread_ref), is_inbound: inbound, is_archived: true },
        };
        const res = await this.client.request<{ message_uid: string }>({
          method: 'post',
          url: `/inboxes/${inbox}/imported_messages`,
          // With attachments, Front takes the message as multipart/form-data, each file streamed from the source.
          data: attachments.length === 0 ? message : () => this.multipart(message, attachments),
          ...(attachments.length === 0 ? {} : { timeoutMs: UPLOAD_TIMEOUT_MS }),
          operation: 'import message',
          // Front will not import two messages with one external_id: sending again is safe.
          idempotent: true,
        });
        const uid = res.data.message_uid;
        await this.front.extras.put('thread', textOf(p.thread_ref), uid);
        // Importing into a conversation Tern already shaped (a delta's new comment) archives or reopens it: put
        // its status back, the ticket's own state is the conversations object's to change.
        if (before && before.status !== 'deleted') {
          await this.client.request({
            method: 'patch',
            url: `/conversations/${before.id}`,
            data: { status: before.status === 'archived' ? 'archived' : 'open' },
            operation: 'keep conversation status',
            idempotent: true,
          });
        }
        return uid;
      }
      case 'conversations': {
        const id = item.existing?.__tern_id;
        if (!id) return null;
        const customFields = this.customFieldsOf(item);
        await this.client.request({
          method: 'patch',
          url: `/conversations/${id}`,
          data: {
            status: textOf(p.status) === 'archived' ? 'archived' : 'open',
            // Front's document types assignee_id as a string: an unassigned ticket leaves the assignee as it is.
            ...(text(p.assignee_id) ? { assignee_id: text(p.assignee_id) } : {}),
            tag_ids: await this.front.tags((p.tags as string[] | null) ?? []),
            ...customFields,
          },
          operation: 'update conversation',
          idempotent: true,
        });
        return id;
      }
      case 'templates': {
        const data = {
          name: textOf(p.name),
          ...(text(p.subject) ? { subject: text(p.subject) } : {}),
          body: textOf(p.body),
        };
        const id = item.existing?.__tern_id;
        if (id) {
          await this.client.request({
            method: 'patch',
            url: `/message_templates/${id}`,
            data,
            operation: 'update message template',
            idempotent: true,
          });
          return id;
        }
        const find = async () =>
          (await this.front.list<FrontTemplate>('/message_templates', 'list message templates')).find(
            (t) => t.name === data.name,
          );
        if (item.earlierAttempt) {
          const earlier = await find();
          if (earlier) return earlier.id;
        }
        try {
          const res = await this.client.request<{ id: string }>({
            method: 'post',
            url: '/message_templates',
            data,
            operation: 'create message template',
          });
          return res.data.id;
        } catch (err) {
          if (!(err instanceof UnknownOutcomeError)) throw err;
          const found = await find();
          if (!found) throw err;
          return found.id;
        }
      }
      case 'comments': {
        const conversationId = textOf(p.conversation_id);
        const body = textOf(p.body);
        // In Front already (the lookup found it, e.g. a note changed at the source or in Front): changed in
        // place, never posted a second time. Front keeps the files a note was posted with.
        const existing = item.existing?.__tern_id;
        if (existing) {
          await this.client.request({
            method: 'patch',
            url: `/comments/${existing.split('/')[1]}`,
            data: { body },
            operation: 'update comment',
            idempotent: true,
          });
          return existing;
        }
        // An earlier attempt whose answer never came, or a lost answer: the note may be there already. Its body
        // starts with the header Tern writes (original author and time), so the body finds it.
        const findExisting = async () =>
          (
            await this.front.list<FrontComment>(
              `/conversations/${conversationId}/comments`,
              'list conversation comments',
            )
          ).find((c) => c.body === body);
        if (item.earlierAttempt) {
          const earlier = await findExisting();
          if (earlier) return `${conversationId}/${earlier.id}`;
        }
        try {
          const comment = { body, ...(text(p.author_id) ? { author_id: text(p.author_id) } : {}) };
          const files = ((p.attachments as SourceAttachment[] | null) ?? []).filter(Boolean);
          const res = await this.client.request<{ id: string }>({
            method: 'post',
            url: `/conversations/${conversationId}/comments`,
            data: files.length === 0 ? comment : () => this.multipart(comment, files),
            ...(files.length === 0 ? {} : { timeoutMs: UPLOAD_TIMEOUT_MS }),
            operation: 'add comment',
          });
          return `${conversationId}/${res.data.id}`;
        } catch (err) {
          if (!(err instanceof UnknownOutcomeError)) throw err;
          const found = await findExisting();
          if (!found) throw err;
          return `${conversationId}/${found.id}`;
        }
      }
    }
  }

  /**
   * The message as Front's multipart form: fields in bracket notation, each attachment a file part streamed from
   * the source as it is sent (its size declared, so nothing is buffered). Built per attempt: streams are read once.
   */
  private async multipart(fields: Record<string, unknown>, attachments: SourceAttachment[]): Promise<FormData> {
    const downloads = this.front.downloads;
    if (!downloads)
      throw new ConfigError(
        'a message has attachments, but the plan’s source cannot serve them',
        'map attachments only from a source that has them (Zendesk comments)',
      );
    const form = new FormData();
    const put = (name: string, value: unknown) => {
      if (value === undefined || value === null) return;
      if (Array.isArray(value)) value.forEach((v, i) => put(`${name}[${i}]`, v));
      else if (typeof value === 'object')
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) put(`${name}[${k}]`, v);
      else form.append(name, typeof value === 'string' ? value : JSON.stringify(value));
    };
    for (const [k, v] of Object.entries(fields)) put(k, v);
    for (const [i, a] of attachments.entries()) {
      const url = a.content_url ?? a.url;
      if (!url) throw new Error(`attachment ${i} (${a.file_name ?? a.filename ?? 'unnamed'}) has no URL`);
      form.append(`attachments[${i}]`, await downloads(url), {
        filename: a.file_name ?? a.filename ?? `attachment-${i}`,
        contentType: a.content_type ?? 'application/octet-stream',
        ...(typeof a.size === 'number' ? { knownLength: a.size } : {}),
      });
    }
    return form;
  }

  // -- remove and restore -------------------------------------------------------------------------------------

  async remove(records: readonly RecordRef[]): Promise<number> {
    let removed = 0;
    for (const r of records) {
      if (!r.targetId) continue;
      switch (this.resource) {
        case 'contacts': {
          const res = await this.client.request({
            method: 'delete',
            url: `/contacts/${r.targetId}`,
            operation: 'delete contact',
            idempotent: true,
            accept: [404],
          });
          if (res.status !== 404) removed += 1;
          break;
        }
        case 'messages': {
          // Front deletes messages with their conversation; a ticket's comments go only when the ticket goes.
          const conversation = await this.front.conversationOfMessage(r.targetId);
          if (conversation) await this.front.deleteConversation(conversation);
          removed += 1;
          break;
        }
        case 'conversations':
          if (await this.front.deleteConversation(r.targetId)) removed += 1;
          break;
        case 'templates': {
          const res = await this.client.request({
            method: 'delete',
            url: `/message_templates/${r.targetId}`,
            operation: 'delete message template',
            idempotent: true,
            accept: [404],
          });
          if (res.status !== 404) removed += 1;
          break;
        }
        case 'comments': {
          // Front has no endpoint to delete a comment: it goes with its conversation, which Tern opened.
          const conversation = r.targetId.split('/')[0]!;
          if (await this.front.deleteConversation(conversation)) removed += 1;
          break;
        }
      }
    }
    return removed;
  }

  async restore(images: readonly { ref: RecordRef; image: TargetRow }[]): Promise<void> {
    for (const { ref, image } of images) {
      if (this.resource === 'templates') {
        await this.client.request({
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
        continue;
      }
      if (this.resource !== 'contacts')
        throw new Error(`Front ${this.resource} are only ever created by Tern: nothing to restore for ${ref.sourceId}`);
      const customFields = image[ALL_CUSTOM_FIELDS];
      await this.client.request({
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
    }
  }
}

interface FrontContactBody {
  id: string;
  name: string | null;
  description: string | null;
  handles: { handle: string; source: string }[];
  custom_fields?: Record<string, unknown>;
}

interface FrontMessageBody {
  _links?: { related?: { conversation?: string } };
  message_uid: string;
  subject: string;
  body: string;
  is_inbound: boolean;
  created_at: number;
  author: { id: string } | null;
  recipients: { handle: string; name: string | null; role: string }[];
  metadata?: { thread_ref?: string };
  attachments?: { filename: string; content_type: string; size: number }[];
}

interface FrontConversationBody {
  id: string;
  status: string;
  assignee: { id: string } | null;
  tags: { id: string; name: string }[];
  custom_fields?: Record<string, unknown>;
}

interface FrontTemplate {
  id: string;
  name: string;
  subject: string | null;
  body: string;
}

interface FrontComment {
  id: string;
  body: string;
  author: { id: string } | null;
  posted_at: number;
  attachments?: { filename: string; content_type: string; size: number }[];
}

function messageRow(m: FrontMessageBody): TargetRow {
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
