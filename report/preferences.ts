import { and, desc, eq } from 'drizzle-orm';
import type { StoredProfile } from '../activities/preferences';
import { ConfigError } from '../common/errors';
import type { FieldProfile } from '../plan/profile';
import type { TargetIssue } from '../plan/target-check';
import { auditHead, formatAuditHead, type AuditHead } from '../staging/audit';
import type { StagingDb } from '../staging/db';
import { getMigration } from '../staging/migrations-repo';
import { migrations, profiles, runs } from '../staging/schema';

/** Everything the preferences phase found, as `tern report preferences --json` prints it. */
export interface PreferencesReport {
  migrationId: string;
  plan: string;
  planHash: string;
  goldSchemaHash: string | null;
  run: { status: string; startedAt: string; finishedAt: string | null; seconds: number | null };
  issues: TargetIssue[];
  objects: StoredProfile[];
  /** The audit chain's head when the report was read: kept with the report, `tern audit verify --head` holds the chain to it. */
  auditHead?: AuditHead | null;
}

/**
 * What preferences says about the coming load, all of it: the plan's errors against the target, objects whose
 * load would stop, and records the dry run (the load's own decision) predicts quarantined. Clean only when there
 * is none of these; `tern run preferences` exits 0 only then.
 */
export interface PreferencesVerdict {
  clean: boolean;
  errors: number;
  warnings: number;
  /** Records of the source, over every object. */
  records: number;
  loaded: number;
  /** Records predicted quarantined, by reason, over every object. */
  quarantined: Record<string, number>;
  /** Objects whose load would stop, with the one-line reason and fix. */
  blocked: { object: string; reason: string }[];
  /** What the dry run could not predict without changing the target, per object. */
  notPredicted: { object: string; what: string }[];
}

/** The verdict of a preferences run, from its issues and every object's dry run. */
export function preferencesVerdict(
  issues: readonly TargetIssue[],
  objects: readonly StoredProfile[],
): PreferencesVerdict {
  const quarantined: Record<string, number> = {};
  let records = 0;
  let loaded = 0;
  const blocked: PreferencesVerdict['blocked'] = [];
  const notPredicted: PreferencesVerdict['notPredicted'] = [];
  for (const o of objects) {
    const d = o.dryRun;
    if (!d) continue;
    records += d.source;
    loaded += d.loaded;
    for (const [reason, n] of Object.entries(d.quarantined)) quarantined[reason] = (quarantined[reason] ?? 0) + n;
    if (d.blocked) blocked.push({ object: o.object, reason: d.blocked });
    for (const what of d.notPredicted ?? []) notPredicted.push({ object: o.object, what });
  }
  const errors = issues.filter((i) => i.severity === 'error').length;
  return {
    clean: errors === 0 && blocked.length === 0 && sum(quarantined) === 0,
    errors,
    warnings: issues.length - errors,
    records,
    loaded,
    quarantined,
    blocked,
    notPredicted,
  };
}

/** A preferences report with its verdict, as `tern run preferences` and `tern report preferences` print it. */
export type JudgedPreferencesReport = PreferencesReport & { verdict: PreferencesVerdict };

/** Reads the latest preferences run of a migration from staging. */
export async function loadPreferencesReport(db: StagingDb, migrationId: string): Promise<JudgedPreferencesReport> {
  const migration = await getMigration(db, migrationId);
  const [row] = await db
    .select({ gold: migrations.goldSchemaHash })
    .from(migrations)
    .where(eq(migrations.id, migrationId));
  const [run] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.migrationId, migrationId), eq(runs.phase, 'preferences')))
    .orderBy(desc(runs.id))
    .limit(1);
  if (!run) {
    throw new ConfigError(
      `migration ${migrationId} has no preferences run yet`,
      `run \`tern run preferences <plan>\` first`,
    );
  }
  const stored = await db.select().from(profiles).where(eq(profiles.migrationId, migrationId));
  const byName = new Map(stored.map((p) => [p.object, p.profile as StoredProfile]));
  const objects = migration.plan.objects.map((o) => byName.get(o.name)).filter((p): p is StoredProfile => !!p);
  const report = (run.report ?? {}) as { issues?: TargetIssue[] };
  const issues = report.issues ?? [];
  return {
    migrationId,
    plan: migration.name,
    planHash: migration.planHash,
    goldSchemaHash: row?.gold ?? null,
    run: {
      status: run.status,
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt?.toISOString() ?? null,
      seconds: run.finishedAt ? Math.round((run.finishedAt.getTime() - run.startedAt.getTime()) / 100) / 10 : null,
    },
    issues,
    objects,
    auditHead: await auditHead(db, migrationId),
    verdict: preferencesVerdict(issues, objects),
  };
}

