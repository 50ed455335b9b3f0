import type { ObjectPlan } from './schema';
import type { FilterRule } from './schema';
import { textOf } from './text';
import { composeTransforms, parseDate, RecordRejection, standaloneContext, type TransformSpec } from './transforms';

/**
 * The plan's record-level rules, applied before mapping: the purge (filters) and deduplication with a
 * survivorship rule. Pure functions over raw staged records; the activities persist their decisions.
 */

export const isBlankValue = (v: unknown): boolean =>
  v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || textOf(v).trim() === '';

/** The name a filter rule is reported under: its own, or a description of its test. */
export function filterRuleName(rule: FilterRule): string {
  if (rule.name) return rule.name;
  if (rule.in) return `${rule.field} in [${rule.in.join(', ')}]`;
  if (rule.blank !== undefined) return `${rule.field} ${rule.blank ? 'is blank' : 'is not blank'}`;
  if (rule.before) return `${rule.field} before ${rule.before}`;
  if (rule.onOrAfter) return `${rule.field} on or after ${rule.onOrAfter}`;
  return `${rule.field} matches /${rule.matches ?? ''}/`;
}

const regexCache = new Map<string, RegExp>();
function regexOf(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) regexCache.set(source, (re = new RegExp(source)));
  return re;
}

/** Whether a record matches one filter rule (see plan/schema.ts for each test's meaning). */
export function matchesFilter(rule: FilterRule, record: Record<string, unknown>): boolean {
  const value = record[rule.field];
  const blank = isBlankValue(value);
  if (rule.blank !== undefined) return rule.blank === blank;
  const text = blank ? '' : textOf(value).trim();
  if (rule.in) {
    const wanted = text.toLowerCase();
    return rule.in.some((candidate) => candidate.trim().toLowerCase() === wanted);
  }
  if (rule.matches !== undefined) return regexOf(rule.matches).test(text);
  if (blank) return false;
  // Dates compare as YYYY-MM-DD text; a value that is not a date never matches a date test.
  const date = parseDate(text, 'auto');
  if (date === undefined) return false;
  if (rule.before) return date < rule.before;
  if (rule.onOrAfter) return date >= rule.onOrAfter;
  return false;
}

/** The first filter rule a record matches, by name; undefined when the record is to be migrated. */
export function firstMatchingFilter(rules: readonly FilterRule[], record: Record<string, unknown>): string | undefined {
  const rule = rules.find((r) => matchesFilter(r, record));
  return rule ? filterRuleName(rule) : undefined;
}

