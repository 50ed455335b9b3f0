import type { ObjectPlan } from './schema';
import type { FilterRule } from './schema';
import { textOf } from './text';
import { parseDate } from './transforms';

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

/** The record's dedupe key, or null when every key part is blank (such records are never duplicates). */
export function dedupeKeyOf(fields: readonly string[], record: Record<string, unknown>): string | null {
  const parts = fields.map((f) => normaliseKeyPart(record[f]));
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
export class Deduplicator {
  private readonly best = new Map<string, { winner: DedupeCandidate; score: number[]; members: string[] }>();

  constructor(private readonly rule: NonNullable<ObjectPlan['dedupe']>) {}

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
    const key = dedupeKeyOf(this.rule.key, candidate.record);
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
