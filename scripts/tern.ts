import { Command } from 'commander';
import { loadSettings } from '../common/config';
import { ConfigError } from '../common/errors';
import { loadPlanFile } from '../plan/load';
import { planJsonSchema } from '../plan/schema';
import { renderVisualMap } from '../plan/visual-map';
import { defaultMigrationId, formatPhaseResult, formatRollbackResult } from './client/phases';
import { formatPreferencesReport, loadPreferencesReport, type JudgedPreferencesReport } from '../report/preferences';
import { progressModeFor } from './client/progress-display';
import { runPhase, type RunPhaseOutcome } from './commands/run-phase';
import { approvePhase, formatApprovalOutcome, formatSignalOutcome, pausePhase, resumePhase } from './commands/controls';
import {
  formatQuarantineList,
  formatQuarantineShow,
  formatReplayOutcome,
  listQuarantine,
  replayQuarantine,
  showQuarantine,
} from './commands/quarantine';
import { formatReconcileOutcome, reconcileNow } from './commands/reconcile';
import { explainMergedRecord } from './commands/explain';
import { formatMergeReview, writeMergeReview } from './commands/merge-review';
import { formatExplanation } from './client/explain';
import { formatMapSuggestOutcome, suggestMapping } from './commands/map';
import { proofPackCommand, type ProofPackCommandOptions } from './commands/proof-pack';
import { addAuditCommands } from './commands/audit';
import { addCutoverCommands } from './commands/cutover';
import {
  loadPhaseOption,
  resolveMigration,
  resolvePlanOrMigration,
  withStaging,
  withTemporal,
} from './commands/shared';
import { formatStatus, loadStatus } from './commands/status';
import { formatFindings, validatePlan } from './commands/validate-plan';
import { openStagingForProcess } from './stack/database';
import { runSandbox, type SandboxCommandOptions } from './commands/sandbox';
import { runCodecServer, type CodecServerCommandOptions } from './commands/codec-server';
import { runDemo } from './demo';
import { EXIT, explain } from './exit-codes';
import { devServerFiles, ensureTemporal, ensureTemporalCli, isTemporalServing, stopTemporal } from './stack/temporal';

const say = (line: string) => console.error(`tern: ${line}`);

const program = new Command()
  .name('tern')
  .description("Tern moves a business's data out of a legacy system into a new tool, without losing a record.")
  .addHelpText(
    'after',
    `
Exit codes: 0 ok · 1 the phase failed or its reconciliation is not clean · 2 bad input (plan, file, option,
environment) · 3 a service is unreachable (database, Temporal).
Environment: DATABASE_URL (staging; unset = embedded database), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME, TEMPORAL_UI_URL, TERN_TASK_QUEUE, TERN_HOME, TERN_PAYLOAD_KEY(_FILE) (payload
encryption key ring; default .tern/keys/payload.key), TERN_CODEC_KEY(_FILE) (codec server tokens),
TERN_AUDIT_KEY(_FILE) (the audit chain's key ring; default .tern/keys/audit.key), TERN_METRICS_PORT (a worker's
Prometheus metrics; \`tern worker\` default 9464, 0 = none; docs/metrics.md).`,
  );

program
  .command('run')
  .description('run a phase of a migration plan and print its report or reconciliation (waits unless --detach)')
  .addArgument(
    new Command().createArgument('<phase>', 'phase to run').choices(['preferences', 'sample', 'full', 'delta']),
  )
  .argument('<plan>', 'plan file (YAML)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--detach', 'start the workflow and return; a separate `tern worker` runs it (needs DATABASE_URL)')
  .option('--wait', 'wait for the result (the default; kept for scripts)')
  .option('--gate', 'sample/full/delta: prepare, then wait for `tern approve` before writing to the target')
  .option('--overlap <seconds>', 'delta: seconds before the last high-water mark still read as changed', '300')
  .option('--json', 'print the result as one JSON object')
  .action(async (phase: string, planFile: string, opts: RunOptions) => {
    const loaded = loadPlanFile(planFile);
    if (phase === 'preferences') {
      let report: JudgedPreferencesReport | undefined;
      const outcome = await runPhase(loaded, 'preferences', {
        migrationId: opts.migration,
        inProcessWorker: !opts.detach,
        wait: !opts.detach,
        progress: progressModeFor(process.stderr, opts.json),
        say,
        after: async (staging, o) => {
          if (!opts.detach) report = await loadPreferencesReport(staging.db, o.migrationId);
        },
      });
      if (!outcome.result || !report) {
        console.log(opts.json ? JSON.stringify(outcome) : `started ${outcome.workflowId}: ${outcome.uiUrl}`);
        return;
      }
      console.log(
        opts.json
          ? JSON.stringify({ ...report, workflowId: outcome.workflowId, uiUrl: outcome.uiUrl })
          : formatPreferencesReport(report),
      );
      process.exitCode = outcome.result.ok && report.verdict.clean ? EXIT.ok : EXIT.failed;
      return;
    }
    const outcome = await runPhase(loaded, phase as 'sample' | 'full' | 'delta', {
      migrationId: opts.migration,
      inProcessWorker: !opts.detach,
      wait: !opts.detach,
      progress: progressModeFor(process.stderr, opts.json),
      say,
      phaseOptions: { gate: opts.gate, overlapSeconds: Number(opts.overlap) },
    });
    printOutcome(outcome, opts.json, formatPhaseResult);
  });

