import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';
import { daysInMonth } from '../timestamps';
import { asText, define, elementwise, isBlank, quoteValue, RecordRejection, type TransformDefinition } from './core';
import {
  formatHasYear,
  instantText,
  isoUtcText,
  MAX_DATETIME_LENGTH,
  parseFormattedDateTime,
  parseIsoDateTime,
  type ParsedInstant,
} from './instants';

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
  const parts = dateParts(text, format);
  if (!parts) return undefined;
  const { y, m, d } = parts;
  // From year 100 on the date is checked and written on its parts; Date.UTC reads years 0–99 as 1900–1999, so those
  // (refused below: the date read back is not the one written) keep the Date round trip.
  if (y >= 100)
    return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)
      ? `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`
      : undefined;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/**
 * A date's year, month and day as its text and the column's format name them, not yet checked to be a real day;
 * undefined when the text is no date in that format (or a slashed date `auto` cannot tell month-first from
 * day-first).
 */
export function dateParts(text: string, format: DateFormat): { y: number; m: number; d: number } | undefined {
  const s = text.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(s);
  // ISO dates are unambiguous, whatever format the column mostly uses.
  if (iso) return { y: Number(iso[1]), m: Number(iso[2]), d: Number(iso[3]) };
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (!slashed || format === 'YYYY-MM-DD') return undefined;
  const a = Number(slashed[1]);
  const b = Number(slashed[2]);
  const y = Number(slashed[3]);
  if (format === 'MM/DD/YYYY') return { y, m: a, d: b };
  if (format === 'DD/MM/YYYY' || format === 'DD.MM.YYYY') return { y, m: b, d: a };
  if (a > 12 && b <= 12) return { y, m: b, d: a };
  if (b > 12 && a <= 12) return { y, m: a, d: b };
  if (a === b) return { y, m: a, d: b };
  return undefined; // auto and ambiguous: the caller must name the format
}

/** A slashed date whose parts are both ≤ 12 and different: month-first and day-first read differently. */
export function isAmbiguousDate(text: string): boolean {
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text.trim());
  if (!slashed) return false;
  const a = Number(slashed[1]);
  const b = Number(slashed[2]);
  return a >= 1 && b >= 1 && a <= 12 && b <= 12 && a !== b;
}

const datetimeArgs = z.strictObject({
  format: z
    .string()
    .min(1)
    .refine((f) => f === 'auto' || formatHasYear(f), {
      message: 'a datetime format must include the year (yyyy), or be auto',
    })
    .default('auto'),
  zone: zoneName.default('UTC'),
  /** Write the offset the source stated (or the zone's offset of a wall time) instead of converting to UTC. */
  keepOffset: z.boolean().default(false),
});

const timezoneArgs = z.strictObject({ from: zoneName, to: zoneName });

