/**
 * Checks requests and responses against GitHub's own OpenAPI description (`@octokit/openapi`,
 * api.github.com.json) with Ajv. The description is read once per process; each operation's
 * schemas are compiled the first time the operation is used.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

type Json = Record<string, unknown>;

interface Operation {
  template: string;
  method: string;
  parameters: Json[];
  requestSchema?: Json;
  responses: Record<string, Json>;
}

interface Route {
  template: string;
  pattern: RegExp;
  names: string[];
  /** Literal characters: the more, the more specific (`/issues/comments/{id}` beats `/issues/{n}/...`). */
  literal: number;
  methods: Record<string, Operation>;
}

export interface OperationMatch {
  operation: Operation;
  params: Record<string, string>;
}

let cached: OpenApiChecker | undefined;

/** The process-wide checker (the description is 13 MB; parse it once). */
export function openApiChecker(): OpenApiChecker {
  cached ??= new OpenApiChecker();
  return cached;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'];

export class OpenApiChecker {
  private readonly doc: Json;
  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    this.doc = JSON.parse(readFileSync(file, 'utf8')) as Json;
    this.ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    this.ajv.addSchema({ components: toJsonSchema(this.doc.components) }, 'gh');
    const paths = this.doc.paths as Record<string, Record<string, Json>>;
    for (const [template, item] of Object.entries(paths)) {
      const names: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (m) {
            names.push(m[1]!);
            return '([^/]+)';
          }
          return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        })
        .join('');
      const shared = (item.parameters as Json[] | undefined) ?? [];
      const methods: Record<string, Operation> = {};
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const parameters = [...shared, ...((op.parameters as Json[] | undefined) ?? [])].map((p) =>
          this.deref(p),
        );
        const body = op.requestBody ? this.deref(op.requestBody as Json) : undefined;
        const content = body?.content as Record<string, Json> | undefined;
        methods[method.toUpperCase()] = {
          template,
          method: method.toUpperCase(),
          parameters,
          requestSchema: content?.['application/json']?.schema as Json | undefined,
          responses: (op.responses as Record<string, Json>) ?? {},
        };
      }
      this.routes.push({
        template,
        pattern: new RegExp(`^${source}$`),
        names,
        literal: template.replace(/\{[^}]+\}/g, '').length,
        methods,
      });
    }
    this.routes.sort((a, b) => b.literal - a.literal);
  }

  private deref(node: Json): Json {
    let current = node;
    for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
      const parts = (current.$ref as string).replace(/^#\//, '').split('/');
      let at: unknown = this.doc;
      for (const part of parts) at = (at as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      current = at as Json;
    }
    return current;
  }

  /** The operation for a method and path, or a description of why there is none. */
  match(method: string, path: string): OperationMatch | string {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      pathKnown = true;
      const operation = route.methods[method];
      if (!operation) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
      return { operation, params };
    }
    return pathKnown
      ? `${method} ${path}: GitHub has this path but not this method`
      : `${method} ${path}: GitHub has no such path`;
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      const fixed = toJsonSchema(
        JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"gh#/components/')),
      ) as Json;
      v = this.ajv.compile(fixed);
      this.validators.set(key, v);
    }
    return v;
  }

  private check(key: string, schema: Json, value: unknown, what: string): string[] {
    const v = this.validator(key, schema);
    if (v(value)) return [];
    return (v.errors ?? []).slice(0, 5).map((e) => `${what}${e.instancePath} ${e.message ?? ''}`);
  }

  /** Problems with a request: unknown query parameters, bad parameter values, a bad body. */
  checkRequest(match: OperationMatch, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const { operation, params } = match;
    const id = `${operation.method} ${operation.template}`;
    const problems: string[] = [];
    for (const [name, value] of Object.entries(params)) {
      const p = operation.parameters.find((x) => x.in === 'path' && x.name === name);
      if (p?.schema) {
        const coerced = coerce(value, p.schema as Json);
        problems.push(
          ...this.check(`${id} path ${name}`, p.schema as Json, coerced, `${id}: path parameter ${name}`),
        );
      }
    }
    for (const [name, value] of query) {
      const p = operation.parameters.find((x) => x.in === 'query' && x.name === name);
      if (!p) {
        problems.push(`${id}: GitHub has no query parameter ${JSON.stringify(name)}`);
        continue;
      }
      if (p.schema) {
        problems.push(
          ...this.check(
            `${id} query ${name}`,
            p.schema as Json,
            coerce(value, p.schema as Json),
            `${id}: query parameter ${name}`,
          ),
        );
      }
    }
    for (const p of operation.parameters)
      if (p.required && p.in === 'query' && !query.has(String(p.name)))
        problems.push(`${id}: required query parameter ${String(p.name)} is missing`);
    if (hasBody) {
      if (!operation.requestSchema) problems.push(`${id}: GitHub takes no JSON body here`);
      else
        problems.push(...this.check(`${id} request`, operation.requestSchema, body, `${id}: request body`));
    } else if (operation.requestSchema && ['POST', 'PATCH', 'PUT'].includes(operation.method)) {
      const required = (this.deref(operation.requestSchema).required as string[] | undefined) ?? [];
      if (required.length > 0)
        problems.push(`${id}: request body is missing (requires ${required.join(', ')})`);
    }
    return problems;
  }

  /** Problems with a response: a status GitHub does not document here, or a non-conforming body. */
  checkResponse(match: OperationMatch, status: number, body: unknown): string[] {
    const { operation } = match;
    const id = `${operation.method} ${operation.template}`;
    // Answers any endpoint may give (auth, rate limits, conditional requests, server errors).
    if ([304, 401, 403, 429, 500, 502, 503].includes(status) && !operation.responses[String(status)])
      return [];
    const response = operation.responses[String(status)] ?? operation.responses.default;
    if (!response) return [`${id}: GitHub does not answer ${status} here`];
    const content = this.deref(response).content as Record<string, Json> | undefined;
    const schema = content?.['application/json']?.schema as Json | undefined;
    // GitHub sends its `{ message, documentation_url }` with every error, documented or not.
    if (!schema)
      return body === undefined || status >= 400 ? [] : [`${id}: GitHub sends no JSON body with ${status}`];
    if (body === undefined) return [`${id}: a ${status} answer needs a JSON body`];
    return this.check(`${id} ${status}`, schema, body, `${id}: ${status} response`);
  }
}

function coerce(value: string, schema: Json): unknown {
  const type = schema.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/**
 * OpenAPI 3.0's `nullable: true` as JSON Schema: the node, or null. (Ajv's own `nullable` needs a
 * `type` beside it and still refuses null where an `enum` leaves it out, as GitHub's often do.)
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    out[key] = toJsonSchema(value);
  }
  return (node as Json).nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}
