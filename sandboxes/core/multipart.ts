import { createHash } from 'node:crypto';
import type http from 'node:http';
import busboy from 'busboy';

/**
 * `multipart/form-data` requests (Front's message imports with attachments): fields in bracket notation are rebuilt
 * into the JSON body the same operation takes as `application/json`, and every file part is streamed through a
 * sha256 as it arrives, so a 25 MB attachment never sits in memory.
 */

/** A file part as the sandbox keeps it: what it was, never its bytes. */
export interface UploadedFile {
  /** The form field it came in (`attachments[0]`). */
  field: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
}

export interface ParsedForm {
  /** The fields rebuilt from bracket notation into objects and arrays, values still strings. */
  fields: Record<string, unknown>;
  files: UploadedFile[];
}

/** A body that is not a well-formed multipart form, or one over the limits: the vendor's 400. */
export class MultipartError extends Error {}

export const isMultipart = (headers: Record<string, string>) =>
  /^multipart\/form-data\b/i.test(headers['content-type'] ?? '');

export interface MultipartLimits {
  /** Largest file part in bytes. */
  fileSize: number;
  files: number;
  /** Largest field value in bytes. */
  fieldSize: number;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `sender[handle]` → ['sender', 'handle']; `to[0]` → ['to', 0]; `tags[]` → ['tags', null] (appended). */
function fieldPath(name: string): (string | number | null)[] | undefined {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
  if (!m) return undefined;
  const path: (string | number | null)[] = [m[1]!];
  for (const [, seg] of m[2]!.matchAll(/\[([^[\]]*)\]/g))
    path.push(seg === '' ? null : /^\d+$/.test(seg!) ? Number(seg) : seg!);
  return path.some((p) => typeof p === 'string' && UNSAFE_KEYS.has(p)) ? undefined : path;
}

type Node = Record<string, unknown> | unknown[];

function assign(root: Record<string, unknown>, path: (string | number | null)[], value: string): void {
  let node: Node = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const nextIsIndex = !last && (typeof path[i + 1] === 'number' || path[i + 1] === null);
    if (Array.isArray(node)) {
      const index = seg === null ? node.length : typeof seg === 'number' ? seg : undefined;
      if (index === undefined || index > 10_000) throw new MultipartError(`field ${path.join('.')} is not an index`);
      if (last) node[index] = value;
      else node = (node[index] ??= nextIsIndex ? [] : {}) as Node;
    } else {
      const key = String(seg);
      if (last) node[key] = value;
      else node = (node[key] ??= nextIsIndex ? [] : {}) as Node;
    }
    if (!last && (typeof node !== 'object' || node === null))
      throw new MultipartError(`field ${path.join('.')} is given both as a value and as an object`);
  }
}

/** Sparse arrays from `to[0]`, `to[2]` become dense, in index order. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compact(v)]));
  return value;
}

/** Reads a multipart body from the request, streaming each file part through sha256. */
export function parseMultipart(
  req: http.IncomingMessage,
  headers: Record<string, string>,
  limits: MultipartLimits,
): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers,
        // Clients send file names as UTF-8 (RFC 7578); busboy's default reads them as latin1.
        defParamCharset: 'utf8',
        limits: { fileSize: limits.fileSize, files: limits.files, fieldSize: limits.fieldSize, fields: 1000 },
      });
    } catch (err) {
      reject(new MultipartError(err instanceof Error ? err.message : String(err)));
      return;
    }
    const root: Record<string, unknown> = {};
    const files: UploadedFile[] = [];
    const pending: Promise<void>[] = [];
    let failure: Error | undefined;
    const fail = (err: Error) => {
      failure ??= err instanceof MultipartError ? err : new MultipartError(err.message);
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated)
        return fail(new MultipartError(`field ${name} is longer than ${limits.fieldSize} bytes`));
      const path = fieldPath(name);
      if (!path) return fail(new MultipartError(`field name "${name}" is not in bracket notation`));
      try {
        assign(root, path, value);
      } catch (err) {
        fail(err as Error);
      }
    });
    parser.on('file', (name, stream, info) => {
      const hash = createHash('sha256');
      let size = 0;
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            hash.update(chunk);
          });
          stream.on('limit', () => fail(new MultipartError(`file ${name} is larger than ${limits.fileSize} bytes`)));
          stream.on('error', (err: Error) => {
            fail(err);
            done();
          });
          stream.on('end', () => {
            if (!stream.truncated)
              files.push({
                field: name,
                filename: info.filename ?? name,
                content_type: info.mimeType,
                size,
                sha256: hash.digest('hex'),
              });
            done();
          });
        }),
      );
    });
    for (const event of ['filesLimit', 'fieldsLimit', 'partsLimit'] as const)
      parser.on(event, () => fail(new MultipartError(`too many parts (${event})`)));
    parser.on('error', (err) => {
      fail(err);
      req.unpipe(parser);
      // The rest of the body is read and dropped so the connection stays usable.
      req.resume();
      void Promise.all(pending).then(() => reject(failure ?? new MultipartError('the form failed')));
    });
    parser.on('close', () => {
      void Promise.all(pending).then(() => {
        if (failure) return reject(failure);
        files.sort((a, b) => a.field.localeCompare(b.field, 'en', { numeric: true }));
        resolve({ fields: compact(root) as Record<string, unknown>, files });
      });
    });
    req.on('error', (err) => {
      fail(err);
      reject(failure ?? new MultipartError('the request failed'));
    });
    req.pipe(parser);
  });
}

type Schema = Record<string, unknown>;

/**
 * Form values are strings: turns them into the integers, numbers and booleans the operation's JSON schema asks for,
 * so the rebuilt body is validated like a JSON one. A value that does not convert cleanly stays a string, and the
 * validation names it.
 */
export function coerceToSchema(value: unknown, schema: Schema | undefined, resolve: (ref: string) => Schema): unknown {
  if (!schema) return value;
  if (typeof schema.$ref === 'string') return coerceToSchema(value, resolve(schema.$ref), resolve);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const alternatives = schema[key];
    if (Array.isArray(alternatives) && alternatives.length > 0)
      return coerceToSchema(value, alternatives[0] as Schema, resolve);
  }
  const type = schema.type;
  if (typeof value === 'string') {
    if ((type === 'integer' && /^-?\d+$/.test(value)) || (type === 'number' && /^-?\d+(\.\d+)?$/.test(value)))
      return Number(value);
    if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => coerceToSchema(v, schema.items as Schema | undefined, resolve));
  if (value && typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerceToSchema(v, properties[k], resolve)]));
  }
  return value;
}
