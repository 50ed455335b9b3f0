import fs from 'node:fs';
import path from 'node:path';
import { loadSettings, PROJECT_ROOT, redactUrl } from '../common/config';
import { describeError } from '../common/errors';
import { connectClient, connectWorker } from '../common/temporal';
import { loadPlanFile } from '../plan/load';
import { createTernWorker } from '../worker/worker';
import { formatPhaseResult, startPhase } from './client/phases';
import { openStagingForProcess } from './stack/database';
import { ensureTemporal } from './stack/temporal';

/**
 * `npm run demo`: a real migration of the bundled legacy customers CSV into a PostgreSQL table, run as a
 * Temporal workflow on the local dev server, on the embedded database unless DATABASE_URL is set.
 * Everything runs in this process except the Temporal server, which stays up so the UI can be browsed.
 */
async function main(): Promise<number> {
  const settings = loadSettings();
  const say = (line: string) => console.log(`tern demo: ${line}`);
  const planFile = path.join(PROJECT_ROOT, 'examples', 'demo-customers.yaml');
  const loaded = loadPlanFile(planFile);

  await ensureTemporal(settings, say);
  const { staging, embedded, stop } = await openStagingForProcess(settings);
  say(embedded ? `staging on the embedded database (${path.join(settings.homeDir, 'pglite')})` : `staging on ${redactUrl(staging.url)}`);
  try {
    await staging.sql.unsafe(fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'demo-target.sql'), 'utf8'));
    const client = await connectClient(settings.temporal);
    const connection = await connectWorker(settings.temporal);
    const worker = await createTernWorker({ connection, namespace: settings.temporal.namespace, taskQueue: settings.taskQueue, staging });
    const result = await worker.runUntil(async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase: 'full', actor: 'demo' });
      say(`started workflow ${started.workflowId} — watch it at ${started.uiUrl}`);
      return { started, result: await started.handle.result() };
    });
    await connection.close();
    await client.connection.close();
    console.log('');
    console.log(formatPhaseResult(result.result));
    console.log('');
    say(`Temporal UI: ${result.started.uiUrl}`);
    say('the Temporal dev server keeps running for the UI; stop it with `npm run stack:stop`');
    return result.result.ok ? 0 : 1;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`tern demo: ${describeError(err)}`);
    process.exit(1);
  },
);
