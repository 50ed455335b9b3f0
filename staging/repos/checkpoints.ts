import { and, eq } from 'drizzle-orm';
import { checkpoints } from '../schema';
import type { StagingExecutor } from './quarantine';

export interface CheckpointKey {
  migrationId: string;
  object: string;
  phase: string;
  stage: string;
}

/** Where a stage resumes: the cursor after the last unit of work it committed. */
export async function saveCheckpoint(
  db: StagingExecutor,
  key: CheckpointKey,
  state: { cursor: string | null; done?: boolean; counts?: unknown },
): Promise<void> {
  const set = {
    cursor: state.cursor,
    ...(state.done === undefined ? {} : { done: state.done }),
    ...(state.counts === undefined ? {} : { counts: state.counts }),
    updatedAt: new Date(),
  };
  await db
    .insert(checkpoints)
    .values({ ...key, ...set })
    .onConflictDoUpdate({
      target: [checkpoints.migrationId, checkpoints.object, checkpoints.phase, checkpoints.stage],
      set,
    });
}

export async function readCheckpoint(db: StagingExecutor, key: CheckpointKey) {
  const [row] = await db
    .select()
    .from(checkpoints)
    .where(
      and(
        eq(checkpoints.migrationId, key.migrationId),
        eq(checkpoints.object, key.object),
        eq(checkpoints.phase, key.phase),
        eq(checkpoints.stage, key.stage),
      ),
    );
  return row;
}
