/** Phases of a migration, in the order an operator runs them. */
export const PHASES = ['preferences', 'sample', 'full', 'delta', 'rollback'] as const;
export type Phase = (typeof PHASES)[number];

/** One workflow per migration and phase: a second start of the same phase attaches to the first. */
export function phaseWorkflowId(migrationId: string, phase: Phase): string {
  return `${migrationId}/${phase}`;
}

/** SaaS targets whose writes run on a task queue of their own (`<queue>.<vendor>`): one queue per vendor account. */
export const VENDOR_TARGETS = ['attio', 'front'] as const;

/** The task queue a target's load pages run on: the vendor's own for a SaaS target, else the main one. */
export function loadTaskQueue(mainQueue: string, targetKind: string | undefined): string {
  return targetKind && (VENDOR_TARGETS as readonly string[]).includes(targetKind)
    ? `${mainQueue}.${targetKind}`
    : mainQueue;
}

/** The loading phases: a stratified sample, everything, or what changed since. */
export type LoadPhase = Extract<Phase, 'sample' | 'full' | 'delta'>;

/** The workflow id of the child that loads one object in one phase. */
export function objectWorkflowId(migrationId: string, phase: LoadPhase, object: string): string {
  return `${migrationId}/${phase}/${object}`;
}

/** The go-live weekend of a migration: one workflow (`tern cutover`), beside its phases. */
export function cutoverWorkflowId(migrationId: string): string {
  return `${migrationId}/cutover`;
}
