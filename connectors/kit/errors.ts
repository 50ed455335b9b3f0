import type { AxiosError, AxiosResponse } from 'axios';
import { TernError } from '../../common/errors';

/**
 * What can go wrong when Tern talks to a vendor API, in the three classes that decide what happens next:
 * retry (network, 5xx, 429, timeouts), quarantine the record (the vendor rejected it), or stop the phase
 * (credentials). A write whose outcome is unknown is retryable, but only through the idempotent protocol.
 */
export class VendorError extends TernError {
  constructor(
    message: string,
    fix: string,
    readonly vendor: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, fix, options);
  }
}

/** Transient: the request may be sent again (after `retryAfterMs` when the vendor said so). */
export class RetryableError extends VendorError {
  retryAfterMs: number | undefined;
  constructor(
    message: string,
    vendor: string,
    status: number | undefined,
    retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, 'nothing to do: Tern retries with backoff', vendor, status, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 429: the vendor did not process the request; safe to send again after the pause. */
export class RateLimitedError extends RetryableError {}

/** A write was sent and no answer came back (reset, timeout, 5xx): it may or may not have happened. */
export class UnknownOutcomeError extends RetryableError {}

/** The vendor refused this record (4xx validation): quarantine it, go on with the page. */
export class RecordRejectedError extends VendorError {
  constructor(
    message: string,
    vendor: string,
    status: number,
    readonly code: string | undefined,
    readonly field: string | undefined,
  ) {
    super(message, 'fix the record or the plan mapping, then `tern quarantine replay`', vendor, status);
  }
}

/** 401/403: no request will succeed until a person fixes the credential. */
export class CredentialError extends VendorError {
  constructor(
    message: string,
    readonly credentialEnv: string,
    vendor: string,
    status: number | undefined,
  ) {
    super(
      message,
      `set ${credentialEnv} to a valid ${vendor} API credential with the scopes Tern needs, then resume the phase`,
      vendor,
      status,
    );
  }
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A scalar as text; anything else as JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** The vendor's own message from an error body, whatever its shape. */
export function vendorMessage(data: unknown): { message: string; code?: string; field?: string } {
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    const nested = d._error ?? d.error;
    if (nested && typeof nested === 'object') {
      const n = nested as Record<string, unknown>;
      return {
        message: asText(n.message ?? n.title ?? n),
        code: n.title ? asText(n.title) : undefined,
      };
    }
    const message = d.message ?? d.description ?? d.error ?? JSON.stringify(d);
    const code = d.code ?? d.category ?? (typeof d.error === 'string' ? d.error : undefined);
    const field = /attribute "([^"]+)"/.exec(asText(message))?.[1];
    return { message: asText(message), code: code === undefined ? undefined : asText(code), field };
  }
  return { message: typeof data === 'string' && data ? data.slice(0, 300) : 'no details' };
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface ClassifyContext {
  vendor: string;
  operation: string;
  /** True when sending the request twice could write twice. */
  write: boolean;
  credentialEnv: string;
}

/** Sorts a response (or a transport failure) into Tern's error classes; undefined means success. */
export function classifyResponse(response: AxiosResponse, ctx: ClassifyContext): VendorError | undefined {
  const { status } = response;
  if (status < 400) return undefined;
  const what = `${ctx.vendor} ${ctx.operation}`;
  const detail = vendorMessage(response.data);
  if (status === 429) {
    const wait = retryAfterMs(response.headers['retry-after'] as string | undefined);
    return new RateLimitedError(`${what}: rate limited (429), retry after ${wait ?? '?'} ms`, ctx.vendor, status, wait);
  }
  if (status === 401 || status === 403)
    return new CredentialError(
      `${what}: the vendor refused the credential (${status}: ${detail.message})`,
      ctx.credentialEnv,
      ctx.vendor,
      status,
    );
  if (status >= 500 || status === 408) {
    const message = `${what}: ${status} ${detail.message}`;
    // A server error after a write may come after the commit: treat it as unknown, never as "not written".
    return ctx.write && status !== 503
      ? new UnknownOutcomeError(message, ctx.vendor, status)
      : new RetryableError(
          message,
          ctx.vendor,
          status,
          retryAfterMs(response.headers['retry-after'] as string | undefined),
        );
  }
  return new RecordRejectedError(`${what}: ${status} ${detail.message}`, ctx.vendor, status, detail.code, detail.field);
}

export function classifyTransportError(err: AxiosError, ctx: ClassifyContext): VendorError {
  const code = err.code ?? 'ERR_NETWORK';
  const message = `${ctx.vendor} ${ctx.operation}: no response (${code}: ${err.message})`;
  if (NOT_SENT.has(code)) return new RetryableError(message, ctx.vendor, undefined, undefined, { cause: err });
  return ctx.write
    ? new UnknownOutcomeError(message, ctx.vendor, undefined, undefined, { cause: err })
    : new RetryableError(message, ctx.vendor, undefined, undefined, { cause: err });
}
