import { Hono, type Context } from 'hono';
import {
  bearerToken,
  looksLikeApiKey,
  sha256Hex,
  sha256HexSync,
  timingSafeEqualString,
  type ProjectContext,
} from '../auth/index.js';
import { HttpError, internalError, methodNotAllowed, notFound, serviceUnavailable, unauthorized } from '../errors.js';
import { clientIp, rateLimitHeaders, ruleForIp, ruleForKey, type RateLimitDecision, type RateLimitRule } from '../rate-limit/index.js';
import { getServices, startedServices, type Services } from '../services.js';
import { currentTraceId, tracingOn, withRequestSpan, withSpan } from '../tracing/index.js';
import { loggableError, toHttpError } from './error-map.js';
import { appendVary, corsHeaders, NO_STORE, requestIdFrom, SECURITY_HEADERS } from './headers.js';
import { json, respond } from './respond.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type AnyMethod = (typeof ALL_METHODS)[number];

/**
 * Who may call a route: `project` needs an API key (the project comes from the
 * key), `admin` needs `IRIS_ADMIN_TOKEN` (and the route answers 404 while it is
 * unset), `public` needs nothing.
 */
export type Access = 'project' | 'admin' | 'public';

/** Per-call bindings: lets tests and the local server hand a route its services (one set per simulated instance). */
export interface RouteBindings {
  services?: Services;
}

export interface AppEnv {
  Bindings: RouteBindings;
  Variables: {
    requestId: string;
    services: Services;
    project: ProjectContext;
    /** Time spent authenticating, in ms, for Server-Timing. */
    authMs: number;
    /** Who may call the route. */
    access: Access;
    /** Headers every response of this request carries, gathered as the request goes (see respond.ts). */
    responseHeaders: Record<string, string>;
  };
}

export type RouteContext = Context<AppEnv>;

/** A value, or the promise of one: the request path stays synchronous until something has to wait. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Answers one method of a route. It may return the Response itself: a request
 * that never waits (a cache hit) then costs no promise at all, and the local
 * server writes it out at once.
 */
export type RouteHandler = (c: RouteContext) => MaybePromise<Response>;

export interface RouteDefinition {
  /** The URL template Vercel routes the file to, with `:param` for `[param]` segments. */
  path: string;
  access: Access;
  methods: Partial<Record<Method, RouteHandler>>;
}

/** A web handler as Vercel's Node and Edge runtimes call it. */
export type WebHandler = (request: Request) => Promise<Response>;

export interface Route {
  readonly path: string;
  readonly access: Access;
  /** Methods answered with something other than 405, in `Allow` order. */
  readonly allow: readonly string[];
  /** Handles a request; `bindings.services` overrides the instance-wide services. Synchronous when nothing had to wait. */
  fetch(request: Request, bindings?: RouteBindings): MaybePromise<Response>;
  /** One export per HTTP method for the api/ file, so even unsupported methods get Iris's JSON 405. */
  readonly handlers: Readonly<Record<AnyMethod, WebHandler>>;
}

