import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { pick, seededRandom } from '../../../common/random';
import { generateCustomersCsv } from '../../generate/legacy-customers';
import { FIRST_NAMES, LAST_NAMES } from '../../generate/vocabulary';

/**
 * The chaos benchmark's sources: CSV files, so a delta can carry lines no reader can parse and rows without an
 * id. Every row's first column is its id. What each file holds is known here, so what the targets must hold
 * afterwards is known too, without asking Tern.
 */

/** A CSV source as rows of cells; `rows[i][0]` is the record's id. */
export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** One object's source across the run: the full phase's rows and the rows a delta adds. */
export interface ObjectSource {
  header: string[];
  /** Rows of the full phase, in file order. */
  full: string[][];
  /** Rows the first delta adds (new records). */
  fresh: string[][];
  /** The column whose value a delta changes, so a target shows whether the change arrived. */
  markerColumn: string;
}

/** What a delta's source holds that no reader can make a record of: by record id, and rows without an id. */
export interface Unreadable {
  byId: Map<string, 'malformed' | 'empty-id'>;
  /** Lines of new rows without an id. */
  noIdLines: string[];
}

/** What one delta's file holds and what the target must hold after it. */
export interface DeltaSource {
  lines: string[];
  /** Every id the target must hold after the delta (unchanged, changed, new, and the unreadable ones). */
  expected: Set<string>;
  /** Changed records and the marker value each must carry in the target. */
  changed: Map<string, string>;
  /** New records the delta brings. */
  fresh: string[];
  /** Existing records whose line no reader can parse (an unclosed quote, a short row), this delta's and before. */
  malformed: string[];
  /** Existing records whose row lost its id, this delta's and before. */
  emptyIdExisting: string[];
  /** New rows without an id. */
  emptyIdNew: number;
  /** The records as the delta's source holds them, and what of it is unreadable (for the next delta). */
  rows: Map<string, string[]>;
  unreadable: Unreadable;
}

export function csvCell(value: string): string {
  return /[",\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

export const csvLine = (cells: readonly string[]): string => cells.map(csvCell).join(',');

export function writeCsvFile(file: string, header: readonly string[], lines: readonly string[]): void {
  fs.writeFileSync(file, `${[csvLine(header), ...lines].join('\n')}\n`);
}

function parseTable(csv: string): CsvTable {
  const rows: string[][] = parse(csv);
  const header = rows.shift();
  if (!header) throw new Error('the generated CSV has no header');
  return { header, rows };
}

/** Legacy customers (the demo's dirty generator): `rows` for the full phase, `fresh` more for the delta. */
export function customersSource(rows: number, fresh: number, seed: number): ObjectSource {
  // The generator draws row after row from one seed: the first `rows` rows are the same for any total.
  const { header, rows: all } = parseTable(generateCustomersCsv({ rows: rows + fresh, seed }).csv);
  return { header, full: all.slice(0, rows), fresh: all.slice(rows), markerColumn: 'first_name' };
}

const TITLES = ['Buyer', 'Office manager', 'CFO', 'Founder', 'Engineer', 'Account executive', 'Analyst', ''];

/** CRM contacts for Attio people: unique ascii emails, a job title, an updated-at. */
export function peopleSource(rows: number, fresh: number, seed: number): ObjectSource {
  const random = seededRandom(seed ^ 0x9e0b1e);
  const header = ['id', 'first_name', 'last_name', 'email', 'title', 'updated_at'];
  const all: string[][] = [];
  for (let i = 1; i <= rows + fresh; i++) {
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    const local = `${first}.${last}`
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z.]/g, '');
    const updated = new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 300 * 86_400_000)).toISOString();
    all.push([
      `P${String(i).padStart(7, '0')}`,
      first,
      last,
      `${local}.${i}@chaos.example`,
      pick(random, TITLES),
      updated,
    ]);
  }
  return { header, full: all.slice(0, rows), fresh: all.slice(rows), markerColumn: 'title' };
}

