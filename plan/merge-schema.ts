import { z } from 'zod';
import { fieldMappingSchema, identifier, objectTargetSchema, transformSpec } from './field-schema';
import { RESERVED_MERGE_FIELDS } from './merge-ref';
import { TRANSFORMS, transformName } from './transforms';

/**
 * A plan object fed by several sources (docs/merge.md): each source maps its own fields onto the object's target
 * fields, `match` says when records of different sources are one real-world record, and `survivorship` says, per
 * target field, which source's value the merged record keeps. plan/schema.ts takes it in as the second kind of plan
 * object (with `sources:` instead of `source:`).
 */

/** One source of a merged object: which system, which of its objects, its field map, its last-modified column. */
export const mergeSourceSchema = z.strictObject({
  /** The source system's name in the plan (its connection and credentials are declared under that name). */
  source: identifier,
  /** The object of that source: file, table or vendor resource (`companies`, `crm.accounts`). */
  object: z.string().min(1),
  /** Column holding the record's stable id in that source. */
  id: z.string().min(1),
  /** Column holding the record's last-modified time: the `most_recent` survivorship rule compares it. */
  updatedAt: z.string().min(1).optional(),
  /** The field map, as for a one-source object; `to` names the merged object's target fields. */
  fields: z.array(fieldMappingSchema).min(1, 'map at least one field'),
});

/**
 * A match rule: records of different sources whose normalised keys are equal are one record. The keys are
 * normalised by Tern's own transforms: `email` (trimmed, lower-cased; not an address → no key), `domain` (a
 * website → its host, lower-cased, without www.), `phone` (E.164, numbers without +country read in
 * `defaultCountry`), `block` (each field trimmed, lower-cased, whitespace collapsed, after its optional
 * `normalise` transforms; every part must be non-blank).
 */
export const matchRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('email'), name: z.string().min(1).optional(), field: identifier }),
  z.strictObject({ kind: z.literal('domain'), name: z.string().min(1).optional(), field: identifier }),
  z.strictObject({
    kind: z.literal('phone'),
    name: z.string().min(1).optional(),
    field: identifier,
    /** ISO 3166 country read for numbers written without +country code (checked by the phone transform). */
    defaultCountry: z
      .string()
      .refine((c) => TRANSFORMS.phone!.args!.safeParse({ defaultCountry: c }).success, {
        message: 'is not a country code libphonenumber knows; use an ISO 3166 code such as US, GB or FR',
      })
      .optional(),
  }),
  z.strictObject({
    kind: z.literal('block'),
    name: z.string().min(1).optional(),
    fields: z.array(identifier).min(2, 'a blocking key joins at least two fields, e.g. [name, city]'),
    /** Transforms a key field goes through before it is compared, by field (as in `dedupe.normalise`). */
    normalise: z.record(z.string(), z.array(transformSpec)).default({}),
  }),
]);

/** How one target field's value is chosen among a merge group's records. */
export const survivorshipRuleSchema = z.discriminatedUnion('rule', [
  /** The first non-blank value in this order of sources; sources not listed follow in `sources` order. */
  z.strictObject({ rule: z.literal('priority'), sources: z.array(identifier).min(1) }),
  /** The non-blank value of the most recently updated record (by each source's `updatedAt`). */
  z.strictObject({ rule: z.literal('most_recent') }),
  /** The non-blank value of the record with the most non-blank fields (as `dedupe.survivor: most_complete`). */
  z.strictObject({ rule: z.literal('most_complete') }),
  /** A named transform (built in or the plan's own) given the non-blank values, in source order, as a list. */
  z.strictObject({ rule: z.literal('transform'), transform: transformSpec }),
  /** Every value of every record (lists flattened), each once (compared trimmed and lower-cased). */
  z.strictObject({ rule: z.literal('union') }),
]);

/** The merged object's own keys (the plan adds those it shares with one-source objects: sums, pageSize, …). */
export const mergedObjectShape = {
  name: identifier,
  target: objectTargetSchema,
  sources: z.array(mergeSourceSchema).min(2, 'a merged object has at least two sources; one source uses `source:`'),
  /** Ordered: the first rule under which two records share a key is the one their match is reported under. */
  match: z.array(matchRuleSchema).min(1, 'give at least one match rule, e.g. { kind: email, field: email }'),
  /** By target field; a field not named here takes its value by `priority` in the order of `sources`. */
  survivorship: z.record(identifier, survivorshipRuleSchema).default({}),
  /**
   * The review file (relative to the plan file; `tern merge review` writes it): a person's decision for each group
   * Tern would not merge on its own. Its records are quarantined until decided.
   */
  review: z.string().min(1).optional(),
  /** Tern's: the review file's decisions by group, read when the plan is loaded (so the plan's hash covers them). */
  decisions: z
    .record(z.string(), z.union([z.literal('merge'), z.strictObject({ split: z.array(z.array(z.string())) })]))
    .default({}),
  /** Tern's: the groups the review file leaves undecided. */
  undecided: z.array(z.string()).default([]),
};

