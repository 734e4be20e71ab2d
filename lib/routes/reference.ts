import { etagFor, matchesIfNoneMatch, publicCacheControl } from '../http-cache/index.js';
import { defineRoute, parseQuery, respond, type RouteContext } from '../http/index.js';
import { openApiDocument, referencePage } from '../openapi/index.js';
import { EmptyBody } from '../schemas/index.js';

/**
 * The document and the page are the same for every caller of a build, so
 * unlike every authenticated answer they may be kept by shared caches (a
 * deploy changes the version, and with it the document and its ETag).
 */
const PUBLIC_CACHE = publicCacheControl({ maxAgeS: 300, sMaxAgeS: 3600, staleWhileRevalidateS: 86_400 });

/** One ETag per namespace: each names a body that is fixed for the instance (the document of one version, the page). */
const etags = new Map<string, Promise<string>>();
const etagOf = (body: string, namespace: string) => {
  let etag = etags.get(namespace);
  if (!etag) etags.set(namespace, (etag = etagFor(body, namespace)));
  return etag;
};

async function respondPublic(c: RouteContext, body: string, contentType: string, namespace: string, headers: Record<string, string> = {}): Promise<Response> {
  const etag = await etagOf(body, namespace);
  const all = { ETag: etag, 'Cache-Control': PUBLIC_CACHE, ...headers };
  if (matchesIfNoneMatch(c.req.header('if-none-match') ?? null, etag)) return respond(c, null, 304, all);
  return respond(c, body, 200, { ...all, 'Content-Type': contentType });
}

/** GET /api/openapi.json: the OpenAPI 3.1 document of this build (lib/openapi), public and cacheable. */
export const openApiRoute = defineRoute({
  path: '/api/openapi.json',
  access: 'public',
  methods: {
    GET: (c) => {
      parseQuery(c, EmptyBody);
      const { json } = openApiDocument(c.get('services').config.version);
      return respondPublic(c, json, 'application/json', `openapi:${c.get('services').config.version}`);
    },
  },
});

/**
 * GET /api/docs: the reference page, rendered in the browser from
 * /api/openapi.json. Its CSP allows its own inline script and style (by
 * hash) and fetches to its own origin; every other response keeps the API's
 * `default-src 'none'`.
 */
export const docsRoute = defineRoute({
  path: '/api/docs',
  access: 'public',
  methods: {
    GET: async (c) => {
      parseQuery(c, EmptyBody);
      const page = await referencePage();
      return respondPublic(c, page.html, 'text/html; charset=utf-8', 'docs', { 'Content-Security-Policy': page.csp });
    },
  },
});
