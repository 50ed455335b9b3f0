// What a cutover workflow carries and answers: its input, each step's state, the people's decisions, its result.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CutoverStepName } from '../plan/cutover-schema';

export type { CutoverStepName } from '../plan/cutover-schema';

export interface CutoverInput {
  migrationId: string;
  /** The plan version the cutover (and its delta and rollback) runs, pinned when it started. */
  planHash: string;
  /** Object names in dependency order, and what each waits for (names only): the delta's and rollback's input. */
  objects: string[];
  prerequisites?: Record<string, string[]>;
  /** What each object waits to be proven before it starts (see PhaseInput.proofPrerequisites). */
  proofPrerequisites?: Record<string, string[]>;
  /** Plan's source and target kinds: the children's search attributes, the delta's vendor task queue. */
  sourceKind: string;
  targetKind: string;
  /** Delta: seconds before the previous high-water mark still read as changed. */
  overlapSeconds?: number;
  /** Each runbook step's deadline, in seconds from the cutover's start (the plan's timeline). */
  deadlines: { step: CutoverStepName; seconds: number }[];
  /** Who started the cutover. */
  by: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface CutoverStepStatus {
  step: CutoverStepName;
  state: StepState;
  /** When the step is due to be done (ISO), from the cutover's start and the plan's timeline. */
  deadlineAt: string;
  startedAt?: string;
  endedAt?: string;
  /** The deadline passed while the step was still running: alerted (audit, status), and the step went on. */
  overdue: boolean;
  overdueAt?: string;
}

/** People's decisions: who, why, when (workflow time). */
export interface Freeze {
  by: string;
  reason: string;
  at: string;
}
export interface SignOff extends Freeze {
  /** The content hash of the proof pack signed off (`tern report <plan> --html`). */
  reportHash: string;
}
export interface Decision extends Freeze {
  go: boolean;
}

/** The proof pack presented for sign-off: names, a path and counts only (its content stays in staging). */
export interface PresentedPack {
  contentHash: string;
  path: string;
  bytes: number;
  ok: boolean;
  failures: number;
}

export type CutoverOutcome = 'live' | 'rolled back' | 'rollback failed';

export interface CutoverProgress {
  migrationId: string;
  phase: 'cutover';
  startedAt: string;
  /** The step running now (null once the cutover is over). */
  current: CutoverStepName | null;
  steps: CutoverStepStatus[];
  freeze?: Freeze;
  signoff?: SignOff;
  decision?: Decision;
  /** The delta's and the whole reconciliation's verdicts, once known. */
  deltaOk?: boolean;
  reconcileOk?: boolean;
  /** The proof pack the cutover wrote for the sign-off (on the worker's machine): where, its hash, its verdict. */
  proofPack?: PresentedPack;
  /** Why the cutover rolls back, when it does. */
  rollbackReason?: string;
  outcome?: CutoverOutcome;
}

export interface CutoverResult extends Omit<CutoverProgress, 'current'> {
  ok: boolean;
  outcome: CutoverOutcome;
  /** The child workflows that ran the final delta and, on no-go, the rollback. */
  deltaWorkflowId?: string;
  rollbackWorkflowId?: string;
  rollbackOk?: boolean;
  /** Each object of the whole reconciliation: its verdict and checksum mismatches (names and counts only). */
  reconciliation: { object: string; ok: boolean; checksumMismatches: number }[];
}

/** A person's word to the cutover: who and why, both required. */
export interface CutoverRequest {
  by: string;
  reason: string;
}

export const cutoverProgressQuery = defineQuery<CutoverProgress>('progress');
/** The source is frozen: nothing changes in it any more (who froze it, and how). */
export const freezeUpdate = defineUpdate<Freeze, [CutoverRequest]>('freeze');
/** The proof pack is signed off: who, why, and the content hash of the pack they read. */
export const signoffUpdate = defineUpdate<SignOff, [CutoverRequest & { reportHash: string }]>('signoff');
/** Go live, or not: after the sign-off for a go; a no-go any time after the reconciliation. */
export const decisionUpdate = defineUpdate<Decision, [CutoverRequest & { go: boolean }]>('decision');

/** The problem with a person's request (who, why, a hash when one is needed), or null. */
export function cutoverRequestProblem(
  control: 'freeze' | 'signoff' | 'go' | 'nogo',
  request: Partial<CutoverRequest & { reportHash: string }> | undefined,
): string | null {
  const by = typeof request?.by === 'string' ? request.by.trim() : '';
  const reason = typeof request?.reason === 'string' ? request.reason.trim() : '';
  if (!by) return `${control} needs \`by\`: who`;
  if (reason.length < 5) return `${control} needs a \`reason\` of at least 5 characters`;
  if (control === 'signoff' && !/^[0-9a-f]{16,128}$/.test(request?.reportHash ?? ''))
    return 'signoff needs `reportHash`: the content hash of the proof pack signed off (hex, as `tern report` prints it)';
  return null;
}
