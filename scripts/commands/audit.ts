import type { Command } from 'commander';
import { loadSettings } from '../../common/config';
import { ConfigError } from '../../common/errors';
import { formatAuditHead } from '../../staging/audit';
import {
  readAuditChain,
  verifyAuditChain,
  type AuditVerification,
  type RecordedHead,
} from '../../staging/audit-verify';
import type { Staging } from '../../staging/db';
import { EXIT } from '../exit-codes';
import { resolvePlanOrMigration, withStaging } from './shared';

/**
 * `tern audit verify` and `tern audit export`: a migration's audit chain proven intact with the audit key, and
 * written out whole for an auditor. They read the chain alone (audit_log, and the heads reconciliations recorded),
 * so a migration whose other rows were removed can still be audited.
 */

/** A chain that has no entry: the id is wrong, or this is another staging database. */
function noChain(migrationId: string): ConfigError {
  return new ConfigError(
    `migration ${migrationId} has no audit entries in this staging database`,
    'check the migration id (--migration <id>, or the plan it ran with) and DATABASE_URL',
  );
}

/** Verifies the chain with this process's audit key ring, held to the recorded heads and to `heads`. */
export async function verifyAudit(
  staging: Staging,
  migrationId: string,
  options: { heads?: RecordedHead[] } = {},
): Promise<AuditVerification> {
  const verification = await verifyAuditChain(staging.db, migrationId, { heads: options.heads });
  if (verification.entries === 0 && verification.headsChecked === 0) throw noChain(migrationId);
  return verification;
}

export function formatAuditVerification(v: AuditVerification): string {
  const keyed =
    v.unkeyed > 0 ? ` (${v.unkeyed} ${v.ok ? 'written before entries were keyed' : 'without a key id'})` : '';
  const summary = `${v.entries} entries${keyed}, key(s) ${v.keyIds.join(', ') || 'none'}, held to ${v.headsChecked} recorded head(s)`;
  if (!v.broken)
    return [`audit chain of ${v.migrationId}: intact — ${summary}`, `head: ${formatAuditHead(v.head)}`].join('\n');
  const b = v.broken;
  const entry = b.id === null ? `entry #${b.seq}` : `entry #${b.seq} (id ${b.id}, ${b.action}, ${b.at})`;
  return [`audit chain of ${v.migrationId}: BROKEN at ${entry}: ${b.problem}`, summary].join('\n');
}

/** Writes every entry of the chain, one JSON object a line (position, hashes, key id); returns how many. */
export async function exportAudit(
  staging: Staging,
  migrationId: string,
  write: (line: string) => void,
): Promise<number> {
  let entries = 0;
  for await (const entry of readAuditChain(staging.db, migrationId)) {
    write(JSON.stringify(entry));
    entries += 1;
  }
  if (entries === 0) throw noChain(migrationId);
  return entries;
}

/** `--head <seq>:<hash>`: a head kept from a report, which the chain must still hold. */
export function parseHeadOption(value: string): RecordedHead {
  const match = /^#?(\d+):([0-9a-f]{64})$/.exec(value.trim());
  if (!match || Number(match[1]) < 1)
    throw new ConfigError(
      `--head ${value} is not a head`,
      'pass the entry number and hash a report printed, e.g. --head 42:<64 hex digits>',
    );
  return { head: { seq: Number(match[1]), hash: match[2]! }, recordedBy: `--head ${match[1]}` };
}

/** Adds `tern audit verify|export` to the CLI. */
export function addAuditCommands(program: Command): void {
  const audit = program.command('audit').description("a migration's audit chain: verify it with the key, export it");
  audit
    .command('verify')
    .description(
      'recompute the keyed audit chain and hold it to the heads reconciliations recorded; exit 1 at the first broken entry',
    )
    .argument('<plan-or-migration>', 'plan file (YAML), or a migration id such as mig_legacy_crm')
    .option('--migration <id>', 'migration id (default: mig_<plan name>)')
    .option(
      '--head <seq:hash>',
      'also hold the chain to a head a report printed (repeatable)',
      (value: string, heads: RecordedHead[]) => [...heads, parseHeadOption(value)],
      [] as RecordedHead[],
    )
    .option('--json', 'print the verification as one JSON object')
    .action(async (planOrId: string, opts: { migration?: string; head: RecordedHead[]; json?: boolean }) => {
      const { migrationId } = resolvePlanOrMigration(planOrId, opts.migration);
      const verification = await withStaging(loadSettings(), (staging) =>
        verifyAudit(staging, migrationId, { heads: opts.head }),
      );
      console.log(opts.json ? JSON.stringify(verification) : formatAuditVerification(verification));
      process.exitCode = verification.ok ? EXIT.ok : EXIT.failed;
    });
  audit
    .command('export')
    .description(
      'write every audit entry for an auditor: one JSON object a line, with its hash, previous hash and key id',
    )
    .argument('<plan-or-migration>', 'plan file (YAML), or a migration id such as mig_legacy_crm')
    .option('--migration <id>', 'migration id (default: mig_<plan name>)')
    .option('--jsonl', 'JSON lines (the format; the default)')
    .action(async (planOrId: string, opts: { migration?: string }) => {
      const { migrationId } = resolvePlanOrMigration(planOrId, opts.migration);
      await withStaging(loadSettings(), (staging) =>
        exportAudit(staging, migrationId, (line) => process.stdout.write(`${line}\n`)),
      );
    });
}
