import { msToNumber } from '@temporalio/common/lib/time';
import { FaultInjector, type FaultSpec } from '../../../sandboxes/core/faults';
import type { SandboxStats } from '../../../sandboxes/core/server';
import { LOAD_PAGE, VENDOR_BATCH } from '../../../workflows/options';

/** The longest heartbeat timeout of the activities that write to a target. */
export function loadHeartbeatTimeoutMs(): number {
  return Math.max(
    ...[LOAD_PAGE.heartbeatTimeout, VENDOR_BATCH.heartbeatTimeout].map((t) => (t === undefined ? 0 : msToNumber(t))),
  );
}

/**
 * The SaaS sandbox's faults during the full phase: 5% 5xx, 2% of writes committed and then dropped, a 429 burst
 * of 2 s every 15 s, and 1% of responses 3 s slower than the load activities' heartbeat timeout (so Temporal
 * gives the attempt up while its request is still being answered).
 */
export function chaosSandboxFaults(): Partial<FaultSpec> {
  return {
    error5xx: 0.05,
    commitThenDrop: 0.02,
    burst429: { everyMs: 15_000, forMs: 2000 },
    slow: { rate: 0.01, ms: loadHeartbeatTimeoutMs() + 3000 },
  };
}

/**
 * Counts the responses the sandboxes' `slow` fault delayed (their stats count every other fault, not this one):
 * wraps FaultInjector's decision while the benchmark runs. `restore` puts the original back.
 */
export function countSlowResponses(): { count(): number; restore(): void } {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound below with apply
  const original = FaultInjector.prototype.decide;
  let slowed = 0;
  FaultInjector.prototype.decide = function decide(this: FaultInjector, ...args: Parameters<typeof original>) {
    const fate = original.apply(this, args);
    const slow = this.current.slow;
    if (slow && slow.ms > 0 && slow.rate > 0 && fate.delayMs >= slow.ms) slowed += 1;
    return fate;
  };
  return {
    count: () => slowed,
    restore: () => {
      FaultInjector.prototype.decide = original;
    },
  };
}

/** What the sandbox injected between two readings of its stats. */
export function injectedBetween(before: SandboxStats, after: SandboxStats) {
  return {
    error5xx: after.injected5xx - before.injected5xx,
    commitThenDrop: after.commitThenDrop - before.commitThenDrop,
    burst429: after.injected429 - before.injected429,
  };
}

/** A copy of the counters of a sandbox's stats (the object itself keeps changing). */
export const statsNow = (stats: SandboxStats): SandboxStats => ({ ...stats, byOperation: { ...stats.byOperation } });
