import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type postgres from 'postgres';
import { loadSettings } from '../../common/config';
import { connectClient } from '../../common/temporal';
import { parseDocument, isMap, isSeq } from 'yaml';
import { parsePlan, type LoadedPlan } from '../../plan/load';
import { loadPreferencesReport } from '../../report/preferences';
import { startSandbox } from '../../sandboxes/core/server';
import { hubspotSandbox } from '../../sandboxes/hubspot';
import { connectStaging, openSql, type Staging } from '../../staging/db';
import { withInProcessWorkers } from '../../worker/worker';
import { progressQuery, type PhaseResult } from '../../workflows/phase';
import { startPhase } from '../client/phases';
import {
  applyMergeCrmTouch,
  buildMergeCrm,
  expectedOf,
  mergedRefOf,
  seedMergeHubSpot,
  touchMergeCrm,
  writeLegacyCrm,
  type MergeCrmFacts,
  type MergedObjectFacts,
  type ReviewDecision,
} from '../generate/merge-crm';
import { writeMergeReview } from '../commands/merge-review';
import { ensureTemporal } from '../stack/temporal';

/**
 * `npx tsx scripts/bench.ts merge`: two CRMs merged into one PostgreSQL CRM through the real stack. The generator
 * (scripts/generate/merge-crm.ts) seeds the HubSpot sandbox (companies, contacts) and a legacy SQL CRM (accounts,
 * contacts, deals) with planted overlaps, and says exactly what the target must hold; then
 * examples/merge-crm-to-postgres.yaml runs preferences → full, a delta after a few records of both systems changed
 * and a person decided the groups under review (`tern merge review`'s file: one split, the others merged), and a
 * rollback. After each phase the target tables THEMSELVES are counted against the generator's figures
 * (never Tern's ledger): records per source, merged groups, lost, duplicated, value mismatches, sums; after the
 * rollback the target is compared with what it held before the migration. Its own database, dropped at the end.
 */

const ROOT = path.resolve(__dirname, '../..');
const BENCH_DATABASE = 'tern_bench_merge';
const LEGACY_SCHEMA = 'crm';
const HUBSPOT_TOKEN_ENV = 'TERN_SANDBOX_HUBSPOT_TOKEN';
const HUBSPOT_TOKEN = 'hubspot-sandbox-token';
/** Rows the target held before the migration: one Tern overwrites (and a rollback restores), one it never touches. */
const UNTOUCHED_REF = 'crm-before/1';

export interface MergeTargetCount {
  /** Target rows by table. */
  rows: { companies: number; people: number; deals: number };
  /** Source records the target's rows stand for, per source (a merged row stands for each of its members). */
  perSource: Record<string, Record<string, number>>;
  /** Target rows that are the merged record of a planted group (two or more source records). */
  mergedGroups: { companies: number; people: number };
  /** Source records (not under review) whose merged record is not in the target. */
  lost: number;
  /** Extra target rows for one group (two rows whose refs are members of one group). */
  duplicated: number;
  /** Records of review groups found in the target (they wait for a person's decision). */
  reviewLoaded: number;
  /** Target rows that are no expected merged record (the untouched row from before the migration excepted). */
  unexpected: number;
  /** Fields of target rows that differ from the generator's expected survivor values. */
  mismatches: number;
  mismatchExamples: { table: string; key: string; field: string; expected: unknown; actual: unknown }[];
  sums: { 'companies.annual_revenue': string; 'deals.amount': string };
  sumsMatch: boolean;
}

export interface MergeBenchFigures {
  companies: number;
  seed: number;
  sources: MergeCrmFacts['records'];
  expected: {
    companies: { targetRows: number; mergedGroups: number; reviewGroups: number; reviewRecords: number };
    people: { targetRows: number; mergedGroups: number; reviewGroups: number };
    deals: number;
    sums: MergeCrmFacts['sums'];
  };
  preferences: {
    ok: boolean;
    seconds: number;
    /** The dry run's prediction over every object: loaded, and quarantined by reason. */
    predicted: { records: number; loaded: number; quarantined: Record<string, number> };
    /** The plan's errors against the target and objects whose load would stop, one line each. */
    problems: string[];
  };
  full: PhaseFigures;
  /** The delta after changes in both systems and a person's decisions on every group under review. */
  delta: PhaseFigures & { changes: number; reviewDecisions: number };
  rollback: { ok: boolean; seconds: number; targetAsBefore: boolean; rows: MergeTargetCount['rows'] };
  /**
   * Preferences ok; after full and after the delta: lost, duplicated, mismatches and unexpected rows 0, sums equal,
   * no record under review loaded, the survivor examples' lineage and Tern's per-source proof as expected; after
   * the rollback the target as before.
   */
  ok: boolean;
}

