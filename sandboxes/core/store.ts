import { createHash } from 'node:crypto';
import { canonicalJson } from '../../plan/checksum';

/**
 * A sandbox's state: collections of records in memory, with indexes so that every request is O(page) or
 * O(log n) even with a 12-year helpdesk (700k tickets, 7M comments) loaded.
 *
 * Every collection is a `RecordMap`: a Map whose `set`/`delete`/`clear` bump a per-collection version and keep the
 * collection's indexes current. Handlers, seeds, tests and admin routes may all write with plain `Map` calls: the
 * indexes follow. Records are replaced (`set` with a new object), not mutated in place, for indexes that file a
 * record by one of its fields; views rebuilt from the version (`RecordMap.view`) see in-place changes too.
 */

/** A structure derived from one collection, told about every record that enters or leaves it. */
export interface StoreIndex<T> {
  add(key: string, record: T): void;
  remove(key: string, record: T): void;
}

export class RecordMap<T> extends Map<string, T> {
  private changes = 0;
  private indexes = new Map<string, StoreIndex<T>>();
  private views = new Map<string, { version: number; value: unknown }>();

  /** Bumped by every write: equal versions mean equal contents. */
  get version(): number {
    return this.changes;
  }

  override set(key: string, value: T): this {
    const previous = super.get(key);
    super.set(key, value);
    this.changes += 1;
    // During Map construction (no entries given) the fields are not initialised yet.
    if (this.indexes)
      for (const index of this.indexes.values()) {
        if (previous !== undefined) index.remove(key, previous);
        index.add(key, value);
      }
    return this;
  }

  override delete(key: string): boolean {
    const previous = super.get(key);
    if (!super.delete(key)) return false;
    this.changes += 1;
    if (previous !== undefined) for (const index of this.indexes.values()) index.remove(key, previous);
    return true;
  }

  override clear(): void {
    const entries = [...super.entries()];
    super.clear();
    this.changes += 1;
    for (const index of this.indexes.values()) for (const [key, record] of entries) index.remove(key, record);
  }

  /** The index registered under `name`, built from the current records the first time it is asked for. */
  index<I extends StoreIndex<T>>(name: string, create: () => I): I {
    let index = this.indexes.get(name) as I | undefined;
    if (!index) {
      index = create();
      for (const [key, record] of super.entries()) index.add(key, record);
      this.indexes.set(name, index);
    }
    return index;
  }

  /** A value computed from the whole collection, recomputed only when the collection changed since. */
  view<V>(name: string, build: (records: RecordMap<T>) => V): V {
    const cached = this.views.get(name);
    if (cached && cached.version === this.changes) return cached.value as V;
    const value = build(this);
    this.views.set(name, { version: this.changes, value });
    return value;
  }
}

/**
 * Record keys by a derived key (external id, tag name, handle …): lookups in O(1). A record may give several keys
 * or none; two records with the same derived key are both kept, the first one added answering `first`.
 */
export class KeyIndex<T> implements StoreIndex<T> {
  private byKey = new Map<string, string | string[]>();

  constructor(private readonly keysOf: (record: T) => string | readonly string[] | undefined) {}

  private keys(record: T): readonly string[] {
    const k = this.keysOf(record);
    return k === undefined ? [] : typeof k === 'string' ? [k] : k;
  }

  add(key: string, record: T): void {
    for (const k of this.keys(record)) {
      const existing = this.byKey.get(k);
      if (existing === undefined) this.byKey.set(k, key);
      else if (typeof existing === 'string') {
        if (existing !== key) this.byKey.set(k, [existing, key]);
      } else if (!existing.includes(key)) existing.push(key);
    }
  }

  remove(key: string, record: T): void {
    for (const k of this.keys(record)) this.drop(k, key);
  }

  /** The record keys filed under `k`, oldest first. */
  all(k: string): readonly string[] {
    const existing = this.byKey.get(k);
    return existing === undefined ? [] : typeof existing === 'string' ? [existing] : existing;
  }

  first(k: string): string | undefined {
    const existing = this.byKey.get(k);
    return typeof existing === 'string' ? existing : existing?.[0];
  }

