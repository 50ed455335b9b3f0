import { READINGS } from '../../plan/fidelity-values';
import { canonicalTimestamp } from '../../plan/target-values';
import { readTimestampText } from '../../plan/timestamps';
import { composeTransforms, standaloneContext, type TransformSpec } from '../../plan/transforms';

const run = (specs: TransformSpec[], value: unknown) => composeTransforms(specs)(value, standaloneContext());

describe('one reading of timestamp text: wall time, fraction digits and offset', () => {
  it('keeps the fraction as written beside its digits without trailing zeros', () => {
    const read = readTimestampText('2024-03-01 14:05:00.123450+05:30');
    expect(read).toEqual({
      ok: true,
      timestamp: {
        wall: { year: 2024, month: 3, day: 1, hour: 14, minute: 5, second: 0, fraction: '12345' },
        writtenFraction: '123450',
        offsetSeconds: 19_800,
        hasTime: true,
      },
    });
  });

  it('tells text that is no timestamp from a timestamp that names no real moment', () => {
    expect(readTimestampText('now')).toEqual({ ok: false, reason: 'syntax' });
    expect(readTimestampText('03/01/2024 14:05')).toEqual({ ok: false, reason: 'syntax' });
    expect(readTimestampText('2024-02-30T10:00')).toEqual({ ok: false, reason: 'invalid' });
    expect(readTimestampText('2024-03-01T25:00')).toEqual({ ok: false, reason: 'invalid' });
    expect(readTimestampText('2024-03-01T10:60')).toEqual({ ok: false, reason: 'invalid' });
  });

  it("reads PostgreSQL's looser spellings, and in the ISO form only ISO 8601's calendar form", () => {
    for (const loose of ['2024-3-1 9:05', '12024-03-01 14:05', '2024-03-01 14:05:00+05:30:15', '2024-03-01 14:05  Z']) {
      expect([loose, readTimestampText(loose).ok]).toEqual([loose, true]);
      expect([loose, readTimestampText(loose, 'iso')]).toEqual([loose, { ok: false, reason: 'syntax' }]);
    }
    for (const iso of ['2024-03-01', '2024-03-01T14:05', '2024-03-01 14:05:00,5 Z', '2024-03-01T14:05:00.1-0330'])
      expect([iso, readTimestampText(iso, 'iso').ok]).toEqual([iso, true]);
  });
});

describe('the datetime transform and the fidelity check read ISO text as the same instant', () => {
  it.each([
    '2024-03-01 14:05:00.123450+00',
    '2024-03-01T19:35:00,654321+0530',
    '2023-12-31T23:59:59.999999999-01',
    '2024-03-01T14:05',
    '2024-03-01',
    '2024-07-01 14:05:00.25-04:00',
  ])('%s', (text) => {
    for (const zone of ['UTC', 'Europe/Paris', 'America/New_York']) {
      const written = run([{ datetime: { zone } }], text);
      expect([zone, canonicalTimestamp(written)]).toEqual([zone, READINGS.datetime!.read(text, { zone })]);
    }
  });
});
