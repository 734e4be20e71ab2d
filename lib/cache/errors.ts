import { HttpError } from '../errors.js';

/**
 * The compute of a cached value failed and no copy inside its grace window was
 * left to serve. An `HttpError` 503 with `Retry-After`, so the shared
 * `onError` renders it as is; the compute's failure is its `cause` (logged,
 * never sent to the client).
 */
export class CacheUnavailableError extends HttpError {
  static readonly code = 'upstream_unavailable';
  /** The resource that could not be served, e.g. `overview`. */
  readonly resource: string;
  /** Seconds the client should wait before retrying, as sent in `Retry-After`. */
  readonly retryAfterS: number;

  constructor(resource: string, retryAfterS: number, options: { cause?: unknown } = {}) {
    super(503, CacheUnavailableError.code, `The ${resource} data is temporarily unavailable. Retry later.`, {
      headers: { 'Retry-After': String(retryAfterS) },
      cause: options.cause,
    });
    this.resource = resource;
    this.retryAfterS = retryAfterS;
  }
}

/**
 * Not thrown: the `error` of a `CacheResult` answered from the copy in grace
 * because the load took longer than `softTimeoutMs` (the load carries on).
 */
export class SoftTimeoutError extends Error {
  override readonly name = 'SoftTimeoutError';
  /** The resource whose compute was slow. */
  readonly resource: string;

  constructor(resource: string, softTimeoutMs: number) {
    super(`The ${resource} compute took longer than ${softTimeoutMs} ms; served the copy in grace.`);
    this.resource = resource;
  }
}