/** Normalised text of a dedupe key part: trimmed, lower-cased, inner whitespace collapsed. */
export function normaliseKeyPart(value: unknown): string {
  if (isBlankValue(value)) return '';
  return textOf(value).trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The normalising transforms of a dedupe rule, compiled once; a rejected value is blank. */
export function keyNormalisers(
  normalise: Readonly<Record<string, readonly TransformSpec[]>> = {},
): (field: string, value: unknown) => unknown {
  const compiled = new Map(Object.entries(normalise).map(([f, specs]) => [f, composeTransforms([...specs])]));
  return (field, value) => {
    const fn = compiled.get(field);
    if (!fn) return value;
    try {
      return fn(value, standaloneContext());
    } catch (err) {
      if (err instanceof RecordRejection) return null;
      throw err;
    }
  };
}

/** The record's dedupe key, or null when every key part is blank (such records are never duplicates). */
export function dedupeKeyOf(
  fields: readonly string[],
  record: Record<string, unknown>,
  normalise: (field: string, value: unknown) => unknown = (_f, v) => v,
): string | null {
  const parts = fields.map((f) => normaliseKeyPart(normalise(f, record[f])));
  return parts.every((p) => p === '') ? null : JSON.stringify(parts);
}

/** Number of non-blank fields of a record (the `most_complete` survivorship rule). */
export function completeness(record: Record<string, unknown>): number {
  return Object.values(record).filter((v) => !isBlankValue(v)).length;
}

export interface DedupeCandidate {
  sourceId: string;
  ordinal: number;
  updatedAt: Date | null;
  record: Record<string, unknown>;
}

export interface DuplicateGroups {
  /** Keys held by more than one record. */
  groups: number;
  /** Records in those groups. */
  records: number;
  /** Records beyond the first of each group (records − groups). */
  excess: number;
}

/**
 * Groups records by dedupe key as they are added, and decides the survivors. Memory is one small entry per
 * distinct key.
 */
type DedupeRule = NonNullable<ObjectPlan['dedupe']>;

export class Deduplicator {
  private readonly best = new Map<string, { winner: DedupeCandidate; score: number[]; members: string[] }>();
  private readonly normalise: (field: string, value: unknown) => unknown;
  /** `match: any`: union-find over records (by source id), and the first record seen with each key value. */
  private readonly parent = new Map<string, string>();
  private readonly owners = new Map<string, string>();
  private readonly candidates = new Map<string, { candidate: DedupeCandidate; score: number[]; key: string }>();

  constructor(
    private readonly rule: Pick<DedupeRule, 'key' | 'survivor'> & Partial<Pick<DedupeRule, 'match' | 'normalise'>>,
  ) {
    this.normalise = keyNormalisers(rule.normalise);
  }

  private root(id: string): string {
    let r = id;
    while (this.parent.get(r) !== r) r = this.parent.get(r)!;
    // Path compression keeps later lookups short.
    let at = id;
    while (at !== r) {
      const next = this.parent.get(at)!;
      this.parent.set(at, r);
      at = next;
    }
    return r;
  }

  private addAny(candidate: DedupeCandidate): void {
    const keys = this.rule.key
      .map((f) => [f, normaliseKeyPart(this.normalise(f, candidate.record[f]))] as const)
      .filter(([, v]) => v !== '')
      .map(([f, v]) => JSON.stringify([f, v]));
    if (keys.length === 0) return;
    this.parent.set(candidate.sourceId, candidate.sourceId);
    this.candidates.set(candidate.sourceId, { candidate, score: this.score(candidate), key: keys[0]! });
    for (const key of keys) {
      const owner = this.owners.get(key);
      if (owner === undefined) this.owners.set(key, candidate.sourceId);
      else {
        const a = this.root(owner);
        const b = this.root(candidate.sourceId);
        if (a !== b) this.parent.set(b, a);
      }
    }
  }

  /** The survivor's ranking: higher wins; ties go to the earlier record. */
  private score(c: DedupeCandidate): number[] {
    switch (this.rule.survivor) {
      case 'first':
        return [-c.ordinal];
      case 'last':
        return [c.ordinal];
      case 'latest_updated':
        return [c.updatedAt ? c.updatedAt.getTime() : Number.NEGATIVE_INFINITY, -c.ordinal];
      case 'most_complete':
        return [completeness(c.record), -c.ordinal];
    }
  }

  add(candidate: DedupeCandidate): void {
    if (this.rule.match === 'any') return this.addAny(candidate);
    const key = dedupeKeyOf(this.rule.key, candidate.record, this.normalise);
    if (key === null) return;
    const score = this.score(candidate);
    const group = this.best.get(key);
    if (!group) {
      this.best.set(key, { winner: candidate, score, members: [candidate.sourceId] });
      return;
    }
    group.members.push(candidate.sourceId);
    if (compareScores(score, group.score) > 0) {
      group.winner = candidate;
      group.score = score;
    }
  }

  /** Every non-survivor with its survivor, and the group figures. */
  result(): { duplicates: Map<string, { survivor: string; key: string }>; figures: DuplicateGroups } {
    if (this.rule.match === 'any') {
      // Groups are the union-find's trees; their winner as with `all`, in the order records came.
      for (const [id, c] of this.candidates) {
        const root = this.root(id);
        const group = this.best.get(root);
        if (!group) this.best.set(root, { winner: c.candidate, score: c.score, members: [id] });
        else {
          group.members.push(id);
          if (compareScores(c.score, group.score) > 0) {
            group.winner = c.candidate;
            group.score = c.score;
          }
        }
      }
      const keyOf = new Map([...this.candidates].map(([id, c]) => [this.root(id), c.key]));
      const out = this.groups();
      for (const [member, d] of out.duplicates)
        out.duplicates.set(member, { ...d, key: keyOf.get(this.root(member)) ?? d.key });
      return out;
    }
    return this.groups();
  }

  private groups(): { duplicates: Map<string, { survivor: string; key: string }>; figures: DuplicateGroups } {
    const duplicates = new Map<string, { survivor: string; key: string }>();
    let groups = 0;
    let records = 0;
    for (const [key, group] of this.best) {
      if (group.members.length < 2) continue;
      groups += 1;
      records += group.members.length;
      for (const member of group.members)
        if (member !== group.winner.sourceId) duplicates.set(member, { survivor: group.winner.sourceId, key });
    }
    return { duplicates, figures: { groups, records, excess: records - groups } };
  }
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}
