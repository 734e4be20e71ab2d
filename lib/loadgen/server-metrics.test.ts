import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryDriftPerHour, parseServerMetrics, readServerMetrics, serverMetricsDelta } from './server-metrics.js';
import type { Target } from './target.js';

const SUMMARY = {
  instance: 'local',
  instances: 1,
  uptimeS: 12,
  requests: { total: 100, errorRate: 0.01, p50Latency: 1.5, p95Latency: 9, p99Latency: 20, byRoute: {} },
  cache: { hitRate: 0.9 },
  database: { p95Latency: 4 },
  memory: { rssBytes: 100_000_000, heapUsedBytes: 30_000_000 },
};

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

async function target(status: number, body: string, metricsToken: string | null = 'metrics-token-0123456789'): Promise<{ target: Target; seen: () => string | undefined }> {
  let authorization: string | undefined;
  server = createServer((req, res) => {
    authorization = req.headers.authorization;
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { target: { baseUrl, headers: {}, metricsToken, adminToken: null, embedded: false }, seen: () => authorization };
}

describe('readServerMetrics', () => {
  it('reads the JSON summary with the metrics token', async () => {
    const { target: t, seen } = await target(200, JSON.stringify(SUMMARY));
    const reading = await readServerMetrics(t);
    expect(reading.ok && reading.metrics).toMatchObject({ instance: 'local', requestsTotal: 100, p95Ms: 9, cacheHitRate: 0.9, dbP95Ms: 4, rssBytes: 100_000_000 });
    expect(seen()).toBe('Bearer metrics-token-0123456789');
  });

  it('says why there is no reading instead of failing', async () => {
    expect(await readServerMetrics((await target(404, '{}')).target)).toEqual({ ok: false, reason: expect.stringMatching(/404.*missing/) });
    await new Promise((resolve) => server!.close(resolve));
    expect(await readServerMetrics((await target(401, '{}')).target)).toEqual({ ok: false, reason: expect.stringMatching(/refused/) });
    await new Promise((resolve) => server!.close(resolve));
    expect(await readServerMetrics((await target(200, '# HELP x\n')).target)).toEqual({ ok: false, reason: expect.stringMatching(/JSON/) });
    await new Promise((resolve) => server!.close(resolve));
    expect(await readServerMetrics((await target(401, '{}', null)).target)).toEqual({
      ok: false,
      reason: 'GET /api/metrics answered 401: it needs a metrics token (set BENCHMARK_METRICS_TOKEN)',
    });
  });

  it('asks without a token when it has none, as the dev server serves /api/metrics to anyone', async () => {
    const { target: t, seen } = await target(200, JSON.stringify(SUMMARY), null);
    const reading = await readServerMetrics(t);
    expect(reading.ok && reading.metrics).toMatchObject({ instance: 'local', rssBytes: 100_000_000, heapUsedBytes: 30_000_000 });
    expect(seen()).toBeUndefined();
  });
});

describe('server metrics arithmetic', () => {
  it('reads missing fields as null and computes deltas', () => {
    const before = parseServerMetrics({ instance: 'a', uptimeS: 1, requests: { total: 10 }, memory: { rssBytes: 100 } }, 0)!;
    const after = parseServerMetrics(SUMMARY, 1000)!;
    expect(before.p95Ms).toBeNull();
    expect(parseServerMetrics([], 0)).toBeNull();
    expect(serverMetricsDelta(before, after)).toEqual({ requests: 90, rssBytes: 99_999_900, heapUsedBytes: null, sameInstance: false });
  });

  it('fits memory drift per hour by least squares', () => {
    const readings = [0, 1, 2, 3].map((minute) => ({ at: minute * 60_000, bytes: 1000 + minute * 10 }));
    expect(memoryDriftPerHour(readings)).toBeCloseTo(600, 6);
    expect(memoryDriftPerHour(readings.slice(0, 1))).toBeNull();
  });
});
