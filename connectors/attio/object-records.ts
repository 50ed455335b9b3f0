import { ConfigError } from '../../common/errors';
import { textOf } from '../../plan/text';
import { RecordRejectedError, UnknownOutcomeError } from '../kit/errors';
import { eachLimited } from '../kit/lanes';
import type { RecordRef, TargetRecords, TargetRow, WriteItem, WriteOutcome } from '../target';
import type { AttioApi } from './api';
import { textAttribute, type AttioAttribute } from './attributes';
import { assertRecord, deleteRecord, FIND_CHUNK, findRecords, overwriteRecord } from './records';
import type { AttioRecordBody } from './types';
import { canonicalItem, canonicalOf, itemsOf, itemsOfCanonical, readValue, writeValue } from './values';
import type { AttioObjectBinding, AttioWorkspace } from './workspace';

/** What every object's records work with. */
export interface AttioContext {
  api: AttioApi;
  workspace: AttioWorkspace;
  /** Create the select options and statuses the plan writes that the workspace lacks (else the record is refused). */
  createOptions: boolean;
}

/** A refusal pre-flight saw coming: the record is not sent. */
type NotSent = { message: string; code: string; field: string; notSent: true };

/** One Attio object as a plan object's records. */
export class AttioRecords implements TargetRecords {
  readonly keyIsSourceId = true;

  constructor(
    private readonly ctx: AttioContext,
    private readonly binding: AttioObjectBinding,
  ) {}

  private get api() {
    return this.ctx.api;
  }

  private get object() {
    return this.binding.object;
  }

  private attributes() {
    return this.ctx.workspace.attributes(this.object);
  }

  private async attribute(field: string): Promise<AttioAttribute> {
    const a = (await this.attributes()).get(field);
    if (!a)
      throw new ConfigError(
        `Attio ${this.object} has no attribute "${field}" (the plan maps a field to it)`,
        `map to one of: ${[...(await this.attributes()).keys()].join(', ')}, or create the attribute in Attio`,
      );
    return a;
  }

  /** Creates the options and statuses the payloads name when the plan allows it. */
  async prepare(payloads: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    if (!this.ctx.createOptions) return payloads;
    const attributes = await this.attributes();
    const wanted = new Map<string, Set<string>>();
    for (const p of payloads)
      for (const [field, value] of Object.entries(p)) {
        const a = attributes.get(field);
        if (!a?.options) continue;
        for (const item of itemsOf(value))
          if (!a.options.has(textOf(item))) {
            const set = wanted.get(field) ?? new Set<string>();
            set.add(textOf(item));
            wanted.set(field, set);
          }
      }
    for (const [field, titles] of wanted)
      for (const title of [...titles].sort())
        await this.ctx.workspace.ensureOption(this.object, attributes.get(field)!, title);
    return payloads;
  }

  canonical(payload: Record<string, unknown>): TargetRow {
    return this.canonicalFields(payload, Object.keys(payload), (a, v) =>
      canonicalOf(
        a,
        itemsOf(v).map((i) => canonicalItem(a, i)),
      ),
    );
  }

  canonicalReadBack(row: TargetRow, fields: readonly string[]): TargetRow {
    return this.canonicalFields(row, fields, (a, v) => (v === null || v === undefined ? null : textOf(v)));
  }

  /** Attributes are known once `records()` read them; a field without one canonicalises as text. */
  private known?: Map<string, AttioAttribute>;

  private canonicalFields(
    source: Record<string, unknown>,
    fields: readonly string[],
    of: (a: AttioAttribute, v: unknown) => string | null,
  ): TargetRow {
    const out: TargetRow = {};
    for (const field of [...fields].sort()) {
      if (field.startsWith('__')) continue;
      const a = this.known?.get(field) ?? textAttribute(field);
      out[field] = of(a, source[field]);
    }
    return out;
  }

  /** Called by `records()`' caller before any canonical form is taken. */
  async load(): Promise<this> {
    this.known = await this.attributes();
    return this;
  }

  private rowOf(attributes: Map<string, AttioAttribute>, record: AttioRecordBody): TargetRow {
    const row: TargetRow = { __tern_id: record.id.record_id };
    for (const a of attributes.values()) {
      if (!a.writable) continue;
      row[a.slug] = canonicalOf(
        a,
        (record.values[a.slug] ?? []).map((v) => readValue(a, v)),
      );
    }
    return row;
  }

  async lookup(records: readonly RecordRef[]): Promise<Map<string, TargetRow>> {
    const attributes = await this.attributes();
    const out = new Map<string, TargetRow>();
    // No key attribute yet: no record carries a source id, none was written by Tern.
    if (!attributes.has(this.binding.key)) return out;
    const bySourceId = new Map(records.map((r) => [r.key, r.sourceId]));
    const chunks: string[][] = [];
    const keys = [...bySourceId.keys()];
    for (let i = 0; i < keys.length; i += FIND_CHUNK) chunks.push(keys.slice(i, i + FIND_CHUNK));
    await eachLimited(chunks, this.api.concurrency, async (chunk) => {
      for (const record of await findRecords(this.api, this.object, this.binding.key, chunk, `find ${this.object}`)) {
        const key = readValue(
          attributes.get(this.binding.key) ?? textAttribute(this.binding.key),
          record.values[this.binding.key]?.[0] ?? {},
        );
        const sourceId = key === null ? undefined : bySourceId.get(key);
        if (sourceId !== undefined) out.set(sourceId, this.rowOf(attributes, record));
      }
    });
    return out;
  }

