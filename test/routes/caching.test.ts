import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../lib/kv/index.js';
import { overviewRoute } from '../../lib/routes/index.js';
import type { JsonSummary } from '../../lib/telemetry/index.js';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

let app: TestApp;
let a: TestProject;
let b: TestProject;

beforeAll(async () => {
  app = await createTestApp();
  a = await app.createProject('Cache A');
  b = await app.createProject('Cache B');
  for (const p of [a, b]) await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: [sampleRun(), sampleRun()] });
});
afterAll(() => app.close());

const CACHED_READS = [
  '/api/iris/overview',
  '/api/iris/stats/tokens',
  '/api/iris/stats/performance',
  '/api/iris/stats/timeseries',
  '/api/iris/stats/breakdown?by=model',
  '/api/iris/experts',
  '/api/iris/reports',
  '/api/iris/reflexions',
  '/api/iris/runs',
];

async function rpcCalls(t: TestApp, fn: string): Promise<number> {
  const text = await (await t.request('/api/metrics?format=prometheus')).text();
  const line = text.split('\n').find((l) => l.startsWith(`db_rpc_total{fn="${fn}",result="ok"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('cached reads', () => {
  it('answer MISS, then HIT-L1 with the same ETag and body', async () => {
    for (const path of CACHED_READS) {
      const first = await app.request(path, { key: a.key });
      const second = await app.request(path, { key: a.key });
      expect(first.headers.get('x-cache'), path).toMatch(/MISS|HIT-L1/);
      expect(second.headers.get('x-cache'), path).toBe('HIT-L1');
      expect(second.headers.get('etag'), path).toBe(first.headers.get('etag'));
      expect(await second.text()).toBe(await first.text());
      expect(second.headers.get('server-timing'), path).toMatch(/auth;dur=[\d.]+, cache;desc="?HIT-L1"?;dur=[\d.]+, db;dur=0/);
    }
  });

  it('answer If-None-Match with a 304, no body, and the same ETag and cache headers', async () => {
    const res = await app.request('/api/iris/overview', { key: a.key });
    const etag = res.headers.get('etag')!;
    const revalidated = await app.request('/api/iris/overview', { key: a.key, headers: { 'if-none-match': `W/"nope", ${etag}` } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(revalidated.headers.get('cache-control')).toBe(res.headers.get('cache-control'));
    expect(revalidated.headers.get('vary')).toMatch(/Authorization/);
    const star = await app.request('/api/iris/overview', { key: a.key, headers: { 'if-none-match': '*' } });
    expect(star.status).toBe(304);
    const other = await app.request('/api/iris/overview', { key: a.key, headers: { 'if-none-match': '"something-else"' } });
    expect(other.status).toBe(200);
  });

  it('answer a hit without a promise once the key, the value and the limiter are all in memory', async () => {
    const request = (headers: Record<string, string> = {}) =>
      overviewRoute.fetch(new Request('http://iris.test/api/iris/overview', { headers: { authorization: `Bearer ${a.key}`, ...headers } }), {
        services: app.services,
      });
    const warm = await request();
    const hit = request();
    expect(hit).toBeInstanceOf(Response);
    expect((hit as Response).headers.get('x-cache')).toBe('HIT-L1');
    expect(await (hit as Response).text()).toBe(await warm.text());
    const notModified = request({ 'if-none-match': warm.headers.get('etag')! });
    expect(notModified).toBeInstanceOf(Response);
    expect((notModified as Response).status).toBe(304);
    // A client asking to revalidate goes through the cache's full path.
    const revalidating = request({ 'cache-control': 'no-cache' });
    expect(revalidating).toBeInstanceOf(Promise);
    expect((await revalidating).headers.get('x-cache')).toBe('BYPASS');
  });

  it('support HEAD with the GET headers and no body', async () => {
    const res = await app.request('/api/iris/reports', { method: 'HEAD', key: a.key });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^"/);
    expect(await res.text()).toBe('');
  });

  it('refresh on Cache-Control: no-cache from the client', async () => {
    await app.request('/api/iris/experts', { key: a.key });
    const res = await app.request('/api/iris/experts', { key: a.key, headers: { 'cache-control': 'no-cache' } });
    expect(res.headers.get('x-cache')).toBe('BYPASS');
  });

  it('never collide across projects asking with identical parameters', async () => {
    for (const path of CACHED_READS) {
      const ra = await app.request(path, { key: a.key });
      const rb = await app.request(path, { key: b.key });
      expect(ra.headers.get('etag'), path).not.toBe(rb.headers.get('etag'));
      const textB = await rb.text();
      expect(textB, path).not.toContain(a.id);
      if (path === '/api/iris/overview') expect(JSON.parse(textB).projectId).toBe(b.id);
    }
  });

  it('are never cacheable by shared caches, on any route or method', async () => {
    const requests: [string, RequestInit & { key?: string; json?: unknown }][] = [
      ...CACHED_READS.map((p): [string, { key: string }] => [p, { key: a.key }]),
      ['/api/iris/runs', { method: 'POST', key: a.key, json: sampleRun() }],
      ['/api/iris/reports', { method: 'POST', key: a.key, json: { kind: 'k', healthScore: 90, overallHealth: 'healthy', severity: 'info', title: 't' } }],
      ['/api/iris/overview', { key: 'iris_sk_' + 'x'.repeat(43) }],
      ['/api/admin/projects', { key: ADMIN_TOKEN }],
      ['/api/metrics', {}],
    ];
    for (const [path, init] of requests) {
      const res = await app.request(path, init);
      const cc = res.headers.get('cache-control') ?? '';
      expect(cc, path).not.toMatch(/public|s-maxage/);
      expect(res.headers.get('cdn-cache-control'), path).toBeNull();
      expect(res.headers.get('vercel-cdn-cache-control'), path).toBeNull();
      if (path.startsWith('/api/iris') && res.status < 300) expect(cc, path).toMatch(init.method === 'POST' ? /^no-store$/ : /^private/);
    }
  });
});

describe('coalescing', () => {
  it('makes 500 concurrent cold requests for one key cost one RPC', async () => {
    const p = await app.createProject('Stampede');
    const before = await rpcCalls(app, 'get_token_stats');
    const from = '2026-01-01T00:00:00Z';
    const responses = await Promise.all(
      Array.from({ length: 500 }, () => app.request(`/api/iris/stats/tokens?from=${from}&to=2026-01-02T00:00:00Z`, { key: p.key })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const statuses = new Set(responses.map((r) => r.headers.get('x-cache')));
    expect(statuses.has('COALESCED')).toBe(true);
    expect((await rpcCalls(app, 'get_token_stats')) - before).toBe(1);
  });
});

describe('two instances sharing one KV', () => {
  it('see a write on the other instance once the generation check interval has passed', async () => {
    let now = Date.now();
    const kv = createMemoryKv();
    const one = await createTestApp({ db: app.db, kv, now: () => now });
    const two = await createTestApp({ db: app.db, kv, now: () => now });
    const reports = async (t: TestApp) => ((await (await t.request('/api/iris/reports', { key: a.key })).json()) as { data: unknown[] }).data.length;

    const before = await reports(two);
    expect(await reports(two)).toBe(before); // cached in two's L1
    const created = await one.request('/api/iris/reports', {
      method: 'POST',
      key: a.key,
      json: { kind: 'k', healthScore: 50, overallHealth: 'degraded', severity: 'warning', title: 'visible everywhere' },
    });
    expect(created.status).toBe(201);
    expect(await reports(one)).toBe(before + 1); // the writer sees it at once
    now += 1_001; // generationCheckMs
    expect(await reports(two)).toBe(before + 1);
    for (const t of [one, two]) await t.services.background.drain();
  });

  it('reject a revoked key on the other instance once the generation check interval has passed', async () => {
    let now = Date.now();
    const kv = createMemoryKv();
    const one = await createTestApp({ db: app.db, kv, now: () => now });
    const two = await createTestApp({ db: app.db, kv, now: () => now });
    const p = await one.createProject('Revocation');
    expect((await two.request('/api/iris/overview', { key: p.key })).status).toBe(200); // auth cached on two
    expect((await one.request(`/api/admin/api-keys/${p.keyId}/revoke`, { method: 'POST', key: ADMIN_TOKEN })).status).toBe(200);
    expect((await one.request('/api/iris/overview', { key: p.key })).status).toBe(401);
    now += 1_001;
    expect((await two.request('/api/iris/overview', { key: p.key })).status).toBe(401);
    for (const t of [one, two]) await t.services.background.drain();
  });
});

describe('the cache metrics', () => {
  it('report hits, misses and the hit rate', async () => {
    const res = await app.request('/api/metrics');
    const summary = (await res.json()) as JsonSummary;
    expect(summary.cache.hitRate).toBeGreaterThan(0);
    expect(summary.cache.coalesced).toBeGreaterThan(0);
  });
});

describe('the bypass headers, as docs/caching.md describes them', () => {
  const path = '/api/iris/reports';
  const fn = 'list_reports';
  const report = (title: string) => ({ kind: 'health', healthScore: 50, overallHealth: 'healthy', severity: 'info', title });
  /** Files a report without bumping the cache's generation, as a write on another instance would look here before the bump arrives. */
  const fileQuietly = (p: TestProject, title: string) =>
    app.db.query(`insert into iris_reports (project_id, kind, health_score, overall_health, severity, title, data) values ($1, 'health', 50, 'healthy', 'info', $2, '{}')`, [p.id, title]);
  const titles = async (res: Response) => ((await res.json()) as { data: { title: string }[] }).data.map((r) => r.title);

  it('Cache-Control: no-cache, max-age=0 and Pragma: no-cache compute the value fresh and store it for the next read', async () => {
    const p = await app.createProject('bypass: no-cache');
    expect((await app.request('/api/iris/reports', { method: 'POST', key: p.key, json: report('first') })).status).toBe(201);
    const bypasses: Record<string, string>[] = [{ 'cache-control': 'no-cache' }, { 'cache-control': 'max-age=0' }, { pragma: 'no-cache' }];
    for (const [i, headers] of bypasses.entries()) {
      await app.request(path, { key: p.key });
      await fileQuietly(p, `quiet ${i}`);
      const before = await rpcCalls(app, fn);
      const fresh = await app.request(path, { key: p.key, headers });
      expect(fresh.headers.get('x-cache'), JSON.stringify(headers)).toBe('BYPASS');
      expect(await titles(fresh)).toContain(`quiet ${i}`);
      expect(await rpcCalls(app, fn)).toBe(before + 1);
      // Stored: the next plain read is a hit on the fresh value.
      const next = await app.request(path, { key: p.key });
      expect(next.headers.get('x-cache')).toBe('HIT-L1');
      expect(await titles(next)).toContain(`quiet ${i}`);
    }
    // Pragma counts only without Cache-Control; other directives are ignored.
    const ignored: Record<string, string>[] = [{ 'cache-control': 'max-age=5', pragma: 'no-cache' }, { 'cache-control': 'no-store' }];
    for (const headers of ignored) {
      expect((await app.request(path, { key: p.key, headers })).headers.get('x-cache'), JSON.stringify(headers)).toBe('HIT-L1');
    }
  });

  it('concurrent no-cache requests of one key share one compute', async () => {
    const p = await app.createProject('bypass: shared');
    const before = await rpcCalls(app, fn);
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.request(path, { key: p.key, headers: { 'cache-control': 'no-cache' } })));
    expect(answers.map((r) => r.headers.get('x-cache'))).toEqual(Array.from({ length: 10 }, () => 'BYPASS'));
    expect(await rpcCalls(app, fn)).toBe(before + 1);
  });

  it('X-Iris-Cache-Bypass with the admin token answers from the database without reading or writing the cache', async () => {
    const p = await app.createProject('bypass: admin token');
    const cached = await app.request(path, { key: p.key });
    expect(await titles(cached)).toEqual([]);
    await fileQuietly(p, 'quiet');
    const before = await rpcCalls(app, fn);
    const answers = await Promise.all([1, 2].map(() => app.request(path, { key: p.key, headers: { 'x-iris-cache-bypass': ADMIN_TOKEN } })));
    for (const res of answers) {
      expect(res.headers.get('x-cache')).toBe('BYPASS');
      expect(await titles(res)).toEqual(['quiet']);
    }
    // Not shared: each request is its own database call.
    expect(await rpcCalls(app, fn)).toBe(before + 2);
    // Not stored: the cached copy from before is still what a plain read gets.
    const plain = await app.request(path, { key: p.key });
    expect(plain.headers.get('x-cache')).toBe('HIT-L1');
    expect(await titles(plain)).toEqual([]);
  });

  it('X-Iris-Cache-Bypass with any other value is a 403 and computes nothing; a local-mode server takes any value', async () => {
    const p = await app.createProject('bypass: refused');
    const before = await rpcCalls(app, fn);
    for (const value of ['1', 'local', `${ADMIN_TOKEN}x`, '']) {
      const res = await app.request(path, { key: p.key, headers: { 'x-iris-cache-bypass': value, 'cache-control': 'no-cache' } });
      expect(res.status, value).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cache_bypass_forbidden');
    }
    expect(await rpcCalls(app, fn)).toBe(before);
    const local = await createTestApp({ db: app.db, local: true });
    try {
      const res = await local.request(path, { key: p.key, headers: { 'x-iris-cache-bypass': '1' } });
      expect([res.status, res.headers.get('x-cache')]).toEqual([200, 'BYPASS']);
    } finally {
      await local.services.background.drain();
    }
  });
});

