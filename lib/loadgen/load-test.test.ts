import { describe, expect, it } from 'vitest';
import { formatLoadTest, loadTestHtml, loadTestNotes, type LoadTestReport } from './load-test-report.js';
import { intervalFor, runLoadTest, scaleScenario, scenario, SCENARIO_NAMES, type LoadTestResult } from './load-test.js';
import { createProgress, progressLine } from './progress.js';
import { totalDurationMs, valueAt } from './stages.js';
import { syntheticMeta, syntheticRun } from './test-support.js';
import { evaluateThresholds, parseThresholds } from './thresholds.js';

describe('scenarios', () => {
  it('have the shapes the issue asks for', () => {
    const smoke = scenario('smoke');
    expect(smoke).toMatchObject({ executor: 'vus', startVus: 1 });
    expect(totalDurationMs(smoke.stages)).toBe(30_000);
    const load = scenario('load');
    expect(totalDurationMs(load.stages)).toBe(300_000);
    expect(load.executor === 'vus' && [load.startVus, Math.max(...load.stages.map((s) => s.target))]).toEqual([10, 50]);
    const stress = scenario('stress');
    expect(totalDurationMs(stress.stages)).toBe(600_000);
    expect(stress.executor === 'vus' && [stress.startVus, Math.max(...stress.stages.map((s) => s.target))]).toEqual([50, 200]);
    const spike = scenario('spike');
    expect(spike.executor === 'vus' && [spike.startVus, Math.max(...spike.stages.map((s) => s.target)), spike.stages.at(-1)!.target]).toEqual([10, 500, 10]);
    expect(scenario('soak', { soakDurationMs: 7_200_000 }).stages).toEqual([{ durationMs: 7_200_000, target: 50 }]);
    const breakpoint = scenario('breakpoint', { breakpointMaxRate: 300 });
    expect(breakpoint.executor).toBe('arrival-rate');
    expect(breakpoint.executor === 'arrival-rate' && valueAt(breakpoint.startRate, breakpoint.stages, 600_000)).toBe(300);
    expect(SCENARIO_NAMES).toHaveLength(6);
  });

  it('shortens every stage with --scale', () => {
    const scaled = scaleScenario(scenario('load'), 0.05);
    expect(totalDurationMs(scaled.stages)).toBe(15_000);
    expect(scaled.stages.map((s) => s.target)).toEqual(scenario('load').stages.map((s) => s.target));
  });

  it('names in its description the durations that will run, --scale included', () => {
    expect(scenario('smoke').description).toBe('1 VU for 30 s: does everything answer?');
    expect(scaleScenario(scenario('smoke'), 0.2).description).toBe('1 VU for 6 s: does everything answer?');
    expect(scaleScenario(scenario('load'), 0.2).description).toBe('ramp 10 → 50 VUs over 24 s, hold 30 s, ramp down over 6 s: 1 min of normal traffic');
    expect(scenario('soak', { soakDurationMs: 5_400_000 }).description).toBe('a constant 50 VUs for 1 h 30 min, watching memory drift');
    expect(scaleScenario(scenario('breakpoint', { breakpointMaxRate: 300 }), 0.1).description).toBe('arrival rate ramping 5 → 300 req/s over 1 min until a threshold fails');
    for (const name of SCENARIO_NAMES) expect(scaleScenario(scenario(name), 0.01).description, name).not.toMatch(/\b(30 s|5 min|10 min|30 min)\b/);
  });

  it('keeps reports to about 600 points however long the run', () => {
    expect(intervalFor(30_000)).toBe(1000);
    expect(intervalFor(3_600_000)).toBe(6000);
  });

  it('refuses a breakpoint ramp against a remote target unless told the cost is understood', async () => {
    const target = { baseUrl: 'https://iris.example.com', headers: {}, metricsToken: null, adminToken: null, embedded: false };
    await expect(runLoadTest({ target, scenario: scenario('breakpoint') })).rejects.toThrow(/--i-understand-autoscaling-cost/);
  });
});

