/**
 * Iris's own spans, through `@opentelemetry/api`. Everything here is called
 * only while `tracingOn` is true, which `startTracing` sets once an SDK is
 * registered: with tracing unconfigured, the request path reads one boolean
 * and does nothing else (see PERFORMANCE.md, "Tracing off costs nothing").
 *
 * Span names and attributes follow the OpenTelemetry semantic conventions
 * where one exists (HTTP server spans, database client spans); Iris's own
 * are under `iris.*`. No attribute ever holds an API key, a token, a cache
 * key or a request body.
 */
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';

/** True once an OpenTelemetry SDK is registered for this process (lib/tracing/start.ts). */
export let tracingOn = false;
let tracer: Tracer | null = null;

/** Turns Iris's spans on (`startTracing`) or off again (tests). */
export function setTracer(next: Tracer | null): void {
  tracer = next;
  tracingOn = next !== null;
}

type MaybePromise<T> = T | Promise<T>;

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

function fail(span: Span, error: unknown): void {
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : NaN;
  // A refusal the client caused (a 4xx HttpError) is an answer, not a failure of the operation's code.
  if (status >= 400 && status < 500) {
    span.setAttribute('iris.error.status', status);
    return;
  }
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
  // A database error by its SQLSTATE (or Iris's reason, such as circuit_open), anything else by its code or name.
  const fields = typeof error === 'object' && error !== null ? (error as { sqlState?: unknown; code?: unknown }) : {};
  const code = fields.sqlState ?? fields.code;
  span.setAttribute('error.type', code !== undefined ? String(code) : error instanceof Error ? error.name : 'error');
}

/**
 * Runs `fn` inside a new span, a child of the active one, and ends the span
 * when `fn`'s result settles; `onResult` may add attributes from the result.
 * Synchronous results stay synchronous.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: () => MaybePromise<T>,
  options: { kind?: SpanKind; onResult?: (span: Span, result: T) => void } = {},
): MaybePromise<T> {
  if (!tracer) return fn();
  const span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes });
  const end = (result: T): T => {
    options.onResult?.(span, result);
    span.end();
    return result;
  };
  let result: MaybePromise<T>;
  try {
    result = context.with(trace.setSpan(context.active(), span), fn);
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(end, (error: unknown) => {
      fail(span, error);
      span.end();
      throw error;
    });
  }
  return end(result);
}

/** What the request span records about the response. */
export interface RequestSpanResult {
  status: number;
  requestId: string | undefined;
  /** `X-Cache` of a cached read. */
  cache: string | null;
}

/**
 * Runs the whole request inside a SERVER span. Its parent is the span
 * already active (a platform's own instrumentation), else the caller's W3C
 * `traceparent`/`tracestate`, else none (a new trace).
 */
export function withRequestSpan(
  request: Request,
  method: string,
  route: string,
  path: string,
  run: () => MaybePromise<Response>,
  result: (response: Response) => RequestSpanResult,
): MaybePromise<Response> {
  if (!tracer) return run();
  const active = context.active();
  const parent: Context = trace.getSpan(active) ? active : propagation.extract(active, request.headers, headerGetter);
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': path } },
    parent,
  );
  const end = (response: Response): Response => {
    const r = result(response);
    span.setAttribute('http.response.status_code', r.status);
    if (r.requestId !== undefined) span.setAttribute('iris.request_id', r.requestId);
    if (r.cache !== null) span.setAttribute('http.response.header.x-cache', [r.cache]);
    if (r.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(r.status) });
    span.end();
    return response;
  };
  const answered = context.with(trace.setSpan(parent, span), run);
  return answered instanceof Promise ? answered.then(end) : end(answered);
}

/** A CLIENT span around one call to the database or the KV. */
export function withClientSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return withSpan(name, attributes, fn, { kind: SpanKind.CLIENT }) as Promise<T>;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}/;

/**
 * The trace id of `traceparent` (W3C Trace Context, version 00 and later),
 * or undefined when it is absent, malformed or all zeros (invalid by the spec).
 */
export function traceIdOfTraceparent(header: string | null | undefined): string | undefined {
  const m = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!) || header!.trim().startsWith('ff')) return undefined;
  return m[1];
}

/**
 * The trace this request belongs to: Iris's own when tracing is on, else the
 * caller's `traceparent`, so an error a user reports leads to a trace either way.
 */
export function currentTraceId(traceparent: string | null | undefined): string | undefined {
  if (tracingOn) {
    const id = trace.getActiveSpan()?.spanContext().traceId;
    if (id !== undefined && !/^0+$/.test(id)) return id;
  }
  return traceIdOfTraceparent(traceparent);
}

/** Fields every log line carries while a span is active: `traceId` and `spanId`. */
export function traceLogFields(): Record<string, string> | undefined {
  if (!tracingOn) return undefined;
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
