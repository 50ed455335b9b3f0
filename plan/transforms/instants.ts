import { DateTime, FixedOffsetZone } from 'luxon';
import { epochSecondsOf, readTimestampText, type WallTime } from '../timestamps';

/**
 * Reading date-times without losing anything the source stated. luxon (like a JS Date) holds milliseconds
 * only, so the fraction of a second is carried beside it as the digits the source gave (up to nanoseconds)
 * and written back into the ISO text; converting between offsets moves hours and minutes, never the fraction.
 * ISO text is read by plan/timestamps (the one reading of wall time, fraction digits and offset); luxon
 * places the wall time in a zone.
 */

/** No legitimate date or date-time is this long; longer values are refused before any parsing. */
export const MAX_DATETIME_LENGTH = 100;

/** A wall time as luxon holds it (to the millisecond). */
type LuxonWallTime = Omit<WallTime, 'fraction'> & { millisecond: number };

const sameWallTime = (a: LuxonWallTime, b: LuxonWallTime): boolean =>
  a.year === b.year &&
  a.month === b.month &&
  a.day === b.day &&
  a.hour === b.hour &&
  a.minute === b.minute &&
  a.second === b.second &&
  a.millisecond === b.millisecond;

/**
 * A parsed instant: `dt` to the millisecond, in the offset the source stated (or the zone its wall time is
 * in), and `fraction`, the digits of the fraction of a second as the source wrote them ('' for none).
 */
export type ParsedInstant =
  { ok: true; dt: DateTime; fraction: string } | { ok: false; reason: 'syntax' | 'invalid' | 'gap' | 'fraction' };

const millisOf = (fraction: string): number => Number(fraction.padEnd(3, '0').slice(0, 3));

/**
 * An ISO 8601 calendar date-time (`2024-03-01T14:05`, `2024-03-01 14:05:00.123456`, `2024-03-01`, with an
 * optional `Z`/`±HH`/`±HHMM`/`±HH:MM` offset), with up to 9 fractional digits. Without an offset it is wall
 * time in `zone`; a wall time that does not exist there (skipped by a daylight-saving change) is refused; an
 * hour that occurs twice (clocks turned back) is read as luxon does, in the later, standard-time offset.
 */
