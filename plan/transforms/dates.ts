import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { asText, define, elementwise, isBlank, quoteValue, RecordRejection, type TransformDefinition } from './core';

/** Date and time transforms: calendar dates, instants, and wall times moved between zones. */
/** An IANA time zone name (or UTC), checked against the zones this Node.js knows. */
const zoneName = z
  .string()
  .min(1)
  .refine((zone) => IANAZone.isValidZone(zone), {
    message: 'is not a known time zone; use an IANA name such as UTC, Europe/Paris or America/New_York',
  });

export const DATE_FORMATS = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY', 'DD.MM.YYYY', 'auto'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** Parses a date in a known format into YYYY-MM-DD; returns undefined when it is not a real date. */
export function parseDate(text: string, format: DateFormat): string | undefined {
  const s = text.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(s);
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (iso) {
    // ISO dates are unambiguous, whatever format the column mostly uses.
    [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  } else if (slashed && format !== 'YYYY-MM-DD') {
    const a = Number(slashed[1]);
    const b = Number(slashed[2]);
    y = Number(slashed[3]);
    if (format === 'MM/DD/YYYY') [m, d] = [a, b];
    else if (format === 'DD/MM/YYYY' || format === 'DD.MM.YYYY') [d, m] = [a, b];
    else if (a > 12 && b <= 12) [d, m] = [a, b];
    else if (b > 12 && a <= 12) [m, d] = [a, b];
    else if (a === b) [m, d] = [a, b];
    else return undefined; // auto and ambiguous: the caller must name the format
  } else {
    return undefined;
  }
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/** A slashed date whose parts are both ≤ 12 and different: month-first and day-first read differently. */
export function isAmbiguousDate(text: string): boolean {
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text.trim());
  if (!slashed) return false;
  const a = Number(slashed[1]);
  const b = Number(slashed[2]);
  return a >= 1 && b >= 1 && a <= 12 && b <= 12 && a !== b;
}

/** No legitimate date or date-time is this long; longer values are refused before any parsing. */
const MAX_DATETIME_LENGTH = 100;

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)? ?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const sameWallTime = (a: WallTime, b: WallTime): boolean =>
  a.year === b.year &&
  a.month === b.month &&
  a.day === b.day &&
  a.hour === b.hour &&
  a.minute === b.minute &&
  a.second === b.second &&
  a.millisecond === b.millisecond;

type Parsed = { ok: true; dt: DateTime } | { ok: false; reason: 'syntax' | 'invalid' | 'gap' };

/**
 * An ISO 8601 calendar date-time (`2024-03-01T14:05`, `2024-03-01 14:05:00.123`, `2024-03-01`, with an
 * optional `Z`/`±HH`/`±HHMM`/`±HH:MM` offset). Without an offset it is wall time in `zone`; a wall time that
 * does not exist there (skipped by a daylight-saving change) is refused; an hour that occurs twice (clocks
 * turned back) is read as luxon does, in the later, standard-time offset. Fractions finer than milliseconds
 * are cut to milliseconds.
 */
function parseIsoDateTime(text: string, zone: string): Parsed {
  const m = ISO_DATETIME.exec(text);
  if (!m) return { ok: false, reason: 'syntax' };
  const wall: WallTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millisecond: Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)),
  };
  let offsetZone: string | undefined;
  if (m[8] !== undefined) {
    const o = m[8].toUpperCase();
    offsetZone = o === 'Z' ? 'UTC' : `UTC${o.slice(0, 3)}:${o.slice(3).replace(':', '') || '00'}`;
  }
  const dt = DateTime.fromObject(wall, { zone: offsetZone ?? zone });
  if (!dt.isValid) return { ok: false, reason: 'invalid' };
  if (!sameWallTime(dt, wall)) return { ok: false, reason: 'gap' };
  return { ok: true, dt };
}

/** A date-time in a luxon format; the same daylight-saving gap rule as ISO. */
function parseFormattedDateTime(text: string, format: string, zone: string): Parsed {
  const dt = DateTime.fromFormat(text, format, { zone, setZone: true });
  if (!dt.isValid) return { ok: false, reason: 'syntax' };
  const wall = DateTime.fromFormat(text, format, { zone: 'UTC', setZone: true });
  if (!sameWallTime(dt, wall)) return { ok: false, reason: 'gap' };
  return { ok: true, dt };
}

/** A luxon format must name the year (or be epoch seconds/milliseconds), else luxon assumes this year. */
function formatHasYear(format: string): boolean {
  const unquoted = format.replace(/'[^']*'/g, '');
  return /[yXx]/.test(unquoted);
}