const sum = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
const list = (counts: Record<string, number> | undefined) =>
  Object.entries(counts ?? {})
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The readable summary of a preferences report: the anomalies first, then the dry run, then the issues. */
export function formatPreferencesReport(report: PreferencesReport, options: { fields?: boolean } = {}): string {
  const out: string[] = [];
  out.push(
    `preferences of ${report.migrationId} (${report.plan}) — ${report.run.status}${report.run.seconds !== null ? ` in ${report.run.seconds}s` : ''}`,
  );
  out.push(`gold schema ${report.goldSchemaHash?.slice(0, 16) ?? '(not frozen)'}`);
  for (const o of report.objects) {
    out.push('');
    out.push(
      `${o.object}: ${o.rows} rows${o.unreadable ? `, ${o.unreadable} unreadable` : ''}${o.duplicateSourceIds ? `, ${o.duplicateSourceIds} duplicate source ids` : ''}`,
    );
    if (o.duplicates)
      out.push(
        `  duplicates by [${o.duplicates.key.join(', ')}]: ${o.duplicates.groups} groups, ${o.duplicates.records} records, ${o.duplicates.excess} extra`,
      );
    for (const orphan of o.orphans)
      if (orphan.count > 0)
        out.push(
          `  orphans: ${orphan.count} ${orphan.field} values name no ${orphan.object} record (e.g. ${orphan.examples.slice(0, 3).join(', ')})`,
        );
    for (const f of o.fields) {
      const notes: string[] = [];
      if (f.blank > 0) notes.push(`${f.blankPercent}% blank (${f.blank})`);
      if (f.dates)
        notes.push(
          `dates ${f.dates.verdict}: iso ${f.dates.iso}, MM/DD ${f.dates.monthFirst}, DD/MM ${f.dates.dayFirst}, ambiguous ${f.dates.ambiguous}, same day/month ${f.dates.sameDayMonth}, invalid ${f.dates.invalid}`,
        );
      if (f.typeAnomalies > 0) notes.push(`${f.typeAnomalies} values are not ${f.dominantType}`);
      if (f.multiValue > 0 && !f.dates) notes.push(`${f.multiValue} multi-value`);
      if (f.picklistCandidate) notes.push(`picklist candidate: ${distinctCounts(f)}`);
      if (notes.length > 0 || options.fields) out.push(`  ${f.field}: ${notes.join('; ') || `${f.distinct} distinct`}`);
      if (options.fields) out.push(`    ${fieldFigures(f)}`);
    }
    if (o.dryRun) {
      const d = o.dryRun;
      out.push(
        `  dry run: source ${d.source} (staged ${d.staged}) = loaded ${d.loaded} + quarantined ${sum(d.quarantined)} + filtered ${sum(d.filtered)} + deduplicated ${d.deduplicated}`,
      );
      if (sum(d.quarantined) > 0) out.push(`    quarantined: ${list(d.quarantined)}`);
      if (sum(d.filtered) > 0) out.push(`    filtered: ${list(d.filtered)}`);
      if (d.blocked) out.push(`    the load would stop: ${d.blocked}`);
      for (const what of d.notPredicted ?? []) out.push(`    not predicted: ${what}`);
    }
    for (const f of o.preflight ?? [])
      out.push(
        `  pre-flight ${f.code} ${f.field}: ${f.records} record(s) the target would ${f.code === 'precision_loss' ? 'round (they load altered)' : 'refuse'}, e.g. ${f.examples
          .slice(0, 3)
          .map((e) => `record ${e.record}${e.value === null ? '' : ` "${e.value}"`}`)
          .join(', ')} — fix: ${f.fix}`,
      );
  }
  const errors = report.issues.filter((i) => i.severity === 'error');
  const warnings = report.issues.filter((i) => i.severity === 'warning');
  out.push('');
  out.push(`plan vs target: ${errors.length} error(s), ${warnings.length} warning(s)`);
  for (const i of [...errors, ...warnings])
    out.push(`  ${i.severity.toUpperCase()} ${i.path}: ${i.message} — fix: ${i.fix}`);
  out.push(verdictLine(preferencesVerdict(report.issues, report.objects)));
  out.push(WRITE_TIME_CHECKS);
  if (report.auditHead !== undefined) out.push(`audit chain head: ${formatAuditHead(report.auditHead)}`);
  return out.join('\n');
}

/** Distinct values after trimming, and as written when the profile counted them. */
function distinctCounts(f: FieldProfile): string {
  return `${f.distinct} distinct${f.rawDistinct === undefined ? '' : ` (${f.rawDistinct} raw spellings)`}`;
}

/** Every figure of a field's profile on one line (`--fields`), as the JSON holds them. */
function fieldFigures(f: FieldProfile): string {
  const counts = (values: { value: string; count: number }[]) =>
    values.map((v) => `${JSON.stringify(v.value)} ${v.count}`).join(', ');
  const types = Object.entries(f.types)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const parts = [
    `blank ${f.blank} (${f.blankPercent}%)`,
    distinctCounts(f),
    `max length ${f.maxLength}`,
    `multi-value ${f.multiValue}`,
    `types ${types} (mostly ${f.dominantType ?? 'blank'}, ${f.typeAnomalies} not)`,
  ];
  if (f.top.length > 0) parts.push(`top ${counts(f.top)}`);
  if (f.values) parts.push(`values ${counts(f.values)}`);
  return parts.join('; ');
}

/** What no dry run sees: the prediction's one blind spot, said every time rather than discovered at load. */
export const WRITE_TIME_CHECKS =
  '  not predicted: what the target checks only as it writes (CHECK constraints, triggers, a vendor rule Tern does not pre-flight); the load quarantines such records as target_rejected';

/** The verdict line of the report: what the load would do, all of it in one sentence. */
export function verdictLine(v: PreferencesVerdict): string {
  const q = sum(v.quarantined);
  const problems: string[] = [];
  if (v.errors > 0) problems.push(`${v.errors} plan error(s)`);
  for (const b of v.blocked) problems.push(`the load of ${b.object} would stop`);
  if (q > 0) problems.push(`${q} of ${v.records} record(s) predicted quarantined (${list(v.quarantined)})`);
  if (problems.length === 0)
    return `verdict: clean — the plan fits the target and the dry run predicts no quarantine (${v.loaded} of ${v.records} record(s) loaded, the rest filtered or deduplicated by the rules)`;
  return `verdict: NOT CLEAN — ${problems.join('; ')}; ${v.loaded} record(s) predicted loaded. Fix the plan or the data and run preferences again, or accept these outcomes knowingly`;
}
