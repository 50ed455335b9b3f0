import type { ConflictFinding } from '../../protocol/write';
import { conflicts } from '../schema';
import type { StagingExecutor } from './quarantine';

/** Keeps every conflict the write protocol found (a target row changed since Tern wrote it), with its outcome. */
export async function recordConflicts(
  db: StagingExecutor,
  scope: { migrationId: string; object: string; phase: string },
  findings: readonly ConflictFinding[],
): Promise<void> {
  for (const f of findings) {
    await db
      .insert(conflicts)
      .values({
        ...scope,
        sourceId: f.sourceId,
        policy: f.policy,
        outcome: f.outcome,
        ternChecksum: f.ternChecksum,
        targetChecksum: f.targetChecksum,
      })
      .onConflictDoUpdate({
        target: [conflicts.migrationId, conflicts.object, conflicts.sourceId, conflicts.phase],
        set: {
          policy: f.policy,
          outcome: f.outcome,
          targetChecksum: f.targetChecksum,
          detectedAt: new Date(),
          resolvedAt: null,
        },
      });
  }
}
