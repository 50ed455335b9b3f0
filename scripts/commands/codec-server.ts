import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { TernSettings } from '../../common/config';
import { ConfigError, TernError } from '../../common/errors';
import { loadKeyRing } from '../../common/keys';
import { payloadCodec } from '../../common/temporal';

/**
 * `tern codec-server`: Temporal's codec server protocol over Tern's payload codec, so an on-call engineer sees
 * decoded payloads in the Temporal UI (or `temporal workflow show --codec-endpoint`). POST `/encode` and
 * `/decode` take and give `{ payloads: [...] }` in protobuf JSON (metadata values and data base64). Every request
 * needs a token of the codec key ring (TERN_CODEC_KEY, else its file): `Authorization: Bearer <token>`, or the
 * endpoint's first path segment (`http://host:port/<token>`), since the UI sends a bearer header only with an
 * OIDC login. Browsers get CORS answers for the UI's origin only. Errors name the key and the reason, never the
 * content; nothing is logged per request.
 */

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Accepted bearer tokens. */
  tokens: readonly string[];
  /** Origins browsers may call from (the Temporal UI's). */
  origins: readonly string[];
  /** The namespace served; a request naming another (`X-Namespace`) is refused. */
  namespace: string;
  host?: string;
  port?: number;
}

export interface RunningCodecServer {
  url: string;
  close: () => Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

const jsonPayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.string()).nullish(),
      data: z.string().nullish(),
    }),
  ),
});
type JsonPayload = z.infer<typeof jsonPayloads>['payloads'][number];

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  ),
  data: data ? new Uint8Array(Buffer.from(data, 'base64')) : undefined,
});

const toJson = ({ metadata, data }: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: data ? Buffer.from(data).toString('base64') : undefined,
});

/** Compares a presented token with every accepted one in constant time (digests, so lengths never leak). */
function tokenMatcher(tokens: readonly string[]): (presented: string | undefined) => boolean {
  const digest = (t: string) => createHash('sha256').update(t).digest();
  const accepted = tokens.map(digest);
  return (presented) => {
    if (!presented) return false;
    const candidate = digest(presented);
    return accepted.reduce((ok, a) => timingSafeEqual(a, candidate) || ok, false);
  };
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the codec server; `port` 0 (or none) takes a free port. */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const accepts = tokenMatcher(options.tokens);
  const origins = new Set(options.origins.map((o) => new URL(o).origin));

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      // A browser's preflight carries no credentials: answer it for the UI's origin only.
      if (!origin || !origins.has(origin)) throw new HttpProblem(403, 'this origin may not call the codec server');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    const segments = new URL(req.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean);
    const operation = segments[segments.length - 1];
    if (operation !== 'encode' && operation !== 'decode') throw new HttpProblem(404, 'POST /encode or /decode');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!accepts(bearer ?? (segments.length === 2 ? segments[0] : undefined))) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpProblem(401, 'a codec token is required (Authorization: Bearer <token>, or /<token>/decode)');
    }
    if (req.method !== 'POST') throw new HttpProblem(405, `${operation} takes POST`);
    const namespace = req.headers['x-namespace'];
    if (typeof namespace === 'string' && namespace !== options.namespace)
      throw new HttpProblem(403, `this codec server serves namespace ${options.namespace}, not ${namespace}`);
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof HttpProblem) throw err;
      throw new HttpProblem(400, 'the body is not JSON');
    }
    const parsed = jsonPayloads.safeParse(body);
    if (!parsed.success) throw new HttpProblem(400, 'the body is not { payloads: [{ metadata, data }] }');
    const payloads = parsed.data.payloads.map(fromJson);
    let converted: Payload[];
    try {
      converted = await (operation === 'decode' ? options.codec.decode(payloads) : options.codec.encode(payloads));
    } catch (err) {
      throw new HttpProblem(400, err instanceof TernError ? err.toLine() : `cannot ${operation} these payloads`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: converted.map(toJson) }));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpProblem ? err.status : 500;
      const error = err instanceof HttpProblem ? err.message : 'the codec server failed';
      // The rest of a refused body is not read: close the connection once the answer is out.
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify({ error }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface CodecServerCommandOptions {
  port: string;
  host: string;
  origin?: string[];
}

/** `tern codec-server`: serves Tern's payload codec until SIGINT/SIGTERM. */
export async function runCodecServer(
  settings: TernSettings,
  opts: CodecServerCommandOptions,
  say: (line: string) => void,
): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`--port ${opts.port} is not a port`, 'pass e.g. --port 8888');
  const origins = opts.origin?.length ? opts.origin : [settings.temporal.uiUrl];
  for (const origin of origins)
    if (!URL.canParse(origin))
      throw new ConfigError(`--origin ${origin} is not a URL`, 'pass e.g. --origin http://localhost:8233');
  const codec = payloadCodec(settings.temporal);
  const tokenRing = loadKeyRing(settings.temporal.codecKey);
  const server = await startCodecServer({
    codec,
    tokens: [...tokenRing.byId.values()].map((k) => k.secret.toString('utf8')),
    origins,
    namespace: settings.temporal.namespace,
    host: opts.host,
    port,
  });
  const where =
    tokenRing.origin === settings.temporal.codecKey.variable
      ? `the last key of ${tokenRing.origin}`
      : `the last line of ${tokenRing.origin}`;
  say(
    `codec server for namespace ${settings.temporal.namespace} on ${server.url} (payload key ${codec.currentKeyId}; CORS for ${origins.join(', ')})`,
  );
  say(`Temporal UI: set the codec endpoint to ${server.url}/<token>, where <token> is ${where}`);
  say(
    `Temporal CLI: temporal workflow show --codec-endpoint ${server.url} --codec-auth "Bearer <token>" -w <workflow id>`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
