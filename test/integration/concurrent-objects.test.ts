import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { TernSettings } from '../../common/config';
import { startPhase } from '../../scripts/client/phases';
import type { Staging } from '../../staging/db';
import { objectWorkflowId, type ObjectProgress } from '../../workflows/phase';
import { ternDataConverter } from '../../common/temporal';
import { payloadValue, testClient, testSettings, testStaging, withWorker } from '../support/harness';
import { dropObjectsScenario, objectsScenario, type ObjectsScenario } from '../support/objects-scenario';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** What the phase's own history says about its object children, in the order it happened (event ids). */
async function childEvents(settings: TernSettings, history: History) {
  const at = { initiated: new Map<string, number>(), started: new Map<string, number>() };
  const completed = new Map<string, number>();
  /** The first event at which each object's progress said all its records were loaded. */
  const loaded = new Map<string, number>();
  for (const event of history.events ?? []) {
    const id = Number(event.eventId);
    const initiated = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    if (initiated) at.initiated.set(initiated, id);
    const started = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    if (started) at.started.set(started, id);
    const done = event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId;
    if (done) completed.set(done, id);
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName === 'objectProgress') {
      const progress = await payloadValue<ObjectProgress>(settings, signal.input!.payloads![0]!);
      if ((progress.stage === 'reconciling' || progress.stage === 'done') && !loaded.has(progress.object))
        loaded.set(progress.object, id);
    }
  }
  return { ...at, completed, loaded };
}

describe('objects of a phase load concurrently where their references allow', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  const scenarios: ObjectsScenario[] = [];

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
  });
  afterAll(async () => {
    for (const s of scenarios) await dropObjectsScenario(staging, s);
    await client.connection.close();
    await staging.close();
  });

  const targetCount = async (s: ObjectsScenario, table: string) => {
    const [row] = await staging.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from "${s.schema}".${table}`);
    return row!.n;
  };

  it('loads two independent objects at once, and the one that references another only after it loaded', async () => {
    const s = await objectsScenario(staging, { accounts: 400, products: 300, contacts: 500, pageSize: 50 });
    scenarios.push(s);
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });

    expect(result.ok).toBe(true);
    expect(result.objects.map((o) => o.object)).toEqual(['accounts', 'products', 'contacts']);
    for (const o of result.objects) {
      expect(o.ok).toBe(true);
      expect(o).toMatchObject({ loaded: s.rows[o.object as keyof ObjectsScenario['rows']], quarantined: 0 });
      expect(o).toMatchObject({ unaccounted: 0, checksumMismatches: 0 });
    }
    expect(result.objects[1]!.sums.price).toMatchObject({ ok: true, unaccounted: '0' });
    expect(await targetCount(s, 'accounts')).toBe(400);
    expect(await targetCount(s, 'products')).toBe(300);
    expect(await targetCount(s, 'contacts')).toBe(500);

    const history = await client.workflow.getHandle(`${s.migrationId}/full`).fetchHistory();
    const events = await childEvents(settings, history);
    const id = (object: string) => objectWorkflowId(s.migrationId, 'full', object);
    // Both independent objects were running before either of them finished.
    const firstFinished = Math.min(events.completed.get(id('accounts'))!, events.completed.get(id('products'))!);
    expect(events.started.get(id('accounts'))).toBeLessThan(firstFinished);
    expect(events.started.get(id('products'))).toBeLessThan(firstFinished);
    // Contacts were started only once every account was in the target.
    expect(events.loaded.get('accounts')).toBeDefined();
    expect(events.initiated.get(id('contacts'))).toBeGreaterThan(events.loaded.get('accounts')!);

    // The new run replays on this code (its patch marker is in the history).
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: process.env.TERN_WORKFLOW_BUNDLE! },
        dataConverter: ternDataConverter(settings.temporal),
      },
      history,
      `${s.migrationId}/full`,
    );
  });

  it('replays phases and object loads recorded before objects ran concurrently', async () => {
    const dir = path.join(__dirname, '../fixtures/histories');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
      await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TERN_WORKFLOW_BUNDLE! } }, history, file);
    }
  });
});
