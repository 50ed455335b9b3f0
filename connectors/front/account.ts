import { randomUUID } from 'node:crypto';
import { ConfigError } from '../../common/errors';
import type { TargetExtras } from '../extras';
import type { FrontApi } from './api';
import { ContactDirectory } from './contact-directory';
import { customFieldKey, type FrontCustomField } from './custom-fields';
import type { CustomFieldResource } from './fields';
import { createdSchema, customFieldSchema, inboxSchema, tagSchema, teammateSchema, type FrontTeammate } from './types';

/**
 * What a Front account is set up with — teammates, the plan's inbox, tags, custom fields — read once per worker
 * process and migration, not once per page: every page of every object asks for them. Read again after
 * `METADATA_TTL_MS`, and sooner when a record names something the last reading did not have (a teammate or a
 * custom field added meanwhile), at most once per `REFRESH_ON_MISS_MS`. Requests go through the caller's client,
 * so they count against the caller's activity and stop with it. What Tern itself deletes (a rollback's tags) is
 * recorded in staging, so every worker process's reading forgets it at once (`TAG_REMOVALS`).
 */

export interface FrontTargetConfig {
  inbox: string;
  fallbackTeammate: string;
}

/** How long a reading of the account's set-up is used before it is read again. */
export const METADATA_TTL_MS = 10 * 60_000;

/** A name the last reading did not have reads the set-up again, but no more often than this. */
export const REFRESH_ON_MISS_MS = 30_000;

/**
 * The staging record (in `target_extras`, apart from the tags themselves) of Tern's last deletion of tags it
 * created: a new token each rollback, in any worker process. A tag reading taken before a new token may hold the
 * ids of deleted tags (Front refuses a conversation naming one), so it is read again.
 */
const TAG_REMOVALS = { kind: 'tag-removals', key: 'last' };

/** Records that Tern deleted tags it created (after a rollback's deletions, done or cut short). */
export async function recordTagRemovals(extras: TargetExtras): Promise<void> {
  await extras.put(TAG_REMOVALS.kind, TAG_REMOVALS.key, null, randomUUID(), false);
}

async function lastTagRemovals(extras: TargetExtras): Promise<string | null> {
  return (await extras.get(TAG_REMOVALS.kind, [TAG_REMOVALS.key])).get(TAG_REMOVALS.key)?.detail ?? null;
}

/** One value read from Front, kept until it is older than the TTL or a miss asks for a fresh one. */
class Reading<T> {
  private value?: Promise<T>;
  private readAt = 0;

  constructor(
    private readonly read: (api: FrontApi) => Promise<T>,
    private readonly now: () => number,
  ) {}

  get(api: FrontApi): Promise<T> {
    if (!this.value || this.now() - this.readAt > METADATA_TTL_MS) {
      this.readAt = this.now();
      const value = this.read(api);
      this.value = value;
      // A failed reading is not kept: the next caller reads again.
      value.catch(() => {
        if (this.value === value) this.value = undefined;
      });
    }
    return this.value;
  }

  /** Reads again when the last reading is old enough to have missed a change; false when it is too recent. */
  refreshed(api: FrontApi): Promise<T> | false {
    if (this.value && this.now() - this.readAt < REFRESH_ON_MISS_MS) return false;
    this.value = undefined;
    return this.get(api);
  }

  forget(): void {
    this.value = undefined;
  }
}

/** The account's metadata is read once per process, whatever the number of records (`VendorRequest.setup`). */
const SETUP = { setup: true } as const;

export class FrontAccount {
  /** https://dev.frontapp.com/reference/list-teammates */
  private readonly teammates = new Reading(
    async (api) => {
      const all = await api.list(teammateSchema, '/teammates', 'list teammates', SETUP);
      return new Map(all.map((t) => [t.email.toLowerCase(), t]));
    },
    () => this.now(),
  );

  /** https://dev.frontapp.com/reference/list-inboxes */
  private readonly inboxId = new Reading(
    async (api) => {
      if (/^inb_/.test(this.config.inbox)) return this.config.inbox;
      const all = await api.list(inboxSchema, '/inboxes', 'list inboxes', SETUP);
      const hit = all.find((i) => i.name === this.config.inbox);
      if (!hit)
        throw new ConfigError(
          `target.inbox "${this.config.inbox}" is not a Front inbox (inboxes: ${all.map((i) => i.name).join(', ')})`,
          'set target.inbox to an inbox id (inb_…) or the exact name of an inbox',
        );
      return hit.id;
    },
    () => this.now(),
  );

  /**
   * https://dev.frontapp.com/reference/list-contact-custom-fields,
   * https://dev.frontapp.com/reference/list-conversation-custom-fields
   */
  private readonly customFieldReadings: Record<CustomFieldResource, Reading<Map<string, FrontCustomField>>> = {
    contacts: this.customFieldReading('contacts'),
    conversations: this.customFieldReading('conversations'),
  };

  /** https://dev.frontapp.com/reference/list-tags */
  private readonly tagIds = new Reading(
    async (api) => {
      const all = await api.list(tagSchema, '/tags', 'list tags', SETUP);
      return new Map(all.map((t) => [t.name, t.id]));
    },
    () => this.now(),
  );

