import type { MergeReconciliation, MergeSourceCount } from '../../activities/reconcile-merge';

/**
 * A merged object's proof per source as people read it under the object's reconciliation (a phase's result,
 * `tern reconcile`, `tern status`): each source's count equation as one table row, the merged groups, and per sums
 * field the records that were not merged adding up source by source to the target, then the merged groups' figures
 * source by source beside the survivorship rules' outcome.
 */

/** The table's columns: header and the count it shows. */
const COLUMNS: [string, (s: MergeSourceCount) => number][] = [
  ['read', (s) => s.read],
  ['survivors', (s) => s.survivors],
  ['merged into', (s) => s.mergedInto],
  ['quarantined', (s) => s.quarantined],
  ['filtered', (s) => s.filtered],
  ['deleted', (s) => s.deleted],
  ['unaccounted', (s) => s.unaccounted],
];

/** The lines, each starting with `indent`; `label` names a sums field in them (`companies.revenue`, or `revenue`). */
export function mergeReconciliationLines(
  merge: MergeReconciliation,
  indent: string,
  label: (field: string) => string = (field) => field,
): string[] {
  const header = ['source', ...COLUMNS.map(([h]) => h)];
  const rows = merge.sources.map((s) => [s.source, ...COLUMNS.map(([, count]) => String(count(s)))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  for (const s of merge.sources)
    if (s.unaccounted !== 0)
      out.push(
        `${indent}${s.source}: ${s.unaccounted} record(s) read but neither a survivor, merged, quarantined, filtered nor deleted ✗`,
      );
  out.push(`${indent}${groupsLine(merge.groups)}`);
  for (const [field, sum] of Object.entries(merge.sums)) {
    const { single, merged } = sum;
    const terms = Object.entries(single.bySource).map(([source, total]) => `${source} ${total}`);
    out.push(
      `${indent}${label(field)}, not merged: ${terms.join(' + ') || '0'} = ${single.total} ${single.ok ? '=' : '≠'} target ${single.merged} ${single.ok ? '✓' : '✗'}`,
    );
    if (merged.groups > 0) {
      const figures = Object.entries(merged.bySource).map(([source, total]) => `${source} ${total}`);
      out.push(
        `${indent}${label(field)}, ${merged.groups} merged group${merged.groups === 1 ? '' : 's'}: ${figures.join(', ')} → ${merged.outcome} by the rules`,
      );
    }
  }
  return out;
}

/** The merged groups in one line: merged, under review, refused, and the records merged with no other. */
export function groupsLine(g: MergeReconciliation['groups']): string {
  return [
    `groups: ${g.merged} merged (${g.mergedRecords} records)`,
    `${g.review} awaiting a review decision (${g.reviewRecords} records)`,
    `${g.rejected} record(s) in refused merges`,
    `${g.single} record(s) merged with no other`,
  ].join(', ');
}
