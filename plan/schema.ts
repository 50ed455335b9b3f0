import { z } from 'zod';
import { baseUrlProblem } from '../common/origins';
import { budgetOverrideSchema } from '../connectors/kit/budget';
import { cutoverSchema } from './cutover-schema';
import { checkMergedObject, mergedObjectShape, type MergedObjectPlan } from './merge-schema';
import { mergedFieldTransforms } from './merge-fields';
import { MERGE_REF_FIELD } from './merge-ref';
import { fieldMappingSchema, identifier, objectTargetSchema, transformSpec } from './field-schema';
import { transformJsonSchema } from './transforms';

export { fieldMappingSchema };

const envVarName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (never the URL or secret itself)');

/** A purge rule: records matching it are not migrated (counted as filtered, by rule). */
export const filterRuleSchema = z
  .strictObject({
    /** Short name shown in reports, e.g. "closed-before-2015". */
    name: z.string().min(1).optional(),
    field: z.string().min(1),
    /** Matches when the trimmed value equals one of these (case-insensitive). */
    in: z.array(z.string()).min(1).optional(),
    /** Matches when the value is null or blank (true) or not blank (false). */
    blank: z.boolean().optional(),
    /** Matches when the value is a date before / on-or-after this ISO date. */
    before: z.iso.date().optional(),
    onOrAfter: z.iso.date().optional(),
    /** Matches when the value matches this regular expression. */
    matches: z
      .string()
      .refine((re) => {
        try {
          new RegExp(re);
          return true;
        } catch {
          return false;
        }
      }, 'is not a valid regular expression')
      .optional(),
  })
  .refine((r) => [r.in, r.blank, r.before, r.onOrAfter, r.matches].filter((x) => x !== undefined).length === 1, {
    message: 'a filter rule has exactly one test: in, blank, before, onOrAfter or matches',
  });

export const dedupeSchema = z.strictObject({
  /** Source fields whose values (trimmed, lower-cased) identify the same real-world record. */
  key: z.array(z.string().min(1)).min(1),
  /** Which record of a duplicate group is migrated. */
  survivor: z.enum(['first', 'last', 'latest_updated', 'most_complete']).default('first'),
  /**
   * all: records are one when every key field matches; any: when any one of them does ("Meridian Mining LLC"
   * and "Meridian Mining, LLC" with one domain), groups joined transitively.
   */
  match: z.enum(['all', 'any']).default('all'),
  /**
   * Transforms a key field goes through before it is compared, by field (a website → its domain); a value they
   * reject or empty counts as blank (never a duplicate by that field).
   */
  normalise: z.record(z.string(), z.array(transformSpec)).default({}),
});

/** Records per load page when the plan does not say. */
export const DEFAULT_PAGE_SIZE = 500;
/** Records per load page for a database target when the plan does not say (see `pageSize`). */
export const DATABASE_PAGE_SIZE = 5_000;
/** Target kinds that are databases: their pages are bigger by default. */
export const DATABASE_TARGET_KINDS: readonly string[] = ['postgres'];

