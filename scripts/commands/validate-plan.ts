import { openSaasTarget } from '../../connectors/saas-targets';
import postgres from 'postgres';
import type { StoredProfile } from '../../activities/preferences';
import { loadSettings, type TernSettings } from '../../common/config';
import { checkSourceCredentials, openSource } from '../../connectors/sources';
import { ProfileBuilder, type ObjectProfile } from '../../plan/profile';
import { planSources, type Plan } from '../../plan/schema';
import { transformArgs, transformName } from '../../plan/transforms';
import { discoverSchema } from '../../connectors/postgres/schema';
import type { GoldSchema } from '../../plan/gold';
import { compileObjectMapper } from '../../plan/compile';
import { FindingTally, mapsToRoundingColumn, precisionLossCheck, type FieldFinding } from '../../plan/precision';
import { textOf } from '../../plan/text';
import { loadCustomTransforms } from '../../plan/custom';
import { planLine, type LoadedPlan } from '../../plan/load';
import { checkPlanAgainstTarget, picklistFinding, type TargetIssue } from '../../plan/target-check';
import { eq } from 'drizzle-orm';
import { profiles } from '../../staging/schema';
import { defaultMigrationId, resolvePlanPaths } from '../client/phases';
import { openStagingForProcess } from '../stack/database';
import { TernError } from '../../common/errors';

/** One finding of `tern plan validate` beyond the plan file's own shape. */
export interface ValidationFinding {
  severity: 'error' | 'warning';
  path: string;
  line?: number;
  message: string;
  fix: string;
}

export interface ValidationOutcome {
  file: string;
  findings: ValidationFinding[];
  /** What was checked, for the operator: e.g. "target schema crm_target (4 tables)". */
  checked: string[];
}

/**
 * Checks a plan that parsed: credentials named by the plan exist in the environment, custom transform
 * modules load, and (unless offline) the plan fits the target schema and, when a preferences profile of
 * the migration exists in staging, the profiled data (picklist coverage, lengths).
 */
