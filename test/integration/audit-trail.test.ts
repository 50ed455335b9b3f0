import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { TernSettings } from '../../common/config';
import { ternDataConverter } from '../../common/temporal';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { startPhase } from '../../scripts/client/phases';
import { approvePhase, pausePhase, resumePhase } from '../../scripts/commands/controls';
import { replayQuarantine } from '../../scripts/commands/quarantine';
import { verifyAuditChain } from '../../staging/audit';
import { idsDigest } from '../../staging/custody';
import type { Staging } from '../../staging/db';
import { IdMapLedger } from '../../staging/repos/id-map';
import * as schema from '../../staging/schema';
import { progressQuery, type PhaseResult } from '../../workflows/phase';
import type { RollbackResult } from '../../workflows/rollback';
import {
  customerScenario,
  dropScenario,
  testClient,
  testSettings,
  testStaging,
  uniqueId,
  withWorker,
  type CustomerScenario,
} from '../support/harness';
import { waitFor } from '../support/wait';

const PAGE = 25;
const ROWS = 120;

interface Entry {
  action: string;
  actor: string;
  details: Record<string, unknown> & { phase?: string; object?: string; records?: number; digest?: string };
}

/**
 * The audit log is the custody record of a migration: every action that changes the target, staging's ledger or
 * the plan is in its chain (start, pause, resume, approval, each page's writes as a count and a digest of the ids,
 * deletions, overwrites by the conflict policy, quarantine resolved by a replay, failure, cancellation,
 * rollback), and a page's ledger change and its entry commit together or not at all.
 */
