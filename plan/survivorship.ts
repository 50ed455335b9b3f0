import { canonicalJson } from './checksum';
import { buildStep, type CustomTransformFn } from './compile';
import type { SourceRecord } from './identity';
import type { MergedObjectPlan, SurvivorshipRule } from './merge-schema';
import { completeness, isBlankValue, normaliseKeyPart } from './rules';
import { RecordRejection, transformName, type TransformContext } from './transforms';

/**
 * Survivorship per field (docs/merge.md): for each target field of a merge group, the value the merged record
 * keeps, and where it came from. Pure: no I/O.
 */

/** Where a merged value came from, and the rule that chose it. */
export interface Lineage {
  source: string;
  sourceId: string;
  /** The source column the value was mapped from; null for a constant field (no `from`). */
  sourceField: string | null;
  rule: string;
}

export interface SurvivingField {
  value: unknown;
  rule: string;
  /**
   * The record the value was taken from (one entry); every record a transform was given when its result is none
   * of their values; none when every record's value is blank.
   */
  lineage: Lineage[];
  /** Union fields: each value once, with the record it was first taken from. */
  elements?: { value: unknown; lineage: Lineage }[];
}

export type SurvivalResult =
  { ok: true; fields: Record<string, SurvivingField> } | { ok: false; field: string; code: string; message: string };

/** One record's value for one target field. */
interface Candidate {
  record: SourceRecord;
  value: unknown;
  sourceField: string | null;
  /** The source's position in the object's `sources`. */
  sourceRank: number;
}

const blank = (v: unknown): boolean => (Array.isArray(v) ? v.every(blank) : isBlankValue(v));

/** The base order of candidates: by the object's `sources`, then source id, whatever order the group came in. */
const baseOrder = (a: Candidate, b: Candidate): number =>
  a.sourceRank - b.sourceRank ||
  (a.record.sourceId < b.record.sourceId ? -1 : a.record.sourceId > b.record.sourceId ? 1 : 0);

/** The best candidate by a score (higher wins), ties to the first in base order; undefined when all are blank. */
function best(candidates: readonly Candidate[], score: (c: Candidate) => number): Candidate | undefined {
  let winner: Candidate | undefined;
  let top = Number.NEGATIVE_INFINITY;
  for (const c of candidates) {
    if (blank(c.value)) continue;
    const s = score(c);
    if (winner === undefined || s > top) [winner, top] = [c, s];
  }
  return winner;
}

const lineageOf = (c: Candidate, rule: string): Lineage => ({
  source: c.record.source,
  sourceId: c.record.sourceId,
  sourceField: c.sourceField,
  rule,
});

const elementsOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

type FieldPicker = (candidates: Candidate[], ctx: TransformContext) => SurvivingField;

function picker(
  rule: SurvivorshipRule,
  sourceNames: readonly string[],
  custom: Readonly<Record<string, CustomTransformFn>>,
): FieldPicker {
  const chosen = (rule: string, c: Candidate | undefined): SurvivingField =>
    c ? { value: c.value, rule, lineage: [lineageOf(c, rule)] } : { value: null, rule, lineage: [] };
  switch (rule.rule) {
    case 'priority': {
      // Sources the rule does not list follow those it does, in the object's order.
      const rank = (source: string): number => {
        const listed = rule.sources.indexOf(source);
        return listed >= 0 ? listed : rule.sources.length + sourceNames.indexOf(source);
      };
      return (candidates) =>
        chosen(
          'priority',
          best(candidates, (c) => -rank(c.record.source)),
        );
    }
    case 'most_recent':
      // A record without an updated-at (or with one that is not a time) is older than any that has one.
      return (candidates) =>
        chosen(
          'most_recent',
          best(candidates, (c) => {
            const time = c.record.updatedAt?.getTime();
            return time === undefined || Number.isNaN(time) ? Number.MIN_SAFE_INTEGER : time;
          }),
        );
    case 'most_complete':
      return (candidates) =>
        chosen(
          'most_complete',
          best(candidates, (c) => completeness(c.record.fields)),
        );
    case 'union':
      return (candidates) => {
        const seen = new Set<string>();
        const elements: { value: unknown; lineage: Lineage }[] = [];
        for (const c of candidates)
          for (const element of elementsOf(c.value)) {
            const key = normaliseKeyPart(element);
            if (key === '' || seen.has(key)) continue;
            seen.add(key);
            elements.push({ value: element, lineage: lineageOf(c, 'union') });
          }
        return {
          value: elements.length === 0 ? null : elements.map((e) => e.value),
          rule: 'union',
          lineage: elements.map((e) => e.lineage),
          elements,
        };
      };
    case 'transform': {
      const name = `transform ${transformName(rule.transform)}`;
      const fn = buildStep(rule.transform, custom);
      return (candidates, ctx) => {
        const given = candidates.filter((c) => !blank(c.value));
        const value = fn(
          given.map((c) => c.value),
          ctx,
        );
        // A result equal to one record's value came from that record; anything else from all of them.
        const from = given.find((c) => canonicalJson(c.value) === canonicalJson(value));
        return { value, rule: name, lineage: (from ? [from] : given).map((c) => lineageOf(c, name)) };
      };
    }
  }
}

const isRejection = (err: unknown): err is { code: string; message: string } =>
  err instanceof RecordRejection ||
  (err instanceof Error && err.name === 'RecordRejection' && typeof (err as { code?: unknown }).code === 'string');

/**
 * Compiles a merged object's survivorship into one function from a merge group's records (their fields mapped onto
 * the target fields) to the merged record: every target field with its value and lineage. A field the plan gives
 * no rule takes the first non-blank value in the order of `sources`. A transform that rejects the values fails the
 * group with the field, its code and message (the group is quarantined, never half merged).
 */
export function compileSurvivorship(
  object: MergedObjectPlan,
  custom: Readonly<Record<string, CustomTransformFn>> = {},
): (members: readonly SourceRecord[]) => SurvivalResult {
  const sourceNames = object.sources.map((s) => s.source);
  const fields = [...new Set(object.sources.flatMap((s) => s.fields.map((f) => f.to)))];
  const defaultRule: SurvivorshipRule = { rule: 'priority', sources: sourceNames };
  const pickers = new Map(
    fields.map((field) => [field, picker(object.survivorship[field] ?? defaultRule, sourceNames, custom)]),
  );
  const fromOf = new Map(object.sources.map((s) => [s.source, new Map(s.fields.map((f) => [f.to, f.from ?? null]))]));

  return (members) => {
    // Transforms read the group's records as `source/source id` (a group a person merged may hold two of one source).
    const ctx: TransformContext = {
      record: Object.fromEntries(members.map((m) => [`${m.source}/${m.sourceId}`, m.fields])),
      resolveReference: () => ({ found: false }),
    };
    const out: Record<string, SurvivingField> = {};
    for (const field of fields) {
      const candidates: Candidate[] = [];
      for (const record of members) {
        const from = fromOf.get(record.source);
        if (!from)
          throw new Error(
            `record ${record.source}/${record.sourceId}: "${record.source}" is not a source of ${object.name}`,
          );
        if (!from.has(field)) continue;
        candidates.push({
          record,
          value: record.fields[field] ?? null,
          sourceField: from.get(field)!,
          sourceRank: sourceNames.indexOf(record.source),
        });
      }
      candidates.sort(baseOrder);
      try {
        out[field] = pickers.get(field)!(candidates, ctx);
      } catch (err) {
        if (isRejection(err)) return { ok: false, field, code: err.code, message: `${field}: ${err.message}` };
        throw err;
      }
    }
    return { ok: true, fields: out };
  };
}
