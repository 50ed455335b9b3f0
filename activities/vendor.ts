import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, gt, lte, sql as raw } from 'drizzle-orm';
import { attio } from '../connectors/attio/declaration';
import { AttioRecordWriter, type AttioValues } from '../connectors/attio/records';
import { type BudgetOverride, effectiveBudget } from '../connectors/kit/budget';
import { CredentialError, RateLimitedError, RetryableError, VendorError } from '../connectors/kit/errors';
import { type RateGovernor, sharedGovernor } from '../connectors/kit/governor';
import { type VendorConnection, VendorClient, type VendorDeclaration } from '../connectors/kit/http';
import { IdMapLedger, writeExactlyOnce, type WriteStats } from '../connectors/kit/idempotent';
import { checksum } from '../plan/checksum';
import { quarantine, stagedRecords } from '../staging/schema';
import type { ActivityContext } from './deps';

/** The SaaS targets Tern can write through the kit. */
export const VENDORS: Record<string, VendorDeclaration> = { attio };

/** Which vendor object a staged object goes to, and how records are matched there. */
export interface VendorTarget {
  vendor: 'attio';
  object: string;
  mode: 'assert' | 'create';
  externalIdAttribute: string;
}

export interface VendorBatchInput {
  migrationId: string;
  /** The staged object (its records' raw JSON are the vendor payloads). */
  object: string;
  phase: string;
  target: VendorTarget;
  connection: VendorConnection;
  budget?: BudgetOverride;
  /** Records with afterOrdinal < ordinal ≤ throughOrdinal. */
  afterOrdinal: number;
  throughOrdinal: number;
}

export interface VendorBatchResult extends WriteStats {
  records: number;
  /** The governor's view: requests sent by this attempt and time spent waiting for budget. */
  requests: number;
  waitedMs: number;
}

function governorFor(ctx: ActivityContext, declaration: VendorDeclaration, input: VendorBatchInput): RateGovernor {
  const budget = effectiveBudget(declaration.budget, input.budget);
  return sharedGovernor(ctx.sql, `${declaration.vendor}:${input.connection.baseUrl}`, budget);
}

/** Splits an object's staged records into batches of ordinals, for a workflow to fan out. */
export async function planVendorBatches(
  ctx: ActivityContext,
  input: { migrationId: string; object: string; batchSize: number },
): Promise<{ total: number; batches: [number, number][] }> {
  const rows = await ctx.sql<{ bound: string; n: string }[]>`
    select max(ordinal) as bound, count(*) as n from (
      select ordinal, (row_number() over (order by ordinal) - 1) / ${input.batchSize} as batch
      from staged_records where migration_id = ${input.migrationId} and object = ${input.object} and disposition is null
    ) b group by batch order by batch`;
  const batches: [number, number][] = [];
  let after = 0;
  let total = 0;
  for (const r of rows) {
    batches.push([after, Number(r.bound)]);
    after = Number(r.bound);
    total += Number(r.n);
  }
  return { total, batches };
}

/**
 * Writes one batch of staged records to a vendor through the idempotent protocol. Rejected records are
 * quarantined with the vendor's message; the batch goes on.
 */
export async function writeVendorBatch(ctx: ActivityContext, input: VendorBatchInput): Promise<VendorBatchResult> {
  const declaration = VENDORS[input.target.vendor];
  if (!declaration) throw new Error(`no SaaS connector for vendor "${input.target.vendor}"`);
  const governor = governorFor(ctx, declaration, input);
  const heartbeat = () => Context.current().heartbeat();
  const client = new VendorClient(declaration, input.connection, { governor, env: ctx.env, onWait: heartbeat });
  const writer = new AttioRecordWriter(client, input.target);
  const rows = await ctx.db
    .select({ sourceId: stagedRecords.sourceId, raw: stagedRecords.raw })
    .from(stagedRecords)
    .where(
      and(
        eq(stagedRecords.migrationId, input.migrationId),
        eq(stagedRecords.object, input.object),
        gt(stagedRecords.ordinal, input.afterOrdinal),
        lte(stagedRecords.ordinal, input.throughOrdinal),
        raw`${stagedRecords.disposition} is null`,
      ),
    )
    .orderBy(asc(stagedRecords.ordinal));
  const ledger = new IdMapLedger(ctx.sql, input.migrationId, input.object, input.phase);
  const before = { ...governor.stats };
  const { outcomes, stats } = await writeExactlyOnce(
    ledger,
    writer,
    rows.map((r) => ({ sourceId: r.sourceId, payload: r.raw as AttioValues, checksum: checksum(r.raw) })),
    { concurrency: governor.budget.concurrency, onProgress: heartbeat },
  );
  const rawBySource = new Map(rows.map((r) => [r.sourceId, r]));
  for (const o of outcomes) {
    if (o.outcome !== 'rejected') continue;
    const row = rawBySource.get(o.sourceId);
    await ctx.db
      .insert(quarantine)
      .values({
        migrationId: input.migrationId,
        object: input.object,
        recordKey: o.sourceId,
        stage: 'load',
        reasonCode: 'target_rejected',
        field: o.error.field ?? null,
        message: o.error.message,
        raw: row?.raw ?? null,
      })
      .onConflictDoUpdate({
        target: [quarantine.migrationId, quarantine.object, quarantine.recordKey],
        set: { message: o.error.message, stage: 'load', reasonCode: 'target_rejected', resolvedAt: null },
      });
  }
  return {
    ...stats,
    records: rows.length,
    requests: governor.stats.requests - before.requests,
    waitedMs: governor.stats.waitedMs - before.waitedMs,
  };
}

/**
 * Turns the kit's error classes into Temporal's terms: a 429 is retried after the vendor's delay, a transient
 * failure with the activity's backoff, a bad credential stops the phase with the variable to fix.
 */
export function vendorActivity<I, O>(fn: (input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await fn(input);
    } catch (err) {
      if (err instanceof RateLimitedError)
        throw ApplicationFailure.create({
          message: err.message,
          type: err.name,
          nextRetryDelay: err.retryAfterMs ?? 1000,
        });
      if (err instanceof RetryableError) throw ApplicationFailure.create({ message: err.message, type: err.name });
      if (err instanceof CredentialError || err instanceof VendorError)
        throw ApplicationFailure.create({ message: err.toLine(), type: err.name, nonRetryable: true });
      throw err;
    }
  };
}
