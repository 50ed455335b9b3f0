import { textOf } from './text';
import type { GoldColumn, GoldSchema } from './gold';
import type { FieldProfile, ObjectProfile } from './profile';
import { outOfRange, type FieldFinding } from './precision';
import type { Plan } from './schema';
import { columnKindOf, type ColumnKind } from './target-values';
import { picklistCoverage, transformArgs, transformName, transformOutputKind, type TransformSpec } from './transforms';

/** A finding of the plan checked against the target schema (and, when known, the source profile). */
export interface TargetIssue {
  severity: 'error' | 'warning';
  object: string;
  /** Where in the plan: `objects.2.fields.5.to`. */
  path: string;
  message: string;
  fix: string;
}

type OutputKind = ReturnType<typeof transformOutputKind>;

/** Transforms after which a value is (at most) as long as the source text. */
const TEXT_KEEPING = new Set([
  'trim',
  'collapse_whitespace',
  'lowercase',
  'uppercase',
  'titlecase',
  'null_if_empty',
  'required',
]);

/** Which transform outputs each kind of column accepts without loss; `text` takes anything. */
const ACCEPTS: Record<ColumnKind, OutputKind[]> = {
  text: ['text', 'number', 'integer', 'date', 'timestamp', 'boolean', 'any'],
  integer: ['integer', 'any'],
  decimal: ['number', 'integer', 'any'],
  boolean: ['boolean', 'any'],
  date: ['date', 'any'],
  timestamp: ['timestamp', 'date', 'any'],
  json: ['text', 'number', 'integer', 'date', 'timestamp', 'boolean', 'array', 'any'],
  array: ['array', 'any'],
};

const SUGGEST: Partial<Record<ColumnKind, string>> = {
  integer: 'add an `integer` transform',
  decimal: 'add a `number` or `currency` transform',
  boolean: 'add a `boolean` transform',
  date: 'add a `date` transform with the column format',
  timestamp: 'add a `datetime` transform with the source time zone',
  array: 'add a `split` transform',
};

/**
 * Validates a plan against the target schema: tables, key and mapped columns exist; transform outputs fit
 * the column types; NOT NULL columns without a default are mapped. With a profile, also: values longer than
 * a bounded column, and picklist values not covered by the plan.
 */
