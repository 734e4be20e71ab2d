import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, openApiPath, openApiDocument } from '../../lib/openapi/index.js';
import { apiRoutes, createTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('the OpenAPI document', () => {
  it('documents every method of every route in api/, and nothing the api/ tree does not serve', async () => {
    const served = (await apiRoutes()).flatMap((r) => r.route.allow.filter((m) => m !== 'HEAD' && m !== 'OPTIONS').map((m) => `${m} ${r.path}`));
    const documented = OPERATIONS.map((op) => `${op.method} ${op.path}`);
    expect(documented.filter((d) => !served.includes(d))).toEqual([]);
    // A route another branch adds shows up here until its operations are in lib/openapi/operations/.
    expect(served.filter((s) => !documented.includes(s))).toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document, as swagger-parser validates it', async () => {
    const { document } = openApiDocument('1.2.3');
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('declares the four bearer schemes and puts every /api/iris operation behind the API key', () => {
    const { document } = openApiDocument('1.2.3');
    const schemes = (document.components as { securitySchemes: Record<string, { scheme: string }> }).securitySchemes;
    expect(Object.keys(schemes).sort()).toEqual(['adminToken', 'apiKey', 'cronSecret', 'metricsToken']);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const op of Object.values(item)) {
        if (path.startsWith('/api/iris/')) expect(op.security, path).toEqual([{ apiKey: [] }]);
        if (path.startsWith('/api/admin/')) expect(op.security, path).toEqual([{ adminToken: [] }]);
      }
    }
  });

  it('declares the rate-limit headers on every answer and the cache headers on cached reads', () => {
    const { document } = openApiDocument('1.2.3');
    const overview = document.paths['/api/iris/overview']!.get!;
    expect(Object.keys(overview.responses)).toEqual(expect.arrayContaining(['200', '304', '401', '403', '422', '429', '503']));
    expect(Object.keys(overview.responses['200']!.headers!)).toEqual(
      expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'ETag', 'X-Cache']),
    );
    expect(overview.responses['429']!.headers!['Retry-After']).toMatchObject({ required: true });
    expect(document.paths[openApiPath('/api/iris/experts/:expertId/usage')]!.post!.requestBody).toMatchObject({ required: false });
  });
});

describe('GET /api/openapi.json', () => {
  it('serves the document publicly and cacheably, with an ETag that answers 304', async () => {
    const res = await app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+, s-maxage=\d+/);
    expect(res.headers.get('vary')).toBeNull();
    const body = (await res.json()) as { openapi: string; info: { version: string }; paths: Record<string, unknown> };
    expect(body.openapi).toBe('3.1.0');
    expect(body.info.version).toBe(app.services.config.version);
    expect(Object.keys(body.paths)).toContain('/api/iris/experts/{expertId}/usage');
    const again = await app.request('/api/openapi.json', { headers: { 'if-none-match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('refuses query parameters it does not take with a 422', async () => {
    expect((await app.request('/api/openapi.json?x=1')).status).toBe(422);
  });
});

describe('GET /api/docs', () => {
  it('serves the reference page with a CSP that allows its own script and style by hash and fetches to its own origin only', async () => {
    const res = await app.request('/api/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await res.text()).toContain('openapi.json');
  });

  it("leaves the API's own answers their strict CSP", async () => {
    const res = await app.request('/api/health');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
