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

/**
 * The query string of `url` as a plain object; a repeated parameter keeps every
 * value as an array so schemas can reject it. Takes the raw URL string so a
 * request without a query string costs no URL parse.
 */
export function queryObject(url: string): Record<string, string | string[]> {
  const start = url.indexOf('?');
  if (start === -1) return {};
  const hash = url.indexOf('#', start);
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash))) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return { ...out };
}
