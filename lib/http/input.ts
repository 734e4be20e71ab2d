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

/** A request's validated path parameters and query, shared by every request to the same URL: never mutate them. */
export interface ParsedInput<P, Q> {
  readonly params: Readonly<P>;
  readonly query: Readonly<Q>;
}

/** Options of {@link inputParser}. */
export interface InputParserOptions {
  /** URLs whose validated input is kept at most; past it the oldest goes first. @default 1024 */
  maxEntries?: number;
  /** Longer URLs are validated on every request and never kept (they are client input). @default 512 */
  maxUrlLength?: number;
}

/**
 * `parseParams` then `parseQuery` of one route, for a hot path: the schemas
 * are pure functions of the URL, so a URL validated once keeps its (frozen)
 * answer, and a request to it runs no zod, no URL parse and no parameter
 * decoding. Invalid input is never kept: it is validated, and refused with
 * the same 422, every time. A `projectId` in the query is still checked
 * against the key's project on every request (it depends on the key, not on
 * the URL). Bounded by `maxEntries` and `maxUrlLength`.
 * @example
 * const input = inputParser(PromptParams, GetPromptQuery);
 * GET: (c) => { const { params, query } = input(c); ... }
 */
export function inputParser<P extends z.ZodType, Q extends z.ZodType>(
  paramsSchema: P,
  querySchema: Q,
  options: InputParserOptions = {},
): (c: RouteContext) => ParsedInput<z.output<P>, z.output<Q>> {
  const maxEntries = options.maxEntries ?? 1024;
  const maxUrlLength = options.maxUrlLength ?? 512;
  const byUrl = new Map<string, ParsedInput<z.output<P>, z.output<Q>>>();
  return (c) => {
    const url = c.req.url;
    let input = byUrl.get(url);
    if (input === undefined) {
      const params = Object.freeze(validate(paramsSchema, c.req.param(), 'path'));
      const query = Object.freeze(validate(querySchema, queryObject(url), 'query'));
      input = Object.freeze({ params, query });
      if (url.length <= maxUrlLength) {
        if (byUrl.size >= maxEntries) byUrl.delete(byUrl.keys().next().value!);
        byUrl.set(url, input);
      }
    }
    assertOwnProject(c, input.query);
    return input;
  };
}
