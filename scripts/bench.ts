import { Command } from 'commander';
import { describeError, ConfigError } from '../common/errors';
import { openSql } from '../staging/db';
import { chaosBench } from './bench/chaos';
import { codecBench } from './bench/codec';
import { crmAttioRun } from './bench/crm-attio';
import { governorBench } from './bench/governor';
import { mergeBench } from './bench/merge';
import { sqlBench } from './bench/sql';
import { zendeskFrontBench } from './bench/zendesk-front';

/**
 * `npm run bench -- <scenario> [--json]`: heavy scenarios kept out of the test suite. Progress goes to stderr;
 * the last line of stdout is one JSON object with the scenario's figures.
 */
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Benchmarks run several processes on one staging database: a PostgreSQL server, not the embedded one. */
async function benchDatabase(): Promise<string> {
  const url = process.env.DATABASE_URL?.trim() || LOCAL_POSTGRES;
  try {
    const sql = await openSql(url, { max: 1 });
    await sql.end();
  } catch (err) {
    throw new ConfigError(
      `benchmarks need a PostgreSQL server shared by their worker processes; ${describeError(err)}`,
      'set DATABASE_URL=postgres://user@host:5432/db (a local PostgreSQL on 127.0.0.1:5432 is used when it is unset)',
    );
  }
  return url;
}

const say = (line: string) => console.error(`bench: ${line}`);

