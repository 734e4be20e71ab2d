/**
 * The one HTTP error family. Every error a client sees is rendered from an
 * `HttpError` by the `onError` handler as
 * `{ "error": { "code", "message", "details"?, "requestId" } }`.
 */

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: unknown;
    requestId: string;
    /** The request's W3C trace id (Iris's own trace, or the caller's traceparent): present when there is one. */
    traceId?: string;
  };
}

export interface HttpErrorOptions {
  /** Structured, client-safe detail (for example zod issues). Never internals. */
  details?: unknown;
  /** Extra response headers, such as `Allow` or `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  /** Stable, machine-readable code in snake_case. */
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  /** The error shape; `traceId` is the W3C trace id of the request, when it has one. */
  toBody(requestId: string, traceId?: string): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message, requestId };
    if (this.details !== undefined) error.details = this.details;
    if (traceId !== undefined) error.traceId = traceId;
    return { error };
  }
}

export const badRequest = (code: string, message: string, details?: unknown) =>
  new HttpError(400, code, message, { details });

export const unauthorized = (message = 'A valid API key is required: send "Authorization: Bearer <key>".') =>
  new HttpError(401, 'unauthorized', message, { headers: { 'WWW-Authenticate': 'Bearer realm="iris"' } });

export const forbidden = (code: string, message: string) => new HttpError(403, code, message);

export const notFound = (message = 'No such route.', code = 'not_found') => new HttpError(404, code, message);

export const methodNotAllowed = (allow: readonly string[]) =>
  new HttpError(405, 'method_not_allowed', `This route accepts ${allow.join(', ')}.`, {
    headers: { Allow: allow.join(', ') },
  });

export const conflict = (code: string, message: string) => new HttpError(409, code, message);

export const payloadTooLarge = (maxBytes: number) =>
  new HttpError(413, 'payload_too_large', `The request body exceeds ${maxBytes} bytes.`, {
    details: { maxBytes },
  });

/**
 * The request body ended before it was complete: the client closed the
 * connection mid-upload, or sent it too slowly for the server's request
 * timeout. The client's doing, so a 4xx (most often nobody is left to read it).
 */
export const requestAborted = () =>
  new HttpError(400, 'request_aborted', 'The request body ended before it was complete: the connection closed or the body arrived too slowly.');

export const unsupportedMediaType = () =>
  new HttpError(415, 'unsupported_media_type', 'Send the body as JSON with "Content-Type: application/json".');

export const unprocessable = (message: string, details?: unknown) =>
  new HttpError(422, 'validation_failed', message, { details });

export const serviceUnavailable = (code: string, message: string, retryAfterS = 5) =>
  new HttpError(503, code, message, { headers: { 'Retry-After': String(retryAfterS) } });

export const internalError = () =>
  new HttpError(500, 'internal_error', 'Something went wrong on our side. Retry later; quote the requestId if it persists.');