export function parseIsoDateTime(text: string, zone: string): ParsedInstant {
  const read = readTimestampText(text, 'iso');
  if (!read.ok) return read;
  const { wall, writtenFraction: fraction, offsetSeconds } = read.timestamp;
  if (fraction.length > 9) return { ok: false, reason: 'syntax' };
  const { fraction: _digits, ...clock } = wall;
  const fields: LuxonWallTime = { ...clock, millisecond: millisOf(fraction) };
  const at = offsetSeconds === undefined ? zone : FixedOffsetZone.instance(offsetSeconds / 60);
  const dt = DateTime.fromObject(fields, { zone: at });
  if (!dt.isValid) return { ok: false, reason: 'invalid' };
  if (!sameWallTime(dt, fields)) return { ok: false, reason: 'gap' };
  return { ok: true, dt, fraction };
}

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * What `instantText(parseIsoDateTime(text, zone))` gives in UTC, computed on integers: for ISO text that states
 * its offset (PostgreSQL's timestamptz text, `2024-03-01 14:05:00.123456+00`) or is wall time in UTC, where no
 * zone rule applies and the offset only moves the clock. Undefined wherever luxon's reading has more to decide
 * (a wall time in another zone, hour 24, a leap second, a year outside 1000–9999, an offset past 18 hours, more
 * than 9 fractional digits, no ISO text): the caller then reads it with luxon.
 */
export function isoUtcText(text: string, zone: string): string | undefined {
  const read = readTimestampText(text, 'iso');
  if (!read.ok) return undefined;
  const { wall, writtenFraction, offsetSeconds } = read.timestamp;
  if (offsetSeconds === undefined ? zone !== 'UTC' : Math.abs(offsetSeconds) > 18 * 3600) return undefined;
  if (writtenFraction.length > 9 || wall.year < 1000 || wall.hour > 23 || wall.minute > 59 || wall.second > 59)
    return undefined;
  const at = new Date(epochSecondsOf(wall, offsetSeconds ?? 0) * 1000);
  const year = at.getUTCFullYear();
  if (year < 1000 || year > 9999) return undefined;
  return `${year}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())}T${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}.${writtenFraction.padEnd(3, '0')}Z`;
}

/** Where luxon's `u` token (a fraction of any length, which luxon cuts to milliseconds) is in a format. */
function fractionToken(format: string): { start: number; end: number } | undefined {
  let i = 0;
  while (i < format.length) {
    if (format[i] === "'") {
      const close = format.indexOf("'", i + 1);
      i = close < 0 ? format.length : close + 1;
      continue;
    }
    let j = i;
    while (j < format.length && format[j] === format[i]) j++;
    if (format[i] === 'u' && j - i === 1) return { start: i, end: j };
    i = j;
  }
  return undefined;
}

const MARK = '\u0001';

/**
 * The fraction digits of a value luxon read with a `u` token: the value is formatted back with a marker where
 * the fraction goes, and the digits between what precedes and what follows the marker are the fraction.
 * Undefined when they cannot be located exactly (e.g. a format whose other tokens print differently from the
 * text, such as `d` for "03").
 */
function recoverFraction(
  text: string,
  dt: DateTime,
  format: string,
  at: { start: number; end: number },
): string | undefined {
  const marked = dt.toFormat(`${format.slice(0, at.start)}'${MARK}'${format.slice(at.end)}`);
  const cut = marked.indexOf(MARK);
  const before = marked.slice(0, cut).toLowerCase();
  const after = marked.slice(cut + 1).toLowerCase();
  const lower = text.toLowerCase();
  if (!lower.endsWith(after)) return undefined;
  const head = text.slice(0, text.length - after.length);
  if (lower.startsWith(before)) {
    const digits = head.slice(before.length);
    if (/^\d{1,9}$/.test(digits)) return digits;
  }
  // The text before the fraction prints differently: the digits after the separator that precedes it.
  const separator = before.slice(-1);
  const run = /(\D)(\d{1,9})$/.exec(head);
  return run && separator !== '' && !/\d/.test(separator) && run[1]!.toLowerCase() === separator ? run[2] : undefined;
}

/** A date-time in a luxon format; the same daylight-saving gap rule as ISO; a `u` fraction kept whole. */
export function parseFormattedDateTime(text: string, format: string, zone: string): ParsedInstant {
  let dt = DateTime.fromFormat(text, format, { zone, setZone: true });
  if (!dt.isValid) return { ok: false, reason: 'syntax' };
  const wall = DateTime.fromFormat(text, format, { zone: 'UTC', setZone: true });
  if (!sameWallTime(dt, wall)) return { ok: false, reason: 'gap' };
  const at = fractionToken(format);
  // S, SSS, uu and uuu read at most milliseconds: nothing finer can be lost.
  if (at === undefined) return { ok: true, dt, fraction: String(dt.millisecond).padStart(3, '0') };
  const fraction = recoverFraction(text, dt, format, at);
  if (fraction === undefined) return { ok: false, reason: 'fraction' };
  // luxon reads the fraction through a float; the digits themselves are the authority.
  dt = dt.set({ millisecond: millisOf(fraction) });
  return { ok: true, dt, fraction };
}

/** A luxon format must name the year (or be epoch seconds/milliseconds), else luxon assumes this year. */
export function formatHasYear(format: string): boolean {
  const unquoted = format.replace(/'[^']*'/g, '');
  return /[yXx]/.test(unquoted);
}

/**
 * ISO 8601 text of an instant with the source's whole fraction (at least 3 digits, so whole seconds read
 * `.000`): in UTC (`Z`), or, with `keepOffset`, in the offset the source stated or its zone's offset.
 */
export function instantText(dt: DateTime, fraction: string, keepOffset = false): string {
  const iso = (keepOffset ? dt : dt.toUTC()).toISO({ suppressMilliseconds: false })!;
  return withFraction(iso, fraction);
}

/** Replaces the milliseconds of luxon's ISO text by the full fraction (whose first 3 digits they are). */
export function withFraction(iso: string, fraction: string): string {
  return iso.replace(/\.\d{3}(?=Z$|[+-]\d{2}:\d{2}$)/, `.${fraction.padEnd(3, '0')}`);
}
