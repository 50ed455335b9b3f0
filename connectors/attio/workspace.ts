import { ConfigError } from '../../common/errors';
import type { TargetExtras } from '../extras';
import { RecordRejectedError } from '../kit/errors';
import type { AttioApi } from './api';
import { createKeyAttribute, listAttributes, setAttributeArchived, type AttioAttribute } from './attributes';
import { listObjectSlugs } from './objects';
import { createOption, optionKindOf, setOptionArchived } from './options';

/** An Attio object and the attribute that identifies a record of it for Tern (the upsert's matching attribute). */
export interface AttioObjectBinding {
  object: string;
  key: string;
}

/**
 * What an Attio workspace is set up with — objects, their attributes, select options and statuses — read once per
 * target and kept while nothing changes them, and what Tern adds to it beyond records (key attributes, options,
 * statuses, each recorded in `target_extras`), archived again by a rollback. A failed reading is not kept.
 */
export class AttioWorkspace {
  private readonly attributeCache = new Map<string, Promise<Map<string, AttioAttribute>>>();
  private objectSlugs?: Promise<Map<string, string>>;
  private readonly keyAttributes = new Map<string, Promise<void>>();

  constructor(
    private readonly api: AttioApi,
    private readonly extras: TargetExtras,
  ) {}

  /** The object's attributes (archived ones left out), with the live options of selects and statuses. */
  attributes(object: string): Promise<Map<string, AttioAttribute>> {
    let cached = this.attributeCache.get(object);
    if (!cached) {
      cached = this.readAttributes(object);
      cached.catch(() => this.attributeCache.delete(object));
      this.attributeCache.set(object, cached);
    }
    return cached;
  }

  /** Object ids and slugs → slugs (Attio names a reference's allowed objects by id). */
  private slugs(): Promise<Map<string, string>> {
    this.objectSlugs ??= listObjectSlugs(this.api);
    this.objectSlugs.catch(() => (this.objectSlugs = undefined));
    return this.objectSlugs;
  }

  private async readAttributes(object: string): Promise<Map<string, AttioAttribute>> {
    return listAttributes(this.api, object, await this.slugs());
  }

  /**
   * The key attribute is Tern's bookkeeping (the source id, unique): created on the first write when missing.
   * Only writes ask for it, so reading back after a rollback never brings it back. Remembered until
   * `archiveCreated` archives it: a write after that (by this target) creates it again.
   */
  ensureKeyAttribute(binding: AttioObjectBinding): Promise<void> {
    let ensured = this.keyAttributes.get(binding.object);
    if (!ensured) {
      ensured = this.createKeyAttribute(binding);
      ensured.catch(() => this.keyAttributes.delete(binding.object));
      this.keyAttributes.set(binding.object, ensured);
    }
    return ensured;
  }

  private async createKeyAttribute(binding: AttioObjectBinding): Promise<void> {
    const attributes = await this.attributes(binding.object);
    const key = attributes.get(binding.key);
    if (key) {
      if (!key.unique)
        throw new ConfigError(
          `Attio ${binding.object}.${binding.key} is not a unique attribute: Tern cannot upsert on it`,
          `make ${binding.key} unique in Attio, or set target.key to a unique attribute`,
        );
      return;
    }
    const status = await createKeyAttribute(this.api, binding.object, binding.key);
    const extraKey = `${binding.object}.${binding.key}`;
    if (status === 409) {
      // The slug is taken by an archived attribute: Tern's own from an earlier run it rolled back comes back.
      const ours = (await this.extras.created('attribute', { ever: true })).some((e) => e.key === extraKey);
      if (!ours)
        throw new ConfigError(
          `Attio ${binding.object} has an archived attribute "${binding.key}" that Tern did not create`,
          `unarchive it in Attio (it must be a unique text attribute), or set target.key to another name`,
        );
      await setAttributeArchived(this.api, binding.object, binding.key, false);
    }
    await this.extras.put('attribute', extraKey, binding.key);
    this.attributeCache.delete(binding.object);
  }

  /** Creates a select option or status Tern needs (the plan allows it), once. */
  async ensureOption(object: string, attribute: AttioAttribute, title: string): Promise<void> {
    if (attribute.options?.has(title)) return;
    const kind = optionKindOf(attribute.type);
    const extraKey = `${object}.${attribute.slug}:${title}`;
    const created = await createOption(this.api, object, attribute.slug, kind, title);
    if (created.id !== undefined) {
      await this.extras.put(kind, extraKey, created.id);
      attribute.options?.set(title, created.id);
      return;
    }
    if ((await this.extras.created(kind, { ever: true })).some((e) => e.key === extraKey)) {
      // Tern's own option from a run it rolled back (archived, its title still taken): it comes back.
      await setOptionArchived(this.api, object, attribute.slug, kind, title, false);
      await this.extras.put(kind, extraKey, title);
    }
    // Created meanwhile by another page, or brought back: read the options again.
    this.attributeCache.delete(object);
    const fresh = (await this.attributes(object)).get(attribute.slug);
    if (!fresh?.options?.has(title))
      throw new RecordRejectedError(
        `Attio ${object}.${attribute.slug}: could not create the ${kind} "${title}"`,
        'attio',
        created.status,
        'value_not_found',
        attribute.slug,
      );
    attribute.options?.set(title, fresh.options.get(title)!);
  }

  /** Archives what Tern created beyond records: options, statuses, then its key attributes. */
  async archiveCreated(): Promise<{ removed: number }> {
    let removed = 0;
    for (const kind of ['option', 'status', 'attribute'] as const) {
      for (const extra of await this.extras.created(kind)) {
        const [object, attribute, title] = splitExtraKey(extra.key);
        // Forgotten before the request: one that fails may still have archived it.
        this.forget(object);
        if (kind === 'attribute') await setAttributeArchived(this.api, object, attribute, true);
        else await setOptionArchived(this.api, object, attribute, kind, title ?? '', true);
        await this.extras.removed(kind, extra.key);
        removed += 1;
      }
    }
    return { removed };
  }

  /**
   * What this target knows of an object's set-up, forgotten when Tern itself changed it (archived its key
   * attribute or an option): the next reading asks Attio, the next write sets the key attribute up again.
   */
  private forget(object: string): void {
    this.attributeCache.delete(object);
    this.keyAttributes.delete(object);
  }

  /** What Tern created beyond records that the workspace still has, read afresh (proves `archiveCreated`). */
  async remainingCreated(): Promise<{ remaining: string[] }> {
    const remaining: string[] = [];
    this.attributeCache.clear();
    for (const kind of ['option', 'status', 'attribute'] as const) {
      for (const extra of await this.extras.created(kind, { ever: true })) {
        const [object, attribute, title] = splitExtraKey(extra.key);
        const live = (await this.attributes(object)).get(attribute);
        if (kind === 'attribute' ? live !== undefined : live?.options?.has(title ?? ''))
          remaining.push(`${kind} ${extra.key}`);
      }
    }
    return { remaining };
  }
}

/** `object.attribute` or `object.attribute:title` (an option's or status's) → its parts. */
function splitExtraKey(key: string): [string, string, string | undefined] {
  const i = key.indexOf(':');
  const [path, title] = i < 0 ? [key, undefined] : [key.slice(0, i), key.slice(i + 1)];
  const [object, attribute] = path.split('.') as [string, string];
  return [object, attribute, title];
}
