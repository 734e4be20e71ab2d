import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * GET /api/iris/stats/timeseries and /api/iris/stats/breakdown through the
 * real api/ modules on PGlite, with the clock of the services injected so
 * windows are predictable.
 */
const HOUR = 3_600_000;
// 10:20 UTC: windows ending "now" have a ragged last hour.
const NOW = Date.parse('2026-11-20T10:20:00Z');

let app: TestApp;
let p: TestProject;

async function get(path: string, init: { headers?: Record<string, string> } = {}) {
  const res = await app.request(path, { key: p.key, ...init });
  return { res, body: res.status === 304 ? null : ((await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } }) };
}

beforeAll(async () => {
  app = await createTestApp({ now: () => NOW });
  p = await app.createProject('Analytics');
  const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();
  const runs = [
    ...Array.from({ length: 6 }, (_, i) => sampleRun({ model: 'gpt-4o', agentId: 'agent-a', costUsd: 0.01, latencyMs: 1000 + i, createdAt: at(1) })),
    ...Array.from({ length: 3 }, () => sampleRun({ model: 'gpt-4o-mini', agentId: 'agent-b', costUsd: 0.001, latencyMs: 300, createdAt: at(3) })),
    ...Array.from({ length: 2 }, () => sampleRun({ model: 'claude-3-5-haiku', agentId: undefined, costUsd: 0.002, latencyMs: 500, outcome: 'failure', createdAt: at(30) })),
  ];
  expect((await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: runs })).status).toBe(201);
});
afterAll(() => app.close());

describe('GET /api/iris/stats/timeseries', () => {
  it('answers the last 24 hours in hourly buckets by default, every bucket present', async () => {
    const { res, body } = await get('/api/iris/stats/timeseries');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    // The current hour and the 23 before it.
    expect(body).toMatchObject({ metric: 'runs', interval: 'hour', groupBy: 'none', top: null, from: '2026-11-19T11:00:00.000Z', to: '2026-11-20T11:00:00.000Z' });
    const [series] = body!.series as { kind: string; group: null; points: { t: string; runs: number; value: number }[] }[];
    expect(series!.kind).toBe('all');
    expect(series!.points).toHaveLength(24);
    expect(series!.points.filter((pt) => pt.runs > 0)).toEqual([
      { t: '2026-11-20T07:00:00.000Z', runs: 3, value: 3 },
      { t: '2026-11-20T09:00:00.000Z', runs: 6, value: 6 },
    ]);
    expect(series!.points.every((pt) => pt.value === pt.runs)).toBe(true);
  });

  it('charts the top groups by the metric and folds the rest into other', async () => {
    const { body } = await get('/api/iris/stats/timeseries?metric=costUsd&interval=day&groupBy=model&top=1&from=2026-11-18T00:00:00Z');
    const series = body!.series as { kind: string; group: string | null; points: { runs: number; value: number }[] }[];
    expect(series.map((s) => [s.kind, s.group])).toEqual([['group', 'gpt-4o'], ['other', null]]);
    const sum = (i: number) => series[i]!.points.reduce((acc, pt) => acc + pt.value, 0);
    expect(sum(0)).toBeCloseTo(0.06, 9);
    expect(sum(1)).toBeCloseTo(0.003 + 0.004, 9);
    expect(series[0]!.points).toHaveLength(3);
  });

  it('reports null, not zero, for the p95 of an empty bucket', async () => {
    const { body } = await get('/api/iris/stats/timeseries?metric=p95LatencyMs&from=2026-11-20T08:00:00Z&to=2026-11-20T10:00:00Z');
    const [series] = body!.series as { points: { runs: number; value: number | null }[] }[];
    expect(series!.points.map((pt) => pt.runs)).toEqual([0, 6]);
    expect(series!.points[0]!.value).toBeNull();
    // The nearest-rank p95 of 1000..1005 ms is 1005 ms, reported within 1%.
    expect(Math.abs(series!.points[1]!.value! - 1005) / 1005).toBeLessThanOrEqual(0.01);
  });

  it.each([
    ['metric=latency', 'metric'],
    ['interval=minute', 'interval'],
    ['groupBy=user', 'groupBy'],
    ['top=0', 'top'],
    ['top=21', 'top'],
    ['from=2026-01-01T00:00:00Z', 'from'],
    ['from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z', 'from'],
    ['bogus=1', ''],
  ])('refuses %s with a 422', async (query) => {
    const { res, body } = await get(`/api/iris/stats/timeseries?${query}`);
    expect(res.status).toBe(422);
    expect(body!.error!.code).toBe('validation_failed');
  });

  it('refuses more than 2,500 points and says what to change', async () => {
    const { res, body } = await get('/api/iris/stats/timeseries?from=2026-09-01T00:00:00Z&to=2026-11-20T00:00:00Z&groupBy=agent&top=5');
    expect(res.status).toBe(422);
    expect(body!.error!.message).toMatch(/11520 points.*at most 2500.*interval=day/);
    expect((await get('/api/iris/stats/timeseries?from=2026-09-01T00:00:00Z&to=2026-11-20T00:00:00Z&groupBy=agent&top=5&interval=day')).res.status).toBe(200);
  });
});

