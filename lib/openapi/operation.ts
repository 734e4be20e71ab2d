import type { z } from 'zod';
import type { Method } from '../http/index.js';

/**
 * Who may call an operation, as the document's security requirement says it:
 * `project` an API key, `admin` IRIS_ADMIN_TOKEN, `metrics` IRIS_METRICS_TOKEN
 * (or none while it is unset), `operator` the metrics or the admin token,
 * `cron` CRON_SECRET, `public` nothing.
 */
export type OperationAuth = 'project' | 'admin' | 'metrics' | 'operator' | 'cron' | 'public';

/** One response an operation may give, beyond the ones every operation of its kind gives (see document.ts). */
export interface ResponseSpec {
  description: string;
  /** The body's schema (output side); absent: no body, or for a status of 400 and above the error shape. */
  schema?: z.ZodType;
  /** @default 'application/json' */
  contentType?: string;
  /** Other media types with a free-form text body (the metrics expositions). */
  textTypes?: readonly string[];
  /** Extra response headers, by name in components.headers (see headers.ts). */
  headers?: readonly string[];
}

/**
 * One (method, path) of the API as the OpenAPI document describes it. The
 * request side reuses the zod schemas the route validates with (lib/schemas);
 * the response side is a zod schema of what the route sends. Every route in
 * `api/` must have one per method it answers: the contract tests fail otherwise.
 */
export interface OperationSpec {
  method: Method;
  /** The route's template as `defineRoute` declares it, with `:param` segments. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** One tag: the section of the reference page. */
  tag: string;
  auth: OperationAuth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body; `bodyOptional` for a POST that takes none (an empty body, however framed). */
  body?: z.ZodType;
  bodyOptional?: boolean;
  /** A cached read: ETag, X-Cache, Server-Timing, If-None-Match and a 304 (lib/routes/cached.ts). */
  cached?: boolean;
  /** Takes an Idempotency-Key (lib/routes/idempotent.ts): 400, 409, 410 and 422 for the key, Idempotent-Replayed. */
  idempotent?: boolean;
  responses: Record<number, ResponseSpec>;
}