interface PhaseFigures {
  seconds: number;
  /** Seconds per object and stage, from the phase's progress. */
  stages: Record<string, Record<string, number>>;
  /** Tern's own reconciliation of the phase. */
  ternOk: boolean;
  quarantined: Record<string, number>;
  unaccounted: number;
  target: MergeTargetCount;
  /** Tern's own count equation per object: source = loaded + quarantined + filtered + deduplicated; deleted. */
  ternCounts: Record<
    string,
    { source: number; loaded: number; quarantined: number; deduplicated: number; deleted: number }
  >;
  /** Tern's per-source reconciliation of companies and people, equal to the generator's figures. */
  ternProof: { agrees: boolean; differences: string[] };
  /** Tern's per-source money lines of each merged object's `sums` fields (records not merged, merged groups). */
  ternSums: Record<string, NonNullable<PhaseResult['objects'][number]['merge']>['sums']>;
  /** merge_lineage of the generator's survivor examples: rule and origin records as expected. */
  lineage: { rows: number; checked: number; mismatches: number; examples: string[] };
}

const tenths = (n: number) => Number(n.toFixed(1));

/**
 * Seconds each object spent in each stage of a loading phase (extracting, prepared, loading, reconciling), from
 * the phase's progress polled while it runs: the first moment each stage was seen, to the object's next one.
 */