  private async valuesOf(payload: Record<string, unknown>): Promise<Record<string, unknown[]>> {
    const values: Record<string, unknown[]> = {};
    for (const [field, value] of Object.entries(payload)) {
      const a = await this.attribute(field);
      values[field] = itemsOf(value).map((item) => writeValue(a, item));
    }
    return values;
  }

  async write(items: readonly WriteItem[]): Promise<WriteOutcome> {
    const outcome: WriteOutcome = { ids: new Map(), rejected: new Map() };
    // Asked at every write, not only when this object's records were read without it: the workspace answers from
    // what it remembers (no request), and a rollback that archived the key attribute made it forget.
    await this.ctx.workspace.ensureKeyAttribute(this.binding);
    if (!this.known?.has(this.binding.key)) await this.load();
    const taken = await this.uniqueConflicts(items);
    for (const [sourceId, refusal] of taken) outcome.rejected.set(sourceId, refusal);
    await eachLimited(
      items.filter((i) => !taken.has(i.sourceId)),
      this.api.concurrency,
      async (item) => {
        try {
          const values = await this.valuesOf(item.payload);
          outcome.ids.set(item.sourceId, await assertRecord(this.api, this.object, this.binding.key, values));
        } catch (err) {
          if (!(err instanceof RecordRejectedError)) throw err;
          outcome.rejected.set(item.sourceId, { message: err.message, code: err.code, field: err.field ?? null });
        }
      },
    );
    return outcome;
  }

  /**
   * Records whose value of a unique attribute (other than the key) another record holds — in Attio already, or
   * earlier in this page — would get a 409: found with one query per attribute, they are not sent, with the
   * reason pre-flight gave them (`target_unique_conflict`).
   */
  async uniqueConflicts(items: readonly WriteItem[]): Promise<Map<string, NotSent>> {
    const out = new Map<string, NotSent>();
    const attributes = await this.attributes();
    const keyAttribute = attributes.get(this.binding.key) ?? textAttribute(this.binding.key);
    for (const a of attributes.values()) {
      if (!a.unique || a.slug === this.binding.key) continue;
      const wanted = new Map<string, string[]>();
      for (const item of items)
        for (const v of itemsOf(item.payload[a.slug])) {
          const k = canonicalItem(a, v);
          wanted.set(k, [...(wanted.get(k) ?? []), item.sourceId]);
        }
      if (wanted.size === 0) continue;
      const holders = new Map<string, string>();
      const values = [...wanted.keys()];
      for (let i = 0; i < values.length; i += FIND_CHUNK) {
        const chunk = values.slice(i, i + FIND_CHUNK);
        for (const record of await findRecords(
          this.api,
          this.object,
          a.slug,
          chunk,
          `find ${this.object} by ${a.slug}`,
        )) {
          const holder = readValue(keyAttribute, record.values[this.binding.key]?.[0] ?? {}) ?? record.id.record_id;
          for (const v of record.values[a.slug] ?? []) {
            const k = readValue(a, v);
            if (k !== null) holders.set(k, holder);
          }
        }
      }
      for (const [value, sourceIds] of wanted)
        for (const sourceId of sourceIds) {
          if (out.has(sourceId)) continue;
          const holder = holders.get(value);
          if (holder === undefined) holders.set(value, sourceId);
          else if (holder !== sourceId)
            out.set(sourceId, {
              message: `${a.slug} "${value}" is already held by record ${holder}; ${a.slug} is unique in Attio`,
              code: 'target_unique_conflict',
              field: a.slug,
              notSent: true,
            });
        }
    }
    return out;
  }

  async remove(records: readonly RecordRef[]): Promise<number> {
    let removed = 0;
    await eachLimited([...records], this.api.concurrency, async (r) => {
      let id = r.targetId ?? null;
      if (!id) id = (await this.lookup([r])).get(r.sourceId)?.__tern_id ?? null;
      if (!id) return;
      if (await deleteRecord(this.api, this.object, id)) removed += 1;
    });
    return removed;
  }

  async restore(images: readonly { ref: RecordRef; image: TargetRow }[]): Promise<void> {
    const attributes = await this.attributes();
    for (const { ref, image } of images) {
      const id = ref.targetId ?? (await this.lookup([ref])).get(ref.sourceId)?.__tern_id;
      if (!id)
        throw new UnknownOutcomeError(
          `Attio ${this.object} ${ref.sourceId}: the record to restore is gone`,
          'attio',
          undefined,
        );
      // Overwrite: every attribute the before-image names, emptied where it was empty.
      const values: Record<string, unknown[]> = {};
      for (const [field, text] of Object.entries(image)) {
        const a = attributes.get(field);
        if (!a || field.startsWith('__')) continue;
        values[field] = itemsOfCanonical(a, text).map((item) => writeValue(a, item));
      }
      await overwriteRecord(this.api, this.object, id, values);
    }
  }
}
