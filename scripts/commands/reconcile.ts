import { ActivityContext } from '../../activities/deps';
import { reconcileObject } from '../../activities/reconcile';
import type { ObjectReconciliation } from '../../activities/reconciliation';
import { ConfigError } from '../../common/errors';
import type { Staging } from '../../staging/db';
import type { LoadPhase } from '../../workflows/phase';
import { formatPhaseResult } from '../client/phases';
import { LOAD_PHASES, requireMigration } from './shared';

/** What `tern reconcile --json` prints: the proof of every object, taken now. */
export interface ReconcileOutcome {
  migration: string;
  phase: LoadPhase;
  ok: boolean;
  /** The hash of the plan stored in staging (the one reconciled against). */
  planHash: string;
  objects: ObjectReconciliation[];
}

/** The loading phase that completed last, from staging's runs. */
export async function latestCompletedLoadPhase(staging: Staging, migrationId: string): Promise<LoadPhase | undefined> {
  const [row] = await staging.sql<{ phase: LoadPhase }[]>`
    select phase from runs
    where migration_id = ${migrationId} and status = 'completed' and phase in ${staging.sql([...LOAD_PHASES])}
    order by finished_at desc nulls last, id desc
    limit 1`;
  return row?.phase;
}

/**
 * Re-runs the reconciliation of every object of the migration's plan, in plan order, outside any workflow:
 * counts from staging, every written record read back from the target and compared with its checksum, sums
 * (`readBack: 'touched'`: only what was written or deleted since the object's last ok reconciliation).
 * Each object's proof is stored (reconciliations) and audited, as a phase's would be.
 */
export async function reconcileNow(
  staging: Staging,
  migrationId: string,
  options: { phase?: LoadPhase; env?: NodeJS.ProcessEnv; readBack?: 'whole' | 'touched' } = {},
): Promise<ReconcileOutcome> {
  const migration = await requireMigration(staging.db, migrationId);
  const phase = options.phase ?? (await latestCompletedLoadPhase(staging, migrationId));
  if (!phase)
    throw new ConfigError(
      `migration ${migrationId} has no completed loading phase to reconcile`,
      'run one first (`tern run full <plan>`), or name the phase with --phase <sample|full|delta>',
    );
  const ctx = new ActivityContext({ staging, env: options.env });
  const objects: ObjectReconciliation[] = [];
  try {
    for (const object of migration.plan.objects)
      objects.push(
        await reconcileObject(ctx, { migrationId, object: object.name, phase, readBack: options.readBack ?? 'whole' }),
      );
  } finally {
    await ctx.close();
  }
  return { migration: migrationId, phase, ok: objects.every((o) => o.ok), planHash: migration.planHash, objects };
}

export function formatReconcileOutcome(outcome: ReconcileOutcome): string {
  return formatPhaseResult({
    migrationId: outcome.migration,
    phase: outcome.phase,
    ok: outcome.ok,
    objects: outcome.objects,
  });
}
