import type { Client } from '@temporalio/client';
import type { TernSettings } from '../../common/config';
import { generateKeyText } from '../../common/keys';
import { formatPhaseResult, startPhase } from '../../scripts/client/phases';
import type { AuditHead } from '../../staging/audit';
import type { AuditRecord, AuditVerification } from '../../staging/audit-verify';
import type { Staging } from '../../staging/db';
import {
  customerScenario,
  dropScenario,
  testClient,
  testEnv,
  testSettings,
  testStaging,
  withWorker,
  type CustomerScenario,
} from '../support/harness';
import { runTern } from '../support/processes';

/**
 * `tern audit verify` and `tern audit export` as an operator runs them, on the chain a real full phase wrote
 * (Temporal, PostgreSQL): intact, it exits 0; tampered with, 1, naming the entry; without the key, it cannot pass.
 */
describe('tern audit verify | export', () => {
  let staging: Staging;
  let client: Client;
  let settings: TernSettings;
  let s: CustomerScenario;
  let env: NodeJS.ProcessEnv;
  let reconciledHead: AuditHead | undefined;
  let printed: string;

  beforeAll(async () => {
    staging = await testStaging();
    settings = testSettings();
    client = await testClient(settings);
    env = { DATABASE_URL: testEnv().databaseUrl };
    s = await customerScenario(staging, { rows: 300 });
    const result = await withWorker(settings, staging, async () => {
      const started = await startPhase(client, settings, staging.db, s.loaded, {
        phase: 'full',
        migrationId: s.migrationId,
      });
      return started.handle.result();
    });
    expect(result.ok).toBe(true);
    reconciledHead = result.objects[0]!.auditHead;
    printed = formatPhaseResult(result);
  });
  afterAll(async () => {
    await dropScenario(staging, s);
    await client.connection.close();
    await staging.close();
  });

  const verify = async (extraEnv: NodeJS.ProcessEnv = {}, args: string[] = []) => {
    const run = await runTern(['audit', 'verify', s.migrationId, '--json', ...args], { ...env, ...extraEnv });
    return { ...run, verification: run.code === 2 ? undefined : (JSON.parse(run.stdout) as AuditVerification) };
  };

  it('prints the head with the proof and keeps it with the reconciliation', async () => {
    expect(reconciledHead!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(printed).toContain(
      `audit chain head: entry #${reconciledHead!.seq} (id ${reconciledHead!.id}, ${reconciledHead!.at}) hash ${reconciledHead!.hash}`,
    );
    const [row] = await staging.sql<{ audit_head: unknown }[]>`
      select audit_head from reconciliations where migration_id = ${s.migrationId}`;
    expect(row!.audit_head).toEqual(reconciledHead);
  });

  it('exits 0 on the chain the phase wrote, held to the head its reconciliation recorded', async () => {
    const { code, verification, stderr } = await verify();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(verification).toMatchObject({ ok: true, headsChecked: 1, unkeyed: 0, broken: null });
    expect(verification!.keyIds).toHaveLength(1);
    expect(verification!.entries).toBeGreaterThanOrEqual(reconciledHead!.seq);

    const human = await runTern(['audit', 'verify', s.migrationId], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^audit chain of ${s.migrationId}: intact — \\d+ entries`));
  });

  it('exports every entry as one JSON line, each linked to the one before', async () => {
    const { code, stdout } = await runTern(['audit', 'export', s.migrationId, '--jsonl'], env);
    expect(code).toBe(0);
    const entries = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRecord);
    const { verification } = await verify();
    expect(entries).toHaveLength(verification!.entries);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    entries.forEach((e, i) => expect(e.prevHash).toBe(i === 0 ? null : entries[i - 1]!.hash));
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['object.reconciled', 'migration.created']));
    expect(entries[reconciledHead!.seq - 1]!.hash).toBe(reconciledHead!.hash);
  });

  it('cannot pass without the key: another key ring finds the first entry signed with a key it does not hold', async () => {
    const { code, verification } = await verify({ TERN_AUDIT_KEY: generateKeyText() });
    expect(code).toBe(1);
    expect(verification!.broken).toMatchObject({ seq: 1 });
    expect(verification!.broken!.problem).toMatch(/which the key ring \(TERN_AUDIT_KEY\) does not hold/);
  });

  it('refuses a malformed --head and an unknown migration as bad input (exit 2)', async () => {
    const badHead = await runTern(['audit', 'verify', s.migrationId, '--head', '7:abc'], env);
    expect(badHead.code).toBe(2);
    expect(badHead.stderr).toMatch(/--head 7:abc is not a head — fix: /);
    const unknown = await runTern(['audit', 'verify', 'mig_nobody_ran_this'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/mig_nobody_ran_this has no audit entries/);
  });

  // Last: it tampers with the chain.
  it('exits 1 after an entry was edited, naming it', async () => {
    const [entry] = await staging.sql<{ id: number }[]>`
      select id::int as id from audit_log where migration_id = ${s.migrationId} and action = 'object.reconciled'`;
    await staging.sql`
      update audit_log set details = jsonb_set(details, '{loaded}', '299') where id = ${entry!.id}`;
    const { code, verification } = await verify();
    expect(code).toBe(1);
    expect(verification!.broken).toMatchObject({ id: entry!.id, action: 'object.reconciled' });
    const human = await runTern(['audit', 'verify', s.migrationId], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      new RegExp(`BROKEN at entry #\\d+ \\(id ${entry!.id}, object\\.reconciled, [^)]+\\): its content does not match`),
    );
  });
});