describe('the audit trail covers every action (real Temporal, real PostgreSQL)', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let s: CustomerScenario;
  /** The plan whose country is required (blank ones are quarantined), and the fixed one. */
  let strict: LoadedPlan;
  let fixed: LoadedPlan;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    s = await customerScenario(staging, { rows: ROWS, seed: 5, pageSize: PAGE });
    // One range, so each page is the next PAGE staged records in source-id order; a source change wins a conflict.
    const planText = s.planText.replace(
      `    pageSize: ${PAGE}\n`,
      `    pageSize: ${PAGE}\n    loadConcurrency: 1\n    delta: { conflict: source-wins }\n`,
    );
    fixed = parsePlan(planText, s.loaded.file);
    strict = parsePlan(
      planText.replace(
        '{ from: country, to: country, transform: [trim, uppercase, null_if_empty] }',
        '{ from: country, to: country, transform: [trim, uppercase, required] }',
      ),
      s.loaded.file,
    );
  });
  afterAll(async () => {
    await dropScenario(staging, s);
    await client.connection.close();
    await staging.close();
  });

  const entries = async (): Promise<Entry[]> =>
    staging.sql<
      Entry[]
    >`select action, actor, details from audit_log where migration_id = ${s.migrationId} order by id`;
  /** Entries appended since `from` entries were there. */
  const since = async (from: number) => (await entries()).slice(from);
  const ofAction = (list: Entry[], action: string) => list.filter((e) => e.action === action);
  const sum = (list: Entry[], field = 'records') => list.reduce((n, e) => n + Number(e.details[field] ?? 0), 0);
  const stagedIds = async () =>
    (
      await staging.sql<{ source_id: string }[]>`
        select source_id from staged_records where migration_id = ${s.migrationId} and object = 'customers'
        order by source_id`
    ).map((r) => r.source_id);
  const targetIds = async () =>
    (await staging.sql.unsafe<{ id: string }[]>(`select legacy_id as id from "${s.schema}".customers`)).map(
      (r) => r.id,
    );
  /** Per page of the staged records (in order), the records among `ids`: count and digest, empty pages left out. */
  const pages = (staged: string[], ids: Iterable<string>) => {
    const keep = new Set(ids);
    const out: { records: number; digest: string }[] = [];
    for (let i = 0; i < staged.length; i += PAGE) {
      const page = staged.slice(i, i + PAGE).filter((id) => keep.has(id));
      if (page.length > 0) out.push({ records: page.length, digest: idsDigest(page) });
    }
    return out;
  };
  const counted = (list: Entry[]) => list.map((e) => ({ records: e.details.records, digest: e.details.digest }));
  const run = (loaded: LoadedPlan, phase: 'preferences' | 'full' | 'delta') =>
    withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, loaded, { phase, migrationId: s.migrationId });
      return started.handle.result();
    });

  it('records each action of a migration, with counts equal to what changed in the target', async () => {
    await run(strict, 'preferences');
    let mark = (await entries()).length;

    // A gated full phase: paused and resumed while it waits, approved, loaded page by page.
    const full = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, strict, {
        phase: 'full',
        migrationId: s.migrationId,
        gate: true,
      });
      await waitFor('the gate', 60_000, async () =>
        (await started.handle.query(progressQuery)).awaitingApproval ? true : undefined,
      );
      await pausePhase(client, settings, s.migrationId, 'full', 'checking the target', 'dana');
      await waitFor('the pause', 20_000, async () =>
        (await started.handle.query(progressQuery)).paused ? true : undefined,
      );
      await resumePhase(client, settings, s.migrationId, 'full', 'dana');
      await waitFor('the resume', 20_000, async () =>
        (await started.handle.query(progressQuery)).paused ? undefined : true,
      );
      await approvePhase(client, settings, s.migrationId, 'full', { by: 'erin', reason: 'rehearsal signed off' });
      return started.handle.result();
    });
    expect(full.ok).toBe(true);
    // The run replays on this code (its patch marker is in the history).
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: process.env.TERN_WORKFLOW_BUNDLE! },
        dataConverter: ternDataConverter(settings.temporal),
      },
      await client.workflow.getHandle(`${s.migrationId}/full`).fetchHistory(),
      `${s.migrationId}/full`,
    );
    const staged = await stagedIds();
    const blanks = (
      await staging.sql<{ key: string }[]>`
        select record_key as key from quarantine where migration_id = ${s.migrationId} and resolved_at is null`
    ).map((r) => r.key);
    expect(blanks.length).toBeGreaterThan(0);
    const loadedIds = await targetIds();
    expect(loadedIds.length).toBe(ROWS - blanks.length);

    let log = await since(mark);
    const controls = log.filter((e) => /^phase\./.test(e.action)).map((e) => [e.action, e.actor]);
    expect(controls).toEqual([
      ['phase.started', 'tern'],
      ['phase.paused', 'dana'],
      ['phase.resumed', 'dana'],
      ['phase.approved', 'erin'],
      ['phase.completed', 'tern'],
    ]);
    expect(ofAction(log, 'phase.paused')[0]!.details).toMatchObject({ phase: 'full', reason: 'checking the target' });
    expect(ofAction(log, 'phase.approved')[0]!.details).toMatchObject({ reason: 'rehearsal signed off' });
    // One entry per page that wrote: how many and which (by digest), the ids never in clear.
    const written = ofAction(log, 'records.written');
    expect(written.every((e) => e.details.phase === 'full' && e.details.object === 'customers')).toBe(true);
    expect(sum(written)).toBe(loadedIds.length);
    expect(counted(written)).toEqual(pages(staged, loadedIds));
    expect(JSON.stringify(log)).not.toContain(loadedIds[0]!);

    // The plan is fixed and the quarantine replayed: the resolution and the writes it led to are in the chain.
    mark = (await entries()).length;
    const replay = await replayQuarantine(fixed, {
      migrationId: s.migrationId,
      say: () => undefined,
      settings,
      actor: 'frank',
    });
    expect(replay).toMatchObject({ ok: true, resolved: blanks.length, planChanged: true });
    log = await since(mark);
    const replayed = [...ofAction(log, 'quarantine.replay'), ...ofAction(log, 'quarantine.replayed')];
    expect(replayed).toMatchObject([
      { actor: 'frank', details: { open: blanks.length, planChanged: true } },
      { actor: 'frank', details: { resolved: blanks.length, open: 0 } },
    ]);
    expect(counted(ofAction(log, 'quarantine.resolved'))).toEqual(pages(staged, blanks));
    expect(counted(ofAction(log, 'records.written'))).toEqual(pages(staged, blanks));

    // A delta: one record deleted at the source, one changed at the source and by hand in the target (source wins).
    const lines = fs.readFileSync(s.csvPath, 'utf8').split('\n');
    const gone = lines[3]!.split(',')[0]!;
    const changed = lines[5]!.split(',')[0]!;
    const firstName = lines[5]!.split(',')[1]!;
    lines[5] = lines[5]!.replace(`${changed},${firstName},`, `${changed},Renamed,`);
    fs.writeFileSync(s.csvPath, lines.filter((_, i) => i !== 3).join('\n'));
    await staging.sql.unsafe(`update "${s.schema}".customers set first_name = 'by hand' where legacy_id = $1`, [
      changed,
    ]);
    mark = (await entries()).length;
    const delta = (await run(fixed, 'delta')) as PhaseResult;
    expect(delta.ok).toBe(true);
    expect(delta.objects[0]).toMatchObject({ deleted: 1 });
    expect(
      await staging.sql`
        select source_id, policy, outcome from conflicts where migration_id = ${s.migrationId}`,
    ).toEqual([{ source_id: changed, policy: 'source-wins', outcome: 'overwritten' }]);
    const [row] = await staging.sql.unsafe<{ first_name: string }[]>(
      `select first_name from "${s.schema}".customers where legacy_id = $1`,
      [changed],
    );
    expect(row!.first_name).toBe('Renamed');
    log = await since(mark);
    expect(counted(ofAction(log, 'records.deleted'))).toEqual([{ records: 1, digest: idsDigest([gone]) }]);
    const rewritten = ofAction(log, 'records.written');
    expect(rewritten).toHaveLength(1);
    expect(rewritten[0]!.details).toMatchObject({
      phase: 'delta',
      records: 1,
      digest: idsDigest([changed]),
      overwritten: { records: 1, digest: idsDigest([changed]), policy: 'source-wins' },
    });

    // A failed run: the target drifted from the gold schema, so the full phase stops before loading.
    await staging.sql.unsafe(`alter table "${s.schema}".customers add column loyalty_tier text`);
    mark = (await entries()).length;
    const failed = await run(fixed, 'full').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(WorkflowFailedError);
    await staging.sql.unsafe(`alter table "${s.schema}".customers drop column loyalty_tier`);
    log = await since(mark);
    expect(log.map((e) => e.action)).toEqual(['phase.started', 'phase.failed']);
    expect(log[1]!.details).toMatchObject({ phase: 'full', errorType: 'TargetSchemaError' });
    expect(String(log[1]!.details.error)).toMatch(/drifted from the gold schema/);
    const [run1] = await staging.sql<{ status: string }[]>`
      select status from runs where migration_id = ${s.migrationId} and phase = 'full' order by id desc limit 1`;
    expect(run1!.status).toBe('failed');

    // A cancelled run: a gated delta cancelled while it waits for approval.
    mark = (await entries()).length;
    await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, fixed, {
        phase: 'delta',
        migrationId: s.migrationId,
        gate: true,
      });
      await waitFor('the gate', 60_000, async () =>
        (await started.handle.query(progressQuery)).awaitingApproval ? true : undefined,
      );
      await started.handle.cancel();
      await expect(started.handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    });
    log = await since(mark);
    expect(log.map((e) => e.action).filter((a) => a.startsWith('phase.'))).toEqual([
      'phase.started',
      'phase.cancelled',
    ]);

    // A rollback: each chunk of ledger rows it undoes, with what the target removed and restored.
    const before = (await targetIds()).length;
    const [ledger] = await staging.sql<{ n: number }[]>`
      select count(*)::int as n from id_map where migration_id = ${s.migrationId}`;
    mark = (await entries()).length;
    const rollback: RollbackResult = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, fixed, {
        phase: 'rollback',
        migrationId: s.migrationId,
        reason: 'rehearsal over: back to the start',
        by: 'gus',
      });
      return started.handle.result();
    });
    expect(rollback.ok).toBe(true);
    expect(await targetIds()).toEqual([]);
    log = await since(mark);
    const undone = ofAction(log, 'records.rolled_back');
    expect(sum(undone)).toBe(ledger!.n);
    expect(sum(undone, 'removed')).toBe(before);
    expect(sum(undone, 'restored')).toBe(0);
    expect(ofAction(log, 'phase.started')[0]).toMatchObject({ details: { phase: 'rollback', by: 'gus' } });

    expect(await verifyAuditChain(staging.db, s.migrationId)).toMatchObject({ ok: true, broken: null });
  });
});

