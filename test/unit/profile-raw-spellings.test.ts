import { ProfileBuilder } from '../../plan/profile';

describe('profile: raw spellings next to normalised values', () => {
  it('counts 18 raw spellings of 14 trimmed picklist values', () => {
    const builder = new ProfileBuilder('tickets');
    // 14 values as is; 5 of them also padded (one of those two ways), one padded value never written as is.
    const asIs = Array.from({ length: 13 }, (_, i) => `Status ${i + 1}`);
    const padded = [' Status 1', 'Status 1 ', ' Status 2', 'Status 3\t', ' Only padded '];
    for (let round = 0; round < 4; round++) for (const v of [...asIs, ...padded]) builder.add({ status: v });
    const status = builder.finish().fields.find((f) => f.field === 'status')!;
    expect(status.distinct).toBe(14);
    expect(status.rawDistinct).toBe(18);
    expect(status.picklistCandidate).toBe(true);
  });

  it('counts a padded spelling seen before the value as is, and values that are not text', () => {
    const builder = new ProfileBuilder('deals');
    for (const v of ['Won ', 'Won', 'Won ', 'Lost', 7, '7', ' 7', null, '']) builder.add({ stage: v });
    const stage = builder.finish().fields.find((f) => f.field === 'stage')!;
    expect(stage.distinct).toBe(3); // Won, Lost, 7
    expect(stage.rawDistinct).toBe(5); // "Won ", "Won", "Lost", "7" (number and text alike), " 7"
    expect(stage.blank).toBe(2);
  });

  it('equals the trimmed count when nothing is padded', () => {
    const builder = new ProfileBuilder('ids');
    for (let i = 0; i < 50; i++) builder.add({ id: `C${i}` });
    const id = builder.finish().fields[0]!;
    expect(id.rawDistinct).toBe(id.distinct);
    expect(id.distinct).toBe(50);
  });
});
