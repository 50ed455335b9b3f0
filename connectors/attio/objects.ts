import type { AttioApi } from './api';
import { attioList, objectSchema } from './types';

/**
 * Objects (companies, people, deals, custom ones): Tern reads them only to name a reference's allowed objects by
 * slug, since Attio names them by id in an attribute's configuration.
 */

/** Object ids and slugs → slugs. https://docs.attio.com/rest-api/endpoint-reference/objects/list-objects */
export async function listObjectSlugs(api: AttioApi): Promise<Map<string, string>> {
  const res = await api.read(attioList(objectSchema), {
    method: 'get',
    url: '/v2/objects',
    operation: 'list objects',
    setup: true,
  });
  const out = new Map<string, string>();
  for (const o of res?.data ?? []) {
    out.set(o.id.object_id, o.api_slug);
    out.set(o.api_slug, o.api_slug);
  }
  return out;
}
