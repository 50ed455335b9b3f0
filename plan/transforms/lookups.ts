import { z } from 'zod';
import {
  asText,
  define,
  elementwise,
  exactKey,
  isBlank,
  looseKey,
  policy,
  quoteValue,
  RecordRejection,
  type TransformDefinition,
} from './core';
import { qualifiedReference } from '../merge-ref';

/** Lookup transforms: booleans from words, value maps, picklists, references to other objects, users. */

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);

const booleanArgs = z
  .strictObject({
    true: z.array(z.string().min(1)).default([]),
    false: z.array(z.string().min(1)).default([]),
  })
  .superRefine((args, ctx) => {
    const trueWords = new Set([...TRUE_WORDS, ...args.true.map(looseKey)]);
    const falseWords = new Set([...FALSE_WORDS, ...args.false.map(looseKey)]);
    for (const [list, other] of [
      ['true', falseWords],
      ['false', trueWords],
    ] as const) {
      args[list].forEach((word, i) => {
        if (other.has(looseKey(word)))
          ctx.addIssue({
            code: 'custom',
            path: [list, i],
            message: `"${word}" would mean both true and false; remove it from one list`,
          });
      });
    }
  });

const mapArgs = z
  .strictObject({
    values: z.record(z.string(), z.unknown()),
    caseInsensitive: z.boolean().default(true),
    unmapped: z.enum(['quarantine', 'default', 'keep']).default('quarantine'),
    default: z.unknown().optional(),
  })
  .superRefine((args, ctx) => {
    if (Object.keys(args.values).length === 0)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'list at least one legacy value: { legacy: new }' });
    if (args.unmapped === 'default' && !('default' in args))
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'unmapped: default needs a default value' });
    const key = args.caseInsensitive ? looseKey : exactKey;
    const seen = new Map<string, string>();
    for (const [legacy, target] of Object.entries(args.values)) {
      const k = key(legacy);
      const earlier = seen.get(k);
      if (earlier !== undefined && JSON.stringify(args.values[earlier]) !== JSON.stringify(target))
        ctx.addIssue({
          code: 'custom',
          path: ['values', legacy],
          message: `"${legacy}" and "${earlier}" are the same legacy value${args.caseInsensitive ? ' (case-insensitively)' : ''} but map to different values; keep one`,
        });
      seen.set(k, legacy);
    }
  });

export const picklistArgs = z
  .strictObject({
    options: z.array(z.string().min(1)).min(1, 'list at least one option'),
    aliases: z.record(z.string(), z.string()).default({}),
    /**
     * A mapping file (`tern map suggest` writes one), relative to the plan file. Plan loading reads it: its
     * entries join `aliases` (and its options fill `options` when the plan lists none); the transform itself
     * never reads files.
     */
    aliasesFile: z.string().min(1).optional(),
    /** Values the mapping file leaves null (a person has not decided yet), filled in by plan loading. */
    unfilled: z.array(z.string()).default([]),
    /**
     * quarantine: an unmapped value quarantines its record; default: it becomes `default`; strict: like
     * quarantine at run time, and any unmapped value found in the source is a plan error at validation.
     */
    unmapped: z.enum(['quarantine', 'default', 'strict']).default('quarantine'),
    default: z.string().optional(),
  })
  .superRefine((args, ctx) => {
    const options = new Map<string, string>();
    args.options.forEach((option, i) => {
      const earlier = options.get(looseKey(option));
      if (earlier !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['options', i],
          message: `option "${option}" repeats "${earlier}" (options are matched case-insensitively); keep one`,
        });
      else options.set(looseKey(option), option);
    });
    for (const [alias, target] of Object.entries(args.aliases)) {
      const option = options.get(looseKey(target));
      if (option === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['aliases', alias],
          message: `alias "${alias}" maps to "${target}", which is not among the options; map it to one of: ${args.options.join(', ')}`,
        });
        continue;
      }
      const shadowed = options.get(looseKey(alias));
      if (shadowed !== undefined && shadowed !== option)
        ctx.addIssue({
          code: 'custom',
          path: ['aliases', alias],
          message: `alias "${alias}" is itself the option "${shadowed}" but maps to "${option}"; remove the alias or rename the option`,
        });
    }
    if (args.unmapped === 'default' && args.default === undefined)
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'unmapped: default needs a default option' });
    if (args.default !== undefined && !options.has(looseKey(args.default)))
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `default "${args.default}" is not among the options; use one of: ${args.options.join(', ')}`,
      });
  });

export type PicklistArgs = z.output<typeof picklistArgs>;

