import { z } from 'zod';
import { TRANSFORM_NAMES, TRANSFORMS, transformArgs, transformName } from './transforms';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a simple name: letters, digits and _, not starting with a digit');

const transformSpec = z.union([z.string(), z.record(z.string(), z.unknown())]).superRefine((spec, ctx) => {
  if (typeof spec === 'object' && Object.keys(spec).length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: 'a transform object has exactly one key: its name, e.g. { date: { format: DD/MM/YYYY } }',
    });
    return;
  }
  const name = transformName(spec);
  const definition = TRANSFORMS[name];
  if (!definition) {
    ctx.addIssue({ code: 'custom', message: `unknown transform "${name}"; use one of: ${TRANSFORM_NAMES.join(', ')}` });
    return;
  }
  if (!definition.args) {
    if (typeof spec === 'object')
      ctx.addIssue({ code: 'custom', message: `transform "${name}" takes no arguments; write it as "${name}"` });
    return;
  }
  const parsed = definition.args.safeParse(transformArgs(spec));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.length > 0 ? `${name}.${issue.path.join('.')}` : name;
      ctx.addIssue({ code: 'custom', message: `${where}: ${issue.message} (${definition.description})` });
    }
  }
});

export const fieldMappingSchema = z.strictObject({
  /** Source column; omitted for constant fields (then `transform` must supply the value, e.g. default). */
  from: z.string().min(1).optional(),
  to: identifier,
  transform: z.array(transformSpec).default([]),
});

export const objectPlanSchema = z.strictObject({
  name: identifier,
  source: z.strictObject({
    /** File name inside the source directory (file sources). */
    file: z.string().min(1),
    /** Column holding the record's stable source id. */
    id: z.string().min(1),
    /** Column holding the record's last-modified time, for deltas. */
    updatedAt: z.string().min(1).optional(),
    encoding: z.enum(['utf8', 'utf-8', 'latin1', 'utf16le']).default('utf8'),
    delimiter: z.string().length(1).default(','),
  }),
  target: z.strictObject({
    table: identifier,
    /** Target column that stores the source id: Tern's external id for lookups after an unknown outcome. */
    key: identifier,
  }),
  fields: z.array(fieldMappingSchema).min(1, 'map at least one field'),
  /** Records per load page (one activity). */
  pageSize: z.number().int().min(1).max(10_000).default(500),
  /** Numeric target fields whose totals must match between legacy and new. */
  sums: z.array(identifier).default([]),
});

export const csvSourceSchema = z.strictObject({
  kind: z.literal('csv'),
  /** Folder of the CSV files, relative to the plan file. */
  directory: z.string().min(1),
});

export const postgresTargetSchema = z.strictObject({
  kind: z.literal('postgres'),
  /** Name of the env var holding the target database URL; unset means the staging database. */
  urlEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable (never the URL itself)')
    .optional(),
  schema: identifier.default('public'),
});

export const planSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  source: z.discriminatedUnion('kind', [csvSourceSchema]),
  target: z.discriminatedUnion('kind', [postgresTargetSchema]),
  objects: z.array(objectPlanSchema).min(1, 'a plan migrates at least one object'),
});

export type Plan = z.output<typeof planSchema>;
export type ObjectPlan = z.output<typeof objectPlanSchema>;
export type FieldMapping = z.output<typeof fieldMappingSchema>;
