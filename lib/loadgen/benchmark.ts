/**
 * Node-only. The benchmark behind `npm run benchmark`: a warm-up, then
 * measured phases over the standard read mix:
 *
 * - `sequential`: one connection, one request at a time (latency without contention);
 * - `concurrent`: a closed model with `concurrency` connections (throughput);
 * - `rate`: an open model at a constant arrival rate, latency measured from
 *   each request's scheduled time (coordinated omission corrected), with late
 *   and dropped requests reported. The rate is fixed (DEFAULT_RATE_PER_S
 *   unless told otherwise), not derived from the closed phases' throughput:
 *   a rate that moves with what the machine happened to do a few seconds
 *   earlier makes the verdict move with it (issue 10).
 *
 * Each measured phase is checked against the targets (p95, p99, error rate,
 * cache hit rate), and records what the machine did meanwhile (event-loop
 * delay, load average: lib/loadgen/machine-noise.ts), so that the report can
 * say how far to trust the verdict (lib/loadgen/benchmark-verdict.ts). With
 * `baseline` the same phases first run with the cache bypassed
 * (`X-Iris-Cache-Bypass`), for an honest before/after comparison.
 */
import { autoRate, rateHeadroom, resolveRate, verdictNotes, type RateHeadroom, type RateSource } from './benchmark-verdict.js';
import { runClosed, runOpen } from './engine.js';
import { RequestBuilder, type HttpClientOptions } from './http-client.js';
import { startNoiseProbe, type NoiseReading } from './machine-noise.js';
import { createProgress, type ProgressOptions } from './progress.js';
import { seededRandom } from './random.js';
import { Recorder, type RunSummary } from './recorder.js';
import { readServerMetrics, serverMetricsDelta, type ServerMetricsDelta, type ServerMetricsReading } from './server-metrics.js';
import { cacheBypassHeaders, type Target } from './target.js';
import { evaluateThresholds, parseThresholds, type Threshold, type ThresholdResult } from './thresholds.js';
import { createRequestSource, standardReadMix, type RequestTemplate } from './traffic-mix.js';

export const PHASES = ['sequential', 'concurrent', 'rate'] as const;
export type PhaseName = (typeof PHASES)[number];
/** `baseline` runs bypass the cache; `cached` runs are the normal path. */
export type Variant = 'cached' | 'baseline';

/** Pass/fail limits checked on every measured phase. */
export interface BenchmarkTargets {
  /** p95 of successful requests must stay below this, ms. */
  p95Ms: number;
  /** p99 of successful requests must stay below this, ms. */
  p99Ms: number;
  /** Failed ÷ all requests must stay below this. */
  maxErrorRate: number;
  /** Cache hits ÷ cache lookups must exceed this. */
  minCacheHitRate: number;
}

export const DEFAULT_TARGETS: BenchmarkTargets = { p95Ms: 150, p99Ms: 200, maxErrorRate: 0.01, minCacheHitRate: 0.85 };

/** The targets as thresholds (k6 syntax), so one evaluator serves both tools. */
export function targetThresholds(t: BenchmarkTargets): Threshold[] {
  return parseThresholds([
    `http_req_duration: p(95)<${t.p95Ms}, p(99)<${t.p99Ms}`,
    `http_req_failed: rate<${t.maxErrorRate}`,
    `http_req_cache_hit: rate>${t.minCacheHitRate}`,
  ]);
}

/** Options of {@link runBenchmark}. */
export interface BenchmarkOptions {
  target: Target;
  /** @default standardReadMix() */
  mix?: readonly RequestTemplate[];
  /** @default 3000 */
  warmupMs?: number;
  /** @default 8000 */
  sequentialMs?: number;
  /** @default 12_000 */
  concurrentMs?: number;
  /** Connections of the concurrent phase (and the warm-up). @default 10 */
  concurrency?: number;
  /** @default 12_000 */
  rateMs?: number;
  /**
   * Arrival rate of the rate phase, requests per second. `auto` is half the
   * throughput the first concurrent (else sequential) phase reached: a probe
   * of capacity whose verdict then depends on how fast that phase happened to
   * run, so it is never the default.
   * @default DEFAULT_RATE_PER_S
   */
  ratePerS?: number | 'auto';
  /** Most connections of the rate phase. @default 64 */
  rateMaxConnections?: number;
  /** Per-request timeout. @default 10_000 */
  timeoutMs?: number;
  /** Also run every phase with the cache bypassed first. @default false */
  baseline?: boolean;
  /** @default all of PHASES */
  phases?: readonly PhaseName[];
  /** @default DEFAULT_TARGETS */
  targets?: BenchmarkTargets;
  /** More conditions checked on every measured (cached) phase. @default none */
  thresholds?: readonly Threshold[];
  /** Seed of the request mix. @default 1 */
  seed?: number;
  /** Progress and status lines. @default silent */
  log?: (line: string) => void;
  /** Where live progress goes; null for none. @default null */
  progressStream?: ProgressOptions['stream'] | null;
  /** Memory of the process holding the server, when it is this one. */
  inProcessMemory?: () => { rssBytes: number; heapUsedBytes: number };
  /** Stops the current phase and skips the rest. */
  signal?: AbortSignal;
}