const referenceArgs = z
  .strictObject({
    object: z.string().min(1),
    /**
     * For an object merged from several sources (docs/merge.md): the source the id comes from. Its records are
     * known as `source/id`, and a record merged into another leads to the merged record.
     */
    source: z.string().min(1).optional(),
    onMissing: policy(['quarantine', 'null', 'placeholder'], 'quarantine'),
    placeholder: z.string().min(1).optional(),
  })
  .superRefine((args, ctx) => {
    if (args.onMissing === 'placeholder' && args.placeholder === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['placeholder'],
        message: 'onMissing: placeholder needs the placeholder value (the target id to use)',
      });
    if (args.onMissing !== 'placeholder' && args.placeholder !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['placeholder'],
        message: 'placeholder is used only with onMissing: placeholder; remove it or set onMissing: placeholder',
      });
  });

const userArgs = z
  .strictObject({
    map: z.record(z.string(), z.string().min(1).nullable()),
    inactive: z.array(z.string().min(1)).default([]),
    fallback: z.string().min(1).optional(),
    unmapped: z.enum(['quarantine', 'fallback']).default('quarantine'),
  })
  .superRefine((args, ctx) => {
    if (args.fallback !== undefined) return;
    if (args.unmapped === 'fallback')
      ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'unmapped: fallback needs a fallback user' });
    else if (args.inactive.length > 0)
      ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'inactive users need a fallback user' });
    else if (Object.values(args.map).some((v) => v === null))
      ctx.addIssue({
        code: 'custom',
        path: ['fallback'],
        message: 'users mapped to null need a fallback user',
      });
  });

