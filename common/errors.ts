/**
 * Tern's error vocabulary. Every error a person can meet says what went wrong, where, and how to fix it,
 * so the CLI can print one line instead of a stack trace.
 */

/** Base class: a problem a person can fix; `fix` tells them how. */
export class TernError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** One line for a terminal: the problem, then the fix. */
  toLine(): string {
    return `${this.message} — fix: ${this.fix}`;
  }
}

/** A setting (environment variable or option) is missing or malformed. */
export class ConfigError extends TernError {}

/** A source file is missing, unreadable or not in the expected format. */
export class SourceFileError extends TernError {}

/** The staging or target database cannot be reached or refused the connection. */
export class DatabaseUnreachableError extends TernError {}

/**
 * The database could not be reached just now, or dropped the connection: refused, reset or timed out, shutting
 * down or starting up, out of connection slots. An outage, not a mistake: inside an activity it is retried
 * with Temporal's backoff; at the CLI it is still "unreachable" (exit code 3), one line with its fix.
 */
export class TransientDatabaseError extends DatabaseUnreachableError {}

/** Node's network errors that mean "not now" (a host name that does not resolve, ENOTFOUND, is a wrong URL). */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
]);

/** The drivers' codes for a connection that timed out, went away or found no free slot (postgres.js, mysql2). */
const TRANSIENT_DRIVER_CODES = new Set([
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
]);

/** SQLSTATEs of a server shutting down or starting (57P01–57P03) or out of connection slots (53300). */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Codes that say the URL or the credentials are wrong: a person must fix them. */
const ACCESS_CODES = new Set([
  '3D000',
  'ENOTFOUND',
  'SASL_SIGNATURE_MISMATCH',
  'AUTH_TYPE_NOT_IMPLEMENTED',
  'HANDSHAKE_NO_SSL_SUPPORT',
  'ER_ACCESS_DENIED_ERROR',
  'ER_NOT_SUPPORTED_AUTH_MODE',
  'ER_HOST_NOT_PRIVILEGED',
  'ER_HOST_IS_BLOCKED',
  'ER_BAD_DB_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
]);

/**
 * What a database driver's error (postgres.js, mysql2, Node's net) says about the connection: `transient`, the
 * server could not be reached just now or dropped the connection (a retry may succeed); `access`, the URL or
 * the credentials are wrong (a person must fix them); undefined, not a connection problem (a statement error).
 * The one classification staging, targets and SQL sources use.
 */
export function classifyDatabaseError(err: unknown): 'transient' | 'access' | undefined {
  if (err instanceof TransientDatabaseError) return 'transient';
  if (err instanceof DatabaseUnreachableError) return 'access';
  // Duck-typed, not `instanceof Error`: Node's network errors may come from another realm (a VM context).
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, sqlState, errors } = err as { code?: unknown; sqlState?: unknown; errors?: unknown };
  for (const c of [code, sqlState]) {
    if (typeof c !== 'string') continue;
    if (ACCESS_CODES.has(c) || /^28/.test(c)) return 'access';
    if (TRANSIENT_NETWORK_CODES.has(c) || TRANSIENT_DRIVER_CODES.has(c) || TRANSIENT_SQLSTATES.has(c))
      return 'transient';
    if (/^08/.test(c)) return 'transient';
  }
  // Node connecting to every address of a host: one error per address.
  if (Array.isArray(errors) && errors.length > 0) {
    const kinds = errors.map(classifyDatabaseError);
    if (kinds.includes('access')) return 'access';
    if (kinds.every((k) => k === 'transient')) return 'transient';
  }
  return undefined;
}

/** The error a person reads when a database cannot be used: transient (retried) or not, by `cause`. */
export function databaseUnreachable(
  cause: unknown,
  message: string,
  fix: string,
  options: { keepCause?: boolean } = {},
): DatabaseUnreachableError {
  const Class = classifyDatabaseError(cause) === 'transient' ? TransientDatabaseError : DatabaseUnreachableError;
  return new Class(message, fix, options.keepCause ? { cause } : undefined);
}

/** The Temporal server cannot be reached. */
export class TemporalUnreachableError extends TernError {}

/** A migration plan is invalid; the message names the path in the plan file. */
export class PlanError extends TernError {}

/** A phase is running with another version of the plan: it keeps the plan it started with. */
export class PlanPinnedError extends ConfigError {}

/** The Temporal CLI could not be installed or started. */
export class DevStackError extends TernError {}

/** Formats any thrown value as one line for the CLI; unknown errors keep their message. */
export function describeError(err: unknown): string {
  if (err instanceof TernError) return err.toLine();
  if (err instanceof Error) return err.message;
  return String(err);
}
