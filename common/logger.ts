import pino from 'pino';
import { redactCredentials } from './redact';

/**
 * Keys whose values are credentials, wherever they appear (a request's headers, a config object, an error's
 * cause): the value is replaced, never printed.
 */
const CREDENTIAL_KEY =
  /pass(word|wd|phrase)?$|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|private[-_]?key|database_?url|connection_?string|dsn$/i;

/**
 * Keys whose values are record content: a driver's bound parameters and its `detail` ("Failing row contains
 * …", "Key (email)=(…) already exists"), request and response bodies, raw records, before-images, an
 * application failure's details. Logs say which record (object, source id) and why, never what it holds.
 */
const CONTENT_KEYS = new Set([
  'parameters',
  'detail',
  'details',
  'body',
  'requestBody',
  'responseBody',
  'raw',
  'record',
  'records',
  'row',
  'rows',
  'values',
  'payload',
  'payloads',
  'before',
  'beforeImage',
]);

const MAX_DEPTH = 8;
const MAX_ITEMS = 20;
const REDACTED = '[redacted]';

/**
 * A copy of `value` fit for a log line: errors become plain objects (type, message, code, stack and cause, each
 * redacted), credential keys and content keys are replaced at any depth, strings lose the credentials they
 * carry (common/redact.ts `redactCredentials`), byte buffers are counted, not printed. Cycles and depth are bounded.
 */
export function redactForLog(value: unknown): unknown {
  return redact(value, 0, new WeakSet());
}

/** `ancestors`: the objects on the path from the root, so a shared object is printed each time, a cycle once. */
function redact(value: unknown, depth: number, ancestors: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return redactScalar(value);
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[deeper]';
  ancestors.add(value);
  try {
    return redactObject(value, depth, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function redactScalar(value: unknown): unknown {
  if (typeof value === 'string') return redactCredentials(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function redactObject(value: object, depth: number, ancestors: WeakSet<object>): unknown {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => redact(item, depth + 1, ancestors));
    return value.length > MAX_ITEMS ? [...items, `[${value.length - MAX_ITEMS} more]`] : items;
  }
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.name;
    out.message = redactCredentials(value.message);
    if (value.stack) out.stack = redactCredentials(value.stack);
  }
  const entries =
    value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
  for (const [key, item] of entries) {
    if (value instanceof Error && (key === 'message' || key === 'stack')) continue;
    out[key] = CREDENTIAL_KEY.test(key) || CONTENT_KEYS.has(key) ? REDACTED : redact(item, depth + 1, ancestors);
  }
  if (value instanceof Error && value.cause !== undefined && !('cause' in out))
    out.cause = redact(value.cause, depth + 1, ancestors);
  return out;
}

/**
 * The one structured logger. Everything logged passes through `redactForLog`: credential fields, record content
 * and credentials inside text are redacted at any depth, nested errors and their causes included.
 */
export const loggerOptions: pino.LoggerOptions = {
  name: 'tern',
  level: process.env.TERN_LOG_LEVEL ?? 'info',
  formatters: { log: (object) => redactForLog(object) as Record<string, unknown> },
  // Errors are plain objects by now (type, message, stack, cause): printed as they are.
  serializers: { err: (err: unknown) => err },
  hooks: {
    logMethod(args, method) {
      method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactCredentials(arg) : arg)) as typeof args);
    },
  },
};

export const logger = pino(loggerOptions);

export type Logger = typeof logger;