/** Prints a phase's outcome (its result, or where it runs when detached) and sets the exit code. */
function printOutcome<R extends { ok: boolean }>(
  outcome: RunPhaseOutcome<R>,
  json: boolean | undefined,
  format: (result: R) => string,
): void {
  if (!outcome.result) {
    console.log(json ? JSON.stringify(outcome) : `started ${outcome.workflowId}: ${outcome.uiUrl}`);
    return;
  }
  console.log(
    json
      ? JSON.stringify({ ...outcome.result, workflowId: outcome.workflowId, uiUrl: outcome.uiUrl })
      : format(outcome.result),
  );
  process.exitCode = outcome.result.ok ? EXIT.ok : EXIT.failed;
}

interface RunOptions {
  migration?: string;
  detach?: boolean;
  wait?: boolean;
  gate?: boolean;
  overlap: string;
  json?: boolean;
}

program
  .command('rollback')
  .description('undo what Tern wrote (reverse dependency order) and prove the target is as it was before Tern')
  .argument('<plan>', 'plan file (YAML)')
  .requiredOption('--reason <text>', 'why (at least 10 characters; kept in the audit log)')
  .option('--by <name>', 'who asks for it (default: $USER)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--detach', 'start the rollback and return')
  .option('--json', 'print the result as one JSON object')
  .action(
    async (
      planFile: string,
      opts: { reason: string; by?: string; migration?: string; detach?: boolean; json?: boolean },
    ) => {
      const loaded = loadPlanFile(planFile);
      const outcome = await runPhase(loaded, 'rollback', {
        migrationId: opts.migration,
        inProcessWorker: !opts.detach,
        wait: !opts.detach,
        progress: progressModeFor(process.stderr, opts.json),
        say,
        phaseOptions: { reason: opts.reason, by: opts.by ?? process.env.USER ?? 'operator' },
      });
      printOutcome(outcome, opts.json, formatRollbackResult);
    },
  );

program
  .command('worker')
  .description('run a worker process (Tern workflows and activities) until SIGINT/SIGTERM')
  .action(async () => {
    const { runWorkerProcess } = await import('../worker/main');
    await runWorkerProcess();
  });

program
  .command('report')
  .description(
    'the proof pack of a migration to sign off from (`report <plan> --html <dir>` or `--json`; exits 1 unless every proof holds), or the last preferences report (`report preferences <plan>`; exits 1 unless its verdict is clean)',
  )
  .argument('<plan>', 'plan file (YAML), or `preferences` followed by the plan file')
  .argument('[plan-file]', 'after `preferences`: the plan file')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the report as one JSON object')
  .option('--html <dir>', 'proof pack: write <dir>/<migration>.proof-pack.html, and its JSON beside it')
  .option('--include-values', 'proof pack: include record content (quarantined records, pre-flight examples)')
  .option('--fields', 'preferences: list every field, not only those with findings')
  .action(async (first: string, planArg: string | undefined, opts: ProofPackCommandOptions & { fields?: boolean }) => {
    if (first !== 'preferences' || planArg === undefined) {
      if (planArg !== undefined)
        throw new ConfigError(
          `unexpected argument ${planArg}`,
          'tern report <plan> --html <dir>, or tern report preferences <plan>',
        );
      process.exitCode = await proofPackCommand(first, opts, say);
      return;
    }
    const loaded = loadPlanFile(planArg);
    const processStaging = await openStagingForProcess(loadSettings());
    try {
      const report = await loadPreferencesReport(
        processStaging.staging.db,
        opts.migration ?? defaultMigrationId(loaded.plan),
      );
      console.log(opts.json ? JSON.stringify(report) : formatPreferencesReport(report, { fields: opts.fields }));
      // The same verdict as `tern run preferences`: a script reading the stored report gets the same exit code.
      process.exitCode = report.verdict.clean ? EXIT.ok : EXIT.failed;
    } finally {
      await processStaging.stop();
    }
  });

