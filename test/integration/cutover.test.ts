import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { parsePlan } from '../../plan/load';
import { startCutover } from '../../scripts/client/cutover';
import { startPhase } from '../../scripts/client/phases';
import { sendCutoverControl } from '../../scripts/commands/cutover';
import { formatStatus, loadStatus } from '../../scripts/commands/status';
import { buildProofPack } from '../../report/load';
import type { Staging } from '../../staging/db';
import {
  cutoverProgressQuery,
  decisionUpdate,
  type cutoverWorkflow,
  type CutoverProgress,
  type CutoverStepName,
} from '../../workflows/cutover';
import { useTernEnvironment, withWorker, type CustomerScenario } from '../support/harness';

/**
 * The go-live weekend as one workflow on real Temporal and PostgreSQL: freeze → final delta → whole reconciliation →
 * sign-off → go (live) or no-go (rolled back and proven); a failed proof rolls back with nobody asking; a missed
 * deadline is alerted while the run goes on. Every figure is read from the target or the audit log.
 */
describe('tern cutover', () => {
  const t = useTernEnvironment();
  // Set once the suite's environment is up (a describe's body runs before beforeAll).
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  beforeAll(() => ({ staging, client, settings } = t));

  /** A customers scenario (with the plan's cutover section, if given), one row already in the target, loaded in full. */
  const loadedScenario = async (cutoverSection = '') => {
    const base = await t.scenario({ rows: 120, seed: 21 });
    const planText = base.planText + cutoverSection;
    const s = { ...base, planText, loaded: parsePlan(planText, path.join(base.dir, 'plan.yaml')) };
    // A record that lived in the new tool before the migration: no rollback may touch it.
    await staging.sql.unsafe(
      `insert into "${s.schema}".customers (legacy_id, first_name, email) values ('PRE-EXISTING', 'Kept', 'kept@example.com')`,
    );
    const full = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });
    expect(full.ok).toBe(true);
    return s;
  };
  /** The source changes during the weekend, before the freeze: one new customer and one renamed. */
  const changeSource = (s: CustomerScenario) => {
    const now = new Date().toISOString();
    const lines = fs.readFileSync(s.csvPath, 'utf8').trimEnd().split('\n');
    const renamed = lines[1]!.split(',');
    renamed[1] = 'Renamed';
    renamed[renamed.length - 1] = now;
    lines[1] = renamed.join(',');
    lines.push(`C999001,Newly,Added,newly.added@example.com,01/02/2024,France,10.50,yes,${now}`);
    fs.writeFileSync(s.csvPath, `${lines.join('\n')}\n`);
  };
  const rows = async (s: CustomerScenario) =>
    staging.sql.unsafe<{ legacy_id: string; first_name: string | null }[]>(
      `select legacy_id, first_name from "${s.schema}".customers order by legacy_id`,
    );
  const waitFor = async (
    handle: WorkflowHandle<typeof cutoverWorkflow>,
    done: (p: CutoverProgress) => boolean,
    what: string,
  ) => {
    for (let i = 0; i < 600; i++) {
      const p = await handle.query(cutoverProgressQuery);
      if (done(p)) return p;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const atStep = (step: CutoverStepName) => (p: CutoverProgress) => p.current === step;
  const auditActions = async (s: CustomerScenario) =>
    (
      await staging.sql<{ action: string }[]>`
        select action from audit_log where migration_id = ${s.migrationId} and action like 'cutover.%' order by id`
    ).map((r) => r.action);
  const control = (s: CustomerScenario, c: 'freeze' | 'signoff' | 'go' | 'nogo', reportHash?: string) =>
    sendCutoverControl(client, settings, s.migrationId, c, {
      by: 'carol',
      reason: `${c}: cutover weekend rehearsal`,
      reportHash,
    });

  it('freeze → final delta → whole reconciliation → sign-off on the proof pack → go: live, every step audited', async () => {
    const s = await loadedScenario();
    let signed = '';
    await withWorker(settings, staging, async () => {
      const cutover = await startCutover(client, settings, staging, s.loaded, {
        migrationId: s.migrationId,
        by: 'ops',
      });
      await waitFor(cutover.handle, atStep('freeze'), 'the freeze step');
      // Too early: a go before the proof is refused by the workflow itself.
      const early = await cutover.handle
        .executeUpdate(decisionUpdate, { args: [{ go: true, by: 'carol', reason: 'too early to say' }] })
        .catch((e: unknown) => e);
      expect(early).toBeInstanceOf(WorkflowUpdateFailedError);
      changeSource(s);
      const frozen = await control(s, 'freeze');
      expect(frozen.accepted.by).toBe('carol');

      const atSignoff = await waitFor(
        cutover.handle,
        (p) => p.current === 'signoff' && p.proofPack !== undefined,
        'the pack presented at the sign-off step',
      );
      expect(atSignoff.deltaOk).toBe(true);
      expect(atSignoff.reconcileOk).toBe(true);
      // The cutover wrote the pack to sign where staging is, and says where and its hash.
      const presented = atSignoff.proofPack!;
      expect(presented.ok).toBe(true);
      expect(fs.readFileSync(presented.path, 'utf8')).toContain(presented.contentHash);
      const pack = await buildProofPack(staging, s.migrationId);
      expect(pack.contentHash).toBe(presented.contentHash);
      // A hash that is neither the presented pack's nor staging's now is refused by the workflow, which goes on.
      await expect(control(s, 'signoff', 'ab'.repeat(16))).rejects.toThrow(/not the one signed off/);
      expect((await cutover.handle.query(cutoverProgressQuery)).current).toBe('signoff');
      await control(s, 'signoff', presented.contentHash);
      signed = presented.contentHash;
      await waitFor(cutover.handle, atStep('decision'), 'the decision step');
      await control(s, 'go');

      const result = await cutover.handle.result();
      expect(result).toMatchObject({ ok: true, outcome: 'live' });
      expect(result.signoff).toMatchObject({ by: 'carol', reportHash: pack.contentHash });
      expect(result.reconciliation).toEqual([{ object: 'customers', ok: true, checksumMismatches: 0 }]);
      expect(result.steps.map((x) => [x.step, x.state, x.overdue])).toEqual([
        ['announce', 'done', false],
        ['freeze', 'done', false],
        ['delta', 'done', false],
        ['reconcile', 'done', false],
        ['signoff', 'done', false],
        ['decision', 'done', false],
        ['rollback', 'skipped', false],
      ]);
    });
    // The final delta reached the target: the new customer is there, the renamed one renamed.
    const target = await rows(s);
    expect(target.find((r) => r.legacy_id === 'C999001')).toMatchObject({ first_name: 'Newly' });
    expect(target.find((r) => r.legacy_id === 'C000001')).toMatchObject({ first_name: 'Renamed' });
    expect(target.find((r) => r.legacy_id === 'PRE-EXISTING')).toBeDefined();
    const actions = await auditActions(s);
    for (const step of ['freeze', 'delta', 'reconcile', 'signoff', 'decision'])
      expect(actions).toEqual(expect.arrayContaining([`cutover.${step}.started`, `cutover.${step}.completed`]));
    expect(actions).toEqual(expect.arrayContaining(['cutover.announced', 'cutover.rollback.skipped']));
    // The pack after the weekend shows the people's decisions with who and why.
    const after = await buildProofPack(staging, s.migrationId);
    expect(after.approvals.map((a) => [a.phase, a.by])).toEqual([
      ['cutover: source frozen', 'carol'],
      [`cutover: sign-off of proof pack ${signed.slice(0, 16)}…`, 'carol'],
      ['cutover: go', 'carol'],
    ]);
  });

  it('a failed whole reconciliation (the target edited behind Tern’s back) rolls back: the target is as before', async () => {
    const s = await loadedScenario();
    const before = (await rows(s)).filter((r) => r.legacy_id === 'PRE-EXISTING');
    // Someone edits a migrated record by hand in the new tool: its checksum no longer matches.
    await staging.sql.unsafe(
      `update "${s.schema}".customers set first_name = 'Edited by hand' where legacy_id = 'C000002'`,
    );
    await withWorker(settings, staging, async () => {
      const cutover = await startCutover(client, settings, staging, s.loaded, {
        migrationId: s.migrationId,
        by: 'ops',
      });
      await waitFor(cutover.handle, atStep('freeze'), 'the freeze step');
      await control(s, 'freeze');
      const result = await cutover.handle.result();
      expect(result).toMatchObject({ ok: false, outcome: 'rolled back', deltaOk: true, reconcileOk: false });
      expect(result.rollbackReason).toMatch(/reconciliation after the final delta failed/);
      expect(result.reconciliation).toEqual([expect.objectContaining({ object: 'customers', ok: false })]);
      expect(result.reconciliation[0]!.checksumMismatches).toBeGreaterThanOrEqual(1);
      expect(Object.fromEntries(result.steps.map((x) => [x.step, x.state]))).toMatchObject({
        signoff: 'skipped',
        decision: 'skipped',
        rollback: 'done',
      });
    });
    // Loss and leftovers counted from the target: only what was there before the migration.
    expect(await rows(s)).toEqual(before);
    expect(await auditActions(s)).toEqual(
      expect.arrayContaining(['cutover.signoff.skipped', 'cutover.rollback.started', 'cutover.rollback.completed']),
    );
  });

  it('a no-go at the sign-off rolls back, and a missed deadline is alerted (status, audit) while the run goes on', async () => {
    // The freeze is due 3 seconds after the start: the test freezes later than that.
    const s = await loadedScenario('cutover:\n  steps:\n    - { step: freeze, deadline: 0.05 }\n');
    await withWorker(settings, staging, async () => {
      const cutover = await startCutover(client, settings, staging, s.loaded, {
        migrationId: s.migrationId,
        by: 'ops',
      });
      const overdue = await waitFor(
        cutover.handle,
        (p) => p.steps.some((x) => x.step === 'freeze' && x.overdue),
        'the freeze to be overdue',
      );
      expect(overdue.current).toBe('freeze');
      expect(overdue.steps.find((x) => x.step === 'freeze')?.overdueAt).toBeDefined();
      const memo = (await cutover.handle.describe()).memo;
      expect(memo).toMatchObject({ cutoverStep: 'freeze', overdue: ['freeze'] });
      const status = await loadStatus({ client, staging, settings }, s.migrationId, { queryTimeoutMs: 5000 });
      expect(status.cutover).toMatchObject({ current: 'freeze', overdue: ['freeze'] });
      expect(status.cutover!.secondsLeft).toBeLessThanOrEqual(0);
      expect(formatStatus(status)).toMatch(/freeze.*OVERDUE/);
      await control(s, 'freeze');
      await waitFor(cutover.handle, atStep('signoff'), 'the sign-off step');
      const nogo = await control(s, 'nogo');
      expect(nogo.accepted.go).toBe(false);
      const result = await cutover.handle.result();
      expect(result).toMatchObject({ ok: false, outcome: 'rolled back', rollbackOk: true });
      expect(result.rollbackReason).toMatch(/no-go by carol/);
      expect(result.steps.find((x) => x.step === 'freeze')).toMatchObject({ state: 'done', overdue: true });
      expect(result.steps.find((x) => x.step === 'signoff')?.state).toBe('skipped');
    });
    expect(await rows(s)).toEqual([{ legacy_id: 'PRE-EXISTING', first_name: 'Kept' }]);
    expect(await auditActions(s)).toEqual(
      expect.arrayContaining(['cutover.freeze.overdue', 'cutover.decision.completed']),
    );
  });
});
