import postgres from 'postgres';
import {
  corpusRows,
  legacyDdl,
  NORTHWIND_COLUMNS,
  NORTHWIND_TABLES,
  readCorpus,
  type NorthwindTable,
} from './corpus-northwind-data';
import { NORTHWIND_DEFAULT_SEED, plantDirt } from './corpus-northwind-dirt';
import { northwindFacts, type NorthwindObjectFacts } from './corpus-northwind-facts';
import { argValue, outcomeLine, runMain, withDatabase, writeFacts } from './facts';

/**
 * Loads the Northwind corpus (a real, public schema with its own data: examples/data/corpus-northwind) into a
 * fresh PostgreSQL schema as a legacy database, plants dirt deterministically and returns the exact facts
 * of what it planted and what examples/corpus-northwind.yaml implies for every record.
 *
 * Run: npx tsx scripts/generate/corpus-northwind.ts --schema legacy_northwind [--seed N] [--facts file.json]
 */

export interface NorthwindFacts {
  seed: number;
  schema: string;
  /** Rows of the corpus as it ships, and of the legacy database after planting. */
  corpusRows: number;
  totalRows: number;
  objects: Record<NorthwindTable, NorthwindObjectFacts>;
}

export async function loadNorthwindCorpus(
  sql: postgres.Sql,
  options: { schema: string; seed?: number },
): Promise<NorthwindFacts> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.schema))
    throw new Error(`schema "${options.schema}" must be a simple name: letters, digits and _`);
  const seed = options.seed ?? NORTHWIND_DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer (got ${seed})`);
  const rows = corpusRows(readCorpus());
  const corpus = NORTHWIND_TABLES.reduce((n, t) => n + rows[t].length, 0);
  const planted = plantDirt(rows, seed);
  const objects = northwindFacts(rows, planted);

  await sql.begin(async (tx) => {
    await tx`drop schema if exists ${tx(options.schema)} cascade`;
    await tx`create schema ${tx(options.schema)}`;
    await tx.unsafe(legacyDdl(options.schema));
    // Rows cross as one JSON document that PostgreSQL parses itself: postgres.js would send a timestamp
    // parameter through a JavaScript Date, which drops the microseconds this corpus is planted with.
    for (const table of NORTHWIND_TABLES) {
      const all = [...rows[table]].sort((a, b) => Number(a.id) - Number(b.id));
      const columns = NORTHWIND_COLUMNS[table].map((c) => `"${c}"`).join(', ');
      const relation = `"${options.schema}"."${table}"`;
      for (let i = 0; i < all.length; i += 1000) {
        await tx.unsafe(
          `insert into ${relation} (${columns}) select ${columns} from json_populate_recordset(null::${relation}, $1::text::json)`,
          [JSON.stringify(all.slice(i, i + 1000))],
        );
      }
    }
  });
  return {
    seed,
    schema: options.schema,
    corpusRows: corpus,
    totalRows: NORTHWIND_TABLES.reduce((n, t) => n + objects[t].rows, 0),
    objects,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const schema = argValue(args, 'schema') ?? 'legacy_northwind';
  const seed = Number(argValue(args, 'seed') ?? NORTHWIND_DEFAULT_SEED);
  await withDatabase(async (sql) => {
    const facts = await loadNorthwindCorpus(sql, { schema, seed });
    console.log(
      `Northwind corpus: schema ${schema}, seed ${seed}: ${facts.corpusRows} corpus rows, ${facts.totalRows} after planting`,
    );
    for (const table of NORTHWIND_TABLES) {
      const { rows, expected } = facts.objects[table];
      console.log(outcomeLine(table, 13, rows, 5, expected));
    }
    writeFacts(argValue(args, 'facts'), facts);
  });
}

if (require.main === module) runMain(main);
