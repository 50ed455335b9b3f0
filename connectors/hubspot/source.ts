import { ConfigError } from '../../common/errors';
import { VendorError } from '../kit/errors';
import type { VendorClient } from '../kit/http';
import type { ChangeReader, DeletedItem, SourceItem, SourceReader } from '../source';

/**
 * HubSpot CRM as a source. Objects read one resource each:
 *
 * - `companies`, `contacts`, `deals`: every live record by id (the CRM objects list), with every property the
 *   account defines (read from the properties API) and its associations flattened: a contact's `company_id`
 *   (its first associated company), a deal's `company_id` and `contact_ids` (comma-joined);
 * - `owners`: the account's owners, active and deactivated (`active` false), for record owners;
 * - `stages`: the stages of every deals pipeline (`is_won` for a closed stage of probability 1).
 *
 * Every value is HubSpot's text (properties come as strings or null). Cursors resume at the page's `after`
 * token and the record within it: a crashed extract re-reads nothing.
 */

export const HUBSPOT_RESOURCES = ['companies', 'contacts', 'deals', 'owners', 'stages'] as const;
export type HubSpotResource = (typeof HUBSPOT_RESOURCES)[number];
type ObjectResource = 'companies' | 'contacts' | 'deals';

export interface HubSpotClients {
  /** The account's API budget (100 requests per 10 s on Free/Starter). */
  api: VendorClient;
  /** The CRM search API, limited apart (4 requests per second). */
  search: VendorClient;
}

/** The associations each object's records carry as columns. */
const ASSOCIATIONS: Record<ObjectResource, readonly ('companies' | 'contacts')[]> = {
  companies: [],
  contacts: ['companies'],
  deals: ['companies', 'contacts'],
};

