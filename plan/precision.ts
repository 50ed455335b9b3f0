import type { GoldColumn } from './gold';
import { expectedValue, fidelityPlan, type FidelityField } from './fidelity';
import { UNREADABLE } from './fidelity-values';
import type { FieldMapping } from './schema';
import { canonicalDecimal, canonicalTimestamp, columnKindOf } from './target-values';
import { textOf } from './text';
import { fractionDigits } from './timestamps';

/**
 * Precision a target column does not have, predicted before writing (pre-flight):
 * - refusals: an integer beyond its column type's range, a decimal with more digits before the point than
 *   numeric(p, s) holds — PostgreSQL refuses the row, so the record is quarantined with the reason
 *   (`outOfRange`, called by `columnRejection`);
 * - losses: fractional seconds beyond timestamp(p), decimal places beyond numeric(p, s) — PostgreSQL rounds
 *   them and the record loads altered, so pre-flight counts them per field (`precisionLossCheck`) and
 *   `plan validate` warns (plan/target-check.ts).
 */

/** A finding per field and reason, as pre-flight keeps it (what the dry run stores in the profile). */
export interface FieldFinding {
  field: string;
  code: string;
  records: number;
  message: string;
  fix: string;
  examples: { record: string; value: string | null }[];
}

/** One value's problem, shaped like plan/target-check's Rejection (defined here to keep this module a leaf). */
export interface ValueFinding {
  code: string;
  field: string;
  message: string;
  value?: string;
  fix?: string;
}

const RANGES: Record<string, { min: bigint; max: bigint; wider: string }> = {
  smallint: { min: -(2n ** 15n), max: 2n ** 15n - 1n, wider: 'integer or bigint' },
  integer: { min: -(2n ** 31n), max: 2n ** 31n - 1n, wider: 'bigint' },
  bigint: { min: -(2n ** 63n), max: 2n ** 63n - 1n, wider: 'numeric' },
};

