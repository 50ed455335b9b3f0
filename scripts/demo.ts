import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/config';
import { loadPlanFile } from '../plan/load';
import { formatPhaseResult } from './client/phases';
import { runFullPhase, runPhase } from './commands/run-phase';
import { formatPreferencesReport, loadPreferencesReport, type PreferencesReport } from './client/report';
import { generateLegacyCrm } from './generate/legacy-crm';
import { EXIT, explain } from './exit-codes';

/**
 * `npm run demo`: the preferences phase on a generated dirty legacy CRM (profile + dry run), then a real
 * migration of the bundled legacy customers CSV into a PostgreSQL table, each a Temporal workflow on the
 * local dev server, on the embedded database unless DATABASE_URL is set.
 * The worker runs in this process; the Temporal server stays up so the UI can be browsed afterwards.
 */
export async function runDemo(): Promise<number> {
  const say = (line: string) => console.log(`tern demo: ${line}`);
  const preferencesOk = await runCrmPreferences(say);
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
  return outcome.result!.ok && preferencesOk ? EXIT.ok : EXIT.failed;
}

const CRM_SCHEMA = 'legacy_crm';
const CRM_SEED = 20261125;

/**
 * Part one: the preferences phase of examples/legacy-crm.yaml on a generated dirty legacy CRM (a PostgreSQL
 * schema next to staging), printing the profile summary and the dry run. Nothing is written to the target.
 */
async function runCrmPreferences(say: (line: string) => void): Promise<boolean> {
  const loaded = loadPlanFile(path.join(PROJECT_ROOT, 'examples', 'legacy-crm.yaml'));
  const ddl = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'crm-target.sql'), 'utf8');
  let report: PreferencesReport | undefined;
  const started = Date.now();
  const outcome = await runPhase(loaded, 'preferences', {
    inProcessWorker: true,
    wait: true,
    actor: 'demo',
    say,
    prepare: async (staging) => {
      await staging.sql.unsafe(ddl);
      const [generated] = await staging.sql<{ seed: string | null }[]>`
        select obj_description(to_regnamespace(${CRM_SCHEMA}), 'pg_namespace') as seed`;
      if (generated?.seed !== `tern legacy CRM seed ${CRM_SEED}`) {
        say(`generating the dirty legacy CRM (schema ${CRM_SCHEMA}, seed ${CRM_SEED})…`);
        const facts = await generateLegacyCrm(staging.sql, { schema: CRM_SCHEMA, seed: CRM_SEED });
        await staging.sql.unsafe(`comment on schema ${CRM_SCHEMA} is 'tern legacy CRM seed ${CRM_SEED}'`);
        say(`generated ${facts.totalRows} legacy rows`);
      }
      // The legacy database is the staging database here; a real plan names its own URL variable.
      process.env.LEGACY_CRM_URL = staging.url;
    },
    after: async (staging, o) => {
      report = await loadPreferencesReport(staging.db, o.migrationId);
    },
  });
  console.log(`\n${formatPreferencesReport(report!)}\n`);
  say(`preferences took ${((Date.now() - started) / 1000).toFixed(1)}s — Temporal UI: ${outcome.uiUrl}`);
  return outcome.result?.ok ?? false;
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
