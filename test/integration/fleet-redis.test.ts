import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteDb } from '../../lib/db/pglite.js';
import type { SqlDb } from '../../lib/db/types.js';
import { startKvBridge, type KvBridge } from '../../lib/kv/bridge/index.js';
import { createUpstashKv } from '../../lib/kv/index.js';
import { waitForWindowStart } from '../../lib/rate-limit/contract.js';
import type { JsonSummary } from '../../lib/telemetry/index.js';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp } from '../support/app.js';
import { startRedis, type RedisServer } from './harness/index.js';

/**
 * Several Iris instances sharing one real Redis (through the Upstash REST
 * bridge, so @upstash/redis and @upstash/ratelimit run unmodified): shared
 * limits, fleet-wide invalidation, fleet-wide coalescing, and Redis failures.
 */
const url = process.env.IRIS_TEST_KV_URL;
const token = process.env.IRIS_TEST_KV_TOKEN;
const GENERATION_CHECK_MS = 100;

let db: SqlDb;
const apps: TestApp[] = [];

async function instance(kvUrl: string, kvTimeoutMs = 500): Promise<TestApp> {
  const kv = createUpstashKv({ url: kvUrl, token: token!, timeoutMs: kvTimeoutMs });
  const app = await createTestApp({ db, kv, cache: { generationCheckMs: GENERATION_CHECK_MS, kvTimeoutMs } });
  apps.push(app);
  return app;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rpcCalls(app: TestApp, fn: string): Promise<number> {
  const text = await (await app.request('/api/metrics?format=prometheus')).text();
  const line = text.split('\n').find((l) => l.startsWith(`db_rpc_total{fn="${fn}",result="ok"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

beforeAll(async () => {
  db = await createPgliteDb({ dataDir: null });
});
afterAll(async () => {
  for (const app of apps) await app.services.background.drain();
  await db?.close();
});

describe.skipIf(!url || !token)('instances sharing one Redis', () => {
  it('share one rate-limit budget', async () => {
    const [one, two] = [await instance(url!), await instance(url!)];
    const created = await one.request('/api/admin/projects', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { name: 'fleet budget', settings: { rateLimit: { readsPerMinute: 10 } } },
    });
    const project = (await created.json()) as { id: string };
    const key = ((await (await one.request('/api/admin/api-keys', { method: 'POST', key: ADMIN_TOKEN, json: { projectId: project.id } })).json()) as { key: string }).key;
    await waitForWindowStart(60_000);
    const statuses = [];
    for (let i = 0; i < 16; i++) statuses.push((await (i % 2 ? one : two).request('/api/iris/overview', { key })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it('reject a revoked key on every instance within the generation check interval', async () => {
    const [one, two] = [await instance(url!), await instance(url!)];
    const p = await one.createProject('fleet revocation');
    expect((await two.request('/api/iris/overview', { key: p.key })).status).toBe(200);
    expect((await two.request('/api/iris/overview', { key: p.key })).headers.get('x-cache')).toMatch(/HIT/);
    expect((await one.request(`/api/admin/api-keys/${p.keyId}/revoke`, { method: 'POST', key: ADMIN_TOKEN })).status).toBe(200);
    expect((await one.request('/api/iris/overview', { key: p.key })).status).toBe(401);
    await sleep(GENERATION_CHECK_MS + 50);
    expect((await two.request('/api/iris/overview', { key: p.key })).status).toBe(401);
  });

  it('show a write on every instance within the generation check interval', async () => {
    const [one, two] = [await instance(url!), await instance(url!)];
    const p = await one.createProject('fleet visibility');
    const count = async (app: TestApp) => ((await (await app.request('/api/iris/reflexions', { key: p.key })).json()) as { data: unknown[] }).data.length;
    expect(await count(two)).toBe(0);
    await one.request('/api/iris/reflexions', {
      method: 'POST',
      key: p.key,
      json: { expertId: 'planner', kind: 'lesson', context: 'c', outcome: 'o', success: true, impactScore: 0.4 },
    });
    await sleep(GENERATION_CHECK_MS + 50);
    expect(await count(two)).toBe(1);
  });

  it('show a prompt label move on every instance within the generation check interval (issue 13)', async () => {
    const [one, two] = [await instance(url!), await instance(url!)];
    const p = await one.createProject('fleet prompt labels');
    const send = (path: string, method: string, json: unknown) => one.request(path, { method, key: p.key, json });
    expect((await send('/api/iris/prompts', 'POST', { name: 'fleet', template: 'one', labels: ['production'] })).status).toBe(201);
    expect((await send('/api/iris/prompts/fleet/versions', 'POST', { template: 'two' })).status).toBe(201);
    const production = async (app: TestApp) => {
      const res = await app.request('/api/iris/prompts/fleet', { key: p.key });
      return { version: ((await res.json()) as { version: number }).version, cache: res.headers.get('x-cache') };
    };
    expect((await production(two)).version).toBe(1);
    expect(await production(two)).toEqual({ version: 1, cache: 'HIT-L1' });
    expect((await send('/api/iris/prompts/fleet/labels/production', 'PUT', { version: 2 })).status).toBe(200);
    expect((await production(one)).version).toBe(2);
    await sleep(GENERATION_CHECK_MS + 50);
    expect((await production(two)).version).toBe(2);
  });

  it('compute a cold key once for the whole fleet when the lock is on', async () => {
    const [one, two] = [await instance(url!), await instance(url!)];
    const p = await one.createProject('fleet stampede');
    await one.request('/api/iris/runs', { method: 'POST', key: p.key, json: [sampleRun(), sampleRun()] });
    // Warm the auth cache of both so the stampede is on the stats key alone.
    await one.request('/api/iris/experts', { key: p.key });
    await two.request('/api/iris/experts', { key: p.key });
    const before = (await rpcCalls(one, 'get_performance_stats')) + (await rpcCalls(two, 'get_performance_stats'));
    const q = '/api/iris/stats/performance?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).request(q, { key: p.key })));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const after = (await rpcCalls(one, 'get_performance_stats')) + (await rpcCalls(two, 'get_performance_stats'));
    expect(after - before).toBe(1);
    const statuses = new Set(responses.map((r) => r.headers.get('x-cache')));
    expect(statuses.has('COALESCED')).toBe(true);
  });
});

describe.skipIf(!token)('a Redis that fails under load', () => {
  let redis: RedisServer;
  let bridge: KvBridge;

  beforeAll(async () => {
    redis = await startRedis();
    bridge = await startKvBridge({ redisPort: redis.port, token: token! });
  });
  afterAll(async () => {
    await bridge?.close();
    await redis?.stop();
  });

  async function load(app: TestApp, key: string, untilMs: number, statuses: number[], latencies: number[]) {
    const paths = ['/api/iris/overview', '/api/iris/stats/tokens', '/api/iris/experts', '/api/iris/reports'];
    const worker = async () => {
      for (let i = 0; Date.now() < untilMs; i++) {
        const started = performance.now();
        const res = await app.request(paths[i % paths.length]!, { key });
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
        statuses.push(res.status);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }

  async function circuit(app: TestApp): Promise<string> {
    return ((await (await app.request('/api/metrics')).json()) as JsonSummary).kv.circuit;
  }

  it('gives zero 5xx when Redis is killed mid-run, opens the breaker, and closes it after Redis returns', async () => {
    const app = await instance(bridge.url, 50);
    const p = await app.createProject('redis outage', { rateLimit: { readsPerMinute: 1_000_000 } });
    await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: [sampleRun()] });
    const statuses: number[] = [];
    const latencies: number[] = [];

    const running = load(app, p.key, Date.now() + 6_000, statuses, latencies);
    await sleep(1_000);
    await redis.stop();
    await sleep(2_000);
    const during = await circuit(app);
    redis = await startRedis({ port: redis.port });
    await running;

    expect(during).toBe('open');
    // Half-open after the cooldown; the probe succeeds and closes it. Allowed 30 s.
    const deadline = Date.now() + 30_000;
    let state = await circuit(app);
    while (state !== 'closed' && Date.now() < deadline) {
      await app.request('/api/iris/overview', { key: p.key, headers: { 'cache-control': 'no-cache' } });
      await sleep(250);
      state = await circuit(app);
    }
    expect(state).toBe('closed');

    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set([200]));
    const summary = (await (await app.request('/api/metrics')).json()) as JsonSummary;
    expect(summary.kv.errorRate).toBeGreaterThan(0);
  }, 60_000);

  it('lets requests through with reason timeout when Redis is slow, within the time budgets', async () => {
    const app = await instance(bridge.url, 50);
    const p = await app.createProject('redis slow');
    await app.request('/api/iris/overview', { key: p.key });
    // Every Redis answer now takes 2 s. Without the budgets (50 ms per cache call, 100 ms for the
    // limiter) each request would wait for several of them.
    bridge.delayMs = 2_000;
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const res = await app.request(i % 2 ? '/api/iris/overview' : '/api/iris/experts', { key: p.key });
        latencies.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
    } finally {
      bridge.delayMs = 0;
    }
    latencies.sort((x, y) => x - y);
    expect(latencies[Math.ceil(latencies.length * 0.99) - 1]!).toBeLessThan(1_000);
    const text = await (await app.request('/api/metrics?format=prometheus')).text();
    expect(text).toMatch(/^rate_limit_decisions_total\{result="allowed",reason="timeout"\} [1-9]\d*$/m);
    expect(text).toMatch(/^kv_errors_total\{op="[a-zA-Z]+",reason="(timeout|circuit_open)"\} [1-9]\d*$/m);
  });
});
