import type postgres from 'postgres';
import { TernError } from '../../common/errors';
import { arrayElements, canonicalValue, columnKindOf, pgArrayLiteral, type ColumnKind } from '../../plan/target-values';
import { textOf } from '../../plan/text';

/** A PostgreSQL table as discovered from information_schema. */
export interface TargetTable {
  schema: string;
  table: string;
  columns: {
    name: string;
    dataType: string;
    udtName: string;
    kind: ColumnKind;
    nullable: boolean;
    hasDefault: boolean;
  }[];
  primaryKey: string[];
}

/** The target table is missing or lacks a column the plan writes. */
export class TargetSchemaError extends TernError {}

/** Reads a table's columns and primary key; throws a TargetSchemaError naming what is missing. */
export async function discoverTable(sql: postgres.Sql, schema: string, table: string): Promise<TargetTable> {
  const columns = await sql<
    { name: string; data_type: string; udt_name: string; is_nullable: string; column_default: string | null }[]
  >`
    select column_name as name, data_type, udt_name, is_nullable, column_default
    from information_schema.columns
    where table_schema = ${schema} and table_name = ${table}
    order by ordinal_position`;
  if (columns.length === 0) {
    throw new TargetSchemaError(
      `target table ${schema}.${table} does not exist`,
      `create it in the target database, or correct target.schema / objects[].target.table in the plan`,
    );
  }
  const pk = await sql<{ name: string }[]>`
    select a.attname as name
    from pg_index i
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
    where i.indrelid = ${`"${schema}"."${table}"`}::regclass and i.indisprimary`;
  return {
    schema,
    table,
    columns: columns.map((c) => ({
      name: c.name,
      dataType: c.data_type,
      udtName: c.udt_name,
      kind: columnKindOf(c.data_type),
      nullable: c.is_nullable === 'YES',
      hasDefault: c.column_default !== null,
    })),
    primaryKey: pk.map((p) => p.name),
  };
}

/** Writes to and reads from one target table; every value crosses as text and is cast by PostgreSQL. */
export class PostgresTableWriter {
  private readonly kinds: Map<string, ColumnKind>;
  /** SQL type of the key column, so lookups compare in its own type and can use its index. */
  private readonly keyType: string;

  constructor(
    private readonly sql: postgres.Sql,
    readonly table: TargetTable,
    /** Column storing the source id (the external id used to find a record after an unknown outcome). */
    readonly keyColumn: string,
  ) {
    this.kinds = new Map(table.columns.map((c) => [c.name, c.kind]));
    this.keyType = table.columns.find((c) => c.name === keyColumn)?.udtName ?? 'text';
    const missing = [keyColumn].filter((c) => !this.kinds.has(c));
    if (missing.length > 0) {
      throw new TargetSchemaError(
        `target table ${table.schema}.${table.table} has no column ${missing.join(', ')}`,
        'add the column to the target table or map the key to an existing column',
      );
    }
  }

  private get ident() {
    return this.sql`${this.sql(this.table.schema)}.${this.sql(this.table.table)}`;
  }

  /** The column Tern reports as the target id: the primary key when it is a single column, else the key. */
  private get idColumn(): string {
    return this.table.primaryKey.length === 1 ? this.table.primaryKey[0]! : this.keyColumn;
  }

  /** Rows currently in the target for these keys, every column (or only `fields`, and the key) as text, by key. */
  async lookup(
    keys: readonly string[],
    fields?: readonly string[],
  ): Promise<Map<string, Record<string, string | null>>> {
    if (keys.length === 0) return new Map();
    const wanted = fields ? new Set([...fields, this.keyColumn]) : undefined;
    const cols = this.table.columns
      .filter((c) => !wanted || wanted.has(c.name))
      .map((c) => this.sql`${this.sql(c.name)}::text as ${this.sql(c.name)}`);
    const select = cols.reduce((acc, c, i) => (i === 0 ? c : this.sql`${acc}, ${c}`));
    const rows = await this.sql<Record<string, string | null>[]>`
      select ${select}, ${this.sql(this.idColumn)}::text as "__tern_id" from ${this.ident}
      where ${this.sql(this.keyColumn)} = any(${keys as string[]}::${this.sql.unsafe(`"${this.keyType}"`)}[])`;
    return new Map(rows.map((r) => [r[this.keyColumn] ?? '', r]));
  }

