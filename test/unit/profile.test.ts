import { classifyDate, classifyValue, ProfileBuilder } from '../../plan/profile';

describe('date classification', () => {
  it.each([
    ['2024-03-01', 'iso'],
    ['2024-03-01 10:00:00+00', 'iso'],
    ['2024-02-30', 'invalid'],
    ['03/25/2024', 'monthFirst'],
    ['25/03/2024', 'dayFirst'],
    ['03/04/2024', 'ambiguous'],
    ['04/04/2024', 'sameDayMonth'],
    ['02/30/2024', 'invalid'],
    ['13/13/2024', 'invalid'],
    ['25.03.2024', 'dayFirst'],
  ])('%s is %s', (value, expected) => {
    expect(classifyDate(value)).toBe(expected);
  });

  it('leaves non-dates alone', () => {
    expect(classifyDate('soon')).toBeUndefined();
    expect(classifyValue('12.50')).toBe('number');
    expect(classifyValue('Yes')).toBe('boolean');
    expect(classifyValue('a@b.co')).toBe('email');
    expect(classifyValue('N/A')).toBe('text');
  });
});

describe('ProfileBuilder', () => {
  const builder = new ProfileBuilder('deals');
  const statuses = ['Won', 'won ', 'Lost', 'Open'];
  for (let i = 0; i < 40; i++) {
    builder.add({
      id: String(i),
      status: statuses[i % 4],
      amount: i === 3 ? 'TBD' : i === 4 ? '' : `${i}.50`,
      closed:
        i < 10
          ? `0${(i % 9) + 1}/2${i % 8}/2020`
          : i < 15
            ? `2${i % 8}/0${(i % 9) + 1}/2020`
            : i < 18
              ? '03/04/2021'
              : '2021-01-01',
      tags: i % 10 === 0 ? 'a, b' : 'a',
    });
  }
  builder.add({ id: '40', late: 'x' });
  const profile = builder.finish();
  const field = (name: string) => profile.fields.find((f) => f.field === name)!;

  it('counts rows, blanks (including fields first seen late) and distinct trimmed values', () => {
    expect(profile.rows).toBe(41);
    expect(field('late').blank).toBe(40);
    expect(field('status').blank).toBe(1);
    expect(field('status').distinct).toBe(4); // "won " trims to "won", still distinct from "Won"
    expect(field('status').top[0]).toEqual({ value: 'Lost', count: 10 });
    expect(field('status').picklistCandidate).toBe(true);
    expect(field('status').values).toHaveLength(4);
    expect(field('id').picklistCandidate).toBe(false);
  });

  it('finds type anomalies in a numeric column', () => {
    expect(field('amount').dominantType).toBe('number');
    expect(field('amount').typeAnomalies).toBe(1);
    expect(field('amount').blank).toBe(2);
  });

  it('classifies dates and gives a verdict', () => {
    const d = field('closed').dates!;
    expect(d.monthFirst + d.dayFirst + d.ambiguous + d.sameDayMonth + d.iso + d.invalid).toBe(40);
    expect(d.ambiguous).toBeGreaterThanOrEqual(3);
    expect(d.dayFirst).toBeGreaterThan(0);
    expect(d.monthFirst).toBeGreaterThan(0);
    expect(d.verdict).toBe('mixed');
    expect(d.iso).toBe(22);
  });

  it('counts multi-value cells', () => {
    expect(field('tags').multiValue).toBe(4);
  });
});
