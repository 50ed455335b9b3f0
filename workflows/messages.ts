// The queries, signals and updates a loading phase and its object children answer: names shared with clients.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Approval, ObjectProgress, PhaseProgress } from './phase-state';

export const progressQuery = defineQuery<PhaseProgress>('progress');
/** One object's load, answered by its child workflow. */
export const objectProgressQuery = defineQuery<ObjectProgress>('progress');
/** Who pauses (recorded in the audit log) and why (also shown by `tern status`). */
export const pauseSignal = defineSignal<[{ reason?: string; by?: string }?]>('pause');
export const resumeSignal = defineSignal<[{ by?: string }?]>('resume');
/** A cutover manager lets a gated phase write to the target: who, and why (both required). */
export const approveUpdate = defineUpdate<Approval, [Approval]>('approve');
/**
 * A cutover manager asks for a rollback from the running phase (who and why, validated): the phase starts
 * the rollback workflow, which cancels the phase's work in flight and undoes what Tern wrote.
 */
export const rollbackUpdate = defineUpdate<{ rollbackWorkflowId: string }, [{ reason: string; by: string }]>(
  'rollback',
);
/** A child tells its phase how its object is doing, after every page. */
export const objectProgressSignal = defineSignal<[ObjectProgress]>('objectProgress');
