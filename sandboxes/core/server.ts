import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { FaultInjector, type FaultSpec, faultSpecSchema } from './faults';
import { coerceToSchema, isMultipart, MultipartError, parseMultipart, type UploadedFile } from './multipart';
import { type LimitState, type WindowLimit, WindowLimiter } from './rate-limit';
import { type ParameterPatch, SpecRouter } from './spec';
import { SandboxStore } from './store';

export type { UploadedFile } from './multipart';
export { GroupIndex, KeyIndex, RecordMap, SandboxStore, type StoreIndex } from './store';

/** A request as a vendor handler sees it: already routed and validated against the vendor's spec. */
export interface SandboxRequest {
  operationId: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  /** The file parts of a `multipart/form-data` request, hashed as they streamed in (their bytes are not kept). */
  files?: UploadedFile[];
}

/**
 * A vendor route outside its API document (Zendesk's attachment `content_url` downloads): authenticated, then
 * answered before spec validation. Unless `rateLimited`, it does not count against the vendor's API rate limit.
 */
export interface RawRoute {
  name: string;
  method: string;
  /** Path parameters from the path, or undefined when the route does not match it. */
  match(pathname: string): Record<string, string> | undefined;
  rateLimited?: boolean;
  handle: Handler;
}

export interface SandboxResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A streamed body (attachment downloads), sent as-is. */
  stream?: Readable;
}

/** How many times each record (by its external id) was written: the proof of "no duplicates". */
export class WriteCounters {
  private counts = new Map<string, Map<string, number>>();

  count(collection: string, externalId: string): void {
    let c = this.counts.get(collection);
    if (!c) {
      c = new Map();
      this.counts.set(collection, c);
    }
    c.set(externalId, (c.get(externalId) ?? 0) + 1);
  }

  summary(): Record<string, { records: number; writes: number; maxWrites: number; writtenMoreThanOnce: string[] }> {
    const out: Record<string, { records: number; writes: number; maxWrites: number; writtenMoreThanOnce: string[] }> =
      {};
    for (const [collection, c] of this.counts) {
      let writes = 0;
      let maxWrites = 0;
      const more: string[] = [];
      for (const [id, n] of c) {
        writes += n;
        maxWrites = Math.max(maxWrites, n);
        if (n > 1) more.push(id);
      }
      out[collection] = { records: c.size, writes, maxWrites, writtenMoreThanOnce: more.slice(0, 100) };
    }
    return out;
  }

  of(collection: string): Record<string, number> {
    return Object.fromEntries(this.counts.get(collection) ?? []);
  }
}

export interface HandlerContext {
  store: SandboxStore;
  writes: WriteCounters;
  /** The base URL of next-page and download links: the sandbox's own, unless linkBaseUrl says another. */
  baseUrl: string;
  vendor: VendorSandbox;
}

export type Handler = (req: SandboxRequest, ctx: HandlerContext) => SandboxResponse | Promise<SandboxResponse>;

/** Everything that makes a sandbox behave like one vendor. */
export interface VendorSandbox {
  vendor: string;
  specFile: string;
  specPatches?: readonly ParameterPatch[];
  /** The path as the spec names it (Zendesk's documented `.json` suffix is not in its spec). */
  specPath?(pathname: string): string;
  /** Accepts the request's credentials. */
  authenticate(headers: Record<string, string>, credentials: SandboxCredentials): boolean;
  /** Rate-limit buckets; `rate` (requests per second) replaces the vendor's documented figures. */
  limits(rate: number | undefined): Record<string, WindowLimit>;
  bucket(operationId: string, method: string): string;
  isWrite(operationId: string, method: string): boolean;
  rateHeaders(state: LimitState): Record<string, string>;
  tooManyRequests(state: { resetAt: number; retryAfterMs: number }): SandboxResponse;
  error(status: number, message: string, details?: { path: string; message: string }[]): SandboxResponse;
  handlers: Record<string, Handler>;
  rawRoutes?: readonly RawRoute[];
  /** Limits for `multipart/form-data` bodies (largest file, number of files, largest field). */
  multipartLimits?: { fileSize: number; files: number; fieldSize: number };
  /** Fills the store with deterministic generated data; `size` asks for a large generated dataset (tickets). */
  seed?(store: SandboxStore, seed: number, size?: number): void;
  /** Builds the indexes after seeding, so no request pays for it. */
  prepare?(store: SandboxStore): void;
}

