import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { connectWorker, payloadCodec, ternDataConverter } from '../../common/temporal';
import { loadSettings, type TernSettings } from '../../common/config';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { connectStaging, type Staging } from '../../staging/db';
import { generateCustomersCsv, type CustomerDataFacts } from '../../scripts/generate/legacy-customers';
import { createTernWorker, createVendorWorkers } from '../../worker/worker';
import { startPhase, type RunnablePhase } from '../../scripts/client/phases';

/** Integration-test wiring: the real Temporal server and PostgreSQL started by the global setup. */
export function testEnv() {
  const temporalAddress = process.env.TERN_TEST_TEMPORAL_ADDRESS;
  const databaseUrl = process.env.TERN_TEST_DATABASE_URL;
  if (!temporalAddress || !databaseUrl)
    throw new Error('integration tests run through jest with test/support/global-setup.ts');
  return { temporalAddress, databaseUrl };
}

export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Settings for one test: its own task queue, so workers of different tests never share work. */
export function testSettings(overrides: Partial<NodeJS.ProcessEnv> = {}): TernSettings {
  const { temporalAddress, databaseUrl } = testEnv();
  return loadSettings({
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TERN_TASK_QUEUE: uniqueId('tq'),
    // The run's payload key (global setup), which the processes a test starts inherit too.
    TERN_PAYLOAD_KEY: process.env.TERN_PAYLOAD_KEY,
    ...overrides,
  });
}

export interface CustomerScenario {
  migrationId: string;
  schema: string;
  dir: string;
  csvPath: string;
  facts: CustomerDataFacts;
  loaded: LoadedPlan;
  planText: string;
}

/** Customers CSV, a plan for it and an empty target schema, all unique to one test. */
export async function customerScenario(
  staging: Staging,
  options: { rows: number; seed?: number; brokenRows?: number; pageSize?: number; dir?: string },
): Promise<CustomerScenario> {
  const migrationId = uniqueId('mig_test');
  const schema = uniqueId('t');
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tern-scenario-'));
  const { csv, facts } = generateCustomersCsv({
    rows: options.rows,
    seed: options.seed ?? 7,
    brokenRows: options.brokenRows,
  });
  const csvPath = path.join(dir, 'customers.csv');
  fs.writeFileSync(csvPath, csv);
  const ddl = fs
    .readFileSync(path.join(__dirname, '../../examples/demo-target.sql'), 'utf8')
    .replace(/demo_target/g, schema);
  await staging.sql.unsafe(ddl);
  const demoPlan = fs.readFileSync(path.join(__dirname, '../../examples/demo-customers.yaml'), 'utf8');
  const planText = demoPlan
    .replace('directory: data', `directory: ${JSON.stringify(dir)}`)
    .replace('schema: demo_target', `schema: ${schema}`)
    .replace('name: Demo customers', `name: Test ${migrationId}`)
    .replace('    sums: [lifetime_value]', `    sums: [lifetime_value]\n    pageSize: ${options.pageSize ?? 500}`);
  const loaded = parsePlan(planText, path.join(dir, 'plan.yaml'));
  return { migrationId, schema, dir, csvPath, facts, loaded, planText };
}

/** A staging connection to the test database. */
export async function testStaging(): Promise<Staging> {
  return connectStaging(testEnv().databaseUrl);
}

/**
 * A migration row with an empty plan, for tests of staging's own tables (the ledger, staged records, the audit
 * chain) that need a migration to belong to but run no phase. Returns its id.
 */
export async function bareMigration(staging: Staging, prefix: string): Promise<string> {
  const id = uniqueId(prefix);
  await staging.sql`
    insert into migrations (id, name, plan, plan_hash, source_kind, target_kind)
    values (${id}, ${id}, '{}'::jsonb, 'x', 'csv', 'postgres')`;
  return id;
}

