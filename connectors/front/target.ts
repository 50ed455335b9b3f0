import type postgres from 'postgres';
import { ConfigError } from '../../common/errors';
import type { GoldColumn, GoldSchema } from '../../plan/gold';
import { TargetExtras } from '../extras';
import type { VendorClient } from '../kit/http';
import type { TargetAdapter, TargetRecords } from '../target';
import { FrontAccount, recordTagRemovals, type FrontTargetConfig } from './account';
import { FrontApi } from './api';
import { customFieldKind } from './custom-fields';
import { FIELDS, FRONT_RESOURCES, goldColumn, hasCustomFields, type FrontResource } from './fields';
import { FrontRecords } from './records';
import type { AttachmentDownloads } from './resource';

/**
 * Front as a plan's target. Five resources, one file each, written in dependency order by the plan:
 *
 * - `contacts.ts` (key `email`): end users, matched by email handle so a contact Front already holds is updated;
 * - `messages.ts` (key `external_id`): imported messages, threaded into one conversation per ticket;
 * - `conversations.ts` (key `thread_ref`): the conversation a ticket's messages opened gets its state;
 * - `comments.ts` (key: the note's own reference): private notes with their original author and time;
 * - `templates.ts` (key `name`): message templates, matched by name.
 *
 * The account's set-up (teammates, inbox, tags, custom fields: `account.ts`) is read once per worker process and
 * migration; Front's answers are validated in `types.ts`; every request goes through `api.ts`. Agents map to
 * teammates by email; an agent Front does not know (or a blocked teammate) is written as the plan's fallback
 * teammate, and the message or note says who wrote it originally.
 */

export {
  canonicalAttachments,
  FRONT_ORDERED_BY,
  FRONT_PROVEN_FIRST,
  FRONT_RESOURCES,
  type FrontResource,
} from './fields';
export { customFieldKey } from './custom-fields';
export type { FrontTargetConfig } from './account';
export type { AttachmentDownloads } from './resource';

/** Front, reached through the connector kit (governed, retried, credentials by reference). */
export class FrontTarget implements TargetAdapter {
  readonly kind = 'front';
  readonly extras: TargetExtras;
  readonly api: FrontApi;
  /** The account's set-up as this process knows it: shared by every page when the caller passes one. */
  readonly account: FrontAccount;

  constructor(
    client: VendorClient,
    config: FrontTargetConfig,
    sql: postgres.Sql,
    migrationId: string,
    /** Plan object name → Front resource. */
    private readonly resources: Record<string, FrontResource>,
    /** The source's attachment downloads, when the source has attachments. */
    private readonly downloads?: AttachmentDownloads,
    account?: FrontAccount,
  ) {
    this.api = new FrontApi(client);
    this.extras = new TargetExtras(sql, migrationId);
    this.account = account ?? new FrontAccount(config);
  }

  async records(objectName: string): Promise<TargetRecords> {
    const resource = this.resources[objectName];
    if (!resource) throw new ConfigError(`object "${objectName}" has no Front resource`, 'set target.resource');
    // Custom fields are known before any record is prepared or compared: their types decide both.
    const customFields = hasCustomFields(resource) ? await this.account.customFields(this.api, resource) : new Map();
    return new FrontRecords(
      { api: this.api, account: this.account, extras: this.extras, customFields, downloads: this.downloads },
      resource,
    );
  }

  async discoverGold(resources: readonly string[]): Promise<GoldSchema> {
    const inbox = await this.account.inbox(this.api);
    const gold: GoldSchema = { schema: `front:${inbox}`, tables: {} };
    for (const name of [...resources].sort()) {
      const known = (FRONT_RESOURCES as readonly string[]).includes(name);
      const columns: GoldColumn[] = known
        ? FIELDS[name as FrontResource].map((f) => goldColumn(f.name, f.kind, f.nullable))
        : [];
      if (known && hasCustomFields(name as FrontResource))
        for (const [key, field] of [...(await this.account.customFields(this.api, name as 'contacts'))].sort())
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

  /**
   * Tags Tern created are removed once every conversation is gone, and staging records that they were: every
   * worker process's reading of the account's tags (which may name them) is read again before its next use.
   */
  async rollbackExtras(): Promise<{ removed: number }> {
    let removed = 0;
    let deleting = false;
    try {
      for (const tag of await this.extras.created('tag')) {
        deleting = true;
        // https://dev.frontapp.com/reference/delete-tag
        await this.api.send({
          method: 'delete',
          url: `/tags/${tag.target_id}`,
          operation: 'delete tag',
          idempotent: true,
          setup: true,
          accept: [404],
        });
        await this.extras.removed('tag', tag.key);
        removed += 1;
      }
    } finally {
      if (deleting) await recordTagRemovals(this.extras);
    }
    // The rollback deleted every message Tern wrote, so what Tern learnt of each thread (its first message, its
    // conversation) points at nothing: a load after it learns the threads again.
    await this.extras.removedAll('thread');
    return { removed };
  }

  async verifyExtras(): Promise<{ remaining: string[] }> {
    const rows = await this.extras.created('tag', { ever: true });
    const remaining: string[] = [];
    for (const tag of rows) {
      // https://dev.frontapp.com/reference/get-tag
      const status = await this.api.send({
        method: 'get',
        url: `/tags/${tag.target_id}`,
        operation: 'get tag',
        accept: [404],
        setup: true,
      });
      if (status !== 404) remaining.push(`tag ${tag.key}`);
    }
    return { remaining };
  }
}
