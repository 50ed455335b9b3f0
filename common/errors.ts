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

/** The Temporal server cannot be reached. */
export class TemporalUnreachableError extends TernError {}

/** A migration plan is invalid; the message names the path in the plan file. */
export class PlanError extends TernError {}

/** The Temporal CLI could not be installed or started. */
export class DevStackError extends TernError {}

/** Formats any thrown value as one line for the CLI; unknown errors keep their message. */
export function describeError(err: unknown): string {
  if (err instanceof TernError) return err.toLine();
  if (err instanceof Error) return err.message;
  return String(err);
}
