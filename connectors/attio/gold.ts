import type { GoldColumn, GoldSchema } from '../../plan/gold';
import type { AttioAttribute } from './attributes';
import type { AttioType } from './types';
import type { AttioObjectBinding, AttioWorkspace } from './workspace';

/**
 * The gold schema of an Attio workspace: each object a plan writes, one column per writable attribute, in the
 * terms plan checks use (kind, format, options, references to other plan objects).
 */

/** The attribute types whose values Tern reads back and compares; the others are written but not verified. */
const FORMATS: Partial<Record<AttioType, GoldColumn['format']>> = {
  'email-address': 'email',
  domain: 'domain',
  'phone-number': 'phone',
};

const KINDS: Partial<Record<AttioType, string>> = {
  number: 'numeric',
  currency: 'numeric',
  rating: 'integer',
  checkbox: 'boolean',
  date: 'date',
  timestamp: 'timestamp with time zone',
};

export async function attioGold(
  workspace: AttioWorkspace,
  /** Plan object name → Attio object and key attribute. */
  bindings: Record<string, AttioObjectBinding>,
  createOptions: boolean,
  resources: readonly string[],
): Promise<GoldSchema> {
  const gold: GoldSchema = { schema: 'attio', tables: {} };
  for (const resource of [...resources].sort()) {
    const attributes = await workspace.attributes(resource);
    const binding = Object.values(bindings).find((b) => b.object === resource);
    const columns = [...attributes.values()]
      .filter((a) => a.writable)
      .map((a) => attributeColumn(a, bindings, createOptions));
    // The key attribute Tern creates on its first write: part of what the plan writes.
    if (binding && !attributes.has(binding.key))
      columns.push(goldColumnOf(binding.key, 'text', { nullable: true, multiple: false }));
    gold.tables[resource] = {
      exists: attributes.size > 0,
      columns,
      uniqueColumns: [
        ...[...attributes.values()].filter((a) => a.unique).map((a) => a.slug),
        ...(binding && !attributes.has(binding.key) ? [binding.key] : []),
      ],
    };
  }
  return gold;
}

function attributeColumn(
  a: AttioAttribute,
  bindings: Record<string, AttioObjectBinding>,
  createOptions: boolean,
): GoldColumn {
  // The plan object a reference points at, by the Attio object it writes.
  const planObjectOf = (slug: string) => Object.entries(bindings).find(([, b]) => b.object === slug)?.[0];
  const referenced =
    a.type === 'record-reference' ? a.allowedObjects.map((o) => planObjectOf(o)).find(Boolean) : undefined;
  return goldColumnOf(a.slug, KINDS[a.type] ?? 'text', {
    nullable: !a.required,
    format: FORMATS[a.type],
    options: a.options ? [...a.options.keys()] : undefined,
    createsOptions: a.options ? createOptions : undefined,
    multiple: a.multiple,
    references: referenced,
  });
}

function goldColumnOf(name: string, dataType: string, extra: Partial<GoldColumn> & { nullable: boolean }): GoldColumn {
  const column: GoldColumn = {
    name,
    dataType,
    udtName: dataType,
    hasDefault: false,
    maxLength: null,
    precision: null,
    scale: null,
    ...extra,
  };
  for (const k of Object.keys(column) as (keyof GoldColumn)[]) if (column[k] === undefined) delete column[k];
  return column;
}
