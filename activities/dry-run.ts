import { Context } from '@temporalio/activity';
import { TernError } from '../common/errors';
import type { GoldColumn } from '../plan/gold';
import type { TargetRecords } from '../connectors/target';
import { type Rejection, UniqueValues } from '../plan/target-check';
import { FindingTally, precisionLossCheck, type FieldFinding } from '../plan/precision';
import { type MappedRecord, mapPage } from '../protocol/page';
import type { ActivityContext } from './deps';
import type { ObjectInput } from './preferences';
import { frozenGold, mapPageOptions } from './map-options';

/**
 * The dry run: every staged record of an object through the load's own decision — the same pages in the same
 * order, `mapPage` with options from the same builder, and what the target refuses before a write asked of
 * the target the same way (read-only) — without writing. docs/preferences.md: filtered → deduplicated →
 * quarantined → loaded.
 */

export interface DryRunCounts {
  /** Records the source held: staged + extract rejects. */
  source: number;
  staged: number;
  loaded: number;
  quarantined: Record<string, number>;
  filtered: Record<string, number>;
  deduplicated: number;
  /**
   * The load would stop before writing this object: the target refused what the records name as a whole (an
   * unknown custom field, a fallback teammate that does not exist), as one line with its fix.
   */
  blocked?: string;
  /** What the dry run could not ask the target without changing it, so the prediction does not cover it. */
  notPredicted?: string[];
}

/**
 * One kind of would-be target error of an object (a field and a reason), as pre-flight reports it: how many
 * records, a few of them with their values, and the transform that avoids it (tallied by plan/precision's
 * FindingTally, as `plan validate` tallies its precision findings).
 */
export type PreflightFinding = FieldFinding;

/**
 * What the target refuses of mapped records before they are written, as the load meets it: the target's own
 * read-only check where it has one (values another record already holds in it, or earlier in the page), and
 * values an earlier record of the object holds (written by an earlier page in the load). A target without its
 * own check refuses the second value at write time, which the load records as `target_rejected`.
 */
class TargetRefusals {
  private readonly uniques: UniqueValues;

  constructor(
    private readonly target: TargetRecords,
    columns: readonly GoldColumn[],
    unique: readonly string[],
    key: string,
  ) {
    this.uniques = new UniqueValues(columns, unique, key);
  }

  async predict(
    mapped: readonly MappedRecord[],
    payloads: readonly Record<string, unknown>[],
  ): Promise<Map<string, { code: string; preflight?: Rejection }>> {
    const out = new Map<string, { code: string; preflight?: Rejection }>();
    const asked = this.target.uniqueConflicts
      ? await this.target.uniqueConflicts(mapped.map((m, i) => ({ sourceId: m.sourceId, payload: payloads[i]! })))
      : new Map<string, { code: string; field: string; message: string }>();
    mapped.forEach((m, i) => {
      const held = asked.get(m.sourceId);
      if (held) {
        out.set(m.sourceId, { code: held.code, preflight: { ...held, fix: uniqueFix(held.field) } });
        return;
      }
      const conflict = this.uniques.check(m.sourceId, payloads[i]!);
      if (conflict)
        out.set(m.sourceId, {
          code: this.target.uniqueConflicts ? conflict.code : 'target_rejected',
          preflight: conflict,
        });
    });
    return out;
  }
}

const uniqueFix = (field: string) =>
  `dedupe the object on it: dedupe: { key: [<source field of ${field}>] }, or map ${field} from a field that differs`;

interface StagedRow {
  source_id: string;
  raw: Record<string, unknown>;
  disposition: string | null;
}

/** The object's staged records as the full load pages through them: source-id order, the object's page size. */
async function* loadPages(ctx: ActivityContext, input: ObjectInput, pageSize: number): AsyncGenerator<StagedRow[]> {
  let after: string | null = null;
  for (;;) {
    const page: StagedRow[] = await ctx.sql<StagedRow[]>`
      select source_id, raw, disposition from staged_records
      where migration_id = ${input.migrationId} and object = ${input.object} and source_deleted_at is null
        and (${after}::text is null or source_id > ${after})
      order by source_id
      limit ${pageSize}`;
    if (page.length === 0) return;
    after = page[page.length - 1]!.source_id;
    yield page;
    // A sign of life per page (vendor requests beat on their own); the cursor is an id, never record content.
    Context.current().heartbeat({ object: input.object, after });
  }
}

/** Writes the predicted outcome of many staged records at once. */
async function savePredictions(
  ctx: ActivityContext,
  input: ObjectInput,
  rows: { sourceId: string; outcome: string; reason: string | null }[],
): Promise<void> {
  const ids = rows.map((r) => r.sourceId);
  const outcomes = rows.map((r) => r.outcome);
  const reasons = rows.map((r) => r.reason);
  await ctx.sql`
    update staged_records s set predicted = v.a, predicted_reason = v.b
    from (select unnest(${ids}::text[]) as id, unnest(${outcomes}::text[]) as a, unnest(${reasons}::text[]) as b) v
    where s.migration_id = ${input.migrationId} and s.object = ${input.object} and s.source_id = v.id`;
}

