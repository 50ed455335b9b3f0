import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { StagingDb } from '../db';
import { idMap, mergeLineage, mergeMembers, quarantine, stagedRecords } from '../schema';

/**
 * Staging of merged objects (docs/merge.md): `merge_members` (each source record, the merged record it belongs to)
 * and `merge_lineage` (each merged value's source record, source field and rule). These functions read them, with
 * the ledger, quarantine and staged rows of a merged record's members, for `tern explain`.
 */

/** Staging's drizzle handle or a transaction on it, for reads. */
export type MergeReader = Pick<StagingDb, 'select' | 'selectDistinct'>;

/** One merged object of one migration. */
export interface MergeScope {
  migrationId: string;
  object: string;
}

/** One source record of a merged object, as `merge_members` holds it. */
export interface MergeMemberRow {
  /** `source/source id`, e.g. `legacy/9`. */
  ref: string;
  source: string;
  sourceId: string;
  /** The ref of the merged record (its group's anchor); the member's own ref when it is the anchor or single. */
  mergedRef: string;
  groupId: string;
  status: string;
  matchRule: string | null;
  /** The record's own values, mapped onto the object's target fields. */
  fields: Record<string, unknown>;
  sourceUpdatedAt: Date | null;
}

/** One row of a merged value's lineage. */
export interface MergeLineageRow {
  field: string;
  /** 0 for a single value; a union's elements 0, 1, … */
  position: number;
  value: unknown;
  source: string;
  sourceId: string;
  sourceField: string | null;
  rule: string;
}

/** A member's row in the ledger (`id_map`): whether and where it was written to the target. */
export interface MergeLedgerRow {
  ref: string;
  state: string;
  targetId: string | null;
  runPhase: string | null;
  updatedAt: Date;
}

/** A member's staged record: what the plan's rules decided for it. */
export interface MergeStagedRow {
  ref: string;
  disposition: string | null;
  dispositionReason: string | null;
  duplicateOf: string | null;
  sourceDeletedAt: Date | null;
}

/** An open quarantine entry of a member. */
export interface MergeQuarantineRow {
  ref: string;
  stage: string;
  reasonCode: string;
  field: string | null;
  message: string;
  createdAt: Date;
}

const memberColumns = {
  ref: mergeMembers.ref,
  source: mergeMembers.source,
  sourceId: mergeMembers.sourceId,
  mergedRef: mergeMembers.mergedRef,
  groupId: mergeMembers.groupId,
  status: mergeMembers.status,
  matchRule: mergeMembers.matchRule,
  fields: mergeMembers.fields,
  sourceUpdatedAt: mergeMembers.sourceUpdatedAt,
};

const asMember = (r: Omit<MergeMemberRow, 'fields'> & { fields: unknown }): MergeMemberRow => ({
  ...r,
  fields: r.fields !== null && typeof r.fields === 'object' ? (r.fields as Record<string, unknown>) : {},
});

/** The member whose ref this is, or undefined. */
export async function findMergeMember(
  db: MergeReader,
  scope: MergeScope,
  ref: string,
): Promise<MergeMemberRow | undefined> {
  const [row] = await db
    .select(memberColumns)
    .from(mergeMembers)
    .where(
      and(
        eq(mergeMembers.migrationId, scope.migrationId),
        eq(mergeMembers.object, scope.object),
        eq(mergeMembers.ref, ref),
      ),
    );
  return row ? asMember(row) : undefined;
}

/** Every member of a merged record (the anchor included), by source then source id. */
export async function mergeMembersOf(db: MergeReader, scope: MergeScope, mergedRef: string): Promise<MergeMemberRow[]> {
  const rows = await db
    .select(memberColumns)
    .from(mergeMembers)
    .where(
      and(
        eq(mergeMembers.migrationId, scope.migrationId),
        eq(mergeMembers.object, scope.object),
        eq(mergeMembers.mergedRef, mergedRef),
      ),
    )
    .orderBy(asc(mergeMembers.source), asc(mergeMembers.sourceId));
  return rows.map(asMember);
}

