import { checksum } from './checksum';

/*
 * The gold schema: the target as the preferences phase froze it, table by table and column by column. Every target
 * (PostgreSQL, Front, Attio) describes itself in these terms, so plan code checks and maps against it without
 * knowing which connector discovered it.
 */

/** One column of a target table, as the gold schema records it. */
export interface GoldColumn {
  name: string;
  dataType: string;
  udtName: string;
  nullable: boolean;
  hasDefault: boolean;
  /** Declared maximum length of character columns (varchar(n), char(n)); null when unbounded. */
  maxLength: number | null;
  /** Numeric precision and scale (numeric(p, s)); null when not numeric or unconstrained. */
  precision: number | null;
  scale: number | null;
  /**
   * Fractional-second digits a timestamp column keeps (timestamp(3) → 3; PostgreSQL's default is 6); absent
   * for other columns, and in gold schemas frozen before Tern recorded it.
   */
  datetimePrecision?: number;
  /** SaaS attributes: the value format the target enforces (Attio's email-address, domain, phone-number). */
  format?: 'email' | 'domain' | 'phone';
  /** SaaS select/status attributes: the options that exist in the target now. */
  options?: string[];
  /** Whether the target creates missing options when Tern writes them (the plan allowed it). */
  createsOptions?: boolean;
  /** SaaS attributes that hold several values (multi-select, several emails). */
  multiple?: boolean;
  /** SaaS record references: the object (plan object name) a value must name. */
  references?: string;
}

/** The target schema frozen by the preferences phase: the tables a plan writes, column by column. */
export interface GoldSchema {
  schema: string;
  tables: Record<
    string,
    {
      exists: boolean;
      columns: GoldColumn[];
      uniqueColumns: string[];
      /** SaaS resources: field names the target accepts beyond its columns (regular expressions), e.g. tag_*. */
      fieldPatterns?: string[];
    }
  >;
}

/** The gold schema's hash: equal schemas (whatever the discovery order) hash equal. */
export function goldSchemaHash(gold: GoldSchema): string {
  return checksum(gold);
}

/** What changed between the frozen gold schema and the target now, one line per difference. */
export function describeSchemaDrift(gold: GoldSchema, now: GoldSchema): string[] {
  const out: string[] = [];
  for (const [table, before] of Object.entries(gold.tables)) {
    const after = now.tables[table];
    if (!after || before.exists !== after.exists) {
      out.push(`${gold.schema}.${table} ${before.exists ? 'was dropped' : 'was created'}`);
      continue;
    }
    const afterCols = new Map(after.columns.map((c) => [c.name, c]));
    for (const col of before.columns) {
      const a = afterCols.get(col.name);
      if (!a) out.push(`${gold.schema}.${table}.${col.name} was dropped`);
      else if (!sameColumn(col, a)) out.push(`${gold.schema}.${table}.${col.name} changed`);
    }
    const beforeNames = new Set(before.columns.map((c) => c.name));
    for (const col of after.columns)
      if (!beforeNames.has(col.name)) out.push(`${gold.schema}.${table}.${col.name} was added`);
  }
  return out;
}

/**
 * A column is the same when nothing but its options grew: options added (by Tern when the plan creates them,
 * or by an admin) keep every value the plan writes valid; an option removed or renamed does not.
 */
function sameColumn(before: GoldColumn, after: GoldColumn): boolean {
  const { options: optionsBefore, ...restBefore } = before;
  const { options: optionsAfter, ...restAfter } = after;
  // A gold schema frozen before Tern recorded timestamp precision says nothing about it: no drift.
  if (restBefore.datetimePrecision === undefined) delete restAfter.datetimePrecision;
  if (checksum(restBefore) !== checksum(restAfter)) return false;
  if ((optionsBefore === undefined) !== (optionsAfter === undefined)) return false;
  const now = new Set(optionsAfter ?? []);
  return (optionsBefore ?? []).every((o) => now.has(o));
}
