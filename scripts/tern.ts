import { Command } from 'commander';
import { loadSettings } from '../common/config';
import { loadPlanFile } from '../plan/load';
import { formatPhaseResult } from './client/phases';
import { runFullPhase } from './commands/run-phase';
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
TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME, TEMPORAL_UI_URL, TERN_TASK_QUEUE, TERN_HOME.`,
  );

program
  .command('run')
  .description('run a phase of a migration plan (today: full) and print its reconciliation')
  .addArgument(new Command().createArgument('<phase>', 'phase to run').choices(['full']))
  .argument('<plan>', 'plan file (YAML)')
  .option('--migration <id>', 'migration id (default: mig_<plan name>)')
  .option('--detach', 'start the workflow and return; a separate `tern worker` runs it (needs DATABASE_URL)')
  .option('--json', 'print the result as one JSON object')
  .action(async (_phase: string, planFile: string, opts: { migration?: string; detach?: boolean; json?: boolean }) => {
    const loaded = loadPlanFile(planFile);
    const outcome = await runFullPhase(loaded, {
      migrationId: opts.migration,
      inProcessWorker: !opts.detach,
      wait: !opts.detach,
      say,
    });
    if (!outcome.result) {
      console.log(opts.json ? JSON.stringify(outcome) : `started ${outcome.workflowId}: ${outcome.uiUrl}`);
      return;
    }
    console.log(
      opts.json
        ? JSON.stringify({ ...outcome.result, workflowId: outcome.workflowId, uiUrl: outcome.uiUrl })
        : formatPhaseResult(outcome.result),
    );
    process.exitCode = outcome.result.ok ? EXIT.ok : EXIT.failed;
  });

program
  .command('worker')
  .description('run a worker process (Tern workflows and activities) until SIGINT/SIGTERM')
  .action(async () => {
    const { runWorkerProcess } = await import('../worker/main');
    await runWorkerProcess();
  });

const plan = program.command('plan').description('work with plan files');
plan
  .command('validate')
  .argument('<plan>', 'plan file (YAML)')
  .description('check a plan; every problem is printed with its line and a fix')
  .action((planFile: string) => {
    const loaded = loadPlanFile(planFile);
    console.log(`plan ${planFile} is valid: ${loaded.plan.objects.length} object(s), hash ${loaded.hash.slice(0, 12)}`);
  });

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
