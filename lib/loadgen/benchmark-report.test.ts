import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BenchmarkResult, PhaseName, PhaseResult, Variant } from './benchmark.js';
import { beforeAfterTable, compareBenchmarks, formatBenchmark, renderBenchmarkPrometheus, type BenchmarkReport } from './benchmark-report.js';
import { syntheticMeta, syntheticPhase, type syntheticRun } from './test-support.js';

const phase = (name: PhaseName, variant: Variant, run: Parameters<typeof syntheticRun>[0]): PhaseResult => syntheticPhase(name, { variant, run, ratePerS: 50 });

function report(phases: PhaseResult[]): BenchmarkReport {
  const result: BenchmarkResult = {
    warmup: { requests: 10, failed: 0, errorReasons: {} },
    rate: { perS: phases.some((p) => p.phase === 'rate') ? 50 : null, source: 'given', headroom: null },
    phases,
    serverMetrics: { before: { ok: false, reason: 'GET /api/metrics answered 404: the endpoint is missing on this server' }, after: { ok: false, reason: 'x' }, delta: null },
    inProcessMemory: null,
    notes: [],
    pass: phases.every((p) => p.checks.every((c) => c.pass)),
  };
  return { meta: syntheticMeta(), result };
}

const cachedRun = { baseMs: 2, xCache: 'HIT-L1', dbMs: 0.5 };
const uncachedRun = { baseMs: 20, xCache: 'BYPASS', dbMs: 15 };

describe('benchmark report', () => {
  it('prints every phase, the targets per phase and the verdict', () => {
    const text = formatBenchmark(report([phase('sequential', 'cached', cachedRun), phase('rate', 'cached', { ...cachedRun, failEvery: 10 })]));
    expect(text).toContain('== sequential (closed model, 1 connection, 4.0 s) ==');
    expect(text).toContain('== rate (open model, 50 req/s, 4.0 s) ==');
    expect(text).toContain("rate phase: 50 req/s, a fixed rate given with --rate or BENCHMARK_RATE: its verdict does not depend on the closed phases' throughput");
    expect(text).toMatch(/http_req_failed: rate<0\.01\s+0\.0% pass\s+10\.0% FAIL/);
    expect(text).toContain('503 service_unavailable×20');
    expect(text).toContain('/api/metrics: GET /api/metrics answered 404');
    expect(text).toMatch(/RESULT: FAIL$/);
  });

  it('says how far to trust the verdict: the rate against the measured throughput, the closest call, the machine meanwhile', () => {
    const rate: PhaseResult = { ...phase('rate', 'cached', cachedRun), noise: { eventLoopDelayMs: { p50: 0.05, p99: 3.1, max: 12.5 }, loadAverage1m: { start: 2.25, end: 2.4 } } };
    const r = report([phase('concurrent', 'cached', { ...cachedRun, count: 4000 }), rate]);
    r.result.rate = { perS: 50, source: 'default', headroom: { variant: 'cached', ratePerS: 50, capacity: { phase: 'concurrent', throughputPerS: 1000 }, fraction: 0.05, nearCapacity: false } };
    const text = formatBenchmark(r);
    expect(text).toContain("rate phase: 50 req/s, the default fixed rate (--rate or BENCHMARK_RATE to change); 5.0% of the 1,000 req/s the concurrent phase reached: its verdict does not depend on the closed phases' throughput");
    expect(text).toContain("machine meanwhile: load average 2.25 → 2.40, this process's event-loop delay (its own work included) p99 3.10 ms, max 12.5 ms");
    expect(text).toContain('closest to a limit: concurrent http_req_duration: p(95)<150 at 11.0 ms, 7% of the limit');
  });

  it('puts the cache-bypassed and cached runs side by side', () => {
    const table = beforeAfterTable([phase('concurrent', 'baseline', uncachedRun), phase('concurrent', 'cached', cachedRun)]);
    expect(table).toMatch(/concurrent: cache hit rate\s+0\.0%\s+90\.0%/);
    expect(table).toMatch(/concurrent: db ms\/request\s+15\.0\s+0\.50\s+-97% better/);
    expect(table).toMatch(/concurrent: p95 ms\s+29\.0\s+11\.0\s+-62% better/);
    expect(beforeAfterTable([phase('concurrent', 'cached', cachedRun)])).toBeNull();
  });

  it('flags regressions beyond the threshold and nothing within it', () => {
    const before = report([phase('concurrent', 'cached', cachedRun)]);
    const same = compareBenchmarks(before, report([phase('concurrent', 'cached', cachedRun)]));
    expect(same.filter((r) => r.regression)).toEqual([]);
    const slower = compareBenchmarks(before, report([phase('concurrent', 'cached', { ...cachedRun, baseMs: 20, failEvery: 10, xCache: 'MISS' })]));
    expect(slower.filter((r) => r.regression).map((r) => r.metric)).toEqual(['p95 ms', 'p99 ms', 'error rate', 'cache hit rate']);
  });

  it('ignores latency changes below the noise floor', () => {
    const rows = compareBenchmarks(report([phase('sequential', 'cached', { baseMs: 0.2 })]), report([phase('sequential', 'cached', { baseMs: 0.5 })]));
    expect(rows.find((r) => r.metric === 'p95 ms')?.regression).toBe(false);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;

  it('writes the Prometheus text format with seconds, ratios and one family per name', () => {
    const text = renderBenchmarkPrometheus(report([phase('concurrent', 'baseline', uncachedRun), phase('concurrent', 'cached', cachedRun)]));
    expect(text).toContain('# TYPE iris_benchmark_request_duration_seconds summary');
    expect(text).toMatch(/iris_benchmark_request_duration_seconds\{variant="cached",phase="concurrent",endpoint="all",quantile="0\.99"\} 0\.011\n/);
    expect(text).toMatch(/iris_benchmark_cache_hit_ratio\{variant="cached",phase="concurrent",endpoint="all"\} 0\.9\n/);
    expect(text).toContain('iris_benchmark_check_passed{variant="cached",phase="concurrent",check="http_req_duration: p(95)<150"} 1');
    expect(text.match(/^# TYPE (\S+)/gm)!.length).toBe(new Set(text.match(/^# TYPE (\S+)/gm)).size);
  });

  it.skipIf(!promtool)('passes promtool check metrics', () => {
    const text = renderBenchmarkPrometheus(report([phase('sequential', 'cached', cachedRun), phase('rate', 'baseline', uncachedRun), phase('rate', 'cached', { failEvery: 7 })]));
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
