import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { testClient, testEnv, testSettings, testStaging } from '../support/harness';
import { dropObjectsScenario, objectsScenario, type ObjectsScenario } from '../support/objects-scenario';
import { spawnWorker, stopChild } from '../support/processes';

/** A port nothing listens on now (the worker takes it a moment later). */
async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  return res.text();
}

/** Every sample of a metric with these labels (and any others), summed. */
function total(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.slice(0, l.indexOf('}')).includes(w)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * A worker process serves its metrics while a full phase of three objects runs on real Temporal and PostgreSQL:
 * what the counters say per object is what the reconciliation proves.
 */
describe('worker metrics after a full phase', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let scenario: ObjectsScenario;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
  });
  afterAll(async () => {
    if (scenario) await dropObjectsScenario(staging, scenario);
    await client.connection.close();
    await staging.close();
  });

  it('counts per object the records written as loaded and the records quarantined as quarantined', async () => {
    scenario = await objectsScenario(staging, { accounts: 120, products: 90, contacts: 300, pageSize: 40 });
    // Dirt the reconciliation must account for: a product the mapping refuses (a blank title, required), an
    // account whose id is not an integer, and a contact line too short to read (quarantined by extraction).
    fs.appendFileSync(path.join(scenario.dir, 'products.csv'), 'P900001,   ,1.00\n');
    fs.appendFileSync(path.join(scenario.dir, 'accounts.csv'), 'A-1,Account with a text id\n');
    fs.appendFileSync(path.join(scenario.dir, 'contacts.csv'), '900001,1\n');
    const port = await freePort();
    const worker = spawnWorker({
      DATABASE_URL: testEnv().databaseUrl,
      TEMPORAL_ADDRESS: settings.temporal.address,
      TERN_TASK_QUEUE: settings.taskQueue,
      TERN_METRICS_PORT: String(port),
    });
    try {
      const started = await startPhase(client, settings, staging.db, scenario.loaded, {
        phase: 'full',
        migrationId: scenario.migrationId,
      });
      const result = await started.handle.result();
      expect(result.ok).toBe(true);
      expect(result.objects.map((o) => [o.object, o.source, o.loaded, o.quarantined])).toEqual([
        ['accounts', 121, 120, 1],
        ['products', 91, 90, 1],
        ['contacts', 301, 300, 1],
      ]);

      const text = await scrape(port);
      for (const o of result.objects) {
        const labels = { migration: scenario.migrationId, phase: 'full', object: o.object };
        expect([o.object, total(text, 'tern_records_written_total', labels)]).toEqual([o.object, o.loaded]);
        expect([o.object, total(text, 'tern_records_quarantined_total', labels)]).toEqual([o.object, o.quarantined]);
        // Every staged record was read by one load page; extraction staged what it could read.
        const staged = o.source - total(text, 'tern_records_quarantined_total', { ...labels, stage: 'extract' });
        expect([o.object, total(text, 'tern_records_read_total', labels)]).toEqual([o.object, staged]);
        expect([o.object, total(text, 'tern_records_extracted_total', labels)]).toEqual([o.object, staged]);
        expect(total(text, 'tern_load_page_duration_seconds_count', labels)).toBeGreaterThanOrEqual(
          Math.ceil(staged / 40),
        );
        expect(total(text, 'tern_reconciliation_ok', labels)).toBe(1);
        for (const term of ['source', 'loaded', 'quarantined', 'unaccounted'] as const)
          expect([o.object, term, total(text, 'tern_reconciliation_records', { ...labels, term })]).toEqual([
            o.object,
            term,
            o[term],
          ]);
      }
      // The contact line was quarantined by extraction, the others by the mapping of a load page.
      const stage = (object: string, s: string) =>
        total(text, 'tern_records_quarantined_total', {
          migration: scenario.migrationId,
          phase: 'full',
          object,
          stage: s,
        });
      expect([stage('contacts', 'extract'), stage('accounts', 'load'), stage('products', 'load')]).toEqual([1, 1, 1]);
    } finally {
      await stopChild(worker.child);
    }
  });
});
