import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import { parsePlan } from '../../plan/load';
import { startSandbox } from '../../sandboxes/core/server';
import { frontSandbox } from '../../sandboxes/front';
import { zendeskSandbox } from '../../sandboxes/zendesk';
import { connectStaging } from '../../staging/db';
import { startPhase } from '../client/phases';
import { ensureTemporal } from '../stack/temporal';
import { startWorker } from './worker-process';
import { SANDBOX_CREDENTIALS, sandboxPlanText } from './zendesk-front';

const ROOT = path.resolve(__dirname, '../..');

/** How Front's budget was spent by a full phase at Front's documented limit. */
export interface FrontBudgetFigures {
  tickets: number;
  /** The plan's Front budget (requests/s) and the sandbox's limit: Front's documented 200 requests/min. */
  budgetRps: number;
  seconds: number;
  /** Front requests the budget let through, and how many of them created or updated a record. */
  allowedRequests: number;
  usefulWrites: number;
  usefulWritesPerAllowedRequest: number;
  /** Front requests per second over the phase, against the budget. */
  achievedRps: number;
  unplanned429: number;
  lost: number;
}

/**
 * examples/zendesk-to-front.yaml pointed at two sandboxes: Zendesk's limit raised (only Front's budget is
 * measured), Front's budget as the example states it (Enterprise, 200 requests/min) against a Front sandbox
 * that enforces Front's documented limit.
 */
function frontAtDocumentedLimits(name: string, zendeskUrl: string, frontUrl: string, dir: string) {
  const text = sandboxPlanText(name, zendeskUrl, frontUrl, { frontAtDocumentedLimit: true });
  const budget = /target:[\s\S]*?budget: \{ ratePerSecond: ([\d.]+) \}/.exec(text);
  if (!budget) throw new Error("examples/zendesk-to-front.yaml: the target's budget line is not where the bench looks");
  const file = path.join(dir, 'plan.yaml');
  fs.writeFileSync(file, text);
  return { loaded: parsePlan(text, file), budgetRps: Number(budget[1]) };
}

/** A small helpdesk's full phase into Front at its documented limit: how much of the budget made records. */
export async function frontBudgetRun(
  databaseUrl: string,
  options: { tickets: number; say: (line: string) => void },
): Promise<FrontBudgetFigures> {
  const settings = loadSettings({
    ...process.env,
    DATABASE_URL: databaseUrl,
    TERN_TASK_QUEUE: `bench-${randomBytes(4).toString('hex')}`,
  });
  await ensureTemporal(settings, options.say);
  const staging = await connectStaging(databaseUrl);
  const client = await connectClient(settings.temporal);
  const zendesk = await startSandbox(zendeskSandbox, { seed: 7, size: options.tickets, rate: 100_000 });
  const front = await startSandbox(frontSandbox, { seed: 7 });
  const migrationId = `mig_bench_gf_${randomBytes(4).toString('hex')}`;
  const dir = fs.mkdtempSync(path.join(ROOT, '.tools', 'bench-'));
  const { loaded, budgetRps } = frontAtDocumentedLimits(migrationId, zendesk.url, front.url, dir);
  const worker = startWorker({
    DATABASE_URL: databaseUrl,
    TERN_TASK_QUEUE: settings.taskQueue,
    ...SANDBOX_CREDENTIALS,
  });
  try {
    options.say(`front path: ${options.tickets} tickets into Front at ${budgetRps} requests/s (documented limit)`);
    const t0 = Date.now();
    const started = await startPhase(client, settings, staging.db, loaded, {
      phase: 'full',
      migrationId,
      actor: 'bench',
    });
    const result = await started.handle.result();
    const seconds = (Date.now() - t0) / 1000;
    const s = front.stats();
    // A write that created or updated a record, as the sandbox counted it (deletes are not progress).
    const usefulWrites = Object.entries(front.writes.summary())
      .filter(([collection]) => !collection.endsWith(':deleted'))
      .reduce((n, [, c]) => n + c.writes, 0);
    return {
      tickets: options.tickets,
      budgetRps,
      seconds: Number(seconds.toFixed(1)),
      allowedRequests: s.requests,
      usefulWrites,
      usefulWritesPerAllowedRequest: s.requests > 0 ? Number((usefulWrites / s.requests).toFixed(3)) : 0,
      achievedRps: Number((s.requests / seconds).toFixed(2)),
      unplanned429: s.rateLimited,
      lost: result.objects.reduce((n, o) => n + o.unaccounted, 0),
    };
  } finally {
    worker.kill('SIGTERM');
    await client.connection.close();
    await zendesk.close();
    await front.close();
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from rate_budgets where key like ${'%' + front.url + '%'}`;
    await staging.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
