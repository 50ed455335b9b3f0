import fs from 'node:fs';
import path from 'node:path';
import OpenAPIBackend, { type Document, type Operation } from 'openapi-backend';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

/** The vendor OpenAPI documents shipped with Tern (see sandboxes/specs/README.md). */
export const SPECS_DIR = path.join(__dirname, '..', 'specs');

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;
const parsed = new Map<string, Document>();

/** Reads a spec file once per process (the YAML ones take about a second to parse). */
function readSpec(file: string): Document {
  let doc = parsed.get(file);
  if (!doc) {
    const text = fs.readFileSync(path.join(SPECS_DIR, file), 'utf8');
    doc = (file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: -1 })) as Document;
    parsed.set(file, doc);
  }
  // Each sandbox gets its own copy: patches and operation ids must not leak between vendors or instances.
  return structuredClone(doc);
}

/** A documented request parameter the published document leaves out (e.g. Zendesk's cursor paging). */
export interface ParameterPatch {
  path: string;
  method: (typeof METHODS)[number];
  parameter: { name: string; in: 'query' | 'header'; schema: Record<string, unknown>; required?: boolean };
}

/** A validating router over one vendor's published spec: routing and request validation by openapi-backend. */
export class SpecRouter {
  private constructor(
    readonly api: OpenAPIBackend,
    private readonly routes: RouteTable,
  ) {}

