import { HTTPException } from 'hono/http-exception';
import { CacheUnavailableError } from '../cache/index.js';
import { DbError } from '../db/errors.js';
import { conflict, HttpError, internalError, notFound, unprocessable } from '../errors.js';

/**
 * How any error becomes Iris's one error shape, as a pure function shared by
 * the renderer (route.ts) and the read cache. The cache has to tell an outage
 * (serve a stale copy, or a 503) from an answer it must pass on (a 4xx): an
 * error is an outage exactly when it renders as a 5xx, so a value the
 * database refuses is a 422 on a cached read as on a write, and never opens a
 * circuit or serves a stale copy (issue 11).
 *
 * A database that gave no answer is a 503 with `Retry-After` (the circuit's
 * next probe) and `details: { reason, mayHaveCommitted }`: whether a write
 * may have been stored although the client got no answer. A read never has.
 * Requests refused because the database is known to be down are counted
 * (`db_rejections_total`) and not logged one by one: the circuit logs its
 * state changes.
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

/** What a 503 for a database that gave no answer says, in `error.details`. */
export interface DatabaseUnavailableDetails {
  /** `circuit_open` (known down, not attempted), `timeout` (no answer in time), `connection` (unreachable or lost). */
  reason: 'circuit_open' | 'timeout' | 'connection';
  /** True when the write reached the database and its outcome is unknown; false when it was refused before, or is a read. */
  mayHaveCommitted: boolean;
}

/** The 503 of a database that gave no answer to the request's `method`. */
function databaseUnavailable(cause: DbError, method: string, as?: CacheUnavailableError): HttpError {
  const write = method !== 'GET' && method !== 'HEAD';
  const details: DatabaseUnavailableDetails = { reason: cause.unavailableReason!, mayHaveCommitted: write && cause.mayHaveCommitted };
  const message =
    as?.message ??
    (!write
      ? 'The database is unavailable; retry after Retry-After seconds.'
      : details.mayHaveCommitted
        ? 'The database stopped answering while this write was in flight: it may have been stored. Check before you retry.'
        : 'The database is unavailable and nothing was stored; retry after Retry-After seconds.');
  return new HttpError(503, as?.code ?? 'database_unavailable', message, {
    details,
    headers: { 'Retry-After': String(cause.retryAfterS ?? as?.retryAfterS ?? 1) },
    cause,
  });
}

/**
 * Maps any error to the HttpError the client sees and how to log it, for a
 * request with `method` (which decides whether a write may have committed).
 * Unknown errors leak nothing.
 */
export function toHttpError(error: unknown, method = 'GET'): MappedError {
  // A cached read (or key lookup) with no copy to serve: the cache's 503, with what the database said.
  if (error instanceof CacheUnavailableError && error.cause instanceof DbError && error.cause.unavailable) {
    return { http: databaseUnavailable(error.cause, 'GET', error), log: logUnavailable(error.cause) };
  }
  // A 5xx built by Iris itself carries its cause: log it.
  if (error instanceof HttpError) return { http: error, log: error.status >= 500 ? 'error' : false };
  if (error instanceof DbError) {
    if (error.unavailable) return { http: databaseUnavailable(error, method), log: logUnavailable(error) };
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

/**
 * The fields a log line may carry about `error`, never a value a client sent:
 * a database error is logged by the function and the SQLSTATE, with its
 * message only when the database gave no answer (then the message is the
 * driver's: a refused connection, a timeout). An answer's message is
 * Postgres's, which quotes the values it refused (`invalid input syntax for
 * type uuid: "…"`, a `raise` with the value in it): issue 11 found rejected
 * values logged verbatim at error level.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (error instanceof DbError) {
    return error.unavailable ? { fn: error.fn, sqlState: error.sqlState, error } : { fn: error.fn, sqlState: error.sqlState, errorName: error.name };
  }
  if (error instanceof HttpError && error.cause instanceof DbError) return { ...loggableError(error.cause), code: error.code };
  return { error };
}

/** A call refused because the database is known to be down is not logged: the circuit logged the change. */
const logUnavailable = (error: DbError): ErrorLogLevel => (error.sqlState === 'circuit_open' ? false : 'error');

/** Whether a failed compute is an outage (a stale copy may cover it, or it becomes a 503) rather than an answer. */
export function isOutage(error: unknown): boolean {
  return toHttpError(error).http.status >= 500;
}