function result(overrides: Partial<LoadTestResult> = {}): LoadTestResult {
  const recorder = syntheticRun({ failEvery: 50 });
  return {
    scenario: scenario('smoke'),
    summary: recorder.summary(),
    thresholds: evaluateThresholds(parseThresholds(['http_req_failed: rate<0.01']), recorder.metric),
    breakpoint: null,
    memory: { source: null, reason: 'no metrics token (set BENCHMARK_METRICS_TOKEN)', samples: [], rssDriftBytesPerHour: null, heapDriftBytesPerHour: null },
    serverMetrics: { before: { ok: false, reason: 'x' }, after: { ok: false, reason: 'x' }, delta: null },
    pass: false,
    ...overrides,
  };
}

describe('load test report', () => {
  it('summarises totals, errors by status and reason, endpoints and thresholds', () => {
    const report: LoadTestReport = { meta: syntheticMeta('iris-load-test'), result: result() };
    const text = formatLoadTest(report);
    expect(text).toContain('totals: 200 requests in 4.0 s (50.0 req/s), 4 failed (2.00%)');
    expect(text).toContain('status codes: 200×196  503×4');
    expect(text).toContain('errors by reason: 503 service_unavailable×4');
    expect(text).toContain('GET /api/iris/overview');
    expect(text).toContain('FAIL  http_req_failed: rate<0.01  (actual: 0.02)');
    expect(text).toContain('Memory drift: unavailable (no metrics token');
    expect(loadTestHtml(report)).toContain('id="iris-report-data"');
  });

  it('reports the breakpoint, and a memory trend only over enough samples', () => {
    const samples = [0, 30, 60, 90, 120].map((t) => ({ t, rssBytes: 100 * 2 ** 20 + t * 2 ** 20, heapUsedBytes: 10 * 2 ** 20 }));
    const notes = loadTestNotes(
      result({
        breakpoint: { found: true, elapsedMs: 42_000, ratePerS: 123.4, failed: ['http_req_duration: p(95)<150 (was 180)'], windowMs: 10_000 },
        memory: { source: 'in-process', reason: null, samples, rssDriftBytesPerHour: 30 * 2 ** 30, heapDriftBytesPerHour: 0 },
      }),
    );
    expect(notes[0]).toBe('Breakpoint: over the last 10 s, http_req_duration: p(95)<150 (was 180) at about 123.4 req/s (42.0 s in).');
    expect(notes[1]).toMatch(/rss 100\.0 MiB → 220\.0 MiB.*trend \+30720\.0 MiB\/h rss/);
    const short = loadTestNotes(result({ memory: { source: 'in-process', reason: null, samples: samples.slice(0, 2), rssDriftBytesPerHour: 1, heapDriftBytesPerHour: 1 } }));
    expect(short[0]).not.toContain('trend');
  });
});

describe('progress', () => {
  it('prints a plain line every interval when not on a TTY', () => {
    const lines: string[] = [];
    const progress = createProgress({ stream: { write: (t: string) => lines.push(t), isTTY: false }, label: 'load', totalMs: 30_000, plainEveryMs: 10_000 });
    const recorder = syntheticRun();
    for (let t = 0; t <= 30_000; t += 100) progress.update(recorder, 7, t);
    progress.done();
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });

  it('rewrites one line in place on a TTY', () => {
    const out: string[] = [];
    const progress = createProgress({ stream: { write: (t: string) => out.push(t), isTTY: true }, label: 'smoke', totalMs: 1000 });
    progress.update(syntheticRun(), 1, 0);
    progress.done();
    const CLEAR_LINE = '\r\x1b[2K';
    expect(out[0]!.startsWith(CLEAR_LINE)).toBe(true);
    expect(out[0]!.slice(CLEAR_LINE.length)).toMatch(/^smoke \[0:00 \/ 0:01 left\] \| VUs 1 \| [\d.,]+ req\/s \| p95 [\d.]+ ms \| errors 0 \(0\.00%\)$/);
    expect(out[1]).toBe('\r\x1b[2K');
    expect(progressLine('x', syntheticRun({ failEvery: 2 }), 3, 61_000, 120_000)).toContain('x [1:01 / 0:59 left] | VUs 3');
  });
});