/** `fn(value)`, after `value` settles when it is a promise, without one when it is not. */
function then<T, U>(value: MaybePromise<T>, fn: (resolved: T) => MaybePromise<U>): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** The regular expression a concrete path of `template` matches (`:param` is one segment, a trailing slash is allowed). */
export function templatePattern(template: string): RegExp {
  const source = template
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/**
 * Builds one route: a tiny Hono app around the given handlers with Iris's
 * request path (request id, security headers, CORS, access control, rate
 * limits, metrics, the error shape). Each api/ file wires exactly one route,
 * so each Vercel function only loads what its route needs.
 *
 * Every (method, path) pair has exactly one Hono handler, which runs the whole
 * request path as one function rather than a middleware chain: Hono then calls
 * it directly, and a request that never waits (an API key and a value both in
 * L1, the in-memory limiter) is answered synchronously, with no promise.
 */
export function defineRoute(definition: RouteDefinition): Route {
  const { path, access } = definition;
  const methods = METHODS.filter((m) => definition.methods[m] !== undefined);
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
  const paramNames = [...path.matchAll(/:([A-Za-z]\w*)/g)].map((m) => m[1]!);
  const pattern = templatePattern(path);
  // RFC 9110 §12.5.5: an authenticated answer depends on the credentials, so no cache may reuse it across them.
  const baseHeaders: Readonly<Record<string, string>> = Object.freeze(
    access === 'public' ? { ...SECURITY_HEADERS } : { ...SECURITY_HEADERS, Vary: 'Authorization' },
  );
  const pipeline = createPipeline(path, access, baseHeaders);
  const app = new Hono<AppEnv>();

  const refuse = (): never => {
    throw methodNotAllowed(allow);
  };
  for (const method of METHODS) {
    const handler = definition.methods[method];
    app.on(method, path, handler ? (c) => pipeline(c, true, handler) : (c) => pipeline(c, false, refuse));
  }
  app.on('OPTIONS', path, (c) =>
    pipeline(c, false, () => {
      const cors = corsHeaders(c.req.header('origin') ?? null, c.get('services').config.corsOrigins, { methods: allow });
      return respond(c, null, 204, { Allow: allow.join(', '), ...cors });
    }),
  );
  // Any other method on the route's path is a 405 too; any other path a 404.
  app.notFound((c) =>
    pipeline(c, false, () => {
      throw pattern.test(c.req.path) ? methodNotAllowed(allow) : notFound();
    }),
  );
  app.onError((error, c) => renderError(error, c));

  const fetch = (request: Request, bindings: RouteBindings = {}): MaybePromise<Response> => {
    try {
      return app.fetch(vercelPathToUrl(request, paramNames), bindings);
    } catch (error) {
      // Hono renders whatever a handler throws; this is for what throws before it runs.
      return lastResortError(request, error);
    }
  };
  const handler: WebHandler = (request) => Promise.resolve(fetch(request));
  const handlers = Object.fromEntries(ALL_METHODS.map((m) => [m, handler])) as Record<AnyMethod, WebHandler>;

  return { path, access, allow, fetch, handlers };
}

/** Methods `new Request()` refuses (Fetch standard, "forbidden methods"); Node's adapter still hands TRACE to a route. */
const UNCONSTRUCTIBLE_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * Vercel may hand a dynamic route's function the file path (`/api/x/[id]`) with
 * the value as a query parameter. Put the value back into the path so the
 * template matches the URL the client actually called.
 */
function vercelPathToUrl(request: Request, paramNames: string[]): Request {
  if (paramNames.length === 0 || !request.url.includes('%5B') && !request.url.includes('[')) return request;
  // The Fetch standard forbids these in `new Request()` (it throws), so such a request cannot be rebuilt.
  // It needs no rebuilding: no route answers them, and `[param]` matches the template, so it gets the JSON 405.
  if (UNCONSTRUCTIBLE_METHODS.has(request.method.toUpperCase())) return request;
  const url = new URL(request.url);
  let path = decodeURIComponent(url.pathname);
  for (const name of paramNames) {
    const value = url.searchParams.get(name);
    if (value !== null && path.includes(`[${name}]`)) {
      path = path.replace(`[${name}]`, encodeURIComponent(value));
      url.searchParams.delete(name);
    }
  }
  url.pathname = path;
  return new Request(url, request);
}

/**
 * The request path of one route, as one function: start (request id, headers,
 * services, CORS), then for the route's own methods access control and rate
 * limits, then the handler; errors become Iris's error shape; metrics are
 * recorded once per request, errors and 304s included, labelled by the
 * template (never the raw path).
 */
function createPipeline(routePath: string, routeAccess: Access, baseHeaders: Readonly<Record<string, string>>) {
  const authorize = accessCheck(routeAccess);

  function finish(c: RouteContext, response: Response, started: number): Response {
    const services = c.get('services');
    if (services) {
      const { metrics, fleet, background, webhooks } = services;
      metrics.recordHttp(routePath, c.req.method, response.status, (performance.now() - started) / 1000);
      if (fleet.isDue()) void background.run('metrics.publish', () => fleet.publishIfDue());
      // Retries this instance scheduled are sent by its next request once due (and by the cron route in any case).
      if (webhooks.isDue()) void webhooks.drainSoon('request');
    }
    return response;
  }

  // With tracing on (lib/tracing), the same steps inside a request span, with auth in a span of its own.
  const tracedAuthorize = (c: RouteContext) => withSpan('iris.auth', { 'iris.access': routeAccess }, () => authorize(c));
  const tracedRun = (c: RouteContext, guarded: boolean, handler: RouteHandler) => run(c, guarded, handler, tracedAuthorize);
  const spanResult = (c: RouteContext) => (response: Response) => ({
    status: response.status,
    requestId: c.get('requestId'),
    cache: response.headers.get('X-Cache'),
  });

  function run(c: RouteContext, guarded: boolean, handler: RouteHandler, authorize: (c: RouteContext) => MaybePromise<void>): MaybePromise<Response> {
    const started = performance.now();
    let result: MaybePromise<Response>;
    try {
      const ready = begin(c, routeAccess, baseHeaders);
      if (ready === undefined) {
        // The common case, written out so that a request that never waits allocates no continuation.
        const admitted = guarded ? authorize(c) : undefined;
        result = admitted === undefined ? handler(c) : admitted.then(() => handler(c));
      } else {
        result = ready.then(() => (guarded ? then(authorize(c), () => handler(c)) : handler(c)));
      }
    } catch (error) {
      return finish(c, renderError(error, c), started);
    }
    if (result instanceof Promise) {
      return result.then(
        (response) => finish(c, response, started),
        (error: unknown) => finish(c, renderError(error, c), started),
      );
    }
    return finish(c, result, started);
  }

  return (c: RouteContext, guarded: boolean, handler: RouteHandler): MaybePromise<Response> => {
    if (tracingOn) return withRequestSpan(c.req.raw, c.req.method, routePath, c.req.path, () => tracedRun(c, guarded, handler), spanResult(c));
    return run(c, guarded, handler, authorize);
  };
}

/** Request id, the route's headers and the services; waits only while the instance's services start. */
function begin(c: RouteContext, routeAccess: Access, baseHeaders: Readonly<Record<string, string>>): MaybePromise<void> {
  const requestId = requestIdFrom(c.req.header('x-request-id') ?? null);
  c.set('requestId', requestId);
  c.set('access', routeAccess);
  // A clone of the route's headers (V8's fast path for a lone spread), then the id.
  const headers: Record<string, string> = { ...baseHeaders };
  headers['X-Request-Id'] = requestId;
  c.set('responseHeaders', headers);
  const services = c.env?.services ?? startedServices();
  if (services) return useServices(c, services, headers);
  return getServices().then(
    (started) => useServices(c, started, headers),
    (error: unknown) => {
      console.error(JSON.stringify({ level: 'error', message: 'services failed to start', requestId, error: String(error) }));
      throw serviceUnavailable('starting', 'The service is starting or misconfigured; retry shortly.');
    },
  );
}

function useServices(c: RouteContext, services: Services, headers: Record<string, string>): void {
  c.set('services', services);
  if (services.config.corsOrigins.length > 0 && c.req.method !== 'OPTIONS') {
    const cors = corsHeaders(c.req.header('origin') ?? null, services.config.corsOrigins, null);
    if (cors) Object.assign(headers, cors, { Vary: appendVary(headers.Vary ?? null, cors.Vary!) });
  }
}

/**
 * Spends one unit of `rule` for `identifier` and throws a 429 when the budget
 * is gone. The limiter never throws: a slow or failed store lets the request
 * through with a counted reason (fail open). An in-process limiter decides
 * synchronously.
 */
function spend(c: RouteContext, rule: RateLimitRule, identifier: string): MaybePromise<RateLimitDecision> {
  const { limiter } = c.get('services');
  if (limiter.checkNow) return admit(c, rule, limiter.checkNow(rule, identifier));
  return limiter.check(rule, identifier).then((decided) => admit(c, rule, decided));
}

function admit(c: RouteContext, rule: RateLimitRule, decision: RateLimitDecision): RateLimitDecision {
  const { metrics, background, now } = c.get('services');
  if (decision.pending) void background.run('rate-limit.pending', decision.pending);
  metrics.rateLimitDecision(decision.allowed ? 'allowed' : 'limited', decision.reason);
  const at = now();
  if (!decision.allowed) {
    const headers = rateLimitHeaders(decision, at);
    const retryAtMs = decision.retryAtMs ?? decision.resetAtMs;
    throw new HttpError(429, 'rate_limited', `The ${rule.name} limit of ${rule.limit} requests per ${rule.windowMs / 1000} s is used up; a request will pass again in ${headers['Retry-After']} s.`, {
      details: {
        limit: rule.name,
        limitPerWindow: rule.limit,
        windowS: rule.windowMs / 1000,
        resetAt: new Date(decision.resetAtMs).toISOString(),
        retryAt: new Date(retryAtMs).toISOString(),
      },
      headers,
    });
  }
  rateLimitHeaders(decision, at, c.get('responseHeaders'));
  return decision;
}

/** The per-IP budget: every request to public and admin routes, and API-key lookups that miss the cache. */
function spendIp(c: RouteContext): MaybePromise<RateLimitDecision> {
  return spend(c, ruleForIp(c.get('services').config.ipLimitPerMinute), `ip:${clientIp(c.req.raw.headers)}`);
}

/** Counts the failure and spends the IP budget (which may answer 429 first), then refuses. */
function refuseKey(c: RouteContext, reason: 'missing' | 'malformed', message?: string): MaybePromise<never> {
  c.get('services').metrics.authFailure(reason);
  return then(spendIp(c), () => {
    throw unauthorized(message);
  });
}

/** One limiter identifier string per cached project object, so the limiter hashes it once, not per request. */
const keyIdentifiers = new WeakMap<ProjectContext, string>();

function keyIdentifier(project: ProjectContext): string {
  let identifier = keyIdentifiers.get(project);
  if (identifier === undefined) keyIdentifiers.set(project, (identifier = `key:${project.keyId}`));
  return identifier;
}

/** A verified key: the request acts on its project, within the key's own read or write budget. */
function admitKey(c: RouteContext, project: ProjectContext, started: number): MaybePromise<void> {
  c.set('project', project);
  c.set('authMs', performance.now() - started);
  // Checked after the auth cache and before any database work.
  const spent = spend(c, ruleForKey(project.settings, c.req.method), keyIdentifier(project));
  if (spent instanceof Promise) return spent.then(() => c.get('services').keyUsage.record(project.keyId));
  c.get('services').keyUsage.record(project.keyId);
}

function accessCheck(kind: Access): (c: RouteContext) => MaybePromise<void> {
  if (kind === 'public') {
    return (c) => {
      const spent = spendIp(c);
      return spent instanceof Promise ? spent.then(() => undefined) : undefined;
    };
  }
  if (kind === 'admin') {
    return async (c) => {
      const expected = c.get('services').config.adminToken;
      // With no admin token configured the admin surface does not exist.
      if (!expected) throw notFound();
      await spendIp(c);
      const token = bearerToken(c.req.header('authorization'));
      const [given, wanted] = await Promise.all([sha256Hex(token ?? ''), sha256Hex(expected)]);
      if (!token || !timingSafeEqualString(given, wanted)) {
        c.get('services').metrics.authFailure('admin_token');
        throw unauthorized('The admin token is missing or wrong: send "Authorization: Bearer $IRIS_ADMIN_TOKEN".');
      }
    };
  }
  return (c) => {
    const started = performance.now();
    const token = bearerToken(c.req.header('authorization'));
    if (!token) return refuseKey(c, 'missing');
    if (!looksLikeApiKey(token)) return refuseKey(c, 'malformed', 'The API key is malformed: Iris keys look like iris_sk_<43 characters>.');
    const { keys } = c.get('services');
    // A key this instance has just verified is answered from L1 without waiting.
    const hash = sha256HexSync(token);
    const known = hash === undefined ? undefined : keys.peek(hash);
    if (known) return admitKey(c, known, started);
    return (async () => {
      // A key the cache already knows costs no IP budget; a lookup that has to go
      // to the database does, so guessing keys from one address is capped.
      const project = await keys.verify(hash ?? (await sha256Hex(token)), { beforeDatabase: async () => void (await spendIp(c)) });
      if (!project) {
        c.get('services').metrics.authFailure('unknown_or_revoked');
        throw unauthorized('The API key is unknown or has been revoked.');
      }
      await admitKey(c, project, started);
    })();
  };
}

/** Renders any error in Iris's one error shape. Unknown errors are logged once and leak nothing. */
function renderError(error: unknown, c: RouteContext): Response {
  const { http, log } = toHttpError(error, c.req.method);
  const requestId = c.get('requestId') ?? crypto.randomUUID();
  // Iris's trace when tracing is on, else the caller's traceparent: either leads from a user's report to the trace.
  const traceId = currentTraceId(c.req.header('traceparent'));
  if (log) {
    const logger = c.get('services')?.log;
    // Where it failed, never what the client sent (loggableError).
    const fields: Record<string, unknown> = { requestId, ...(traceId ? { traceId } : {}), route: c.req.routePath, method: c.req.method, status: http.status, ...loggableError(error) };
    if (logger) logger[log]('request failed', fields);
    else console.error(JSON.stringify({ level: log, message: 'request failed', requestId, traceId, status: http.status }));
  }
  return json(c, http.toBody(requestId, traceId), http.status, { ...http.headers, 'Cache-Control': NO_STORE });
}

/** The error shape and headers without a route context: for a request that failed before Hono could take it. */
function lastResortError(request: Request, error: unknown): Response {
  const requestId = requestIdFrom(request.headers.get('x-request-id'));
  const traceId = currentTraceId(request.headers.get('traceparent'));
  console.error(JSON.stringify({ level: 'error', message: 'request failed before routing', requestId, traceId, error: String(error) }));
  return new Response(JSON.stringify(internalError().toBody(requestId, traceId)), {
    status: 500,
    headers: { ...SECURITY_HEADERS, 'X-Request-Id': requestId, 'Content-Type': 'application/json', 'Cache-Control': NO_STORE },
  });
}
