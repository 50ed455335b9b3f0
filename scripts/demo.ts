import fs from 'node:fs';
import path from 'node:path';
import { loadSettings, PROJECT_ROOT } from '../common/config';
import type { Staging } from '../staging/db';
import { loadPlanFile } from '../plan/load';
import { defaultMigrationId, formatPhaseResult, formatRollbackResult } from './client/phases';
import { runPhase } from './commands/run-phase';
import { writeProofPacks } from './commands/proof-pack';
import { formatAuditVerification, verifyAudit } from './commands/audit';
import type { AuditVerification } from '../staging/audit-verify';
import { formatPreferencesReport, loadPreferencesReport, type PreferencesReport } from '../report/preferences';
import { generateLegacyCrm } from './generate/legacy-crm';
import { formatTimeline } from '../plan/cutover';
import { planTimeline } from './client/cutover';
import { withStaging } from './commands/shared';
import { EXIT, explain } from './exit-codes';
import type { Client } from '@temporalio/client';
import type { TernSettings } from '../common/config';
import { connectClient } from '../common/temporal';
import type { rollbackWorkflow, RollbackResult } from '../workflows/rollback';
import { cutoverProgressQuery, type CutoverProgress } from '../workflows/cutover-state';
import { cutoverWorkflowId } from '../workflows/ids';
import {
  formatControlOutcome,
  formatCutoverResult,
  runCutover,
  sendCutoverControl,
  type CutoverControl,
} from './commands/cutover';

/**
 * `npm run demo`: a whole guarded migration of a generated dirty legacy CRM (55,000 rows) —
 * preferences (profile + dry run) → sample → full → delta (after changes at the source and one edit by hand in
 * the target) → the cutover (freeze, final delta, whole reconciliation, sign-off on the proof pack, a no-go and
 * the rollback it proves) — then the bundled legacy customers CSV loaded in full. Each phase is a Temporal
 * workflow on the local dev server, on the embedded database unless DATABASE_URL is set; the worker runs in
 * this process, and the Temporal server stays up so the UI can be browsed afterwards.
 */