  /** Which email handles the account's contacts hold (contacts.ts asks it before looking contacts up one by one). */
  readonly contactDirectory = new ContactDirectory(() => this.now());

  private tagQueue: Promise<unknown> = Promise.resolve();
  /** Tern's last tag removals as staging showed them before the tags were last read (`TAG_REMOVALS`). */
  private tagRemovalsSeen: string | null | undefined;

  constructor(
    readonly config: FrontTargetConfig,
    /** The clock readings age by (a test's own). */
    private readonly now: () => number = Date.now,
  ) {}

  private customFieldReading(resource: CustomFieldResource) {
    return new Reading(
      async (api) => {
        const all = await api.list(
          customFieldSchema,
          `/${resource}/custom_fields`,
          `list ${resource.slice(0, -1)} custom fields`,
          SETUP,
        );
        return new Map(all.map((f) => [customFieldKey(f.name), { name: f.name, type: f.type }]));
      },
      () => this.now(),
    );
  }

  inbox(api: FrontApi): Promise<string> {
    return this.inboxId.get(api);
  }

  /** A resource's custom fields by plan key (`cf_…`): their Front name and type. */
  customFields(api: FrontApi, resource: CustomFieldResource): Promise<Map<string, FrontCustomField>> {
    return this.customFieldReadings[resource].get(api);
  }

  /** The same, read again when a record names a field the last reading did not have (created meanwhile). */
  async customFieldsHaving(
    api: FrontApi,
    resource: CustomFieldResource,
    keys: readonly string[],
  ): Promise<Map<string, FrontCustomField>> {
    const known = await this.customFields(api, resource);
    if (keys.every((k) => known.has(k))) return known;
    return (await this.customFieldReadings[resource].refreshed(api)) || known;
  }

  /** The teammate id for an agent's email; unknown or blocked → the fallback teammate (`fallback: true`). */
  async teammate(api: FrontApi, email: string | null): Promise<{ id: string | null; fallback: boolean }> {
    if (!email) return { id: null, fallback: false };
    const wanted = email.trim().toLowerCase();
    let all = await this.teammates.get(api);
    // An agent Front did not have at the last reading may have been added since.
    if (!all.has(wanted)) all = (await this.teammates.refreshed(api)) || all;
    const found = all.get(wanted);
    if (found && !found.is_blocked) return { id: found.id, fallback: false };
    const fallback: FrontTeammate | undefined = all.get(this.config.fallbackTeammate.toLowerCase());
    if (!fallback)
      throw new ConfigError(
        `target.fallbackTeammate ${this.config.fallbackTeammate} is not a Front teammate`,
        'set target.fallbackTeammate to the email of an active teammate',
      );
    return { id: fallback.id, fallback: true };
  }

  /**
   * Tag ids by name, creating the tags Front does not have (and recording them for the rollback). One call at a
   * time in this process: concurrent writers must not create one tag twice (another process's tag is a 409).
   */
  tags(api: FrontApi, extras: TargetExtras, names: readonly string[]): Promise<string[]> {
    const next = this.tagQueue.then(() => this.tagsNow(api, extras, names));
    this.tagQueue = next.catch(() => undefined);
    return next;
  }

  private async tagsNow(api: FrontApi, extras: TargetExtras, names: readonly string[]): Promise<string[]> {
    // Asked before the tags are read: a rollback deleting tags after this question changes the answer to the next.
    const removals = await lastTagRemovals(extras);
    if (removals !== this.tagRemovalsSeen) {
      this.tagIds.forget();
      this.tagRemovalsSeen = removals;
    }
    const known = await this.tagIds.get(api);
    const ids: string[] = [];
    for (const name of names) {
      let id = known.get(name);
      if (!id) {
        // https://dev.frontapp.com/reference/create-tag
        const created = await api.readOrConflict(createdSchema, {
          method: 'post',
          url: '/tags',
          data: { name },
          operation: 'create tag',
          idempotent: true,
          setup: true,
        });
        if (!created) {
          // Created meanwhile by someone else: read the tags again.
          this.tagIds.forget();
          return this.tagsNow(api, extras, names);
        }
        id = created.id;
        // One row per tag Tern created, by its name and id: a tag deleted by a rollback and created again by a
        // later run is a new row, so the next rollback deletes the new tag (a row by name alone keeps the first
        // id, and a rollback would delete a tag long gone).
        await extras.put('tag', `${name}/${id}`, id);
        known.set(name, id);
      }
      ids.push(id);
    }
    return ids;
  }
}

const accounts = new Map<string, FrontAccount>();

/**
 * The account's set-up as this worker process knows it, per migration and target configuration: every page of
 * every activity of the migration shares one reading.
 */
export function sharedFrontAccount(migrationId: string, baseUrl: string, config: FrontTargetConfig): FrontAccount {
  const key = JSON.stringify([migrationId, baseUrl, config.inbox, config.fallbackTeammate]);
  let account = accounts.get(key);
  if (!account) {
    account = new FrontAccount(config);
    accounts.set(key, account);
  }
  return account;
}
