import { z } from 'zod';
import { TRANSFORMS, transformArgs, transformName } from './transforms';

/** The parts of a plan object that one-source and merged objects share (plan/schema.ts, plan/merge-schema.ts). */

export const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a simple name: letters, digits and _, not starting with a digit');

export const transformSpec = z.union([z.string(), z.record(z.string(), z.unknown())]).superRefine((spec, ctx) => {
  if (typeof spec === 'object' && Object.keys(spec).length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: 'a transform object has exactly one key: its name, e.g. { date: { format: DD/MM/YYYY } }',
    });
    return;
  }
  const name = transformName(spec);
  const definition = TRANSFORMS[name];
  // Names that are not built in may be the plan's own custom transforms: checked with the whole plan.
  if (!definition) return;
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

export const objectTargetSchema = z
  .strictObject({
    /** The target table (database targets). */
    table: identifier.optional(),
    /** The vendor resource (SaaS targets), e.g. contacts, messages, conversations, comments. */
    resource: identifier.optional(),
    /**
     * The field that identifies the record in the target: for a table, the column that stores the source id;
     * for a SaaS resource, its external id (a message's external_id, a contact's email handle).
     */
    key: identifier,
  })
  .refine((t) => (t.table === undefined) !== (t.resource === undefined), {
    message: 'name exactly one of target.table (database targets) or target.resource (SaaS targets)',
  })
  .transform(({ table, resource, key }) => ({ table: (table ?? resource)!, resource, key }));