  /**
   * The first record filed under `k` that still gives `k`: a record changed in place and then `set` again was
   * filed under its new keys only, and its old entry is dropped here.
   */
  find<R extends T>(k: string, get: (key: string) => R | undefined): R | undefined {
    for (const key of [...this.all(k)]) {
      const record = get(key);
      if (record !== undefined && this.keys(record).includes(k)) return record;
      this.drop(k, key);
    }
    return undefined;
  }

  private drop(k: string, key: string): void {
    const existing = this.byKey.get(k);
    if (existing === key) this.byKey.delete(k);
    else if (Array.isArray(existing)) {
      const rest = existing.filter((x) => x !== key);
      if (rest.length === 0) this.byKey.delete(k);
      else this.byKey.set(k, rest.length === 1 ? rest[0]! : rest);
    }
  }
}

/** Records grouped by a field (a ticket's comments, a conversation's messages), each group kept sorted. */
export class GroupIndex<T> implements StoreIndex<T> {
  private groups = new Map<string, T[]>();

  constructor(
    private readonly groupOf: (record: T) => string | undefined,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  add(_key: string, record: T): void {
    const g = this.groupOf(record);
    if (g === undefined) return;
    let list = this.groups.get(g);
    if (!list) {
      list = [];
      this.groups.set(g, list);
    }
    // Binary search for the insertion point; records mostly arrive in order, so this is usually the end.
    let lo = 0;
    let hi = list.length;
    if (hi > 0 && this.compare(list[hi - 1]!, record) <= 0) lo = hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(list[mid]!, record) <= 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, record);
  }

  remove(_key: string, record: T): void {
    const g = this.groupOf(record);
    if (g === undefined) return;
    const list = this.groups.get(g);
    if (!list) return;
    const i = list.lastIndexOf(record);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.groups.delete(g);
  }

  /** The group's records in order. The array is the index's own: copy it before changing it. */
  of(group: string): readonly T[] {
    return this.groups.get(group) ?? [];
  }
}

/**
 * One copy of each distinct string: millions of imported messages repeat a few thousand bodies, subjects and
 * handles. Past `capacity` distinct strings, new ones are kept as they come.
 */
export class Interner {
  private strings = new Map<string, string>();

  constructor(private readonly capacity = 200_000) {}

  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size < this.capacity && s.length <= 64 * 1024) this.strings.set(s, s);
    return s;
  }
}

/** In-memory records by collection, with deterministic ids. */
export class SandboxStore {
  private collections = new Map<string, RecordMap<Record<string, unknown>>>();
  private sequences = new Map<string, number>();
  /** Shared copies of repeated strings for the records of this store. */
  readonly strings = new Interner();

  collection<T extends Record<string, unknown> = Record<string, unknown>>(name: string): RecordMap<T> {
    let c = this.collections.get(name);
    if (!c) {
      c = new RecordMap();
      this.collections.set(name, c);
    }
    return c as unknown as RecordMap<T>;
  }

  /** The collection's version: it changes with every write to it. */
  version(name: string): number {
    return this.collections.get(name)?.version ?? 0;
  }

  nextId(prefix: string): number {
    const n = (this.sequences.get(prefix) ?? 0) + 1;
    this.sequences.set(prefix, n);
    return n;
  }

  /** Moves a sequence forward to at least `value` (after records were written with ids of their own). */
  advanceSequence(prefix: string, value: number): void {
    if ((this.sequences.get(prefix) ?? 0) < value) this.sequences.set(prefix, value);
  }

  names(): string[] {
    return [...this.collections.keys()].sort();
  }

  /** A hash of every record in every collection: equal fingerprints mean equal contents. */
  fingerprint(collections: readonly string[] = this.names()): string {
    const hash = createHash('sha256');
    for (const name of [...collections].sort()) {
      const c = this.collections.get(name);
      if (!c || c.size === 0) continue;
      hash.update(`#${name}\n`);
      for (const id of [...c.keys()].sort()) hash.update(`${id}=${canonicalJson(c.get(id))}\n`);
    }
    return hash.digest('hex');
  }
}