export function checkPlanAgainstTarget(
  plan: Plan,
  gold: GoldSchema,
  profiles: ReadonlyMap<string, ObjectProfile & { preflight?: readonly FieldFinding[] }> = new Map(),
): TargetIssue[] {
  const issues: TargetIssue[] = [];
  plan.objects.forEach((object, i) => {
    const table = gold.tables[object.target.table];
    const where = `${gold.schema}.${object.target.table}`;
    const add = (severity: TargetIssue['severity'], path: string, message: string, fix: string) =>
      issues.push({ severity, object: object.name, path, message, fix });
    if (!table?.exists) {
      add(
        'error',
        `objects.${i}.target.table`,
        `target table ${where} does not exist`,
        `create it in the target, or correct target.schema / objects[${i}].target.table`,
      );
      return;
    }
    const columns = new Map(table.columns.map((c) => [c.name, c]));
    const names = table.columns.map((c) => c.name).join(', ');
    if (!columns.has(object.target.key)) {
      add(
        'error',
        `objects.${i}.target.key`,
        `${where} has no column "${object.target.key}" to hold the source id`,
        `add a unique text column for it, or set target.key to one of: ${names}`,
      );
    } else if (!table.uniqueColumns.includes(object.target.key)) {
      add(
        'warning',
        `objects.${i}.target.key`,
        `${where}.${object.target.key} has no unique index: key lookups scan the table and duplicates are not prevented by the target`,
        `create unique index on ${where} (${object.target.key})`,
      );
    }
    const profile = profiles.get(object.name);
    const mapped = new Set<string>([object.target.key]);
    // A merged object's values come through its sources' field maps (its own map only copies them): check those.
    const maps = object.merge
      ? object.merge.sources.flatMap((source, k) =>
          source.fields.map((field, j) => ({ field, at: `objects.${i}.sources.${k}.fields.${j}` })),
        )
      : object.fields.map((field, j) => ({ field, at: `objects.${i}.fields.${j}` }));
    maps.forEach(({ field, at }) => {
      mapped.add(field.to);
      const column = columns.get(field.to);
      if (!column && table.fieldPatterns?.some((re) => new RegExp(re).test(field.to))) return;
      if (!column) {
        add(
          'error',
          `${at}.to`,
          `${where} has no column "${field.to}"`,
          `map to one of: ${names}${closest(field.to, table.columns) ? ` (did you mean "${closest(field.to, table.columns)}"?)` : ''}`,
        );
        return;
      }
      const kind = columnKindOf(column.dataType);
      const output = chainOutputKind(field.transform);
      if (output === 'array' && column.multiple === false) {
        add(
          'error',
          `${at}.transform`,
          `${field.from ?? '(no source field)'} → ${field.to}: the transforms produce a list, but ${where}.${field.to} holds one value`,
          `map it to an attribute that holds several values, or drop the split`,
        );
      } else if (!ACCEPTS[kind].includes(output) && !(column.multiple && output === 'array')) {
        add(
          'error',
          `${at}.transform`,
          `${field.from ?? '(no source field)'} → ${field.to}: the transforms produce ${output === 'text' ? 'raw text' : withArticle(output)}, but ${where}.${field.to} is ${column.dataType}`,
          SUGGEST[kind] ?? `map it to ${withArticle(output)} column`,
        );
      }
      const fieldProfile = field.from ? profile?.fields.find((f) => f.field === field.from) : undefined;
      // Source lengths predict target lengths only when the chain keeps the text (trim, case, …); a map or a
      // picklist changes it, and the dry run checks every mapped value's length exactly anyway.
      const keepsText = field.transform.every((t) => TEXT_KEEPING.has(transformName(t)));
      if (fieldProfile && column.maxLength !== null && keepsText && fieldProfile.maxLength > column.maxLength) {
        add(
          'warning',
          at,
          `${field.from} has values up to ${fieldProfile.maxLength} characters; ${where}.${field.to} holds ${column.maxLength}: longer records will be quarantined`,
          `add { truncate: { length: ${column.maxLength}, onOverflow: truncate } } if cutting is acceptable, or widen the column`,
        );
      }
      if (fieldProfile?.dates) {
        field.transform.forEach((spec, k) => {
          if (transformName(spec) !== 'date') return;
          const finding = dateFormatFinding(textOf(transformArgs(spec).format ?? 'auto'), fieldProfile.dates!);
          if (finding) add('warning', `${at}.transform.${k}`, `${field.from}: ${finding.message}`, finding.fix);
        });
      }
      for (const finding of profile?.preflight ?? []) {
        if (finding.field !== field.to || !PRECISION_CODES.has(finding.code)) continue;
        const examples = finding.examples.slice(0, 3).map((e) => e.record);
        add(
          'warning',
          at,
          `${field.from ?? '(no source field)'} → ${field.to}: ${finding.records} records: ${finding.message}${examples.length > 0 ? ` (e.g. record ${examples.join(', ')})` : ''}`,
          finding.fix,
        );
      }
      field.transform.forEach((spec, k) => {
        if (transformName(spec) !== 'picklist') return;
        const finding = picklistFinding(transformArgs(spec), `${object.name}.${field.from ?? field.to}`, fieldProfile);
        if (finding) add(finding.severity, `${at}.transform.${k}`, finding.message, finding.fix);
      });
    });
    for (const column of table.columns) {
      if (!column.nullable && !column.hasDefault && !mapped.has(column.name)) {
        add(
          'error',
          `objects.${i}.fields`,
          `${where}.${column.name} is NOT NULL without a default, and no field maps to it: every insert would fail`,
          `map a source field (or a { default: … }) to ${column.name}`,
        );
      }
    }
  });
  return issues;
}

