/**
 * The OpenAPI 3.1 document, generated from the operations (operations/*.ts):
 * request parameters and bodies from the zod schemas the routes validate
 * with, responses from the response schemas, with zod 4's JSON Schema output
 * (draft 2020-12, the dialect of OpenAPI 3.1). The responses every operation
 * of a kind gives (errors of auth, input, limits, outages; cache and
 * rate-limit headers) are added here, in one place, so the document says what
 * the request path in lib/http/route.ts does.
 * https://spec.openapis.org/oas/v3.1.0
 */
import { z } from 'zod';
import { CACHE_HEADERS, HEADERS, RATE_LIMIT_HEADERS, type HeaderName } from './headers.js';
import type { OperationAuth, OperationSpec, ResponseSpec } from './operation.js';
import { ErrorBody } from './schemas.js';

export type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
};
export interface OpenApiOperation {
  operationId: string;
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
  [key: string]: unknown;
}

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** `info.version`: the running build's version. */
  version: string;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' } as const;

/**
 * A zod schema as a JSON Schema object without `$schema`; `io` picks the
 * request (input) or response (output) side. Definitions zod puts in `$defs`
 * (recursive schemas such as z.json()) move to `components.schemas` when
 * `components` is given, since in an OpenAPI document `#` is the document.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components?: Record<string, JsonSchema>): JsonSchema {
  const {
    $schema: _,
    $defs,
    ...rest
  } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline' }) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  if (!$defs) return rest;
  if (!components) throw new Error('a schema with $defs needs the components to move them to');
  let text = JSON.stringify(rest);
  for (const [name, definition] of Object.entries($defs)) {
    // The same definition (z.json() everywhere) gets one component; its own refs point at itself.
    const body = JSON.stringify(definition).split(`"#/$defs/${name}"`).join('"#/components/schemas/__self"');
    let target = Object.keys(components).find(
      (k) => JSON.stringify(components[k]).split(`"#/components/schemas/${k}"`).join('"#/components/schemas/__self"') === body,
    );
    if (!target) {
      target = name === '__schema0' && !components.Json ? 'Json' : `Def${Object.keys(components).length}`;
      components[target] = JSON.parse(body.split('"#/components/schemas/__self"').join(`"#/components/schemas/${target}"`)) as JsonSchema;
    }
    text = text.split(`"#/$defs/${name}"`).join(`"#/components/schemas/${target}"`);
  }
  return JSON.parse(text) as JsonSchema;
}

/** `/api/x/:id` -> `/api/x/{id}`. */
export function openApiPath(template: string): string {
  return template.replace(/:([A-Za-z]\w*)/g, '{$1}');
}

const SECURITY: Record<OperationAuth, Record<string, string[]>[]> = {
  project: [{ apiKey: [] }],
  admin: [{ adminToken: [] }],
  // No token configured: served without one (refused in production).
  metrics: [{ metricsToken: [] }, {}],
  operator: [{ metricsToken: [] }, { adminToken: [] }],
  cron: [{ cronSecret: [] }],
  public: [],
};

const STANDARD_ERRORS: Record<number, string> = {
  400: 'Malformed JSON, invalid UTF-8, JSON nested deeper than 32 levels, an aborted body, or a malformed Idempotency-Key.',
  401: 'The credentials are missing, malformed, unknown or revoked.',
  403: "A projectId that is not the key's project, or X-Iris-Cache-Bypass without the admin token.",
  404: 'No such resource, or the route is switched off (its token is not configured).',
  409: 'A request with the same Idempotency-Key is still running: retry after Retry-After.',
  410: 'The stored answer under this Idempotency-Key held a secret that can no longer be recovered.',
  413: 'The body is over the size limit (1 MiB), checked before parsing.',
  415: 'The body was not sent as application/json.',
  422: 'The input breaks the schema (details lists each issue with its path), or the database refused a value.',
  429: 'A rate limit is used up: the body names the budget; wait Retry-After seconds.',
  500: "Something went wrong on Iris's side; quote the requestId.",
  503: 'The database is unreachable and nothing usable is cached, or the instance is starting: retry after Retry-After.',
};

