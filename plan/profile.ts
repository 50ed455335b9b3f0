import { isBlankValue } from './rules';
import { textOf } from './text';

/**
 * The profile of one source object, computed record by record (docs/preferences.md defines every figure).
 * Pure: the preferences activity feeds it staged records and stores the result.
 */

export type ValueKind = 'number' | 'date' | 'boolean' | 'email' | 'text';

export interface DateClasses {
  iso: number;
  monthFirst: number;
  dayFirst: number;
  ambiguous: number;
  sameDayMonth: number;
  invalid: number;
}

export interface FieldProfile {
  field: string;
  blank: number;
  blankPercent: number;
  /** Distinct values after trimming (how the value will be matched). */
  distinct: number;
  /**
   * Distinct values as written, before trimming ("Won" and "Won " are two spellings of one value); absent from
   * profiles stored before it was counted.
   */
  rawDistinct?: number;
  top: { value: string; count: number }[];
  picklistCandidate: boolean;
  /** Every distinct value with its count, for picklist candidates only. */
  values?: { value: string; count: number }[];
  maxLength: number;
  multiValue: number;
  types: Record<ValueKind, number>;
  dominantType: ValueKind | null;
  typeAnomalies: number;
  dates?: DateClasses & { verdict: 'ISO' | 'MM/DD' | 'DD/MM' | 'mixed' | 'undetermined' };
}

export interface ObjectProfile {
  object: string;
  rows: number;
  fields: FieldProfile[];
}

const NUMBER = /^-?\d+(\.\d+)?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const BOOLEAN = new Set(['true', 'false', 'yes', 'no', 'y', 'n', 't', 'f']);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;
const SLASHED_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;

const isRealDate = (y: number, m: number, d: number): boolean => {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
};

/** The date class of a trimmed non-blank value, or undefined when it does not look like a date at all. */
export function classifyDate(text: string): keyof DateClasses | undefined {
  const iso = ISO_DATE.exec(text);
  if (iso) return isRealDate(Number(iso[1]), Number(iso[2]), Number(iso[3])) ? 'iso' : 'invalid';
  const s = SLASHED_DATE.exec(text);
  if (!s) return undefined;
  const a = Number(s[1]);
  const b = Number(s[2]);
  const y = Number(s[3]);
  if (a <= 12 && b > 12) return isRealDate(y, a, b) ? 'monthFirst' : 'invalid';
  if (b <= 12 && a > 12) return isRealDate(y, b, a) ? 'dayFirst' : 'invalid';
  if (a <= 12 && b <= 12) {
    if (a === 0 || b === 0) return 'invalid';
    return a === b ? 'sameDayMonth' : 'ambiguous';
  }
  return 'invalid';
}

/** The kind of a trimmed non-blank value. */
export function classifyValue(text: string): ValueKind {
  if (NUMBER.test(text)) return 'number';
  if (classifyDate(text) !== undefined) return 'date';
  if (BOOLEAN.has(text.toLowerCase())) return 'boolean';
  if (EMAIL.test(text)) return 'email';
  return 'text';
}

interface FieldState {
  blank: number;
  /** Non-blank values after trimming, with their counts. */
  counts: Map<string, number>;
  /**
   * Trimmed values also written with surrounding spaces: whether they were also seen as is, and the padded
   * spellings. Kept only for padded values, so an id column costs nothing more.
   */
  padded: Map<string, { asIs: boolean; spellings: Set<string> }>;
  maxLength: number;
  multiValue: number;
  types: Record<ValueKind, number>;
  dates: DateClasses;
}

const PICKLIST_MAX_DISTINCT = 200;
const TOP = 10;

export class ProfileBuilder {
  private rows = 0;
  private readonly fields = new Map<string, FieldState>();

  constructor(private readonly object: string) {}

