import type { TransformDefinition, TransformRun } from './core';
import { optionsJsonSchema, takesBareName } from './json-schema';
import { TRANSFORMS } from './registry';

/**
 * docs/transforms.md, rendered from the registry (`npm run docs:transforms`): the reference is the registry's
 * own data, so the document cannot drift from the code (a unit test compares the committed file).
 */

type JsonSchema = Record<string, unknown>;

export const TRANSFORM_REFERENCE_COMMAND = 'npm run docs:transforms';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Text outside tables: angle brackets would read as HTML. */
const prose = (text: string): string => text.replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
const json = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value));
/** A value for a table cell: its JSON, cut after 80 characters with the full length. */
const brief = (value: unknown): string => {
  const text = json(value);
  return text.length <= 80 ? text : `${text.slice(0, 60)}… (${text.length} characters)`;
};

/** A JSON Schema type in words: `text`, `integer ≥ 1`, `quarantine \| null`, `list of text`. */
function typeText(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => (v === null ? 'null' : String(v))).join(' | ');
  if (schema.const !== undefined) return json(schema.const);
  if (Array.isArray(schema.anyOf))
    return [...new Set((schema.anyOf as JsonSchema[]).flatMap((s) => typeText(s).split(' | ')))].join(' | ');
  switch (schema.type) {
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength === schema.maxLength
        ? `text of ${schema.minLength} character${schema.minLength === 1 ? '' : 's'}`
        : 'text';
    case 'integer':
    case 'number': {
      const bounds = [
        typeof schema.minimum === 'number' ? `≥ ${schema.minimum}` : '',
        typeof schema.maximum === 'number' && schema.maximum < Number.MAX_SAFE_INTEGER ? `≤ ${schema.maximum}` : '',
      ].filter(Boolean);
      return [String(schema.type), ...bounds].join(' ');
    }
    case 'boolean':
    case 'null':
      return String(schema.type);
    case 'array':
      return `list of ${typeText(schema.items as JsonSchema | undefined)}`;
    case 'object':
      return schema.additionalProperties && typeof schema.additionalProperties === 'object'
        ? `map of text → ${typeText(schema.additionalProperties as JsonSchema)}`
        : 'object';
    default:
      return 'any';
  }
}

/** The default of one option: what the option's zod schema makes of an absent value. */
function optionDefault(definition: TransformDefinition, option: string): string {
  const shape = (
    definition.args as { shape?: Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }> }
  ).shape;
  const parsed = shape?.[option]?.safeParse(undefined);
  if (!parsed?.success) return 'required';
  return parsed.data === undefined ? '—' : code(json(parsed.data));
}

/** A transform as a plan writes it with these arguments. */
function specText(name: string, args: Record<string, unknown> | undefined): string {
  return args === undefined || Object.keys(args).length === 0 ? name : json({ [name]: args });
}

function runText(name: string, run: TransformRun): string {
  const context = [
    run.record ? `record ${brief(run.record)}` : '',
    run.references ? `references ${json(run.references)}` : '',
  ].filter(Boolean);
  return `${code(specText(name, run.args))} on ${code(brief(run.value))}${context.length ? ` (${context.join(', ')})` : ''}`;
}

function writtenAs(name: string, definition: TransformDefinition): string {
  if (name === 'default') return code('{ default: value }');
  const object = code(`{ ${name}: { …options } }`);
  if (!definition.args) return code(name);
  return takesBareName(definition) ? `${code(name)} (default options) or ${object}` : object;
}

function renderTransform(name: string, definition: TransformDefinition): string[] {
  const ref = definition.reference;
  const out = [`## ${name}`, '', prose(definition.description), ''];
  const output = ref.output === 'input' ? 'the kind it was given' : ref.output;
  out.push(
    `- **Input:** ${ref.input}`,
    `- **Output:** ${output}${ref.outputForm ? ` (${ref.outputForm})` : ''}`,
    `- **Lists:** ${ref.elementwise ? 'applied to each element (blank results dropped)' : 'applied to the value as a whole'}`,
    `- **Written as:** ${writtenAs(name, definition)}`,
    '',
  );
  const options = optionsJsonSchema(definition);
  const properties = (options?.properties ?? {}) as Record<string, JsonSchema>;
  if (name === 'default') {
    out.push('**Options:** `{ default: value }` (short for `{ default: { value: value } }`)', '');
  } else if (Object.keys(properties).length > 0) {
    out.push('| option | type | default |', '| --- | --- | --- |');
    for (const [option, schema] of Object.entries(properties))
      out.push(`| ${code(option)} | ${cell(typeText(schema))} | ${cell(optionDefault(definition, option))} |`);
    out.push('');
  } else {
    out.push('**Options:** none', '');
  }
  if (ref.quarantines.length > 0) {
    out.push('| quarantines with | when | e.g. |', '| --- | --- | --- |');
    for (const q of ref.quarantines)
      out.push(`| ${code(q.code)} | ${cell(q.when)} | ${cell(runText(name, q.example))} |`);
  } else {
    out.push('**Quarantines:** never (blank values pass through as null).');
  }
  out.push('', '| transform | value | result |', '| --- | --- | --- |');
  for (const example of ref.examples) {
    const context = [
      example.record ? `record ${json(example.record)}` : '',
      example.references ? `references ${json(example.references)}` : '',
    ].filter(Boolean);
    out.push(
      `| ${cell(code(specText(name, example.args)))} | ${cell(code(json(example.value)))}${context.length ? cell(` (${context.join(', ')})`) : ''} | ${cell(code(json(example.result)))} |`,
    );
  }
  out.push('');
  return out;
}

/** The whole reference, as markdown. */
export function renderTransformReference(): string {
  const names = Object.keys(TRANSFORMS).sort();
  const lines = [
    '# Transform reference',
    '',
    `<!-- Generated from the transform registry (plan/transforms/); do not edit. Run \`${TRANSFORM_REFERENCE_COMMAND}\`. -->`,
    '',
    'A field maps a source column through a list of transforms, applied left to right:',
    '',
    '```yaml',
    'fields:',
    '  - from: account_id',
    '    to: account_id',
    '    transform: [{ reference: { object: accounts } }, integer]',
    '```',
    '',
    'Blank values (null, empty or whitespace-only text, an empty list) pass through as null unless a transform',
    'says otherwise. A transform that cannot produce a faithful value quarantines the record with a reason code;',
    'every mapped value is also quarantined as `invalid_text` when it holds a NUL character, an unpaired UTF-16',
    'surrogate or U+FFFD (bytes the source decoder could not read): Tern never strips or replaces characters.',
    '`tern plan schema` carries the same options as JSON Schema, so an editor completes them.',
    '',
    names.map((name) => `[${name}](#${name})`).join(' · '),
    '',
  ];
  for (const name of names) lines.push(...renderTransform(name, TRANSFORMS[name]!));
  return `${lines.join('\n').trimEnd()}\n`;
}
