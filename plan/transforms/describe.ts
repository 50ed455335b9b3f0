import { plural, type TransformOutputKind } from './core';
import { NUMBER_EXAMPLE } from './numbers';
import { TRANSFORMS, transformArgs, transformName, type TransformSpec } from './registry';

/** Descriptions and output kinds, for plan reports and type checks against target columns. */

/** Parsed arguments of a built-in spec; undefined for custom/unknown transforms or invalid arguments. */
function parsedArgs(spec: TransformSpec): Record<string, unknown> | undefined {
  const definition = TRANSFORMS[transformName(spec)];
  if (!definition) return undefined;
  if (!definition.args) return {};
  const parsed = definition.args.safeParse(transformArgs(spec));
  return parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
}

const short = (s: string, max = 40): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const count = (v: unknown): number =>
  Array.isArray(v) ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : 0;

const DESCRIBERS: Record<string, (a: Record<string, unknown>) => string | undefined> = {
  default: (a) => short(JSON.stringify(a.value) ?? 'undefined'),
  date: (a) => String(a.format),
  truncate: (a) => `${String(a.length)}, overflow→${String(a.onOverflow)}`,
  number: (a) => NUMBER_EXAMPLE[a.decimalSeparator as '.' | ','],
  currency: (a) => `${plural(a.decimals as number, 'decimal')}, ${NUMBER_EXAMPLE[a.decimalSeparator as '.' | ',']}`,
  boolean: (a) =>
    count(a.true) + count(a.false) === 0 ? undefined : `+${count(a.true)} true, +${count(a.false)} false words`,
  phone: (a) =>
    `${typeof a.defaultCountry === 'string' ? a.defaultCountry : 'international'}, invalid→${String(a.onInvalid)}`,
  datetime: (a) => `${String(a.format)}, ${String(a.zone)}${a.keepOffset ? ', stated offset' : ''}`,
  replace: (a) =>
    `${typeof a.find === 'string' ? JSON.stringify(short(a.find, 20)) : `/${short(String(a.pattern), 20)}/${a.ignoreCase ? 'i' : ''}`}→${JSON.stringify(short(String(a.with), 20))}`,
  timezone: (a) => `${String(a.from)}→${String(a.to)}`,
  split: (a) =>
    [
      (a.separators as string[]).map((s) => JSON.stringify(s)).join(' '),
      ...(a.unique ? ['unique'] : []),
      ...(a.lowercase ? ['lowercase'] : []),
    ].join(', '),
  map: (a) => `${plural(count(a.values), 'value')}, unmapped→${String(a.unmapped)}`,
  picklist: (a) =>
    `${plural(count(a.options), 'option')}, ${plural(count(a.aliases), 'alias', 'aliases')}, unmapped→${String(a.unmapped)}`,
  reference: (a) =>
    `${String(a.object)}, missing→${a.onMissing === 'placeholder' ? `placeholder ${JSON.stringify(a.placeholder)}` : String(a.onMissing)}`,
  user: (a) =>
    `${plural(count(a.map), 'user')}${count(a.inactive) > 0 ? `, ${count(a.inactive)} inactive` : ''}, unmapped→${String(a.unmapped)}`,
  template: (a) => JSON.stringify(short(String(a.template))),
  concat: (a) => (a.fields as string[]).join(' + '),
  coalesce: (a) => ['value', ...(a.fields as string[])].join(', '),
};

/**
 * A short human rendering of a spec: `trim`, `date(MM/DD/YYYY)`, `picklist(6 options, 12 aliases,
 * unmapped→quarantine)`, `reference(accounts, missing→quarantine)`. Custom transforms render as their name;
 * built-ins with invalid arguments as `name(invalid arguments)`.
 */
export function describeTransform(spec: TransformSpec): string {
  const name = transformName(spec);
  if (!(name in TRANSFORMS)) return name;
  const args = parsedArgs(spec);
  if (args === undefined) return `${name}(invalid arguments)`;
  const detail = DESCRIBERS[name]?.(args);
  return detail === undefined ? name : `${name}(${detail})`;
}

export type { TransformOutputKind };

function kindOfValue(v: unknown): TransformOutputKind {
  if (typeof v === 'string') return 'text';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'timestamp';
  return 'any';
}

/** A kind shared by every value of a list, else `any`. */
function commonKind(values: unknown[]): TransformOutputKind {
  const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map(kindOfValue));
  if (kinds.size === 1) return [...kinds][0]!;
  if (kinds.size === 2 && kinds.has('integer') && kinds.has('number')) return 'number';
  return 'any';
}

/** The kind a single transform produces from a value of kind `input`. */
function kindAfter(input: TransformOutputKind, spec: TransformSpec): TransformOutputKind {
  const name = transformName(spec);
  const args = parsedArgs(spec);
  // Value transforms work element-wise: a list stays a list.
  const scalar = (kind: TransformOutputKind): TransformOutputKind => (input === 'array' ? 'array' : kind);
  switch (name) {
    case 'default':
      return input !== 'any' ? input : args ? kindOfValue(args.value) : 'any';
    case 'map': {
      if (input === 'array') return 'array';
      if (!args) return 'any';
      const values = Object.values(args.values as Record<string, unknown>);
      if (args.unmapped === 'default') values.push(args.default);
      const kind = commonKind(values);
      if (args.unmapped === 'keep') return kind === 'text' && (input === 'text' || input === 'any') ? 'text' : 'any';
      return kind;
    }
    default: {
      // The plan's custom transforms are unknown; built-ins say what they produce in their reference.
      const reference = TRANSFORMS[name]?.reference;
      if (!reference) return 'any';
      if (reference.output === 'input') return input;
      return reference.elementwise ? scalar(reference.output) : reference.output;
    }
  }
}

/**
 * The kind of value a transform, or a chain of them, ends with, for type checks against target columns;
 * `any` when it cannot be known (custom transforms, `coalesce`, an empty chain: the raw source value).
 */
export function transformOutputKind(spec: TransformSpec | readonly TransformSpec[]): TransformOutputKind {
  const chain: readonly TransformSpec[] = Array.isArray(spec) ? spec : [spec as TransformSpec];
  return chain.reduce<TransformOutputKind>((kind, s) => kindAfter(kind, s), 'any');
}
