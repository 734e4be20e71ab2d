import type { z } from 'zod';
import { forbidden } from '../errors.js';
import { readJsonBody, readOptionalJsonBody, type JsonBodyOptions } from './body.js';
import type { RouteContext } from './route.js';
import { queryObject, validate } from './validate.js';

/**
 * A `projectId` in a query or body is accepted only as an assertion: it must be
 * the key's own project. The project a request acts on always comes from the key.
 */
function assertOwnProject(c: RouteContext, data: unknown): void {
  const project = c.get('project');
  if (!project || typeof data !== 'object' || data === null || !('projectId' in data)) return;
  const claimed = (data as { projectId?: unknown }).projectId;
  if (claimed !== undefined && claimed !== project.id) {
    throw forbidden('project_mismatch', 'projectId does not match the project of this API key.');
  }
}

/** Validates the query string against a strict schema (unknown parameters are a 422). */
export function parseQuery<S extends z.ZodType>(c: RouteContext, schema: S): z.output<S> {
  const data = validate(schema, queryObject(c.req.url), 'query');
  assertOwnProject(c, data);
  return data;
}

/** Reads the JSON body under the size and depth limits, then validates it. */
export async function parseBody<S extends z.ZodType>(
  c: RouteContext,
  schema: S,
  options?: JsonBodyOptions,
): Promise<z.output<S>> {
  const data = validate(schema, await readJsonBody(c.req.raw, options), 'body');
  assertOwnProject(c, data);
  return data;
}

/**
 * For a route whose body is optional (a POST that needs no input): an empty
 * body, however it is framed, is `undefined`; a body with bytes in it must be
 * JSON and valid against `schema`, under the same limits as {@link parseBody}.
 * @example
 * await parseOptionalBody(c, EmptyBody); // accepts `curl -X POST` and `-d '{}'`, refuses `-d 'x'`
 */
export async function parseOptionalBody<S extends z.ZodType>(
  c: RouteContext,
  schema: S,
  options?: JsonBodyOptions,
): Promise<z.output<S> | undefined> {
  const raw = await readOptionalJsonBody(c.req.raw, options);
  if (raw === undefined) return undefined;
  const data = validate(schema, raw, 'body');
  assertOwnProject(c, data);
  return data;
}

/** Validates path parameters. */
export function parseParams<S extends z.ZodType>(c: RouteContext, schema: S): z.output<S> {
  return validate(schema, c.req.param(), 'path');
}
