import type { MergedObjectPlan } from './merge-schema';
import { transformArgs, transformName, type TransformSpec } from './transforms';

/**
 * A merged object's field maps, split between the merge and the load (docs/merge.md): the sources' transforms run at
 * the merge, a reference at load (once the record it names is in the target).
 */

/** A field map's transforms, split at a `reference` (which runs at load, after the merge): before it, and it. */
export function splitAtReference(transforms: readonly TransformSpec[]): {
  before: TransformSpec[];
  reference?: { object: string; source?: string; onMissing?: unknown; placeholder?: unknown };
} {
  const at = transforms.findIndex((t) => transformName(t) === 'reference');
  if (at < 0) return { before: [...transforms] };
  return {
    before: transforms.slice(0, at),
    reference: transformArgs(transforms[at]!) as { object: string; source?: string },
  };
}

/**
 * The transforms a merged object's target field goes through at load: none (the sources' field maps ran at the
 * merge), or the reference its sources' maps end with, given the merged value (already a ref).
 */
export function mergedFieldTransforms(merge: MergedObjectPlan, field: string): TransformSpec[] {
  for (const source of merge.sources)
    for (const f of source.fields) {
      if (f.to !== field) continue;
      const { reference } = splitAtReference(f.transform);
      if (!reference) continue;
      const { source: _qualifiedAtMerge, ...args } = reference;
      return [{ reference: args }];
    }
  return [];
}
