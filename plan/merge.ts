import { buildStep, type CustomTransformFn } from './compile';
import {
  resolveIdentities,
  applyReviewDecisions,
  type MergeGroup,
  type RecordRef,
  type SourceRecord,
} from './identity';
import { splitAtReference } from './merge-fields';
import { MERGE_INFO_FIELD, MERGE_REF_FIELD, mergeRef } from './merge-ref';
import type { MergeNote } from './merge-verdict';

export { mergeVerdict, type MergeNote } from './merge-verdict';
import type { MergedObjectPlan, MergeSourcePlan } from './merge-schema';
import { checksum } from './checksum';
import { compileSurvivorship } from './survivorship';
import { textOf } from './text';
import { parseTimestampText, utcText } from './timestamps';
import { assertFaithfulText, RecordRejection, type TransformContext, type TransformFn } from './transforms';

/**
 * The merge of a merged object (docs/merge.md), pure: the records each source gave, mapped onto the object's target
 * fields, grouped by the match rules (and a person's review decisions), each group's values chosen field by field
 * with their lineage. What comes out is what staging keeps: one staged record per source record (the group's anchor
 * holding the merged values), the members' own values, and the lineage of every merged value.
 */

/** One record as a source's reader gave it. */
export interface SourceItemRead {
  position: string;
  record: Record<string, unknown>;
}

/** What staging stages for the merged object: a record (with `_ref` and `_merge`), or an item it cannot stage. */
export type MergedItem =
  | { kind: 'record'; position: string; record: Record<string, unknown> }
  | { kind: 'broken'; position: string; text: string; message: string };

export interface MemberRow {
  ref: string;
  source: string;
  sourceId: string;
  mergedRef: string;
  groupId: string;
  status: MergeNote['status'];
  matchRule: string | null;
  fields: Record<string, unknown>;
  sourceUpdatedAt: Date | null;
  /** The record as its source gave it, and where its reader found it: a merge is made again from these. */
  raw: Record<string, unknown>;
  readAt: string;
}

export interface LineageRow {
  mergedRef: string;
  field: string;
  position: number;
  value: unknown;
  source: string;
  sourceId: string;
  sourceField: string | null;
  rule: string;
}

export interface MergeResult {
  items: MergedItem[];
  members: MemberRow[];
  lineage: LineageRow[];
}

/** The review decisions a plan carries (read from its review file when it was loaded). */
export type PlanDecision = 'merge' | { split: string[][] };

interface MappedRecord extends SourceRecord {
  position: string;
  readAt: string;
  raw: Record<string, unknown>;
  rejected?: { field: string; code: string; message: string };
}

const UNREFERENCED: TransformContext['resolveReference'] = () => ({ found: false });

const isRejection = (err: unknown): err is { code: string; message: string } =>
  err instanceof RecordRejection ||
  (err instanceof Error && err.name === 'RecordRejection' && typeof (err as { code?: unknown }).code === 'string');

/** A source's field map, compiled: each target field from its column through the transforms before a reference. */
function compileSourceMap(
  source: MergeSourcePlan,
  custom: Readonly<Record<string, CustomTransformFn>>,
  mergedObjects: ReadonlySet<string>,
): (raw: Record<string, unknown>) => { fields: Record<string, unknown> } | { rejected: MappedRecord['rejected'] } {
  const steps = source.fields.map((f) => {
    const { before, reference } = splitAtReference(f.transform);
    const fns: TransformFn[] = before.map((spec) => buildStep(spec, custom));
    // A reference names the source its ids come from, or means the record's own: the merged record's ref is then
    // `source/id`, which the reference at load follows to the record it was merged into.
    const qualify =
      reference === undefined || !mergedObjects.has(reference.object)
        ? undefined
        : (id: string): string => mergeRef(reference.source ?? source.source, id);
    return { from: f.from, to: f.to, fns, qualify };
  });
  return (raw) => {
    const ctx: TransformContext = { record: raw, resolveReference: UNREFERENCED };
    const fields: Record<string, unknown> = {};
    for (const step of steps) {
      const value = step.from === undefined ? null : (raw[step.from] ?? null);
      try {
        assertFaithfulText(value);
        let out = step.fns.reduce<unknown>((v, fn) => fn(v, ctx), value);
        if (step.qualify) out = qualifyElements(out, step.qualify);
        assertFaithfulText(out);
        fields[step.to] = out;
      } catch (err) {
        if (!isRejection(err)) throw err;
        const name = step.from ?? step.to;
        return {
          rejected: { field: name, code: err.code, message: `${source.source}: ${name} → ${step.to}: ${err.message}` },
        };
      }
    }
    return { fields };
  };
}

