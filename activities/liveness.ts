import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';

/**
 * An activity's sign of life, independent of what it is waiting on. A request or a query can take longer than
 * the heartbeat timeout; if the activity only heartbeats between steps, Temporal declares it dead and starts a
 * second attempt while the first is still writing. So a running activity heartbeats on a timer (with the
 * latest resume details), and everything it waits on is tied to `signal`, which aborts when Temporal cancels
 * the activity (a rollback, a cancelled phase) or times it out: the attempt stops instead of racing its
 * successor.
 */
export interface Liveness {
  /** Aborts when the activity is cancelled, timed out or its worker is shutting down. */
  readonly signal: AbortSignal;
  /** Records resume details (sent with the next heartbeat) and heartbeats now. */
  beat(details?: unknown): void;
  /** Throws the cancellation when the activity was cancelled. Call before every write. */
  throwIfCancelled(): void;
  /** Details the previous attempt of this activity heartbeated, if any (to resume instead of starting over). */
  readonly resumeDetails: unknown;
  /** Stops the timer; call in a finally. */
  stop(): void;
}

const NEVER = new AbortController().signal;

/** How often a live activity heartbeats: well inside the shortest heartbeat timeout (15 s). */
export const HEARTBEAT_EVERY_MS = 3_000;

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // Not inside an activity (the CLI reconciles and validates directly).
  }
}

/** Starts the timer heartbeat of the current activity; outside an activity it is a no-op. */
export function keepAlive(initialDetails?: unknown, everyMs = HEARTBEAT_EVERY_MS): Liveness {
  const context = currentContext();
  if (!context) {
    return {
      signal: NEVER,
      beat: () => undefined,
      throwIfCancelled: () => undefined,
      resumeDetails: undefined,
      stop: () => undefined,
    };
  }
  // Every request and query in flight listens for the cancellation; a page runs many side by side.
  setMaxListeners(256, context.cancellationSignal);
  let details = initialDetails;
  const beat = (next?: unknown) => {
    if (next !== undefined) details = next;
    context.heartbeat(details);
  };
  const timer = setInterval(() => beat(), everyMs);
  timer.unref();
  const resumeDetails = context.info.heartbeatDetails as unknown;
  return {
    signal: context.cancellationSignal,
    beat,
    throwIfCancelled: () => {
      if (context.cancellationSignal.aborted) throw cancellationOf(context.cancellationSignal);
    },
    resumeDetails,
    stop: () => clearInterval(timer),
  };
}

function cancellationOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`activity cancelled: ${String(reason)}`);
}

/** Runs `fn` with the activity kept alive; the timer stops however `fn` ends. */
export async function whileAlive<T>(
  initialDetails: unknown,
  fn: (liveness: Liveness) => Promise<T>,
  everyMs = HEARTBEAT_EVERY_MS,
): Promise<T> {
  const liveness = keepAlive(initialDetails, everyMs);
  try {
    return await fn(liveness);
  } finally {
    liveness.stop();
  }
}
