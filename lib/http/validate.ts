import type { z } from 'zod';
import { unprocessable } from '../errors.js';

/** One schema violation as clients see it in `error.details`. */
export interface ValidationIssue {
  path: string;
  code: string;
  message: string;
}

const MAX_ISSUES = 20;
const MAX_MESSAGE = 200;

/** Turns zod issues into a short, bounded list that never echoes large input back. */
export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.').slice(0, MAX_MESSAGE),
    code: issue.code,
    message: issue.message.slice(0, MAX_MESSAGE),
  }));
}

/** Parses `input` with `schema` or throws a 422 whose details list the issues. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'query' | 'body' | 'path'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw unprocessable(`The request ${where === 'path' ? 'path' : where} is invalid.`, toIssues(result.error));
  }
  return result.data;
}

/** Adds one parameter to a query object: own properties only, so `__proto__` or `constructor` is plain data. */
function addParam(out: Record<string, string | string[]>, key: string, value: string): void {
  if (!Object.hasOwn(out, key)) {
    // Assigning `__proto__` would set the prototype instead of adding a member.
    if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
    else out[key] = value;
    return;
  }
  const existing = out[key]!;
  out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
}

/**
 * The query string of `url` as a plain object; a repeated parameter keeps every
 * value as an array so schemas can reject it. Takes the raw URL string so a
 * request without a query string costs no URL parse.
 *
 * A query with no `%` and no `+` (the usual `?subject=user-1`) decodes to its
 * own characters, so it is split directly; anything else goes through
 * URLSearchParams (WHATWG form-urlencoded parsing, which both paths follow).
 */
export function queryObject(url: string): Record<string, string | string[]> {
  const start = url.indexOf('?');
  if (start === -1) return {};
  const hash = url.indexOf('#', start);
  const query = hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash);
  const out: Record<string, string | string[]> = {};
  if (query.includes('%') || query.includes('+')) {
    for (const [key, value] of new URLSearchParams(query)) addParam(out, key, value);
    return out;
  }
  let from = 0;
  while (from <= query.length) {
    let to = query.indexOf('&', from);
    if (to === -1) to = query.length;
    // Empty sequences (`a=1&&b=2`, a trailing `&`) are skipped, as URLSearchParams does.
    if (to > from) {
      const eq = query.indexOf('=', from);
      if (eq === -1 || eq > to) addParam(out, query.slice(from, to), '');
      else addParam(out, query.slice(from, eq), query.slice(eq + 1, to));
    }
    from = to + 1;
  }
  return out;
}
