import { secretMatches } from '../auth/index.js';
import { CACHE_POLICIES, cacheKey, SoftTimeoutError, type CachedResource, type CacheKey, type CacheParams } from '../cache/index.js';
import { DbError } from '../db/errors.js';
import { forbidden } from '../errors.js';
import {
  cachedResponseHeaders,
  etagFor,
  matchesIfNoneMatch,
  privateCacheControl,
  requestCacheDirectives,
  serverTiming,
  type XCacheStatus,
} from '../http-cache/index.js';
import { loggableError, PRIVATE_NO_CACHE, respond, type MaybePromise, type RouteContext } from '../http/index.js';
import { tracingOn, withSpan } from '../tracing/index.js';
import { page } from './present.js';

/** Header that skips the cache entirely (the benchmark's baseline): honoured with the admin token (any value with `Services.local`), else 403. */
export const CACHE_BYPASS_HEADER = 'x-iris-cache-bypass';

/**
 * How a browser may keep a cached answer. Aggregates (`fresh`) may be reused
 * for their remaining TTL; lists users write to (`revalidate`) must be
 * revalidated every time, which costs a 304 thanks to the ETag, so a user who
 * just wrote never reads their own stale copy.
 */
const BROWSER: Record<CachedResource, 'fresh' | 'revalidate'> = {
  overview: 'fresh',
  stats: 'fresh',
  experts: 'revalidate',
  reports: 'revalidate',
  reflexions: 'revalidate',
  runs: 'revalidate',
  prices: 'revalidate',
  budgets: 'revalidate',
  prompts: 'revalidate',
  experiments: 'revalidate',
  experimentResults: 'fresh',
  auth: 'revalidate',
};

/** Cache-Control values of `fresh` resources by remaining seconds (0 to the TTL): few, and the same on every hit. */
const freshCacheControls = new Map<CachedResource, string[]>();

/** What the browser may do with this answer, given how old the cached value is. */
function browserCacheControl(resource: Exclude<CachedResource, 'auth'>, ageMs: number): string {
  if (BROWSER[resource] !== 'fresh') return PRIVATE_NO_CACHE;
  const policy = CACHE_POLICIES[resource];
  const remainingS = Math.max(0, Math.floor((policy.ttlMs - ageMs) / 1000));
  let byRemaining = freshCacheControls.get(resource);
  if (byRemaining === undefined) freshCacheControls.set(resource, (byRemaining = []));
  return (byRemaining[remainingS] ??= privateCacheControl({ maxAgeS: remainingS, staleWhileRevalidateS: Math.floor(policy.staleMs / 1000) }));
}

/**
 * Whether the request asks for the full bypass (`X-Iris-Cache-Bypass`) and may
 * have it: with the admin token as its value, or any value on a server built
 * with `local: true` (the benchmarks' own). Asked for without the token, it is
 * refused with a 403 rather than quietly answered from the cache: a baseline
 * measured through the cache would be a wrong measurement, not a slow one.
 */
async function privilegedBypass(c: RouteContext): Promise<boolean> {
  const header = c.req.header(CACHE_BYPASS_HEADER);
  if (header === undefined) return false;
  const { local, config } = c.get('services');
  if (local) return true;
  if (config.adminToken !== null && (await secretMatches(header.trim(), config.adminToken))) return true;
  throw forbidden(
    'cache_bypass_forbidden',
    'X-Iris-Cache-Bypass needs the admin token as its value; for a freshly computed answer send "Cache-Control: no-cache" instead.',
  );
}

/** Options of `respondCached`. */
export interface RespondCachedOptions {
  /**
   * Parameters of a stable key the value is also kept under, served when the
   * compute fails with no copy of this request's key in grace: for windows
   * that end "now", whose key changes as time passes. @default none
   */
  lastGood?: CacheParams;
}

