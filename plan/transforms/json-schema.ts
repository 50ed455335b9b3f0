import { z } from 'zod';
import type { TransformDefinition } from './core';
import { TRANSFORMS } from './registry';

/**
 * JSON Schema of transforms as a plan writes them, built from the registry, so an editor completes transform
 * names and their options (`tern plan schema`). Names that are not built in stay open: they may be the
 * plan's own custom transforms, which are checked with the whole plan.
 */

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a transform's options, as written in a plan (input side: defaults are optional). */
export function optionsJsonSchema(definition: TransformDefinition): JsonSchema | undefined {
  if (!definition.args) return undefined;
  const schema = z.toJSONSchema(definition.args, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete schema.$schema;
  return schema;
}

/** Whether a transform may be written as its bare name (it takes no options, or all have defaults). */
export function takesBareName(definition: TransformDefinition): boolean {
  return !definition.args || definition.args.safeParse({}).success;
}

/** The JSON Schema of one entry of a field's `transform` list. */
export function transformJsonSchema(): JsonSchema {
  const names = Object.keys(TRANSFORMS).sort();
  const bare = names.filter((name) => takesBareName(TRANSFORMS[name]!));
  const withOptions = names.flatMap((name) => {
    const definition = TRANSFORMS[name]!;
    // `{ default: value }` is the short form of `{ default: { value } }`: any value.
    const options =
      name === 'default'
        ? { description: 'the value used when the source value is blank' }
        : optionsJsonSchema(definition);
    if (options === undefined) return [];
    return [
      {
        type: 'object',
        title: name,
        description: definition.description,
        properties: { [name]: options },
        required: [name],
        additionalProperties: false,
      },
    ];
  });
  return {
    description: 'a transform: a built-in name, { name: options }, or a custom transform of the plan',
    anyOf: [
      { type: 'string', enum: bare, description: 'a built-in transform written by its name' },
      {
        type: 'string',
        not: { enum: names },
        description: "a custom transform named in the plan's customTransforms",
      },
      ...withOptions,
      {
        type: 'object',
        minProperties: 1,
        maxProperties: 1,
        propertyNames: { not: { enum: names } },
        description: "a custom transform named in the plan's customTransforms, with its arguments",
      },
    ],
  };
}