/**
 * Predicts every staged record's outcome and keeps it in staging (`predicted`, `predicted_reason`), with the
 * counts and the pre-flight findings in the object's profile. References resolve only to records predicted
 * loaded, so objects run in dependency order, and a record referring to its own object sees only earlier
 * pages, as in the load.
 */
export async function dryRunObject(ctx: ActivityContext, input: ObjectInput): Promise<DryRunCounts> {
  const { plan } = await ctx.migration(input.migrationId, input.planHash);
  const object = ctx.object(plan, input.object);
  const table = (await frozenGold(ctx, input.migrationId))?.tables[object.target.table];
  const columns = table?.columns ?? [];
  // The target's records as the load opens them; the dry run only reads through them.
  const target = await (await ctx.target(plan, input.migrationId)).records(input.object);
  const refusals = new TargetRefusals(target, columns, table?.uniqueColumns ?? [], object.target.key);
  // `prepare` creates what the records name when the target creates options: a dry run must not.
  const creates = columns.filter((c) => c.createsOptions).map((c) => c.name);
  const findings = new FindingTally();
  // Precision the target's columns lack (rounded fractions): counted per field, the record still loads.
  const precisionLosses = precisionLossCheck(object, columns);
  const counts: DryRunCounts = { source: 0, staged: 0, loaded: 0, quarantined: {}, filtered: {}, deduplicated: 0 };
  if (creates.length > 0)
    counts.notPredicted = [
      `the load creates the options of ${creates.join(', ')} that the target lacks; the dry run created none`,
    ];
  const quarantine = (code: string) => (counts.quarantined[code] = (counts.quarantined[code] ?? 0) + 1);
  await ctx.sql`
    update staged_records set predicted = null, predicted_reason = null
    where migration_id = ${input.migrationId} and object = ${input.object} and predicted is not null`;

  for await (const page of loadPages(ctx, input, object.pageSize)) {
    const outcomes: { sourceId: string; outcome: string; reason: string | null }[] = [];
    counts.staged += page.length;
    for (const row of page)
      if (row.disposition) outcomes.push({ sourceId: row.source_id, outcome: row.disposition, reason: null });
    const live = page.filter((r) => r.disposition === null).map((r) => ({ sourceId: r.source_id, raw: r.raw }));
    const options = await mapPageOptions(ctx, {
      migrationId: input.migrationId,
      planHash: input.planHash,
      object,
      records: live.map((r) => r.raw),
      keyIsSourceId: target.keyIsSourceId,
      references: 'predicted loaded',
    });
    const { mapped, rejected } = mapPage(live, options);
    for (const r of rejected) {
      if (r.preflight) findings.add(r.sourceId, r.preflight);
      quarantine(r.code);
      outcomes.push({ sourceId: r.sourceId, outcome: 'quarantined', reason: r.code });
    }
    let payloads = mapped.map((m) => m.payload);
    if (creates.length === 0 && !counts.blocked && mapped.length > 0) {
      try {
        payloads = await target.prepare(payloads);
      } catch (err) {
        if (!(err instanceof TernError)) throw err;
        counts.blocked = err.toLine();
      }
    }
    const refused = await refusals.predict(mapped, payloads);
    for (const m of mapped) {
      const refusal = refused.get(m.sourceId);
      if (refusal?.preflight) findings.add(m.sourceId, refusal.preflight);
      if (!refusal) for (const loss of precisionLosses(m.raw, m.payload)) findings.add(m.sourceId, loss);
      if (refusal) quarantine(refusal.code);
      else counts.loaded += 1;
      outcomes.push({
        sourceId: m.sourceId,
        outcome: refusal ? 'quarantined' : 'loaded',
        reason: refusal?.code ?? null,
      });
    }
    await savePredictions(ctx, input, outcomes);
  }

  const dispositions = await ctx.sql<{ disposition: string; reason: string; n: number }[]>`
    select disposition, coalesce(disposition_reason, '') as reason, count(*)::int as n from staged_records
    where migration_id = ${input.migrationId} and object = ${input.object} and disposition is not null
      and source_deleted_at is null
    group by 1, 2`;
  for (const d of dispositions) {
    if (d.disposition === 'filtered') counts.filtered[d.reason] = d.n;
    else counts.deduplicated += d.n;
  }
  const extractRejects = await ctx.sql<{ code: string; n: number }[]>`
    select reason_code as code, count(*)::int as n from quarantine
    where migration_id = ${input.migrationId} and object = ${input.object} and stage = 'extract' and resolved_at is null
    group by 1`;
  for (const r of extractRejects) counts.quarantined[r.code] = (counts.quarantined[r.code] ?? 0) + r.n;
  counts.source = counts.staged + extractRejects.reduce((n, r) => n + r.n, 0);
  await ctx.sql`
    update profiles set profile = profile || jsonb_build_object('dryRun', ${JSON.stringify(counts)}::jsonb,
      'preflight', ${JSON.stringify(findings.list())}::jsonb)
    where migration_id = ${input.migrationId} and object = ${input.object}`;
  return counts;
}