program
  .command('status')
  .description("show a migration's phases (Temporal: status, progress, UI link) and staging's runs, quarantine, proof")
  .argument('<plan>', 'plan file (YAML)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the status as one JSON object')
  .action(async (planFile: string, opts: { migration?: string; json?: boolean }) => {
    const { migrationId } = resolveMigration(planFile, opts.migration);
    const settings = loadSettings();
    const status = await withStaging(settings, (staging) =>
      withTemporal(settings, (client) => loadStatus({ client, staging, settings }, migrationId)),
    );
    console.log(opts.json ? JSON.stringify(status) : formatStatus(status, planFile));
  });

for (const signal of ['pause', 'resume'] as const) {
  const command = program
    .command(signal)
    .description(
      signal === 'pause'
        ? 'pause a running loading phase before its next page (the page in flight finishes)'
        : 'resume a paused loading phase where it stopped',
    )
    .argument('<plan>', 'plan file (YAML)')
    .option('--phase <phase>', 'sample, full or delta')
    .option('--migration <id>', 'migration id (default: mig_<plan name>)')
    .option('--json', 'print the outcome as one JSON object');
  if (signal === 'pause') command.option('--reason <text>', 'why (shown by `tern status`)');
  command.action(
    async (planFile: string, opts: { phase?: string; migration?: string; reason?: string; json?: boolean }) => {
      const phase = loadPhaseOption(opts.phase, (p) => `tern ${signal} ${planFile} --phase ${p}`);
      const { migrationId } = resolveMigration(planFile, opts.migration);
      const settings = loadSettings();
      const outcome = await withTemporal(settings, (client) =>
        signal === 'pause'
          ? pausePhase(client, settings, migrationId, phase, opts.reason)
          : resumePhase(client, settings, migrationId, phase),
      );
      console.log(opts.json ? JSON.stringify(outcome) : formatSignalOutcome(outcome, planFile));
    },
  );
}

program
  .command('approve')
  .description('let a gated loading phase (`tern run <phase> --gate`) write to the target: who approves, and why')
  .argument('<plan>', 'plan file (YAML)')
  .option('--phase <phase>', 'sample, full or delta')
  .option('--by <name>', 'who approves (required)')
  .option('--reason <text>', 'why this phase may write (required, at least 5 characters; kept in the audit log)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--timeout <seconds>', 'how long to wait for a worker to take the approval', '30')
  .option('--json', 'print the outcome as one JSON object')
  .action(
    async (
      planFile: string,
      opts: { phase?: string; by?: string; reason?: string; migration?: string; timeout: string; json?: boolean },
    ) => {
      const phase = loadPhaseOption(
        opts.phase,
        (p) => `tern approve ${planFile} --phase ${p} --by <name> --reason "why this phase may write"`,
      );
      const { migrationId } = resolveMigration(planFile, opts.migration);
      const settings = loadSettings();
      const outcome = await withTemporal(settings, (client) =>
        approvePhase(
          client,
          settings,
          migrationId,
          phase,
          { by: opts.by, reason: opts.reason },
          { timeoutMs: positiveWhole(opts.timeout, '--timeout') * 1000 },
        ),
      );
      console.log(opts.json ? JSON.stringify(outcome) : formatApprovalOutcome(outcome));
    },
  );