describe('GET /api/iris/stats/breakdown', () => {
  it('gives one row per group over the window, sorted and limited, with null for runs without the attribute', async () => {
    const { res, body } = await get('/api/iris/stats/breakdown?by=agent&from=2026-11-18T00:00:00Z&sort=costUsd');
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ by: 'agent', sort: 'costUsd', order: 'desc', limit: 50, totalGroups: 3 });
    const data = body!.data as Record<string, unknown>[];
    expect(data.map((r) => r.group)).toEqual(['agent-a', null, 'agent-b']);
    expect(data[0]).toEqual({
      group: 'agent-a',
      runs: 6,
      successRate: 1,
      inputTokens: 4800,
      outputTokens: 1200,
      costUsd: 0.06,
      meanLatencyMs: 1002.5,
      p50LatencyMs: expect.any(Number),
      p95LatencyMs: expect.any(Number),
      p99LatencyMs: expect.any(Number),
      meanConfidence: 0.9,
    });
    expect(data[1]).toMatchObject({ runs: 2, successRate: 0 });
  });

  it('sorts ascending and limits', async () => {
    const { body } = await get('/api/iris/stats/breakdown?by=model&from=2026-11-18T00:00:00Z&sort=p50LatencyMs&order=asc&limit=2');
    expect((body!.data as { group: string }[]).map((r) => r.group)).toEqual(['gpt-4o-mini', 'claude-3-5-haiku']);
    expect(body!.totalGroups).toBe(3);
  });

  it('is cached like the other reads, with an ETag that answers 304', async () => {
    const first = await get('/api/iris/stats/breakdown?by=expert');
    const etag = first.res.headers.get('etag')!;
    expect(etag).toMatch(/^W?\/?"/);
    const again = await get('/api/iris/stats/breakdown?by=expert', { headers: { 'if-none-match': etag } });
    expect(again.res.status).toBe(304);
    expect(again.res.headers.get('x-cache')).toBe('HIT-L1');
  });

  it.each(['', 'by=team', 'by=model&sort=cost', 'by=model&order=up', 'by=model&limit=1001'])('refuses "%s" with a 422', async (query) => {
    expect((await get(`/api/iris/stats/breakdown?${query}`)).res.status).toBe(422);
  });
});

describe('stats windows', () => {
  it('widen to whole UTC hours and say so, so the answer comes from rollup rows alone', async () => {
    const { body } = await get('/api/iris/stats/tokens?from=2026-11-20T07:20:00Z&to=2026-11-20T09:05:00Z');
    expect(body).toMatchObject({ from: '2026-11-20T07:00:00.000Z', to: '2026-11-20T10:00:00.000Z', totals: { runs: 9 } });
    const breakdown = await get('/api/iris/stats/breakdown?by=model&from=2026-11-20T09:59:00Z&to=2026-11-20T10:01:00Z');
    expect(breakdown.body).toMatchObject({ from: '2026-11-20T09:00:00.000Z', to: '2026-11-20T11:00:00.000Z', totalGroups: 1 });
  });

  it('default to the current hour and the 23 before it, as the overview counts its 24 hours', async () => {
    const { body } = await get('/api/iris/stats/performance');
    expect(body).toMatchObject({ from: '2026-11-19T11:00:00.000Z', to: '2026-11-20T11:00:00.000Z', totals: { runs: 9 } });
  });
});