export const LOOKUP_TRANSFORMS: Record<string, TransformDefinition> = {
  boolean: define(
    'yes/no, true/false, 1/0, on/off, y/n, t/f; more words: { boolean: { true: [si, oui], false: [non] } }',
    {
      input: 'text or boolean',
      output: 'boolean',
      elementwise: true,
      quarantines: [
        {
          code: 'not_a_boolean',
          when: 'the word is in neither list (built-in or boolean.true / boolean.false)',
          example: { value: 'maybe' },
        },
      ],
      examples: [
        { value: 'Yes', result: true },
        { args: { true: ['oui'], false: ['non'] }, value: 'Non', result: false },
      ],
    },
    booleanArgs,
    (args) => {
      const trueWords = new Set([...TRUE_WORDS, ...args.true.map(looseKey)]);
      const falseWords = new Set([...FALSE_WORDS, ...args.false.map(looseKey)]);
      return elementwise((v) => {
        if (isBlank(v)) return null;
        if (typeof v === 'boolean') return v;
        const s = looseKey(asText(v));
        if (trueWords.has(s)) return true;
        if (falseWords.has(s)) return false;
        throw new RecordRejection(
          'not_a_boolean',
          `${quoteValue(v)} is not yes/no, true/false or 1/0; fix the source or add it to boolean.true or boolean.false`,
        );
      });
    },
  ),
  map: define(
    'replace legacy values: { map: { values: { legacy: new }, caseInsensitive: true, unmapped: quarantine | default | keep, default: value } }',
    {
      input: 'text',
      output: 'any',
      outputForm: 'the mapped value (any JSON value)',
      elementwise: true,
      quarantines: [
        {
          code: 'unmapped_value',
          when: 'the value is not in values and unmapped is quarantine (the default)',
          example: { args: { values: { A: 'active' } }, value: 'Z' },
        },
      ],
      examples: [
        { args: { values: { A: 'active', I: 'inactive' } }, value: ' a ', result: 'active' },
        { args: { values: { A: 'active' }, unmapped: 'keep' }, value: 'Z', result: 'Z' },
      ],
    },
    mapArgs,
    (args) => {
      const key = args.caseInsensitive ? looseKey : exactKey;
      const table = new Map(Object.entries(args.values).map(([legacy, target]) => [key(legacy), target]));
      return elementwise(
        (v) => {
          if (isBlank(v)) return null;
          const k = key(asText(v));
          if (table.has(k)) return table.get(k);
          if (args.unmapped === 'keep') return v;
          if (args.unmapped === 'default') return args.default;
          throw new RecordRejection(
            'unmapped_value',
            `${quoteValue(asText(v).trim())} is not a known legacy value; add it to map.values (or set map.unmapped: default | keep)`,
          );
        },
        { unique: true },
      );
    },
  ),
  picklist: define(
    'one of a fixed list of options, matched case-insensitively, plus aliases: { picklist: { options: [..], aliases: { legacy: option }, aliasesFile: mappings/<object>.<field>.yaml, unmapped: quarantine | default | strict, default: option } }',
    {
      input: 'text',
      output: 'text',
      elementwise: true,
      quarantines: [
        {
          code: 'unmapped_value',
          when: 'the value matches no option or alias and unmapped is quarantine or strict (strict also fails plan validation when the profile finds one)',
          example: { args: { options: ['Gold', 'Silver'] }, value: 'Bronze' },
        },
      ],
      examples: [
        { args: { options: ['Gold', 'Silver'], aliases: { GLD: 'Gold' } }, value: 'gld', result: 'Gold' },
        { args: { options: ['Gold', 'Silver'] }, value: ' SILVER ', result: 'Silver' },
      ],
    },
    picklistArgs,
    (args) => {
      const lookup = picklistLookup(args);
      const fallback = args.default === undefined ? undefined : lookup.get(looseKey(args.default));
      return elementwise(
        (v) => {
          if (isBlank(v)) return null;
          const option = lookup.get(looseKey(asText(v)));
          if (option !== undefined) return option;
          if (args.unmapped === 'default' && fallback !== undefined) return fallback;
          throw new RecordRejection(
            'unmapped_value',
            `${quoteValue(asText(v).trim())} is not one of the ${args.options.length} picklist options; ${args.aliasesFile ? `map it to an option in ${args.aliasesFile}` : 'add it to picklist.aliases (legacy: option)'} or set picklist.unmapped: default`,
          );
        },
        { unique: true },
      );
    },
  ),
  reference: define(
    'the target id of a record of another object: { reference: { object: name, source: name (merged objects), onMissing: quarantine | null | placeholder, placeholder: id } }',
    {
      input: 'text (a source id of the other object)',
      output: 'text',
      outputForm: 'the target id (text); put integer after it for an integer foreign key',
      elementwise: true,
      quarantines: [
        {
          code: 'orphan_reference',
          when: 'the other object has no record with that source id (or it is not migrated) and onMissing is quarantine (the default)',
          example: { args: { object: 'accounts' }, value: '404' },
        },
      ],
      examples: [
        { args: { object: 'accounts' }, value: ' 42 ', references: { 'accounts/42': '7' }, result: '7' },
        { args: { object: 'accounts', onMissing: 'null' }, value: '404', result: null },
      ],
    },
    referenceArgs,
    ({ object, source, onMissing, placeholder }) =>
      elementwise((v, ctx) => {
        if (isBlank(v)) return null;
        const id = qualifiedReference(source, asText(v).trim());
        const resolved = ctx.resolveReference(object, id);
        if (resolved.found) return resolved.targetId ?? id;
        if (onMissing === 'null') return null;
        if (onMissing === 'placeholder') return placeholder;
        throw new RecordRejection(
          'orphan_reference',
          `${object} ${quoteValue(id)} does not exist (or is not migrated); fix the source, or set reference.onMissing: null | placeholder`,
        );
      }),
  ),
  user: define(
    'a legacy user → a target user: { user: { map: { legacy: target }, inactive: [legacy], fallback: target, unmapped: quarantine | fallback } }',
    {
      input: 'text',
      output: 'text',
      elementwise: true,
      quarantines: [
        {
          code: 'unmapped_user',
          when: 'the user is neither in map nor in inactive and unmapped is quarantine (the default)',
          example: { args: { map: { jdoe: 'jane@acme.com' } }, value: 'bsmith' },
        },
      ],
      examples: [
        { args: { map: { jdoe: 'jane@acme.com' } }, value: 'JDoe', result: 'jane@acme.com' },
        {
          args: { map: { jdoe: 'jane@acme.com' }, inactive: ['old'], fallback: 'ops@acme.com' },
          value: 'old',
          result: 'ops@acme.com',
        },
      ],
    },
    userArgs,
    (args) => {
      const table = new Map(Object.entries(args.map).map(([legacy, target]) => [looseKey(legacy), target]));
      const inactive = new Set(args.inactive.map(looseKey));
      return elementwise((v) => {
        if (isBlank(v)) return null;
        const k = looseKey(asText(v));
        if (inactive.has(k)) return args.fallback ?? null;
        if (table.has(k)) return table.get(k) ?? args.fallback ?? null;
        if (args.unmapped === 'fallback') return args.fallback ?? null;
        throw new RecordRejection(
          'unmapped_user',
          `legacy user ${quoteValue(asText(v).trim())} is not in user.map; add it there (or to user.inactive), or set user.unmapped: fallback`,
        );
      });
    },
  ),
};

function picklistLookup(args: PicklistArgs): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const option of args.options) if (!lookup.has(looseKey(option))) lookup.set(looseKey(option), option);
  for (const [alias, target] of Object.entries(args.aliases)) {
    const option = lookup.get(looseKey(target));
    // Options win over aliases that collide with them (validation reports such aliases).
    if (option !== undefined && !args.options.some((o) => looseKey(o) === looseKey(alias)))
      lookup.set(looseKey(alias), option);
  }
  return lookup;
}

/**
 * The values (e.g. a field's profiled distinct values) that match neither an option nor an alias of a
 * picklist, in the order given, each once; blanks are ignored. They are listed whatever `unmapped` would do
 * with them. `args` are the picklist's plan arguments (checked; throws a ZodError when they are invalid).
 */
export function picklistCoverage(args: Record<string, unknown>, values: readonly string[]): { unmapped: string[] } {
  const lookup = picklistLookup(picklistArgs.parse(args));
  const unmapped: string[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    if (isBlank(value) || seen.has(value)) continue;
    seen.add(value);
    if (!lookup.has(looseKey(value))) unmapped.push(value);
  }
  return { unmapped };
}
