import type postgres from 'postgres';
import type { GoldSchema } from '../../plan/gold';

/** Reads the tables a plan writes from information_schema. Missing tables are recorded, never thrown. */
export async function discoverSchema(
  sql: postgres.Sql,
  schema: string,
  tables: readonly string[],
): Promise<GoldSchema> {
  const rows = await sql<
    {
      table_name: string;
      column_name: string;
      data_type: string;
      udt_name: string;
      is_nullable: string;
      column_default: string | null;
      is_identity: string;
      is_generated: string;
      character_maximum_length: number | null;
      numeric_precision: number | null;
      numeric_scale: number | null;
      datetime_precision: number | null;
    }[]
  >`
    select table_name, column_name, data_type, udt_name, is_nullable, column_default, is_identity, is_generated,
           character_maximum_length, numeric_precision, numeric_scale, datetime_precision
    from information_schema.columns
    where table_schema = ${schema} and table_name = any(${[...tables]}::text[])
    order by table_name, ordinal_position`;
  // Columns that alone carry a unique index: candidates for Tern's key (the external id).
  const unique = await sql<{ table_name: string; column_name: string }[]>`
    select c.relname as table_name, a.attname as column_name
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where n.nspname = ${schema} and c.relname = any(${[...tables]}::text[])
      and i.indisunique and i.indnatts = 1 and i.indpred is null`;
  const gold: GoldSchema = { schema, tables: {} };
  for (const table of [...tables].sort()) {
    const columns = rows
      .filter((r) => r.table_name === table)
      .map((r) => ({
        name: r.column_name,
        dataType: r.data_type,
        udtName: r.udt_name,
        nullable: r.is_nullable === 'YES',
        hasDefault: r.column_default !== null || r.is_identity === 'YES' || r.is_generated === 'ALWAYS',
        maxLength: r.character_maximum_length === null ? null : Number(r.character_maximum_length),
        precision: r.numeric_precision === null || r.data_type !== 'numeric' ? null : Number(r.numeric_precision),
        scale: r.numeric_scale === null || r.data_type !== 'numeric' ? null : Number(r.numeric_scale),
        ...(r.data_type.startsWith('timestamp') && r.datetime_precision !== null
          ? { datetimePrecision: Number(r.datetime_precision) }
          : {}),
      }));
    gold.tables[table] = {
      exists: columns.length > 0,
      columns,
      uniqueColumns: unique
        .filter((u) => u.table_name === table)
        .map((u) => u.column_name)
        .sort(),
    };
  }
  return gold;
}