program
  .command('reconcile')
  .description('prove a migration again now: counts, every written row read back against its checksum, sums')
  .argument('<plan-or-migration>', 'plan file (YAML), or a migration id such as mig_legacy_crm')
  .option('--phase <phase>', 'sample, full or delta (default: the loading phase that completed last)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the reconciliation as one JSON object')
  .action(async (planFile: string, opts: { phase?: string; migration?: string; json?: boolean }) => {
    const phase =
      opts.phase === undefined
        ? undefined
        : loadPhaseOption(opts.phase, (p) => `tern reconcile ${planFile} --phase ${p}`);
    // The migration id alone is enough: reconciliation runs against the plan stored in staging.
    const { loaded, migrationId } = resolvePlanOrMigration(planFile, opts.migration);
    const outcome = await withStaging(loadSettings(), (staging) => reconcileNow(staging, migrationId, { phase }));
    if (loaded && outcome.planHash !== loaded.hash)
      say(`${planFile} differs from the plan ${migrationId} last ran with; reconciled against the stored plan`);
    console.log(opts.json ? JSON.stringify(outcome) : formatReconcileOutcome(outcome));
    process.exitCode = outcome.ok ? EXIT.ok : EXIT.failed;
  });

program
  .command('explain')
  .description(
    "the lineage of a merged record: its group, the match that joined its members, each field's value with the rule that chose it and the source record and field it came from, whether it was written, and its members' quarantine",
  )
  .argument('<plan-or-migration>', 'plan file (YAML), or a migration id such as mig_merge_crm')
  .argument('<object>', 'a merged object of the plan (one with `sources:`)')
  .argument(
    '<key>',
    "the merged record's target key (its ref, e.g. hubspot/123), a member's ref (legacy/9), or its target id",
  )
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the lineage as one JSON object')
  .action(async (planFile: string, object: string, key: string, opts: { migration?: string; json?: boolean }) => {
    // The migration id alone is enough: the lineage is read from staging, under the plan stored there.
    const { migrationId } = resolvePlanOrMigration(planFile, opts.migration);
    const explanation = await withStaging(loadSettings(), (staging) =>
      explainMergedRecord(staging, migrationId, object, key),
    );
    console.log(opts.json ? JSON.stringify(explanation) : formatExplanation(explanation));
  });

program
  .command('merge')
  .description("work with merged objects' review files")
  .command('review')
  .description(
    'write the review file of a merged object from its last merge: the groups Tern would not merge on its own, for a person to decide (decisions already written are kept)',
  )
  .argument('<plan>', 'plan file (YAML)')
  .argument('<object>', 'a merged object of the plan (one with `sources:`)')
  .option('--out <file>', "where to write (default: the object's `review:` file)")
  .option('--migration <id>', 'migration whose merge to read (default: mig_<plan name>)')
  .option('--json', 'print the outcome as one JSON object')
  .action(async (planFile: string, object: string, opts: { out?: string; migration?: string; json?: boolean }) => {
    const { loaded, migrationId } = resolveMigration(planFile, opts.migration);
    const outcome = await withStaging(loadSettings(), (staging) =>
      writeMergeReview(staging, loaded, object, { migrationId, out: opts.out }),
    );
    console.log(opts.json ? JSON.stringify(outcome) : formatMergeReview(outcome, planFile));
  });

addAuditCommands(program);
addCutoverCommands(program, say);

const quarantineCommand = program.command('quarantine').description('records Tern set aside, and why');
quarantineCommand
  .command('list')
  .description('count quarantined records by object, stage and reason (open ones unless --all)')
  .argument('<plan>', 'plan file (YAML)')
  .option('--object <name>', 'only this object')
  .option('--reason <code>', 'only this reason code (e.g. unparseable_row, required_missing)')
  .option('--all', 'also count records resolved since')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the counts as one JSON object')
  .action(
    async (
      planFile: string,
      opts: { object?: string; reason?: string; all?: boolean; migration?: string; json?: boolean },
    ) => {
      const { migrationId } = resolveMigration(planFile, opts.migration);
      const list = await withStaging(loadSettings(), (staging) =>
        listQuarantine(staging, migrationId, { object: opts.object, reason: opts.reason, all: opts.all }),
      );
      console.log(opts.json ? JSON.stringify(list) : formatQuarantineList(list, planFile));
    },
  );
