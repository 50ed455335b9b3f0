/**
 * The check of an operator's source query (`objects[].source.query`) at plan load: one statement that only
 * reads, a SELECT (or WITH … SELECT). It is a courtesy that names the mistake early, on the plan's line; the
 * guarantee is the database's own: every read of a SQL source runs in a read-only transaction, one statement at
 * a time (PostgreSQL's extended protocol, MySQL without multiple statements), so a query that slips past this
 * check still cannot write.
 *
 * The query is tokenized as its database reads it (comments, strings, quoted names, PostgreSQL's dollar quotes
 * and nested comments, MySQL's backslash escapes and `#` comments), so a `;` or a `delete` inside a string or a
 * comment is text, not a statement. What is refused:
 * - anything after the first `;` but other `;`, whitespace and comments (`select 1; delete …`, `…; commit`);
 * - a statement that does not start with SELECT or WITH (after opening parentheses);
 * - a data-modifying statement in parentheses (`with x as (delete … returning *) select …`), or as the main
 *   statement of a WITH (`with x as (…) update …`);
 * - `INTO` (SELECT … INTO creates a table in PostgreSQL, writes a file or variables in MySQL);
 * - row locks (`for update`, `for share`, `for no key update`, `for key share`, MySQL's `lock in share mode`): a
 *   lock on the legacy system's rows blocks its own users' writes while the read lasts, and PostgreSQL refuses
 *   it in a read-only transaction anyway;
 * - MySQL's executable comments (`/*! … *\/`), whose text MySQL runs as SQL.
 */

export type SqlDialect = 'postgres' | 'mysql';

export interface SqlToken {
  kind: 'word' | 'quoted' | 'string' | 'number' | 'param' | 'symbol';
  /** Words lower-cased; everything else as written. */
  text: string;
  /** Offsets in the query: [start, end). */
  start: number;
  end: number;
}

export type Tokenized = { ok: true; tokens: SqlToken[] } | { ok: false; problem: string };

const FIX = 'write one SELECT (or WITH … SELECT) that only reads: Tern never writes to the legacy system';
const WRITES = new Set(['insert', 'update', 'delete', 'merge', 'replace']);
const LOCKS = new Set(['update', 'share', 'no', 'key']);

/** Line (1-based) of an offset, for messages. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

const isSpace = (c: string) => /\s/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';
/** Letters, `_` and every non-ASCII character start a name; `$` and digits continue one. */
const startsName = (c: string) => /[A-Za-z_]/.test(c) || c.charCodeAt(0) >= 0x80;
const continuesName = (c: string) => startsName(c) || isDigit(c) || c === '$';

/**
 * Splits a query into tokens as `dialect` reads it, comments dropped. Fails (with the reason) on an unterminated
 * string, quoted name, dollar quote or comment, and on MySQL's executable comments.
 */