function qualifyElements(value: unknown, qualify: (id: string) => string): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => qualifyElements(v, qualify));
  const id = textOf(value).trim();
  return id === '' ? null : qualify(id);
}

function parseUpdatedAt(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  const parsed = parseTimestampText(textOf(value).trim());
  return parsed ? new Date(utcText(parsed)) : null;
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compiles the merge of one merged object: from each source's records (by source name, in read order) to what
 * staging keeps. Deterministic: the same records give the same groups, anchors, values and order, in any read order.
 * Nothing is dropped: a record without an id or with an id its source used before comes back as a broken item.
 */
export function compileMerge(
  merge: MergedObjectPlan & { decisions?: Record<string, PlanDecision> },
  custom: Readonly<Record<string, CustomTransformFn>> = {},
  /** The plan's merged objects: a reference to one of them is made a ref (`source/id`) at the merge. */
  mergedObjects: ReadonlySet<string> = new Set(),
): (
  bySource: ReadonlyMap<string, readonly SourceItemRead[]>,
  /**
   * The refs of records that anchored a merged record in the previous merge (their ref is a target key, which target
   * rows and references to them hold): a group containing one keeps it as its anchor, so a record joining an existing
   * group later never moves the merged record to another key.
   */
  previousAnchors?: ReadonlySet<string>,
) => MergeResult {
  const rank = new Map(merge.sources.map((s, i) => [s.source, i]));
  const maps = new Map(merge.sources.map((s) => [s.source, compileSourceMap(s, custom, mergedObjects)]));
  const survive = compileSurvivorship(merge, custom);
  const decisions = new Map(
    Object.entries(merge.decisions ?? {}).map(([group, d]) => [
      group,
      d === 'merge'
        ? ({ kind: 'merge' } as const)
        : {
            kind: 'split' as const,
            parts: d.split.map((part) =>
              part.map((text): RecordRef => {
                const slash = text.indexOf('/');
                return { source: text.slice(0, slash), sourceId: text.slice(slash + 1) };
              }),
            ),
          },
    ]),
  );
  return (bySource, previousAnchors = new Set()) => {
    const was = (r: RecordRef): number => (previousAnchors.has(mergeRef(r.source, r.sourceId)) ? 0 : 1);
    const byAnchor = (a: RecordRef, b: RecordRef): number =>
      was(a) - was(b) || (rank.get(a.source) ?? 0) - (rank.get(b.source) ?? 0) || compareIds(a.sourceId, b.sourceId);
    const items: MergedItem[] = [];
    const members: MemberRow[] = [];
    const lineage: LineageRow[] = [];
    const mapped: MappedRecord[] = [];
    for (const source of merge.sources) {
      const seen = new Map<string, string>();
      const map = maps.get(source.source)!;
      for (const item of bySource.get(source.source) ?? []) {
        const position = `${source.source} ${item.position}`;
        const sourceId = textOf(item.record[source.id] ?? '').trim();
        const problem =
          sourceId === ''
            ? `${source.source} ${source.object}: ${source.id} is blank; a merged record needs its source id (fix the source record)`
            : seen.has(sourceId)
              ? `${source.source} ${source.object}: ${source.id} ${sourceId} was already used by ${seen.get(sourceId)}; ids must be unique in their source`
              : null;
        if (problem) {
          items.push({ kind: 'broken', position, text: JSON.stringify(item.record), message: problem });
          continue;
        }
        seen.set(sourceId, position);
        const out = map(item.record);
        const updatedAt = source.updatedAt ? parseUpdatedAt(item.record[source.updatedAt]) : null;
        mapped.push({
          source: source.source,
          sourceId,
          updatedAt,
          fields: 'fields' in out ? out.fields : {},
          position,
          readAt: item.position,
          raw: item.record,
          rejected: 'rejected' in out ? out.rejected : undefined,
        });
      }
    }

    const byRef = new Map(mapped.map((r) => [mergeRef(r.source, r.sourceId), r]));
    const usable = mapped.filter((r) => !r.rejected);
    const resolution = applyReviewDecisions(resolveIdentities(usable, merge.match), decisions).resolution;
    const groups: MergeGroup[] = [...resolution.groups];
    for (const r of mapped)
      if (r.rejected) {
        const ref = { source: r.source, sourceId: r.sourceId };
        groups.push({
          id: `mg_${checksum([mergeRef(r.source, r.sourceId)]).slice(0, 16)}`,
          members: [ref],
          status: 'single',
          rule: null,
          links: [],
        });
      }

    const staged: { anchorRef: string; item: MergedItem }[] = [];
    for (const group of groups) {
      const records = [...group.members].sort(byAnchor).map((m) => byRef.get(mergeRef(m.source, m.sourceId))!);
      const anchor = records[0]!;
      const anchorRef = mergeRef(anchor.source, anchor.sourceId);
      const member = (r: MappedRecord, status: MemberRow['status'], mergedRef: string): void => {
        members.push({
          ref: mergeRef(r.source, r.sourceId),
          source: r.source,
          sourceId: r.sourceId,
          mergedRef,
          groupId: group.id,
          status,
          matchRule: group.rule,
          fields: r.fields,
          sourceUpdatedAt: r.updatedAt,
          raw: r.raw,
          readAt: r.readAt,
        });
      };
      const stage = (r: MappedRecord, fields: Record<string, unknown>, note: MergeNote): void => {
        const ref = mergeRef(r.source, r.sourceId);
        staged.push({
          anchorRef,
          item: {
            kind: 'record',
            position: r.position,
            record: { ...fields, [MERGE_REF_FIELD]: ref, [MERGE_INFO_FIELD]: note },
          },
        });
      };

      if (anchor.rejected) {
        member(anchor, 'rejected', anchorRef);
        stage(anchor, {}, { group: group.id, status: 'rejected', rejected: anchor.rejected, source: anchor.raw });
        continue;
      }
      if (group.status === 'review') {
        // Tern does not merge these on its own: each stays itself, held until a person decides.
        for (const r of records) {
          member(r, 'review', mergeRef(r.source, r.sourceId));
          stage(r, r.fields, { group: group.id, status: 'review', ...(group.rule ? { rule: group.rule } : {}) });
        }
        continue;
      }
      const status = group.status;
      const survived = survive(records);
      for (const r of records) member(r, status, anchorRef);
      const rule = group.rule ?? undefined;
      if (!survived.ok) {
        // The group is quarantined whole, never half merged: its anchor carries why, the others lead to it.
        stage(
          anchor,
          {},
          {
            group: group.id,
            status,
            rule,
            members: records.length,
            rejected: { field: survived.field, code: survived.code, message: survived.message },
          },
        );
      } else {
        const values: Record<string, unknown> = {};
        for (const [field, s] of Object.entries(survived.fields)) {
          values[field] = s.value;
          if (s.elements)
            s.elements.forEach((e, position) =>
              lineage.push({ mergedRef: anchorRef, field, position, value: e.value, ...e.lineage }),
            );
          else
            for (const l of s.lineage) lineage.push({ mergedRef: anchorRef, field, position: 0, value: s.value, ...l });
        }
        stage(anchor, values, { group: group.id, status, ...(rule ? { rule } : {}), members: records.length });
      }
      for (const r of records.slice(1))
        stage(r, r.fields, { group: group.id, status, ...(rule ? { rule } : {}), into: anchorRef });
    }
    // Staged in the order of the merged records' refs, each anchor before the records merged into it.
    staged.sort((a, b) => compareIds(a.anchorRef, b.anchorRef));
    items.push(...staged.map((s) => s.item));
    return { items, members, lineage };
  };
}
