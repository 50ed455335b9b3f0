import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse/sync';
import { SourceFileError } from '../../common/errors';
import { assertReadableFile } from '../files';

/** One item of a CSV stream: a parsed record, or a line that could not be parsed (to be quarantined). */
export type CsvItem =
  | { kind: 'record'; line: number; record: Record<string, string> }
  | { kind: 'broken'; line: number; text: string; message: string };

export interface CsvReadOptions {
  encoding?: BufferEncoding;
  delimiter?: string;
  /** A quoted field may span lines; a record still open after this many lines is declared broken. */
  maxRecordLines?: number;
}

/**
 * Streams a CSV file (any size) as records keyed by the header row. A row with broken quoting or the wrong
 * number of columns is yielded as `broken` with its line number and reading goes on at the next line,
 * so one bad row never swallows the rows after it.
 */
export async function* readCsv(file: string, options: CsvReadOptions = {}): AsyncGenerator<CsvItem> {
  const delimiter = options.delimiter ?? ',';
  const maxRecordLines = options.maxRecordLines ?? 20;
  await assertReadableFile(file, 'check the source directory and file name in the plan, and the file permissions');
  const input = fs.createReadStream(file, { encoding: options.encoding ?? 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });

  let header: string[] | undefined;
  /** Lines of the record being assembled, with the number of its first line. */
  let pending: { start: number; lines: string[] } | undefined;
  const backlog: { line: number; text: string }[] = [];
  let lineNo = 0;

  const parseOne = (text: string): string[] | Error => {
    try {
      const rows: string[][] = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false });
      if (rows.length !== 1 || !rows[0]) return new Error(`expected one record, found ${rows.length}`);
      return rows[0];
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };

  // Quote balance decides whether a record continues on the next line ("" is an escaped quote: even).
  const isOpen = (text: string): boolean => (text.match(/"/g)?.length ?? 0) % 2 === 1;

  function* consume(line: number, text: string): Generator<CsvItem> {
    if (pending) {
      pending.lines.push(text);
    } else {
      if (line === 1) text = text.replace(/^\uFEFF/, '');
      if (header !== undefined && text.trim() === '') return;
      pending = { start: line, lines: [text] };
    }
    const joined = pending.lines.join('\n');
    if (isOpen(joined)) {
      if (pending.lines.length < maxRecordLines) return;
      // Give up on this record: quarantine its first line, re-read the lines after it.
      const [first, ...rest] = pending.lines;
      const start = pending.start;
      pending = undefined;
      yield { kind: 'broken', line: start, text: first ?? '', message: 'unclosed quote: the field never ends' };
      backlog.unshift(...rest.map((t, i) => ({ line: start + 1 + i, text: t })));
      return;
    }
    const start = pending.start;
    const spanned = pending.lines;
    pending = undefined;
    const fields = parseOne(joined);
    if (header !== undefined && spanned.length > 1 && (fields instanceof Error || fields.length !== header.length)) {
      // A quote opened on this line closed on a later one and the result is not a row: the quote was the
      // error, not the line breaks. Quarantine this line alone and read the lines it swallowed again.
      const [first, ...rest] = spanned;
      yield {
        kind: 'broken',
        line: start,
        text: first ?? '',
        message: 'unbalanced quote: the field runs into the next lines',
      };
      backlog.unshift(...rest.map((t, i) => ({ line: start + 1 + i, text: t })));
      return;
    }
    if (header === undefined) {
      if (fields instanceof Error)
        throw new SourceFileError(
          `${file}:${start}: cannot read the header row: ${fields.message}`,
          'the first line must list the column names',
        );
      header = fields.map((h) => h.trim());
      return;
    }
    if (fields instanceof Error) {
      yield { kind: 'broken', line: start, text: joined, message: fields.message.split('\n')[0] ?? 'unparseable row' };
    } else if (fields.length !== header.length) {
      yield {
        kind: 'broken',
        line: start,
        text: joined,
        message: `has ${fields.length} columns, the header has ${header.length}`,
      };
    } else {
      const record: Record<string, string> = {};
      header.forEach((name, i) => (record[name] = fields[i] ?? ''));
      yield { kind: 'record', line: start, record };
    }
  }

  for await (const text of lines) {
    lineNo += 1;
    yield* consume(lineNo, text);
    while (backlog.length > 0) {
      const next = backlog.shift()!;
      yield* consume(next.line, next.text);
    }
  }
  // End of file with a record still open: quarantine its first line and re-read the lines after it.
  while (pending || backlog.length > 0) {
    if (pending) {
      const [first, ...rest] = pending.lines;
      const start = pending.start;
      pending = undefined;
      yield { kind: 'broken', line: start, text: first ?? '', message: 'unclosed quote: the field never ends' };
      backlog.unshift(...rest.map((t, i) => ({ line: start + 1 + i, text: t })));
    }
    while (backlog.length > 0) {
      const next = backlog.shift()!;
      yield* consume(next.line, next.text);
    }
  }
  if (header === undefined) throw new SourceFileError(`${file} is empty`, 'export the data again with a header row');
}