  static async load(file: string, patches: readonly ParameterPatch[] = []): Promise<SpecRouter> {
    const definition = readSpec(file) as Document & {
      paths: Record<string, Record<string, { operationId?: string; parameters?: unknown[] }>>;
    };
    // A documented path with a trailing slash (Front's PATCH /comments/{comment_id}/) is served without it too,
    // as the vendor does: its operations join the bare path's.
    for (const p of Object.keys(definition.paths)) {
      if (p.length < 2 || !p.endsWith('/')) continue;
      const bare = p.slice(0, -1);
      definition.paths[bare] = { ...definition.paths[p], ...definition.paths[bare] };
      delete definition.paths[p];
    }
    for (const [p, item] of Object.entries(definition.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        // Attio's document has no operation ids; openapi-backend routes by them.
        if (op && !op.operationId) op.operationId = `${method} ${p}`;
      }
    }
    const components = (definition as { components?: { parameters?: Record<string, { name?: string; in?: string }> } })
      .components;
    const sameParameter = (p: unknown, patch: ParameterPatch) => {
      const ref = (p as { $ref?: string }).$ref;
      const param = ref
        ? components?.parameters?.[ref.replace('#/components/parameters/', '')]
        : (p as { name?: string; in?: string });
      return param?.name === patch.parameter.name && param.in === patch.parameter.in;
    };
    for (const patch of patches) {
      const item = definition.paths[patch.path] as
        (Record<string, { operationId?: string; parameters?: unknown[] }> & { parameters?: unknown[] }) | undefined;
      const op = item?.[patch.method];
      if (!item || !op) throw new Error(`spec ${file} has no ${patch.method.toUpperCase()} ${patch.path} to patch`);
      // A patch replaces a declared parameter of the same name (OpenAPI's own override rule), e.g. to relax Zendesk's
      // `start_time`, which the document marks required though cursor calls must omit it. Path-level parameters are
      // first copied onto each operation so the override stays local to the patched one.
      if (Array.isArray(item.parameters) && item.parameters.some((p) => sameParameter(p, patch))) {
        for (const m of METHODS) if (item[m]) item[m].parameters = [...(item[m].parameters ?? []), ...item.parameters];
        delete item.parameters;
      }
      op.parameters = [...(op.parameters ?? []).filter((p) => !sameParameter(p, patch)), patch.parameter];
    }
    const api = new OpenAPIBackend({
      definition,
      quick: true,
      validate: true,
      strict: false,
      ajvOpts: { strict: false, allErrors: true },
      // The formats the documents use (uuid, email, date-time, …) are checked, not ignored.
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv;
      },
    });
    await api.init();
    return new SpecRouter(api, new RouteTable(api.getOperations()));
  }

  /** The JSON schema of an operation's request body (its `application/json` or `multipart/form-data` media type). */
  bodySchema(operation: Operation): Record<string, unknown> | undefined {
    const content = (operation.requestBody as { content?: Record<string, { schema?: Record<string, unknown> }> })
      ?.content;
    return content?.['multipart/form-data']?.schema ?? content?.['application/json']?.schema;
  }

  /** A `#/…` reference of the document (the document is dereferenced already; this is for what is left). */
  resolve(ref: string): Record<string, unknown> {
    let node: unknown = this.api.definition;
    for (const part of ref.replace(/^#\//, '').split('/'))
      node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return (node ?? {}) as Record<string, unknown>;
  }

  /** The operation a request names, from the table built once with the router. */
  match(method: string, pathname: string): Operation | undefined {
    return this.routes.match(method, pathname)?.operation;
  }

  /** The path parameters of a request, by the operation's path template, URL-decoded. */
  pathParams(method: string, pathname: string, operation: Operation): Record<string, string> {
    return this.routes.params(operation, pathname);
  }

  /** Validates a request against its operation: path, query, headers and JSON body, as the spec states them. */
  validate(
    operation: Operation,
    request: {
      method: string;
      path: string;
      query: Record<string, string | string[]>;
      headers: Record<string, string>;
      body: unknown;
    },
  ): { message: string; path: string }[] {
    // Compiled on an operation's first request, from the operation in hand: openapi-backend's own lazy path looks
    // the operation up by listing the whole document again.
    const validator = this.api.validator;
    const id = operation.operationId!;
    if (validator.requestValidators[id] === undefined)
      validator.requestValidators[id] = validator.buildRequestValidatorsForOperation(operation);
    const result = this.api.validateRequest(request, operation);
    if (result.valid) return [];
    return (result.errors ?? []).map((e) => ({
      path: (e.instancePath || '/').replace(/^\/requestBody/, 'body'),
      message: `${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`,
    }));
  }
}

/** One templated route: its operation, the pattern its path template matches and the names of its parameters. */
interface TemplatedRoute {
  operation: Operation;
  pattern: RegExp;
  names: string[];
}

/**
 * The spec's routes, built once per router. openapi-backend's `matchOperation` flattens every operation of the
 * document and compiles a regular expression per path template on every call (Front's document has 244
 * operations); this table matches the same way (exact path first, then templates by specificity, `{param}` as
 * one path segment, trailing slashes ignored) from what it built at load.
 */
class RouteTable {
  private readonly exact = new Map<string, Operation>();
  private readonly templated: TemplatedRoute[] = [];
  private readonly byOperation = new Map<Operation, TemplatedRoute>();

  constructor(operations: readonly Operation[]) {
    for (const operation of operations) {
      const key = `${operation.method} ${operation.path}`;
      if (!this.exact.has(key)) this.exact.set(key, operation);
      const names = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const source = operation.path
        .replace(/\{[^}]+\}/g, '\0')
        .split('\0')
        .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('([^/]+)');
      const route = { operation, pattern: new RegExp(`^${source}$`), names };
      this.templated.push(route);
      this.byOperation.set(operation, route);
    }
    // The most specific template (the most literal characters) wins; equal ones keep the document's order.
    const literalLength = (r: TemplatedRoute) => r.operation.path.replace(/\{.*?\}/g, '').length;
    this.templated.sort((a, b) => literalLength(b) - literalLength(a));
  }

  match(method: string, pathname: string): TemplatedRoute | undefined {
    const verb = method.trim().toLowerCase();
    const path = normalizePath(pathname);
    const exact = this.exact.get(`${verb} ${path}`);
    if (exact) return this.byOperation.get(exact);
    return this.templated.find((r) => r.operation.method === verb && r.pattern.test(path));
  }

  params(operation: Operation, pathname: string): Record<string, string> {
    const route = this.byOperation.get(operation);
    const found = route?.pattern.exec(normalizePath(pathname));
    if (!route || !found) return {};
    return Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
  }
}

/** A request path as openapi-backend matches it: a leading slash, no query, no trailing slashes. */
function normalizePath(pathname: string): string {
  let path = pathname.trim().split('?')[0]!;
  if (!path.startsWith('/')) path = `/${path}`;
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}
