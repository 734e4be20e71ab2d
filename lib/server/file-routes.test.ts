import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadFileRoutes, matchRoute, pathOf, templateFromFile } from './file-routes.js';

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

describe('pathOf', () => {
  it('takes the path of an absolute URL without its query or fragment', () => {
    expect(pathOf('http://localhost:3000/api/iris/runs?limit=5#x')).toBe('/api/iris/runs');
    expect(pathOf('https://iris.example.com')).toBe('/');
    expect(pathOf('http://h/a/b#frag?not-a-query')).toBe('/a/b');
    expect(pathOf('http://h/a%20b/')).toBe('/a%20b/');
  });
});
