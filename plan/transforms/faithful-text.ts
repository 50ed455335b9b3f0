import { RecordRejection } from './core';

/**
 * Characters that cannot be carried as text faithfully: NUL (PostgreSQL text refuses it, many APIs cut the
 * string there), UTF-16 surrogates without their pair (invalid UTF-8 once encoded, so a writer would replace
 * them), and U+FFFD, the replacement character a decoder produces for bytes that were not valid in the
 * encoding it was told (the original character is already lost). Tern never strips or replaces them: the
 * record is quarantined with the reason, so the source can be corrected or read with the right encoding.
 */
// Without the u flag the pattern sees UTF-16 code units, so it can find an unpaired surrogate. Linear time.
// eslint-disable-next-line no-control-regex -- NUL is what the check looks for
const UNFAITHFUL = /\u0000|\ufffd|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const MAX_DEPTH = 20;

/** Why a character cannot be kept, and what to do about it. */
function reasonFor(text: string, at: number): string {
  const code = text.charCodeAt(at);
  const where = `at character ${at + 1}`;
  if (code === 0)
    return `contains a NUL character (U+0000) ${where}, which text fields cannot hold; remove it in the source`;
  if (code === 0xfffd)
    return `contains U+FFFD (a replacement character: bytes the source decoder could not read) ${where}; read the source with its real encoding (source.encoding) or correct it`;
  return `contains an unpaired UTF-16 surrogate ${where} (not valid Unicode text); correct it in the source`;
}

/** The reason a value (text, or text inside a list or object) cannot be kept as it is; undefined when it can. */
export function unfaithfulTextReason(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') {
    const m = UNFAITHFUL.exec(value);
    return m ? reasonFor(value, m.index) : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || value instanceof Date) return undefined;
  for (const element of Array.isArray(value) ? value : Object.values(value)) {
    const reason = unfaithfulTextReason(element, depth + 1);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** Throws a RecordRejection (`invalid_text`) when a value holds a character that cannot be kept as text. */
export function assertFaithfulText(value: unknown): void {
  const reason = unfaithfulTextReason(value);
  if (reason !== undefined) throw new RecordRejection('invalid_text', reason);
}