/** The error statuses every operation of this shape can answer, beyond its own. */
function standardErrors(op: OperationSpec): number[] {
  const statuses = new Set<number>([429, 500, 503]);
  if (op.auth === 'project') [401, 403].forEach((s) => statuses.add(s));
  if (op.auth === 'admin' || op.auth === 'cron' || op.auth === 'operator') [401, 404].forEach((s) => statuses.add(s));
  if (op.auth === 'metrics') [401, 403].forEach((s) => statuses.add(s));
  if (op.query || op.params) statuses.add(422);
  if (op.body) [400, 413, 415, 422].forEach((s) => statuses.add(s));
  if (op.idempotent) [400, 409, 410, 422].forEach((s) => statuses.add(s));
  return [...statuses];
}

function headerRefs(names: readonly HeaderName[], required: readonly HeaderName[] = []): Record<string, unknown> {
  return Object.fromEntries(
    names.map((name) => [name, required.includes(name) ? { ...HEADERS[name], required: true } : { $ref: `#/components/headers/${name}` }]),
  );
}

/** The headers a response of `op` with `status` carries. */
function responseHeaders(op: OperationSpec, status: number, own: readonly string[] = []): Record<string, unknown> {
  const names: HeaderName[] = ['X-Request-Id', 'Cache-Control'];
  const required: HeaderName[] = ['X-Request-Id', 'Cache-Control'];
  if (op.auth === 'project') names.push('Vary');
  names.push(...RATE_LIMIT_HEADERS);
  if (op.cached && (status === 200 || status === 304)) {
    names.push(...CACHE_HEADERS);
    required.push('ETag', 'X-Cache');
  }
  if (op.idempotent && status < 500) names.push('Idempotent-Replayed');
  if (status === 401) names.push('WWW-Authenticate');
  if (status === 429) required.push('Retry-After');
  if (status === 429 || status === 503 || status === 409) names.push('Retry-After');
  for (const name of own) if (name in HEADERS) names.push(name as HeaderName);
  return headerRefs([...new Set([...names, ...required])], required);
}

function content(spec: ResponseSpec, components: Record<string, JsonSchema>): Record<string, { schema: JsonSchema }> | undefined {
  if (!spec.schema && !spec.textTypes) return undefined;
  const out: Record<string, { schema: JsonSchema }> = {};
  if (spec.schema)
    out[spec.contentType ?? 'application/json'] = { schema: spec.schema === ErrorBody ? ERROR_REF : jsonSchema(spec.schema, 'output', components) };
  for (const type of spec.textTypes ?? []) out[type] = { schema: { type: 'string' } };
  return out;
}

function parameters(op: OperationSpec, components: Record<string, JsonSchema>): unknown[] {
  const out: unknown[] = [];
  const add = (where: 'path' | 'query', schema: z.ZodObject | undefined) => {
    if (!schema) return;
    const object = jsonSchema(schema, 'input', components) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      const { description, ...rest } = property as { description?: string };
      out.push({
        name,
        in: where,
        required: where === 'path' || (object.required ?? []).includes(name),
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  };
  add('path', op.params);
  add('query', op.query);
  if (op.cached) {
    out.push(
      { $ref: '#/components/parameters/IfNoneMatch' },
      { $ref: '#/components/parameters/RequestCacheControl' },
      { $ref: '#/components/parameters/CacheBypass' },
    );
  }
  if (op.idempotent) out.push({ $ref: '#/components/parameters/IdempotencyKey' });
  return out;
}

function operation(op: OperationSpec, components: Record<string, JsonSchema>): OpenApiOperation {
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    const code = Number(status);
    // An error response names no schema: it is the one error shape.
    const body = code >= 400 && !spec.schema ? { 'application/json': { schema: ERROR_REF } } : content(spec, components);
    responses[status] = { description: spec.description, headers: responseHeaders(op, code, spec.headers), ...(body ? { content: body } : {}) };
  }
  if (op.cached && !responses['304']) {
    responses['304'] = { description: 'Not Modified: the If-None-Match ETag still matches; no body.', headers: responseHeaders(op, 304) };
  }
  for (const status of standardErrors(op)) {
    if (responses[status]) continue;
    responses[status] = { description: STANDARD_ERRORS[status]!, headers: responseHeaders(op, status), content: { 'application/json': { schema: ERROR_REF } } };
  }
  const params = parameters(op, components);
  const sorted = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    security: SECURITY[op.auth],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: !op.bodyOptional,
            ...(op.bodyOptional ? { description: 'Optional: an empty body, however it is framed, is accepted.' } : {}),
            content: { 'application/json': { schema: jsonSchema(op.body, 'input', components) } },
          },
        }
      : {}),
    responses: sorted,
  };
}

