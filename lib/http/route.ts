import { Hono, type Context, type Handler, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { bearerToken, looksLikeApiKey, sha256Hex, timingSafeEqualString, type ProjectContext } from '../auth/index.js';
import { DbError } from '../db/errors.js';
import {
  HttpError,
  internalError,
  methodNotAllowed,
  notFound,
  serviceUnavailable,
  unauthorized,
  unprocessable,
  conflict,
} from '../errors.js';
import { clientIp, rateLimitHeaders, ruleForIp, ruleForKey, type RateLimitDecision, type RateLimitRule } from '../rate-limit/index.js';
import { getServices, type Services } from '../services.js';
import { appendVary, corsHeaders, NO_STORE, requestIdFrom, SECURITY_HEADERS } from './headers.js';
import { json, respond } from './respond.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
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
    /** The rate-limit decision that let this request through. */
    rateLimit: RateLimitDecision;
    /** Who may call the route. */
    access: Access;
    /** Headers every response of this request carries, gathered as the request goes (see respond.ts). */
    responseHeaders: Record<string, string>;
  };
}

export type RouteContext = Context<AppEnv>;

export interface RouteDefinition {
  /** The URL template Vercel routes the file to, with `:param` for `[param]` segments. */
  path: string;
  access: Access;
  methods: Partial<Record<Method, Handler<AppEnv>>>;
}

/** A web handler as Vercel's Node and Edge runtimes call it. */
export type WebHandler = (request: Request) => Promise<Response>;

export interface Route {
  readonly path: string;
  readonly access: Access;
  /** Methods answered with something other than 405, in `Allow` order. */
  readonly allow: readonly string[];
  /** Handles a request; `bindings.services` overrides the instance-wide services. */
  fetch(request: Request, bindings?: RouteBindings): Promise<Response>;
  /** One export per HTTP method for the api/ file, so even unsupported methods get Iris's JSON 405. */
  readonly handlers: Readonly<Record<AnyMethod, WebHandler>>;
}

/**
 * Builds one route: a tiny Hono app with Iris's middleware (request id, security
 * headers, CORS, access control, the error shape) around the given handlers.
 * Each api/ file wires exactly one route, so each Vercel function only loads
 * what its route needs.
 */
export function defineRoute(definition: RouteDefinition): Route {
  const methods = Object.keys(definition.methods) as Method[];
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
  const paramNames = [...definition.path.matchAll(/:([A-Za-z]\w*)/g)].map((m) => m[1]!);
  const app = new Hono<AppEnv>();

  app.use('*', requestContext(definition.path, definition.access));
  app.options(definition.path, (c) => {
    const cors = corsHeaders(c.req.header('origin') ?? null, c.get('services').config.corsOrigins, { methods: allow });
    return respond(c, null, 204, { Allow: allow.join(', '), ...cors });
  });
  for (const method of methods) {
    app.on(method, definition.path, access(definition.access), definition.methods[method]!);
  }
  app.all(definition.path, () => {
    throw methodNotAllowed(allow);
  });
  app.notFound(() => {
    throw notFound();
  });
  app.onError((error, c) => renderError(error, c));

  const fetch = (request: Request, bindings: RouteBindings = {}) =>
    Promise.resolve(app.fetch(vercelPathToUrl(request, paramNames), bindings));
  const handler: WebHandler = (request) => fetch(request);
  const handlers = Object.fromEntries(ALL_METHODS.map((m) => [m, handler])) as Record<AnyMethod, WebHandler>;

  return { path: definition.path, access: definition.access, allow, fetch, handlers };
}

/**
 * Vercel may hand a dynamic route's function the file path (`/api/x/[id]`) with
 * the value as a query parameter. Put the value back into the path so the
 * template matches the URL the client actually called.
 */
function vercelPathToUrl(request: Request, paramNames: string[]): Request {
  if (paramNames.length === 0 || !request.url.includes('%5B') && !request.url.includes('[')) return request;
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

function requestContext(routePath: string, routeAccess: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header('x-request-id') ?? null);
    c.set('requestId', requestId);
    c.set('access', routeAccess);
    const headers: Record<string, string> = { 'X-Request-Id': requestId, ...SECURITY_HEADERS };
    // RFC 9110 §12.5.5: the answer depends on the credentials, so no cache may reuse it across them.
    if (routeAccess !== 'public') headers.Vary = 'Authorization';
    c.set('responseHeaders', headers);
    let services: Services;
    try {
      services = c.env?.services ?? (await getServices());
    } catch (error) {
      console.error(JSON.stringify({ level: 'error', message: 'services failed to start', requestId, error: String(error) }));
      throw serviceUnavailable('starting', 'The service is starting or misconfigured; retry shortly.');
    }
    c.set('services', services);
    if (services.config.corsOrigins.length > 0 && c.req.method !== 'OPTIONS') {
      const cors = corsHeaders(c.req.header('origin') ?? null, services.config.corsOrigins, null);
      if (cors) Object.assign(headers, cors, { Vary: appendVary(headers.Vary ?? null, cors.Vary!) });
    }
    await next();
    // Once per request, errors and 304s included; labelled by the template, never the raw path.
    const { metrics, fleet, background } = services;
    metrics.recordHttp(routePath, c.req.method, c.res.status, (performance.now() - started) / 1000);
    if (fleet.isDue()) void background.run('metrics.publish', () => fleet.publishIfDue());
  };
}