export interface SandboxCredentials {
  /** Accepted bearer tokens (or Zendesk `email/token:secret` pairs). */
  tokens: string[];
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** How much data to generate (Zendesk: tickets); without it, the vendor's small seed. */
  size?: number;
  /** Requests per second for every bucket (1-second windows), instead of the vendor's documented limits. */
  rate?: number;
  faults?: Partial<FaultSpec>;
  credentials?: SandboxCredentials;
  /**
   * The base URL written into the links the sandbox answers with (next pages, files, `self`), instead of its own:
   * a vendor behind a proxy or a CDN that hands out another origin, to show where a client sends its credential.
   */
  linkBaseUrl?: string;
}

export interface SandboxStats {
  requests: number;
  byOperation: Record<string, number>;
  /** 429s from the rate limiter: a well-behaved client never gets these. */
  rateLimited: number;
  /** 429s sent as injected bursts. */
  injected429: number;
  injected5xx: number;
  resets: number;
  commitThenDrop: number;
  /** Write requests a `hold` fault held open until released. */
  held: number;
  /** Requests a `slowNext` fault slowed, by operation. */
  slowedNext: Record<string, number>;
  unauthorized: number;
  /** Requests that did not match the vendor's spec: each one is a bug in the client. */
  specViolations: { operation: string; errors: { path: string; message: string }[] }[];
  unknownRoutes: string[];
  handled: number;
  /** Epoch ms of the first and the last request answered with a success. */
  firstHandledAt: number | null;
  lastHandledAt: number | null;
  /**
   * How busy the event loop serving the sandbox was since it started (or its stats were reset): utilisation 0–1,
   * and the active and idle milliseconds to take differences over a window. A bench whose sandbox ran near 1
   * measured the fake, not Tern. It is the process's loop: sandboxes started in one process share it.
   */
  eventLoop: { utilization: number; activeMs: number; idleMs: number };
}

export interface RunningSandbox {
  vendor: string;
  url: string;
  port: number;
  store: SandboxStore;
  writes: WriteCounters;
  stats(): SandboxStats;
  setFaults(spec: Partial<FaultSpec>): void;
  /** Milliseconds of injected 429 bursts between two instants. */
  burstMillis(from: number, to: number): number;
  /** How many write requests a `hold` fault holds open now. */
  held(): number;
  /** Lets the held requests go on; resolves, with how many there were, once each was processed and answered. */
  release(): Promise<number>;
  close(): Promise<void>;
}

/** Counters at zero, and the event loop measured from now on (read live, like the counters). */
function emptyStats(): SandboxStats {
  const counters: Omit<SandboxStats, 'eventLoop'> = {
    requests: 0,
    byOperation: {},
    rateLimited: 0,
    injected429: 0,
    injected5xx: 0,
    resets: 0,
    commitThenDrop: 0,
    held: 0,
    slowedNext: {},
    unauthorized: 0,
    specViolations: [],
    unknownRoutes: [],
    handled: 0,
    firstHandledAt: null,
    lastHandledAt: null,
  };
  const since = performance.eventLoopUtilization();
  return Object.defineProperty(counters, 'eventLoop', {
    enumerable: true,
    get: () => {
      const loop = performance.eventLoopUtilization(since);
      return { utilization: loop.utilization, activeMs: loop.active, idleMs: loop.idle };
    },
  }) as SandboxStats;
}

