import type postgres from 'postgres';
import { planSources, type Plan } from '../plan/schema';
import { effectiveBudget } from './kit/budget';
import { attio } from './attio/declaration';
import { front } from './front/declaration';
import { hubspot } from './hubspot/declaration';
import { zendesk, ZENDESK_INCREMENTAL_EXPORTS_PER_MINUTE } from './zendesk/declaration';
import type { VendorDeclaration } from './kit/http';

/** The vendors Tern meters, with the plan's side that names their tier. */
const VENDORS: Record<
  string,
  { declaration: VendorDeclaration; side: 'source' | 'target'; kind: string; fixedRate?: number }
> = {
  front: { declaration: front, side: 'target', kind: 'front' },
  attio: { declaration: attio, side: 'target', kind: 'attio' },
  zendesk: { declaration: zendesk, side: 'source', kind: 'zendesk' },
  'zendesk-exports': {
    declaration: zendesk,
    side: 'source',
    kind: 'zendesk',
    fixedRate: ZENDESK_INCREMENTAL_EXPORTS_PER_MINUTE / 60,
  },
  hubspot: { declaration: hubspot, side: 'source', kind: 'hubspot' },
};

export interface StageEstimate {
  object: string;
  stage: 'extract' | 'load' | 'reconcile';
  /** Records the full phase handles in this stage. */
  records: number;
  /** Requests per vendor, from what the sample cost per record. */
  requests: Record<string, number>;
  /** Of `requests`, those of the account's set-up (metadata read, tags created): counted once, not scaled. */
  setup: Record<string, number>;
  /** The stage's time at the slowest vendor's documented rate (vendors work side by side within a stage). */
  seconds: number;
}

export interface FullPhaseEstimate {
  /** The sample's measured cost per record, scaled to everything the full phase will handle. */
  stages: StageEstimate[];
  /** Requests per second each vendor allows at the plan's tier, capped at the documented ceiling. */
  rates: Record<string, number>;
  requests: Record<string, number>;
  /** Loading and reconciling what the sample did not (extraction is done once, in the sample). */
  seconds: number;
  /** The same from scratch: extraction included. */
  secondsFromScratch: number;
}

/**
 * The wall time of the full phase at the vendors' documented limits, from what the sample phase measured:
 * requests per record of each object and stage (staging's `vendor_requests`), times the records the full
 * phase still has to load and must reconcile, plus once what the sample spent preparing the account (its
 * metadata read, tags created: the full phase reads the metadata again, and creates only the tags the sample
 * did not, a number that follows the distinct values, not the records), at the rate the plan's tier allows
 * (never past the documented ceiling, whatever a sandbox run was allowed). Null before a sample ran against a
 * SaaS endpoint.
 */
export async function estimateFullPhase(
  sql: postgres.Sql,
  migrationId: string,
  plan: Plan,
): Promise<FullPhaseEstimate | null> {
  const measured = await sql<
    { object: string; stage: string; vendor: string; requests: number; setup: number; records: number }[]
  >`
    select object, stage, vendor, requests, setup_requests as setup, records from vendor_requests
    where migration_id = ${migrationId} and phase = 'sample'`;
  if (measured.length === 0) return null;
  const counts = await sql<{ object: string; eligible: number; sampled: number }[]>`
    select object,
           count(*) filter (where disposition is null and source_deleted_at is null)::int as eligible,
           count(*) filter (where sampled and disposition is null and source_deleted_at is null)::int as sampled
    from staged_records where migration_id = ${migrationId} group by object`;
  const rates: Record<string, number> = {};
  for (const [name, v] of Object.entries(VENDORS)) {
    const sides = v.side === 'target' ? [plan.target] : planSources(plan).map((s) => s.source);
    const side = sides.find((s) => s.kind === v.kind);
    // The plan's tier applies to the vendor it names; another vendor is at its documented default.
    const override = side && 'budget' in side ? side.budget : undefined;
    // Documented limits only: a sandbox's raised rate says nothing about the real account.
    const documented = effectiveBudget(v.declaration.budget, override && { ...override, exceedDocumented: false });
    rates[name] = v.fixedRate ?? documented.ratePerSecond;
  }
  const stages: StageEstimate[] = [];
  for (const object of plan.objects) {
    const count = counts.find((c) => c.object === object.name);
    for (const stage of ['extract', 'load', 'reconcile'] as const) {
      const rows = measured.filter((m) => m.object === object.name && m.stage === stage);
      if (rows.length === 0) continue;
      // Extraction read every record; load and reconciliation handled the sample.
      const scale = (m: { records: number }) =>
        stage === 'extract'
          ? 1
          : m.records > 0
            ? ((count?.eligible ?? 0) - (stage === 'load' ? (count?.sampled ?? 0) : 0)) / m.records
            : 0;
      const requests: Record<string, number> = {};
      const setup: Record<string, number> = {};
      let seconds = 0;
      for (const m of rows) {
        if (m.setup > 0) setup[m.vendor] = m.setup;
        // What prepared the account (its metadata read, tags created) is paid once, not once per record.
        requests[m.vendor] = Math.round((m.requests - m.setup) * Math.max(0, scale(m))) + m.setup;
        seconds = Math.max(seconds, requests[m.vendor]! / (rates[m.vendor] ?? Infinity));
      }
      const records = stage === 'extract' ? Math.max(...rows.map((r) => r.records)) : (count?.eligible ?? 0);
      stages.push({ object: object.name, stage, records, requests, setup, seconds: Math.round(seconds) });
    }
  }
  const requests: Record<string, number> = {};
  for (const s of stages)
    if (s.stage !== 'extract')
      for (const [vendor, n] of Object.entries(s.requests)) requests[vendor] = (requests[vendor] ?? 0) + n;
  const seconds = stages.filter((s) => s.stage !== 'extract').reduce((n, s) => n + s.seconds, 0);
  const secondsFromScratch = stages.reduce((n, s) => n + s.seconds, 0);
  return { stages, rates, requests, seconds, secondsFromScratch };
}
