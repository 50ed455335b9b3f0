import { checksum } from '../../plan/checksum';
import type { LineageRow, MemberRow, MergeResult } from '../../plan/merge';
import type { StagingDb } from '../db';
import { mergeLineage, mergeMembers } from '../schema';
import { inTransaction } from '../transaction';

/** Rows per insert statement (PostgreSQL takes at most 65,535 parameters in one). */
const CHUNK = 2000;

/**
 * Makes what staging knows of a merged object's merge (its members and the lineage of its merged values) the new
 * merge's, in one transaction: a reader never sees half of one merge and half of another. Only the merged records
 * the new merge changed are written (each merged record's members and lineage carry a digest of them), so a delta
 * that changed a few records writes a few groups, not the whole object.
 */
export async function replaceMergeStaging(
  db: StagingDb,
  scope: { migrationId: string; object: string },
  result: Pick<MergeResult, 'members' | 'lineage'>,
): Promise<{ written: number; removed: number }> {
  const groups = new Map<string, { members: MemberRow[]; lineage: LineageRow[] }>();
  const groupOf = (ref: string) => {
    let group = groups.get(ref);
    if (!group) groups.set(ref, (group = { members: [], lineage: [] }));
    return group;
  };
  for (const m of result.members) groupOf(m.mergedRef).members.push(m);
  for (const l of result.lineage) groupOf(l.mergedRef).lineage.push(l);
  const digests = new Map([...groups].map(([ref, group]) => [ref, checksum(group)]));
  return inTransaction(db, async (tx, sql) => {
    const held = await sql<{ merged_ref: string; group_digest: string | null }[]>`
      select distinct merged_ref, group_digest from merge_members
      where migration_id = ${scope.migrationId} and object = ${scope.object}`;
    const heldDigest = new Map(held.map((h) => [h.merged_ref, h.group_digest]));
    const changed = [...digests].filter(([ref, digest]) => heldDigest.get(ref) !== digest).map(([ref]) => ref);
    const removed = [...heldDigest.keys()].filter((ref) => !digests.has(ref));
    const stale = [...changed.filter((ref) => heldDigest.has(ref)), ...removed];
    if (stale.length > 0) {
      await sql`delete from merge_members where migration_id = ${scope.migrationId} and object = ${scope.object}
                  and merged_ref = any(${stale}::text[])`;
      // A member that moved to another merged record leaves its old row behind under its ref: gone too.
      const moved = changed.flatMap((ref) => groups.get(ref)!.members.map((m) => m.ref));
      await sql`delete from merge_members where migration_id = ${scope.migrationId} and object = ${scope.object}
                  and ref = any(${moved}::text[])`;
      await sql`delete from merge_lineage where migration_id = ${scope.migrationId} and object = ${scope.object}
                  and merged_ref = any(${stale}::text[])`;
    }
    const members = changed.flatMap((ref) => groups.get(ref)!.members.map((m) => ({ m, digest: digests.get(ref)! })));
    for (let i = 0; i < members.length; i += CHUNK)
      await tx.insert(mergeMembers).values(
        members.slice(i, i + CHUNK).map(({ m, digest }) => ({
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
          groupDigest: digest,
        })),
      );
    const lineage = changed.flatMap((ref) => groups.get(ref)!.lineage);
    for (let i = 0; i < lineage.length; i += CHUNK)
      await tx.insert(mergeLineage).values(
        lineage.slice(i, i + CHUNK).map((l) => ({
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
    return { written: changed.length, removed: removed.length };
  });
}
