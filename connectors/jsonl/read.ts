import { lineCursor } from '../csv/source';
import { readFileLines } from '../file-lines';
import { assertReadableFile } from '../files';
import type { SourceItem, SourceReader } from '../source';

export interface JsonlSourceOptions {
  /** File encoding; `utf-8` is accepted for `utf8`. */
  encoding?: BufferEncoding | 'utf-8';
}

/** A broken line longer than this is quarantined truncated (the file and line number point at the rest). */
const MAX_BROKEN_TEXT = 64 * 1024;
const MAX_MESSAGE = 300;

/**
 * A JSON-lines file (one JSON object per line, any size) as a SourceReader, streamed line by line.
 *
 * - Lines end with LF (a CR before it is JSON whitespace), as JSON Lines defines them: a lone CR between
 *   tokens does not split a record, and U+2028 inside a string is a character.
 * - Position `line N`; cursor = the line number as text; resuming skips the lines ≤ cursor unparsed.
 * - A byte-order mark is dropped; blank lines (JSON whitespace only: space, tab, CR) are skipped; a line of
 *   other spaces (no-break space) is not JSON, so it is broken, never dropped.
 * - A line that is not valid JSON, or is JSON but not an object (array, string, number, null), is yielded as
 *   `broken` with its line number and reading goes on.
 * - A record is the parsed object as is: nested objects and arrays are kept, numbers stay numbers, except
 *   integers too large for a JS number (beyond ±2^53), which are kept exactly, as strings of their digits.
 * - A missing or unreadable file throws a SourceFileError naming the path.
 */
export function jsonlSourceReader(file: string, options: JsonlSourceOptions = {}): SourceReader {
  const encoding: BufferEncoding = options.encoding === 'utf-8' ? 'utf8' : (options.encoding ?? 'utf8');
  return async function* read(cursor: string | null): AsyncGenerator<SourceItem> {
    const after = lineCursor(cursor, file);
    await assertReadableFile(
      file,
      'check source.directory (relative to the plan file) and objects[].source.file in the plan, and the file permissions',
    );
    for await (const { number, text } of readFileLines(file, { encoding, breaks: 'lf' })) {
      if (number <= after || JSON_BLANK.test(text)) continue;
      const position = `line ${number}`;
      const next = String(number);
      const parsed = parseJsonLine(text);
      if (parsed.ok) {
        yield { kind: 'record', position, cursor: next, record: parsed.record };
      } else {
        yield { kind: 'broken', position, cursor: next, text: clip(text), message: parsed.message };
      }
    }
  };
}

/** A line of JSON whitespace only (RFC 8259: space, tab, CR; LF ends the line). */
const JSON_BLANK = /^[ \t\r]*$/;

type Parsed = { ok: true; record: Record<string, unknown> } | { ok: false; message: string };

/** Parses one line into a record, or says (in one line) why it is not one. */
export function parseJsonLine(text: string): Parsed {
  let value: unknown;
  const exact = /\d{16}/.test(text) ? quoteUnsafeIntegers(text) : text;
  try {
    value = JSON.parse(exact);
  } catch (err) {
    let reason = err instanceof Error ? err.message : String(err);
    if (exact !== text) {
      try {
        JSON.parse(text);
      } catch (original) {
        reason = original instanceof Error ? original.message : String(original);
      }
    }
    return { ok: false, message: shorten(`not valid JSON: ${reason}; each line must be one JSON object`) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return {
      ok: false,
      message: `is JSON ${what}, not an object: each line must be one record as a JSON object ({"id": …, …})`,
    };
  }
  return { ok: true, record: value as Record<string, unknown> };
}

/**
 * Wraps integer literals that a JS number cannot hold exactly (outside strings) in quotes, so they survive
 * JSON.parse digit for digit. Only called when the line has 16 digits in a row somewhere.
 */
function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, minding escapes.
      i += 1;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else {
          i += 1;
          if (d === 0x22) break;
        }
      }
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i += 1;
      while (i < n && /[0-9.eE+-]/.test(text[i] ?? '')) i += 1;
      const token = text.slice(start, i);
      if (/^-?[1-9]\d{15,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(copied, start)}"${token}"`;
        copied = i;
      }
      continue;
    }
    i += 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function clip(text: string): string {
  return text.length <= MAX_BROKEN_TEXT
    ? text
    : `${text.slice(0, MAX_BROKEN_TEXT)}… [truncated: the line has ${text.length} characters]`;
}

function shorten(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE)}…`;
}