  /** Inserts new rows and updates existing ones (by key) in one transaction; returns target ids by key. */
  async write(
    inserts: readonly Record<string, unknown>[],
    updates: readonly Record<string, unknown>[],
  ): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    await this.sql.begin(async (tx) => {
      if (inserts.length > 0) {
        const params = inserts.map((row) => this.asParams(row));
        const inserted = await tx<{ id: string; key: string }[]>`
          insert into ${tx(this.table.schema)}.${tx(this.table.table)} ${tx(params, Object.keys(params[0]!))}
          returning ${tx(this.idColumn)}::text as id, ${tx(this.keyColumn)}::text as key`;
        for (const row of inserted) ids.set(row.key, row.id);
      }
      for (const row of updates) {
        const params = this.asParams(row);
        const columns = Object.keys(params).filter((c) => c !== this.keyColumn);
        const [updated] = await tx<{ id: string; key: string }[]>`
          update ${tx(this.table.schema)}.${tx(this.table.table)} set ${tx(params, columns)}
          where ${tx(this.keyColumn)} = ${textOf(row[this.keyColumn])}::${tx.unsafe(`"${this.keyType}"`)}
          returning ${tx(this.idColumn)}::text as id, ${tx(this.keyColumn)}::text as key`;
        if (updated) ids.set(updated.key, updated.id);
      }
    });
    return ids;
  }

  /** The canonical text form of a payload for this table, as it should read back. */
  canonical(payload: Record<string, unknown>): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const [column, value] of Object.entries(payload))
      out[column] = canonicalValue(this.kinds.get(column) ?? 'text', value);
    return out;
  }

  /** The canonical form of a read-back row restricted to the columns a payload wrote. */
  canonicalReadBack(row: Record<string, string | null>, columns: readonly string[]): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const column of columns) out[column] = canonicalValue(this.kinds.get(column) ?? 'text', row[column] ?? null);
    return out;
  }

  /** Deletes the rows with these keys; returns how many rows were deleted (absent keys are fine). */
  async deleteKeys(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const result = await this.sql`
      delete from ${this.ident}
      where ${this.sql(this.keyColumn)} = any(${keys as string[]}::${this.sql.unsafe(`"${this.keyType}"`)}[])`;
    return result.count;
  }

  /**
   * Puts rows back exactly as they were read (every column as text, as `lookup` returns them): each row with
   * its key is replaced by the image, every value parsed by the column's own type (jsonb_populate_record),
   * primary key included. One transaction.
   */
  async restore(images: readonly Record<string, string | null>[]): Promise<void> {
    if (images.length === 0) return;
    await this.sql.begin(async (tx) => {
      for (const image of images) {
        const { __tern_id: _id, ...row } = image;
        await tx`
          delete from ${this.ident}
          where ${tx(this.keyColumn)} = ${row[this.keyColumn] ?? null}::${tx.unsafe(`"${this.keyType}"`)}`;
        await tx`
          insert into ${this.ident}
          select * from jsonb_populate_record(null::${this.ident}, ${JSON.stringify(row)}::jsonb)`;
      }
    });
  }

  async count(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from ${this.ident}`;
    return row?.n ?? 0;
  }

  /**
   * Parameters as postgres.js must receive them for the column's server-side type: it serialises a boolean
   * parameter with `x === true`, so the text "true" would be stored as false; json parameters are encoded
   * by the driver. Array columns get PostgreSQL's array literal (`{"a","b c"}`, every element quoted) as
   * text, so a JS list (what `split` produces) is stored element by element, whatever the driver knows of
   * the column's type, and reads back through `::text` canonically equal. Everything else crosses as text
   * and PostgreSQL parses it.
   */
  private asParams(row: Record<string, unknown>): Record<string, postgres.JSONValue> {
    const out: Record<string, postgres.JSONValue> = {};
    for (const [column, value] of Object.entries(row)) {
      const kind = this.kinds.get(column) ?? 'text';
      if (value === null || value === undefined) out[column] = null;
      else if (kind === 'boolean') out[column] = canonicalValue('boolean', value) === 'true';
      else if (kind === 'array') out[column] = pgArrayLiteral(arrayElements(value));
      else if (kind === 'json')
        out[column] =
          typeof value === 'string' ? (JSON.parse(value) as postgres.JSONValue) : (value as postgres.JSONValue);
      else out[column] = textOf(value);
    }
    return out;
  }
}