quarantineCommand
  .command('show')
  .description('list quarantined records of one object: key, field, reason, message, source position')
  .argument('<plan>', 'plan file (YAML)')
  .option('--object <name>', 'the object (required)')
  .option('--reason <code>', 'only this reason code')
  .option('--limit <n>', 'at most this many records', '20')
  .option('--all', 'include records resolved since')
  .option('--raw', 'include the raw source record (it may hold personal data)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the records as one JSON object')
  .action(
    async (
      planFile: string,
      opts: {
        object?: string;
        reason?: string;
        limit: string;
        all?: boolean;
        raw?: boolean;
        migration?: string;
        json?: boolean;
      },
    ) => {
      const { migrationId } = resolveMigration(planFile, opts.migration);
      const limit = positiveWhole(opts.limit, '--limit');
      const show = await withStaging(loadSettings(), (staging) =>
        showQuarantine(staging, migrationId, { ...opts, limit }),
      );
      console.log(opts.json ? JSON.stringify(show) : formatQuarantineShow(show));
    },
  );
quarantineCommand
  .command('replay')
  .description(
    'after a plan fix: save the plan and run the full phase again over the staged records (no new extraction); quarantined records that map now are written',
  )
  .argument('<plan>', 'plan file (YAML), fixed')
  .option('--object <name>', 'report only this object (the full phase re-maps every object)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--json', 'print the outcome as one JSON object')
  .action(async (planFile: string, opts: { object?: string; migration?: string; json?: boolean }) => {
    const { loaded, migrationId } = resolveMigration(planFile, opts.migration);
    const outcome = await replayQuarantine(loaded, { migrationId, object: opts.object, say });
    console.log(opts.json ? JSON.stringify(outcome) : formatReplayOutcome(outcome));
    process.exitCode = outcome.ok ? EXIT.ok : EXIT.failed;
  });