export interface PhaseResult {
  phase: PhaseName;
  variant: Variant;
  model: 'closed' | 'open';
  /** Connections of a closed-model phase, else null. */
  concurrency: number | null;
  /** Arrival rate of the open-model phase, else null. */
  ratePerS: number | null;
  plannedMs: number;
  summary: RunSummary;
  /** Targets and thresholds checked on this phase (none for baseline runs). */
  checks: ThresholdResult[];
  /** What the machine did during the phase (event-loop delay of this process, load average); null when not measured. */
  noise: NoiseReading | null;
}

export interface BenchmarkResult {
  warmup: { requests: number; failed: number; errorReasons: Record<string, number> };
  /**
   * The rate phase's arrival rate (null when it did not run), where it came
   * from (`default`, `given`, or `auto`: half a measured throughput), and the
   * cached rate phase's headroom: the rate against the throughput the
   * concurrent (else sequential) phase reached.
   */
  rate: { perS: number | null; source: RateSource; headroom: RateHeadroom | null };
  phases: PhaseResult[];
  serverMetrics: { before: ServerMetricsReading; after: ServerMetricsReading; delta: ServerMetricsDelta | null };
  inProcessMemory: { before: { rssBytes: number; heapUsedBytes: number }; after: { rssBytes: number; heapUsedBytes: number } } | null;
  /** Findings worth a line of their own (no X-Cache anywhere, no database timing, a rate near capacity, a close call). */
  notes: string[];
  pass: boolean;
}

