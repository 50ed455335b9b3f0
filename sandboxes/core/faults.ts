import { z } from 'zod';
import { ConfigError } from '../../common/errors';
import { seededRandom } from '../../common/random';

/**
 * What a sandbox does wrong on purpose. Every rate is a probability per request (0..1), drawn from a seeded
 * generator so a test run is repeatable.
 */
export const faultSpecSchema = z
  .object({
    /** Share of requests answered 500/502/503 without being processed. */
    error5xx: z.number().min(0).max(1).default(0),
    /** Share of requests whose connection is reset before they are processed. */
    reset: z.number().min(0).max(1).default(0),
    /** Share of writes that are committed, after which the connection is dropped: the client never hears. */
    commitThenDrop: z.number().min(0).max(1).default(0),
    /** 429 bursts: every `everyMs`, for `forMs`, every request gets a 429 (counted apart from rate limiting). */
    burst429: z.object({ everyMs: z.number().int().positive(), forMs: z.number().int().positive() }).optional(),
    /** Share of requests that take `ms` longer. */
    slow: z.object({ rate: z.number().min(0).max(1), ms: z.number().int().nonnegative() }).optional(),
    /** Latency added to every request, uniformly drawn between min and max milliseconds. */
    latency: z.object({ minMs: z.number().int().nonnegative(), maxMs: z.number().int().nonnegative() }).optional(),
    /**
     * Deterministic slowness: the next `count` requests of an operation (its operationId, or a raw route's name)
     * take `ms` longer, before they are handled. Counted from when the faults are set.
     */
    slowNext: z
      .array(
        z
          .object({
            operation: z.string().min(1),
            count: z.number().int().positive().default(1),
            ms: z.number().int().nonnegative(),
          })
          .strict(),
      )
      .optional(),
    /**
     * The next `writes` write requests (of `operation` only, when named: e.g. `put /v2/objects/{object}/records`)
     * are held open, unprocessed, until `POST /__admin/release`; then they are processed normally, i.e. they
     * commit, as a vendor finishes a request it already received. A request in flight at a chosen moment, made
     * deterministic (a rollback started while a page is writing).
     */
    hold: z
      .object({ writes: z.number().int().nonnegative(), operation: z.string().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

export type FaultSpec = z.infer<typeof faultSpecSchema>;

const FAULT_HELP =
  'write faults as comma-separated key=value pairs: 5xx=0.05, reset=0.01, drop=0.02 (commit then drop), ' +
  'burst=10000/1000 (every 10 s, 1 s of 429s), slow=0.01/2000 (1% of requests 2 s slower), latency=5-20 (ms), ' +
  'hold=1 (the next write is held until POST /__admin/release)';

/** Parses `5xx=0.05,drop=0.02,burst=10000/1000,slow=0.01/2000,latency=5-20` (the CLI form). */
export function parseFaultSpec(text: string | undefined): FaultSpec {
  const spec: Record<string, unknown> = {};
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const bad = () => new ConfigError(`fault "${part}" is not understood`, FAULT_HELP);
    if (!key || value === undefined) throw bad();
    const num = (s: string | undefined) => {
      const n = Number(s);
      if (s === undefined || s === '' || !Number.isFinite(n)) throw bad();
      return n;
    };
    switch (key) {
      case '5xx':
        spec.error5xx = num(value);
        break;
      case 'reset':
        spec.reset = num(value);
        break;
      case 'drop':
        spec.commitThenDrop = num(value);
        break;
      case 'burst': {
        const [every, dur] = value.split('/');
        spec.burst429 = { everyMs: num(every), forMs: num(dur) };
        break;
      }
      case 'slow': {
        const [rate, ms] = value.split('/');
        spec.slow = { rate: num(rate), ms: num(ms) };
        break;
      }
      case 'latency': {
        const [min, max] = value.split('-');
        spec.latency = { minMs: num(min), maxMs: num(max ?? min) };
        break;
      }
      case 'hold':
        spec.hold = { writes: num(value) };
        break;
      default:
        throw bad();
    }
  }
  const parsed = faultSpecSchema.safeParse(spec);
  if (!parsed.success) throw new ConfigError(`faults "${text}": ${parsed.error.issues[0]!.message}`, FAULT_HELP);
  return parsed.data;
}

/** One request's fate, decided before it is handled. */
export interface FaultDecision {
  burst429RetryAfterMs?: number;
  reset: boolean;
  error5xx?: number;
  commitThenDrop: boolean;
  delayMs: number;
  /** A `slowNext` entry slowed this request. */
  slowedNext: boolean;
}

/** Draws each request's faults from a seeded generator; the burst clock starts when the sandbox starts. */
export class FaultInjector {
  private random: () => number;
  private spec: FaultSpec;
  /** Whole seconds, so bursts start and end on a second (Attio's Retry-After is an HTTP date, to the second). */
  private startedAt = Math.floor(Date.now() / 1000) * 1000;

  /** What is left of each `slowNext` entry. */
  private slowLeft: number[];
  /** Writes still to hold under `hold` (counted down as they arrive). */
  private holdsLeft: number;

  constructor(spec: FaultSpec, seed: number) {
    this.spec = spec;
    this.random = seededRandom(seed ^ 0x5eed);
    this.slowLeft = (spec.slowNext ?? []).map((s) => s.count);
    this.holdsLeft = spec.hold?.writes ?? 0;
  }

  set(spec: FaultSpec): void {
    this.spec = spec;
    this.startedAt = Math.floor(Date.now() / 1000) * 1000;
    this.slowLeft = (spec.slowNext ?? []).map((s) => s.count);
    this.holdsLeft = spec.hold?.writes ?? 0;
  }

  /** Whether this request is to be held until released (and counts it against `hold.writes`). */
  takeHold(isWrite: boolean, operationId: string): boolean {
    const hold = this.spec.hold;
    if (!isWrite || !hold || this.holdsLeft <= 0) return false;
    if (hold.operation !== undefined && hold.operation !== operationId) return false;
    this.holdsLeft -= 1;
    return true;
  }

  /** How much of [from, to] fell inside injected 429 bursts. */
  burstMillis(from: number, to: number): number {
    const b = this.spec.burst429;
    if (!b || to <= from) return 0;
    let total = 0;
    const burstStart = b.everyMs - b.forMs;
    for (
      let period = Math.floor((from - this.startedAt) / b.everyMs);
      this.startedAt + period * b.everyMs < to;
      period++
    ) {
      const start = this.startedAt + period * b.everyMs + burstStart;
      const end = start + b.forMs;
      total += Math.max(0, Math.min(end, to) - Math.max(start, from));
    }
    return total;
  }

  get current(): FaultSpec {
    return this.spec;
  }

  decide(isWrite: boolean, now = Date.now(), operation?: string): FaultDecision {
    const s = this.spec;
    let burst429RetryAfterMs: number | undefined;
    if (s.burst429) {
      const phase = (now - this.startedAt) % s.burst429.everyMs;
      // The burst sits at the end of each period, so a run is never throttled in its first moments.
      const burstStart = s.burst429.everyMs - s.burst429.forMs;
      if (now - this.startedAt >= burstStart && phase >= burstStart) burst429RetryAfterMs = s.burst429.everyMs - phase;
    }
    const r = this.random;
    const reset = s.reset > 0 && r() < s.reset;
    const error5xx = s.error5xx > 0 && r() < s.error5xx ? [500, 502, 503][Math.floor(r() * 3)] : undefined;
    const commitThenDrop = isWrite && s.commitThenDrop > 0 && r() < s.commitThenDrop;
    let delayMs = 0;
    if (s.latency) delayMs += s.latency.minMs + Math.floor(r() * (s.latency.maxMs - s.latency.minMs + 1));
    if (s.slow && r() < s.slow.rate) delayMs += s.slow.ms;
    const slowAt =
      operation === undefined
        ? -1
        : (s.slowNext ?? []).findIndex((x, i) => x.operation === operation && this.slowLeft[i]! > 0);
    const slowedNext = slowAt >= 0;
    if (slowedNext) {
      this.slowLeft[slowAt] = this.slowLeft[slowAt]! - 1;
      delayMs += s.slowNext![slowAt]!.ms;
    }
    return { burst429RetryAfterMs, reset, error5xx, commitThenDrop, delayMs, slowedNext };
  }
}
