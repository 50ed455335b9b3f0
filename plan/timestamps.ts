/**
 * Timestamps as exact values: a calendar wall time, its fraction of a second as the digits the text holds
 * (any number of them), and an offset. Calendar arithmetic is done on integers (days from the civil date),
 * never through a JS Date, so no digit past the millisecond is lost and no server time zone is involved.
 */

/** A wall time as written, before any offset is applied. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The fraction's digits without trailing zeros ("12345" for .123450); '' for none. */
  fraction: string;
}

export interface TimestampText {
  wall: WallTime;
  /** The fraction's digits exactly as the text wrote them, trailing zeros kept ("123450"); '' for none. */
  writtenFraction: string;
  /** Seconds east of UTC when the text states an offset (Z, ±HH, ±HHMM, ±HH:MM, ±HH:MM:SS); else undefined. */
  offsetSeconds?: number;
  /** Whether the text had a time of day (a bare date has none). */
  hasTime: boolean;
}

/** A reading of timestamp text: the timestamp, or why not (`syntax`: no date-time; `invalid`: no real one). */
export type TimestampReading = { ok: true; timestamp: TimestampText } | { ok: false; reason: 'syntax' | 'invalid' };

/**
 * `lenient` is what PostgreSQL reads; `iso` is ISO 8601's calendar form only: a 4-digit year, 2-digit month,
 * day and hour, an offset of ±HH[[:]MM] and at most one space before it.
 */
export type TimestampForm = 'lenient' | 'iso';

const TIMESTAMP =
  /^(\d{4,6})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(\s*)([Zz]|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

const isIsoForm = (m: RegExpExecArray): boolean =>
  m[1]!.length === 4 &&
  m[2]!.length === 2 &&
  m[3]!.length === 2 &&
  (m[4] === undefined || m[4].length === 2) &&
  m[8]!.length <= 1 &&
  (m[9] === undefined || /^([Zz]|[+-]\d{2}(:?\d{2})?)$/.test(m[9]));

/**
 * Reads ISO 8601 and PostgreSQL's text form of a date-time (`2024-01-02 03:04:05.123456+05:30`): `invalid`
 * when it names a day that does not exist (2024-02-30) or a time past 24:00. Hours may be 24 only at
 * 24:00:00 and seconds 60 (a leap second), as PostgreSQL accepts them.
 */
export function readTimestampText(text: string, form: TimestampForm = 'lenient'): TimestampReading {
  const s = text.trim();
  const m = s.length > 64 ? null : TIMESTAMP.exec(s);
  if (!m || (form === 'iso' && !isIsoForm(m))) return { ok: false, reason: 'syntax' };
  const writtenFraction = m[7] ?? '';
  const wall: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: writtenFraction.replace(/0+$/, ''),
  };
  if (!validWall(wall)) return { ok: false, reason: 'invalid' };
  const offsetSeconds = m[9] === undefined ? undefined : offsetOf(m[9]);
  return { ok: true, timestamp: { wall, writtenFraction, offsetSeconds, hasTime: m[4] !== undefined } };
}

/** A date-time's text as readTimestampText reads it (lenient); undefined when it is none or names no real one. */
export function parseTimestampText(text: string): TimestampText | undefined {
  const read = readTimestampText(text);
  return read.ok ? read.timestamp : undefined;
}

function validWall(w: WallTime): boolean {
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > daysInMonth(w.year, w.month)) return false;
  if (w.minute > 59 || w.second > 60) return false;
  return w.hour < 24 || (w.hour === 24 && w.minute === 0 && w.second === 0 && w.fraction === '');
}

function offsetOf(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const digits = text.slice(1).replace(/:/g, '');
  const seconds =
    Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || 0) * 60 + Number(digits.slice(4, 6) || 0);
  return text.startsWith('-') ? -seconds : seconds;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days from 1970-01-01 to a civil date (proleptic Gregorian), exactly (H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day count from 1970-01-01 (inverse of daysFromCivil). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp + (mp < 10 ? 3 : -9);
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

/** Whole seconds since 1970-01-01T00:00:00Z of a wall time at an offset (the fraction is kept apart). */
export function epochSecondsOf(wall: WallTime, offsetSeconds: number): number {
  return (
    daysFromCivil(wall.year, wall.month, wall.day) * 86400 +
    wall.hour * 3600 +
    wall.minute * 60 +
    wall.second -
    offsetSeconds
  );
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * ISO 8601 in UTC with every fraction digit: at least milliseconds (`.000`), more when the value has them,
 * trailing zeros beyond the third dropped (`2024-01-02T03:04:05.12345Z`).
 */
export function formatUtc(epochSeconds: number, fraction: string): string {
  const days = Math.floor(epochSeconds / 86400);
  const rest = epochSeconds - days * 86400;
  const { year, month, day } = civilFromDays(days);
  const digits = fraction.replace(/0+$/, '').padEnd(3, '0');
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(Math.floor(rest / 3600))}:${pad(Math.floor(rest / 60) % 60)}:${pad(rest % 60)}.${digits}Z`;
}

/** The canonical UTC text of a parsed timestamp; text without an offset is read as UTC. */
export function utcText(parsed: TimestampText): string {
  return formatUtc(epochSecondsOf(parsed.wall, parsed.offsetSeconds ?? 0), parsed.wall.fraction);
}

/** How many fraction digits a timestamp's text carries once trailing zeros are dropped (.123450 → 5). */
export function fractionDigits(text: string): number {
  return parseTimestampText(text)?.wall.fraction.length ?? 0;
}
