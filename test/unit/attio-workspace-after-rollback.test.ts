import { AttioApi } from '../../connectors/attio/api';
import { AttioWorkspace } from '../../connectors/attio/workspace';
import type { TargetExtras } from '../../connectors/extras';
import type { VendorClient } from '../../connectors/kit/http';

/**
 * A target remembers that it set its key attribute up (one request per object, not per page). A rollback
 * archives the key attribute: the same target writing again must set it up again, not write on the word of what
 * it did before the rollback (Attio refuses a record naming an archived attribute).
 */

/** Attio's people object and its attributes over the client interface: listed, created, archived, brought back. */
function attioPeople() {
  const attributes = new Map<string, { archived: boolean }>([['name', { archived: false }]]);
  const body = (slug: string, archived: boolean) => ({
    title: slug,
    api_slug: slug,
    type: 'text',
    is_unique: slug === 'legacy_id',
    is_required: false,
    is_multiselect: false,
    is_archived: archived,
  });
  const base = '/v2/objects/people/attributes';
  const request = ({
    method,
    url,
    data,
  }: {
    method: string;
    url: string;
    data?: { data: Record<string, unknown> };
  }) => {
    const answer = (status: number, payload: unknown = {}) => Promise.resolve({ status, data: payload });
    if (method === 'get' && url === '/v2/objects')
      return answer(200, { data: [{ id: { object_id: 'obj_people' }, api_slug: 'people' }] });
    if (method === 'get' && url === base)
      return answer(200, { data: [...attributes].map(([slug, a]) => body(slug, a.archived)) });
    if (method === 'post' && url === base) {
      const slug = String(data!.data.api_slug);
      if (attributes.has(slug)) return answer(409);
      attributes.set(slug, { archived: false });
      return answer(200, { data: body(slug, false) });
    }
    if (method === 'patch' && url.startsWith(`${base}/`)) {
      const a = attributes.get(url.slice(base.length + 1));
      if (!a) return answer(404);
      a.archived = data!.data.is_archived === true;
      return answer(200, {});
    }
    throw new Error(`unexpected ${method} ${url}`);
  };
  return {
    client: { request, concurrency: 1 } as unknown as VendorClient,
    live: (slug: string) => attributes.get(slug)?.archived === false,
  };
}

/** Staging's `target_extras` of one migration, in memory. */
function extrasTable(): TargetExtras {
  const rows = new Map<string, { kind: string; key: string; targetId: string | null; removed: boolean }>();
  const fake = {
    put: (kind: string, key: string, targetId: string | null) => {
      const old = rows.get(`${kind} ${key}`);
      rows.set(`${kind} ${key}`, { kind, key, targetId: old?.targetId ?? targetId, removed: false });
      return Promise.resolve();
    },
    created: (kind: string, options: { ever?: boolean } = {}) =>
      Promise.resolve(
        [...rows.values()]
          .filter((r) => r.kind === kind && r.targetId !== null && (options.ever || !r.removed))
          .map((r) => ({ key: r.key, target_id: r.targetId! })),
      ),
    removed: (kind: string, key: string) => {
      rows.get(`${kind} ${key}`)!.removed = true;
      return Promise.resolve();
    },
  };
  return fake as unknown as TargetExtras;
}

describe('the Attio key attribute after a rollback', () => {
  it('one target: set up, archived by the rollback, set up again by the next write', async () => {
    const attio = attioPeople();
    const workspace = new AttioWorkspace(new AttioApi(attio.client), extrasTable());
    const binding = { object: 'people', key: 'legacy_id' };
    await workspace.ensureKeyAttribute(binding);
    expect(attio.live('legacy_id')).toBe(true);
    expect((await workspace.attributes('people')).has('legacy_id')).toBe(true);

    expect(await workspace.archiveCreated()).toEqual({ removed: 1 });
    expect(attio.live('legacy_id')).toBe(false);
    expect((await workspace.attributes('people')).has('legacy_id')).toBe(false);

    await workspace.ensureKeyAttribute(binding);
    expect(attio.live('legacy_id')).toBe(true);
    expect((await workspace.attributes('people')).has('legacy_id')).toBe(true);
    expect(await workspace.remainingCreated()).toEqual({ remaining: ['attribute people.legacy_id'] });
  });
});
