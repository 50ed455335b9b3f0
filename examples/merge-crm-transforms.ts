/**
 * The merge example's own transform (examples/merge-crm-to-postgres.yaml, under `customTransforms`): a survivorship
 * transform is given the non-blank values of a merged record's field, one per source record, as a list.
 */

/** The earliest of dates written YYYY-MM-DD (as the `date` transform writes them): a customer since the first system knew it. */
export function earliest(values: unknown): unknown {
  const dates = (Array.isArray(values) ? values : [values]).filter(
    (v): v is string => typeof v === 'string' && v.trim() !== '',
  );
  // ISO dates sort as text.
  return dates.length === 0 ? null : dates.reduce((a, b) => (b < a ? b : a));
}
