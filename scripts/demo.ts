import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/config';
import { loadPlanFile } from '../plan/load';
import { formatPhaseResult } from './client/phases';
import { runFullPhase } from './commands/run-phase';
import { EXIT, explain } from './exit-codes';

/**
 * `npm run demo`: a real migration of the bundled legacy customers CSV into a PostgreSQL table, run as a
 * Temporal workflow on the local dev server, on the embedded database unless DATABASE_URL is set.
 * The worker runs in this process; the Temporal server stays up so the UI can be browsed afterwards.
 */
export async function runDemo(): Promise<number> {
  const say = (line: string) => console.log(`tern demo: ${line}`);
  const loaded = loadPlanFile(path.join(PROJECT_ROOT, 'examples', 'demo-customers.yaml'));
  const ddl = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'demo-target.sql'), 'utf8');
  const outcome = await runFullPhase(loaded, {
    inProcessWorker: true,
    wait: true,
    actor: 'demo',
    say,
    prepare: async (staging) => {
      await staging.sql.unsafe(ddl);
    },
  });
  console.log(`\n${formatPhaseResult(outcome.result!)}\n`);
  say(`Temporal UI: ${outcome.uiUrl}`);
  say('the Temporal dev server keeps running for the UI; stop it with `npm run stack:stop`');
  return outcome.result!.ok ? EXIT.ok : EXIT.failed;
}

if (require.main === module) {
  process.env.TERN_LOG_LEVEL ??= 'warn';
  process.env.TERN_SDK_LOG_LEVEL ??= 'ERROR';
  runDemo().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const { line, code } = explain(err);
      console.error(`tern demo: ${line}`);
      process.exit(code);
    },
  );
}