const toIsoUtc = (dt: DateTime): string => dt.toUTC().toISO({ suppressMilliseconds: false })!;
const datetimeArgs = z.strictObject({
  format: z
    .string()
    .min(1)
    .refine((f) => f === 'auto' || formatHasYear(f), {
      message: 'a datetime format must include the year (yyyy), or be auto',
    })
    .default('auto'),
  zone: zoneName.default('UTC'),
});

const timezoneArgs = z.strictObject({ from: zoneName, to: zoneName });

export const DATE_TRANSFORMS: Record<string, TransformDefinition> = {
  date: {
    description: `a calendar date → YYYY-MM-DD: { date: { format: ${DATE_FORMATS.join(' | ')} } } (ISO always accepted)`,
    args: z.strictObject({ format: z.enum(DATE_FORMATS).default('auto') }),
    build: (args) => {
      const format = (args.format as DateFormat | undefined) ?? 'auto';
      return elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v);
        const parsed = text.length > MAX_DATETIME_LENGTH ? undefined : parseDate(text, format);
        if (parsed !== undefined) return parsed;
        if (format === 'auto' && isAmbiguousDate(text)) {
          throw new RecordRejection(
            'ambiguous_date',
            `${quoteValue(v)} is ambiguous: it reads as month/day or day/month; set date.format to MM/DD/YYYY or DD/MM/YYYY`,
          );
        }
        throw new RecordRejection(
          'invalid_date',
          `${quoteValue(v)} is not a valid date${format === 'auto' ? ' (YYYY-MM-DD, or DD/MM/YYYY or MM/DD/YYYY with a day above 12; set date.format otherwise)' : ` in ${format}`}`,
        );
      });
    },
  },
  datetime: define(
    'a date-time → ISO 8601 UTC with milliseconds (2024-03-01T14:05:00.000Z): { datetime: { format: auto | <luxon format>, zone: UTC | <IANA zone> } }; values without an offset are wall time in zone',
    datetimeArgs,
    ({ format, zone }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        if (v instanceof Date) {
          if (Number.isNaN(v.getTime()))
            throw new RecordRejection('invalid_datetime', 'an invalid Date object is not a date-time');
          return v.toISOString();
        }
        const text = asText(v).trim();
        let parsed: Parsed = { ok: false, reason: 'syntax' };
        if (text.length <= MAX_DATETIME_LENGTH) {
          if (format !== 'auto') parsed = parseFormattedDateTime(text, format, zone);
          // ISO is unambiguous, so it is accepted whatever format the column mostly uses.
          if (!parsed.ok && parsed.reason === 'syntax') parsed = parseIsoDateTime(text, zone);
        }
        if (parsed.ok) return toIsoUtc(parsed.dt);
        throw new RecordRejection(
          'invalid_datetime',
          parsed.reason === 'gap'
            ? `${quoteValue(v)} does not exist in ${zone} (skipped by a daylight-saving change); correct it in the source`
            : parsed.reason === 'invalid'
              ? `${quoteValue(v)} is not a real date-time; correct it in the source`
              : `${quoteValue(v)} is not a date-time in ${format === 'auto' ? 'ISO 8601 (2024-03-01T14:05 or 2024-03-01 14:05:00)' : `the format "${format}" or ISO 8601`}; ${format === 'auto' ? 'set datetime.format (a luxon format such as MM/dd/yyyy HH:mm)' : 'correct datetime.format or the source'}`,
        );
      }),
  ),
  timezone: define(
    'convert an ISO wall time from one zone to another → ISO 8601 with the offset of `to` (Z for UTC): { timezone: { from: <IANA zone>, to: <IANA zone> | UTC } }',
    timezoneArgs,
    ({ from, to }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v).trim();
        const parsed: Parsed =
          v instanceof Date
            ? { ok: true, dt: DateTime.fromJSDate(v) }
            : text.length <= MAX_DATETIME_LENGTH
              ? parseIsoDateTime(text, from)
              : { ok: false, reason: 'syntax' };
        if (parsed.ok && parsed.dt.isValid) return parsed.dt.setZone(to).toISO({ suppressMilliseconds: false });
        throw new RecordRejection(
          'invalid_datetime',
          !parsed.ok && parsed.reason === 'gap'
            ? `${quoteValue(v)} does not exist in ${from} (skipped by a daylight-saving change); correct it in the source`
            : `${quoteValue(v)} is not an ISO 8601 date-time (2024-03-01T14:05); convert it with datetime first`,
        );
      }),
  ),
};
