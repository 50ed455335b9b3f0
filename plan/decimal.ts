import { canonicalDecimal } from './target-values';
import { textOf } from './text';

/**
 * Exact decimal addition on strings (no float rounding), for Sum(legacy) == Sum(new).
 * Values that are blank or not numbers add nothing: they are counted by the quarantine, not the sum.
 */
export function addDecimals(total: string, value: unknown): string {
  const parsed = parseDecimal(value);
  if (parsed === undefined) return total;
  const a = parseDecimal(total) ?? { units: 0n, scale: 0 };
  const scale = Math.max(a.scale, parsed.scale);
  const sum = a.units * 10n ** BigInt(scale - a.scale) + parsed.units * 10n ** BigInt(scale - parsed.scale);
  return format(sum, scale);
}

function parseDecimal(value: unknown): { units: bigint; scale: number } | undefined {
  if (value === null || value === undefined) return undefined;
  const s = textOf(value)
    .trim()
    .replace(/[$€£\s,]/g, '');
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  const units = BigInt(`${m[2] || '0'}${frac}`) * (m[1] === '-' ? -1n : 1n);
  return { units, scale: frac.length };
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return canonicalDecimal(`${negative ? '-' : ''}${text}`);
}