/** The property a record's last change is searched by (contacts keep HubSpot's older name). */
const LAST_MODIFIED: Record<ObjectResource, string> = {
  companies: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

/** The CRM search API's own limit, apart from the account's budget (see ./declaration.ts). */
export const HUBSPOT_SEARCH_REQUESTS_PER_SECOND = 4;

/** The most results one search query pages through (HubSpot answers 400 past them). */
export const HUBSPOT_SEARCH_CAP = 10_000;
/** Results per search page (HubSpot's maximum). */
const SEARCH_PAGE = 200;

interface CrmObject {
  id: string;
  properties: Record<string, string | null>;
  archived?: boolean;
  archivedAt?: string;
  updatedAt: string;
  associations?: Record<string, { results: { id: string; type: string }[] }>;
}

interface Paged<T> {
  results: T[];
  paging?: { next?: { after: string } };
}

interface Owner {
  id: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  userId?: number;
  archived: boolean;
  createdAt?: string;
  updatedAt?: string;
}

interface Pipeline {
  id: string;
  label: string;
  stages: { id: string; label: string; displayOrder: number; metadata: Record<string, string> }[];
}

interface Position {
  /** The `after` token of the page (absent: the first page). */
  after?: string;
  /** Items of that page already read. */
  done: number;
  /** Owners: the deactivated ones are listed apart, after the active ones. */
  archived?: boolean;
}

const decode = (cursor: string | null): Position => (cursor ? (JSON.parse(cursor) as Position) : { done: 0 });
const encode = (p: Position) => JSON.stringify(p);

/** A record as a flat row: id, every property, and the association columns. */
export function crmRecord(
  resource: ObjectResource,
  o: CrmObject,
  associated: Partial<Record<'companies' | 'contacts', string[]>> = {},
): Record<string, unknown> {
  const record: Record<string, unknown> = { id: o.id, ...o.properties };
  const ids = (type: 'companies' | 'contacts') =>
    associated[type] ?? o.associations?.[type]?.results.map((r) => r.id) ?? [];
  if (resource !== 'companies') record.company_id = ids('companies')[0] ?? null;
  if (resource === 'deals') {
    const contacts = [...new Set(ids('contacts'))];
    record.contact_ids = contacts.length > 0 ? contacts.join(',') : null;
  }
  return record;
}

export function ownerRecord(o: Owner): Record<string, unknown> {
  return {
    id: o.id,
    email: o.email ?? null,
    first_name: o.firstName ?? null,
    last_name: o.lastName ?? null,
    user_id: o.userId ?? null,
    active: !o.archived,
    created_at: o.createdAt ?? null,
    updated_at: o.updatedAt ?? null,
  };
}

export function stageRecords(p: Pipeline): Record<string, unknown>[] {
  return [...p.stages]
    .sort((a, b) => a.displayOrder - b.displayOrder)
    .map((s) => {
      const probability = s.metadata.probability === undefined ? null : Number(s.metadata.probability);
      const closed = s.metadata.isClosed === 'true';
      return {
        id: s.id,
        label: s.label,
        pipeline: p.id,
        pipeline_label: p.label,
        display_order: s.displayOrder,
        probability,
        is_closed: closed,
        is_won: closed && probability === 1,
      };
    });
}

/** Every property name the account defines for an object type (custom ones included). */
async function propertyNames(client: VendorClient, resource: ObjectResource): Promise<string[]> {
  // https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide
  const res = await client.request<{ results: { name: string }[] }>({
    method: 'get',
    url: `/crm/v3/properties/${resource}`,
    operation: `list ${resource} properties`,
    setup: true,
  });
  return res.data.results.map((p) => p.name);
}

/** Pages of a CRM object list, with the position of each record. */
async function* listObjects(
  client: VendorClient,
  resource: ObjectResource,
  properties: string[],
  pageSize: number,
  from: Position,
  archived = false,
): AsyncGenerator<{ item: CrmObject; after: Position }> {
  let after = from.after;
  let skip = from.done;
  const associations = ASSOCIATIONS[resource];
  for (;;) {
    // https://developers.hubspot.com/docs/api-reference/crm-deals-v3/guide (companies and contacts alike)
    const res = await client.request<Paged<CrmObject>>({
      method: 'get',
      url: `/crm/v3/objects/${resource}`,
      params: {
        limit: pageSize,
        properties: properties.join(','),
        ...(associations.length > 0 ? { associations: associations.join(',') } : {}),
        ...(archived ? { archived: true } : {}),
        ...(after !== undefined ? { after } : {}),
      },
      operation: `list ${archived ? 'archived ' : ''}${resource}`,
    });
    const items = res.data.results;
    for (let i = skip; i < items.length; i++) yield { item: items[i]!, after: { after, done: i + 1 } };
    skip = 0;
    const next = res.data.paging?.next?.after;
    if (!next || next === after) return;
    after = next;
  }
}

/** A reader for one HubSpot resource. */
export function hubspotSourceReader(
  clients: HubSpotClients,
  resource: string,
  options: { pageSize: number; object: string },
): SourceReader {
  if (!(HUBSPOT_RESOURCES as readonly string[]).includes(resource))
    throw new ConfigError(
      `object "${options.object}": source.resource "${resource}" is not a HubSpot resource Tern reads`,
      `set source.resource to one of ${HUBSPOT_RESOURCES.join(', ')}`,
    );
  const pageSize = Math.min(options.pageSize, 100);
  return async function* read(cursor): AsyncGenerator<SourceItem> {
    const from = decode(cursor);
    switch (resource as HubSpotResource) {
      case 'companies':
      case 'contacts':
      case 'deals': {
        const type = resource as ObjectResource;
        const properties = await propertyNames(clients.api, type);
        for await (const { item, after } of listObjects(clients.api, type, properties, pageSize, from))
          yield {
            kind: 'record',
            position: `${type} ${item.id}`,
            cursor: encode(after),
            record: crmRecord(type, item),
          };
        return;
      }
      case 'owners': {
        // https://developers.hubspot.com/docs/api-reference/crm-crm-owners-v3/guide: active, then deactivated.
        for (const archived of [false, true]) {
          if (from.archived && !archived) continue;
          let after = from.archived === archived ? from.after : undefined;
          let skip = from.archived === archived ? from.done : 0;
          for (;;) {
            const res = await clients.api.request<Paged<Owner>>({
              method: 'get',
              url: '/crm/v3/owners',
              params: { limit: 100, archived, ...(after !== undefined ? { after } : {}) },
              operation: `list ${archived ? 'deactivated ' : ''}owners`,
            });
            const owners = res.data.results;
            for (let i = skip; i < owners.length; i++)
              yield {
                kind: 'record',
                position: `owner ${owners[i]!.id}`,
                cursor: encode({ after, done: i + 1, archived }),
                record: ownerRecord(owners[i]!),
              };
            skip = 0;
            const next = res.data.paging?.next?.after;
            if (!next || next === after) break;
            after = next;
          }
        }
        return;
      }
      case 'stages': {
        // https://developers.hubspot.com/docs/api-reference/crm-pipelines-v3/guide
        const res = await clients.api.request<{ results: Pipeline[] }>({
          method: 'get',
          url: '/crm/v3/pipelines/deals',
          operation: 'list deal pipelines',
        });
        const stages = res.data.results.flatMap(stageRecords);
        for (let i = from.done; i < stages.length; i++)
          yield {
            kind: 'record',
            position: `stage ${String(stages[i]!.pipeline)}/${String(stages[i]!.id)}`,
            cursor: encode({ done: i + 1 }),
            record: stages[i]!,
          };
        return;
      }
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Changes

/** A window of last-modified times, [from, to) in epoch ms; `to` undefined is open-ended. */
interface Window {
  from: number;
  to?: number;
}

interface SearchPage {
  total: number;
  results: CrmObject[];
  paging?: { next?: { after: string } };
}

/** The association columns of a page of records, by one batch read per associated type. */
async function associationsOf(
  client: VendorClient,
  resource: ObjectResource,
  ids: string[],
): Promise<Map<string, Partial<Record<'companies' | 'contacts', string[]>>>> {
  const out = new Map<string, Partial<Record<'companies' | 'contacts', string[]>>>();
  for (const to of ASSOCIATIONS[resource]) {
    if (ids.length === 0) break;
    // https://developers.hubspot.com/docs/api-reference/crm-associations-v4/guide: records without any are
    // listed in `errors` (207), not an error of the read.
    const res = await client.request<{ results: { from: { id: string }; to: { toObjectId: number | string }[] }[] }>({
      method: 'post',
      url: `/crm/v4/associations/${resource}/${to}/batch/read`,
      data: { inputs: ids.map((id) => ({ id })) },
      operation: `read ${resource} → ${to} associations`,
      idempotent: true,
    });
    for (const r of res.data.results) {
      const entry = out.get(r.from.id) ?? {};
      entry[to] = r.to.map((t) => String(t.toObjectId));
      out.set(r.from.id, entry);
    }
  }
  return out;
}

/**
 * Only what changed since an instant: the records of companies, contacts and deals whose last-modified date is
 * at or after it, through the CRM search API (a window holding more than its 10,000 results is split in two
 * until each half fits), and the records archived since then as deletions. Owners and stages have no change
 * feed: undefined, and a delta reads them whole.
 */
export function hubspotChangeReader(
  clients: HubSpotClients,
  resource: string,
  options: { pageSize: number; object: string },
): ChangeReader | undefined {
  if (resource === 'owners' || resource === 'stages') return undefined;
  hubspotSourceReader(clients, resource, options);
  const type = resource as ObjectResource;
  const modified = LAST_MODIFIED[type];
  return async function* changes(since): AsyncGenerator<SourceItem | DeletedItem> {
    const properties = await propertyNames(clients.api, type);
    const searchPage = (w: Window, after: string | undefined, limit: number) =>
      // https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm
      clients.search.request<SearchPage>({
        method: 'post',
        url: `/crm/v3/objects/${type}/search`,
        data: {
          filterGroups: [
            {
              filters: [
                { propertyName: modified, operator: 'GTE', value: String(w.from) },
                ...(w.to !== undefined ? [{ propertyName: modified, operator: 'LT', value: String(w.to) }] : []),
              ],
            },
          ],
          sorts: [{ propertyName: modified, direction: 'ASCENDING' }],
          properties,
          limit,
          ...(after !== undefined ? { after } : {}),
        },
        operation: `search ${type} changed`,
        idempotent: true,
      });
    const windows: Window[] = [{ from: since.getTime() }];
    const seen = new Set<string>();
    while (windows.length > 0) {
      const w = windows.shift()!;
      let after: string | undefined;
      let first = true;
      for (;;) {
        const res = await searchPage(w, after, SEARCH_PAGE);
        if (first && res.data.total > HUBSPOT_SEARCH_CAP) {
          // More than one query can page through: split the window (an open one is closed at now first).
          const to = w.to ?? Date.now() + 1;
          if (w.to === undefined) windows.unshift({ from: to });
          if (to - w.from <= 1)
            throw new VendorError(
              `hubspot: more than ${HUBSPOT_SEARCH_CAP} ${type} were modified in the same millisecond (${new Date(w.from).toISOString()}); the search API cannot page through them`,
              'read this object whole (a full run) instead of as a delta',
              'hubspot',
              undefined,
            );
          const middle = w.from + Math.floor((to - w.from) / 2);
          windows.unshift({ from: w.from, to: middle }, { from: middle, to });
          break;
        }
        first = false;
        const page = res.data.results.filter((o) => !seen.has(o.id));
        const associated = await associationsOf(
          clients.api,
          type,
          page.map((o) => o.id),
        );
        for (const o of page) {
          seen.add(o.id);
          yield {
            kind: 'record',
            position: `${type} ${o.id}`,
            cursor: '',
            record: crmRecord(type, o, associated.get(o.id) ?? { companies: [], contacts: [] }),
          };
        }
        const next = res.data.paging?.next?.after;
        if (!next || next === after) break;
        after = next;
      }
    }
    // Deleted records stay archived (for 90 days): those archived since the instant are deletions.
    for await (const { item } of listObjects(clients.api, type, ['hs_object_id'], 100, { done: 0 }, true)) {
      const archivedAt = Date.parse(item.archivedAt ?? item.updatedAt);
      if (Number.isNaN(archivedAt) || archivedAt < since.getTime()) continue;
      yield { kind: 'deleted', position: `${type} ${item.id}`, sourceId: item.id };
    }
  };
}
