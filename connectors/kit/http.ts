import http from 'node:http';
import type { Readable } from 'node:stream';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import { logger as rootLogger } from '../../common/logger';
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
}

export interface VendorClientOptions {
  governor: RateGovernor;
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts for a retryable failure before the error goes up to the activity (and Temporal's retry policy). */
  maxAttempts?: number;
  /** A 429 asking to wait longer than this fails the call (the activity retries with nextRetryDelay). */
  maxInlineWaitMs?: number;
  /** Called between attempts, e.g. to heartbeat. */
  onWait?: () => void;
  /** Called for every request sent (retries included): each one counts against the vendor's limit. */
  onRequest?: (vendor: string) => void;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Full-jitter exponential backoff: 200 ms, 400 ms, … capped at 10 s. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(10_000, 200 * 2 ** (attempt - 1));
}

/** Hides query values that look like credentials in a URL for logs. */
export function redactedUrl(url: string): string {
  return url.replace(/([?&](?:token|api_key|key|access_token|password)=)[^&]*/gi, '$1[redacted]');
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
  ) {
    const env = options.env ?? process.env;
    this.credentialEnv = connection.credentials.tokenEnv;
    this.http = axios.create({
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

  get vendor(): string {
    return this.declaration.vendor;
  }

  /** Requests this process may have in flight for the account (the governor's concurrency). */
  get concurrency(): number {
    return this.options.governor.budget.concurrency;
  }

  /** Sends one request under the budget; returns the response of a success (or of an accepted status). */
  async request<T = unknown>(req: VendorRequest): Promise<AxiosResponse<T>> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    const maxInlineWaitMs = this.options.maxInlineWaitMs ?? 60_000;
    const write = req.method !== 'get' && !req.idempotent;
    const ctx = { vendor: this.vendor, operation: req.operation, write, credentialEnv: this.credentialEnv };
    for (let attempt = 1; ; attempt++) {
      // Waiting for the budget (a shared pause after a 429 can last a minute) keeps the caller alive.
      const onWait = this.options.onWait;
      const alive = onWait ? setInterval(onWait, 5000) : undefined;
      let release: () => void;
      try {
        release = await this.options.governor.acquire();
      } finally {
        clearInterval(alive);
      }
      this.options.onRequest?.(this.vendor);
      const started = Date.now();
      let failure: VendorError | undefined;
      let response: AxiosResponse<T> | undefined;
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
          ...(formHeaders ? { headers: formHeaders } : {}),
        });
        this.options.governor.observe(response.headers);
        if (!req.accept?.includes(response.status)) failure = classifyResponse(response, ctx);
      } catch (err) {
        if (!isAxiosError(err)) throw err;
        failure = classifyTransportError(err, ctx);
      } finally {
        release();
      }
      this.log.debug(
        {
          operation: req.operation,
          method: req.method,
          url: redactedUrl(req.url),
          status: response?.status,
          ms: Date.now() - started,
          attempt,
        },
        'vendor request',
      );
      if (!failure) return response!;
      if (failure instanceof RateLimitedError) {
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
      await sleep(failure.retryAfterMs ?? backoffMs(attempt));
    }
  }

  /**
   * Streams a file the vendor serves (an attachment's content URL) with the account's credentials: never
   * buffered whole. Only URLs of the account's own host are fetched, so the credential goes nowhere else.
   * Downloads do not count against the API's rate limit (Zendesk serves them apart).
   */
  async download(url: string): Promise<Readable> {
    const base = new URL(this.connection.baseUrl);
    const target = new URL(url, base);
    if (target.host !== base.host)
      throw new VendorError(
        `${this.vendor}: refusing to send the account's credentials to ${target.host} (an attachment outside ${base.host})`,
        'check the attachment URL in the source record',
        this.vendor,
        undefined,
      );
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.http.get<Readable>(target.href, { responseType: 'stream', timeout: 0 });
        if (res.status >= 200 && res.status < 300) return res.data;
        res.data.resume();
        const failure = classifyResponse({ ...res, data: {} } as AxiosResponse, {
          vendor: this.vendor,
          operation: 'download attachment',
          write: false,
          credentialEnv: this.credentialEnv,
        });
        if (!failure) throw new Error(`${this.vendor}: download answered ${res.status}`);
        if (!(failure instanceof RetryableError) || attempt >= (this.options.maxAttempts ?? 6)) throw failure;
        await sleep(failure.retryAfterMs ?? backoffMs(attempt));
      } catch (err) {
        if (!isAxiosError(err)) throw err;
        const failure = classifyTransportError(err, {
          vendor: this.vendor,
          operation: 'download attachment',
          write: false,
          credentialEnv: this.credentialEnv,
        });
        if (!(failure instanceof RetryableError) || attempt >= (this.options.maxAttempts ?? 6)) throw failure;
        await sleep(backoffMs(attempt));
      }
    }
  }
}