const shown = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}…` : text);

/** Digits before and after the point of a decimal's canonical text; undefined when it is no number. */
function digitsOf(value: unknown): { int: string; frac: string; text: string } | undefined {
  const text = canonicalDecimal(textOf(value));
  const m = /^-?(\d+)(?:\.(\d+))?$/.exec(text);
  return m ? { int: m[1] === '0' ? '' : m[1]!, frac: m[2] ?? '', text } : undefined;
}

/** A number a table column cannot hold (PostgreSQL refuses the row); SaaS attributes are left to the target. */
export function outOfRange(column: GoldColumn, value: unknown): ValueFinding | undefined {
  if (column.multiple !== undefined || value === null || value === undefined || typeof value === 'boolean')
    return undefined;
  const range = RANGES[column.dataType];
  if (range) {
    const text = textOf(value).trim();
    if (!/^[+-]?\d+$/.test(text)) return undefined;
    const n = BigInt(text);
    if (n >= range.min && n <= range.max) return undefined;
    return {
      code: 'out_of_range',
      field: column.name,
      message: `${column.name} is ${shown(n.toString())}, beyond the range of ${column.dataType} (${range.min} to ${range.max})`,
      value: shown(text),
      fix: `widen ${column.name} to ${range.wider}, or correct the value in the source`,
    };
  }
  if (column.dataType !== 'numeric' || column.precision === null) return undefined;
  const digits = digitsOf(value);
  const room = column.precision - (column.scale ?? 0);
  if (!digits || digits.int.length <= room) return undefined;
  return {
    code: 'out_of_range',
    field: column.name,
    message: `${column.name} has ${digits.int.length} digits before the point; numeric(${column.precision}, ${column.scale ?? 0}) holds ${room}`,
    value: shown(digits.text),
    fix: `widen ${column.name} to numeric(${digits.int.length + (column.scale ?? 0)}, ${column.scale ?? 0}), or correct the value in the source`,
  };
}

/** A value the column stores rounded: more fractional-second digits or decimal places than it keeps. */
export function precisionLoss(column: GoldColumn, value: unknown): ValueFinding | undefined {
  if (value === null || value === undefined) return undefined;
  const kind = columnKindOf(column.dataType);
  if (kind === 'timestamp' && column.datetimePrecision !== undefined && column.datetimePrecision < 6) {
    const p = column.datetimePrecision;
    const text = value instanceof Date ? value.toISOString() : textOf(value);
    const digits = fractionDigits(text);
    if (digits <= p) return undefined;
    return {
      code: 'precision_loss',
      field: column.name,
      message: `values with more than ${p} fractional-second digits are rounded by ${column.name} (${column.dataType.replace(/^timestamp/, `timestamp(${p})`)}); the records load altered`,
      value: canonicalTimestamp(value) ?? shown(text),
      fix: `widen ${column.name} to ${column.dataType.replace(/^timestamp/, 'timestamp(6)')}, or add a transform that rounds explicitly to ${p} digits`,
    };
  }
  if (kind === 'decimal' && column.dataType === 'numeric' && column.scale !== null && column.precision !== null) {
    const s = column.scale;
    const digits = digitsOf(value);
    if (!digits || digits.frac.length <= s) return undefined;
    return {
      code: 'precision_loss',
      field: column.name,
      message: `values with more than ${s} decimal places are rounded by ${column.name} (numeric(${column.precision}, ${s})); the records load altered`,
      value: shown(digits.text),
      fix: `widen ${column.name} to numeric(${column.precision - s + digits.frac.length}, ${digits.frac.length}), or add a transform that rounds explicitly to ${s} places`,
    };
  }
  return undefined;
}

/** Whether any column can round a value (a check is only worth running then). */
const rounds = (c: GoldColumn) =>
  (c.datetimePrecision !== undefined && c.datetimePrecision < 6) || (c.dataType === 'numeric' && c.scale !== null);

/**
 * Precision losses of one record: for each field mapped to a column that rounds, the source value read at
 * full precision (plan/fidelity.ts) when its chain can be read, else the payload value. Built once per object.
 */
export function precisionLossCheck(
  object: { fields: readonly Pick<FieldMapping, 'from' | 'to' | 'transform'>[] },
  columns: readonly GoldColumn[],
): (raw: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>) => ValueFinding[] {
  const rounding = new Map(columns.filter(rounds).map((c) => [c.name, c]));
  const kinds = new Map(columns.map((c) => [c.name, columnKindOf(c.dataType)]));
  const readable = new Map<string, FidelityField>(
    fidelityPlan(object, kinds)
      .filter((f) => rounding.has(f.to))
      .map((f) => [f.to, f]),
  );
  const mapped = object.fields.map((f) => f.to).filter((to) => rounding.has(to));
  return (raw, payload) => {
    const out: ValueFinding[] = [];
    for (const to of mapped) {
      const field = readable.get(to);
      const reading = field ? expectedValue(field, raw[field.from]) : UNREADABLE;
      const loss = precisionLoss(rounding.get(to)!, reading === UNREADABLE ? payload[to] : reading);
      if (loss) out.push(loss);
    }
    return out;
  };
}

/** Findings of many records, by field and reason: how many records, and the first few as examples. */
export class FindingTally {
  private readonly byKind = new Map<string, FieldFinding>();

  constructor(private readonly examples = 5) {}

  add(sourceId: string, f: ValueFinding): void {
    const k = `${f.field}\u0000${f.code}`;
    let finding = this.byKind.get(k);
    if (!finding) {
      finding = { field: f.field, code: f.code, records: 0, message: f.message, fix: f.fix ?? '', examples: [] };
      this.byKind.set(k, finding);
    }
    finding.records += 1;
    if (finding.examples.length < this.examples) finding.examples.push({ record: sourceId, value: f.value ?? null });
  }

  list(): FieldFinding[] {
    return [...this.byKind.values()].sort((a, b) => b.records - a.records || a.field.localeCompare(b.field));
  }
}

/** Whether an object maps a field to a column that rounds (fractional seconds, decimal places). */
export function mapsToRoundingColumn(
  object: { fields: readonly Pick<FieldMapping, 'to'>[] },
  columns: readonly GoldColumn[],
): boolean {
  const names = new Set(columns.filter(rounds).map((c) => c.name));
  return object.fields.some((f) => names.has(f.to));
}
