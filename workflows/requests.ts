// Request checks shared by workflows and clients: pure, no Temporal imports.

/** Checks a rollback request; the same rules apply to the CLI and to any other client. */
export function rollbackRequestProblem(input: { reason?: string; by?: string }): string | undefined {
  if (!input.by?.trim()) return 'a rollback needs `by`: who asks for it';
  if (!input.reason?.trim() || input.reason.trim().length < 10)
    return 'a rollback needs a reason of at least 10 characters: it is kept in the audit log';
  return undefined;
}
