import type { ActivityContext } from './deps';

/** Counts the vendor requests one activity sends, then adds them to staging's `vendor_requests`. */
export class RequestMeter {
  readonly counts = new Map<string, number>();

  readonly add = (vendor: string): void => {
    this.counts.set(vendor, (this.counts.get(vendor) ?? 0) + 1);
  };

  /** Adds this activity's requests (and the records it handled) to the stage's running totals. */
  async record(
    ctx: ActivityContext,
    key: { migrationId: string; phase: string; object: string; stage: string },
    records: number,
  ): Promise<void> {
    for (const [vendor, requests] of this.counts) {
      await ctx.sql`
        insert into vendor_requests (migration_id, phase, object, stage, vendor, requests, records)
        values (${key.migrationId}, ${key.phase}, ${key.object}, ${key.stage}, ${vendor}, ${requests}, ${records})
        on conflict (migration_id, phase, object, stage, vendor) do update
          set requests = vendor_requests.requests + excluded.requests,
              records = vendor_requests.records + excluded.records,
              updated_at = now()`;
    }
    this.counts.clear();
  }
}