/** Pre-flight findings the dry run counts that `plan validate` repeats per field: precision the target lacks. */
const PRECISION_CODES = new Set(['precision_loss', 'out_of_range']);

/**
 * Values of a picklist field no option or alias covers: those of the profile (every distinct value of a
 * picklist candidate, else its most frequent ones) and those its mapping file (`aliasesFile`) leaves null.
 * An error under `unmapped: strict`, else a warning saying what the policy will do with them.
 */
export function picklistFinding(
  args: Record<string, unknown>,
  /** `object.field` (the source field), for the fix. */
  objectField: string,
  fieldProfile?: FieldProfile,
): Pick<TargetIssue, 'severity' | 'message' | 'fix'> | undefined {
  const field = objectField.slice(objectField.indexOf('.') + 1);
  const profiled = fieldProfile ? (fieldProfile.values ?? fieldProfile.top) : [];
  const { unmapped } = picklistCoverage(
    args,
    profiled.map((v) => v.value),
  );
  const file = typeof args.aliasesFile === 'string' ? args.aliasesFile : undefined;
  const unfilled = (Array.isArray(args.unfilled) ? args.unfilled : []).filter(
    (v): v is string => typeof v === 'string' && !unmapped.includes(v),
  );
  const values = [...unmapped, ...unfilled];
  if (values.length === 0) return undefined;
  const counts = new Map(profiled.map((v) => [v.value, v.count]));
  const records = unmapped.reduce((n, v) => n + (counts.get(v) ?? 0), 0);
  const strict = args.unmapped === 'strict';
  const listed = values
    .slice(0, 10)
    .map((v) => (counts.has(v) ? `"${v}" (${counts.get(v)})` : `"${v}"`))
    .join(', ');
  const where =
    unfilled.length === 0
      ? `${unmapped.length} ${field} value(s) in the source match no picklist option or alias (${records} records)`
      : unmapped.length === 0
        ? `${unfilled.length} ${field} value(s) are left null in ${file}`
        : `${values.length} ${field} value(s) match no picklist option or alias (${records} records in the source; ${unfilled.length} left null in ${file})`;
  return {
    severity: strict ? 'error' : 'warning',
    message: `${where}: ${listed}${values.length > 10 ? ', …' : ''}${strict ? '' : `; they will be handled by unmapped: ${textOf(args.unmapped ?? 'quarantine')}`}`,
    fix: file
      ? `map each to an option in ${file} (replace null; \`tern map suggest <plan> ${objectField}\` adds values it has not listed yet)${strict ? ', or set picklist.unmapped: quarantine | default' : ''}`
      : 'add them to picklist.aliases (value: option)',
  };
}

/**
 * What the profiled dates of a column say about the plan's date format: values the format cannot read, or
 * ambiguous values `auto` will quarantine although the column's unambiguous values all read one way.
 */