export async function runDemo(): Promise<number> {
  const say = (line: string) => console.log(`tern demo: ${line}`);
  const crmOk = await runCrmCutover(say);
  const loaded = loadPlanFile(path.join(PROJECT_ROOT, 'examples', 'demo-customers.yaml'));
  const ddl = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'demo-target.sql'), 'utf8');
  const outcome = await runPhase(loaded, 'full', {
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
  // The proof packs a stakeholder signs off from: one page per migration (and its JSON beside it).
  const crmId = defaultMigrationId(loadPlanFile(path.join(PROJECT_ROOT, 'examples', 'legacy-crm.yaml')).plan);
  const reports = path.join(loadSettings().homeDir, 'reports');
  for (const p of await writeProofPacks(loadSettings(), [crmId, defaultMigrationId(loaded.plan)], reports))
    say(
      `proof pack of ${p.pack.migration.id} (${p.bytes} bytes, content hash ${p.pack.contentHash.slice(0, 16)}…): ${p.html}`,
    );
  return outcome.result!.ok && crmOk ? EXIT.ok : EXIT.failed;
}

const CRM_SCHEMA = 'legacy_crm';
const CRM_SEED = 20261125;

/**
 * The CRM cutover, from a clean slate each time (the legacy CRM regenerated, the demo migration forgotten but
 * its audit chain kept, the target emptied but for three accounts that already live in the new tool — Tern
 * overwrites them and the rollback must give them back). Ends by verifying the audit chain with its key.
 */
async function runCrmCutover(say: (line: string) => void): Promise<boolean> {
  const loaded = loadPlanFile(path.join(PROJECT_ROOT, 'examples', 'legacy-crm.yaml'));
  const migrationId = defaultMigrationId(loaded.plan);
  const ddl = fs.readFileSync(path.join(PROJECT_ROOT, 'examples', 'crm-target.sql'), 'utf8');
  const timings: string[] = [];
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await fn();
    timings.push(`${phase} ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return result;
  };
  // The embedded database (WebAssembly PostgreSQL, one session) loads far slower than a server: the demo
  // keeps it to a fifth of the CRM there, unless told otherwise; with DATABASE_URL it moves all 55,000 rows.
  const scale = Number(process.env.TERN_DEMO_SCALE ?? (loadSettings().databaseUrl ? 1 : 0.2));
  // Each phase starts the embedded database afresh (on a new port): point the plan's source at it each time.
  const pointSource = (staging: Staging) => {
    process.env.LEGACY_CRM_URL = staging.url;
    return Promise.resolve();
  };
  const common = { inProcessWorker: true, wait: true, actor: 'demo', say, prepare: pointSource };
  let ok = true;

  let report: PreferencesReport | undefined;
  const preferences = await timed('preferences', () =>
    runPhase(loaded, 'preferences', {
      ...common,
      prepare: async (staging) => {
        // The audit chain stays: a re-run appends to it, and `tern audit verify` proves every run's entries.
        await staging.sql`delete from migrations where id = ${migrationId}`;
        say(`generating the dirty legacy CRM (schema ${CRM_SCHEMA}, seed ${CRM_SEED}, scale ${scale})…`);
        const facts = await generateLegacyCrm(staging.sql, { schema: CRM_SCHEMA, seed: CRM_SEED, scale });
        say(`generated ${facts.totalRows} legacy rows`);
        await staging.sql.unsafe(ddl);
        await staging.sql.unsafe(`
          truncate crm_target.accounts, crm_target.contacts, crm_target.deals, crm_target.activities;
          insert into crm_target.accounts (legacy_id, name, industry)
          select id::text, 'Already in the new tool ' || id, 'Retail' from ${CRM_SCHEMA}.accounts
          where name !~* '^(test|zz)' and btrim(coalesce(name, '')) <> '' order by id limit 3;`);
        // The legacy database is the staging database here; a real plan names its own URL variable.
        await pointSource(staging);
      },
      after: async (staging, o) => {
        report = await loadPreferencesReport(staging.db, o.migrationId);
      },
    }),
  );
  console.log(`\n${formatPreferencesReport(report!)}\n`);
  ok &&= preferences.result?.ok ?? false;

  for (const phase of ['sample', 'full'] as const) {
    const outcome = await timed(phase, () => runPhase(loaded, phase, common));
    console.log(`\n${formatPhaseResult(outcome.result!)}\n`);
    ok &&= outcome.result!.ok;
  }
  // The go-live weekend's timeline as `tern cutover plan` prints it, with what the runs so far measured.
  await withStaging(loadSettings(), async (staging) =>
    console.log(`\n${formatTimeline(loaded.plan.name, await planTimeline(staging, migrationId, loaded))}\n`),
  );

  const delta = await timed('delta', () =>
    runPhase(loaded, 'delta', {
      ...common,
      prepare: async (staging) => {
        await pointSource(staging);
        say('changing the source: 3 new accounts, 5 contacts renamed, 2 activities deleted, 1 deal renamed;');
        say('and someone edits that deal by hand in the new tool: a conflict');
        await staging.sql.unsafe(`
          insert into ${CRM_SCHEMA}.accounts (id, name, industry, country, created, updated_at)
            select 900000 + g, 'Cutover Newco ' || g, 'Software', 'US', '2024-05-01', now() from generate_series(1, 3) g;
          update ${CRM_SCHEMA}.contacts set first_name = first_name || ' Jr', updated_at = now()
            where id in (select c.id from ${CRM_SCHEMA}.contacts c join crm_target.contacts t on t.legacy_id = c.id::text
                         order by c.id limit 5);
          delete from ${CRM_SCHEMA}.activities
            where id in (select a.id from ${CRM_SCHEMA}.activities a join crm_target.activities t on t.legacy_id = a.id::text
                         order by a.id limit 2);
          update ${CRM_SCHEMA}.deals set name = name || ' (renamed)', updated_at = now()
            where id = (select min(legacy_id::int) from crm_target.deals);
          update crm_target.deals set name = 'edited by hand in the new tool'
            where legacy_id = (select min(legacy_id::int)::text from crm_target.deals);`);
      },
    }),
  );
  console.log(`\n${formatPhaseResult(delta.result!)}\n`);
  ok &&= delta.result!.ok;

  let quarantine: { reason: string; n: number }[] = [];
  let audit: AuditVerification | undefined;
  let rollback: RollbackResult | undefined;
  // The go-live weekend as one workflow: the demo plays the people (freeze, sign-off on the pack the cutover
  // presents, then a no-go), and the cutover rolls back and proves it.
  const cutover = await timed('cutover', () =>
    runCutover(loaded, {
      migrationId,
      by: 'demo',
      wait: true,
      say,
      whileRunning: (c) => playTheCutoverPeople(c, say),
      after: async (staging, o) => {
        if (o.result?.rollbackWorkflowId) {
          const client = await connectClient(loadSettings().temporal);
          try {
            rollback = await client.workflow.getHandle<typeof rollbackWorkflow>(o.result.rollbackWorkflowId).result();
          } finally {
            await client.connection.close();
          }
        }
        quarantine = await staging.sql<{ reason: string; n: number }[]>`
          select reason_code as reason, count(*)::int as n from quarantine
          where migration_id = ${migrationId} and resolved_at is null group by 1 order by 2 desc`;
        audit = await verifyAudit(staging, migrationId);
      },
    }),
  );
  console.log(`\n${formatCutoverResult(cutover.result!)}\n`);
  if (rollback) console.log(`${formatRollbackResult(rollback)}\n`);
  // The rehearsal ends rolled back, the target proven as before: that is the demo's success.
  ok &&= cutover.result!.outcome === 'rolled back' && rollback?.ok === true;
  say(`phases: ${timings.join(', ')}`);
  say(`quarantined by reason: ${quarantine.map((q) => `${q.reason} ${q.n}`).join(', ')}`);
  for (const line of formatAuditVerification(audit!).split('\n')) say(line);
  say(`prove it again: npm run tern -- audit verify ${migrationId}`);
  return ok && audit!.ok;
}

/**
 * The people of the go-live weekend, played by the demo: the cutover manager freezes the source, the stakeholder
 * signs off on the proof pack the cutover presents, and the business says no-go (a rehearsal). Each word goes
 * through the same Update as `tern cutover freeze|signoff|nogo`.
 */
async function playTheCutoverPeople(
  c: { client: Client; staging: Staging; migrationId: string; settings: TernSettings },
  say: (line: string) => void,
): Promise<void> {
  // The final delta reads the legacy CRM, which lives in this process's embedded database.
  process.env.LEGACY_CRM_URL = c.staging.url;
  const handle = c.client.workflow.getHandle(cutoverWorkflowId(c.migrationId));
  const reach = async (ready: (p: CutoverProgress) => boolean): Promise<CutoverProgress> => {
    for (;;) {
      const p = await handle.query(cutoverProgressQuery);
      if (ready(p) || p.outcome) return p;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const word = async (control: CutoverControl, reason: string, reportHash?: string) =>
    say(
      formatControlOutcome(
        await sendCutoverControl(c.client, c.settings, c.migrationId, control, { by: 'demo', reason, reportHash }),
      ),
    );
  await reach((p) => p.current === 'freeze');
  await word('freeze', 'demo: the legacy CRM is read-only from now on');
  const atSignoff = await reach((p) => p.current === 'signoff' && p.proofPack !== undefined);
  if (atSignoff.outcome || !atSignoff.proofPack) return; // The proof failed: the cutover rolls back on its own.
  await word('signoff', 'demo: counts, sums and checksums read', atSignoff.proofPack.contentHash);
  await reach((p) => p.current === 'decision');
  await word('nogo', 'demo: rehearse the rollback of the cutover');
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
