/**
 * Fixtures for the loadgen tests (not part of the public entry): recorders
 * filled with synthetic results on an injected clock, and run metadata.
 */
import { DEFAULT_TARGETS, targetThresholds, type PhaseName, type PhaseResult, type Variant } from './benchmark.js';
import type { HttpResult } from './http-client.js';
import type { NoiseReading } from './machine-noise.js';
import { Recorder, type RunSummary } from './recorder.js';
import type { RunMetadata } from './run-metadata.js';
import { evaluateThresholds } from './thresholds.js';

/** A run of `count` requests spread over `seconds`, latency `baseMs` + i % 10, every `failEvery`-th failing with 503. */
export function syntheticRun(options: { count?: number; seconds?: number; baseMs?: number; failEvery?: number; xCache?: string; dbMs?: number } = {}): Recorder {
  const count = options.count ?? 200;
  const seconds = options.seconds ?? 4;
  const recorder = new Recorder({ startedAt: 0 });
  for (let i = 0; i < count; i++) {
    const sentAt = (i / count) * seconds * 1000;
    const failed = options.failEvery !== undefined && i % options.failEvery === 0;
    const headers: Record<string, string> = {};
    if (options.xCache !== undefined) headers['x-cache'] = i % 10 === 0 ? 'MISS' : options.xCache;
    if (options.dbMs !== undefined) headers['server-timing'] = `db;dur=${options.dbMs}`;
    const result: HttpResult = {
      status: failed ? 503 : 200,
      headers,
      bodyBytes: 100,
      body: failed ? '{"error":{"code":"service_unavailable"}}' : null,
      error: null,
      sentAt,
      endedAt: sentAt + (options.baseMs ?? 5) + (i % 10),
    };
    recorder.record(i % 2 === 0 ? 'GET /api/iris/overview' : 'GET /api/iris/reports', result);
    recorder.sampleVus(4, sentAt);
  }
  recorder.finish(seconds * 1000);
  return recorder;
}

/**
 * A benchmark phase over a {@link syntheticRun}, checked against the default targets when cached;
 * `rate` is the open-model phase (at `ratePerS`), the others closed.
 */
export function syntheticPhase(
  name: PhaseName,
  o: { variant?: Variant; run?: Parameters<typeof syntheticRun>[0]; ratePerS?: number; noise?: NoiseReading | null } = {},
): PhaseResult {
  const recorder = syntheticRun(o.run);
  const variant = o.variant ?? 'cached';
  const open = name === 'rate';
  return {
    phase: name,
    variant,
    model: open ? 'open' : 'closed',
    concurrency: open ? null : name === 'sequential' ? 1 : 10,
    ratePerS: open ? (o.ratePerS ?? 50) : null,
    plannedMs: (o.run?.seconds ?? 4) * 1000,
    summary: recorder.summary(),
    checks: variant === 'cached' ? evaluateThresholds(targetThresholds(DEFAULT_TARGETS), recorder.metric) : [],
    noise: o.noise ?? null,
  };
}

export function syntheticSummary(options: Parameters<typeof syntheticRun>[0] = {}): RunSummary {
  return syntheticRun(options).summary();
}

export function syntheticMeta(tool = 'iris-benchmark'): RunMetadata {
  return {
    tool,
    schemaVersion: 1,
    date: '2026-11-24T07:00:00.000Z',
    gitSha: '0123456789abcdef0123456789abcdef01234567',
    gitDirty: false,
    target: { url: 'http://127.0.0.1:3000', kind: 'embedded' },
    machine: { hostname: 'ci', platform: 'linux', release: '6', arch: 'x64', cpus: 2, cpuModel: 'Test CPU', totalMemBytes: 4 * 2 ** 30, node: 'v20' },
    options: {},
  };
}