export function dateFormatFinding(
  format: string,
  dates: NonNullable<FieldProfile['dates']>,
): { message: string; fix: string } | undefined {
  if (format === 'MM/DD/YYYY' && dates.dayFirst > 0)
    return {
      message: `${dates.dayFirst} values can only be DD/MM (day > 12) and will be quarantined as invalid_date under MM/DD/YYYY`,
      fix:
        dates.monthFirst > 0
          ? 'the column mixes both orders: map it with { date: { format: auto } } and review the quarantine'
          : 'use { date: { format: DD/MM/YYYY } }',
    };
  if ((format === 'DD/MM/YYYY' || format === 'DD.MM.YYYY') && dates.monthFirst > 0)
    return {
      message: `${dates.monthFirst} values can only be MM/DD (second part > 12) and will be quarantined as invalid_date under ${format}`,
      fix:
        dates.dayFirst > 0
          ? 'the column mixes both orders: map it with { date: { format: auto } } and review the quarantine'
          : 'use { date: { format: MM/DD/YYYY } }',
    };
  if (format === 'auto' && dates.ambiguous > 0) {
    const detected = dates.verdict === 'MM/DD' ? 'MM/DD/YYYY' : dates.verdict === 'DD/MM' ? 'DD/MM/YYYY' : undefined;
    return {
      message: `${dates.ambiguous} ambiguous dates (both parts ≤ 12) will be quarantined as ambiguous_date${detected ? `; every unambiguous value of the column is ${dates.verdict}` : ` (the column's verdict: ${dates.verdict})`}`,
      fix: detected
        ? `set { date: { format: ${detected} } } to read them as the column does`
        : 'name the format per source, or accept the quarantine and resolve those records by hand',
    };
  }
  return undefined;
}

/** "an array", "an integer", "a date". */
const withArticle = (word: string): string => `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;

/** The kind of value a transform chain ends with; raw source values (no transforms) are text. */
export function chainOutputKind(chain: readonly unknown[]): OutputKind {
  return chain.length === 0 ? 'text' : transformOutputKind(chain as TransformSpec[]);
}

/** The column whose name is closest to a misspelt one (edit distance ≤ 2), for "did you mean". */
function closest(name: string, columns: readonly GoldColumn[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const c of columns) {
    const d = editDistance(name.toLowerCase(), c.name.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { name: c.name, d };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** What a SaaS target accepts per value format (Attio's rules: https://docs.attio.com/docs/attribute-types). */
export const VALUE_FORMATS: Record<
  NonNullable<GoldColumn['format']>,
  { pattern: RegExp; code: string; fix: string }
> = {
  email: {
    pattern: /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/,
    code: 'target_invalid_email',
    fix: 'add the `email` transform (invalid addresses are quarantined, blanks become null)',
  },
  domain: {
    pattern: /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.[a-z0-9-]{1,63})*\.[a-z]{2,}$/i,
    code: 'target_invalid_domain',
    fix: 'add the `domain` transform (a website or URL → its domain; { domain: { onInvalid: null } } to drop bad ones)',
  },
  phone: {
    pattern: /^\+[1-9]\d{6,14}$/,
    code: 'target_invalid_phone',
    fix: 'add { phone: { defaultCountry: <country> } } (E.164; onInvalid: null to drop bad numbers)',
  },
};

/** A value the target would refuse, as pre-flight reports it: which field, which value, and the fix. */
export interface Rejection {
  code: string;
  field: string;
  message: string;
  /** The offending value (quoted in reports; never the whole record). */
  value?: string;
  fix?: string;
}

const quoted = (v: unknown) => {
  const t = textOf(v);
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
};

/**
 * What the target would refuse in a mapped payload, checked before writing so a dry run predicts it and a
 * load quarantines it with the same reason: a null in a NOT NULL column, text longer than its column, a number
 * beyond its column's range (plan/precision.ts), and for
 * SaaS attributes a value in the wrong format, an option that does not exist, several values where the
 * attribute holds one.
 */
export function columnRejection(
  payload: Record<string, unknown>,
  columns: readonly GoldColumn[],
): Rejection | undefined {
  for (const column of columns) {
    if (!(column.name in payload)) continue;
    const value = payload[column.name];
    const items = (Array.isArray(value) ? value : [value]).filter(
      (v) => v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === ''),
    );
    // A SaaS attribute (multiple is known) holds no blank text or empty list; a table column takes ''.
    const empty = column.multiple === undefined ? value === null || value === undefined : items.length === 0;
    if (empty && !column.nullable) {
      return {
        code: 'required_missing',
        field: column.name,
        message: `${column.name} is empty, and the target requires a value (NOT NULL)`,
        fix: `map a source field that always has a value to ${column.name}, or add { default: … }`,
      };
    }
    if (column.maxLength !== null && typeof value === 'string' && [...value].length > column.maxLength) {
      return {
        code: 'too_long',
        field: column.name,
        message: `${column.name} has ${[...value].length} characters; the target column holds ${column.maxLength}`,
        value: quoted(value),
        fix: `add { truncate: { length: ${column.maxLength}, onOverflow: truncate } }`,
      };
    }
    const range = outOfRange(column, value);
    if (range) return range;
    if (column.multiple === false && items.length > 1) {
      return {
        code: 'target_several_values',
        field: column.name,
        message: `${column.name} holds one value, and the record has ${items.length}`,
        value: quoted(items.map(textOf).join(', ')),
        fix: `keep one value (drop the split), or map to an attribute that holds several`,
      };
    }
    const format = column.format ? VALUE_FORMATS[column.format] : undefined;
    // A SaaS number or currency attribute takes numbers only (a table column's own casts are PostgreSQL's).
    const numeric = column.multiple !== undefined && columnKindOf(column.dataType) === 'decimal';
    for (const item of items) {
      if (numeric && !/^-?\d+(\.\d+)?$/.test(textOf(item).trim()))
        return {
          code: 'target_not_a_number',
          field: column.name,
          message: `"${quoted(item)}" is not a number for ${column.name}`,
          value: quoted(item),
          fix: 'add { currency: { decimals: 2 } } (or `number`); onInvalid: null keeps the record without the value',
        };
      if (format && !format.pattern.test(textOf(item)))
        return {
          code: format.code,
          field: column.name,
          message: `"${quoted(item)}" is not a valid ${column.format} for ${column.name}`,
          value: quoted(item),
          fix: format.fix,
        };
      if (column.options && !column.createsOptions && !column.options.includes(textOf(item)))
        return {
          code: 'target_option_missing',
          field: column.name,
          message: `"${quoted(item)}" is not an option of ${column.name} (options: ${column.options.slice(0, 8).join(', ')}${column.options.length > 8 ? ', …' : ''})`,
          value: quoted(item),
          fix: `map it to an option with picklist (\`tern map suggest <plan> <object>.<field>\`), or set target.createOptions: true`,
        };
    }
  }
  return undefined;
}

