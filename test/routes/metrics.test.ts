import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../lib/kv/index.js';
import { createInstruments, toJsonSummary, type JsonSummary } from '../../lib/telemetry/index.js';
import { createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

let app: TestApp;
let project: TestProject;

beforeAll(async () => {
  app = await createTestApp({ env: { IRIS_METRICS_TOKEN: METRICS_TOKEN } });
  project = await app.createProject('Metrics');
});
afterAll(() => app.close());

const scrape = (query = '', headers: Record<string, string> = {}) =>
  app.request(`/api/metrics${query}`, { key: METRICS_TOKEN, headers });

describe('GET /api/metrics', () => {
  it('requires the metrics token when one is set', async () => {
    expect((await app.request('/api/metrics')).status).toBe(401);
    expect((await app.request('/api/metrics', { key: 'wrong-token-wrong-token' })).status).toBe(401);
    expect((await scrape()).status).toBe(200);
  });

  it('refuses to serve in production without a token, and says why', async () => {
    const prod = await createTestApp({ db: app.db, env: { VERCEL_ENV: 'production' } });
    const res = await prod.request('/api/metrics');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toContain('IRIS_METRICS_TOKEN');
  });

  it('counts every request once, by route template, in the JSON summary', async () => {
    const before = (await (await scrape()).json()) as JsonSummary;
    for (let i = 0; i < 7; i++) await app.request('/api/iris/overview', { key: project.key });
    for (let i = 0; i < 3; i++) await app.request('/api/iris/overview');
    await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: [sampleRun(), sampleRun()] });
    const after = (await (await scrape()).json()) as JsonSummary;
    const overview = after.requests.byRoute['/api/iris/overview']!;
    expect(overview.total - (before.requests.byRoute['/api/iris/overview']?.total ?? 0)).toBe(10);
    // the scrape itself counts too: before + 10 + 1 ingest + 1 scrape
    expect(after.requests.total - before.requests.total).toBe(12);
    expect(after.database.totalQueries).toBeGreaterThan(before.database.totalQueries);
    expect(after.requests.p95Latency).toBeGreaterThan(0);
    expect(after).toMatchObject({ instances: 1, memory: expect.any(Object), kv: { circuit: 'closed' } });
  });

  it('serves the Prometheus text format with templates as route labels, 304s counted once', async () => {
    await app.request('/api/iris/experts/some-raw-id-123/usage', { method: 'POST', key: project.key });
    const etag = (await app.request('/api/iris/reports', { key: project.key })).headers.get('etag')!;
    expect((await app.request('/api/iris/reports', { key: project.key, headers: { 'if-none-match': etag } })).status).toBe(304);
    const res = await scrape('?format=prometheus');
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toMatch(/^http_requests_total\{route="\/api\/iris\/overview",method="GET",status="200"\} \d+$/m);
    expect(text).toContain('route="/api/iris/experts/:expertId/usage"');
    expect(text).not.toContain('some-raw-id-123');
    expect(text).toMatch(/^http_requests_total\{route="\/api\/iris\/reports",method="GET",status="304"\} 1$/m);
    expect(text).toMatch(/^runs_ingested_total \d+$/m);
    expect(text).toMatch(/^iris_build_info\{version="[^"]+"\} 1$/m);
    expect(text).not.toContain(project.key);
    expect(text).not.toContain(METRICS_TOKEN);
  });

  it('negotiates OpenMetrics from Accept and JSON by default', async () => {
    const om = await scrape('', { accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    expect((await om.text()).trimEnd().endsWith('# EOF')).toBe(true);
    const plain = await scrape('', { accept: 'text/plain' });
    expect(plain.headers.get('content-type')).toContain('version=0.0.4');
    const json = await scrape();
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(json.headers.get('cache-control')).toBe('no-store');
    expect((await scrape('?format=xml')).status).toBe(422);
  });

  it('keeps the series count bounded under 100,000 distinct raw paths', async () => {
    for (let i = 0; i < 100_000; i++) {
      await app.request(`/api/iris/experts/expert-${i}/usage`, { method: 'POST' });
    }
    const text = await (await scrape('?format=prometheus')).text();
    const series = text.split('\n').filter((l) => l.startsWith('http_requests_total{'));
    expect(series.length).toBeLessThan(30);
    expect(text).not.toContain('expert-99999');
  }, 120_000);
});

describe('the JSON summary', () => {
  it('matches generated traffic: totals, error rate and percentiles within the sketch’s 1%', () => {
    const metrics = createInstruments({ version: 'test', processMetrics: false });
    // 1,000 requests with latencies 1..1000 ms, 20 of them 5xx.
    for (let i = 1; i <= 1000; i++) metrics.recordHttp('/api/iris/overview', 'GET', i <= 20 ? 503 : 200, i / 1000);
    for (let i = 0; i < 300; i++) metrics.cacheLookup('l1', 'hit');
    for (let i = 0; i < 100; i++) metrics.cacheLookup('l1', 'miss');
    for (let i = 0; i < 60; i++) metrics.cacheLookup('l2', 'hit');
    for (let i = 0; i < 40; i++) metrics.cacheLookup('l2', 'miss');
    for (let i = 0; i < 90; i++) metrics.rateLimitDecision('allowed', 'ok');
    for (let i = 0; i < 10; i++) metrics.rateLimitDecision('limited', 'limit');
    const summary = toJsonSummary(metrics.registry.snapshot(), { instance: 'x', instances: 1, uptimeS: 1 });
    expect(summary.requests.total).toBe(1000);
    expect(summary.requests.errorRate).toBeCloseTo(0.02, 10);
    expect(summary.requests.p50Latency!).toBeGreaterThanOrEqual(500 * 0.99);
    expect(summary.requests.p50Latency!).toBeLessThanOrEqual(501 * 1.01);
    expect(summary.requests.p99Latency!).toBeGreaterThanOrEqual(990 * 0.99);
    expect(summary.requests.p99Latency!).toBeLessThanOrEqual(991 * 1.01);
    expect(summary.cache.l1HitRate).toBeCloseTo(0.75, 10);
    expect(summary.cache.l2HitRate).toBeCloseTo(0.6, 10);
    expect(summary.cache.hitRate).toBeCloseTo(0.9, 10);
    expect(summary.rateLimit.blockRate).toBeCloseTo(0.1, 10);
  });
});

describe('the fleet view', () => {
  it('sums three instances sharing one KV', async () => {
    const kv = createMemoryKv();
    const instances = await Promise.all(
      [0, 1, 2].map(() => createTestApp({ db: app.db, kv, env: { IRIS_METRICS_TOKEN: METRICS_TOKEN } })),
    );
    const traffic = [4, 9, 13];
    for (const [i, instance] of instances.entries()) {
      for (let n = 0; n < traffic[i]!; n++) await instance.request('/api/health');
      await instance.services.fleet.publish();
    }
    const res = await instances[0]!.request('/api/metrics?scope=fleet', { key: METRICS_TOKEN });
    const fleet = (await res.json()) as JsonSummary;
    expect(fleet.instances).toBe(3);
    expect(fleet.requests.byRoute['/api/health']!.total).toBe(4 + 9 + 13);
    const text = await (await instances[1]!.request('/api/metrics?scope=fleet&format=prometheus', { key: METRICS_TOKEN })).text();
    expect(text).toMatch(/^http_requests_total\{route="\/api\/health",method="GET",status="200"\} 26$/m);
    for (const instance of instances) await instance.services.background.drain();
  });
});
