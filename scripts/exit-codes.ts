import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import {
  ConfigError,
  DatabaseUnreachableError,
  DevStackError,
  PlanError,
  SourceFileError,
  TemporalUnreachableError,
  TernError,
} from '../common/errors';

/** Tern's exit codes (documented in README and `tern --help`). */
export const EXIT = {
  ok: 0,
  /** The phase ran but its reconciliation is not clean, or it failed. */
  failed: 1,
  /** The input is wrong: plan, file, option, environment variable. */
  badInput: 2,
  /** A service Tern needs is unreachable: database, Temporal. */
  unreachable: 3,
} as const;

/** One line for a person, and the exit code, for any error reaching the CLI. */
export function explain(err: unknown): { line: string; code: number } {
  if (err instanceof WorkflowFailedError) {
    const root = rootCause(err.cause);
    const type = root instanceof ApplicationFailure ? root.type : undefined;
    const code =
      type &&
      ['SourceFileError', 'PlanError', 'ConfigError', 'TargetSchemaError', 'UnknownMigrationError'].includes(type)
        ? EXIT.badInput
        : EXIT.failed;
    return { line: `the workflow failed: ${root?.message ?? err.message}`, code };
  }
  if (err instanceof TernError) {
    const code =
      err instanceof DatabaseUnreachableError || err instanceof TemporalUnreachableError
        ? EXIT.unreachable
        : err instanceof PlanError ||
            err instanceof ConfigError ||
            err instanceof SourceFileError ||
            err instanceof DevStackError
          ? EXIT.badInput
          : EXIT.failed;
    return { line: err.toLine(), code };
  }
  return { line: err instanceof Error ? err.message : String(err), code: EXIT.failed };
}

/** The ApplicationFailure that says what went wrong (below the activity/child-workflow wrappers). */
function rootCause(err: unknown): Error | undefined {
  let current = err instanceof Error ? err : undefined;
  while (
    current instanceof TemporalFailure &&
    !(current instanceof ApplicationFailure) &&
    current.cause instanceof Error
  )
    current = current.cause;
  return current;
}
