/** Phases of a migration, in the order an operator runs them. */
export const PHASES = ['preferences', 'sample', 'full', 'delta', 'rollback'] as const;
export type Phase = (typeof PHASES)[number];

/** One workflow per migration and phase: a second start of the same phase attaches to the first. */
export function phaseWorkflowId(migrationId: string, phase: Phase): string {
  return `${migrationId}/${phase}`;
}