/** Draws `n` distinct items from `items` with the seeded generator, leaving out `except`. */
export function draw<T>(random: () => number, items: readonly T[], n: number, except: ReadonlySet<T> = new Set()): T[] {
  const out = new Set<T>();
  const available = items.length - except.size;
  const wanted = Math.min(n, Math.max(0, available));
  while (out.size < wanted) {
    const item = items[Math.floor(random() * items.length)]!;
    if (!except.has(item)) out.add(item);
  }
  return [...out];
}

/** A line no CSV reader can make a record of, still naming the record's id. */
function malformedLine(id: string, columns: number): string {
  return id.charCodeAt(id.length - 1) % 2 === 0
    ? `${id},"Unclosed,quote@example.com${',x'.repeat(Math.max(0, columns - 3))}`
    : `${id},Short,Row`;
}

export interface DeltaShape {
  /** Share of the records the delta changes. */
  changed: number;
  /** Share of new records (taken from the source's `fresh` rows). */
  fresh: number;
  /** Existing records whose line becomes unreadable. */
  malformed: number;
  /** Existing records whose id becomes empty, and new rows without one. */
  emptyIdExisting: number;
  emptyIdNew: number;
  /** The marker written into changed records, e.g. `Delta1`. */
  marker: string;
  /** The changed records' new updated-at, after every earlier one. */
  updatedAt: Date;
}

/**
 * A delta's file: the previous records with some changed (marker value, later updated-at), some new ones, and —
 * the point of the exercise — unreadable lines and rows without an id standing for records that still exist.
 * What was unreadable in the previous file stays unreadable.
 */
export function deltaSource(
  source: ObjectSource,
  previous: { rows: Map<string, string[]>; unreadable: Unreadable },
  shape: DeltaShape,
  random: () => number,
): DeltaSource {
  const ids = [...previous.rows.keys()];
  const count = (share: number, min: number) => (share > 0 ? Math.max(min, Math.round(ids.length * share)) : 0);
  const marker = source.header.indexOf(source.markerColumn);
  const updatedAt = source.header.indexOf('updated_at');
  const byId = new Map(previous.unreadable.byId);
  const taken = new Set(byId.keys());
  for (const id of draw(random, ids, count(shape.malformed, 3), taken)) byId.set(id, 'malformed');
  for (const id of draw(random, ids, count(shape.emptyIdExisting, 3), new Set(byId.keys()))) byId.set(id, 'empty-id');
  const changed = new Map<string, string>();
  const rows = new Map(previous.rows);
  draw(random, ids, count(shape.changed, 20), new Set(byId.keys())).forEach((id, k) => {
    const cells = [...rows.get(id)!];
    cells[marker] = `${shape.marker} ${id}`;
    cells[updatedAt] = new Date(shape.updatedAt.getTime() + k * 1000).toISOString();
    rows.set(id, cells);
    changed.set(id, cells[marker]);
  });
  const known = new Set(ids);
  const fresh = source.fresh.filter((c) => !known.has(c[0]!)).slice(0, count(shape.fresh, 5));
  for (const cells of fresh) rows.set(cells[0]!, cells);
  const noIdLines = [...previous.unreadable.noIdLines];
  for (let i = 0, n = count(shape.emptyIdNew, 3); i < n; i++) {
    const cells = [...(source.fresh[source.fresh.length - 1 - i] ?? source.full[i]!)];
    noIdLines.push(csvLine(['', ...cells.slice(1)]));
  }
  const lines: string[] = [];
  for (const [id, cells] of rows) {
    const kind = byId.get(id);
    if (kind === 'malformed') lines.push(malformedLine(id, source.header.length));
    else if (kind === 'empty-id') lines.push(csvLine(['', ...cells.slice(1)]));
    else lines.push(csvLine(cells));
  }
  lines.push(...noIdLines);
  const of = (kind: 'malformed' | 'empty-id') => [...byId].filter(([, k]) => k === kind).map(([id]) => id);
  return {
    lines,
    expected: new Set(rows.keys()),
    changed,
    fresh: fresh.map((c) => c[0]!),
    malformed: of('malformed'),
    emptyIdExisting: of('empty-id'),
    emptyIdNew: noIdLines.length,
    rows,
    unreadable: { byId, noIdLines },
  };
}
