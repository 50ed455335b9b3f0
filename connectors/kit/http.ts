import http from 'node:http';
import https from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import { ConfigError } from '../../common/errors';
import { logger as rootLogger } from '../../common/logger';
import { baseUrlProblem, originOf } from '../../common/origins';
import { redactCredentials } from '../../common/redact';
import { countRateLimited, countVendorRequest } from '../../common/metrics';
import type { VendorBudget } from './budget';
import {
  classifyResponse,
  classifyTransportError,
  CredentialError,
  RateLimitedError,
  RetryableError,
  UnknownOutcomeError,
  VendorError,
} from './errors';
import type { RateGovernor } from './governor';

/** How a connector authenticates: by the names of environment variables, never by the secrets themselves. */
export type CredentialRef =
  | { kind: 'bearer'; tokenEnv: string }
  /** Zendesk API token: Basic base64("{email}/token:{token}"). */
  | { kind: 'basic-token'; emailEnv: string; tokenEnv: string };

/** Where a connector talks to: the vendor (or its sandbox) and the credential to use. Safe to log. */
export interface VendorConnection {
  baseUrl: string;
  credentials: CredentialRef;
}

/** What every SaaS connector declares about its vendor. */
export interface VendorDeclaration {
  vendor: string;
  /** The vendor's production base URL (a plan or TERN_<VENDOR>_BASE_URL may point elsewhere, e.g. a sandbox). */
  defaultBaseUrl: string;
  budget: VendorBudget;
}

export interface VendorRequest {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** A path under the base URL, or an absolute URL the vendor gave us (next-page links). */
  url: string;
  params?: Record<string, string | number | boolean | undefined>;
  data?: unknown;
  /** Name for logs and errors, e.g. "create person". */
  operation: string;
  /**
   * True when sending the request twice cannot write twice (reads, upserts, deletes). A non-idempotent write
   * whose outcome is unknown is never resent here: the write protocol looks the record up first.
   */
  idempotent?: boolean;
  /** Expected record-level statuses that are answers, not errors (e.g. 404 on a lookup). */
  accept?: number[];
  /**
   * The whole request's limit, in place of the client's (a multipart upload streams files from the source and
   * may take longer than a JSON call; its files are watched for stalls apart).
   */
  timeoutMs?: number;
  /**
   * The request works on the account's own set-up rather than on a record (its metadata read; a tag, attribute or
   * option created or removed): paid once whatever the number of records, so estimates add it once instead of
   * scaling it with them.
   */
  setup?: boolean;
}

export interface VendorClientOptions {
  governor: RateGovernor;
  env?: NodeJS.ProcessEnv;
  /** The whole of one request, from sending to the last byte of the answer (default 30 s). */
  timeoutMs?: number;
  /** The same for a write that is not safe to resend (default 90 s): its timeout leaves an unknown outcome. */
  writeTimeoutMs?: number;
  /** A download: the longest silence between two chunks before it is abandoned as stalled (default 30 s). */
  idleTimeoutMs?: number;
  /** A download: the whole of it, however steadily it flows (default 10 min). */
  downloadTimeoutMs?: number;
  /**
   * Aborts when the caller is cancelled (the activity was cancelled or timed out): waiting for budget, for a
   * backoff or before a download stops at once. A request already sent is left to finish, bounded by its timeout.
   */
  signal?: AbortSignal;
  /** Attempts for a retryable failure before the error goes up to the activity (and Temporal's retry policy). */
  maxAttempts?: number;
  /** A 429 asking to wait longer than this fails the call (the activity retries with nextRetryDelay). */
  maxInlineWaitMs?: number;
  /** Called while waiting (budget, backoff) and every few seconds while a request is in flight, e.g. to heartbeat. */
  onWait?: () => void;
  /**
   * Called for every request sent (retries included): each one counts against the vendor's limit. `setup` is the
   * request's own (`VendorRequest.setup`).
   */
  onRequest?: (vendor: string, setup: boolean) => void;
}

function secret(env: NodeJS.ProcessEnv, name: string, vendor: string): string {
  const value = env[name]?.trim();
  if (!value)
    throw new CredentialError(`${vendor}: the credential variable ${name} is not set`, name, vendor, undefined);
  return value;
}

