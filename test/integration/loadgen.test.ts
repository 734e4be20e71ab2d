/**
 * Trust in the load generator: its engine against local servers with a known,
 * injected latency, and the benchmark and load test end to end against a
 * seeded local Iris. Bounds are generous (a shared 2-core machine is noisy)
 * but each one would catch a tool that hides or invents latency.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRequestSource,
  loadTestMix,
  parseThresholds,
  RequestBuilder,
  Recorder,
  runBenchmark,
  runClosed,
  runLoadTest,
  runOpen,
  seededRandom,
  startLocalTarget,
  type HttpClientOptions,
  type LocalTarget,
  type RunSummary,
} from '../../lib/loadgen/index.js';

const DELAY_MS = 20;
const servers: Server[] = [];

/**
 * A server that answers after DELAY_MS. `serial`: one request at a time, the
 * next one waits for the previous one (a capacity of 1000 / DELAY_MS per second).
 * `hang`: never answers.
 */
async function sleepServer(mode: 'parallel' | 'serial' | 'hang'): Promise<string> {
  let queue = Promise.resolve();
  const server = createServer((_req, res) => {
    if (mode === 'hang') return;
    const answer = () => new Promise<void>((resolve) => setTimeout(() => resolve(void res.end('{"ok":true}')), DELAY_MS));
    if (mode === 'serial') queue = queue.then(answer);
    else void answer();
  });
  server.keepAliveTimeout = 60_000;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function setup(url: string): { client: HttpClientOptions; recorder: Recorder; next: ReturnType<typeof createRequestSource> } {
  const client = { baseUrl: url };
  const next = createRequestSource([{ id: 'sleep', endpoint: 'GET /sleep', method: 'GET', path: '/sleep', weight: 1 }], new RequestBuilder(client), seededRandom(1));
  return { client, recorder: new Recorder(), next };
}

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('engine accuracy against a server with 20 ms of injected latency', () => {
  it('closed model: reports p50 of about 20 ms and no more requests than the connections could carry', async () => {
    const { client, recorder, next } = setup(await sleepServer('parallel'));
    await runClosed({ client, next, recorder, vus: 4, durationMs: 2500 });
    const o = recorder.summary().overall;
    const ceiling = 4 * (2500 / DELAY_MS);
    expect(o.failed).toBe(0);
    expect(o.requests).toBeLessThanOrEqual(ceiling + 4);
    expect(o.requests).toBeGreaterThan(ceiling * 0.3);
    expect(o.latencyMs!.min).toBeGreaterThanOrEqual(DELAY_MS - 1);
    expect(o.latencyMs!.p50).toBeGreaterThanOrEqual(DELAY_MS);
    expect(o.latencyMs!.p50).toBeLessThan(30);
    expect(o.latencyMs!.p99).toBeLessThan(250);
  });

  it('open model under capacity: sends what the schedule says and sees the same 20 ms', async () => {
    const { client, recorder, next } = setup(await sleepServer('parallel'));
    await runOpen({ client, next, recorder, rate: 50, durationMs: 2000 });
    const s = recorder.summary();
    expect(s.overall.requests + s.dropped).toBe(100);
    expect(s.dropped).toBe(0);
    expect(s.overall.failed).toBe(0);
    expect(s.overall.latencyMs!.p50).toBeGreaterThanOrEqual(DELAY_MS);
    expect(s.overall.latencyMs!.p50).toBeLessThan(35);
  });

  it('open model above capacity: the queueing delay shows in the latency instead of being hidden', async () => {
    // 100 requests/s against a server that completes 50/s, over 2 connections:
    // request i is due at 10·i ms and done at about 20·(i+1) ms, so latency
    // measured from the schedule grows to about 2 s, while each request takes
    // only 20-40 ms once it is finally sent.
    const { client, recorder, next } = setup(await sleepServer('serial'));
    await runOpen({ client, next, recorder, rate: 100, durationMs: 2000, maxConnections: 2 });
    const s: RunSummary = recorder.summary();
    const corrected = s.overall.latencyMs!;
    const service = s.overall.serviceLatencyMs!;
    expect(s.overall.requests).toBe(200);
    expect(s.overall.failed).toBe(0);
    expect(corrected.p99).toBeGreaterThan(800);
    expect(corrected.p50).toBeGreaterThan(300);
    expect(corrected.p50).toBeGreaterThan(4 * service.p50);
    expect(service.p50).toBeLessThan(150);
    expect(s.late).toBeGreaterThan(50);
    // The latency over time climbs: the last second is far slower than the first.
    const p50s = s.timeSeries.map((p) => p.p50).filter((v): v is number => v !== null);
    expect(p50s.at(-1)!).toBeGreaterThan(3 * p50s[0]!);
  });

  it('open model above capacity with a bounded queue: drops what it cannot queue and says so', async () => {
    const { client, recorder, next } = setup(await sleepServer('serial'));
    await runOpen({ client, next, recorder, rate: 100, durationMs: 1000, maxConnections: 1, maxQueued: 5 });
    const s = recorder.summary();
    expect(s.overall.requests + s.dropped).toBe(100);
    expect(s.dropped).toBeGreaterThan(40);
    expect(recorder.metric('dropped_iterations', { kind: 'count' }, null)).toBe(s.dropped);
  });

  it('stops by itself when the server never answers: requests in flight are cut off after the graceful stop', async () => {
    const { client, recorder, next } = setup(await sleepServer('hang'));
    await runClosed({ client: { ...client, timeoutMs: 60_000 }, next, recorder, vus: 3, durationMs: 300, gracefulStopMs: 200 });
    const s = recorder.summary();
    expect(s.interrupted).toBe(3);
    expect(s.overall.requests).toBe(0);
  });

  it('honours maxRequests', async () => {
    const { client, recorder, next } = setup(await sleepServer('parallel'));
    await runClosed({ client, next, recorder, vus: 5, durationMs: 60_000, maxRequests: 37 });
    expect(recorder.summary().overall.requests).toBe(37);
  });
});

describe('benchmark and load test against a seeded local Iris', () => {
  let local: LocalTarget;

  beforeAll(async () => {
    local = await startLocalTarget({ runs: 5000 });
  });

  afterAll(async () => {
    await local?.close();
  });

  it('benchmark: runs every phase without errors and checks the targets on each', async () => {
    const result = await runBenchmark({ target: local.target, warmupMs: 500, sequentialMs: 1000, concurrentMs: 1000, rateMs: 1000, concurrency: 4, inProcessMemory: local.memory });
    expect(result.phases.map((p) => `${p.variant}:${p.phase}:${p.model}`)).toEqual(['cached:sequential:closed', 'cached:concurrent:closed', 'cached:rate:open']);
    for (const p of result.phases) {
      expect(p.summary.overall.failed, JSON.stringify(p.summary.overall.errorReasons)).toBe(0);
      expect(p.summary.endpoints.map((e) => e.endpoint)).toHaveLength(5);
      expect(p.checks.map((c) => c.threshold.source)).toEqual([
        'http_req_duration: p(95)<150',
        'http_req_duration: p(99)<200',
        'http_req_failed: rate<0.01',
        'http_req_cache_hit: rate>0.85',
      ]);
    }
    const rate = result.phases[2]!;
    expect(rate.ratePerS).toBeGreaterThanOrEqual(1);
    expect(result.inProcessMemory).not.toBeNull();
  });

  it('benchmark --baseline: runs the phases with the cache bypassed first', async () => {
    const result = await runBenchmark({ target: local.target, warmupMs: 0, phases: ['concurrent'], concurrentMs: 800, concurrency: 2, baseline: true });
    expect(result.phases.map((p) => p.variant)).toEqual(['baseline', 'cached']);
    expect(result.phases[0]!.checks).toEqual([]);
    for (const p of result.phases) expect(p.summary.overall.failed).toBe(0);
    // The server contract: a bypassed read is never a hit and says so with X-Cache: BYPASS.
    const baseline = result.phases[0]!.summary.overall;
    expect(baseline.cache.hits).toBe(0);
    expect(baseline.cache.xCache).toEqual({ BYPASS: baseline.requests });
    expect(baseline.cache.hitRate).toBe(0);
  });

  it('load test: every route of the mix answers its method and body with success', async () => {
    const result = await runLoadTest({
      target: local.target,
      scenario: { name: 'check', description: 'every route', executor: 'vus', startVus: 4, stages: [{ durationMs: 2500, target: 4 }] },
      thinkTimeMs: null,
      thresholds: [],
      inProcessMemory: local.memory,
    });
    const s = result.summary;
    expect(s.overall.failed, JSON.stringify(s.overall.errorReasons)).toBe(0);
    expect(s.endpoints.map((e) => e.endpoint).sort()).toEqual([...new Set(loadTestMix().map((t) => t.endpoint))].sort());
    expect(s.overall.statusCodes['201']).toBeGreaterThan(0);
    expect(result.memory.samples.length).toBeGreaterThanOrEqual(2);
    expect(result.pass).toBe(true);
  });

  it('breakpoint: ramps the arrival rate and stops as soon as a threshold fails over the recent window', async () => {
    // A p95 under 1 ms cannot hold against Iris on PGlite: the ramp must stop early and report where.
    const result = await runLoadTest({
      target: local.target,
      scenario: { name: 'breakpoint', description: 'ramp', executor: 'arrival-rate', startRate: 20, stages: [{ durationMs: 20_000, target: 2000 }], maxConnections: 50 },
      thresholds: parseThresholds(['http_req_duration: p(95)<1']),
      mix: loadTestMix().filter((t) => t.method === 'GET'),
    });
    expect(result.breakpoint?.found).toBe(true);
    expect(result.breakpoint!.elapsedMs!).toBeLessThan(15_000);
    expect(result.breakpoint!.ratePerS!).toBeGreaterThanOrEqual(20);
    expect(result.summary.durationMs).toBeLessThan(19_000);
    expect(result.pass).toBe(false);
  });
});