/** A few merged records' refs of the object (smallest first), to show what a ref looks like. */
export async function someMergedRefs(db: MergeReader, scope: MergeScope, limit: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ mergedRef: mergeMembers.mergedRef })
    .from(mergeMembers)
    .where(and(eq(mergeMembers.migrationId, scope.migrationId), eq(mergeMembers.object, scope.object)))
    .orderBy(asc(mergeMembers.mergedRef))
    .limit(limit);
  return rows.map((r) => r.mergedRef);
}

/** The lineage of a merged record: every field's rows, by field then position. */
export async function mergeLineageOf(
  db: MergeReader,
  scope: MergeScope,
  mergedRef: string,
): Promise<MergeLineageRow[]> {
  return db
    .select({
      field: mergeLineage.field,
      position: mergeLineage.position,
      value: mergeLineage.value,
      source: mergeLineage.source,
      sourceId: mergeLineage.sourceId,
      sourceField: mergeLineage.sourceField,
      rule: mergeLineage.rule,
    })
    .from(mergeLineage)
    .where(
      and(
        eq(mergeLineage.migrationId, scope.migrationId),
        eq(mergeLineage.object, scope.object),
        eq(mergeLineage.mergedRef, mergedRef),
      ),
    )
    .orderBy(asc(mergeLineage.field), asc(mergeLineage.position), asc(mergeLineage.source), asc(mergeLineage.sourceId));
}

/** The ledger rows of these refs (a merged record is written under its ref, as any staged record's source id). */
export async function mergeLedgerRows(
  db: MergeReader,
  scope: MergeScope,
  refs: readonly string[],
): Promise<MergeLedgerRow[]> {
  if (refs.length === 0) return [];
  return db
    .select({
      ref: idMap.sourceId,
      state: idMap.state,
      targetId: idMap.targetId,
      runPhase: idMap.runPhase,
      updatedAt: idMap.updatedAt,
    })
    .from(idMap)
    .where(
      and(eq(idMap.migrationId, scope.migrationId), eq(idMap.object, scope.object), inArray(idMap.sourceId, [...refs])),
    )
    .orderBy(asc(idMap.sourceId));
}

/** The ref written to the target under this target id, or undefined. */
export async function mergedRefByTargetId(
  db: MergeReader,
  scope: MergeScope,
  targetId: string,
): Promise<string | undefined> {
  const [row] = await db
    .select({ ref: idMap.sourceId })
    .from(idMap)
    .where(and(eq(idMap.migrationId, scope.migrationId), eq(idMap.object, scope.object), eq(idMap.targetId, targetId)))
    .orderBy(asc(idMap.sourceId))
    .limit(1);
  return row?.ref;
}

/** The staged records of these refs: their disposition (deduplicated into the merged record, filtered, …). */
export async function mergeStagedRows(
  db: MergeReader,
  scope: MergeScope,
  refs: readonly string[],
): Promise<MergeStagedRow[]> {
  if (refs.length === 0) return [];
  return db
    .select({
      ref: stagedRecords.sourceId,
      disposition: stagedRecords.disposition,
      dispositionReason: stagedRecords.dispositionReason,
      duplicateOf: stagedRecords.duplicateOf,
      sourceDeletedAt: stagedRecords.sourceDeletedAt,
    })
    .from(stagedRecords)
    .where(
      and(
        eq(stagedRecords.migrationId, scope.migrationId),
        eq(stagedRecords.object, scope.object),
        inArray(stagedRecords.sourceId, [...refs]),
      ),
    )
    .orderBy(asc(stagedRecords.sourceId));
}

/** The open quarantine entries of these refs (a merged object's records are quarantined under their refs). */
export async function openMergeQuarantine(
  db: MergeReader,
  scope: MergeScope,
  refs: readonly string[],
): Promise<MergeQuarantineRow[]> {
  if (refs.length === 0) return [];
  return db
    .select({
      ref: quarantine.recordKey,
      stage: quarantine.stage,
      reasonCode: quarantine.reasonCode,
      field: quarantine.field,
      message: quarantine.message,
      createdAt: quarantine.createdAt,
    })
    .from(quarantine)
    .where(
      and(
        eq(quarantine.migrationId, scope.migrationId),
        eq(quarantine.object, scope.object),
        inArray(quarantine.recordKey, [...refs]),
        isNull(quarantine.resolvedAt),
      ),
    )
    .orderBy(asc(quarantine.recordKey));
}