/** A client as Tern makes them (payloads encrypted with the run's payload key). */
export async function testClient(settings: TernSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.temporal.address });
  return new Client({
    connection,
    namespace: settings.temporal.namespace,
    dataConverter: ternDataConverter(settings.temporal),
  });
}

/** A payload as a history holds it (encrypted), decrypted and converted as Tern's clients and workers do. */
export async function payloadValue<T>(settings: TernSettings, payload: Payload): Promise<T> {
  const [decoded] = await payloadCodec(settings.temporal).decode([payload]);
  return defaultPayloadConverter.fromPayload<T>(decoded!);
}

/** Runs `fn` while a Tern worker (prebuilt bundle) serves the test's task queue. */
export async function withWorker<T>(
  settings: TernSettings,
  staging: Staging,
  fn: (worker: Worker) => Promise<T>,
): Promise<T> {
  const connection = await connectWorker(settings.temporal);
  try {
    const options = {
      connection,
      namespace: settings.temporal.namespace,
      taskQueue: settings.taskQueue,
      staging,
      dataConverter: ternDataConverter(settings.temporal),
    };
    const worker = await createTernWorker(options);
    const vendors = await createVendorWorkers(options);
    const running = vendors.map((w) => w.run());
    try {
      return await worker.runUntil(() => fn(worker));
    } finally {
      for (const w of vendors) w.shutdown();
      await Promise.allSettled(running);
    }
  } finally {
    await connection.close();
  }
}

/** What running a phase of a test's migration needs. */
export interface PhaseRig {
  client: Client;
  settings: TernSettings;
  staging: Staging;
  loaded: LoadedPlan;
  migrationId: string;
}

/** Runs one phase of the test's migration to its end, in a worker of the test's own; a rollback gives `reason`. */
export function runPhase<P extends RunnablePhase>(rig: PhaseRig, phase: P, reason = 'test: undo the migration') {
  return withWorker(rig.settings, rig.staging, async () => {
    const started = await startPhase(rig.client, rig.settings, rig.staging.db, rig.loaded, {
      phase,
      migrationId: rig.migrationId,
      ...(phase === 'rollback' ? { reason, by: 'jest' } : {}),
    });
    return started.handle.result();
  });
}

export async function dropScenario(staging: Staging, scenario: CustomerScenario): Promise<void> {
  await staging.sql.unsafe(`drop schema if exists "${scenario.schema}" cascade`);
  await staging.sql`delete from migrations where id = ${scenario.migrationId}`;
  await staging.sql`delete from audit_log where migration_id = ${scenario.migrationId}`;
  fs.rmSync(scenario.dir, { recursive: true, force: true });
}

/** What most integration tests share: staging, the test's settings and a client, and the scenarios to drop. */
export interface TernTestEnvironment {
  readonly staging: Staging;
  readonly client: Client;
  readonly settings: TernSettings;
  /** A customers scenario (see customerScenario), dropped after the suite. */
  scenario(options: Parameters<typeof customerScenario>[1]): Promise<CustomerScenario>;
}

/**
 * Sets up a suite's environment (call it in a `describe`): connects staging and a client before the suite, drops
 * the scenarios it made and disconnects after it. Its fields are there once `beforeAll` has run.
 */
export function useTernEnvironment(): TernTestEnvironment {
  let staging: Staging | undefined;
  let client: Client | undefined;
  let settings: TernSettings | undefined;
  const scenarios: CustomerScenario[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test environment's ${what} is used before beforeAll ran`);
    return value;
  };
  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
  });
  afterAll(async () => {
    for (const s of scenarios) await dropScenario(staging!, s);
    await client?.connection.close();
    await staging?.close();
  });
  return {
    get staging() {
      return ready(staging, 'staging');
    },
    get client() {
      return ready(client, 'client');
    },
    get settings() {
      return ready(settings, 'settings');
    },
    async scenario(options) {
      const s = await customerScenario(ready(staging, 'staging'), options);
      scenarios.push(s);
      return s;
    },
  };
}
