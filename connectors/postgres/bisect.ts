/** Why the target refused one record: PostgreSQL's message and SQLSTATE. */
export interface Refusal {
  message: string;
  code: string;
}

/**
 * Writes a page as one attempt; when the attempt fails because of a record (`refusalOf` names it), the page is
 * split in halves and each half tried again, down to single records, which are refused with their own error.
 * k bad records in a page of n cost O(k·log n) attempts instead of n; every good record is written once, in a
 * half that succeeded. Any other error (the database is gone, a bug) ends the page as it is.
 */
export async function writeBisecting<T>(
  items: readonly T[],
  attempt: (part: readonly T[]) => Promise<Map<string, string>>,
  refusalOf: (err: unknown) => Refusal | null,
  idOf: (item: T) => string,
): Promise<{ ids: Map<string, string>; rejected: Map<string, Refusal> }> {
  const ids = new Map<string, string>();
  const rejected = new Map<string, Refusal>();
  const write = async (part: readonly T[]): Promise<void> => {
    if (part.length === 0) return;
    try {
      for (const [key, id] of await attempt(part)) ids.set(key, id);
      return;
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      if (part.length === 1) {
        rejected.set(idOf(part[0]!), refusal);
        return;
      }
    }
    const middle = Math.ceil(part.length / 2);
    await write(part.slice(0, middle));
    await write(part.slice(middle));
  };
  await write(items);
  return { ids, rejected };
}
