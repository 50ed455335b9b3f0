import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { SourceFileError } from '../../common/errors';
import { DEFAULT_MAX_RECORD_LINES } from '../../plan/schema';
import { readFileLines, type FileLine } from '../file-lines';
import { assertReadableFile } from '../files';
import { scanLineQuoting } from './quotes';

/** One item of a CSV stream: a parsed record, or a line that could not be parsed (to be quarantined). */
export type CsvItem =
  | { kind: 'record'; line: number; record: Record<string, string> }
  | { kind: 'broken'; line: number; text: string; message: string };

export interface CsvReadOptions {
  encoding?: BufferEncoding;
  delimiter?: string;
  /**
   * A quoted field may span any number of lines; a record still inside a quote after this many lines is taken
   * for a runaway quote (plan: `source.maxRecordLines`, default 10,000).
   */
  maxRecordLines?: number;
}

/** A record being assembled: its lines so far and where its quoting stands. */
interface Pending {
  start: number;
  lines: FileLine[];
  open: boolean;
  textAfterClosingQuote: boolean;
}

/**
 * Streams a CSV file (any size) as records keyed by the header row, as RFC 4180 and standard readers (Python's
 * csv) read it: a quoted field keeps its line breaks (CRLF, LF or CR, exactly) and its doubled quotes, whatever
 * its length; empty lines hold no record; a BOM is dropped. What a standard reader would swallow or guess is
 * yielded as `broken` (quarantined) with its line number instead, and reading goes on:
 * - a quote still open after `maxRecordLines` lines, or at the end of the file: the record's first line is
 *   broken and the lines after it are read again as records (a standard reader would put the rest of the file
 *   into one field, or stop);
 * - a record that spans lines but does not parse into the header's columns: a stray quote ran into the next
 *   lines, so again its first line is broken and the others are read again;
 * - text after a closing quote (`"a"b`), or the wrong number of columns: the record is broken.
 */
export async function* readCsv(file: string, options: CsvReadOptions = {}): AsyncGenerator<CsvItem> {
  const delimiter = options.delimiter ?? ',';
  const maxRecordLines = options.maxRecordLines ?? DEFAULT_MAX_RECORD_LINES;
  const name = path.basename(file);
  await assertReadableFile(file, 'check the source directory and file name in the plan, and the file permissions');

  let header: string[] | undefined;
  let pending: Pending | undefined;
  /** Lines to read again (those after a broken first line), before the next line of the file. */
  const backlog: FileLine[] = [];

  const parseOne = (text: string): string[] | Error => {
    try {
      const rows: string[][] = parse(text, {
        delimiter,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: false,
      });
      if (rows.length !== 1 || !rows[0]) return new Error(`expected one record, found ${rows.length}`);
      return rows[0];
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  };

  /** Quarantines the first line of a record and queues the lines after it to be read again. */
  function giveUp(record: Pending, message: string): CsvItem {
    const [first, ...rest] = record.lines;
    backlog.unshift(...rest);
    return { kind: 'broken', line: record.start, text: first?.text ?? '', message };
  }

  function* consume(line: FileLine): Generator<CsvItem> {
    if (!pending) {
      if (line.text === '') return;
      pending = { start: line.number, lines: [], open: false, textAfterClosingQuote: false };
    }
    const record = pending;
    record.lines.push(line);
    const quoting = scanLineQuoting(line.text, delimiter, record.open);
    record.open = quoting.open;
    record.textAfterClosingQuote ||= quoting.textAfterClosingQuote;
    if (record.open) {
      if (record.lines.length < maxRecordLines) return;
      pending = undefined;
      yield giveUp(
        record,
        `unclosed quote: the quoted field opened on line ${record.start} of ${name} is still open after ${maxRecordLines} lines (source.maxRecordLines); raise source.maxRecordLines in the plan if one field really is that long, else close the quote`,
      );
      return;
    }
    pending = undefined;
    const text = record.lines.map((l, i) => (i === record.lines.length - 1 ? l.text : l.text + l.eol)).join('');
    const fields = record.textAfterClosingQuote
      ? new Error('text follows the closing quote of a field: inside a quoted field, write a quote as ""')
      : parseOne(text);
    if (header === undefined) {
      if (fields instanceof Error)
        throw new SourceFileError(
          `${file}:${record.start}: cannot read the header row: ${fields.message}`,
          'the first line must list the column names',
        );
      header = fields.map((h) => h.trim());
      return;
    }
    if (record.lines.length > 1 && (fields instanceof Error || fields.length !== header.length)) {
      // A quote opened on this line closed on a later one and the result is not a row: the quote was the
      // error, not the line breaks.
      yield giveUp(record, 'unbalanced quote: the field runs into the next lines');
    } else if (fields instanceof Error) {
      yield { kind: 'broken', line: record.start, text, message: fields.message.split('\n')[0] ?? 'unparseable row' };
    } else if (fields.length !== header.length) {
      yield {
        kind: 'broken',
        line: record.start,
        text,
        message: `has ${fields.length} columns, the header has ${header.length}`,
      };
    } else {
      const values: Record<string, string> = {};
      header.forEach((column, i) => (values[column] = fields[i] ?? ''));
      yield { kind: 'record', line: record.start, record: values };
    }
  }

  function* drain(): Generator<CsvItem> {
    while (backlog.length > 0) yield* consume(backlog.shift()!);
  }

  for await (const line of readFileLines(file, { encoding: options.encoding ?? 'utf8', breaks: 'any' })) {
    yield* consume(line);
    yield* drain();
  }
  // End of file inside a quote: its first line is broken, the lines after it are read again.
  while (pending) {
    const record: Pending = pending;
    pending = undefined;
    yield giveUp(
      record,
      `unclosed quote: the quoted field opened on line ${record.start} of ${name} never closes before the end of the file; close it (inside a quoted field, write a quote as "")`,
    );
    yield* drain();
  }
  if (header === undefined) throw new SourceFileError(`${file} is empty`, 'export the data again with a header row');
}
