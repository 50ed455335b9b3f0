import { ConfigError } from '../../common/errors';
import type { SourceItem, SourceReader } from '../source';
import { readCsv } from './read';

export interface CsvSourceOptions {
  /** File encoding; `utf-8` is accepted for `utf8`. */
  encoding?: BufferEncoding | 'utf-8';
  delimiter?: string;
  /** Lines one record may span before its quote counts as runaway (plan: `source.maxRecordLines`). */
  maxRecordLines?: number;
}

/**
 * A CSV file as a SourceReader. Position `line N` (the record's first line); cursor = that line number as
 * text. Resuming re-reads the file from the top and skips every item whose line is ≤ the cursor, so a
 * record spanning several lines is resumed as a whole.
 */
export function csvSourceReader(file: string, options: CsvSourceOptions = {}): SourceReader {
  const encoding: BufferEncoding = options.encoding === 'utf-8' ? 'utf8' : (options.encoding ?? 'utf8');
  return async function* read(cursor: string | null): AsyncGenerator<SourceItem> {
    const after = lineCursor(cursor, file);
    for await (const item of readCsv(file, {
      encoding,
      delimiter: options.delimiter,
      maxRecordLines: options.maxRecordLines,
    })) {
      if (item.line <= after) continue;
      const position = `line ${item.line}`;
      const next = String(item.line);
      if (item.kind === 'record') yield { kind: 'record', position, cursor: next, record: item.record };
      else yield { kind: 'broken', position, cursor: next, text: item.text, message: item.message };
    }
  };
}

/** The line a file cursor resumes after (0: from the start). */
export function lineCursor(cursor: string | null, file: string): number {
  if (cursor === null || cursor === '') return 0;
  if (!/^\d+$/.test(cursor))
    throw new ConfigError(
      `${file}: cannot resume from the checkpoint cursor ${JSON.stringify(cursor)}: a file cursor is a line number`,
      'restart the extract of this object from the beginning (its checkpoint was written by another kind of source)',
    );
  return Number(cursor);
}
