// What a loading phase carries: its input, its state across continue-as-new, progress, result; and the arithmetic.
import type { LoadPageResult, LoadRange, ObjectReconciliation } from '../activities';
import type { DeltaExtractResult } from '../activities/delta';
import type { ObjectSample } from '../activities/sample';
import type { LoadPhase, Phase } from './ids';

export interface ObjectProgress {
  object: string;
  stage: 'waiting' | 'extracting' | 'prepared' | 'loading' | 'reconciling' | 'done';
  /** Records this phase will load (known once prepared). */
  total: number;
  /** Records processed by load pages (written, unchanged or quarantined). */
  done: number;
  written: number;
  quarantined: number;
  deleted: number;
  conflicts: number;
  /** Records per second over the load so far, from the activities' clocks. */
  rate: number | null;
  /** Seconds left at the current rate. */
  etaSeconds: number | null;
  /** Where the only range stands (a load made before ranges; kept for a progress carried from it). */
  cursor: string | null;
  /** The object's source-id ranges, each with its own cursor (`after`); one entry per range, never per page. */
  ranges?: RangeProgress[];
  firstPageAt?: number;
  lastPageAt?: number;
}

/** One range of an object's load: its cursor moves through `after`, and it is finished when a page finds nothing. */
export interface RangeProgress extends LoadRange {
  finished: boolean;
}

export interface Approval {
  by: string;
  reason: string;
}

/** What a phase carries across continue-as-new: one entry per object, never one per record or page. */
export interface PhaseState {
  objects: ObjectProgress[];
  reconciliations: ObjectReconciliation[];
  prepared: boolean;
  sample?: ObjectSample[];
  delta?: DeltaExtractResult[];
  paused: boolean;
  pauseReason?: string;
  approval?: Approval;
}

export interface PhaseInput {
  migrationId: string;
  phase: LoadPhase;
  /**
   * The hash of the plan version the phase runs, pinned when it started: its activities load that version, an
   * edited plan waits for the next phase. Absent in phases started before plans were pinned (the current plan).
   */
  planHash?: string;
  /** Object names in dependency order (from the plan; names only, never credentials). */
  objects: string[];
  /**
   * For each object, the objects that must have finished loading before it starts (names only). Objects with
   * nothing left to wait for load concurrently. Absent, objects load one after another in the order given.
   */
  prerequisites?: Record<string, string[]>;
  /**
   * For each object, the objects that must have been loaded AND reconciled before it starts (names only): the target
   * learns, while reading an object back, what another object's load would otherwise ask it for (Front: the
   * conversation each thread's messages opened). Absent (phases started before), only `prerequisites` apply.
   */
  proofPrerequisites?: Record<string, string[]>;
  /** Wait for an `approve` Update (who and why) before writing to the target. */
  gate?: boolean;
  /** Delta only: seconds before the previous high-water mark still read as changed. */
  overlapSeconds?: number;
  /** The plan's target kind: a SaaS target's load pages run on its vendor's task queue. */
  targetKind?: string;
  /** Carried across continue-as-new. */
  state?: PhaseState;
}

export interface PhaseResult {
  migrationId: string;
  phase: Phase;
  ok: boolean;
  objects: ObjectReconciliation[];
  sample?: ObjectSample[];
  delta?: DeltaExtractResult[];
  approval?: Approval;
}

/** What the `progress` query of a phase answers. */
export interface PhaseProgress {
  migrationId: string;
  phase: Phase;
  paused: boolean;
  pauseReason?: string;
  awaitingApproval: boolean;
  approval?: Approval;
  objects: Omit<ObjectProgress, 'cursor' | 'ranges' | 'firstPageAt' | 'lastPageAt'>[];
}

export function newProgress(object: string, stage: ObjectProgress['stage']): ObjectProgress {
  return {
    object,
    stage,
    total: 0,
    done: 0,
    written: 0,
    quarantined: 0,
    deleted: 0,
    conflicts: 0,
    rate: null,
    etaSeconds: null,
    cursor: null,
  };
}

/** An object whose records are all in the target: dependents may start while it reconciles. */
export function hasLoaded(progress: ObjectProgress): boolean {
  return progress.stage === 'reconciling' || progress.stage === 'done';
}

/** Adds one page to the object's progress: counts, and a rate and ETA from the activities' clocks. */
export function countPage(progress: ObjectProgress, page: LoadPageResult): void {
  progress.done += page.read;
  progress.written += page.written;
  progress.quarantined += page.quarantined;
  progress.deleted += page.deleted;
  progress.conflicts += page.conflicts;
  progress.total = Math.max(progress.total, progress.done);
  progress.firstPageAt = Math.min(progress.firstPageAt ?? page.startedAt, page.startedAt);
  progress.lastPageAt = Math.max(progress.lastPageAt ?? page.finishedAt, page.finishedAt);
  const seconds = (progress.lastPageAt - progress.firstPageAt) / 1000;
  progress.rate = seconds > 0 ? Math.round((progress.done / seconds) * 10) / 10 : null;
  progress.etaSeconds = progress.rate ? Math.ceil(Math.max(progress.total - progress.done, 0) / progress.rate) : null;
}