const DESCRIPTION = `Iris is a serverless API for AI-agent telemetry.

Every endpoint under \`/api/iris\` needs \`Authorization: Bearer <api key>\`; the key decides the project (a \`projectId\` in a query or body is accepted only when it names the key's own project, otherwise 403). Errors always have one shape, \`{ "error": { "code", "message", "details"?, "requestId", "traceId"? } }\`, and every response carries \`X-Request-Id\`.

Authenticated responses are never cacheable by shared caches (\`Cache-Control: private\`, \`Vary: Authorization\`, never \`s-maxage\`). Reads carry an \`ETag\` (send it back in \`If-None-Match\` for a bodyless 304) and say in \`X-Cache\` how the cache answered. Every rate-limited answer carries \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\` and the older \`X-RateLimit-*\`; a refused request gets 429 with \`Retry-After\`.

A method a route does not answer gets 405 with \`Allow\`; \`OPTIONS\` on any route answers 204 with \`Allow\` (and the CORS headers for an allowed origin); \`HEAD\` answers as \`GET\` without a body.`;

/** Builds the document from `operations`. Pure: the same operations give the same document. */
export function buildOpenApiDocument(operations: readonly OperationSpec[], options: OpenApiOptions): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  const schemas: Record<string, JsonSchema> = {};
  schemas.Error = jsonSchema(ErrorBody, 'output', schemas);
  for (const op of operations) {
    const path = openApiPath(op.path);
    const method = op.method.toLowerCase();
    paths[path] ??= {};
    if (paths[path][method]) throw new Error(`${op.method} ${op.path} is declared twice`);
    paths[path][method] = operation(op, schemas);
    if (!tags.includes(op.tag)) tags.push(op.tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Iris API',
      version: options.version,
      description: DESCRIPTION,
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This deployment' }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'iris_sk_<43 base64url characters>',
          description: 'A project API key (admin routes mint them).',
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'IRIS_ADMIN_TOKEN. While it is unset the admin routes answer 404.' },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'IRIS_METRICS_TOKEN. While it is unset /api/metrics needs none (and refuses to serve in production).',
        },
        cronSecret: { type: 'http', scheme: 'bearer', description: 'CRON_SECRET, as Vercel Cron sends it. While it is unset the cron routes answer 404.' },
      },
      schemas,
      headers: HEADERS,
      parameters: {
        IfNoneMatch: {
          name: 'If-None-Match',
          in: 'header',
          required: false,
          description: 'An ETag from an earlier answer, quotes included: an unchanged answer is a bodyless 304.',
          schema: { type: 'string' },
        },
        RequestCacheControl: {
          name: 'Cache-Control',
          in: 'header',
          required: false,
          description: '`no-cache` computes the answer fresh.',
          schema: { type: 'string' },
        },
        CacheBypass: {
          name: 'X-Iris-Cache-Bypass',
          in: 'header',
          required: false,
          description: 'Skips the cache entirely; needs the admin token as its value (else 403).',
          schema: { type: 'string' },
        },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: the first answer is replayed (Idempotent-Replayed: true) for 24 h. 8 to 255 characters of letters, digits and - _ . ~ : + / =, optionally quoted.',
          schema: { type: 'string', maxLength: 257 },
        },
      },
    },
  };
}