/**
 * "The last 24 h" (a window with neither `from` nor `to`) ends now, so its
 * cache key changes as time passes and would never have a copy to fall back
 * on: it keeps a last-good copy under one stable key made of `params` (the
 * route's parameters other than the window), which its grace applies to (issue 11).
 */
export function lastGoodOfDefaultWindow(query: { from?: string; to?: string }, params: CacheParams): RespondCachedOptions {
  return query.from === undefined && query.to === undefined ? { lastGood: { ...params, window: 'default' } } : {};
}

/**
 * Answers a GET from the two-tier cache: the body is computed (serialised)
 * once per cache fill and sent byte for byte; the ETag was computed with it.
 * Handles `If-None-Match` (304), `Cache-Control: no-cache` from the client
 * (fresh compute), the privileged full bypass, and the X-Cache, Age and
 * Server-Timing headers. The cache key is namespaced by the key's project.
 *
 * A fresh L1 copy is answered synchronously (`cache.peek`); everything else
 * (L2, stale copies, computes, due generation checks) goes through
 * `getOrCompute`.
 */
export function respondCached(
  c: RouteContext,
  resource: Exclude<CachedResource, 'auth'>,
  params: CacheParams,
  compute: () => Promise<unknown>,
  options: RespondCachedOptions = {},
): MaybePromise<Response> {
  if (tracingOn) {
    return withSpan('iris.cache.lookup', { 'iris.cache.resource': resource }, () => lookup(c, resource, params, compute, options), {
      onResult: (span, response) => span.setAttribute('iris.cache.result', response.headers.get('X-Cache') ?? 'none'),
    });
  }
  return lookup(c, resource, params, compute, options);
}

function lookup(
  c: RouteContext,
  resource: Exclude<CachedResource, 'auth'>,
  params: CacheParams,
  compute: () => Promise<unknown>,
  options: RespondCachedOptions,
): MaybePromise<Response> {
  const key = cacheKey(c.get('project').id, resource, params);
  const plain =
    c.req.header(CACHE_BYPASS_HEADER) === undefined && c.req.header('cache-control') === undefined && c.req.header('pragma') === undefined;
  if (plain) {
    const hit = c.get('services').cache.peek(key);
    if (hit) return cachedResponse(c, resource, hit.value, hit.etag, hit.status, hit.ageMs, hit.timings.totalMs, 0);
  }
  const lastGood = options.lastGood === undefined ? undefined : cacheKey(key.project, resource, options.lastGood);
  return respondFromCache(c, resource, key, compute, lastGood);
}

async function respondFromCache(
  c: RouteContext,
  resource: Exclude<CachedResource, 'auth'>,
  key: CacheKey,
  compute: () => Promise<unknown>,
  lastGood: CacheKey | undefined,
): Promise<Response> {
  const { cache } = c.get('services');
  const serialise = async () => JSON.stringify(await compute());
  if (await privilegedBypass(c)) {
    const started = performance.now();
    const body = await serialise();
    const dbMs = performance.now() - started;
    return cachedResponse(c, resource, body, await etagFor(body, key.key), 'BYPASS', 0, 0, dbMs);
  }
  const revalidate = requestCacheDirectives(c.req.header('cache-control') ?? null, c.req.header('pragma') ?? null).revalidate;
  const result = await cache.getOrCompute(key, serialise, { policy: CACHE_POLICIES[resource], bypass: revalidate, lastGood });
  if (result.error !== undefined) {
    // Counted either way (cache_stale_served_total). The expected degradations, a database known to be down
    // or slow, are logged once by the circuit, not per request; anything else is worth a warning.
    const expected = result.error instanceof SoftTimeoutError || (result.error instanceof DbError && result.error.unavailable);
    const fields = { requestId: c.get('requestId'), resource, ...loggableError(result.error) };
    if (expected) c.get('services').log.debug('served a stale value after a failed refresh', fields);
    else c.get('services').log.warn('served a stale value after a failed refresh', fields);
  }
  const { computeMs, totalMs } = result.timings;
  return cachedResponse(c, resource, result.value, result.etag, result.status, result.ageMs, Math.max(0, totalMs - computeMs), computeMs);
}

