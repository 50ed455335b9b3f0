import { addDecimals } from './decimal';
import { textOf } from './text';
import { transformArgs, transformName, type TransformSpec } from './transforms';

/**
 * The money line of a reconciliation, reconciled like the counts: for each `sums` field,
 *
 *   Sum(source) = Sum(loaded) + Sum(quarantined) + Sum(filtered) + Sum(deduplicated) + Sum(unaccounted)
 *
 * over the source's own values (exact decimal text), and Sum(loaded) == Sum(new), the target's values read back.
 * A source value that is not a number adds to no term: it is counted by reason (and by term) instead, so nothing
 * vanishes from the line. Records the source deleted are shown beside it, outside the source.
 */

/** Where a record of the source ended up (the same partition as the count equation). */
export type Disposition = 'loaded' | 'quarantined' | 'filtered' | 'deduplicated' | 'unaccounted';

export const DISPOSITIONS: readonly Disposition[] = [
  'loaded',
  'quarantined',
  'filtered',
  'deduplicated',
  'unaccounted',
];

/** Why a source value adds nothing to a sum. */
export type NotANumberReason = 'blank' | 'not_a_number' | 'unreadable_record';

export interface NotANumber {
  reason: NotANumberReason;
  /** The term the record belongs to. */
  disposition: Disposition;
  count: number;
  /** Up to 5 source ids (never their values). */
  examples: string[];
}

export interface SumReconciliation {
  /** Sum(source): every value the source holds for the field, whatever became of its record. */
  legacy: string;
  /** Sum(new): the target's values of the loaded records, read back from the target. */
  new: string;
  loaded: string;
  quarantined: string;
  filtered: string;
  deduplicated: string;
  /** Records in no other term: must add nothing (the count equation requires none). */
  unaccounted: string;
  /** Records the source deleted since they were staged (a delta removed them): outside Sum(source). */
  deleted: string;
  notNumbers: NotANumber[];
  /** legacy == Σ terms, loaded == new, unaccounted == 0. */
  ok: boolean;
}

/** The running state of one field's equation: plain data, so it can be heartbeated and resumed. */
export interface SumAccumulator {
  terms: Record<Disposition | 'new' | 'deleted', string>;
  notNumbers: NotANumber[];
}

export function emptyAccumulator(): SumAccumulator {
  return {
    terms: {
      loaded: '0',
      quarantined: '0',
      filtered: '0',
      deduplicated: '0',
      unaccounted: '0',
      new: '0',
      deleted: '0',
    },
    notNumbers: [],
  };
}

/** Whether a value read back (or resumed) looks like an accumulator; anything else starts from zero. */
export function isAccumulator(v: unknown): v is SumAccumulator {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Partial<SumAccumulator>;
  return (
    typeof a.terms === 'object' &&
    a.terms !== null &&
    Object.values(a.terms).every((t) => typeof t === 'string') &&
    Array.isArray(a.notNumbers)
  );
}

/** How a source amount is written: the decimal separator the field's transforms read it with. */
export interface AmountFormat {
  decimalSeparator: '.' | ',';
}

/** The amount format a field's transform chain declares (`decimal`, `currency`, `number` with a separator). */
export function amountFormatOf(transforms: readonly TransformSpec[] | undefined): AmountFormat {
  for (const spec of transforms ?? []) {
    if (!['decimal', 'currency', 'number', 'integer'].includes(transformName(spec))) continue;
    const sep = transformArgs(spec).decimalSeparator;
    if (sep === ',' || sep === '.') return { decimalSeparator: sep };
  }
  return { decimalSeparator: '.' };
}

const CURRENCY = /[$€£¥₹\s\u00a0]|[A-Z]{3}/g;
const PLAIN_AMOUNT = /^-?\d+(?:\.\d+)?$/;

/**
 * A source value as exact decimal text, read independently of Tern's transforms: currency signs, codes and
 * spaces dropped, group separators dropped, the decimal separator made a point, accounting parentheses negative.
 * `undefined` with the reason when it is not a number.
 */
export function sourceAmount(
  value: unknown,
  format: AmountFormat,
): { amount: string } | { reason: Exclude<NotANumberReason, 'unreadable_record'> } {
  if (value === null || value === undefined) return { reason: 'blank' };
  // Plain decimal text with a point (what a numeric column's text is): nothing below would change it.
  if (format.decimalSeparator === '.' && typeof value === 'string' && PLAIN_AMOUNT.test(value))
    return { amount: addDecimals('0', value) };
  let s = typeof value === 'number' || typeof value === 'bigint' ? String(value) : textOf(value).trim();
  if (s === '') return { reason: 'blank' };
  let negative = false;
  const paren = /^\((.*)\)$/.exec(s);
  if (paren) {
    negative = true;
    s = paren[1]!;
  }
  s = s.replace(CURRENCY, '');
  const group = format.decimalSeparator === '.' ? ',' : '.';
  s = s.split(group).join('');
  if (format.decimalSeparator === ',') s = s.replace(',', '.');
  if (s.startsWith('-')) {
    negative = !negative;
    s = s.slice(1);
  } else if (s.startsWith('+')) s = s.slice(1);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(s) && !/^\d+(\.\d+)?[eE][+-]?\d+$/.test(s)) return { reason: 'not_a_number' };
  const plain = /[eE]/.test(s) ? expandExponent(s) : s;
  return { amount: addDecimals('0', `${negative ? '-' : ''}${plain}`) };
}

