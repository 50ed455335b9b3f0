import { textOf } from './text';

/** A decimal as integer units at a scale: units × 10^-scale. */
interface Decimal {
  units: bigint;
  scale: number;
}

const ZERO: Decimal = { units: 0n, scale: 0 };

/**
 * Exact decimal addition on strings (no float rounding), for Sum(legacy) == Sum(new).
 * Values that are blank or not numbers add nothing: they are counted by the quarantine, not the sum.
 */
export function addDecimals(total: string, value: unknown): string {
  const parsed = parseDecimal(value);
  if (parsed === undefined) return total;
  const a = recalled(total) ?? parseDecimal(total) ?? ZERO;
  const scale = Math.max(a.scale, parsed.scale);
  const sum =
    (a.scale === scale ? a.units : a.units * 10n ** BigInt(scale - a.scale)) +
    (parsed.scale === scale ? parsed.units : parsed.units * 10n ** BigInt(scale - parsed.scale));
  return format(sum, scale);
}

/** A number's text as it is often written already: digits, a point, a sign (nothing to trim or drop). */
const PLAIN = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function parseDecimal(value: unknown): Decimal | undefined {
  if (value === null || value === undefined) return undefined;
  const text = textOf(value);
  // Text the pattern takes as it is has nothing to trim or drop: the same match as after trimming and dropping.
  const m = PLAIN.exec(text) ?? PLAIN.exec(text.trim().replace(/[$€£\s,]/g, ''));
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2] || '0'}${frac}`);
  return { units: m[1] === '-' ? -units : units, scale: frac.length };
}

/**
 * The last texts `format` returned, with the value each holds: a running total is added to record after
 * record, and its text is the one returned for the record before. Every entry is exact (its text read back
 * gives the same value), so reading one from here or parsing its text adds up to the same sum.
 */
const RECALLED = 4;
const recentTexts: (string | undefined)[] = new Array<string | undefined>(RECALLED).fill(undefined);
const recentValues: Decimal[] = new Array<Decimal>(RECALLED).fill(ZERO);
let nextSlot = 0;

function recalled(text: string): Decimal | undefined {
  for (let i = 0; i < RECALLED; i++) if (recentTexts[i] === text) return recentValues[i];
  return undefined;
}

function remember(text: string, value: Decimal): string {
  recentTexts[nextSlot] = text;
  recentValues[nextSlot] = value;
  nextSlot = (nextSlot + 1) % RECALLED;
  return text;
}

/**
 * Units at a scale as canonical decimal text (what plan/target-values' canonicalDecimal prints for the same
 * value): no leading zeros, no trailing fraction zeros, no point without a fraction, zero as "0".
 */
function format(units: bigint, scale: number): string {
  if (units === 0n) return remember('0', ZERO);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  let end = digits.length;
  let kept = scale;
  while (kept > 0 && digits.charCodeAt(end - 1) === 48 /* 0 */) {
    end--;
    kept--;
  }
  const significant = end === digits.length ? digits : digits.slice(0, end);
  const body =
    kept === 0
      ? significant
      : significant.length > kept
        ? `${significant.slice(0, -kept)}.${significant.slice(-kept)}`
        : `0.${significant.padStart(kept, '0')}`;
  return remember(negative ? `-${body}` : body, { units, scale });
}