/** The most records /__admin/records/<collection> answers without ?limit=. */
const ADMIN_PAGE_MAX = 200_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function send(res: http.ServerResponse, response: SandboxResponse, extraHeaders: Record<string, string> = {}): void {
  const headers = { ...extraHeaders, ...response.headers };
  if (response.stream) {
    const stream = response.stream;
    res.writeHead(response.status, headers);
    // A failing source or a client that hangs up ends both sides.
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
    return;
  }
  const body = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/**
 * Starts a vendor sandbox on loopback: a real HTTP server that authenticates, rate-limits, injects faults,
 * validates each request against the vendor's OpenAPI document, then answers from its in-memory store.
 * `/__admin/*` (no auth, never rate-limited) exposes records, write counters, stats and fault settings.
 */
export async function startSandbox(vendor: VendorSandbox, options: SandboxOptions = {}): Promise<RunningSandbox> {
  const router = await SpecRouter.load(vendor.specFile, vendor.specPatches);
  const seed = options.seed ?? 1;
  const store = new SandboxStore();
  const writes = new WriteCounters();
  vendor.seed?.(store, seed, options.size);
  vendor.prepare?.(store);
  const faults = new FaultInjector(faultSpecSchema.parse(options.faults ?? {}), seed);
  const limiter = new WindowLimiter(vendor.limits(options.rate));
  const credentials = options.credentials ?? { tokens: [`${vendor.vendor}-sandbox-token`] };
  let stats = emptyStats();
  let baseUrl = '';
  const ctx = (): HandlerContext => ({ store, writes, baseUrl, vendor });
  /** Write requests a `hold` fault holds open, oldest first, and how each tells it was processed. */
  const held: { release: () => void; processed: Promise<void> }[] = [];
  const finishers = new WeakMap<http.IncomingMessage, () => void>();
  function holdRequest(req: http.IncomingMessage): Promise<void> {
    let release!: () => void;
    let processed!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    held.push({ release, processed: new Promise<void>((resolve) => (processed = resolve)) });
    finishers.set(req, processed);
    stats.held += 1;
    return released;
  }
  async function releaseHeld(): Promise<number> {
    const now = held.splice(0);
    for (const h of now) h.release();
    await Promise.all(now.map((h) => h.processed));
    return now.length;
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const parts = url.pathname.split('/').filter(Boolean).slice(1);
    const body = req.method === 'GET' ? undefined : (await readBody(req)).toString('utf8');
    const json = (status: number, payload: unknown) => send(res, { status, body: payload });
    if (parts[0] === 'stats') return json(200, stats);
    if (parts[0] === 'writes') return json(200, parts[1] ? writes.of(decodeURIComponent(parts[1])) : writes.summary());
    if (parts[0] === 'records' && parts[1] && parts[2]) {
      const record = store.collection(decodeURIComponent(parts[1])).get(decodeURIComponent(parts[2]));
      return record ? json(200, record) : json(404, { error: `no record ${parts[2]} in ${parts[1]}` });
    }
    if (parts[0] === 'records' && parts[1]) {
      // ?offset=&limit= pages through large collections in insertion order.
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? Number.MAX_SAFE_INTEGER);
      const size = store.collection(decodeURIComponent(parts[1])).size;
      // Millions of records do not fit in one JSON string.
      if (!url.searchParams.has('limit') && size > ADMIN_PAGE_MAX)
        return json(400, { error: `${parts[1]} has ${size} records: page through them with ?offset=&limit=` });
      const out: unknown[] = [];
      let i = 0;
      for (const record of store.collection(decodeURIComponent(parts[1])).values()) {
        if (out.length >= limit) break;
        if (i++ >= offset) out.push(record);
      }
      return json(200, out);
    }
    if (parts[0] === 'records')
      return json(200, Object.fromEntries(store.names().map((n) => [n, store.collection(n).size])));
    if (parts[0] === 'fingerprint') {
      const only = url.searchParams.get('collections');
      return json(200, { fingerprint: store.fingerprint(only ? only.split(',') : undefined) });
    }
    if (parts[0] === 'faults' && req.method === 'GET') return json(200, faults.current);
    if (parts[0] === 'faults') {
      const parsed = faultSpecSchema.safeParse(body ? JSON.parse(body) : {});
      if (!parsed.success)
        return json(400, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      faults.set(parsed.data);
      return json(200, faults.current);
    }
    if (parts[0] === 'held') return json(200, { held: held.length });
    if (parts[0] === 'release' && req.method === 'POST') return json(200, { released: await releaseHeld() });
    if (parts[0] === 'stats-reset') {
      stats = emptyStats();
      return json(200, stats);
    }
    return json(404, { error: `unknown admin route ${url.pathname}` });
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    stats.requests += 1;
    const method = (req.method ?? 'GET').toLowerCase();
    const specPath = vendor.specPath ? vendor.specPath(url.pathname) : url.pathname;
    const headers = flatHeaders(req);
    // Multipart bodies are streamed by the parser below; everything else is small and read here.
    const multipart = isMultipart(headers);
    const raw = multipart ? Buffer.alloc(0) : await readBody(req);
    if (!vendor.authenticate(headers, credentials)) {
      stats.unauthorized += 1;
      return send(res, vendor.error(401, 'Authentication failed: missing or invalid credentials'));
    }
    for (const route of vendor.rawRoutes ?? []) {
      const params = route.method === method ? route.match(url.pathname) : undefined;
      if (params) return answerRaw(route, params, req, res, url, headers);
    }
    const operation = router.match(method, specPath);
    if (!operation?.operationId) {
      stats.unknownRoutes.push(`${method.toUpperCase()} ${url.pathname}`);
      return send(res, vendor.error(404, `no route ${method.toUpperCase()} ${url.pathname}`));
    }
    const operationId = operation.operationId;
    stats.byOperation[operationId] = (stats.byOperation[operationId] ?? 0) + 1;
    const isWrite = vendor.isWrite(operationId, method);
    // Held open, unprocessed, until released; then processed like any other request (it commits).
    if (faults.takeHold(isWrite, operationId)) await holdRequest(req);
    const fate = faults.decide(isWrite, Date.now(), operationId);
    if (fate.slowedNext) stats.slowedNext[operationId] = (stats.slowedNext[operationId] ?? 0) + 1;
    if (fate.delayMs > 0) await sleep(fate.delayMs);
    if (fate.burst429RetryAfterMs !== undefined) {
      stats.injected429 += 1;
      return send(
        res,
        vendor.tooManyRequests({
          resetAt: Date.now() + fate.burst429RetryAfterMs,
          retryAfterMs: fate.burst429RetryAfterMs,
        }),
      );
    }
    const limit = limiter.take(vendor.bucket(operationId, method));
    const rateHeaders = vendor.rateHeaders(limit);
    if (!limit.allowed) {
      stats.rateLimited += 1;
      const response = vendor.tooManyRequests({
        resetAt: limit.resetAt,
        retryAfterMs: Math.max(0, limit.resetAt - Date.now()),
      });
      return send(res, response, rateHeaders);
    }
    if (fate.reset) {
      stats.resets += 1;
      req.socket.destroy();
      return;
    }
    if (fate.error5xx) {
      stats.injected5xx += 1;
      return send(res, vendor.error(fate.error5xx, 'Internal server error (injected by the sandbox)'), rateHeaders);
    }
    let body: unknown;
    let files: UploadedFile[] | undefined;
    if (multipart) {
      try {
        const form = await parseMultipart(
          req,
          headers,
          vendor.multipartLimits ?? { fileSize: 25 * 1024 * 1024, files: 20, fieldSize: 5 * 1024 * 1024 },
        );
        body = coerceToSchema(form.fields, router.bodySchema(operation), (ref) => router.resolve(ref));
        files = form.files;
      } catch (err) {
        if (!(err instanceof MultipartError)) throw err;
        stats.specViolations.push({ operation: operationId, errors: [{ path: 'body', message: err.message }] });
        return send(res, vendor.error(400, `Request body is not a valid multipart form: ${err.message}`), rateHeaders);
      }
    } else if (raw.length > 0 && (headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        stats.specViolations.push({ operation: operationId, errors: [{ path: 'body', message: 'is not valid JSON' }] });
        return send(res, vendor.error(400, 'Request body is not valid JSON'), rateHeaders);
      }
    }
    const request: SandboxRequest = {
      operationId,
      method,
      path: specPath,
      params: router.pathParams(method, specPath, operation),
      query: queryObject(url.searchParams),
      headers,
      body,
      files,
    };
    const errors = router.validate(operation, { method, path: specPath, query: request.query, headers, body });
    if (errors.length > 0) {
      stats.specViolations.push({ operation: operationId, errors });
      return send(
        res,
        vendor.error(
          400,
          `Request does not match the API: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
          errors,
        ),
        rateHeaders,
      );
    }
    const handler = vendor.handlers[operationId];
    if (!handler)
      return send(
        res,
        vendor.error(501, `the ${vendor.vendor} sandbox does not implement ${operationId}`),
        rateHeaders,
      );
    let response: SandboxResponse;
    try {
      response = await handler(request, ctx());
    } catch (err) {
      return send(
        res,
        vendor.error(500, `sandbox handler failed: ${err instanceof Error ? err.message : String(err)}`),
        rateHeaders,
      );
    }
    stats.handled += 1;
    stats.firstHandledAt ??= Date.now();
    stats.lastHandledAt = Date.now();
    if (fate.commitThenDrop && response.status < 300) {
      stats.commitThenDrop += 1;
      req.socket.destroy();
      return;
    }
    send(res, response, rateHeaders);
  }

  /** A raw route: authenticated already; faults apply, the API rate limit only when the route says so. */
  async function answerRaw(
    route: RawRoute,
    params: Record<string, string>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    headers: Record<string, string>,
  ): Promise<void> {
    stats.byOperation[route.name] = (stats.byOperation[route.name] ?? 0) + 1;
    const fate = faults.decide(false, Date.now(), route.name);
    if (fate.slowedNext) stats.slowedNext[route.name] = (stats.slowedNext[route.name] ?? 0) + 1;
    if (fate.delayMs > 0) await sleep(fate.delayMs);
    let rateHeaders: Record<string, string> = {};
    if (route.rateLimited) {
      const limit = limiter.take(vendor.bucket(route.name, route.method));
      rateHeaders = vendor.rateHeaders(limit);
      if (!limit.allowed) {
        stats.rateLimited += 1;
        return send(
          res,
          vendor.tooManyRequests({ resetAt: limit.resetAt, retryAfterMs: Math.max(0, limit.resetAt - Date.now()) }),
          rateHeaders,
        );
      }
    }
    if (fate.reset) {
      stats.resets += 1;
      req.socket.destroy();
      return;
    }
    if (fate.error5xx) {
      stats.injected5xx += 1;
      return send(res, vendor.error(fate.error5xx, 'Internal server error (injected by the sandbox)'), rateHeaders);
    }
    const response = await route.handle(
      {
        operationId: route.name,
        method: route.method,
        path: url.pathname,
        params,
        query: queryObject(url.searchParams),
        headers,
        body: undefined,
      },
      ctx(),
    );
    stats.handled += 1;
    stats.firstHandledAt ??= Date.now();
    stats.lastHandledAt = Date.now();
    send(res, response, rateHeaders);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const run = url.pathname.startsWith('/__admin/') ? admin(req, res, url) : api(req, res, url);
    run
      .catch((err: unknown) => {
        if (!res.headersSent)
          send(res, { status: 500, body: { error: err instanceof Error ? err.message : String(err) } });
        else res.destroy();
      })
      .finally(() => finishers.get(req)?.());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  baseUrl = options.linkBaseUrl ?? url;
  return {
    vendor: vendor.vendor,
    url,
    port,
    store,
    writes,
    stats: () => stats,
    setFaults: (spec) => faults.set(faultSpecSchema.parse(spec)),
    burstMillis: (from, to) => faults.burstMillis(from, to),
    held: () => held.length,
    release: releaseHeld,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
