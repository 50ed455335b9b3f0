import { and, desc, eq } from 'drizzle-orm';
import type { StoredProfile } from '../../activities/preferences';
import { ConfigError } from '../../common/errors';
import type { TargetIssue } from '../../plan/target-check';
import type { StagingDb } from '../../staging/db';
import { getMigration } from '../../staging/migrations-repo';
import { migrations, profiles, runs } from '../../staging/schema';

/** Everything the preferences phase found, as `tern report preferences --json` prints it. */
export interface PreferencesReport {
  migrationId: string;
  plan: string;
  planHash: string;
  goldSchemaHash: string | null;
  run: { status: string; startedAt: string; finishedAt: string | null; seconds: number | null };
  issues: TargetIssue[];
  objects: StoredProfile[];
}

/** Reads the latest preferences run of a migration from staging. */
export async function loadPreferencesReport(db: StagingDb, migrationId: string): Promise<PreferencesReport> {
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
    issues: report.issues ?? [],
    objects,
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
          `dates ${f.dates.verdict}: iso ${f.dates.iso}, MM/DD ${f.dates.monthFirst}, DD/MM ${f.dates.dayFirst}, ambiguous ${f.dates.ambiguous}, invalid ${f.dates.invalid}`,
        );
      if (f.typeAnomalies > 0) notes.push(`${f.typeAnomalies} values are not ${f.dominantType}`);
      if (f.multiValue > 0 && !f.dates) notes.push(`${f.multiValue} multi-value`);
      if (f.picklistCandidate) notes.push(`picklist candidate: ${f.distinct} distinct`);
      if (notes.length > 0 || options.fields) out.push(`  ${f.field}: ${notes.join('; ') || `${f.distinct} distinct`}`);
    }
    if (o.dryRun) {
      const d = o.dryRun;
      out.push(
        `  dry run: source ${d.source} = loaded ${d.loaded} + quarantined ${sum(d.quarantined)} + filtered ${sum(d.filtered)} + deduplicated ${d.deduplicated}`,
      );
      if (sum(d.quarantined) > 0) out.push(`    quarantined: ${list(d.quarantined)}`);
      if (sum(d.filtered) > 0) out.push(`    filtered: ${list(d.filtered)}`);
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
  return out.join('\n');
}
