import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import type { DateClasses } from '../../plan/profile';

/**
 * What the legacy-database generators share: the shape of the facts they return (what the example plan
 * implies for every record), and their command line (arguments, the database, the facts file, the summary).
 */

/** The dry-run outcome the example plan implies: rows = loaded + Σ quarantined + Σ filtered + deduplicated. */
export interface ExpectedOutcomes {
  filtered: Record<string, number>;
  deduplicated: number;
  quarantined: Record<string, number>;
  loaded: number;
}

/** Records sharing a dedupe key: groups by the normalised key (blank keys ignored), their records, the excess. */
export interface DuplicateFacts {
  key: string[];
  groups: number;
  records: number;
  excess: number;
}

/** Date values by how they read, as the profile counts them (ISO, month first, day first, ambiguous, …). */
export type DateClassFacts = DateClasses;

export const noDateClasses = (): DateClassFacts => ({
  iso: 0,
  monthFirst: 0,
  dayFirst: 0,
  ambiguous: 0,
  sameDayMonth: 0,
  invalid: 0,
});

/** One record's outcome; `reason` is the filter rule or the quarantine code. */
export interface RecordOutcome {
  kind: 'loaded' | 'deduplicated' | 'filtered' | 'quarantined';
  reason?: string;
}

/** The outcomes of an object's records, counted by kind and, for filters and quarantines, by reason. */
export function countOutcomes(outcomes: Iterable<RecordOutcome>): ExpectedOutcomes {
  const expected: ExpectedOutcomes = { filtered: {}, deduplicated: 0, quarantined: {}, loaded: 0 };
  for (const { kind, reason } of outcomes) {
    if (kind === 'loaded') expected.loaded += 1;
    else if (kind === 'deduplicated') expected.deduplicated += 1;
    else {
      const byReason = expected[kind];
      byReason[reason ?? ''] = (byReason[reason ?? ''] ?? 0) + 1;
    }
  }
  return expected;
}

/** The value after `--name` on a command line. */
export function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Runs `fn` against the database of DATABASE_URL (the test database by default), then closes it. */
export async function withDatabase<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** One object's line of a generator's summary: its rows and what the plan implies for them. */
export function outcomeLine(name: string, nameWidth: number, rows: number, rowsWidth: number, e: ExpectedOutcomes) {
  const parts = [
    `${e.loaded} loaded`,
    ...Object.entries(e.filtered).map(([rule, n]) => `${n} filtered (${rule})`),
    ...(e.deduplicated > 0 ? [`${e.deduplicated} deduplicated`] : []),
    ...Object.entries(e.quarantined).map(([code, n]) => `${n} quarantined (${code})`),
  ];
  return `  ${name.padEnd(nameWidth)} ${String(rows).padStart(rowsWidth)} rows: ${parts.join(', ')}`;
}

/** Writes the facts as JSON when the command line names a file (`--facts`), and says so. */
export function writeFacts(file: string | undefined, facts: unknown): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(facts, null, 2)}\n`);
  console.log(`facts written to ${file}`);
}

/** Runs a generator's main, printing an error as its message and exiting 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
