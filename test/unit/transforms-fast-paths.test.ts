import { dateParts, parseDate, type DateFormat } from '../../plan/transforms/dates';
import { instantText, isoUtcText, parseIsoDateTime } from '../../plan/transforms/instants';
import { composeTransforms, RecordRejection, standaloneContext } from '../../plan/transforms';

/** luxon's reading of ISO text in UTC, the way the datetime transform takes when isoUtcText does not apply. */
function viaLuxon(text: string, zone: string): string | undefined {
  const parsed = parseIsoDateTime(text, zone);
  return parsed.ok ? instantText(parsed.dt, parsed.fraction) : undefined;
}

/** A small deterministic generator (mulberry32), so a failure names an input that can be run again. */
function generator(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!;
  return { int, pick };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('isoUtcText: the datetime transform without luxon gives luxon’s text, or steps aside', () => {
  it('agrees with luxon on generated ISO date-times, and applies to the common ones', () => {
    const { int, pick } = generator(20261207);
    let applied = 0;
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const year = pick([int(1970, 2100), int(1000, 9999), pick([999, 1000, 9999, 2000, 2024, 1900, 2100])]);
      const month = pick([int(1, 12), pick([0, 2, 13])]);
      const day = pick([int(1, 28), pick([29, 30, 31, 32, 0])]);
      const hour = pick([int(0, 23), pick([0, 23, 24])]);
      const minute = pick([int(0, 59), pick([0, 59, 60])]);
      const second = pick([int(0, 59), pick([59, 60])]);
      const fraction = pick(['', `.${'1234567890'.slice(0, int(1, 10))}`, `.${pad(int(0, 999), 3)}`, '.000000', ',5']);
      const offset = pick([
        '',
        'Z',
        '+00',
        '-00',
        `+${pad(int(0, 14))}`,
        `-${pad(int(0, 12))}:${pick(['00', '30', '45'])}`,
        `+${pad(int(0, 14))}${pick(['00', '30'])}`,
        pick(['+19', '-18:00', '+18:01', ' +05:30', '+5']),
      ]);
      const time = pick([
        `${pick(['T', ' '])}${pad(hour)}:${pad(minute)}:${pad(second)}${fraction}`,
        `T${pad(hour)}:${pad(minute)}`,
        '',
      ]);
      const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}${time}${offset}`;
      for (const zone of ['UTC', 'Europe/Paris']) {
        const fast = isoUtcText(text, zone);
        if (fast === undefined) continue;
        applied += 1;
        expect({ text, zone, fast }).toEqual({ text, zone, fast: viaLuxon(text, zone) });
      }
    }
    // Most generated values are real date-times with an offset or in UTC: the fast way must take them.
    expect(applied).toBeGreaterThan(total / 2);
  });

  it('takes PostgreSQL’s timestamptz text and UTC wall time; leaves zones, hour 24 and leap seconds to luxon', () => {
    expect(isoUtcText('2024-03-01 14:05:00.123456+00', 'UTC')).toBe('2024-03-01T14:05:00.123456Z');
    expect(isoUtcText('2024-03-01T19:35:00.5+0530', 'America/New_York')).toBe('2024-03-01T14:05:00.500Z');
    expect(isoUtcText('2024-12-31T23:30:00-01:00', 'UTC')).toBe('2025-01-01T00:30:00.000Z');
    expect(isoUtcText('2024-03-01 14:05', 'UTC')).toBe('2024-03-01T14:05:00.000Z');
    expect(isoUtcText('2024-03-01 14:05', 'Europe/Paris')).toBeUndefined();
    expect(isoUtcText('2024-03-01 24:00:00Z', 'UTC')).toBeUndefined();
    expect(isoUtcText('2016-12-31 23:59:60Z', 'UTC')).toBeUndefined();
    expect(isoUtcText('0999-03-01 14:05Z', 'UTC')).toBeUndefined();
    expect(isoUtcText('2024-02-30 14:05Z', 'UTC')).toBeUndefined();
  });

  it('leaves the transform’s answers as they were, refusals included', () => {
    const run = (value: unknown, args: Record<string, unknown> = {}) =>
      composeTransforms([{ datetime: args }])(value, standaloneContext());
    expect(run('2024-03-01 14:05:00.123456+00')).toBe('2024-03-01T14:05:00.123456Z');
    expect(run('2024-03-01T19:35:00.5+0530', { keepOffset: true })).toBe('2024-03-01T19:35:00.500+05:30');
    expect(run('2024-07-01 16:05', { zone: 'Europe/Paris' })).toBe('2024-07-01T14:05:00.000Z');
    expect(() => run('2024-02-30 14:05+00')).toThrow(RecordRejection);
    expect(() => run('2024-03-01T14:05:00.1234567891Z')).toThrow(RecordRejection);
  });
});

/** parseDate as it read every date through a JS Date: the reference the parts-based reading must agree with. */
function parseDateViaDate(text: string, format: DateFormat): string | undefined {
  const parts = dateParts(text, format);
  if (!parts) return undefined;
  const { y, m, d } = parts;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

describe('parseDate on the date’s parts gives what the Date round trip gave', () => {
  it('agrees on generated ISO and slashed dates in every format', () => {
    const { int, pick } = generator(7);
    for (let i = 0; i < 20_000; i++) {
      const year = pick([int(1900, 2100), int(0, 9999), pick([0, 50, 99, 100, 1000, 1900, 2000, 2024, 9999])]);
      const month = pick([int(1, 12), int(0, 13)]);
      const day = pick([int(1, 28), int(0, 32)]);
      const text = pick([
        `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
        `${pad(year, 4)}-${month}-${day}T10:00:00Z`,
        `${pad(day)}/${pad(month)}/${pad(year, 4)}`,
        `${month}.${day}.${pad(year, 4)}`,
        ` ${pad(year, 4)}-${pad(month)}-${pad(day)} `,
      ]);
      for (const format of ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY', 'DD.MM.YYYY', 'auto'] as const)
        expect({ text, format, date: parseDate(text, format) }).toEqual({
          text,
          format,
          date: parseDateViaDate(text, format),
        });
    }
  });
});
