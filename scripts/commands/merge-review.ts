import fs from 'node:fs';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { ConfigError } from '../../common/errors';
import { resolveIdentities } from '../../plan/identity';
import type { LoadedPlan } from '../../plan/load';
import type { Staging } from '../../staging/db';
import { mergeMembers } from '../../staging/schema';
import { updateReviewFile } from '../client/merge-review';
import { requireMigration } from './shared';

/** What `tern merge review` wrote. */
export interface MergeReviewOutcome {
  object: string;
  file: string;
  /** Records in groups under review. */
  records: number;
  added: string[];
  decided: string[];
  undecided: string[];
  dropped: string[];
}

/**
 * `tern merge review <plan> <object>`: writes the object's review file from the last merge in staging: the groups
 * Tern would not merge on its own (two records of one source met), with how their records matched, for a person to
 * decide. Decisions already written are kept.
 */
export async function writeMergeReview(
  staging: Staging,
  loaded: LoadedPlan,
  objectName: string,
  options: { migrationId: string; out?: string },
): Promise<MergeReviewOutcome> {
  const object = loaded.plan.objects.find((o) => o.name === objectName);
  const merged = loaded.plan.objects.filter((o) => o.merge).map((o) => o.name);
  if (!object?.merge)
    throw new ConfigError(
      `object "${objectName}" of ${loaded.file} is ${object ? 'not merged from several sources' : 'not in the plan'}: a review file decides a merged object's groups`,
      merged.length > 0 ? `name a merged object: ${merged.join(', ')}` : 'the plan has no object with `sources:`',
    );
  const named = options.out ?? object.merge.review;
  if (!named)
    throw new ConfigError(
      `object "${objectName}" names no review file`,
      `add \`review: ${objectName}.merge-review.yaml\` to it in ${loaded.file} (the plan reads the decisions from there), or pass --out <file>`,
    );
  await requireMigration(staging.db, options.migrationId);
  const rows = await staging.db
    .select()
    .from(mergeMembers)
    .where(
      and(
        eq(mergeMembers.migrationId, options.migrationId),
        eq(mergeMembers.object, objectName),
        eq(mergeMembers.status, 'review'),
      ),
    );
  // The keys that joined each group, found again from the members' values under the plan's rules.
  const review = resolveIdentities(
    rows.map((r) => ({
      source: r.source,
      sourceId: r.sourceId,
      updatedAt: r.sourceUpdatedAt,
      fields: r.fields as Record<string, unknown>,
    })),
    object.merge.match,
  ).review;
  const file = path.resolve(loaded.baseDir, named);
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  const update = updateReviewFile(existing, objectName, review);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, update.text);
  return {
    object: objectName,
    file,
    records: rows.length,
    added: update.added,
    decided: update.decided,
    undecided: update.undecided,
    dropped: update.dropped,
  };
}

export function formatMergeReview(outcome: MergeReviewOutcome, planFile: string): string {
  const lines = [
    `${outcome.object}: ${outcome.undecided.length} group(s) await a decision (${outcome.records} record(s) under review), ${outcome.decided.length} decided; wrote ${outcome.file}`,
  ];
  if (outcome.added.length > 0) lines.push(`  new: ${outcome.added.join(', ')}`);
  if (outcome.dropped.length > 0) lines.push(`  dropped (their records changed since): ${outcome.dropped.join(', ')}`);
  lines.push(
    outcome.undecided.length > 0
      ? `  next: set each group's decision (merge, or { split: [[source/id, …], …] }), then \`tern plan validate ${planFile}\` and run the phase again`
      : `  nothing to decide: \`tern plan validate ${planFile}\`, then run the phase`,
  );
  return lines.join('\n');
}