/**
 * A page's ledger change and its audit entry are one transaction: a failure after the entry was inserted (here a
 * constraint trigger that refuses the commit) leaves neither; once the commit goes through, both are there.
 */
describe('a ledger change and its audit entry commit together', () => {
  let staging: Staging;
  const migrationId = uniqueId('mig_atomic');
  const refuse = uniqueId('refuse_commit');

  beforeAll(async () => {
    staging = await testStaging();
    await staging.sql`
      insert into migrations (id, name, plan, plan_hash, source_kind, target_kind)
      values (${migrationId}, ${migrationId}, '{}'::jsonb, 'x', 'csv', 'postgres')`;
    await staging.sql.unsafe(`
      create function ${refuse}() returns trigger language plpgsql
        as $$ begin raise exception 'commit refused by the test'; end $$;
      create constraint trigger ${refuse} after insert on audit_log deferrable initially deferred
        for each row when (new.migration_id = '${migrationId}') execute function ${refuse}();`);
  });
  afterAll(async () => {
    await staging.sql.unsafe(`drop trigger if exists ${refuse} on audit_log; drop function if exists ${refuse}()`);
    await staging.sql`delete from id_map where migration_id = ${migrationId}`;
    await staging.sql`delete from migrations where id = ${migrationId}`;
    await staging.sql`delete from audit_log where migration_id = ${migrationId}`;
    await staging.close();
  });

  const ledgerStates = async () =>
    (
      await staging.sql<{ state: string }[]>`
        select state from id_map where migration_id = ${migrationId} order by source_id`
    ).map((r) => r.state);
  const auditRows = async () =>
    staging.sql<{ action: string; details: Record<string, unknown> }[]>`
      select action, details from audit_log where migration_id = ${migrationId} order by id`;

  it('a refused commit leaves the records pending and no entry; a good one marks them written with their entry', async () => {
    // Its own connection and drizzle handle, as a worker's would be.
    const ledger = new IdMapLedger(
      { db: drizzle(staging.sql, { schema }), sql: staging.sql },
      migrationId,
      'accounts',
      'full',
    );
    const ids = ['A1', 'A2', 'A3'];
    const attempts = await ledger.begin(ids.map((sourceId) => ({ sourceId, createdByTern: true, beforeImage: null })));
    const items = ids.map((sourceId) => ({
      sourceId,
      targetId: null,
      checksum: 'c',
      fieldChecksums: {},
      attempt: attempts.get(sourceId)!,
    }));

    await expect(ledger.written(items)).rejects.toThrow(/commit refused by the test/);
    expect(await ledgerStates()).toEqual(['pending', 'pending', 'pending']);
    expect(await auditRows()).toEqual([]);

    await staging.sql.unsafe(`drop trigger ${refuse} on audit_log`);
    expect(await ledger.written(items)).toEqual(new Set(ids));
    expect(await ledgerStates()).toEqual(['written', 'written', 'written']);
    expect(await auditRows()).toEqual([
      {
        action: 'records.written',
        details: { phase: 'full', object: 'accounts', records: 3, digest: idsDigest(ids) },
      },
    ]);
  });
});

/** Runs recorded before every action was audited (no patch marker) replay on today's workflows unchanged. */
describe('runs started before the audited-actions patch', () => {
  it('replay: a phase paused, resumed and approved, a failed one, a cancelled one, a failed rollback', async () => {
    const dir = path.join(__dirname, '../fixtures/histories-before-audited-actions');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bin'));
    expect(files.sort()).toEqual([
      'phase-delta-cancelled.bin',
      'phase-full-failed.bin',
      'phase-full-paused-resumed-approved.bin',
      'rollback-failed.bin',
    ]);
    for (const file of files) {
      const history = temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
      await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TERN_WORKFLOW_BUNDLE! } }, history, file);
    }
  });
});