export async function validatePlan(
  loaded: LoadedPlan,
  options: { offline?: boolean; migrationId?: string; env?: NodeJS.ProcessEnv; settings?: TernSettings } = {},
): Promise<ValidationOutcome> {
  const env = options.env ?? process.env;
  const plan = resolvePlanPaths(loaded);
  const findings: ValidationFinding[] = [];
  const checked: string[] = ['plan shape and references'];
  const add = (f: Omit<ValidationFinding, 'line'>) => findings.push({ ...f, line: planLine(loaded.text, f.path) });

  // A merged object's review file must be decided before its records can move (docs/merge.md).
  plan.objects.forEach((object, i) => {
    const undecided = object.merge?.undecided ?? [];
    if (undecided.length === 0) return;
    add({
      severity: 'error',
      path: `objects.${i}.review`,
      message: `${object.name}: ${undecided.length} merge group(s) in ${object.merge!.review} await a decision (${undecided.slice(0, 3).join(', ')}${undecided.length > 3 ? ', …' : ''}); their records stay quarantined until decided`,
      fix: "set each group's decision in the review file (merge, or { split: [[source/id, …], …] }), then validate again",
    });
  });
  const sourceProblems = checkSourceCredentials(plan, env);
  for (const problem of sourceProblems)
    add({ severity: 'error', path: 'source.urlEnv', message: problem.message, fix: problem.fix });
  const targetEnv = plan.target.kind === 'postgres' ? plan.target.urlEnv : undefined;
  for (const [where, name, kind] of credentialVariables(plan))
    if (!env[name]?.trim())
      add({
        severity: 'error',
        path: `${where}.credentials`,
        message: `environment variable ${name} (a ${kind} API credential) is not set`,
        fix: `export ${name}=… (a ${kind} API credential) in the worker's environment`,
      });
  if (targetEnv && !env[targetEnv]) {
    add({
      severity: 'error',
      path: 'target.urlEnv',
      message: `environment variable ${targetEnv} (the target database URL) is not set`,
      fix: `export ${targetEnv}=postgres://user@host:5432/db`,
    });
  }
  checked.push('credential references');
  try {
    loadCustomTransforms(plan);
    if (Object.keys(plan.customTransforms).length > 0) checked.push('custom transform modules');
  } catch (err) {
    if (!(err instanceof TernError)) throw err;
    add({ severity: 'error', path: 'customTransforms', message: err.message, fix: err.fix });
  }
  if (options.offline || findings.some((f) => f.path === 'target.urlEnv' || f.path.endsWith('.credentials'))) {
    // Without the target and the profile, mapping files still say which values nobody has mapped yet.
    for (const issue of mappingFileIssues(plan)) add(issue);
    return { file: loaded.file, findings, checked };
  }

  const settings = options.settings ?? loadSettings(env);
  const processStaging = await openStagingForProcess(settings);
  try {
    const target = targetEnv
      ? postgres(env[targetEnv]!, { max: 1, onnotice: () => undefined })
      : processStaging.staging.sql;
    try {
      const migrationId = options.migrationId ?? defaultMigrationId(plan);
      const tables = plan.objects.map((o) => o.target.table);
      const gold =
        plan.target.kind === 'postgres'
          ? await discoverSchema(target, plan.target.schema, tables)
          : await (
              await openSaasTarget({ sql: processStaging.staging.sql, env }, plan, migrationId)
            ).discoverGold(tables);
      const stored = await processStaging.staging.db
        .select()
        .from(profiles)
        .where(eq(profiles.migrationId, migrationId))
        .catch(() => []);
      const profileMap = new Map<string, ObjectProfile & { preflight?: FieldFinding[] }>(
        stored.map((p) => [p.object, p.profile as StoredProfile]),
      );
      const profiledStrict = [...strictPicklistFields(plan)].filter(([object, fields]) =>
        fields.every((f) => profileMap.get(object)?.fields.some((p) => p.field === f)),
      ).length;
      if (sourceProblems.length === 0) {
        // Strict picklist fields the stored profile lacks (no preferences run yet, or fields added since):
        // read their values straight from the source.
        const scanned = await scanStrictPicklists(plan, env, processStaging.staging, profileMap);
        for (const [object, profile] of scanned) {
          const known = profileMap.get(object);
          profileMap.set(
            object,
            known
              ? {
                  ...known,
                  fields: [
                    ...known.fields,
                    ...profile.fields.filter((f) => !known.fields.some((k) => k.field === f.field)),
                  ],
                }
              : profile,
          );
        }
        if (scanned.size > 0) checked.push(`source values of strict picklists (${scanned.size} objects)`);
      }
      if (profiledStrict > 0) checked.push(`profiled values of strict picklists (${profiledStrict} objects)`);
      if (sourceProblems.length === 0) {
        const scanned = await scanPrecision(plan, gold, env, processStaging.staging, profileMap);
        for (const [object, preflight] of scanned) {
          const known = profileMap.get(object);
          profileMap.set(object, { ...(known ?? { object, rows: 0, fields: [] }), preflight });
        }
        if (scanned.size > 0) checked.push(`source precision against the target columns (${scanned.size} objects)`);
      }
      const issues: TargetIssue[] = checkPlanAgainstTarget(plan, gold, profileMap);
      for (const issue of issues) add(issue);
      checked.push(`target schema ${gold.schema} (${Object.keys(gold.tables).length} tables)`);
      if (profileMap.size > 0) checked.push(`source profile of ${migrationId} (${profileMap.size} objects)`);
    } finally {
      if (target !== processStaging.staging.sql) await target.end({ timeout: 5 });
    }
  } finally {
    await processStaging.stop();
  }
  return { file: loaded.file, findings, checked };
}

/** The credential variables a SaaS source or target names. */
function credentialVariables(plan: Plan): [string, string, string][] {
  const out: [string, string, string][] = [];
  const ends = [
    ...planSources(plan).map(({ name, source }) => ({
      where: name === null ? 'source' : `sources.${name}`,
      end: source,
    })),
    { where: 'target', end: plan.target },
  ];
  for (const { where, end } of ends) {
    if (!('credentials' in end)) continue;
    out.push([where, end.credentials.tokenEnv, end.kind]);
    if (end.credentials.kind === 'basic-token') out.push([where, end.credentials.emailEnv, end.kind]);
  }
  return out;
}

/** Fields mapped through a picklist whose policy is `strict`, per object. */
function strictPicklistFields(plan: Plan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const object of plan.objects) {
    const fields = object.fields
      .filter((f) => f.transform.some((t) => transformName(t) === 'picklist' && transformArgs(t).unmapped === 'strict'))
      .map((f) => f.from)
      .filter((f): f is string => f !== undefined);
    if (fields.length > 0) out.set(object.name, fields);
  }
  return out;
}

