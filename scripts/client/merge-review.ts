import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { renderReviewFile, type ReviewItem } from '../../plan/identity';

/** What `tern merge review` did to an object's review file. */
export interface ReviewFileUpdate {
  text: string;
  /** Groups under review now that the file did not list: written undecided. */
  added: string[];
  /** Groups the file had decided: kept as decided, whether their records merged since or not. */
  decided: string[];
  /** Groups still under review and still undecided in the file. */
  undecided: string[];
  /** Undecided groups of the file that are no longer under review (their records changed): dropped. */
  dropped: string[];
}

/**
 * The review file after a merge: every decision a person wrote is kept as written (a decided group is no longer under
 * review, and its decision must stay for the next run), each group under review now is listed (undecided when new),
 * and an undecided entry whose group no longer exists is dropped (its records changed; they are listed again under
 * their new group when they still meet). Pure: the text in, the text out.
 */
export function updateReviewFile(
  existing: string | null,
  object: string,
  review: readonly ReviewItem[],
): ReviewFileUpdate {
  const fresh = parseDocument(renderReviewFile(object, review));
  const freshGroups = (fresh.toJS() as { groups: { group: string }[] }).groups;
  const underReview = new Set(review.map((r) => r.group));
  const kept: unknown[] = [];
  const decided: string[] = [];
  const listed = new Set<string>();
  const dropped: string[] = [];
  if (existing !== null) {
    const doc = parseDocument(existing);
    const groups = isMap(doc.contents) ? doc.get('groups') : undefined;
    if (isSeq(groups))
      for (const entry of (doc.toJS() as { groups: unknown[] }).groups) {
        const group = (entry as { group?: unknown } | null)?.group;
        const decision = (entry as { decision?: unknown } | null)?.decision;
        if (typeof group !== 'string') continue;
        if (decision !== null && decision !== undefined) {
          kept.push(entry);
          decided.push(group);
          listed.add(group);
        } else if (underReview.has(group)) {
          kept.push(entry);
          listed.add(group);
        } else dropped.push(group);
      }
  }
  const added = freshGroups.filter((g) => !listed.has(g.group));
  const header = renderReviewFile(object, [])
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .join('\n');
  const groups = [...kept, ...added];
  return {
    text: `${header}\n${stringify({ groups }, { lineWidth: 0 })}`,
    added: added.map((g) => g.group),
    decided,
    undecided: [...listed].filter((g) => !decided.includes(g) && underReview.has(g)).concat(added.map((g) => g.group)),
    dropped,
  };
}
