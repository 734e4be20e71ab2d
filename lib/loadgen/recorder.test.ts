import { describe, expect, it } from 'vitest';
import type { HttpResult } from './http-client.js';
import { Recorder, windowMetric } from './recorder.js';
import { parseThreshold } from './thresholds.js';

/** A result sent at `sentAt` ms (run clock) that took `ms` ms. */
function result(sentAt: number, ms: number, status = 200, headers: Record<string, string> = {}, extra: Partial<HttpResult> = {}): HttpResult {
  return { status, headers, bodyBytes: 10, body: null, error: null, sentAt, endedAt: sentAt + ms, ...extra };
}

describe('Recorder', () => {
  it('keeps failed requests out of the success latency and reports them apart', () => {
    const r = new Recorder({ startedAt: 0 });
    r.record('GET /a', result(0, 10));
    r.record('GET /a', result(0, 20));
    r.record('GET /a', result(0, 5000, 503, {}, { body: '{"error":{"code":"service_unavailable"}}' }));
    r.record('GET /b', result(0, 30, 0, {}, { error: 'ECONNRESET' }));
    r.finish(2000);
    const s = r.summary();
    expect(s.overall).toMatchObject({ requests: 4, ok: 2, failed: 2, errorRate: 0.5, throughputPerS: 2 });
    expect(s.overall.latencyMs?.max).toBeCloseTo(20, 6);
    expect(s.overall.failedLatencyMs?.max).toBeCloseTo(5000, 0);
    expect(s.overall.statusCodes).toEqual({ '0': 1, '200': 2, '503': 1 });
    expect(s.overall.errorReasons).toEqual({ '503 service_unavailable': 1, ECONNRESET: 1 });
    expect(s.endpoints.map((e) => [e.endpoint, e.requests, e.failed])).toEqual([
      ['GET /a', 3, 1],
      ['GET /b', 1, 1],
    ]);
  });

  it('measures from the intended time when a request went out late', () => {
    const r = new Recorder({ startedAt: 0 });
    r.record('GET /a', result(100, 20), 40);
    const o = r.summary().overall;
    expect(o.latencyMs?.max).toBeCloseTo(80, 6);
    expect(o.serviceLatencyMs?.max).toBeCloseTo(20, 6);
  });

  it('computes the cache hit rate from X-Cache and x-vercel-cache and the database time from Server-Timing', () => {
    const r = new Recorder({ startedAt: 0 });
    r.record('GET /a', result(0, 1, 200, { 'x-cache': 'HIT-L1' }));
    r.record('GET /a', result(0, 1, 200, { 'x-cache': 'STALE' }));
    r.record('GET /a', result(0, 1, 200, { 'x-cache': 'MISS', 'server-timing': 'db;dur=8' }));
    r.record('GET /a', result(0, 1, 200, { 'x-cache': 'BYPASS', 'server-timing': 'db;dur=12' }));
    r.record('GET /a', result(0, 1, 200));
    const o = r.summary().overall;
    expect(o.cache).toMatchObject({ hits: 2, misses: 1, bypasses: 1, hitRate: 0.5, xCache: { BYPASS: 1, 'HIT-L1': 1, MISS: 1, STALE: 1 } });
    expect(o.db).toEqual({ meanMs: 10, perRequestMs: 4, reported: 2 });
  });

  it('leaves the hit rate unknown when no response carried a cache header', () => {
    const r = new Recorder({ startedAt: 0 });
    r.record('GET /a', result(0, 1));
    expect(r.summary().overall.cache.hitRate).toBeNull();
    expect(r.metric('http_req_cache_hit', { kind: 'rate' }, null)).toBeNull();
  });

  it('builds a time series by completion interval with VUs, drops and late sends', () => {
    const r = new Recorder({ startedAt: 0, intervalMs: 1000 });
    r.record('GET /a', result(100, 10));
    r.record('GET /a', result(1200, 30));
    r.record('GET /a', result(1300, 50, 500));
    r.sampleVus(3, 500);
    r.sampleVus(7, 1500);
    r.drop(1600);
    r.markLate(1700);
    r.finish(2000);
    const s = r.summary();
    expect(s.timeSeries.map((p) => [p.t, p.requests, p.failed, p.vus, p.dropped, p.late])).toEqual([
      [0, 1, 0, 3, 0, 0],
      [1, 2, 1, 7, 1, 1],
    ]);
    expect(s.timeSeries[1]!.p99).toBeCloseTo(30, 0);
    expect(s.dropped).toBe(1);
    expect(s.late).toBe(1);
  });

  it('counts interrupted requests in no other figure', () => {
    const r = new Recorder({ startedAt: 0 });
    r.record('GET /a', result(0, 1, 0, {}, { error: 'interrupted' }));
    const s = r.summary();
    expect(s.interrupted).toBe(1);
    expect(s.overall.requests).toBe(0);
  });

  it('answers threshold metrics for the run, one endpoint and a recent window', () => {
    const r = new Recorder({ startedAt: 0, intervalMs: 1000 });
    for (let i = 0; i < 100; i++) r.record(i < 50 ? 'GET /a' : 'GET /b', result(i * 10, i < 50 ? 10 : 100));
    r.record('GET /b', result(1500, 1, 500));
    r.finish(2000);
    expect(r.metric('http_req_duration', { kind: 'p', percentile: 50 }, 'GET /a')).toBeCloseTo(10, 0);
    expect(r.metric('http_req_duration', { kind: 'max' }, null)).toBeCloseTo(100, 0);
    expect(r.metric('http_req_failed', { kind: 'count' }, null)).toBe(1);
    expect(r.metric('http_reqs', { kind: 'rate' }, null)).toBeCloseTo(50.5, 6);
    expect(r.metric('http_req_duration', { kind: 'avg' }, 'GET /nope')).toBeNull();
    const recent = r.window(1000, 1999);
    expect(recent.requests).toBe(11);
    expect(windowMetric(recent)('http_req_failed', parseThreshold('http_req_failed: rate<1')[0]!.aggregation, null)).toBeCloseTo(1 / 11, 9);
  });
});
