import type postgres from 'postgres';

/** Staging's tables that Tern fills in bulk. */
export type BulkStagingTable = 'staged_records' | 'id_map' | 'quarantine' | 'conflicts' | 'target_extras';

/**
 * Refreshes the planner's statistics of staging tables Tern has just bulk-written, before it queries them.
 * PostgreSQL plans a query from its statistics; for a table that went from empty to 100,000 rows without an
 * ANALYZE (autovacuum off, or not yet run) it plans for a handful of rows, and a join that should take a second
 * runs as nested loops for hours. ANALYZE reads a fixed sample (30,000 rows by default), so it costs about the
 * same at any size. Run at the end of an extract, a delta extract and the rules, and before reconciliation.
 */
export async function analyzeStaging(sql: postgres.Sql, tables: readonly BulkStagingTable[]): Promise<void> {
  if (tables.length === 0) return;
  await sql.unsafe(`analyze ${[...new Set(tables)].join(', ')}`);
}

/**
 * Whether `changed` rows written over a table's `total` warrant fresh statistics: PostgreSQL's own autovacuum rule
 * (50 rows plus 10% of the table, autovacuum_analyze_threshold and _scale_factor). A delta that changed 1% of an
 * object leaves the statistics its full phase gathered true, and an ANALYZE of a 100k-row staging table costs
 * about half a second.
 */
export function worthAnalyzing(changed: number, total: number): boolean {
  return changed > 50 + 0.1 * total;
}