function watchStages(handle: WorkflowHandle): { stop: () => Record<string, Record<string, number>> } {
  const seen = new Map<string, [string, number][]>();
  let running = true;
  const poll = async () => {
    while (running) {
      try {
        const progress = await handle.query(progressQuery);
        for (const o of progress.objects) {
          const list = seen.get(o.object) ?? [];
          if (list.at(-1)?.[0] !== o.stage) list.push([o.stage, Date.now()]);
          seen.set(o.object, list);
        }
      } catch {
        // Not started yet, or between runs: the next poll tells.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const polling = poll();
  return {
    stop: () => {
      running = false;
      void polling;
      const end = Date.now();
      const out: Record<string, Record<string, number>> = {};
      for (const [object, list] of seen) {
        const stages: Record<string, number> = {};
        list.forEach(([stage, at], i) => {
          if (stage === 'done' || stage === 'waiting') return;
          stages[stage] = tenths((stages[stage] ?? 0) + ((list[i + 1]?.[1] ?? end) - at) / 1000);
        });
        out[object] = stages;
      }
      return out;
    },
  };
}

/** The example plan pointed at the sandbox and the bench database, with its custom transform beside it. */
function benchPlan(hubspotUrl: string, dir: string, name: string): LoadedPlan {
  const text = fs
    .readFileSync(path.join(ROOT, 'examples', 'merge-crm-to-postgres.yaml'), 'utf8')
    .replace('https://api.hubapi.com', hubspotUrl)
    .replace('tokenEnv: HUBSPOT_TOKEN', `tokenEnv: ${HUBSPOT_TOKEN_ENV}`)
    .replace(/budget: \{ ratePerSecond: [\d.]+ \}/g, 'budget: { ratePerSecond: 1000, exceedDocumented: true }')
    .replace('name: merge-crm', `name: ${name}`);
  fs.copyFileSync(path.join(ROOT, 'examples', 'merge-crm-transforms.ts'), path.join(dir, 'merge-crm-transforms.ts'));
  const file = path.join(dir, 'merge-crm.yaml');
  fs.writeFileSync(file, text);
  return parsePlan(text, file);
}

/** The target before the migration: one row the full phase overwrites, one it never touches. */
async function seedTargetBefore(sql: postgres.Sql, facts: MergeCrmFacts): Promise<void> {
  const overwritten = facts.objects.companies.merged[0]!.ref;
  await sql`insert into merged.companies (merge_ref, name, domain, country) values
    (${overwritten}, 'Typed in by hand before the migration', 'old.example.com', 'US'),
    (${UNTOUCHED_REF}, 'A company only the new CRM has', 'new-only.example.com', 'GB')`;
}

/** A digest of every target table's rows, to compare the target before and after. */
async function targetDigest(sql: postgres.Sql): Promise<string> {
  const [row] = await sql<{ d: string }[]>`
    select md5(concat_ws('|',
      (select string_agg(t::text, E'\n' order by t.merge_ref) from merged.companies t),
      (select string_agg(t::text, E'\n' order by t.merge_ref) from merged.people t),
      (select string_agg(t::text, E'\n' order by t.legacy_id) from merged.deals t))) as d`;
  return row!.d;
}

type Row = Record<string, unknown>;

/** Counts the target tables against the generator's figures. */
async function countTarget(sql: postgres.Sql, facts: MergeCrmFacts): Promise<MergeTargetCount> {
  const companies = await sql<Row[]>`
    select merge_ref, name, domain, country::text as country, industry, customer_since::text as customer_since,
           annual_revenue::text as annual_revenue, notes
    from merged.companies`;
  const people = await sql<Row[]>`
    select merge_ref, first_name, last_name, email, phone, tags, company_ref from merged.people`;
  const deals = await sql<Row[]>`
    select legacy_id, company_ref, title, stage, amount::text as amount, close_date::text as close_date
    from merged.deals`;
  const [sums] = await sql<{ revenue: string | null; amount: string | null }[]>`
    select (select sum(annual_revenue) from merged.companies where merge_ref <> ${UNTOUCHED_REF})::numeric(20, 2)::text
             as revenue,
           (select sum(amount) from merged.deals)::numeric(20, 2)::text as amount`;

  const out: MergeTargetCount = {
    rows: { companies: companies.length, people: people.length, deals: deals.length },
    perSource: {},
    mergedGroups: { companies: 0, people: 0 },
    lost: 0,
    duplicated: 0,
    reviewLoaded: 0,
    unexpected: 0,
    mismatches: 0,
    mismatchExamples: [],
    sums: { 'companies.annual_revenue': sums?.revenue ?? '0.00', 'deals.amount': sums?.amount ?? '0.00' },
    sumsMatch: false,
  };
  const compare = (table: string, key: string, expected: Row, actual: Row) => {
    for (const [field, value] of Object.entries(expected)) {
      const got = actual[field] ?? null;
      if (JSON.stringify(got) === JSON.stringify(value)) continue;
      out.mismatches += 1;
      if (out.mismatchExamples.length < 10)
        out.mismatchExamples.push({ table, key, field, expected: value, actual: got });
    }
  };

  const merged = (
    table: 'companies' | 'people',
    rows: Row[],
    expected: MergedObjectFacts & { rows: Record<string, Row> },
  ) => {
    const groupOf = new Map<string, string[]>();
    for (const ref of Object.keys(expected.rows)) groupOf.set(ref, [ref]);
    for (const g of expected.merged) for (const m of g.members) groupOf.set(m, g.members);
    const mergedRefs = new Set(expected.merged.map((g) => g.ref));
    const reviewMembers = new Set(expected.review.flatMap((g) => g.members));
    const byRef = new Map(rows.map((r) => [String(r.merge_ref), r]));
    const perSource: Record<string, number> = {};
    const rowsPerGroup = new Map<string, number>();
    for (const [ref, row] of byRef) {
      if (reviewMembers.has(ref)) out.reviewLoaded += 1;
      const group = groupOf.get(ref);
      if (!group) {
        if (ref !== UNTOUCHED_REF) out.unexpected += 1;
        continue;
      }
      const anchor = group[0]!;
      rowsPerGroup.set(anchor, (rowsPerGroup.get(anchor) ?? 0) + 1);
      if (ref !== anchor) continue;
      for (const m of group) {
        const source = m.split('/')[0]!;
        perSource[source] = (perSource[source] ?? 0) + 1;
      }
      if (mergedRefs.has(ref)) out.mergedGroups[table] += 1;
      compare(table, ref, expected.rows[ref]!, row);
    }
    for (const n of rowsPerGroup.values()) out.duplicated += n - 1;
    for (const ref of Object.keys(expected.rows))
      if (!byRef.has(ref)) out.lost += expected.merged.find((g) => g.ref === ref)?.members.length ?? 1;
    out.perSource[table] = perSource;
  };
  merged('companies', companies, facts.objects.companies);
  merged('people', people, facts.objects.people);

  const dealsById = new Map(deals.map((d) => [String(d.legacy_id), d]));
  out.perSource.deals = { legacy: 0 };
  for (const [id, expected] of Object.entries(facts.objects.deals.rows)) {
    const row = dealsById.get(id);
    if (!row) {
      out.lost += 1;
      continue;
    }
    out.perSource.deals.legacy! += 1;
    compare('deals', id, expected, row);
  }
  out.unexpected += deals.filter((d) => !(String(d.legacy_id) in facts.objects.deals.rows)).length;
  out.sumsMatch =
    out.sums['companies.annual_revenue'] === facts.sums.target['companies.annual_revenue'] &&
    out.sums['deals.amount'] === facts.sums.target['deals.amount'];
  return out;
}

function phaseFigures(
  result: PhaseResult,
  { seconds, stages }: { seconds: number; stages: Record<string, Record<string, number>> },
  target: MergeTargetCount,
  quarantined: Record<string, number>,
  lineage: PhaseFigures['lineage'],
  ternProof: PhaseFigures['ternProof'],
): PhaseFigures {
  return {
    seconds: tenths(seconds),
    stages,
    ternOk: result.ok,
    ternCounts: Object.fromEntries(
      result.objects.map((o) => [
        o.object,
        {
          source: o.source,
          loaded: o.loaded,
          quarantined: o.quarantined,
          deduplicated: o.deduplicated,
          deleted: o.deleted,
        },
      ]),
    ),
    quarantined,
    unaccounted: result.objects.reduce((n, o) => n + o.unaccounted, 0),
    target,
    ternProof,
    ternSums: Object.fromEntries(result.objects.flatMap((o) => (o.merge ? [[o.object, o.merge.sums]] : []))),
    lineage,
  };
}

async function quarantineByCode(staging: Staging, migrationId: string): Promise<Record<string, number>> {
  const rows = await staging.sql<{ code: string; n: number }[]>`
    select reason_code as code, count(*)::int as n from quarantine
    where migration_id = ${migrationId} and resolved_at is null group by 1 order by 1`;
  return Object.fromEntries(rows.map((r) => [r.code, r.n]));
}

/**
 * Staging's lineage of the generator's survivor examples (one per object and rule, a few each): the rule and the
 * records Tern credits each value to must be the ones the generator says.
 */
async function checkLineage(staging: Staging, migrationId: string, facts: MergeCrmFacts) {
  const rows = await staging.sql<{ object: string; ref: string; field: string; rule: string; origin: string }[]>`
    select object, merged_ref as ref, field, rule, source || '/' || source_id as origin
    from merge_lineage where migration_id = ${migrationId} order by object, merged_ref, field, position`;
  const found = new Map<string, { rule: string; from: string[] }>();
  for (const r of rows) {
    const key = `${r.object}|${r.ref}|${r.field}`;
    const entry = found.get(key) ?? { rule: r.rule, from: [] };
    entry.from.push(r.origin);
    found.set(key, entry);
  }
  const mismatches: string[] = [];
  for (const e of facts.survivors) {
    const got = found.get(`${e.object}|${e.ref}|${e.field}`);
    // A value blank in every record has no lineage.
    if (!got && e.from.length === 0) continue;
    if (!got || got.rule !== e.rule || got.from.join(',') !== e.from.join(','))
      mismatches.push(
        `${e.object} ${e.ref} ${e.field}: expected ${e.rule} from ${e.from.join(',')}, staged ${got ? `${got.rule} from ${got.from.join(',')}` : 'nothing'}`,
      );
  }
  return {
    rows: rows.length,
    checked: facts.survivors.length,
    mismatches: mismatches.length,
    examples: mismatches.slice(0, 5),
  };
}

/** What Tern's per-source reconciliation of a merged object must say, from the generator's figures. */
function expectedMergeProof(o: MergedObjectFacts & { rows: Record<string, unknown> }, deleted: readonly string[]) {
  type Count = { read: number; survivors: number; mergedInto: number; quarantined: number; deleted: number };
  const sources: Record<string, Count> = {};
  const of = (ref: string) =>
    (sources[ref.split('/')[0]!] ??= { read: 0, survivors: 0, mergedInto: 0, quarantined: 0, deleted: 0 });
  for (const [source, n] of Object.entries(o.records)) of(`${source}/`).read = n;
  // A record the source deleted was read before: it counts as read, and deleted.
  for (const ref of deleted) {
    of(ref).read += 1;
    of(ref).deleted += 1;
  }
  for (const ref of Object.keys(o.rows)) of(ref).survivors += 1;
  for (const g of o.merged) for (const m of g.members.slice(1)) of(m).mergedInto += 1;
  for (const g of o.review) for (const m of g.members) of(m).quarantined += 1;
  return {
    sources: Object.fromEntries(Object.entries(sources).sort(([a], [b]) => a.localeCompare(b))),
    groups: {
      merged: o.merged.length,
      mergedRecords: o.merged.reduce((n, g) => n + g.members.length, 0),
      review: o.review.length,
      reviewRecords: o.reviewRecords,
      single: o.single,
    },
  };
}

/** Tern's own per-source reconciliation of each merged object, beside what the generator says it must be. */
function ternMergeProof(
  result: PhaseResult,
  facts: MergeCrmFacts,
  deleted: Partial<Record<'companies' | 'people', string[]>> = {},
): { agrees: boolean; differences: string[] } {
  const differences: string[] = [];
  for (const name of ['companies', 'people'] as const) {
    const proof = result.objects.find((o) => o.object === name)?.merge;
    if (!proof) {
      differences.push(`${name}: no per-source reconciliation`);
      continue;
    }
    const expected = expectedMergeProof(facts.objects[name], deleted[name] ?? []);
    const got = {
      sources: Object.fromEntries(
        [...proof.sources]
          .sort((a, b) => a.source.localeCompare(b.source))
          .map((s) => [
            s.source,
            {
              read: s.read,
              survivors: s.survivors,
              mergedInto: s.mergedInto,
              quarantined: s.quarantined,
              deleted: s.deleted,
            },
          ]),
      ),
      groups: {
        merged: proof.groups.merged,
        mergedRecords: proof.groups.mergedRecords,
        review: proof.groups.review,
        reviewRecords: proof.groups.reviewRecords,
        single: proof.groups.single,
      },
    };
    if (JSON.stringify(got) !== JSON.stringify(expected))
      differences.push(`${name}: Tern ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    if (!proof.ok) differences.push(`${name}: Tern's per-source reconciliation is not ok`);
    for (const s of proof.sources)
      if (s.unaccounted !== 0) differences.push(`${name}: ${s.source} unaccounted ${s.unaccounted}`);
  }
  return { agrees: differences.length === 0, differences };
}

/**
 * A person's decisions in the review file `tern merge review` wrote: the first group split (its HubSpot company
 * with the second legacy account; the first legacy account alone), every other merged whole. Returns them by the
 * group's members, as the generator takes them.
 */
function decideReview(file: string): Record<string, ReviewDecision> {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const groups = doc.get('groups');
  if (!isSeq(groups)) throw new Error(`${file}: no groups to decide`);
  const out: Record<string, ReviewDecision> = {};
  groups.items.forEach((item, i) => {
    if (!isMap(item)) throw new Error(`${file}: group ${i} is not a mapping`);
    const members = (item.get('members', true) as { toJSON(): unknown }).toJSON() as string[];
    const decision: ReviewDecision =
      i === 0 && members.length === 3 ? { split: [[members[0]!, members[2]!], [members[1]!]] } : 'merge';
    item.set('decision', doc.createNode(decision, { flow: true }));
    out[members.join(',')] = decision;
  });
  fs.writeFileSync(file, doc.toString());
  return out;
}

const clean = (t: MergeTargetCount) => t.lost === 0 && t.duplicated === 0 && t.mismatches === 0 && t.unexpected === 0;

/** The bench's own database, on the server `adminUrl` points at. */
function benchUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function mergeBench(
  adminUrl: string,
  options: { companies: number; seed: number; say: (line: string) => void; database?: string },
): Promise<MergeBenchFigures> {
  const { say } = options;
  const database = options.database ?? BENCH_DATABASE;
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`database "${database}" must be a simple lower-case name`);
  const admin = await openSql(adminUrl, { max: 1 });
  const url = benchUrl(adminUrl, database);
  const dir = fs.mkdtempSync(path.join(ROOT, '.tools', 'bench-merge-'));
  try {
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.unsafe(`create database ${database}`);
    Object.assign(process.env, { LEGACY_CRM_URL: url, MERGE_TARGET_URL: url, [HUBSPOT_TOKEN_ENV]: HUBSPOT_TOKEN });
    const settings = loadSettings({
      ...process.env,
      DATABASE_URL: url,
      TERN_TASK_QUEUE: `bench-merge-${randomBytes(4).toString('hex')}`,
    });
    await ensureTemporal(settings, say);
    const staging = await connectStaging(url);
    const hubspot = await startSandbox(hubspotSandbox, { seed: options.seed, rate: 100_000 });
    try {
      say(`generating ${options.companies} companies (seed ${options.seed}) into HubSpot and the legacy CRM`);
      const world = buildMergeCrm({ seed: options.seed, companies: options.companies });
      const facts = expectedOf(world);
      seedMergeHubSpot(hubspot.store, world);
      await writeLegacyCrm(staging.sql, LEGACY_SCHEMA, world);
      await staging.sql.unsafe(fs.readFileSync(path.join(ROOT, 'examples', 'merge-crm-target.sql'), 'utf8'));
      await seedTargetBefore(staging.sql, facts);
      const before = await targetDigest(staging.sql);
      say(
        `sources ${JSON.stringify(facts.records)}; expected: ${facts.objects.companies.targetRows} companies ` +
          `(${facts.objects.companies.merged.length} merged, ${facts.objects.companies.review.length} to review), ` +
          `${facts.objects.people.targetRows} people (${facts.objects.people.merged.length} merged), ` +
          `${facts.objects.deals.targetRows} deals`,
      );

      const migrationId = `mig_bench_merge_${randomBytes(4).toString('hex')}`;
      let plan = benchPlan(hubspot.url, dir, migrationId);
      const client = await connectClient(settings.temporal);
      try {
        return await withInProcessWorkers(settings, staging, async () => {
          const run = async <P extends 'preferences' | 'full' | 'delta' | 'rollback'>(phase: P) => {
            const t0 = Date.now();
            const started = await startPhase(client, settings, staging.db, plan, {
              phase,
              migrationId,
              actor: 'bench',
              ...(phase === 'rollback' ? { reason: 'merge bench: the target as before', by: 'bench' } : {}),
            });
            const watch = phase === 'full' || phase === 'delta' ? watchStages(started.handle) : undefined;
            const value = await started.handle.result();
            return { value, seconds: (Date.now() - t0) / 1000, stages: watch?.stop() ?? {} };
          };

          say('preferences');
          const preferences = await run('preferences');
          const report = await loadPreferencesReport(staging.db, migrationId);
          const problems = [
            ...report.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`),
            ...report.verdict.blocked.map((b) => `${b.object}: ${b.reason}`),
          ];
          const predicted = {
            records: report.verdict.records,
            loaded: report.verdict.loaded,
            quarantined: report.verdict.quarantined,
          };
          say(
            `preferences ${preferences.value.ok ? 'ok' : 'NOT ok'} in ${preferences.seconds.toFixed(1)} s; predicted ${JSON.stringify(predicted)}${problems.length > 0 ? `; ${problems.join(' | ')}` : ''}`,
          );

          say('full');
          const full = await run('full');
          const fullResult = full.value;
          const fullTarget = await countTarget(staging.sql, facts);
          say(
            `full ${fullResult.ok ? 'ok' : 'NOT ok'} in ${full.seconds.toFixed(1)} s; target ${JSON.stringify({ ...fullTarget, mismatchExamples: fullTarget.mismatchExamples.slice(0, 3) })}`,
          );
          const fullFigures = phaseFigures(
            fullResult,
            full,
            fullTarget,
            await quarantineByCode(staging, migrationId),
            await checkLineage(staging, migrationId, facts),
            ternMergeProof(fullResult, facts),
          );
          say(`full: Tern's per-source proof ${JSON.stringify(fullFigures.ternProof)}`);
          say(`full lineage: ${JSON.stringify(fullFigures.lineage)}; stages ${JSON.stringify(fullFigures.stages)}`);

          const touched = touchMergeCrm(world);
          await applyMergeCrmTouch(staging.sql, LEGACY_SCHEMA, hubspot.store, world, touched);
          // Every field of the merged records the changes touched is checked in lineage too.
          const touchedRefs = (facts_: MergeCrmFacts) =>
            touched.changes.flatMap((c) => {
              const object = c.object === 'accounts' ? 'companies' : c.object === 'contacts' ? 'people' : undefined;
              const merged = object && mergedRefOf(facts_, object, c.ref);
              return merged ? [merged] : [];
            });
          // And a person decides the groups `tern merge review` wrote for review: the first split in two, the
          // others merged whole. The plan reads the decisions when it is loaded again; the delta applies them.
          const reviewFile = await writeMergeReview(staging, plan, 'companies', { migrationId });
          const decisions = decideReview(reviewFile.file);
          plan = parsePlan(fs.readFileSync(plan.file, 'utf8'), plan.file);
          const decidedRefs = Object.keys(decisions).flatMap((members) => members.split(','));
          const factsAfter = expectedOf(world, {
            trace: [...touchedRefs(facts), ...touchedRefs(expectedOf(world, { decisions })), ...decidedRefs],
            decisions,
          });
          say(
            `delta after ${touched.changes.length} changes: ${touched.changes.map((c) => `${c.ref} ${c.what}`).join('; ')}; ` +
              `and ${Object.keys(decisions).length} review decisions of ${reviewFile.undecided.length} groups written`,
          );
          const delta = await run('delta');
          const deltaResult = delta.value;
          const deltaTarget = await countTarget(staging.sql, factsAfter);
          say(
            `delta ${deltaResult.ok ? 'ok' : 'NOT ok'} in ${delta.seconds.toFixed(1)} s; target ${JSON.stringify({ ...deltaTarget, mismatchExamples: deltaTarget.mismatchExamples.slice(0, 3) })}`,
          );
          const deltaFigures = phaseFigures(
            deltaResult,
            delta,
            deltaTarget,
            await quarantineByCode(staging, migrationId),
            await checkLineage(staging, migrationId, factsAfter),
            ternMergeProof(deltaResult, factsAfter, {
              people: touched.changes.filter((c) => c.deleted && c.object === 'contacts').map((c) => c.ref),
            }),
          );
          say(`delta: Tern's counts ${JSON.stringify(deltaFigures.ternCounts)}`);
          say(`delta: Tern's per-source proof ${JSON.stringify(deltaFigures.ternProof)}`);
          say(`delta lineage: ${JSON.stringify(deltaFigures.lineage)}; stages ${JSON.stringify(deltaFigures.stages)}`);

          say('rollback');
          const rollback = await run('rollback');
          const rollbackResult = rollback.value;
          const after = await targetDigest(staging.sql);
          const [rows] = await staging.sql<MergeTargetCount['rows'][]>`
            select (select count(*) from merged.companies)::int as companies,
                   (select count(*) from merged.people)::int as people,
                   (select count(*) from merged.deals)::int as deals`;
          say(`rollback ${rollbackResult.ok ? 'ok' : 'NOT ok'}; target as before: ${after === before}`);

          return {
            companies: options.companies,
            seed: options.seed,
            sources: facts.records,
            expected: {
              companies: {
                targetRows: facts.objects.companies.targetRows,
                mergedGroups: facts.objects.companies.merged.length,
                reviewGroups: facts.objects.companies.review.length,
                reviewRecords: facts.objects.companies.reviewRecords,
              },
              people: {
                targetRows: facts.objects.people.targetRows,
                mergedGroups: facts.objects.people.merged.length,
                reviewGroups: facts.objects.people.review.length,
              },
              deals: facts.objects.deals.targetRows,
              sums: facts.sums,
            },
            preferences: { ok: preferences.value.ok, seconds: tenths(preferences.seconds), predicted, problems },
            full: fullFigures,
            delta: { ...deltaFigures, changes: touched.changes.length, reviewDecisions: Object.keys(decisions).length },
            rollback: {
              ok: rollbackResult.ok,
              seconds: tenths(rollback.seconds),
              targetAsBefore: after === before,
              rows: rows!,
            },
            ok:
              preferences.value.ok &&
              clean(fullTarget) &&
              clean(deltaTarget) &&
              fullTarget.sumsMatch &&
              deltaTarget.sumsMatch &&
              fullTarget.reviewLoaded === 0 &&
              fullFigures.lineage.mismatches === 0 &&
              fullFigures.ternProof.agrees &&
              Object.keys(decisions).length === facts.objects.companies.review.length &&
              deltaFigures.ternProof.agrees &&
              deltaFigures.lineage.mismatches === 0 &&
              after === before,
          };
        });
      } finally {
        await client.connection.close();
        await staging.sql`delete from migrations where id = ${migrationId}`.catch(() => undefined);
      }
    } finally {
      await hubspot.close();
      await staging.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await admin.unsafe(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end({ timeout: 5 });
  }
}