const program = new Command('bench').description('Tern benchmarks');
program
  .command('governor')
  .description(
    'two worker processes share one vendor budget: utilisation, unplanned 429s, failures; a naive client beside',
  )
  .option('--rate <r>', 'the sandbox limit in requests/s', '20')
  .option('--seconds <s>', 'about how long the governed run lasts', '60')
  .option('--front-tickets <n>', "tickets loaded into Front at Front's documented limit (0 skips it)", '10')
  .option('--json', 'print the figures as one JSON object on the last line')
  .action(async (opts: { rate: string; seconds: string; frontTickets: string; json?: boolean }) => {
    const rate = Number(opts.rate);
    const result = await governorBench(await benchDatabase(), {
      rate,
      records: Math.round(rate * Number(opts.seconds)),
      workers: 2,
      concurrency: 8,
      naiveSeconds: 20,
      roundTripSeconds: 10,
      frontTickets: Number(opts.frontTickets),
      say,
    });
    console.log(opts.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  });

program
  .command('zendesk-front')
  .description(
    'a generated helpdesk from the Zendesk sandbox into the Front sandbox (raised limits): sample, then full; a run at a tenth of the size first is the baseline',
  )
  .option('--tickets <n>', 'tickets in the generated helpdesk', '10000')
  .option('--seed <n>', 'the generator seed', '7')
  .option(
    '--workers <n>',
    'worker processes serving the phases (each a tern worker); above 1, a run at the full size with one worker process follows for the speed-up',
    '1',
  )
  .option('--json', 'print the figures as one JSON object on the last line')
  .action(async (opts: { tickets: string; seed: string; workers: string; json?: boolean }) => {
    const workers = Number(opts.workers);
    if (!(Number.isInteger(workers) && workers >= 1))
      throw new ConfigError(`--workers ${opts.workers} is not a whole number of processes`, 'e.g. --workers 2');
    const figures = await zendeskFrontBench(await benchDatabase(), {
      tickets: Number(opts.tickets),
      seed: Number(opts.seed),
      workers,
      say,
    });
    console.log(opts.json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
  });

program
  .command('crm-attio')
  .description(
    "a dirty CRM (105 hand-typed deal statuses, multi-value fields, bad emails/phones/domains, duplicates, orphans) from the HubSpot sandbox into the Attio sandbox: a straight import, Tern's pre-flight of the same mapping, then the example plan",
  )
  .option('--scale <n>', 'dataset scale: 1 = 5,000 companies, 20,000 contacts, 10,000 deals', '0.2')
  .option('--seed <n>', 'the generator seed', '20261125')
  .option('--json', 'print the figures as one JSON object on the last line')
  .action(async (opts: { scale: string; seed: string; json?: boolean }) => {
    const figures = await crmAttioRun(await benchDatabase(), {
      scale: Number(opts.scale),
      seed: Number(opts.seed),
      say,
    });
    say(`per stage: ${JSON.stringify(figures.stages)}`);
    say(`quarantined: ${JSON.stringify(figures.quarantined)}`);
    console.log(opts.json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
  });

program
  .command('sql')
  .description(
    'a generated legacy PostgreSQL table (9 mapped columns, sums) into a PostgreSQL table through a full phase and a 1% delta, at N and N/10, beside a raw COPY and a row-at-a-time INSERT script; its own database tern_bench_sql',
  )
  .option('--rows <n>', 'rows of the legacy table (a run at a tenth of it comes first)', '1000000')
  .option(
    '--workers <n>',
    "N worker processes on the bench's task queue instead of the worker in this process; above 1, one worker process at the full size is the baseline",
  )
  .option('--json', 'print the figures as one JSON object on the last line')
  .action(async (opts: { rows: string; workers?: string; json?: boolean }) => {
    const workers = opts.workers === undefined ? undefined : Number(opts.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1))
      throw new ConfigError(`--workers ${opts.workers} is not a whole number of processes`, 'e.g. --workers 2');
    const figures = await sqlBench(await benchDatabase(), { rows: Number(opts.rows), say, workers });
    console.log(opts.json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
  });

program
  .command('merge')
  .description(
    'two CRMs into one: the HubSpot sandbox and a generated legacy SQL CRM with planted overlaps, merged by examples/merge-crm-to-postgres.yaml (preferences, full, a delta after changes in both systems, a rollback); the target tables counted against the generator: per source, merged groups, lost, duplicated, mismatches, sums; its own database tern_bench_merge',
  )
  .option('--companies <n>', 'real-world companies (each in HubSpot, the legacy CRM or both)', '2000')
  .option('--seed <n>', 'the generator seed', '20261207')
  .option('--json', 'print the figures as one JSON object on the last line')
  .action(async (opts: { companies: string; seed: string; json?: boolean }) => {
    const figures = await mergeBench(await benchDatabase(), {
      companies: Number(opts.companies),
      seed: Number(opts.seed),
      say,
    });
    console.log(opts.json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
  });

program
  .command('chaos')
  .description(
    'legacy customers (CSV) into PostgreSQL and contacts (CSV) into the Attio sandbox under fire: worker SIGKILLs, a Temporal and a PostgreSQL restart, 5xx, dropped commits, 429 bursts and slow responses during full; a delta with unreadable lines and empty ids; a rollback mid-delta. Lost and duplicated records counted in the targets; the same run without faults first. Runs on its own PostgreSQL cluster (created once), not DATABASE_URL',
  )
  .option('--records <n>', 'records of the full phase, both targets together', '100000')
  .option('--saas-share <f>', 'share of the records that go to the Attio sandbox', '0.1')
  .option('--kills <n>', 'worker SIGKILLs during the full phase', '5')
  .option('--seed <n>', 'the seed of the data and of the moments faults strike', '15')
  .option('--budget-minutes <m>', 'time budget of the whole invocation; a phase still running then is terminated', '30')
  .option('--pg-cluster <version/name>', 'the dedicated PostgreSQL cluster (never main)', '15/tern_chaos')
  .option('--pg-port <port>', 'its port, when it is created', '5433')
  .option('--json', 'print the figures as one JSON object on the last line')
  .action(
    async (opts: {
      records: string;
      saasShare: string;
      kills: string;
      seed: string;
      budgetMinutes: string;
      pgCluster: string;
      pgPort: string;
      json?: boolean;
    }) => {
      const [version, name] = opts.pgCluster.split('/');
      if (!version || !name)
        throw new ConfigError(
          `--pg-cluster ${opts.pgCluster} is not <version>/<name>`,
          'e.g. --pg-cluster 15/tern_chaos',
        );
      const figures = await chaosBench({
        records: Number(opts.records),
        saasShare: Number(opts.saasShare),
        workerKills: Number(opts.kills),
        seed: Number(opts.seed),
        budgetMinutes: Number(opts.budgetMinutes),
        cluster: { version, name, port: Number(opts.pgPort) },
        say,
      });
      console.log(opts.json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
    },
  );

program
  .command('codec')
  .description('what payload encryption costs one payload (seal, open) beside its JSON conversion, by size')
  .option('--sizes <bytes>', 'payload sizes, comma-separated', '256,2048,16384,262144')
  .option('--json', 'print the figures as one JSON object on the last line')
  .action((opts: { sizes: string; json?: boolean }) => {
    const figures = codecBench({ sizes: opts.sizes.split(',').map(Number), say });
    console.log(opts.json ? JSON.stringify(figures) : JSON.stringify(figures, null, 2));
  });

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench: ${describeError(err)}`);
    process.exit(1);
  },
);
