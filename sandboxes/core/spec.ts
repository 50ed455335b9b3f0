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
  private constructor(readonly api: OpenAPIBackend) {}

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
    return new SpecRouter(api);
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

  match(method: string, pathname: string): Operation | undefined {
    return this.api.matchOperation({ method, path: pathname, headers: {} }) ?? undefined;
  }

  pathParams(method: string, pathname: string, operation: Operation): Record<string, string> {
    const parsed = this.api.router.parseRequest({ method, path: pathname, headers: {} }, operation);
    const params = (parsed.params ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, decodeURIComponent(String(v))]));
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
    const result = this.api.validateRequest(request, operation);
    if (result.valid) return [];
    return (result.errors ?? []).map((e) => ({
      path: (e.instancePath || '/').replace(/^\/requestBody/, 'body'),
      message: `${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`,
    }));
  }
}