export const objectPlanSchema = z.strictObject({
  name: identifier,
  source: z.strictObject({
    /** File name inside the source directory (csv, jsonl sources). */
    file: z.string().min(1).optional(),
    /** Table (SQL sources), optionally schema-qualified by the source's `schema`. */
    table: z.string().min(1).optional(),
    /** A SELECT whose rows are the object's records (SQL sources), instead of a table. */
    query: z.string().min(1).optional(),
    /** The vendor resource the object reads (SaaS sources), e.g. tickets, comments, users. */
    resource: z.string().min(1).optional(),
    /** In a plan with several sources (`sources:`), the name of the one this object reads. */
    from: identifier.optional(),
    /** Column holding the record's stable source id. */
    id: z.string().min(1),
    /** Column holding the record's last-modified time, for deltas. */
    updatedAt: z.string().min(1).optional(),
    encoding: z.enum(['utf8', 'utf-8', 'latin1', 'utf16le']).default('utf8'),
    delimiter: z.string().length(1).default(','),
  }),
  target: objectTargetSchema,
  fields: z.array(fieldMappingSchema).min(1, 'map at least one field'),
  /** The purge: records matching any rule are not migrated. */
  filters: z.array(filterRuleSchema).default([]),
  dedupe: dedupeSchema.optional(),
  sample: z
    .strictObject({
      percent: z.number().gt(0).max(100).default(10),
      /** Source fields whose every value must be represented in the sample. */
      strata: z.array(z.string().min(1)).default([]),
      /**
       * Not drawn on its own: a record is sampled when the record of `object` it belongs to (its `field` holds
       * that record's source id) is — a sampled ticket brings all its comments.
       */
      with: z.strictObject({ object: identifier, field: z.string().min(1) }).optional(),
    })
    .default({ percent: 10, strata: [] }),
  /**
   * Records per load page (one activity). Unset: 500, or 5,000 when the target is a database (`pageSizeDefaults`
   * in plan/load.ts): a database takes a page in a handful of statements whatever its size, so bigger pages
   * mean fewer statements and activities per record; a SaaS target's pace is its vendor's budget.
   */
  pageSize: z.number().int().min(1).max(10_000).default(DEFAULT_PAGE_SIZE),
  /**
   * Source-id ranges loaded at the same time (each range page by page). Unset: 1 for SaaS targets (vendor budgets,
   * a thread's messages in order), more for database targets (from the worker's cores).
   */
  loadConcurrency: z.number().int().min(1).max(32).optional(),
  /** Numeric target fields whose totals must match between legacy and new. */
  sums: z.array(identifier).default([]),
  delta: z
    .strictObject({
      conflict: z.enum(['skip-and-report', 'source-wins', 'target-wins']).default('skip-and-report'),
      /**
       * What a delta reads of a SQL source with `source.updatedAt`: `changed` (default), the rows whose updated-at
       * is at or after the previous high-water mark minus the overlap, plus the ids alone (deletions, new rows);
       * `whole`, every row hashed (also finds a row changed without its updated-at moving).
       */
      read: z.enum(['changed', 'whole']).default('changed'),
    })
    .default({ conflict: 'skip-and-report', read: 'changed' }),
});

const fileSource = <K extends string>(kind: K) =>
  z.strictObject({
    kind: z.literal(kind),
    /** Folder of the files, relative to the plan file. */
    directory: z.string().min(1),
  });

const sqlSource = <K extends string>(kind: K) =>
  z.strictObject({
    kind: z.literal(kind),
    /** Name of the env var holding the source database URL. */
    urlEnv: envVarName,
    /** Schema (PostgreSQL) of the source tables. */
    schema: z.string().min(1).optional(),
    /** Rows per read. */
    pageSize: z.number().int().min(1).max(50_000).default(2000),
  });

/**
 * A quoted CSV field may span any number of lines (RFC 4180); this limit only guards against a runaway quote
 * (one that never closes), after which the record's first line is quarantined and the lines after it re-read.
 */
export const DEFAULT_MAX_RECORD_LINES = 10_000;

export const csvSourceSchema = fileSource('csv').extend({
  /** Lines one CSV record may span (quoted fields with line breaks) before its quote counts as runaway. */
  maxRecordLines: z.number().int().min(1).max(10_000_000).default(DEFAULT_MAX_RECORD_LINES),
});
export const jsonlSourceSchema = fileSource('jsonl');
export const postgresSourceSchema = sqlSource('postgres');
export const mysqlSourceSchema = sqlSource('mysql');

/** A credential reference: the NAMES of environment variables holding the secret, never the secret. */
export const credentialRefSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('bearer'), tokenEnv: envVarName }),
  z.strictObject({ kind: z.literal('basic-token'), emailEnv: envVarName, tokenEnv: envVarName }),
]);

