import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createFileRouter, loadFileRoutes, matchRoute, pathOf, segmentCount, templateFromFile, type FileRoute } from './file-routes.js';

describe('templateFromFile', () => {
  it('maps files to URLs the way Vercel routes them', () => {
    expect(templateFromFile('api/health.ts')).toBe('/api/health');
    expect(templateFromFile('api/iris/experts/index.ts')).toBe('/api/iris/experts');
    expect(templateFromFile('api/iris/experts/[expertId]/usage.ts')).toBe('/api/iris/experts/:expertId/usage');
  });
});

describe('the api/ tree', () => {
  it('declares, in every file, the path the file is deployed at', async () => {
    const routes = await loadFileRoutes(fileURLToPath(new URL('../../api', import.meta.url)));
    expect(routes.length).toBeGreaterThanOrEqual(13);
    for (const r of routes) expect(r.route.path).toBe(r.path);
  });

  it('prefers static routes and matches dynamic segments', async () => {
    const routes = await loadFileRoutes(fileURLToPath(new URL('../../api', import.meta.url)));
    expect(matchRoute(routes, '/api/iris/experts')?.path).toBe('/api/iris/experts');
    expect(matchRoute(routes, '/api/iris/experts/planner/usage')?.path).toBe('/api/iris/experts/:expertId/usage');
    expect(matchRoute(routes, '/api/iris/nope')).toBeUndefined();
  });
});

describe('createFileRouter', () => {
  it('picks for every path the route a search of all routes in order picks', async () => {
    const loaded = await loadFileRoutes(fileURLToPath(new URL('../../api', import.meta.url)));
    // Each route answers with its own template, so the test sees which one was chosen.
    const routes: FileRoute[] = loaded.map((r) => ({ ...r, route: { ...r.route, fetch: () => new Response(r.path) } }));
    const router = createFileRouter(routes);
    const paths = new Set<string>(['/', '/api', '/api/iris', '/api/iris/nope', '/api/iris/prompts//', '/api/iris/prompts/a//b']);
    for (const r of routes) {
      for (const value of ['x', 'support-triage', 'a.b']) {
        const path = r.path.replace(/:[A-Za-z]\w*/g, value);
        for (const p of [path, `${path}/`, `${path}/extra`, `${path}//`, path.replace(/\/[^/]+$/, '')]) paths.add(p);
      }
    }
    for (const path of paths) {
      const expected = matchRoute(routes, path)?.path ?? null;
      const response = await router(new Request(`http://h${path}?q=1`));
      expect([path, response.status === 404 ? null : await response.text()]).toEqual([path, expected]);
    }
  });
});

describe('segmentCount', () => {
  it('counts segments, a trailing slash not counting as one', () => {
    expect(segmentCount('/')).toBe(1);
    expect(segmentCount('/a')).toBe(1);
    expect(segmentCount('/a/')).toBe(1);
    expect(segmentCount('/a/:b/c')).toBe(3);
    expect(segmentCount('/a/x/c/')).toBe(3);
  });
});

describe('pathOf', () => {
  it('takes the path of an absolute URL without its query or fragment', () => {
    expect(pathOf('http://localhost:3000/api/iris/runs?limit=5#x')).toBe('/api/iris/runs');
    expect(pathOf('https://iris.example.com')).toBe('/');
    expect(pathOf('http://h/a/b#frag?not-a-query')).toBe('/a/b');
    expect(pathOf('http://h/a%20b/')).toBe('/a%20b/');
  });
});
