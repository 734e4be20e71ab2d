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
