import type postgres from 'postgres';
import { FrontAccount } from '../../connectors/front/account';
import { FrontApi } from '../../connectors/front/api';
import { FrontTarget } from '../../connectors/front/target';
import type { TargetExtras } from '../../connectors/extras';
import type { VendorClient } from '../../connectors/kit/http';

/**
 * Each worker process keeps one reading of the Front account's tags for every page of a migration. A rollback,
 * run by any worker process, deletes the tags Tern created: a process whose reading still names them must not
 * write their ids (Front refuses a conversation naming a deleted tag), it reads the tags again.
 */

/** Front's tags over the client interface: listed, created, deleted; every listing counted. */
function frontTags() {
  const tags = new Map<string, string>();
  let next = 1;
  let listings = 0;
  const request = ({ method, url, data }: { method: string; url: string; data?: { name: string } }) => {
    if (method === 'get' && url === '/tags') {
      listings += 1;
      const results = [...tags].map(([id, name]) => ({ id, name }));
      return Promise.resolve({ status: 200, data: { _results: results, _pagination: { next: null } } });
    }
    if (method === 'post' && url === '/tags') {
      if ([...tags.values()].includes(data!.name)) return Promise.resolve({ status: 409, data: {} });
      const id = `tag_${next++}`;
      tags.set(id, data!.name);
      return Promise.resolve({ status: 201, data: { id } });
    }
    if (method === 'get' && url.startsWith('/tags/'))
      return Promise.resolve({ status: tags.has(url.slice('/tags/'.length)) ? 200 : 404, data: {} });
    if (method === 'delete' && url.startsWith('/tags/'))
      return Promise.resolve({ status: tags.delete(url.slice('/tags/'.length)) ? 204 : 404, data: {} });
    throw new Error(`unexpected ${method} ${url}`);
  };
  return {
    client: { request, concurrency: 1 } as unknown as VendorClient,
    tags,
    listings: () => listings,
  };
}

/** Staging's `target_extras` of one migration, in memory, shared by every "process" of the test. */
function extrasTable(): TargetExtras {
  const rows = new Map<string, { kind: string; key: string; targetId: string | null; detail: string | null }>();
  const removed = new Set<string>();
  const id = (kind: string, key: string) => `${kind}\u0000${key}`;
  const fake = {
    get: (kind: string, keys: readonly string[]) =>
      Promise.resolve(
        new Map(
          keys
            .filter((k) => rows.has(id(kind, k)) && !removed.has(id(kind, k)))
            .map((k) => [k, { targetId: rows.get(id(kind, k))!.targetId, detail: rows.get(id(kind, k))!.detail }]),
        ),
      ),
    put: (kind: string, key: string, targetId: string | null, detail: string | null = null) => {
      // As staging's: a row a rollback removed is replaced whole.
      const old = removed.has(id(kind, key)) ? undefined : rows.get(id(kind, key));
      rows.set(id(kind, key), {
        kind,
        key,
        targetId: old?.targetId ?? targetId,
        detail: detail ?? old?.detail ?? null,
      });
      removed.delete(id(kind, key));
      return Promise.resolve();
    },
    created: (kind: string, options: { ever?: boolean } = {}) =>
      Promise.resolve(
        [...rows.entries()]
          .filter(([k, r]) => r.kind === kind && r.targetId !== null && (options.ever || !removed.has(k)))
          .map(([, r]) => ({ key: r.key, target_id: r.targetId! })),
      ),
    removed: (kind: string, key: string) => {
      removed.add(id(kind, key));
      return Promise.resolve();
    },
    removedAll: (kind: string) => {
      for (const [k, r] of rows) if (r.kind === kind) removed.add(k);
      return Promise.resolve();
    },
  };
  return fake as unknown as TargetExtras;
}

const config = { inbox: 'Support', fallbackTeammate: 'leia@support.example.com' };

/** A worker process's view: its own account reading, over the shared Front and the shared staging. */
function workerProcess(front: ReturnType<typeof frontTags>, extras: TargetExtras) {
  const account = new FrontAccount(config);
  const target = new FrontTarget(front.client, config, {} as postgres.Sql, 'mig_unit', {}, undefined, account);
  Object.assign(target, { extras });
  return { account, target, api: new FrontApi(front.client) };
}

describe('Front tags after a rollback', () => {
  it('rolled back by another worker process: this one reads its tags again and creates them again', async () => {
    const front = frontTags();
    const extras = extrasTable();
    const loading = workerProcess(front, extras);
    const [vip] = await loading.account.tags(loading.api, extras, ['vip']);
    expect(front.tags.get(vip!)).toBe('vip');
    // Page after page, one reading.
    expect(await loading.account.tags(loading.api, extras, ['vip'])).toEqual([vip]);
    expect(front.listings()).toBe(1);

    const rollingBack = workerProcess(front, extras);
    expect(await rollingBack.target.rollbackExtras()).toEqual({ removed: 1 });
    expect(front.tags.size).toBe(0);

    const [again] = await loading.account.tags(loading.api, extras, ['vip']);
    expect(front.tags.get(again!)).toBe('vip');
    expect(front.listings()).toBe(2);
    // Read again once, not at every page.
    expect(await loading.account.tags(loading.api, extras, ['vip'])).toEqual([again]);
    expect(front.listings()).toBe(2);
  });

  it('rolled back in this worker process: the same', async () => {
    const front = frontTags();
    const extras = extrasTable();
    const one = workerProcess(front, extras);
    await one.account.tags(one.api, extras, ['vip', 'billing']);
    expect(await one.target.rollbackExtras()).toEqual({ removed: 2 });
    const ids = await one.account.tags(one.api, extras, ['billing', 'vip']);
    expect(ids.map((i) => front.tags.get(i))).toEqual(['billing', 'vip']);
  });

  it('created again after a rollback, a tag is deleted by the next rollback (not its first id, long gone)', async () => {
    const front = frontTags();
    const extras = extrasTable();
    const one = workerProcess(front, extras);
    for (let run = 0; run < 2; run++) {
      await one.account.tags(one.api, extras, ['vip']);
      expect([...front.tags.values()]).toEqual(['vip']);
      expect(await one.target.rollbackExtras()).toEqual({ removed: 1 });
      expect({ run, left: [...front.tags.values()] }).toEqual({ run, left: [] });
    }
    expect(await one.target.verifyExtras()).toEqual({ remaining: [] });
  });
});