/** `1.5e3` → `1500`, exactly (no float). */
function expandExponent(s: string): string {
  const [mantissa, exp] = s.toLowerCase().split('e') as [string, string];
  const [int, frac = ''] = mantissa.split('.') as [string, string?];
  const digits = `${int}${frac}`;
  const point = int.length + Number(exp);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${digits}${'0'.repeat(point - digits.length)}`;
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

function noteNotANumber(
  acc: SumAccumulator,
  reason: NotANumberReason,
  disposition: Disposition,
  sourceId: string,
  count = 1,
): void {
  let entry = acc.notNumbers.find((n) => n.reason === reason && n.disposition === disposition);
  if (!entry) acc.notNumbers.push((entry = { reason, disposition, count: 0, examples: [] }));
  entry.count += count;
  if (entry.examples.length < 5) entry.examples.push(sourceId);
}

/** Adds one source record's value to its term. */
export function addSourceValue(
  acc: SumAccumulator,
  disposition: Disposition,
  sourceId: string,
  value: unknown,
  format: AmountFormat,
): void {
  const parsed = sourceAmount(value, format);
  if ('reason' in parsed) {
    // A blank amount on a record that was not loaded is nothing to explain; on a loaded one the target side
    // shows it too. Both are listed so the line never hides a record.
    noteNotANumber(acc, parsed.reason, disposition, sourceId);
    return;
  }
  acc.terms[disposition] = addDecimals(acc.terms[disposition], parsed.amount);
}

/** Adds a loaded record's value as the target holds it (canonical text from the read-back). */
export function addTargetValue(acc: SumAccumulator, value: unknown): void {
  acc.terms.new = addDecimals(acc.terms.new, value);
}

/** Records the source holds but Tern could not read (extract-stage quarantine): no value to add, counted. */
export function addUnreadable(acc: SumAccumulator, recordKeys: readonly string[]): void {
  for (const key of recordKeys) noteNotANumber(acc, 'unreadable_record', 'quarantined', key);
}

/** Adds a deleted record's last staged value beside the equation. */
export function addDeletedValue(acc: SumAccumulator, value: unknown, format: AmountFormat): void {
  const parsed = sourceAmount(value, format);
  if ('amount' in parsed) acc.terms.deleted = addDecimals(acc.terms.deleted, parsed.amount);
}

/** The finished equation for one field. */
export function settleSum(acc: SumAccumulator): SumReconciliation {
  const t = acc.terms;
  const legacy = DISPOSITIONS.reduce((total, d) => addDecimals(total, t[d]), '0');
  const zero = (v: string) => addDecimals('0', v) === '0';
  return {
    legacy,
    new: t.new,
    loaded: t.loaded,
    quarantined: t.quarantined,
    filtered: t.filtered,
    deduplicated: t.deduplicated,
    unaccounted: t.unaccounted,
    deleted: t.deleted,
    notNumbers: acc.notNumbers,
    ok: t.loaded === t.new && zero(t.unaccounted) && !acc.notNumbers.some((n) => n.disposition === 'unaccounted'),
  };
}

/** The equation as one line a person reads (the CLI's and the report's); `prefix` names the field. */
export function sumLine(prefix: string, s: SumReconciliation | { legacy: string; new: string }): string {
  if (!('loaded' in s))
    return `${prefix}: Sum(legacy) ${s.legacy} ${s.legacy === s.new ? '==' : '!='} Sum(new) ${s.new}`;
  const terms = [
    `loaded ${s.loaded}`,
    `quarantined ${s.quarantined}`,
    `filtered ${s.filtered}`,
    `deduplicated ${s.deduplicated}`,
    ...(addDecimals('0', s.unaccounted) === '0' ? [] : [`UNACCOUNTED ${s.unaccounted}`]),
  ].join(' + ');
  const nan = s.notNumbers.length
    ? `; not numbers: ${s.notNumbers.map((n) => `${n.count} ${n.reason} (${n.disposition})`).join(', ')}`
    : '';
  const deleted = addDecimals('0', s.deleted) === '0' ? '' : `; deleted by the source ${s.deleted}`;
  return (
    `${prefix}: Sum(legacy) ${s.legacy} = ${terms}; ` +
    `Sum(loaded) ${s.loaded} ${s.loaded === s.new ? '==' : '!='} Sum(new) ${s.new}${nan}${deleted}`
  );
}
