import { ActivityContext } from '../../activities/deps';
import { rawValues } from '../../activities/reconcile-counts';
import type { Staging } from '../../staging/db';
import { testStaging } from '../support/harness';

/**
 * The raw values a reconciliation compares are taken from a staged record's raw document by name: every named
 * field once, a field the record lacks as null, whatever the number of fields (PostgreSQL builds an object from at
 * most 50 pairs per call, so wider objects are built in parts and joined).
 */
describe('rawValues', () => {
  let staging: Staging;
  beforeAll(async () => {
    staging = await testStaging();
  });
  afterAll(async () => {
    await staging.close();
  });

  it.each([0, 1, 3, 50, 51, 120])('takes %i named fields from the raw document', async (n) => {
    const ctx = new ActivityContext({ staging });
    const fields = Array.from({ length: n }, (_, i) => `field ${i}`);
    // Every third field is missing from the record; values keep their JSON types.
    const raw = Object.fromEntries(
      fields.filter((_, i) => i % 3 !== 0).map((f, i) => [f, i % 2 === 0 ? `text ${f}` : i]),
    );
    const [row] = await staging.sql<{ values: Record<string, unknown> | null }[]>`
      select ${rawValues(ctx, staging.sql`r.raw`, fields)} as values
      from (select ${JSON.stringify(raw)}::jsonb as raw) r`;
    if (n === 0) expect(row!.values).toBeNull();
    else expect(row!.values).toEqual(Object.fromEntries(fields.map((f) => [f, raw[f] ?? null])));
  });
});
