import { and, eq } from 'drizzle-orm';
import type { MergeResult } from '../../plan/merge';
import type { StagingDb } from '../db';
import { mergeLineage, mergeMembers } from '../schema';

/** Rows per insert statement (PostgreSQL takes at most 65,535 parameters in one). */
const CHUNK = 2000;

/**
 * Replaces what staging knows of a merged object's merge (its members and the lineage of its merged values) with a
 * new merge's, in one transaction: a reader never sees half of one merge and half of another.
 */
export async function replaceMergeStaging(
  db: StagingDb,
  scope: { migrationId: string; object: string },
  result: Pick<MergeResult, 'members' | 'lineage'>,
): Promise<void> {
  await db.transaction(async (tx) => {
    const where = (t: typeof mergeMembers | typeof mergeLineage) =>
      and(eq(t.migrationId, scope.migrationId), eq(t.object, scope.object));
    await tx.delete(mergeMembers).where(where(mergeMembers));
    await tx.delete(mergeLineage).where(where(mergeLineage));
    for (let i = 0; i < result.members.length; i += CHUNK)
      await tx.insert(mergeMembers).values(
        result.members.slice(i, i + CHUNK).map((m) => ({
          migrationId: scope.migrationId,
          object: scope.object,
          ref: m.ref,
          source: m.source,
          sourceId: m.sourceId,
          mergedRef: m.mergedRef,
          groupId: m.groupId,
          status: m.status,
          matchRule: m.matchRule,
          fields: m.fields,
          sourceUpdatedAt: m.sourceUpdatedAt,
          raw: m.raw,
          sourcePosition: m.readAt,
        })),
      );
    for (let i = 0; i < result.lineage.length; i += CHUNK)
      await tx.insert(mergeLineage).values(
        result.lineage.slice(i, i + CHUNK).map((l) => ({
          migrationId: scope.migrationId,
          object: scope.object,
          mergedRef: l.mergedRef,
          field: l.field,
          position: l.position,
          value: l.value ?? null,
          source: l.source,
          sourceId: l.sourceId,
          sourceField: l.sourceField,
          rule: l.rule,
        })),
      );
  });
}