  private state(field: string): FieldState {
    let s = this.fields.get(field);
    if (!s) {
      s = {
        // A field first seen late was blank in every earlier record.
        blank: this.rows,
        counts: new Map(),
        padded: new Map(),
        maxLength: 0,
        multiValue: 0,
        types: { number: 0, date: 0, boolean: 0, email: 0, text: 0 },
        dates: { iso: 0, monthFirst: 0, dayFirst: 0, ambiguous: 0, sameDayMonth: 0, invalid: 0 },
      };
      this.fields.set(field, s);
    }
    return s;
  }

  add(record: Record<string, unknown>): void {
    for (const field of Object.keys(record)) this.state(field);
    for (const [field, s] of this.fields) {
      const value = record[field];
      if (isBlankValue(value)) {
        s.blank += 1;
        continue;
      }
      const raw = typeof value === 'string' ? value : textOf(value);
      const text = raw.trim();
      const seen = s.counts.get(text) ?? 0;
      const padded = s.padded.get(text);
      if (raw !== text) {
        // Every earlier occurrence was written as is when no padded spelling was seen before.
        if (padded) padded.spellings.add(raw);
        else s.padded.set(text, { asIs: seen > 0, spellings: new Set([raw]) });
      } else if (padded) {
        padded.asIs = true;
      }
      s.counts.set(text, seen + 1);
      const length = [...text].length;
      if (length > s.maxLength) s.maxLength = length;
      if (text.includes(',') || text.includes(';')) s.multiValue += 1;
      const kind = classifyValue(text);
      s.types[kind] += 1;
      const dateClass = classifyDate(text);
      if (dateClass) s.dates[dateClass] += 1;
    }
    this.rows += 1;
  }

  finish(): ObjectProfile {
    const fields: FieldProfile[] = [];
    for (const [field, s] of this.fields) {
      const nonBlank = this.rows - s.blank;
      const sorted = [...s.counts.entries()]
        .map(([value, count]) => ({ value, count }))
        .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
      const distinct = sorted.length;
      let rawDistinct = distinct;
      for (const p of s.padded.values()) rawDistinct += p.spellings.size + (p.asIs ? 1 : 0) - 1;
      const picklistCandidate = distinct > 0 && distinct <= PICKLIST_MAX_DISTINCT && nonBlank >= 2 * distinct;
      const kinds = Object.entries(s.types) as [ValueKind, number][];
      const [dominant, dominantCount] = kinds.reduce((a, b) => (b[1] > a[1] ? b : a));
      const dominantType = nonBlank === 0 ? null : dominant;
      const typeAnomalies =
        dominantType && dominantType !== 'text' && dominantCount >= 0.9 * nonBlank ? nonBlank - dominantCount : 0;
      const profile: FieldProfile = {
        field,
        blank: s.blank,
        blankPercent: this.rows === 0 ? 0 : Math.round((s.blank / this.rows) * 1000) / 10,
        distinct,
        rawDistinct,
        top: sorted.slice(0, TOP),
        picklistCandidate,
        maxLength: s.maxLength,
        multiValue: s.multiValue,
        types: s.types,
        dominantType,
        typeAnomalies,
      };
      if (picklistCandidate) profile.values = sorted;
      if (nonBlank > 0 && s.types.date >= 0.5 * nonBlank) {
        // In a date column, a value that does not look like a date at all is an invalid date.
        const dates = { ...s.dates, invalid: s.dates.invalid + (nonBlank - s.types.date) };
        const verdict =
          dates.monthFirst > 0 && dates.dayFirst > 0
            ? 'mixed'
            : dates.monthFirst > 0
              ? 'MM/DD'
              : dates.dayFirst > 0
                ? 'DD/MM'
                : dates.ambiguous === 0 && dates.sameDayMonth === 0 && dates.iso > 0
                  ? 'ISO'
                  : 'undetermined';
        profile.dates = { ...dates, verdict };
      }
      fields.push(profile);
    }
    return { object: this.object, rows: this.rows, fields };
  }
}