/** The cross-checks of a merged object: sources distinct, match and survivorship naming fields the sources map. */
export function checkMergedObject(object: z.output<z.ZodObject<typeof mergedObjectShape>>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
  // Cross-checks need two distinct sources; without them, the one problem to report is that.
  if (object.sources.length < 2) return;
  const names = object.sources.map((s) => s.source);
  const twice = names.findIndex((name, i) => names.indexOf(name) !== i);
  if (twice >= 0) {
    issue(['sources', twice, 'source'], `source "${names[twice]}" feeds this object twice; list each source once`);
    return;
  }
  const mappedBy = new Map<string, string[]>();
  object.sources.forEach((s, i) => {
    const seen = new Set<string>();
    s.fields.forEach((f, j) => {
      if (RESERVED_MERGE_FIELDS.includes(f.to))
        issue(
          ['sources', i, 'fields', j, 'to'],
          `"${f.to}" is a name Tern keeps for itself in a merged object; rename the field`,
        );
      if (f.to === object.target.key)
        issue(
          ['sources', i, 'fields', j, 'to'],
          `"${f.to}" is the target key: Tern writes each merged record's ref there (e.g. ${s.source}/42); map the source id to another field`,
        );
      const at = f.transform.findIndex((t) => transformName(t) === 'reference');
      if (at >= 0 && at !== f.transform.length - 1)
        issue(
          ['sources', i, 'fields', j, 'transform', at],
          'in a merged object a reference is the last transform of its field (it runs at load, after the merge); move the others before it',
        );
      if (seen.has(f.to))
        issue(
          ['sources', i, 'fields', j, 'to'],
          `target field "${f.to}" is mapped twice from ${s.source}; map it once`,
        );
      seen.add(f.to);
      mappedBy.set(f.to, [...(mappedBy.get(f.to) ?? []), s.source]);
    });
  });
  object.match.forEach((rule, i) => {
    const fields = rule.kind === 'block' ? rule.fields : [rule.field];
    for (const field of fields) {
      const by = mappedBy.get(field) ?? [];
      if (by.length < 2)
        issue(
          ['match', i],
          `"${field}" is mapped by ${by.length === 0 ? 'no source' : `only ${by[0]}`}; a match rule compares a target field that at least two sources map`,
        );
    }
  });
  for (const [field, rule] of Object.entries(object.survivorship)) {
    const by = mappedBy.get(field);
    if (!by) {
      issue(['survivorship', field], `"${field}" is not a target field of this object; name a field a source maps`);
      continue;
    }
    if (rule.rule === 'priority') {
      rule.sources.forEach((name, k) => {
        if (!names.includes(name))
          issue(
            ['survivorship', field, 'sources', k],
            `"${name}" is not a source of this object; use one of ${names.join(', ')}`,
          );
        else if (rule.sources.indexOf(name) !== k)
          issue(['survivorship', field, 'sources', k], `"${name}" is listed twice; list each source once`);
      });
    }
    if (rule.rule === 'most_recent') {
      const without = object.sources.filter((s) => by.includes(s.source) && s.updatedAt === undefined);
      if (without.length > 0)
        issue(
          ['survivorship', field],
          `most_recent compares each source's updatedAt, and ${without.map((s) => s.source).join(', ')} declares none; set its updatedAt column or use priority`,
        );
    }
  }
}

export const mergedObjectSchema = z.strictObject(mergedObjectShape).superRefine(checkMergedObject);

export type MergeSourcePlan = z.output<typeof mergeSourceSchema>;
export type MatchRule = z.output<typeof matchRuleSchema>;
export type SurvivorshipRule = z.output<typeof survivorshipRuleSchema>;
export type MergedObjectPlan = z.output<typeof mergedObjectSchema>;

/** The name a match rule is reported under: its own, or its kind and fields (`phone on phone`). */
export function matchRuleName(rule: MatchRule): string {
  if (rule.name) return rule.name;
  return `${rule.kind} on ${rule.kind === 'block' ? rule.fields.join(' + ') : rule.field}`;
}

/** One line per problem in a merged object section: `path: what is wrong and how to fix it`. */
export function mergedObjectIssues(data: unknown): string[] {
  const result = mergedObjectSchema.safeParse(data);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const where = issue.path.map(String).join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys')
      return `${where}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or correct them`;
    // A discriminator that is missing or unknown: say which values it takes.
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'kind' && issue.path[0] === 'match')
      return `${where}: a match rule's kind is email, domain, phone or block`;
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'rule' && issue.path[0] === 'survivorship')
      return `${where}: a survivorship rule is priority, most_recent, most_complete, transform or union`;
    if (issue.code === 'invalid_union' && issue.path.some((p) => p === 'transform' || p === 'normalise'))
      return `${where}: a transform is its name or { name: arguments }, e.g. trim or { truncate: { length: 80 } }`;
    return `${where}: ${issue.message}`;
  });
}

/**
 * Transform names a merged object uses (in field maps, blocking-key normalisers and survivorship) that are neither
 * built in nor among the plan's own custom transforms, with where each is: the plan loader reports them.
 */
export function unknownMergeTransforms(
  object: MergedObjectPlan,
  custom: readonly string[],
): { path: string; name: string }[] {
  const known = (name: string): boolean => name in TRANSFORMS || custom.includes(name);
  const out: { path: string; name: string }[] = [];
  object.sources.forEach((s, i) =>
    s.fields.forEach((f, j) =>
      f.transform.forEach((spec, k) => {
        if (!known(transformName(spec)))
          out.push({ path: `sources.${i}.fields.${j}.transform.${k}`, name: transformName(spec) });
      }),
    ),
  );
  object.match.forEach((rule, i) => {
    if (rule.kind !== 'block') return;
    for (const [field, specs] of Object.entries(rule.normalise))
      specs.forEach((spec, k) => {
        if (!known(transformName(spec)))
          out.push({ path: `match.${i}.normalise.${field}.${k}`, name: transformName(spec) });
      });
  });
  for (const [field, rule] of Object.entries(object.survivorship))
    if (rule.rule === 'transform' && !known(transformName(rule.transform)))
      out.push({ path: `survivorship.${field}.transform`, name: transformName(rule.transform) });
  return out;
}
