import { HTTPException } from 'hono/http-exception';
import { DbError } from '../db/errors.js';
import { conflict, HttpError, internalError, notFound, serviceUnavailable, unprocessable } from '../errors.js';

/**
 * How any error becomes Iris's one error shape, as a pure function shared by
 * the renderer (route.ts) and the read cache. The cache has to tell an outage
 * (serve a stale copy, or a 503) from an answer it must pass on (a 4xx): an
 * error is an outage exactly when it renders as a 5xx, so a value the
 * database refuses is a 422 on a cached read as on a write, and never opens a
 * circuit or serves a stale copy (issue 11).
 */

/** How a mapped error is logged: `error` with the error, `warn` without anything the client sent, or not at all. */
export type ErrorLogLevel = 'error' | 'warn' | false;

export interface MappedError {
  http: HttpError;
  log: ErrorLogLevel;
}

/**
 * SQLSTATE classes 22 (data exception: a malformed or out-of-range value) and
 * 23 (integrity constraint violation): the database refused a value of the request.
 */
export function isDataError(error: DbError): boolean {
  return error.sqlState.startsWith('22') || error.sqlState.startsWith('23');
}

/** Maps any error to the HttpError the client sees and how to log it. Unknown errors leak nothing. */
export function toHttpError(error: unknown): MappedError {
  // A 5xx built by Iris itself (the cache's 503 when the database fails) carries its cause: log it.
  if (error instanceof HttpError) return { http: error, log: error.status >= 500 ? 'error' : false };
  if (error instanceof DbError) {
    if (error.unavailable) {
      return { http: serviceUnavailable('database_unavailable', 'The database is unavailable; retry shortly.'), log: 'error' };
    }
    if (error.sqlState === '23505') return { http: conflict('conflict', 'A resource with these values already exists.'), log: false };
    if (error.sqlState === '23503') return { http: notFound('A referenced resource does not exist.', 'reference_not_found'), log: false };
    // The schemas let a value through that the database refused: the client's input, so a 4xx;
    // logged (without the value) so the schema can be tightened.
    if (isDataError(error)) {
      return { http: unprocessable('The database rejected a value in the request.', { sqlState: error.sqlState }), log: 'warn' };
    }
  }
  if (error instanceof HTTPException) {
    return { http: new HttpError(error.status, 'http_error', error.message || 'Request failed.'), log: error.status >= 500 ? 'error' : false };
  }
  return { http: internalError(), log: 'error' };
}

/** Whether a failed compute is an outage (a stale copy may cover it, or it becomes a 503) rather than an answer. */
export function isOutage(error: unknown): boolean {
  return toHttpError(error).http.status >= 500;
}
