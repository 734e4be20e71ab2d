/**
 * Node-only. Routes requests by the api/ file tree exactly as Vercel's
 * file-system routing does, by loading the api/ modules themselves: there is no
 * second route table to drift from what deploys.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NO_STORE, requestIdFrom, SECURITY_HEADERS, templatePattern, type Route, type RouteBindings } from '../http/index.js';

export interface FileRoute {
  /** The api/ file, relative to the repository, e.g. `api/iris/experts/[expertId]/usage.ts`. */
  file: string;
  /** The URL template derived from the file path, e.g. `/api/iris/experts/:expertId/usage`. */
  path: string;
  route: Route;
  /** Static routes win over dynamic ones, as on Vercel. */
  dynamic: boolean;
  pattern: RegExp;
}

/** `api/a/[b]/c.ts` -> `/api/a/:b/c`; `api/a/index.ts` -> `/api/a`. */
export function templateFromFile(file: string): string {
  const parts = file.replace(/\.(ts|js|mjs)$/, '').split(/[\\/]/);
  if (parts[parts.length - 1] === 'index') parts.pop();
  return '/' + parts.map((p) => p.replace(/^\[([A-Za-z]\w*)\]$/, ':$1')).join('/');
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.startsWith('_') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

/**
 * Loads every route module under `apiDir` (which must be a folder named `api`).
 * @throws when a module's declared route path differs from the path its file is deployed at.
 */
export async function loadFileRoutes(apiDir: string): Promise<FileRoute[]> {
  const root = join(apiDir, '..');
  const routes: FileRoute[] = [];
  for (const full of await walk(apiDir)) {
    const file = relative(root, full).split(sep).join('/');
    const path = templateFromFile(file);
    const mod = (await import(pathToFileURL(full).href)) as { route?: Route };
    if (!mod.route) throw new Error(`${file} does not export a route`);
    if (mod.route.path !== path) {
      throw new Error(`${file} is deployed at ${path} but declares ${mod.route.path}`);
    }
    routes.push({ file, path, route: mod.route, dynamic: path.includes(':'), pattern: templatePattern(path) });
  }
  return routes.sort((a, b) => Number(a.dynamic) - Number(b.dynamic) || b.path.length - a.path.length);
}

/** Finds the route for a URL path, or undefined. */
export function matchRoute(routes: readonly FileRoute[], pathname: string): FileRoute | undefined {
  return routes.find((r) => r.pattern.test(pathname));
}

/**
 * A fetch handler over the api/ tree; `bindings` lets one process host several
 * simulated instances. It hands back whatever the route returns, a Response
 * itself when nothing had to wait, so the node adapter can write it at once.
 */
export function createFileRouter(routes: readonly FileRoute[], bindings?: RouteBindings) {
  // Static paths (with and without a trailing slash) by exact lookup; the patterns only for the rest.
  const exact = new Map<string, FileRoute>();
  // Dynamic routes by their number of segments, in matching order: a `:param` is one non-empty segment, so a
  // template can only match a path with as many segments, and only its patterns are tried.
  const bySegments = new Map<number, FileRoute[]>();
  for (const route of routes) {
    if (route.dynamic) {
      const n = segmentCount(route.path);
      let group = bySegments.get(n);
      if (group === undefined) bySegments.set(n, (group = []));
      group.push(route);
      continue;
    }
    exact.set(route.path, route);
    exact.set(`${route.path}/`, route);
  }
  return (request: Request): Response | Promise<Response> => {
    const pathname = pathOf(request.url);
    const match = exact.get(pathname) ?? matchRoute(bySegments.get(segmentCount(pathname)) ?? [], pathname);
    if (!match) return notFoundResponse(request);
    return match.route.fetch(request, bindings);
  };
}

/** Segments of a path, a trailing slash not counting as one (templates allow it): `/a/:b/c` and `/a/x/c/` have 3. */
export function segmentCount(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
  return path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? n - 1 : n;
}

/** The path of an absolute URL (`http://host/a/b?x` -> `/a/b`) without a full URL parse. */
export function pathOf(url: string): string {
  const scheme = url.indexOf('://');
  const start = url.indexOf('/', scheme === -1 ? 0 : scheme + 3);
  if (start === -1) return '/';
  let end = url.length;
  const query = url.indexOf('?', start);
  if (query !== -1) end = query;
  const hash = url.indexOf('#', start);
  if (hash !== -1 && hash < end) end = hash;
  return url.slice(start, end);
}

/** A path no route serves: the error shape with the headers every response carries, and only a request id safe to echo. */
function notFoundResponse(request: Request): Response {
  const requestId = requestIdFrom(request.headers.get('x-request-id'));
  return Response.json(
    { error: { code: 'not_found', message: 'No such route.', requestId } },
    { status: 404, headers: { ...SECURITY_HEADERS, 'X-Request-Id': requestId, 'Cache-Control': NO_STORE } },
  );
}
