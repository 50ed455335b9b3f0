/**
 * Credentials out of text Tern prints or logs: connection strings (URLs and libpq's keyword form), query
 * parameters and authorization headers. Pure; the logger, errors and the CLI use the same rules.
 */

const HIDDEN = '***';

/** Query parameters (a URL's `?…&…`) whose values are credentials. */
const SECRET_PARAMETER =
  /^(?:password|passwd|pwd|pass|sslpassword|secret|client_secret|token|access_token|refresh_token|id_token|api_?key|key|sig|signature|auth)$/i;

/** Keywords of a connection string (`host=db password=…`, `Password=…;`) whose values are credentials. */
const SECRET_KEYWORD = 'password|passwd|pwd|sslpassword';

/**
 * Credentials inside free text, wherever they sit:
 * - a URL's password (`postgres://tern:…@db`, up to the last `@` of the authority, so an `@` in it stays hidden);
 * - a connection string's password in keyword form (`host=db password=… dbname=x`, quoted values too) or in a
 *   URL's query (`?password=…`, `&sslpassword=…`);
 * - other secret query parameters (`?api_key=…`, `&access_token=…`);
 * - an authorization scheme's token (`Bearer …`, `Basic …`, `Token …`).
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*):([^\s/?#]*)@/gi, `$1$2:${HIDDEN}@`)
    .replace(
      new RegExp(
        `(^|[\\s?&;,("'{])((?:${SECRET_KEYWORD})\\s*=\\s*)('(?:\\\\.|''|[^'\\\\])*'|"[^"]*"|[^\\s&;,)"'}]+)`,
        'gi',
      ),
      `$1$2${HIDDEN}`,
    )
    .replace(/([?&])([A-Za-z_]+)=([^&\s#"']+)/g, (all, lead: string, name: string) =>
      SECRET_PARAMETER.test(name) ? `${lead}${name}=${HIDDEN}` : all,
    )
    .replace(/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${HIDDEN}`);
}

/**
 * A database URL fit to print: its password and secret query parameters hidden. Text that is not a URL (a
 * connection string in keyword form, `host=… password=…`, or a typo) is never printed, only said to be there.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return looksLikeKeywordForm(url) ? '[a connection string in keyword form, not shown]' : '[not a URL, not shown]';
  }
  if (parsed.password) parsed.password = HIDDEN;
  for (const name of [...parsed.searchParams.keys()])
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, HIDDEN);
  // URLSearchParams encodes `*`; the text is for people.
  return parsed.toString().replace(/%2A%2A%2A/g, HIDDEN);
}

/**
 * What kind of connection text `value` is, for an error that must not print it: `a mysql: URL`, `a connection
 * string in keyword form (host=… password=…)`, or `not a URL`.
 */
export function describeConnectionText(value: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value.trim());
  if (scheme) return `a ${scheme[1]!.toLowerCase()}: URL`;
  if (looksLikeKeywordForm(value)) return 'a connection string in keyword form (host=… password=…)';
  return 'not a URL';
}

function looksLikeKeywordForm(value: string): boolean {
  return /(^|\s)[a-z_]+\s*=/i.test(value);
}