/** A positive whole number from an option, or bad input naming the option. */
function positiveWhole(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${option} ${value} is not a positive whole number`, `pass e.g. ${option} 20`);
  return n;
}

const plan = program.command('plan').description('work with plan files');
plan
  .command('validate')
  .argument('<plan>', 'plan file (YAML)')
  .option('--offline', 'check the file and the environment only; do not connect to the target')
  .option('--migration <id>', 'migration whose preferences profile to check against (default: mig_<plan name>)')
  .option('--json', 'print the findings as one JSON object')
  .description(
    'check a plan: its shape, credentials, custom transforms, and its fit to the target schema and profiled data',
  )
  .action(async (planFile: string, opts: { offline?: boolean; migration?: string; json?: boolean }) => {
    const loaded = loadPlanFile(planFile);
    const outcome = await validatePlan(loaded, { offline: opts.offline, migrationId: opts.migration });
    const errors = outcome.findings.filter((f) => f.severity === 'error').length;
    const warnings = outcome.findings.length - errors;
    if (opts.json) console.log(JSON.stringify({ ...outcome, valid: errors === 0 }));
    else {
      if (outcome.findings.length > 0) console.log(formatFindings(outcome));
      console.log(
        errors === 0
          ? `plan ${planFile} is valid: ${loaded.plan.objects.length} object(s), hash ${loaded.hash.slice(0, 12)}${warnings ? `, ${warnings} warning(s)` : ''}; checked ${outcome.checked.join(', ')}`
          : `plan ${planFile} has ${errors} error(s) and ${warnings} warning(s)`,
      );
    }
    process.exitCode = errors === 0 ? EXIT.ok : EXIT.badInput;
  });
plan
  .command('schema')
  .description("print the plan format's JSON Schema (for editors: yaml-language-server, VS Code)")
  .action(() => {
    console.log(JSON.stringify(planJsonSchema(), null, 2));
  });
plan
  .command('map')
  .argument('<plan>', 'plan file (YAML)')
  .option('--object <name>', 'only this object')
  .description('print the visual map: Legacy_Field → transform → New_Field, per object')
  .action((planFile: string, opts: { object?: string }) => {
    const loaded = loadPlanFile(planFile);
    console.log(renderVisualMap(loaded.plan, { object: opts.object }));
  });

const mapCommand = program.command('map').description("map a field's legacy values to the target's options");
mapCommand
  .command('suggest')
  .description(
    'propose a picklist mapping file from the preferences profile and the target options (keeps the edits of an existing file, adds new values)',
  )
  .argument('<plan>', 'plan file (YAML)')
  .argument('<object.field>', 'the object and its source field, e.g. deals.status')
  .option(
    '--out <file>',
    "where to write (default: the picklist's aliasesFile, else mappings/<object>.<field>.yaml by the plan)",
  )
  .option('--force', 'write a new file over an existing one (its edits are lost)')
  .option('--migration <id>', 'migration whose preferences profile to read (default: mig_<plan name>)')
  .option('--json', 'print the outcome as one JSON object')
  .action(
    async (
      planFile: string,
      target: string,
      opts: { out?: string; force?: boolean; migration?: string; json?: boolean },
    ) => {
      const loaded = loadPlanFile(planFile, { allowMissingAliasesFiles: true });
      const migrationId = opts.migration?.trim() || defaultMigrationId(loaded.plan);
      const outcome = await withStaging(loadSettings(), (staging) =>
        suggestMapping(loaded, target, staging.db, { migrationId, out: opts.out, force: opts.force }),
      );
      console.log(opts.json ? JSON.stringify(outcome) : formatMapSuggestOutcome(outcome, planFile));
    },
  );

const stack = program.command('stack').description('the local development stack (Temporal dev server)');
stack
  .command('start')
  .description('install the Temporal CLI if needed and start the dev server (UI on :8233); safe to run twice')
  .action(async () => {
    const settings = loadSettings();
    const { started } = await ensureTemporal(settings, say);
    say(
      started
        ? `Temporal is up at ${settings.temporal.address}; UI ${settings.temporal.uiUrl}`
        : `Temporal already answers at ${settings.temporal.address}; UI ${settings.temporal.uiUrl}`,
    );
  });
stack
  .command('stop')
  .description('stop the dev server Tern started')
  .action(async () => {
    const stopped = await stopTemporal(loadSettings());
    say(stopped ? 'Temporal dev server stopped' : 'no Temporal dev server started by Tern is running');
  });
stack
  .command('status')
  .description('say whether Temporal answers')
  .action(async () => {
    const settings = loadSettings();
    const up = await isTemporalServing(settings.temporal.address);
    console.log(
      `temporal ${settings.temporal.address}: ${up ? 'up' : 'down'}${up ? `; UI ${settings.temporal.uiUrl}` : ''} (files: ${devServerFiles(settings).dir})`,
    );
    process.exitCode = up ? EXIT.ok : EXIT.unreachable;
  });
stack
  .command('install')
  .description('install the pinned Temporal CLI into .tools/ if missing')
  .action(() => {
    console.log(ensureTemporalCli(loadSettings(), say));
  });

program
  .command('sandbox')
  .argument('<vendor>', 'zendesk, front or attio')
  .option('--port <port>', 'port to listen on (default: any free port)')
  .option('--seed <n>', 'seed of the generated data', '1')
  .option(
    '--tickets <n>',
    'zendesk: generate a helpdesk of this many tickets (12 years of history) instead of the small seed',
  )
  .option('--rate <r>', "requests per second allowed (default: the vendor's documented limits)")
  .option('--faults <spec>', 'e.g. 5xx=0.05,reset=0.01,drop=0.02,burst=10000/1000,slow=0.01/2000,latency=5-20')
  .option('--token <token>', 'the credential the sandbox accepts (default: <vendor>-sandbox-token)')
  .description(
    "run a vendor sandbox: a loopback server that behaves like the vendor's API (spec-validated, rate-limited, faulty on demand)",
  )
  .action(async (vendor: string, opts: SandboxCommandOptions) => {
    await runSandbox(vendor, opts, say);
  });

program
  .command('codec-server')
  .description(
    "serve Temporal's codec server protocol with Tern's payload key, so the Temporal UI and CLI show decoded payloads (a token of TERN_CODEC_KEY required)",
  )
  .option('--port <port>', 'port to listen on', '8888')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--origin <url...>', "the Temporal UI's origin(s) browsers call from (default: TEMPORAL_UI_URL)")
  .action(async (opts: CodecServerCommandOptions) => {
    await runCodecServer(loadSettings(), opts, say);
  });

program
  .command('demo')
  .description('migrate the bundled legacy customers CSV into PostgreSQL and print the reconciliation')
  .action(async () => {
    process.exitCode = await runDemo();
  });

async function main(): Promise<void> {
  process.env.TERN_LOG_LEVEL ??= 'warn';
  // The CLI reports a failed phase itself, in one line; the worker inside it stays quiet below errors.
  if (process.argv[2] !== 'worker') process.env.TERN_SDK_LOG_LEVEL ??= 'ERROR';
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    const { line, code } = explain(err);
    console.error(`tern: ${line}`);
    process.exitCode = code;
  }
  // Connections are closed by each command; exit without waiting on stray timers of libraries.
  process.exit(process.exitCode ?? 0);
}

void main();
