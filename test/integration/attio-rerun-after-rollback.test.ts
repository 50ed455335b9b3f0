import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { openSaasTarget } from '../../connectors/saas-targets';
import { startPhase } from '../../scripts/client/phases';
import { attioSandbox, attioWorkspaceState, createAttioAttribute } from '../../sandboxes/attio';
import { findObject, recordsOf } from '../../sandboxes/attio-workspace';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import type { Staging } from '../../staging/db';
import type { PhaseResult } from '../../workflows/phase';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';

/**
 * A rollback archives what Tern added to the Attio workspace (the key attribute, select options, statuses). A
 * full run after it, in the same worker, must find them gone and bring them back, not write on the word of what
 * it read before the rollback: every record is in Attio once, counted from Attio's records. The same holds for
 * one target kept across a rollback (its workspace reading and its object's records), which phases never do.
 */
jest.setTimeout(300_000);

const COMPANIES = `id,name
c1,Acme Corp
c2,Globex
c3,Initech
`;
const PEOPLE = `id,name,tags
p1,Jane Doe,"vip, newsletter"
p2,Bob Roe,newsletter
`;
const DEALS = `id,name,status
d1,Acme renewal,closed won
d2,Globex pilot,Qualified
`;

const PLAN = (dir: string, url: string, name: string) => `
version: 1
name: ${name}
source: { kind: csv, directory: ${dir} }
target:
  kind: attio
  baseUrl: ${url}
  credentials: { kind: bearer, tokenEnv: TERN_TEST_ATTIO_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
  createOptions: true
objects:
  - name: companies
    source: { file: companies.csv, id: id }
    target: { resource: companies, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [required] }
  - name: people
    source: { file: people.csv, id: id }
    target: { resource: people, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name }
      - { from: tags, to: tags, transform: [{ split: { separators: [','] } }, titlecase] }
  - name: deals
    source: { file: deals.csv, id: id }
    target: { resource: deals, key: legacy_id }
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [required] }
      - from: status
        to: stage
        transform:
          - picklist:
              options: [Lead, Qualified, Won 🎉, Lost]
              aliases: { closed won: Won 🎉 }
              unmapped: quarantine
`;

describe('Attio: a full run after a rollback', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let attio: RunningSandbox;
  let loaded: LoadedPlan;
  let before: string;
  const migrationId = uniqueId('mig_attio_rerun');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-attio-rerun-'));

  const phase = (p: 'full' | 'rollback') =>
    startPhase(client, settings, staging.db, loaded, {
      phase: p,
      migrationId,
      ...(p === 'rollback' ? { reason: 'test: undo', by: 'jest' } : {}),
    }).then((started) => started.handle.result() as Promise<PhaseResult>);
  /** Attio's records of an object that carry a legacy id (the workspace's own have none), and the distinct ids. */
  const legacyIds = (object: string) => {
    const ids = [...recordsOf(attio.store, object).values()]
      .map((r) => r.values.legacy_id?.[0]?.value)
      .filter((v) => v !== undefined)
      .map(String);
    return { records: ids.length, distinct: [...new Set(ids)].sort() };
  };
  const keyAttributeLive = (object: string) =>
    findObject(attio.store, object).attributes.some((a) => a.api_slug === 'legacy_id' && !a.is_archived);

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    attio = await startSandbox(attioSandbox, { seed: 4, rate: 1000 });
    process.env.TERN_TEST_ATTIO_TOKEN = 'attio-sandbox-token';
    createAttioAttribute(attio.store, 'people', { api_slug: 'tags', type: 'select', is_multiselect: true });
    before = JSON.stringify(attioWorkspaceState(attio.store));
    fs.writeFileSync(path.join(dir, 'companies.csv'), COMPANIES);
    fs.writeFileSync(path.join(dir, 'people.csv'), PEOPLE);
    fs.writeFileSync(path.join(dir, 'deals.csv'), DEALS);
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, PLAN(dir, attio.url, migrationId));
    loaded = parsePlan(fs.readFileSync(file, 'utf8'), file);
  });

  afterAll(async () => {
    await attio?.close();
    if (staging) {
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('full → rollback → full in one worker: every record in Attio once, what Tern created back', async () => {
    const [first, rollback, again] = await withWorker(settings, staging, async () => [
      await phase('full'),
      await phase('rollback'),
      await phase('full'),
    ]);
    expect(first.ok).toBe(true);
    expect(rollback.ok).toBe(true);
    for (const o of again.objects)
      expect({ object: o.object, loaded: o.loaded, quarantined: o.quarantined, ok: o.ok }).toEqual({
        object: o.object,
        loaded: o.object === 'companies' ? 3 : 2,
        quarantined: 0,
        ok: true,
      });
    expect(legacyIds('companies')).toEqual({ records: 3, distinct: ['c1', 'c2', 'c3'] });
    expect(legacyIds('people')).toEqual({ records: 2, distinct: ['p1', 'p2'] });
    expect(legacyIds('deals')).toEqual({ records: 2, distinct: ['d1', 'd2'] });
    for (const object of ['companies', 'people', 'deals']) expect(keyAttributeLive(object)).toBe(true);

    const undone = await withWorker(settings, staging, () => phase('rollback'));
    expect(undone.ok).toBe(true);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });

  test('one target kept across a rollback writes again: the key attribute and options come back', async () => {
    const target = await openSaasTarget({ sql: staging.sql, env: process.env }, loaded.plan, migrationId);
    const people = await target.records('people');
    const write = async (records: Awaited<ReturnType<typeof target.records>>, id: string, tags: string[]) => {
      const [payload] = await records.prepare([{ legacy_id: id, name: `Person ${id}`, tags }]);
      return records.write([{ sourceId: id, payload: payload! }]);
    };
    const first = await write(people, 'p1', ['Vip']);
    expect(first.rejected).toEqual(new Map());
    // What a rollback does once every object is rolled back: the records go, then what Tern created is archived.
    expect(await people.remove([{ sourceId: 'p1', key: 'p1', targetId: first.ids.get('p1')! }])).toBe(1);
    expect((await target.rollbackExtras!()).removed).toBe(2);
    expect(keyAttributeLive('people')).toBe(false);

    // The same object's records, and a new one from the same target: each writes, on a key attribute live again.
    const again = await write(people, 'p1', ['Vip']);
    const fresh = await write(await target.records('people'), 'p2', ['Vip']);
    expect({ again: again.rejected, fresh: fresh.rejected }).toEqual({ again: new Map(), fresh: new Map() });
    expect(keyAttributeLive('people')).toBe(true);
    expect(legacyIds('people')).toEqual({ records: 2, distinct: ['p1', 'p2'] });
    const ours = () => [...recordsOf(attio.store, 'people').values()].filter((r) => r.values.legacy_id?.length);
    const titles = ours().map((r) => (r.values.tags as { option: { title: string } }[]).map((t) => t.option.title));
    expect(titles).toEqual([['Vip'], ['Vip']]);

    // Undone the same way, the workspace is as it was.
    const ids = ours().map((r) => ({
      sourceId: String(r.values.legacy_id![0]!.value),
      key: String(r.values.legacy_id![0]!.value),
      targetId: r.id.record_id,
    }));
    expect(await (await target.records('people')).remove(ids)).toBe(2);
    await target.rollbackExtras!();
    expect((await target.verifyExtras!()).remaining).toEqual([]);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });
});
