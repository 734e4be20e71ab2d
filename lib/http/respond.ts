import type { Access, RouteContext } from './route.js';
import { NO_STORE, PRIVATE_NO_CACHE } from './headers.js';

/**
 * The one place Iris creates a Response. Headers are gathered during the
 * request in a plain object (request id, security headers, Vary, CORS,
 * rate-limit headers) and handed to the Response constructor once, instead of
 * being set one by one on a Headers object afterwards: on Node the local
 * server then writes them straight to the socket (@hono/node-server's
 * lightweight Response), and every runtime validates each header once.
 */

/** The default Cache-Control of a response that does not set one. */
function defaultCacheControl(access: Access, method: string, status: number): string {
  if (status >= 400 || access === 'public') return NO_STORE;
  // Authenticated reads may be kept by the browser but must be revalidated; writes never.
  return method === 'GET' || method === 'HEAD' ? PRIVATE_NO_CACHE : NO_STORE;
}

/**
 * Builds the response with the request's gathered headers plus `headers`
 * (which win). The gathered object itself becomes the response's headers: it
 * is written into, never copied (a request has one response), because
 * spreading two 20-header objects into a third costs V8 a slow path that was
 * measured at several microseconds per response, the price of a whole cache hit.
 */
export function respond(c: RouteContext, body: BodyInit | null, status: number, headers?: Record<string, string>): Response {
  const all: Record<string, string> = c.get('responseHeaders') ?? {};
  if (headers) for (const name in headers) all[name] = headers[name]!;
  if (all['Cache-Control'] === undefined) all['Cache-Control'] = defaultCacheControl(c.get('access') ?? 'public', c.req.method, status);
  return new Response(body, { status, headers: all });
}

/** A JSON response. */
export function json(c: RouteContext, value: unknown, status = 200, headers?: Record<string, string>): Response {
  return respond(c, JSON.stringify(value), status, { 'Content-Type': 'application/json', ...headers });
}
