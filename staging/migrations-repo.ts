import { eq } from 'drizzle-orm';
import { TernError } from '../common/errors';
import type { Plan } from '../plan/schema';
import { appendAudit } from './audit';
import type { StagingDb } from './db';
import { migrations } from './schema';

/** A migration id that staging does not know. */
export class UnknownMigrationError extends TernError {}

export interface StoredMigration {
  id: string;
  name: string;
  plan: Plan;
  planHash: string;
}

/** Creates the migration or updates its plan; the plan stored here is what workers execute. */
export async function saveMigration(
  db: StagingDb,
  input: { id: string; plan: Plan; planHash: string; actor: string },
): Promise<{ created: boolean; planChanged: boolean }> {
  const [existing] = await db.select().from(migrations).where(eq(migrations.id, input.id));
  const values = {
    name: input.plan.name,
    plan: input.plan,
    planHash: input.planHash,
    sourceKind: input.plan.source.kind,
    targetKind: input.plan.target.kind,
  };
  if (!existing) {
    await db
      .insert(migrations)
      .values({ id: input.id, ...values })
      .onConflictDoNothing();
    await appendAudit(db, {
      migrationId: input.id,
      actor: input.actor,
      action: 'migration.created',
      details: { planHash: input.planHash, name: input.plan.name },
    });
    return { created: true, planChanged: false };
  }
  if (existing.planHash === input.planHash) return { created: false, planChanged: false };
  await db
    .update(migrations)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(migrations.id, input.id));
  await appendAudit(db, {
    migrationId: input.id,
    actor: input.actor,
    action: 'plan.changed',
    details: { from: existing.planHash, to: input.planHash },
  });
  return { created: false, planChanged: true };
}

export async function getMigration(db: StagingDb, id: string): Promise<StoredMigration> {
  const [row] = await db.select().from(migrations).where(eq(migrations.id, id));
  if (!row) {
    throw new UnknownMigrationError(
      `migration ${id} does not exist in staging`,
      'start it with `tern run <phase> <plan>` first, or check the id',
    );
  }
  return { id: row.id, name: row.name, plan: row.plan as Plan, planHash: row.planHash };
}
