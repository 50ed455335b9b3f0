/** Where one line of a CSV record leaves its quoting (RFC 4180, read as Python's csv and spreadsheets read it). */
export interface LineQuoting {
  /** The line ends inside a quoted field: the record goes on at the next line (the line break is data). */
  open: boolean;
  /** Text follows the closing quote of a field (`"a"b`): the quoting is malformed. */
  textAfterClosingQuote: boolean;
}

const QUOTE = 0x22;
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted field: the field's end, or the first half of an escaped quote (""). */
const QUOTE_IN_QUOTED = 3;

/**
 * Scans one line of a record. Only a quote that starts a field opens a quoted field; a quote inside an unquoted
 * field (`5'10"`) is a character, so it never makes the record run into the next line.
 */
export function scanLineQuoting(text: string, delimiter: string, startsInQuotes: boolean): LineQuoting {
  if (!text.includes('"')) return { open: startsInQuotes, textAfterClosingQuote: false };
  const separator = delimiter.charCodeAt(0);
  let state = startsInQuotes ? QUOTED : FIELD_START;
  let textAfterClosingQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    switch (state) {
      case FIELD_START:
        state = c === QUOTE ? QUOTED : c === separator ? FIELD_START : UNQUOTED;
        break;
      case UNQUOTED:
        if (c === separator) state = FIELD_START;
        break;
      case QUOTED:
        if (c === QUOTE) state = QUOTE_IN_QUOTED;
        break;
      case QUOTE_IN_QUOTED:
        if (c === QUOTE) state = QUOTED;
        else if (c === separator) state = FIELD_START;
        else {
          textAfterClosingQuote = true;
          state = UNQUOTED;
        }
        break;
    }
  }
  return { open: state === QUOTED, textAfterClosingQuote };
}