const saasConnection = {
  /** The account's API base URL (https://<subdomain>.zendesk.com, https://api2.frontapp.com, a sandbox). */
  baseUrl: z.url({ message: 'must be an http(s) URL, e.g. https://acme.zendesk.com' }).superRefine((url, ctx) => {
    // https, or plain http to a sandbox on this machine: the account's credential goes with every request.
    const problem = URL.canParse(url) ? baseUrlProblem(url) : null;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  credentials: credentialRefSchema,
  /** The account's documented tier (requests per second, burst, concurrency); capped at the vendor's ceiling. */
  budget: budgetOverrideSchema.optional(),
};

export const zendeskSourceSchema = z.strictObject({
  kind: z.literal('zendesk'),
  ...saasConnection,
  /** Records per export page (Zendesk allows up to 1000). */
  pageSize: z.number().int().min(1).max(1000).default(1000),
});

export const hubspotSourceSchema = z.strictObject({
  kind: z.literal('hubspot'),
  ...saasConnection,
  /** Records per list page (HubSpot allows up to 100). */
  pageSize: z.number().int().min(1).max(100).default(100),
});

export const frontTargetSchema = z.strictObject({
  kind: z.literal('front'),
  ...saasConnection,
  /** The inbox (id `inb_…` or name) imported conversations go to. */
  inbox: z.string().min(1),
  /**
   * The teammate (email) that stands in for agents Front does not know (left the company, never invited);
   * the original author is written visibly on each of their messages and notes.
   */
  fallbackTeammate: z.email(),
});

export const attioTargetSchema = z.strictObject({
  kind: z.literal('attio'),
  ...saasConnection,
  /**
   * Create the select options and statuses the plan writes that the workspace lacks. Off (the default), a
   * record naming a missing option is refused by Attio and quarantined; pre-flight lists every such value.
   */
  createOptions: z.boolean().default(false),
});

export const postgresTargetSchema = z.strictObject({
  kind: z.literal('postgres'),
  /** Name of the env var holding the target database URL; unset means the staging database. */
  urlEnv: envVarName.optional(),
  schema: identifier.default('public'),
});

export const sourceSchema = z.discriminatedUnion('kind', [
  csvSourceSchema,
  jsonlSourceSchema,
  postgresSourceSchema,
  mysqlSourceSchema,
  zendeskSourceSchema,
  hubspotSourceSchema,
]);

/**
 * An object fed by several sources (docs/merge.md), as the rest of Tern sees it: an object whose staged records are
 * the merge's (one per source record, keyed `source/source id`, the group's anchor holding the merged values), mapped
 * field by field onto the target (the sources' own field maps ran at the merge), its key the merged record's ref.
 */
export const mergedPlanObjectSchema = z
  .strictObject({
    ...mergedObjectShape,
    pageSize: objectPlanSchema.shape.pageSize,
    loadConcurrency: objectPlanSchema.shape.loadConcurrency,
    sums: objectPlanSchema.shape.sums,
    delta: objectPlanSchema.shape.delta,
  })
  .superRefine(checkMergedObject)
  .transform(({ pageSize, loadConcurrency, sums, delta, ...merge }): ObjectPlan => {
    const targetFields = [...new Set(merge.sources.flatMap((s) => s.fields.map((f) => f.to)))];
    return {
      name: merge.name,
      source: { id: MERGE_REF_FIELD, encoding: 'utf8', delimiter: ',' },
      target: merge.target,
      fields: [
        { from: MERGE_REF_FIELD, to: merge.target.key, transform: [] },
        ...targetFields.map((field) => ({ from: field, to: field, transform: mergedFieldTransforms(merge, field) })),
      ],
      filters: [],
      sample: { percent: 10, strata: [] },
      pageSize,
      loadConcurrency,
      sums,
      delta,
      merge,
    };
  });

export const planSchema = z
  .strictObject({
    version: z.literal(1),
    name: z.string().min(1),
    /** The plan's source, when it has one; a plan reading several systems names them under `sources`. */
    source: sourceSchema.optional(),
    /** The plan's sources by name (a merged object reads several; a one-source object names its own with `source.from`). */
    sources: z.record(identifier, sourceSchema).optional(),
    target: z.discriminatedUnion('kind', [postgresTargetSchema, frontTargetSchema, attioTargetSchema]),
    /**
     * The plan's own transforms, written in TypeScript: name → module (a file inside the plan's folder, named
     * relative to the plan file) and the exported function `(value, ctx) => newValue` (throw RecordRejection to
     * quarantine). `sha256` is Tern's: the module's content hash, set when the plan is loaded (so it is part of the
     * plan's hash) and checked by workers before they run the module; a plan file leaves it out.
     */
    customTransforms: z
      .record(
        identifier,
        z.strictObject({
          module: z.string().min(1),
          export: z.string().min(1).default('default'),
          sha256: z.string().optional(),
        }),
      )
      .default({}),
    objects: z.array(z.union([objectPlanSchema, mergedPlanObjectSchema])).min(1, 'a plan migrates at least one object'),
    /** The go-live weekend's timeline (`tern cutover`): each runbook step's deadline; absent, estimates and defaults. */
    cutover: cutoverSchema.optional(),
  })
  .superRefine(checkPlanSources);

/** The plan's source(s) and what its objects read: one `source:`, or named `sources:` that each object names. */
function checkPlanSources(
  plan: { source?: SourcePlan; sources?: Record<string, SourcePlan>; objects: ObjectPlan[] },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
  if ((plan.source === undefined) === (plan.sources === undefined)) {
    issue(
      [],
      plan.source === undefined
        ? 'a plan names its source: `source:` for one system, or `sources:` (by name) for several'
        : 'a plan has `source:` (one system) or `sources:` (several, by name), not both; move the source under `sources:`',
    );
    return;
  }
  const names = Object.keys(plan.sources ?? {});
  plan.objects.forEach((object, i) => {
    if (object.merge) {
      if (!plan.sources)
        issue(
          ['objects', i, 'sources'],
          'a merged object reads sources the plan names: declare them under `sources:` (e.g. sources: { hubspot: {...}, legacy: {...} })',
        );
      else
        object.merge.sources.forEach((s, j) => {
          if (!names.includes(s.source))
            issue(
              ['objects', i, 'sources', j, 'source'],
              `"${s.source}" is not one of the plan's sources; use one of ${names.join(', ')}`,
            );
        });
      return;
    }
    const from = object.source.from;
    if (!plan.sources) {
      if (from !== undefined)
        issue(
          ['objects', i, 'source', 'from'],
          "source.from names one of the plan's `sources:`, and this plan has one `source:`; remove source.from",
        );
    } else if (from === undefined)
      issue(
        ['objects', i, 'source', 'from'],
        `a plan with several sources says which one each object reads: set source.from to one of ${names.join(', ')}`,
      );
    else if (!names.includes(from))
      issue(
        ['objects', i, 'source', 'from'],
        `"${from}" is not one of the plan's sources; use one of ${names.join(', ')}`,
      );
  });
}

export type Plan = Omit<z.output<typeof planSchema>, 'objects'> & { objects: ObjectPlan[] };
/** A plan object: one source's, or (with `merge`) the records of several sources merged (docs/merge.md). */
export type ObjectPlan = z.output<typeof objectPlanSchema> & { merge?: MergedObjectPlan };
export type SourcePlan = z.output<typeof sourceSchema>;
export type FieldMapping = z.output<typeof fieldMappingSchema>;
export type FilterRule = z.output<typeof filterRuleSchema>;

/** The plan's JSON Schema, for editors (`tern plan schema`). */
export function planJsonSchema(): unknown {
  return z.toJSONSchema(planSchema, {
    io: 'input',
    unrepresentable: 'any',
    // Transforms are typed from the registry (each name with its options), so an editor completes them.
    override: (ctx) => {
      if (ctx.zodSchema !== transformSpec) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
      Object.assign(ctx.jsonSchema, transformJsonSchema());
    },
  });
}

/**
 * The source a one-source object reads: the plan's `source`, or the one of its `sources` that `source.from` names. A
 * merged object reads several (`object.merge.sources`): asking for its one source is a mistake in Tern's code.
 */
export function sourceOf(plan: Pick<Plan, 'source' | 'sources'>, object: ObjectPlan): SourcePlan {
  if (object.merge) throw new Error(`object "${object.name}" is merged from several sources; read them by name`);
  const named = object.source.from;
  const source = named === undefined ? plan.source : plan.sources?.[named];
  if (!source) throw new Error(`object "${object.name}": the plan has no source ${named ?? '(source:)'}`);
  return source;
}

/** A source the plan names (a merged object's `sources[].source`). */
export function namedSource(plan: Pick<Plan, 'source' | 'sources'>, name: string): SourcePlan {
  const source = plan.sources?.[name];
  if (!source) throw new Error(`the plan has no source named "${name}"`);
  return source;
}

/** Every source the plan reads: its `source`, or each of its `sources` by name. */
export function planSources(plan: Pick<Plan, 'source' | 'sources'>): { name: string | null; source: SourcePlan }[] {
  if (plan.sources) return Object.entries(plan.sources).map(([name, source]) => ({ name, source }));
  return plan.source ? [{ name: null, source: plan.source }] : [];
}

/** The kinds of the plan's sources, for people: `postgres`, or `hubspot + postgres` for a plan with several. */
export function sourceKinds(plan: Pick<Plan, 'source' | 'sources'>): string {
  return [...new Set(planSources(plan).map((s) => s.source.kind))].join(' + ');
}
