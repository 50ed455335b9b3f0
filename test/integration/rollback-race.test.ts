import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { attioSandbox, attioWorkspaceState, createAttioAttribute } from '../../sandboxes/attio';
import { recordsOf } from '../../sandboxes/attio-workspace';
import { type RunningSandbox, startSandbox } from '../../sandboxes/core/server';
import type { Staging } from '../../staging/db';
import { rollbackProgressQuery, type RollbackResult } from '../../workflows/rollback';
import { testClient, testSettings, testStaging, uniqueId, withWorker } from '../support/harness';
import { waitFor } from '../support/wait';

/**
 * A rollback started while a load page's write is still in flight at the vendor. The sandbox holds one record
 * write open (received, not yet processed); the rollback starts; the write is released once the rollback is
 * under way, and commits, as a vendor finishes a request it already received. What counts is the sandbox's
 * own store, not Tern's ledger: no record Tern created may remain, and the rollback may say OK only if so.
 */
jest.setTimeout(300_000);

const COMPANIES = ['id,name', ...Array.from({ length: 8 }, (_, i) => `r${i + 1},Company ${i + 1}`)].join('\n') + '\n';

const PLAN = (dir: string, url: string, name: string) => `
version: 1
name: ${name}
source: { kind: csv, directory: ${dir} }
target:
  kind: attio
  baseUrl: ${url}
  credentials: { kind: bearer, tokenEnv: TERN_TEST_ATTIO_TOKEN }
  budget: { ratePerSecond: 1000, exceedDocumented: true }
objects:
  - name: companies
    source: { file: companies.csv, id: id }
    target: { resource: companies, key: legacy_id }
    pageSize: 4
    fields:
      - { from: id, to: legacy_id }
      - { from: name, to: name, transform: [required] }
`;

/** Attio's record upsert, the write a load page sends per record. */
const ASSERT_RECORD = 'put /v2/objects/{object}/records';

describe('a rollback racing a load page in flight', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let attio: RunningSandbox;
  let loaded: LoadedPlan;
  let before: string;
  let beforeIds: Set<string>;
  const migrationId = uniqueId('mig_race');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tern-race-'));

  const admin = async <T>(route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${attio.url}/__admin/${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const companyIds = () => new Set([...recordsOf(attio.store, 'companies').values()].map((r) => r.id.record_id));

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    attio = await startSandbox(attioSandbox, { seed: 5, rate: 1000 });
    process.env.TERN_TEST_ATTIO_TOKEN = 'attio-sandbox-token';
    // The workspace admin prepared the matching key, so it outlives a rollback (Tern did not create it).
    createAttioAttribute(attio.store, 'companies', { api_slug: 'legacy_id', type: 'text', is_unique: true });
    before = JSON.stringify(attioWorkspaceState(attio.store));
    beforeIds = companyIds();
    fs.writeFileSync(path.join(dir, 'companies.csv'), COMPANIES);
    const file = path.join(dir, 'plan.yaml');
    fs.writeFileSync(file, PLAN(dir, attio.url, migrationId));
    loaded = parsePlan(fs.readFileSync(file, 'utf8'), file);
  });

  afterAll(async () => {
    await attio?.release();
    await attio?.close();
    if (staging) {
      await staging.sql`delete from migrations where id = ${migrationId}`;
      await staging.close();
    }
    await client?.connection.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a write released after the rollback started leaves nothing of Tern in the workspace', async () => {
    await admin('faults', { hold: { writes: 1, operation: ASSERT_RECORD } });
    const rollback: RollbackResult = await withWorker(settings, staging, async () => {
      const full = await startPhase(client, settings, staging.db, loaded, { phase: 'full', migrationId });
      // A page is writing: one of its records is at the vendor, received and not yet processed.
      await waitFor('a record write held by the sandbox', 60_000, async () =>
        (await admin<{ held: number }>('held')).held === 1 ? true : undefined,
      );
      const started = await startPhase(client, settings, staging.db, loaded, {
        phase: 'rollback',
        migrationId,
        reason: 'cutover aborted while loading',
        by: 'jest',
      });
      // The rollback is under way: it waits for the loads to stop, or (if it does not wait) it has finished.
      await waitFor('the rollback under way', 60_000, async () => {
        const description = await started.handle.describe();
        if (description.status.name !== 'RUNNING') return true;
        const progress = await started.handle.query(rollbackProgressQuery).catch(() => undefined);
        return progress?.stage === 'waiting for loads' ? true : undefined;
      });
      // The vendor finishes the request it received: the record is committed.
      expect(await admin<{ released: number }>('release', {})).toEqual({ released: 1 });
      const result = await started.handle.result();
      await full.handle.result().catch(() => undefined); // cancelled by the rollback
      return result;
    });
    expect(attio.stats().held).toBe(1);
    // The rollback waited for the loading phase (and its object's load) to close before undoing anything.
    expect(rollback.stoppedLoads).toEqual(expect.arrayContaining([`${migrationId}/full`]));

    const left = [...companyIds()].filter((id) => !beforeIds.has(id));
    expect({ ok: rollback.ok, left: left.length }).toEqual({ ok: true, left: 0 });
    // The rollback's own verdict agrees with the vendor's store.
    expect(rollback.ok).toBe(left.length === 0);
    expect(JSON.stringify(attioWorkspaceState(attio.store))).toBe(before);
  });
});
