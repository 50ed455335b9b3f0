import { and, eq } from 'drizzle-orm';
import { TernError } from '../common/errors';
import { sourceKinds, type Plan } from '../plan/schema';
import { appendAudit } from './audit';
import type { StagingDb } from './db';
import { migrations, planVersions } from './schema';

/** A migration id that staging does not know. */
export class UnknownMigrationError extends TernError {}

/** A plan version a phase pinned that staging does not hold. */
export class UnknownPlanVersionError extends TernError {}

export interface StoredMigration {
  id: string;
  name: string;
  plan: Plan;
  planHash: string;
}

/**
 * Creates the migration or makes this plan its current one, keeping every version by hash (`plan_versions`):
 * a running phase goes on loading the version it pinned. The change and its audit entry are one transaction.
 */
export async function saveMigration(
  db: StagingDb,
  input: { id: string; plan: Plan; planHash: string; actor: string },
): Promise<{ created: boolean; planChanged: boolean }> {
  const values = {
    name: input.plan.name,
    plan: input.plan,
    planHash: input.planHash,
    sourceKind: sourceKinds(input.plan),
    targetKind: input.plan.target.kind,
  };
  return db.transaction(async (tx) => {
    const created = await tx
      .insert(migrations)
      .values({ id: input.id, ...values })
      .onConflictDoNothing()
      .returning({ id: migrations.id });
    await tx
      .insert(planVersions)
      .values({ migrationId: input.id, planHash: input.planHash, plan: input.plan })
      .onConflictDoNothing();
    if (created.length > 0) {
      await appendAudit(tx, {
        migrationId: input.id,
        actor: input.actor,
        action: 'migration.created',
        details: { planHash: input.planHash, name: input.plan.name },
      });
      return { created: true, planChanged: false };
    }
    // Locked until the transaction ends: two operators saving plans at once record each change once, in order.
    const [existing] = await tx
      .select({ planHash: migrations.planHash })
      .from(migrations)
      .where(eq(migrations.id, input.id))
      .for('update');
    if (!existing || existing.planHash === input.planHash) return { created: false, planChanged: false };
    await tx
      .update(migrations)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(migrations.id, input.id));
    await appendAudit(tx, {
      migrationId: input.id,
      actor: input.actor,
      action: 'plan.changed',
      details: { from: existing.planHash, to: input.planHash },
    });
    return { created: false, planChanged: true };
  });
}

/**
 * The migration with its current plan, or, given a plan hash (the one a phase pinned), with that version of
 * its plan.
 */
export async function getMigration(db: StagingDb, id: string, planHash?: string): Promise<StoredMigration> {
  // Only what a StoredMigration holds: every activity asks, every load page among them, and the row also carries the
  // frozen gold schema (every target table's columns), which they read elsewhere when they need it.
  const [row] = await db
    .select({ id: migrations.id, name: migrations.name, plan: migrations.plan, planHash: migrations.planHash })
    .from(migrations)
    .where(eq(migrations.id, id));
  if (!row) {
    throw new UnknownMigrationError(
      `migration ${id} does not exist in staging`,
      'start it with `tern run <phase> <plan>` first, or check the id',
    );
  }
  if (planHash === undefined || planHash === row.planHash)
    return { id: row.id, name: row.name, plan: row.plan as Plan, planHash: row.planHash };
  const [version] = await db
    .select({ plan: planVersions.plan })
    .from(planVersions)
    .where(and(eq(planVersions.migrationId, id), eq(planVersions.planHash, planHash)));
  if (!version) {
    throw new UnknownPlanVersionError(
      `migration ${id} has no plan version ${planHash.slice(0, 12)} in staging (the version its phase started with)`,
      'cancel the phase and run it again with `tern run <phase> <plan>`; it pins the plan it starts with',
    );
  }
  const plan = version.plan as Plan;
  return { id: row.id, name: plan.name, plan, planHash };
}