function authorization(ref: CredentialRef, env: NodeJS.ProcessEnv, vendor: string): string {
  if (ref.kind === 'bearer') return `Bearer ${secret(env, ref.tokenEnv, vendor)}`;
  const pair = `${secret(env, ref.emailEnv, vendor)}/token:${secret(env, ref.tokenEnv, vendor)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/** A duration for people: `400 ms`, `30 s`. */
const duration = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`);

/** How often a waiting or in-flight call reports that it is alive (`onWait`). */
const ALIVE_EVERY_MS = 3_000;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(`cancelled: ${String(reason)}`);
}

/** Waits `ms`, or less when `signal` aborts (then throws its reason). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Awaits `promise` unless `signal` aborts first. What the promise yields after an abort is handed to `late`
 * (e.g. a budget slot to give back), so nothing leaks.
 */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, late: (value: T) => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.then(late, () => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      promise.then(late, () => undefined);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * A download's body, watched: it fails when the source sends nothing for `idleMs` while the reader waits for it
 * (a stalled transfer; a reader that is busy elsewhere, e.g. a multipart upload still sending an earlier file,
 * does not count) or when the whole took longer than `totalMs`, so a reader never waits forever.
 */
export function watchedStream(source: Readable, idleMs: number, totalMs: number, what: string): Readable {
  const out = new PassThrough();
  let idle: NodeJS.Timeout | undefined;
  const disarm = () => clearTimeout(idle);
  const fail = (message: string) => {
    disarm();
    clearTimeout(total);
    const err = Object.assign(new Error(message), { code: 'ETIMEDOUT' });
    source.destroy(err);
    out.destroy(err);
  };
  const arm = () => {
    disarm();
    idle = setTimeout(() => fail(`${what}: stalled, no data for ${duration(idleMs)}`), idleMs);
  };
  const total = setTimeout(() => fail(`${what}: not finished after ${duration(totalMs)}`), totalMs);
  const done = () => {
    disarm();
    clearTimeout(total);
  };
  arm();
  source.on('data', (chunk: Buffer) => {
    if (out.write(chunk)) arm();
    else {
      // The reader is behind: the source waits for it, which is no stall.
      disarm();
      source.pause();
    }
  });
  out.on('drain', () => {
    arm();
    source.resume();
  });
  source.on('end', () => {
    done();
    out.end();
  });
  source.on('error', (err) => {
    done();
    out.destroy(err);
  });
  out.on('close', () => {
    done();
    if (!source.readableEnded) source.destroy();
  });
  return out;
}

/** A URL's origin for a message (never its path, query or user), or a note that it is not one. */
function originOrText(url: string): string {
  try {
    return originOf(url, url);
  } catch {
    return '(not a URL)';
  }
}

/** Full-jitter exponential backoff: 200 ms, 400 ms, … capped at 10 s. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(10_000, 200 * 2 ** (attempt - 1));
}

/**
 * The one HTTP client of every SaaS connector: authenticates from credential references, spends the vendor
 * budget through the governor, classifies failures, retries what is safe to retry, and logs without secrets.
 */
export class VendorClient {
  private readonly http: AxiosInstance;
  private readonly log;
  private readonly credentialEnv: string;

  constructor(
    readonly declaration: VendorDeclaration,
    readonly connection: VendorConnection,
    private readonly options: VendorClientOptions,
    /** The connections of the client this one is a caller's view of (`forCaller`). */
    shared?: AxiosInstance,
  ) {
    const env = options.env ?? process.env;
    const problem = baseUrlProblem(connection.baseUrl);
    if (problem)
      throw new ConfigError(
        `${declaration.vendor}: the base URL ${originOrText(connection.baseUrl)} ${problem}`,
        `set baseUrl in the plan to the ${declaration.vendor} API's https:// URL (${declaration.defaultBaseUrl})`,
      );
    this.credentialEnv = connection.credentials.tokenEnv;
    this.http =
      shared ??
      axios.create({
        baseURL: connection.baseUrl.replace(/\/$/, ''),
        timeout: options.timeoutMs ?? 30_000,
        headers: {
          authorization: authorization(connection.credentials, env, declaration.vendor),
          'content-type': 'application/json',
        },
        validateStatus: () => true,
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
        httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
        maxRedirects: 0,
      });
    this.log = rootLogger.child({ vendor: declaration.vendor });
  }

  /**
   * This client for another caller: the same connections, credentials and governor, with the caller's own
   * cancellation, heartbeat and request count. A worker process keeps one client per account; each activity
   * talks through its own view.
   */
  forCaller(caller: Pick<VendorClientOptions, 'signal' | 'onWait' | 'onRequest'>): VendorClient {
    return new VendorClient(this.declaration, this.connection, { ...this.options, ...caller }, this.http);
  }

  get vendor(): string {
    return this.declaration.vendor;
  }

  /** Requests this process may have in flight for the account (the governor's concurrency). */
  get concurrency(): number {
    return this.options.governor.budget.concurrency;
  }

  /**
   * Throws unless `url` (a path, or an absolute URL the vendor answered with: a next-page link, a file) is on the
   * account's own origin, scheme, host and port: the client's every request carries the account's credential, so
   * a link to anywhere else is refused before anything is sent.
   */
  private assertOwnOrigin(url: string, what: string): URL {
    const base = new URL(this.connection.baseUrl);
    // As axios reads it: `scheme://…` and `//host/…` are absolute, anything else is a path under the base.
    const absolute = /^([a-z][a-z\d+\-.]*:)?\/\//i.test(url);
    const target = new URL(absolute ? url : `${base.pathname.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`, base);
    if (target.origin !== base.origin)
      throw new VendorError(
        `${this.vendor}: ${what}: refusing to send the account's credentials to ${target.origin}, outside the account's ${base.origin} (a link the vendor answered with)`,
        `nothing was sent there; check that baseUrl in the plan is the ${this.vendor} API's own URL (Tern follows links only on it)`,
        this.vendor,
        undefined,
      );
    return target;
  }

  /** Sends one request under the budget; returns the response of a success (or of an accepted status). */
  async request<T = unknown>(req: VendorRequest): Promise<AxiosResponse<T>> {
    this.assertOwnOrigin(req.url, req.operation);
    const maxAttempts = this.options.maxAttempts ?? 6;
    const maxInlineWaitMs = this.options.maxInlineWaitMs ?? 60_000;
    const write = req.method !== 'get' && !req.idempotent;
    const ctx = { vendor: this.vendor, operation: req.operation, write, credentialEnv: this.credentialEnv };
    const signal = this.options.signal;
    // A create that times out has an unknown outcome (to be looked up, and the vendor may still commit it after
    // the lookup): writes are given longer before Tern stops waiting; the caller stays alive meanwhile.
    const timeoutMs =
      req.timeoutMs ?? (write ? (this.options.writeTimeoutMs ?? 90_000) : (this.options.timeoutMs ?? 30_000));
    for (let attempt = 1; ; attempt++) {
      // Waiting for the budget (a shared pause after a 429 can last a minute) keeps the caller alive; a
      // cancelled caller stops waiting (a slot granted meanwhile is given back).
      const onWait = this.options.onWait;
      let alive = onWait ? setInterval(onWait, ALIVE_EVERY_MS) : undefined;
      let release: () => void;
      const waitFrom = Date.now();
      try {
        release = await unlessAborted(this.options.governor.acquire(), signal, (late) => late());
      } finally {
        clearInterval(alive);
      }
      const { key, budget } = this.options.governor;
      countVendorRequest(this.vendor, key, budget.ratePerSecond, Date.now() - waitFrom);
      this.options.onRequest?.(this.vendor, req.setup === true);
      const started = Date.now();
      let failure: VendorError | undefined;
      let response: AxiosResponse<T> | undefined;
      // A request in flight is the caller's work: it stays alive until the answer (or the timeout) comes.
      alive = onWait ? setInterval(onWait, ALIVE_EVERY_MS) : undefined;
      // The whole request is bounded (axios' own timeout only watches the socket's silence). Not tied to the
      // caller's cancellation: a request already sent finishes, so its outcome is known.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      try {
        // A streamed body (a multipart upload) is built afresh for every attempt: a stream is read only once.
        const data: unknown = typeof req.data === 'function' ? await (req.data as () => unknown)() : req.data;
        // A multipart form brings its own content type (with its boundary) in place of JSON's.
        const formHeaders =
          data !== null && typeof data === 'object' && 'getHeaders' in data
            ? (data as { getHeaders(): Record<string, string> }).getHeaders()
            : undefined;
        response = await this.http.request<T>({
          method: req.method,
          url: req.url,
          params: req.params,
          data,
          timeout: timeoutMs,
          signal: deadline.signal,
          ...(formHeaders ? { headers: formHeaders } : {}),
        });
        this.options.governor.observe(response.headers);
        if (!req.accept?.includes(response.status)) failure = classifyResponse(response, ctx);
      } catch (err) {
        if (!isAxiosError(err)) throw err;
        if (deadline.signal.aborted) {
          err.code = 'ETIMEDOUT';
          err.message = `timed out after ${duration(timeoutMs)}`;
        }
        failure = classifyTransportError(err, ctx);
      } finally {
        clearTimeout(timer);
        clearInterval(alive);
        release();
      }
      this.log.debug(
        {
          operation: req.operation,
          method: req.method,
          url: redactCredentials(req.url),
          status: response?.status,
          ms: Date.now() - started,
          attempt,
        },
        'vendor request',
      );
      if (!failure) return response!;
      if (failure instanceof RateLimitedError) {
        countRateLimited(this.vendor);
        const wait = failure.retryAfterMs ?? 1000;
        await this.options.governor.pause(wait, `${req.operation}: 429`);
        if (wait > maxInlineWaitMs || attempt >= maxAttempts * 3) throw failure;
        this.options.onWait?.();
        continue;
      }
      if (failure instanceof UnknownOutcomeError) throw failure;
      if (!(failure instanceof RetryableError) || attempt >= maxAttempts) throw failure;
      this.log.debug({ operation: req.operation, attempt, error: failure.message }, 'retrying');
      this.options.onWait?.();
      await sleep(failure.retryAfterMs ?? backoffMs(attempt), signal);
    }
  }

  /**
   * Streams a file the vendor serves (an attachment's content URL) with the account's credentials: never
   * buffered whole. Only URLs of the account's own host are fetched, so the credential goes nowhere else.
   * Downloads do not count against the API's rate limit (Zendesk serves them apart).
   */
  async download(url: string): Promise<Readable> {
    const target = this.assertOwnOrigin(url, 'download attachment');
    const signal = this.options.signal;
    const idleMs = this.options.idleTimeoutMs ?? 30_000;
    const totalMs = this.options.downloadTimeoutMs ?? 600_000;
    const headersMs = this.options.timeoutMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortError(signal);
      // The answer's headers within the request timeout; then the body watched for stalls and bounded whole.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new Error(`no answer after ${headersMs} ms`)), headersMs);
      try {
        const res = await this.http.get<Readable>(target.href, {
          responseType: 'stream',
          timeout: headersMs,
          signal: deadline.signal,
        });
        clearTimeout(timer);
        if (res.status >= 200 && res.status < 300)
          return watchedStream(res.data, idleMs, totalMs, `${this.vendor} attachment download`);
        res.data.resume();
        const failure = classifyResponse({ ...res, data: {} } as AxiosResponse, {
          vendor: this.vendor,
          operation: 'download attachment',
          write: false,
          credentialEnv: this.credentialEnv,
        });
        if (!failure) throw new Error(`${this.vendor}: download answered ${res.status}`);
        if (!(failure instanceof RetryableError) || attempt >= (this.options.maxAttempts ?? 6)) throw failure;
        await sleep(failure.retryAfterMs ?? backoffMs(attempt), signal);
      } catch (err) {
        clearTimeout(timer);
        if (!isAxiosError(err)) throw err;
        if (deadline.signal.aborted) {
          err.code = 'ETIMEDOUT';
          err.message = `no answer after ${duration(headersMs)}`;
        }
        const failure = classifyTransportError(err, {
          vendor: this.vendor,
          operation: 'download attachment',
          write: false,
          credentialEnv: this.credentialEnv,
        });
        if (!(failure instanceof RetryableError) || attempt >= (this.options.maxAttempts ?? 6)) throw failure;
        await sleep(backoffMs(attempt), signal);
      }
    }
  }
}
