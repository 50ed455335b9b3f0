/**
 * What a quarantine reason code means, in words a signer reads, for the codes whose name alone does not say it;
 * undefined for the others (their code is shown as it is).
 */
const MEANINGS: Record<string, string> = {
  merge_review_pending: 'awaiting a merge review decision',
};

export function reasonMeaning(code: string): string | undefined {
  return Object.hasOwn(MEANINGS, code) ? MEANINGS[code] : undefined;
}
