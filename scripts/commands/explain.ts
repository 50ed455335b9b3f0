import { ConfigError } from '../../common/errors';
import type { Staging } from '../../staging/db';
import {
  findMergeMember,
  mergedRefByTargetId,
  mergeLedgerRows,
  mergeLineageOf,
  mergeMembersOf,
  mergeStagedRows,
  openMergeQuarantine,
  someMergedRefs,
  type MergeMemberRow,
  type MergeScope,
} from '../../staging/repos/merge';
import { lineageExplanation, mergedObjectOutline, type FoundBy, type MergeExplanation } from '../client/explain';
import { requireMigration } from './shared';

/**
 * `tern explain <plan> <object> <key>`: where each value of a merged record came from. The key is the merged
 * record's ref (its target key, e.g. `hubspot/123`), a member's ref (`legacy/9`: its merged record is explained), or
 * the id the target gave the merged record.
 */
export async function explainMergedRecord(
  staging: Staging,
  migrationId: string,
  object: string,
  key: string,
): Promise<MergeExplanation> {
  const { plan } = await requireMigration(staging.db, migrationId);
  const merged = plan.objects.filter((o) => mergedObjectOutline(o) !== undefined).map((o) => o.name);
  const planObject = plan.objects.find((o) => o.name === object);
  if (!planObject)
    throw new ConfigError(
      `object "${object}" is not in plan "${plan.name}" (migration ${migrationId})`,
      merged.length > 0
        ? `name a merged object: ${merged.join(', ')}`
        : `plan "${plan.name}" has no merged object (one with \`sources:\`)`,
    );
  const outline = mergedObjectOutline(planObject);
  if (!outline)
    throw new ConfigError(
      `${object} is not a merged object (it has one source): \`tern explain\` reads the lineage of merged objects' records`,
      merged.length > 0
        ? `name a merged object: ${merged.join(', ')}`
        : `plan "${plan.name}" has no merged object (one with \`sources:\`); \`tern quarantine show\` and the proof pack explain one-source records`,
    );

  const scope: MergeScope = { migrationId, object };
  const asked = key.trim();
  const found = await findRecord(staging, scope, asked);
  if (!found) throw await notFound(staging, scope, asked, outline.sources);

  const { member, foundBy } = found;
  const mergedRef = member.mergedRef;
  const members = await mergeMembersOf(staging.db, scope, mergedRef);
  const refs = [...new Set([mergedRef, ...members.map((m) => m.ref)])];
  return lineageExplanation({
    migration: migrationId,
    object,
    asked,
    foundBy,
    mergedRef,
    outline,
    members: members.length > 0 ? members : [member],
    lineage: await mergeLineageOf(staging.db, scope, mergedRef),
    ledger: await mergeLedgerRows(staging.db, scope, refs),
    staged: await mergeStagedRows(staging.db, scope, refs),
    quarantine: await openMergeQuarantine(staging.db, scope, refs),
  });
}

/** The member the key names (by its ref, or by the target id its merged record was written under). */
async function findRecord(
  staging: Staging,
  scope: MergeScope,
  key: string,
): Promise<{ member: MergeMemberRow; foundBy: FoundBy } | undefined> {
  if (key === '') return undefined;
  const member = await findMergeMember(staging.db, scope, key);
  if (member) return { member, foundBy: member.ref === member.mergedRef ? 'merged ref' : 'member ref' };
  const written = await mergedRefByTargetId(staging.db, scope, key);
  const byTarget = written === undefined ? undefined : await findMergeMember(staging.db, scope, written);
  return byTarget ? { member: byTarget, foundBy: 'target id' } : undefined;
}

/** The one-line error for a key that names nothing of the object, with refs it does hold. */
async function notFound(staging: Staging, scope: MergeScope, key: string, sources: string[]): Promise<ConfigError> {
  const examples = await someMergedRefs(staging.db, scope, 3);
  const what = `${scope.object} has no merged record or member "${key}" in migration ${scope.migrationId}`;
  if (examples.length === 0)
    return new ConfigError(
      what,
      `nothing of ${scope.object} is staged as merged yet: run the phase that merges it (\`tern run full <plan>\`), then ask again`,
    );
  return new ConfigError(
    what,
    `name a merged record's ref (its target key) or a member's ref, as <source>/<source id> with a source of ${sources.join(', ')}, e.g. ${examples.join(', ')}`,
  );
}