export const DATE_TRANSFORMS: Record<string, TransformDefinition> = {
  date: {
    description: `a calendar date → YYYY-MM-DD: { date: { format: ${DATE_FORMATS.join(' | ')} } } (ISO always accepted)`,
    reference: {
      input: 'text',
      output: 'date',
      outputForm: 'YYYY-MM-DD text',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_date',
          when: 'the value is not a real date in the format (or ISO)',
          example: { args: { format: 'DD/MM/YYYY' }, value: '31/02/2024' },
        },
        {
          code: 'ambiguous_date',
          when: 'format is auto and the date reads both as month/day and day/month',
          example: { value: '03/04/2024' },
        },
      ],
      examples: [
        { args: { format: 'DD/MM/YYYY' }, value: '03/04/2024', result: '2024-04-03' },
        { value: '2024-04-03T10:00:00Z', result: '2024-04-03' },
      ],
    },
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
    'a date-time → ISO 8601 in UTC with every fractional digit the source gave, at least milliseconds (2024-03-01T14:05:00.123456Z): { datetime: { format: auto | <luxon format>, zone: UTC | <IANA zone>, keepOffset: false } }; values without an offset are wall time in zone; keepOffset: true writes the stated offset instead of UTC',
    {
      input: 'text (or a Date from a typed source)',
      output: 'timestamp',
      outputForm: 'ISO 8601 text, every fractional digit kept (at least .000), in UTC or the stated offset',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_datetime',
          when: 'the value is not a date-time in the format or ISO 8601, is not a real date-time, has more than 9 fractional digits, or is a wall time skipped by a daylight-saving change in zone',
          example: { args: { zone: 'America/New_York' }, value: '2024-03-10 02:30' },
        },
      ],
      examples: [
        { value: '2024-03-01 14:05:00.123456+00', result: '2024-03-01T14:05:00.123456Z' },
        { args: { zone: 'Europe/Paris' }, value: '2024-07-01 16:05', result: '2024-07-01T14:05:00.000Z' },
        { args: { keepOffset: true }, value: '2024-03-01T19:35:00.5+0530', result: '2024-03-01T19:35:00.500+05:30' },
        {
          args: { format: 'MM/dd/yyyy HH:mm:ss.u' },
          value: '03/01/2024 14:05:00.000001',
          result: '2024-03-01T14:05:00.000001Z',
        },
      ],
    },
    datetimeArgs,
    ({ format, zone, keepOffset }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        if (v instanceof Date) {
          if (Number.isNaN(v.getTime()))
            throw new RecordRejection('invalid_datetime', 'an invalid Date object is not a date-time');
          return v.toISOString();
        }
        const text = asText(v).trim();
        let parsed: ParsedInstant = { ok: false, reason: 'syntax' };
        if (text.length <= MAX_DATETIME_LENGTH) {
          // The common case (a stated offset, or UTC wall time) without luxon; the same text as luxon's way.
          const utc = format === 'auto' && !keepOffset ? isoUtcText(text, zone) : undefined;
          if (utc !== undefined) return utc;
          if (format !== 'auto') parsed = parseFormattedDateTime(text, format, zone);
          // ISO is unambiguous, so it is accepted whatever format the column mostly uses.
          if (!parsed.ok && parsed.reason === 'syntax') parsed = parseIsoDateTime(text, zone);
        }
        if (parsed.ok) return instantText(parsed.dt, parsed.fraction, keepOffset);
        throw new RecordRejection(
          'invalid_datetime',
          parsed.reason === 'gap'
            ? `${quoteValue(v)} does not exist in ${zone} (skipped by a daylight-saving change); correct it in the source`
            : parsed.reason === 'invalid'
              ? `${quoteValue(v)} is not a real date-time; correct it in the source`
              : parsed.reason === 'fraction'
                ? `${quoteValue(v)}: the fraction of a second cannot be located exactly with the format "${format}" (u must follow a separator such as . or ,); correct datetime.format`
                : `${quoteValue(v)} is not a date-time in ${format === 'auto' ? 'ISO 8601 (2024-03-01T14:05 or 2024-03-01 14:05:00)' : `the format "${format}" or ISO 8601`}; ${format === 'auto' ? 'set datetime.format (a luxon format such as MM/dd/yyyy HH:mm)' : 'correct datetime.format or the source'}`,
        );
      }),
  ),
  timezone: define(
    'convert an ISO wall time from one zone to another → ISO 8601 with the offset of `to` (Z for UTC), every fractional digit kept: { timezone: { from: <IANA zone>, to: <IANA zone> | UTC } }',
    {
      input: 'text (ISO 8601)',
      output: 'timestamp',
      outputForm: 'ISO 8601 text in the offset of `to`, every fractional digit kept',
      elementwise: true,
      quarantines: [
        {
          code: 'invalid_datetime',
          when: 'the value is not ISO 8601, or is a wall time skipped by a daylight-saving change in from',
          example: { args: { from: 'UTC', to: 'Europe/Paris' }, value: '01/03/2024' },
        },
      ],
      examples: [
        {
          args: { from: 'America/New_York', to: 'UTC' },
          value: '2024-03-01T09:05:00.123456',
          result: '2024-03-01T14:05:00.123456Z',
        },
      ],
    },
    timezoneArgs,
    ({ from, to }) =>
      elementwise((v) => {
        if (isBlank(v)) return null;
        const text = asText(v).trim();
        const parsed: ParsedInstant =
          v instanceof Date
            ? { ok: true, dt: DateTime.fromJSDate(v), fraction: String(v.getUTCMilliseconds()).padStart(3, '0') }
            : text.length <= MAX_DATETIME_LENGTH
              ? parseIsoDateTime(text, from)
              : { ok: false, reason: 'syntax' };
        if (parsed.ok && parsed.dt.isValid) return instantText(parsed.dt.setZone(to), parsed.fraction, true);
        throw new RecordRejection(
          'invalid_datetime',
          !parsed.ok && parsed.reason === 'gap'
            ? `${quoteValue(v)} does not exist in ${from} (skipped by a daylight-saving change); correct it in the source`
            : `${quoteValue(v)} is not an ISO 8601 date-time (2024-03-01T14:05); convert it with datetime first`,
        );
      }),
  ),
};