/**
 * Unique target attributes across the records of one object (pre-flight): the second record carrying a value
 * the target holds once would be refused. Values are compared as the target compares them (case-insensitive
 * for formats, exact otherwise).
 */
export class UniqueValues {
  private readonly seen = new Map<string, Map<string, string>>();

  constructor(
    private readonly columns: readonly GoldColumn[],
    unique: readonly string[],
    private readonly key: string,
  ) {
    for (const c of columns) if (unique.includes(c.name) && c.name !== key) this.seen.set(c.name, new Map());
  }

  /** The conflict this record would meet, or undefined; remembers its values when there is none. */
  check(sourceId: string, payload: Record<string, unknown>): Rejection | undefined {
    const mine: [Map<string, string>, string][] = [];
    for (const [name, values] of this.seen) {
      const column = this.columns.find((c) => c.name === name)!;
      const value = payload[name];
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item === null || item === undefined || textOf(item).trim() === '') continue;
        const k = column.format ? textOf(item).toLowerCase() : textOf(item);
        const holder = values.get(k);
        if (holder !== undefined && holder !== sourceId)
          return {
            code: 'target_unique_conflict',
            field: name,
            message: `${name} "${quoted(item)}" is already held by record ${holder}; ${name} is unique in the target`,
            value: quoted(item),
            fix: `dedupe the object on it: dedupe: { key: [<source field of ${name}>] }, or map ${name} from a field that differs`,
          };
        mine.push([values, k]);
      }
    }
    for (const [values, k] of mine) values.set(k, sourceId);
    return undefined;
  }
}