/** The 200 (or 304) of a cached body with its cache headers. */
function cachedResponse(
  c: RouteContext,
  resource: Exclude<CachedResource, 'auth'>,
  body: string,
  etag: string,
  status: XCacheStatus,
  ageMs: number,
  cacheMs: number,
  dbMs: number,
): Response {
  const cacheControl = browserCacheControl(resource, ageMs);
  const headers = cachedResponseHeaders({ etag, status, ageMs, cacheControl }, c.get('responseHeaders'));
  headers['Server-Timing'] = serverTiming([
    { name: 'auth', durMs: c.get('authMs') ?? 0 },
    { name: 'cache', desc: status, durMs: cacheMs },
    { name: 'db', durMs: dbMs },
  ]);
  if (status === 'STALE-ERROR') headers.Warning = '111 - "Revalidation Failed"';

  // RFC 9110 §13.1.2: weak comparison for If-None-Match on GET and HEAD.
  if (matchesIfNoneMatch(c.req.header('if-none-match') ?? null, etag)) return respond(c, null, 304);
  headers['Content-Type'] = 'application/json';
  return respond(c, body, 200);
}

/** One function for every `readCached`, not a closure per call (which tsx's keepNames also renames per call). */
const decodeJson = (value: string): unknown => JSON.parse(value);

/**
 * A cached JSON value a handler uses rather than sends (a prompt to render,
 * an experiment to assign from), from the same entry a GET of `resource` with
 * `params` serves: synchronously when a fresh copy is in L1 (decoded once per
 * fill), else through the tiered cache, computing it with `load`.
 */
export function readCached<T>(c: RouteContext, resource: Exclude<CachedResource, 'auth'>, params: CacheParams, load: () => Promise<T>): MaybePromise<T> {
  const { cache } = c.get('services');
  const key = cacheKey(c.get('project').id, resource, params);
  const decode = decodeJson as (value: string) => T;
  const known = cache.peekDecoded(key, decode);
  if (known) return known;
  return cache
    .getOrCompute(key, async () => JSON.stringify(await load()), { policy: CACHE_POLICIES[resource] })
    .then((result) => cache.peekDecoded(key, decode) ?? decode(result.value));
}

/**
 * After a write users expect to see at once: bumps the generation of each
 * resource for the key's project, so every instance stops serving older copies
 * (at once here, within the generation check interval elsewhere).
 */
export async function invalidate(c: RouteContext, ...resources: Exclude<CachedResource, 'auth'>[]): Promise<void> {
  const { cache } = c.get('services');
  await Promise.all(resources.map((resource) => cache.bump(c.get('project').id, resource)));
}

/** Keyset pagination arguments every list RPC takes. */
export interface PageArgs {
  p_limit: number;
  p_before_created_at: string | null;
  p_before_id: string | null;
}

/**
 * A cached page of a keyset-paginated list: asks the RPC for `limit + 1` rows
 * (to know whether there is a next page) before the cursor, and caches the
 * page by its limit, cursor and any `filters`.
 */
export function respondCachedPage<T extends { created_at: string; id: string }>(
  c: RouteContext,
  resource: 'reports' | 'reflexions' | 'runs',
  query: { limit: number; cursor?: { createdAt: string; id: string } | undefined },
  filters: CacheParams,
  list: (args: PageArgs) => Promise<T[]>,
): MaybePromise<Response> {
  const before = query.cursor ? `${query.cursor.createdAt}|${query.cursor.id}` : null;
  return respondCached(c, resource, { ...filters, limit: query.limit, before }, async () =>
    page(
      await list({ p_limit: query.limit + 1, p_before_created_at: query.cursor?.createdAt ?? null, p_before_id: query.cursor?.id ?? null }),
      query.limit,
    ),
  );
}