/** The benchmark cannot go on (every warm-up request failed); the message says why. */
export class BenchmarkError extends Error {
  static readonly code = 'E_BENCHMARK';
  readonly code = BenchmarkError.code;
  override readonly name = 'BenchmarkError';
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResult> {
  const log = options.log ?? (() => {});
  const mix = options.mix ?? standardReadMix();
  const warmupMs = options.warmupMs ?? 3000;
  const sequentialMs = positive('sequentialMs', options.sequentialMs ?? 8000);
  const concurrentMs = positive('concurrentMs', options.concurrentMs ?? 12_000);
  const concurrency = positive('concurrency', options.concurrency ?? 10);
  const rateMs = positive('rateMs', options.rateMs ?? 12_000);
  // Always in this order: the rate phase may take its rate from a closed-model phase.
  const phases = PHASES.filter((p) => (options.phases ?? PHASES).includes(p));
  const checks = [...targetThresholds(options.targets ?? DEFAULT_TARGETS), ...(options.thresholds ?? [])];
  const client: HttpClientOptions = { baseUrl: options.target.baseUrl, headers: options.target.headers, timeoutMs: options.timeoutMs ?? 10_000 };
  const builder = new RequestBuilder(client);
  const random = seededRandom(options.seed ?? 1);
  const bypass = options.baseline ? cacheBypassHeaders(options.target) : undefined;
  const resolved = resolveRate(options.ratePerS);
  let ratePerS = resolved.ratePerS;

  type Run = { recorder: Recorder; noise: NoiseReading; result: Omit<PhaseResult, 'phase' | 'summary' | 'checks' | 'noise'> };
  const run = async (phase: PhaseName | 'warmup', variant: Variant): Promise<Run> => {
    const recorder = new Recorder();
    const next = createRequestSource(mix, builder, random, variant === 'baseline' ? bypass : undefined);
    const plannedMs = phase === 'warmup' ? warmupMs : phase === 'sequential' ? sequentialMs : phase === 'concurrent' ? concurrentMs : rateMs;
    const label = phase === 'warmup' ? 'warm-up' : `${phase}${variant === 'baseline' ? ' (no cache)' : ''}`;
    const progress = options.progressStream === null || options.progressStream === undefined ? null : createProgress({ stream: options.progressStream, label, totalMs: plannedMs });
    const common = { client, next, recorder, durationMs: plannedMs, signal: options.signal, onTick: (t: number, vus: number) => progress?.update(recorder, vus, t) };
    const probe = startNoiseProbe();
    let result: Omit<PhaseResult, 'phase' | 'summary' | 'checks' | 'noise'>;
    if (phase === 'rate') {
      if (ratePerS === 'auto') throw new BenchmarkError('ratePerS is "auto" but no closed-model phase ran to derive it; pass a rate');
      const maxConnections = options.rateMaxConnections ?? 64;
      await runOpen({ ...common, rate: ratePerS, maxConnections });
      result = { variant, model: 'open', concurrency: null, ratePerS, plannedMs };
    } else {
      const vus = phase === 'sequential' ? 1 : concurrency;
      await runClosed({ ...common, vus });
      result = { variant, model: 'closed', concurrency: vus, ratePerS: null, plannedMs };
    }
    const noise = probe.stop();
    progress?.done();
    return { recorder, noise, result };
  };

  const warm = warmupMs > 0 ? (await run('warmup', 'cached')).recorder.summary().overall : null;
  const warmup = { requests: warm?.requests ?? 0, failed: warm?.failed ?? 0, errorReasons: warm?.errorReasons ?? {} };
  if (warm !== null) {
    log(`warm-up: ${warm.requests} requests, ${warm.failed} failed`);
    if (warm.requests > 0 && warm.failed === warm.requests) {
      const reasons = Object.entries(warm.errorReasons).map(([r, c]) => `${r} ×${c}`).join(', ');
      throw new BenchmarkError(`every warm-up request failed (${reasons}); check the URL and BENCHMARK_API_KEY`);
    }
  }

  if (phases.includes('rate') && ratePerS !== 'auto') log(`rate phase: ${ratePerS} req/s, ${resolved.source === 'default' ? 'the default' : 'a given'} fixed rate`);
  const before = await readServerMetrics(options.target);
  const memoryBefore = options.inProcessMemory?.() ?? null;
  const results: PhaseResult[] = [];
  for (const variant of options.baseline ? (['baseline', 'cached'] as const) : (['cached'] as const)) {
    for (const phase of phases) {
      if (options.signal?.aborted) break;
      const { recorder, noise, result } = await run(phase, variant);
      const summary = recorder.summary();
      const phaseResult: PhaseResult = { phase, ...result, summary, checks: variant === 'cached' ? evaluateThresholds(checks, recorder.metric) : [], noise };
      results.push(phaseResult);
      const l = summary.overall.latencyMs;
      log(`${phase}${variant === 'baseline' ? ' (no cache)' : ''}: ${summary.overall.requests} requests, ${summary.overall.throughputPerS.toFixed(1)} req/s, p95 ${l ? l.p95.toFixed(2) : '-'} ms, ${summary.overall.failed} failed`);
      if (ratePerS === 'auto' && phase !== 'rate' && (phase === 'concurrent' || !phases.includes('concurrent'))) {
        ratePerS = autoRate(summary.overall.throughputPerS);
        log(`rate phase: ${ratePerS} req/s (half the ${phase} throughput)`);
      }
    }
  }
  const after = await readServerMetrics(options.target);
  const memoryAfter = options.inProcessMemory?.() ?? null;

  const cached = results.filter((r) => r.variant === 'cached');
  const notes: string[] = [];
  if (cached.length > 0 && cached.every((r) => r.summary.overall.cache.hitRate === null)) {
    notes.push('No response carried X-Cache or x-vercel-cache: the cache is not in the request path, so the cache-hit target fails.');
  }
  if (cached.length > 0 && cached.every((r) => r.summary.overall.db.reported === 0)) {
    notes.push('No response carried Server-Timing db;dur=...: database time is not reported by this server.');
  }
  const limited = results.reduce((n, r) => n + (r.summary.overall.statusCodes['429'] ?? 0), 0);
  if (limited > 0) {
    notes.push(`${limited} requests were rate limited (429): give the benchmark key's project higher limits (settings.rateLimit.readsPerMinute / writesPerMinute).`);
  }
  if (!before.ok) notes.push(`Server metrics unavailable: ${before.reason}.`);
  notes.push(...verdictNotes(results));
  if (options.signal?.aborted) notes.push('Interrupted: the remaining phases were skipped.');
  return {
    warmup,
    rate: {
      perS: phases.includes('rate') && ratePerS !== 'auto' ? ratePerS : null,
      source: resolved.source,
      headroom: rateHeadroom(results).find((h) => h.variant === 'cached') ?? null,
    },
    phases: results,
    serverMetrics: { before, after, delta: before.ok && after.ok ? serverMetricsDelta(before.metrics, after.metrics) : null },
    inProcessMemory: memoryBefore !== null && memoryAfter !== null ? { before: memoryBefore, after: memoryAfter } : null,
    notes,
    pass: !options.signal?.aborted && cached.length > 0 && cached.every((r) => r.checks.every((c) => c.pass)),
  };
}