/**
 * Spends one unit of `rule` for `identifier` and throws a 429 when the budget
 * is gone. The limiter never throws: a slow or failed store lets the request
 * through with a counted reason (fail open).
 */
async function spend(c: RouteContext, rule: RateLimitRule, identifier: string): Promise<RateLimitDecision> {
  const { limiter, metrics, background, now } = c.get('services');
  const decision = await limiter.check(rule, identifier);
  if (decision.pending) void background.run('rate-limit.pending', decision.pending);
  metrics.rateLimitDecision(decision.allowed ? 'allowed' : 'limited', decision.reason);
  if (!decision.allowed) {
    const resetS = Math.max(1, Math.ceil((decision.resetAtMs - now()) / 1000));
    throw new HttpError(429, 'rate_limited', `The ${rule.name} limit of ${rule.limit} requests per ${rule.windowMs / 1000} s is used up; it resets in ${resetS} s.`, {
      details: { limit: rule.name, limitPerWindow: rule.limit, windowS: rule.windowMs / 1000, resetAt: new Date(decision.resetAtMs).toISOString() },
      headers: rateLimitHeaders(decision, now()),
    });
  }
  Object.assign(c.get('responseHeaders'), rateLimitHeaders(decision, now()));
  return decision;
}

/** The per-IP budget: every request to public and admin routes, and API-key lookups that miss the cache. */
function spendIp(c: RouteContext): Promise<RateLimitDecision> {
  return spend(c, ruleForIp(c.get('services').config.ipLimitPerMinute), `ip:${clientIp(c.req.raw.headers)}`);
}

function access(kind: Access): MiddlewareHandler<AppEnv> {
  if (kind === 'public') {
    return async (c, next) => {
      c.set('rateLimit', await spendIp(c));
      await next();
    };
  }
  if (kind === 'admin') {
    return async (c, next) => {
      const expected = c.get('services').config.adminToken;
      // With no admin token configured the admin surface does not exist.
      if (!expected) throw notFound();
      c.set('rateLimit', await spendIp(c));
      const token = bearerToken(c.req.header('authorization'));
      const [given, wanted] = await Promise.all([sha256Hex(token ?? ''), sha256Hex(expected)]);
      if (!token || !timingSafeEqualString(given, wanted)) {
        c.get('services').metrics.authFailure('admin_token');
        throw unauthorized('The admin token is missing or wrong: send "Authorization: Bearer $IRIS_ADMIN_TOKEN".');
      }
      await next();
    };
  }
  return async (c, next) => {
    const started = performance.now();
    const { keys, metrics } = c.get('services');
    const token = bearerToken(c.req.header('authorization'));
    if (!token) {
      metrics.authFailure('missing');
      await spendIp(c);
      throw unauthorized();
    }
    if (!looksLikeApiKey(token)) {
      metrics.authFailure('malformed');
      await spendIp(c);
      throw unauthorized('The API key is malformed: Iris keys look like iris_sk_<43 characters>.');
    }
    // A key the cache already knows costs no IP budget; a lookup that has to go
    // to the database does, so guessing keys from one address is capped.
    const project = await keys.verify(await sha256Hex(token), { beforeDatabase: async () => void (await spendIp(c)) });
    if (!project) {
      metrics.authFailure('unknown_or_revoked');
      throw unauthorized('The API key is unknown or has been revoked.');
    }
    c.set('project', project);
    c.set('authMs', performance.now() - started);
    // Checked after the auth cache and before any database work, and awaited.
    c.set('rateLimit', await spend(c, ruleForKey(project.settings, c.req.method), `key:${project.keyId}`));
    c.get('services').keyUsage.record(project.keyId);
    await next();
  };
}

/** Maps any error to Iris's one error shape. Unknown errors are logged once and leak nothing. */
export function toHttpError(error: unknown): { http: HttpError; log: boolean } {
  // A 5xx built by Iris itself (the cache's 503 when the database fails) carries its cause: log it.
  if (error instanceof HttpError) return { http: error, log: error.status >= 500 };
  if (error instanceof DbError) {
    if (error.unavailable) {
      return { http: serviceUnavailable('database_unavailable', 'The database is unavailable; retry shortly.'), log: true };
    }
    if (error.sqlState === '23505') return { http: conflict('conflict', 'A resource with these values already exists.'), log: false };
    if (error.sqlState === '23503') return { http: notFound('A referenced resource does not exist.', 'reference_not_found'), log: false };
    // Class 22 (data exception) and 23 (integrity) mean the database refused a value
    // the schemas let through: the client's input, so a 4xx, but log it to tighten the schema.
    if (error.sqlState.startsWith('22') || error.sqlState.startsWith('23')) {
      return { http: unprocessable('The database rejected a value in the request.', { sqlState: error.sqlState }), log: true };
    }
  }
  if (error instanceof HTTPException) {
    return { http: new HttpError(error.status, 'http_error', error.message || 'Request failed.'), log: error.status >= 500 };
  }
  return { http: internalError(), log: true };
}

function renderError(error: unknown, c: RouteContext): Response {
  const { http, log } = toHttpError(error);
  const requestId = c.get('requestId') ?? crypto.randomUUID();
  if (log) {
    const logger = c.get('services')?.log;
    const fields = { requestId, route: c.req.routePath, method: c.req.method, status: http.status, error };
    if (logger) logger.error('request failed', fields);
    else console.error(JSON.stringify({ level: 'error', message: 'request failed', requestId, error: String(error) }));
  }
  return json(c, http.toBody(requestId), http.status, { ...http.headers, 'Cache-Control': NO_STORE });
}
