import { parseReviewFile, type ReviewItem } from '../../plan/identity';
import { updateReviewFile } from '../../scripts/client/merge-review';

const item = (group: string, ids: string[]): ReviewItem => ({
  group,
  members: ids.map((id) => ({ source: id.split('/')[0]!, sourceId: id.split('/')[1]! })),
  sameSource: [{ source: 'legacy', sourceIds: ids.filter((i) => i.startsWith('legacy/')).map((i) => i.slice(7)) }],
  links: [{ rule: 'domain on domain', key: 'hooli.com', members: [] }],
});

describe('updateReviewFile: the review file after a merge', () => {
  const a = item('mg_aaaaaaaaaaaaaaaa', ['hub/4', 'legacy/12', 'legacy/13']);
  const b = item('mg_bbbbbbbbbbbbbbbb', ['legacy/20', 'legacy/21']);

  it('lists every group under review, undecided, in a file the plan reads back', () => {
    const update = updateReviewFile(null, 'companies', [a, b]);
    expect(update).toMatchObject({ added: [a.group, b.group], decided: [], dropped: [] });
    expect(update.undecided).toEqual([a.group, b.group]);
    const read = parseReviewFile(update.text);
    expect(read.issues).toEqual([]);
    expect(read.pending).toEqual([a.group, b.group]);
  });

  it("keeps a person's decisions, even for a group no longer under review, and drops undecided groups that are gone", () => {
    const first = updateReviewFile(null, 'companies', [a, b]).text;
    const decided = first.replace(/^( *)decision: null$/m, '$1decision: merge');
    const c = item('mg_cccccccccccccccc', ['legacy/30', 'legacy/31']);
    // After the run: group a merged (no longer under review), b's records changed (gone), c is new.
    const update = updateReviewFile(decided, 'companies', [c]);
    expect(update).toMatchObject({ added: [c.group], decided: [a.group], dropped: [b.group], undecided: [c.group] });
    const read = parseReviewFile(update.text);
    expect(read.issues).toEqual([]);
    expect([...read.decisions]).toEqual([[a.group, { kind: 'merge' }]]);
    expect(read.pending).toEqual([c.group]);
  });
});
