import fs from 'node:fs';

/** One physical line of a text file: its number (from 1), its text and the line break that ended it. */
export interface FileLine {
  number: number;
  text: string;
  /** `\n`, `\r\n`, `\r` (CSV only), or '' for a last line without a line break. */
  eol: string;
}

export interface FileLineOptions {
  encoding: BufferEncoding;
  /**
   * Which characters end a line. `any`: LF, CRLF or a lone CR, as CSV readers accept (RFC 4180 names CRLF;
   * Python's csv and spreadsheets accept all three). `lf`: only LF, with a CR before it part of the break, as
   * JSON Lines defines it (a lone CR inside a line is JSON whitespace, not a line break).
   */
  breaks: 'any' | 'lf';
}

/**
 * Streams a file's lines with their line breaks, so a caller can rebuild the exact text of a record that spans
 * lines (a CSV field keeps its CRLF). A byte-order mark at the start of the file is dropped. Lines of any length;
 * memory holds one line at a time.
 */
export async function* readFileLines(file: string, options: FileLineOptions): AsyncGenerator<FileLine> {
  const input = fs.createReadStream(file, { encoding: options.encoding, highWaterMark: 256 * 1024 });
  const breaks = options.breaks === 'any' ? /\r\n|\n|\r/g : /\r?\n/g;
  let number = 0;
  /** Text of the current line read so far (across chunks). */
  let parts: string[] = [];
  /** The previous chunk ended in a CR: a line break, CRLF if this chunk starts with LF. */
  let carriageReturn = false;
  let first = true;
  try {
    for await (const read of input) {
      let chunk = read as string;
      if (first) {
        first = false;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      let from = 0;
      if (carriageReturn) {
        carriageReturn = false;
        const eol = chunk.startsWith('\n') ? '\r\n' : options.breaks === 'any' ? '\r' : undefined;
        if (eol !== undefined) {
          number += 1;
          yield { number, text: parts.join(''), eol };
          parts = [];
          from = eol === '\r\n' ? 1 : 0;
        } else {
          parts.push('\r');
        }
      }
      breaks.lastIndex = from;
      for (let match = breaks.exec(chunk); match; match = breaks.exec(chunk)) {
        const end = match.index + match[0].length;
        // A CR at the end of a chunk may be the first half of a CRLF: decided by the next chunk.
        if (end === chunk.length && match[0] === '\r' && options.breaks === 'any') break;
        number += 1;
        parts.push(chunk.slice(from, match.index));
        yield { number, text: parts.join(''), eol: match[0] };
        parts = [];
        from = end;
      }
      if (chunk.endsWith('\r') && from < chunk.length) {
        parts.push(chunk.slice(from, chunk.length - 1));
        carriageReturn = true;
      } else if (from < chunk.length) {
        parts.push(chunk.slice(from));
      }
    }
    if (carriageReturn && options.breaks === 'any') {
      number += 1;
      yield { number, text: parts.join(''), eol: '\r' };
      parts = [];
    } else if (carriageReturn) {
      parts.push('\r');
    }
    if (parts.some((p) => p.length > 0)) {
      number += 1;
      yield { number, text: parts.join(''), eol: '' };
    }
  } finally {
    input.destroy();
  }
}