/**
 * Findings of the picklists' mapping files alone (no target, no profile): values a file leaves null, an
 * error under `unmapped: strict`.
 */
function mappingFileIssues(plan: Plan): Omit<ValidationFinding, 'line'>[] {
  const out: Omit<ValidationFinding, 'line'>[] = [];
  plan.objects.forEach((object, i) =>
    object.fields.forEach((field, j) =>
      field.transform.forEach((spec, k) => {
        if (transformName(spec) !== 'picklist') return;
        const finding = picklistFinding(transformArgs(spec), `${object.name}.${field.from ?? field.to}`);
        if (finding) out.push({ ...finding, path: `objects.${i}.fields.${j}.transform.${k}` });
      }),
    ),
  );
  return out;
}

/**
 * Profiles the strict picklist fields that `known` (the stored profile) does not hold, reading each such
 * object from the source once.
 */
async function scanStrictPicklists(
  plan: Plan,
  env: NodeJS.ProcessEnv,
  staging: { url: string; sql: postgres.Sql },
  known: ReadonlyMap<string, ObjectProfile>,
): Promise<Map<string, ObjectProfile>> {
  const out = new Map<string, ObjectProfile>();
  for (const [name, strictFields] of strictPicklistFields(plan)) {
    const fields = strictFields.filter((f) => !known.get(name)?.fields.some((p) => p.field === f));
    if (fields.length === 0) continue;
    const object = plan.objects.find((o) => o.name === name)!;
    // A merged object's values are judged by the preferences phase's dry run of its merged records.
    if (object.merge) continue;
    const builder = new ProfileBuilder(name);
    const source = await openSource(plan, object, env, { shared: staging, saas: { sql: staging.sql, env } });
    try {
      for await (const item of source.reader(null)) {
        if (item.kind !== 'record') continue;
        builder.add(Object.fromEntries(fields.map((f) => [f, item.record[f]])));
      }
    } finally {
      await source.close();
    }
    out.set(name, builder.finish());
  }
  return out;
}

/**
 * Precision the target's columns lack (fractional seconds beyond timestamp(p), decimal places beyond
 * numeric(p, s)), counted from the source per field for the objects that map to such a column and that no
 * dry run has judged yet (a stored profile with pre-flight findings already counts them).
 */
async function scanPrecision(
  plan: Plan,
  gold: GoldSchema,
  env: NodeJS.ProcessEnv,
  staging: { url: string; sql: postgres.Sql },
  known: ReadonlyMap<string, { preflight?: FieldFinding[] }>,
): Promise<Map<string, FieldFinding[]>> {
  const out = new Map<string, FieldFinding[]>();
  for (const object of plan.objects) {
    const columns = gold.tables[object.target.table]?.columns ?? [];
    // A merged object's values are judged by the preferences phase's dry run of its merged records.
    if (object.merge) continue;
    if (known.get(object.name)?.preflight !== undefined || !mapsToRoundingColumn(object, columns)) continue;
    const losses = precisionLossCheck(object, columns);
    // Custom transforms are the load's business: here a field they map is read from the source alone.
    const mapper = Object.keys(plan.customTransforms).length === 0 ? compileObjectMapper(object) : undefined;
    const tally = new FindingTally();
    const source = await openSource(plan, object, env, { shared: staging, saas: { sql: staging.sql, env } });
    try {
      for await (const item of source.reader(null)) {
        if (item.kind !== 'record') continue;
        const mapped = mapper?.(item.record);
        const payload = mapped?.ok ? mapped.payload : {};
        for (const loss of losses(item.record, payload))
          tally.add(textOf(item.record[object.source.id] ?? item.position), loss);
      }
    } finally {
      await source.close();
    }
    out.set(object.name, tally.list());
  }
  return out;
}

/** The findings as lines: `plan.yaml:12 objects.0.fields.3.to: … — fix: …`. */
export function formatFindings(outcome: ValidationOutcome): string {
  return outcome.findings
    .map(
      (f) =>
        `${f.severity === 'error' ? 'ERROR' : 'warning'} ${outcome.file}${f.line ? `:${f.line}` : ''} ${f.path}: ${f.message} — fix: ${f.fix}`,
    )
    .join('\n');
}