export function tokenizeSql(query: string, dialect: SqlDialect): Tokenized {
  const tokens: SqlToken[] = [];
  const n = query.length;
  const unterminated = (what: string, at: number): Tokenized => ({
    ok: false,
    problem: `has an unterminated ${what} starting on line ${lineAt(query, at)} of the query`,
  });
  /** End (exclusive) of a string or quoted name opened at `at` by `quote`; -1 when it never closes. */
  const closing = (at: number, quote: string, backslash: boolean): number => {
    for (let j = at + 1; j < n; j++) {
      const c = query[j];
      if (backslash && c === '\\') j += 1;
      else if (c === quote) {
        if (query[j + 1] === quote) j += 1;
        else return j + 1;
      }
    }
    return -1;
  };
  let i = 0;
  while (i < n) {
    const c = query[i]!;
    const next = query[i + 1] ?? '';
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    // Comments. MySQL's `--` needs a space (or control character) after it; `#` runs to the end of the line.
    if (
      (c === '-' && next === '-' && (dialect === 'postgres' || (query.charCodeAt(i + 2) || 0) <= 32)) ||
      (c === '#' && dialect === 'mysql')
    ) {
      const end = query.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      if (dialect === 'mysql' && query[i + 2] === '!')
        return {
          ok: false,
          problem: `has a MySQL executable comment (/*! … */) on line ${lineAt(query, i)}, whose text MySQL runs as SQL; remove it`,
        };
      // PostgreSQL's block comments nest; MySQL's do not.
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (query[j] === '*' && query[j + 1] === '/') {
          depth -= 1;
          j += 2;
        } else if (dialect === 'postgres' && query[j] === '/' && query[j + 1] === '*') {
          depth += 1;
          j += 2;
        } else j += 1;
      }
      if (depth > 0) return unterminated('comment (/* without */)', i);
      i = j;
      continue;
    }
    // Strings: PostgreSQL's '…' ('' inside) and E'…' (backslash escapes); MySQL's '…' and "…" (both).
    if (c === "'" || (c === '"' && dialect === 'mysql')) {
      const end = closing(i, c, dialect === 'mysql');
      if (end === -1) return unterminated('string', i);
      tokens.push({ kind: 'string', text: query.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    if ((c === 'e' || c === 'E') && next === "'" && dialect === 'postgres' && !continuesName(query[i - 1] ?? ' ')) {
      const end = closing(i + 1, "'", true);
      if (end === -1) return unterminated('string', i);
      tokens.push({ kind: 'string', text: query.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    // Quoted names: PostgreSQL's "…", MySQL's `…` (the quote doubled inside).
    if ((c === '"' && dialect === 'postgres') || (c === '`' && dialect === 'mysql')) {
      const end = closing(i, c, false);
      if (end === -1) return unterminated(`quoted name (${c})`, i);
      tokens.push({ kind: 'quoted', text: query.slice(i, end), start: i, end });
      i = end;
      continue;
    }
    if (c === '$' && dialect === 'postgres') {
      if (isDigit(next)) {
        let j = i + 1;
        while (j < n && isDigit(query[j]!)) j += 1;
        tokens.push({ kind: 'param', text: query.slice(i, j), start: i, end: j });
        i = j;
        continue;
      }
      // A dollar quote: $$…$$ or $tag$…$tag$ (a tag is a name without `$`).
      let j = i + 1;
      if (j < n && startsName(query[j]!)) {
        j += 1;
        while (j < n && continuesName(query[j]!) && query[j] !== '$') j += 1;
      }
      if (query[j] === '$') {
        const tag = query.slice(i, j + 1);
        const close = query.indexOf(tag, j + 1);
        if (close === -1) return unterminated(`dollar-quoted string (${tag})`, i);
        const end = close + tag.length;
        tokens.push({ kind: 'string', text: query.slice(i, end), start: i, end });
        i = end;
        continue;
      }
    }
    if (isDigit(c) || (c === '.' && isDigit(next))) {
      let j = i + 1;
      while (j < n && (continuesName(query[j]!) || query[j] === '.')) j += 1;
      tokens.push({ kind: 'number', text: query.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    if (startsName(c) || (c === '$' && dialect === 'mysql')) {
      let j = i + 1;
      while (j < n && continuesName(query[j]!)) j += 1;
      tokens.push({ kind: 'word', text: query.slice(i, j).toLowerCase(), start: i, end: j });
      i = j;
      continue;
    }
    tokens.push({ kind: 'symbol', text: c, start: i, end: i + 1 });
    i += 1;
  }
  return { ok: true, tokens };
}

/**
 * Why a source query may not run as a plan's source (a sentence that ends with its fix), or null when it is one
 * statement that only reads. See the module's comment for what is refused, and why.
 */
export function sourceQueryProblem(query: string, dialect: SqlDialect): string | null {
  const tokenized = tokenizeSql(query, dialect);
  if (!tokenized.ok) return `${tokenized.problem}; ${FIX}`;
  const all = tokenized.tokens;
  const firstSemicolon = all.findIndex((t) => t.kind === 'symbol' && t.text === ';');
  const tokens = firstSemicolon === -1 ? all : all.slice(0, firstSemicolon);
  const after = firstSemicolon === -1 ? undefined : all.slice(firstSemicolon).find((t) => t.text !== ';');
  if (after)
    return `holds more than one statement (${shown(after)} after the ';' on line ${lineAt(query, all[firstSemicolon]!.start)} of the query); ${FIX}`;
  const isWord = (t: SqlToken | undefined, ...words: string[]) => t?.kind === 'word' && words.includes(t.text);
  const isSymbol = (t: SqlToken | undefined, symbol: string) => t?.kind === 'symbol' && t.text === symbol;
  let first = 0;
  while (isSymbol(tokens[first], '(')) first += 1;
  const head = tokens[first];
  if (!head) return `holds no statement; ${FIX}`;
  if (!isWord(head, 'select', 'with')) return `starts with ${shown(head)}, not SELECT or WITH; ${FIX}`;

  let depth = 0;
  let main: SqlToken | undefined;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    const next = tokens[k + 1];
    if (isSymbol(t, '(')) depth += 1;
    if (isSymbol(t, ')')) depth -= 1;
    if (t.kind !== 'word') continue;
    const where = `on line ${lineAt(query, t.start)} of the query`;
    // A statement in parentheses (a WITH's part, a subquery) that writes; `insert(…)` is MySQL's string function.
    if (WRITES.has(t.text) && isSymbol(prev, '(') && !isSymbol(next, '('))
      return `has a data-modifying statement (${shown(t)} ${where}) inside it; ${FIX}`;
    if (t.text === 'into') return `has INTO ${where}: SELECT … INTO writes (a new table, a file or variables); ${FIX}`;
    if (
      (t.text === 'for' && next?.kind === 'word' && LOCKS.has(next.text)) ||
      (t.text === 'lock' && isWord(next, 'in'))
    )
      return `locks the rows it reads (${shown(t)} ${shown(next!)} ${where}), which blocks the legacy system's own writes while Tern reads; remove the locking clause: ${FIX}`;
    // The statement a WITH introduces: the first word at the top level that is not a part's name.
    if (
      isWord(head, 'with') &&
      !main &&
      depth === 0 &&
      k > first &&
      !isWord(prev, 'with', 'recursive') &&
      !isSymbol(prev, ',')
    )
      if (isWord(t, 'select', 'values', 'table', ...WRITES)) main = t;
  }
  if (isWord(head, 'with') && main && !isWord(main, 'select'))
    return `is a WITH whose statement is ${shown(main)} (on line ${lineAt(query, main.start)} of the query), not SELECT; ${FIX}`;
  return null;
}

/** The query as written up to its last token, without the `;` and comments that may follow it. */
export function statementText(query: string, dialect: SqlDialect): string {
  const tokenized = tokenizeSql(query, dialect);
  if (!tokenized.ok) return query.trim();
  const last = [...tokenized.tokens].reverse().find((t) => !(t.kind === 'symbol' && t.text === ';'));
  return last ? query.slice(0, last.end).trim() : '';
}

function shown(token: SqlToken): string {
  const text = token.kind === 'word' ? token.text.toUpperCase() : token.text;
  return `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`;
}
