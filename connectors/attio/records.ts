import type { AttioApi } from './api';
import { attioList, attioOne, recordSchema, writtenRecordSchema, type AttioRecordBody } from './types';

/**
 * Records: written one request each (Attio has no batch write), upserted on the object's key attribute; found
 * by the values of a unique attribute, for lookups, read-backs and pre-flight of unique values.
 */

const recordsUrl = (object: string) => `/v2/objects/${encodeURIComponent(object)}/records`;

/**
 * The records whose `attribute` holds one of `values` (a query's one page: callers ask for at most
 * `FIND_CHUNK` values of a unique attribute, well under the page's 500 records).
 * https://docs.attio.com/rest-api/endpoint-reference/records/list-records
 */
export async function findRecords(
  api: AttioApi,
  object: string,
  attribute: string,
  values: readonly string[],
  operation: string,
): Promise<AttioRecordBody[]> {
  const res = await api.read(attioList(recordSchema), {
    method: 'post',
    url: `${recordsUrl(object)}/query`,
    data: { filter: { [attribute]: { $in: values } }, limit: 500, offset: 0 },
    operation,
    idempotent: true,
  });
  return res?.data ?? [];
}

/** Values asked for in one query. */
export const FIND_CHUNK = 100;

/**
 * Attio's assert: the record whose `matchingAttribute` holds the payload's value is updated, or created; its id.
 * Written twice (an answer lost), it lands on the same record.
 * https://docs.attio.com/rest-api/endpoint-reference/records/assert-a-record
 */
export async function assertRecord(
  api: AttioApi,
  object: string,
  matchingAttribute: string,
  values: Record<string, unknown[]>,
): Promise<string> {
  const res = await api.read(attioOne(writtenRecordSchema), {
    method: 'put',
    url: recordsUrl(object),
    params: { matching_attribute: matchingAttribute },
    data: { data: { values } },
    operation: `assert ${object}`,
    idempotent: true,
  });
  return res!.data.id.record_id;
}

/**
 * Overwrites the attributes `values` names (multiselect ones set to exactly the list given), to put a
 * before-image back.
 * https://docs.attio.com/rest-api/endpoint-reference/records/update-a-record-overwrite-multiselect-values
 */
export async function overwriteRecord(
  api: AttioApi,
  object: string,
  recordId: string,
  values: Record<string, unknown[]>,
): Promise<void> {
  await api.send({
    method: 'put',
    url: `${recordsUrl(object)}/${encodeURIComponent(recordId)}`,
    data: { data: { values } },
    operation: `restore ${object}`,
    idempotent: true,
  });
}

/**
 * Deletes a record; whether it was there.
 * https://docs.attio.com/rest-api/endpoint-reference/records/delete-a-record
 */
export async function deleteRecord(api: AttioApi, object: string, recordId: string): Promise<boolean> {
  const status = await api.send({
    method: 'delete',
    url: `${recordsUrl(object)}/${encodeURIComponent(recordId)}`,
    operation: `delete ${object}`,
    idempotent: true,
    accept: [404],
  });
  return status !== 404;
}
