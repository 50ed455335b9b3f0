import type { VendorClient } from '../kit/http';
import { asText } from '../kit/errors';
import type { ExternalWriter } from '../kit/idempotent';

/** Attribute values as Attio's write endpoints take them: `{slug: [value, ...]}`. */
export type AttioValues = Record<string, unknown[]>;

export interface AttioRecordWriterOptions {
  /** The object's slug or id: people, companies, deals, … */
  object: string;
  /**
   * `assert`: Attio's native upsert on a unique matching attribute (PUT …/records?matching_attribute=).
   * `create`: POST, for objects without a unique attribute to match on; the external id attribute is
   * searched after an unknown outcome.
   */
  mode: 'assert' | 'create';
  /** The attribute holding Tern's external id (the matching attribute in `assert` mode). */
  externalIdAttribute: string;
}

interface AttioRecord {
  id: { record_id: string };
  values: Record<string, unknown[]>;
}

/** Writes records of one Attio object through the kit, idempotently. */
export class AttioRecordWriter implements ExternalWriter<AttioValues> {
  constructor(
    private readonly client: VendorClient,
    private readonly options: AttioRecordWriterOptions,
  ) {}

  externalId(values: AttioValues): string {
    const v = values[this.options.externalIdAttribute]?.[0];
    const id = v !== null && typeof v === 'object' ? Object.values(v as Record<string, unknown>)[0] : v;
    if (id === undefined || id === null || id === '')
      throw new Error(
        `Attio ${this.options.object}: the record has no ${this.options.externalIdAttribute} value to match on`,
      );
    return asText(id);
  }

  async find(externalId: string): Promise<string | null> {
    const res = await this.client.request<{ data: AttioRecord[] }>({
      method: 'post',
      url: `/v2/objects/${encodeURIComponent(this.options.object)}/records/query`,
      data: { filter: { [this.options.externalIdAttribute]: externalId }, limit: 2 },
      operation: `find ${this.options.object}`,
      idempotent: true,
    });
    const hits = res.data.data;
    if (hits.length > 1)
      throw new Error(
        `Attio ${this.options.object}: ${hits.length} records carry ${this.options.externalIdAttribute}=${externalId}; resolve the duplicate before resuming`,
      );
    return hits[0]?.id.record_id ?? null;
  }

  async write(values: AttioValues): Promise<string> {
    const object = encodeURIComponent(this.options.object);
    const res =
      this.options.mode === 'assert'
        ? await this.client.request<{ data: AttioRecord }>({
            method: 'put',
            url: `/v2/objects/${object}/records`,
            params: { matching_attribute: this.options.externalIdAttribute },
            data: { data: { values } },
            operation: `assert ${this.options.object}`,
            idempotent: true,
          })
        : await this.client.request<{ data: AttioRecord }>({
            method: 'post',
            url: `/v2/objects/${object}/records`,
            data: { data: { values } },
            operation: `create ${this.options.object}`,
          });
    return res.data.data.id.record_id;
  }

  /** Removes a record Tern created (rollback). */
  async remove(recordId: string): Promise<void> {
    await this.client.request({
      method: 'delete',
      url: `/v2/objects/${encodeURIComponent(this.options.object)}/records/${encodeURIComponent(recordId)}`,
      operation: `delete ${this.options.object}`,
      idempotent: true,
      accept: [404],
    });
  }
}
