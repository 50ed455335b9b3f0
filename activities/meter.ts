import type { ActivityContext } from './deps';

/** Counts the vendor requests one activity sends, then adds them to staging's `vendor_requests`. */
export class RequestMeter {
  /** Per vendor: every request sent, and of those the ones that prepared the account (`VendorRequest.setup`). */
  readonly counts = new Map<string, { requests: number; setup: number }>();

  readonly add = (vendor: string, setup = false): void => {
    const count = this.counts.get(vendor) ?? { requests: 0, setup: 0 };
    count.requests += 1;
    if (setup) count.setup += 1;
    this.counts.set(vendor, count);
  };

  /** Adds this activity's requests (and the records it handled) to the stage's running totals. */
  async record(
    ctx: ActivityContext,
    key: { migrationId: string; phase: string; object: string; stage: string },
    records: number,
  ): Promise<void> {
    for (const [vendor, { requests, setup }] of this.counts) {
      await ctx.sql`
        insert into vendor_requests (migration_id, phase, object, stage, vendor, requests, setup_requests, records)
        values (${key.migrationId}, ${key.phase}, ${key.object}, ${key.stage}, ${vendor}, ${requests}, ${setup},
                ${records})
        on conflict (migration_id, phase, object, stage, vendor) do update
          set requests = vendor_requests.requests + excluded.requests,
              setup_requests = vendor_requests.setup_requests + excluded.setup_requests,
              records = vendor_requests.records + excluded.records,
              updated_at = now()`;
    }
    this.counts.clear();
  }
}
