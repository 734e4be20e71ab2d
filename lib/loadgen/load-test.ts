/**
 * Node-only. The load test behind `npm run load-test:<scenario>`: k6-style
 * scenarios (stages of virtual users, or of arrival rate) over a weighted,
 * realistic traffic mix, with thresholds, live progress and memory sampling.
 */
import { runClosed, runOpen } from './engine.js';
import { RequestBuilder, type HttpClientOptions } from './http-client.js';
import { createProgress, type ProgressOptions } from './progress.js';
import { seededRandom } from './random.js';
import { Recorder, windowMetric, type RunSummary } from './recorder.js';
import { memoryDriftPerHour, readServerMetrics, serverMetricsDelta, type ServerMetricsDelta, type ServerMetricsReading } from './server-metrics.js';
import { isLoopbackUrl, TargetError, type Target } from './target.js';
import { evaluateThresholds, parseThresholds, type Threshold, type ThresholdResult } from './thresholds.js';
import { duration } from './format.js';
import { totalDurationMs, valueAt, type Stage } from './stages.js';
import { createRequestSource, loadTestMix, type RequestTemplate } from './traffic-mix.js';

export const SCENARIO_NAMES = ['smoke', 'load', 'stress', 'spike', 'soak', 'breakpoint'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** A scenario: stages of virtual users (closed model) or of arrival rate (open model). */
export type Scenario =
  | { name: string; description: string; executor: 'vus'; startVus: number; stages: Stage[] }
  | { name: string; description: string; executor: 'arrival-rate'; startRate: number; stages: Stage[]; maxConnections: number };

const S = 1000;
const M = 60 * S;

/** Parameters some scenarios take. */
export interface ScenarioParams {
  /** Length of the soak. @default 30 minutes */
  soakDurationMs?: number;
  /** Highest rate the breakpoint ramp reaches, per second. @default 1000 */
  breakpointMaxRate?: number;
}

/** The predefined scenarios, at full length (see `scaleScenario`). */
export function scenario(name: ScenarioName, params: ScenarioParams = {}): Scenario {
  switch (name) {
    case 'smoke':
      return described({ name, executor: 'vus', startVus: 1, stages: [{ durationMs: 30 * S, target: 1 }] });
    case 'load':
      return described({
        name,
        executor: 'vus',
        startVus: 10,
        stages: [
          { durationMs: 2 * M, target: 50 },
          { durationMs: 2.5 * M, target: 50 },
          { durationMs: 30 * S, target: 10 },
        ],
      });
    case 'stress':
      return described({
        name,
        executor: 'vus',
        startVus: 50,
        stages: [
          { durationMs: 2 * M, target: 100 },
          { durationMs: 2 * M, target: 100 },
          { durationMs: 2 * M, target: 200 },
          { durationMs: 3 * M, target: 200 },
          { durationMs: 1 * M, target: 50 },
        ],
      });
    case 'spike':
      return described({
        name,
        executor: 'vus',
        startVus: 10,
        stages: [
          { durationMs: 20 * S, target: 10 },
          { durationMs: 10 * S, target: 500 },
          { durationMs: 1 * M, target: 500 },
          { durationMs: 10 * S, target: 10 },
          { durationMs: 40 * S, target: 10 },
        ],
      });
    case 'soak':
      return described({ name, executor: 'vus', startVus: 50, stages: [{ durationMs: params.soakDurationMs ?? 30 * M, target: 50 }] });
    case 'breakpoint':
      return described({ name, executor: 'arrival-rate', startRate: 5, stages: [{ durationMs: 10 * M, target: params.breakpointMaxRate ?? 1000 }], maxConnections: 1000 });
  }
}

/** `Omit` applied to each member of a union, so the variants stay apart. */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A predefined scenario before its description is written. */
type Undescribed = OmitEach<Scenario, 'description'> & { name: ScenarioName };

const isScenarioName = (name: string): name is ScenarioName => (SCENARIO_NAMES as readonly string[]).includes(name);

/**
 * A predefined scenario's description, written from its stages, so that the
 * durations it names are the ones that run (`--scale` included).
 */
function described(s: Undescribed): Scenario {
  const st = s.stages;
  const total = duration(totalDurationMs(st));
  const d = (i: number) => duration(st[i]?.durationMs ?? 0);
  const peak = Math.max(...st.map((x) => x.target));
  const start = s.executor === 'vus' ? s.startVus : s.startRate;
  const vus = (n: number) => `${n} VU${n === 1 ? '' : 's'}`;
  const text: Record<ScenarioName, () => string> = {
    smoke: () => `${vus(peak)} for ${total}: does everything answer?`,
    load: () => `ramp ${start} → ${peak} VUs over ${d(0)}, hold ${d(1)}, ramp down over ${d(2)}: ${total} of normal traffic`,
    stress: () => `${start} → ${peak} VUs in steps over ${total}`,
    spike: () => `${vus(start)}, a sudden spike to ${peak} within ${d(1)}, held ${d(2)}, back to ${st.at(-1)?.target ?? start}: ${total} in all`,
    soak: () => `a constant ${vus(peak)} for ${total}, watching memory drift`,
    breakpoint: () => `arrival rate ramping ${start} → ${peak} req/s over ${total} until a threshold fails`,
  };
  return { ...s, description: text[s.name]() } as Scenario;
}

/** Every stage of `s` shortened (or lengthened) by `factor`; a predefined scenario's description names the new durations. */
export function scaleScenario(s: Scenario, factor: number): Scenario {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`--scale must be a positive number, got ${factor}`);
  const scaled = { ...s, stages: s.stages.map((st) => ({ durationMs: Math.max(1, Math.round(st.durationMs * factor)), target: st.target })) };
  return isScenarioName(s.name) ? described({ ...scaled, name: s.name }) : scaled;
}

/** Thresholds used when none are given. */
export const DEFAULT_LOAD_THRESHOLDS = ['http_req_duration: p(95)<150, p(99)<200', 'http_req_failed: rate<0.01', 'dropped_iterations: count==0'] as const;

/** Options of {@link runLoadTest}. */
export interface LoadTestOptions {
  target: Target;
  scenario: Scenario;
  /** @default loadTestMix() */
  mix?: readonly RequestTemplate[];
  /**
   * Pause between a VU's requests, drawn uniformly, ms; null for none. Unused by arrival-rate scenarios.
   * @default { min: 500, max: 1500 }
   */
  thinkTimeMs?: { min: number; max: number } | null;
  /** @default parseThresholds(DEFAULT_LOAD_THRESHOLDS) */
  thresholds?: readonly Threshold[];
  /**
   * Most requests started.
   * @default 5_000_000
   */
  maxRequests?: number;
  /** @default 10_000 */
  timeoutMs?: number;
  /** @default 1 */
  seed?: number;
  /** Run an arrival-rate ramp against a non-loopback target (it can scale a deployment up, at a cost). @default false */
  allowRemoteBreakpoint?: boolean;
  /** Status lines. @default silent */
  log?: (line: string) => void;
  /** Live progress; null for none. @default null */
  progressStream?: ProgressOptions['stream'] | null;
  /** Memory of the process holding the server, when it is this one. */
  inProcessMemory?: () => { rssBytes: number; heapUsedBytes: number };
  /** Stops the run early (Ctrl-C). */
  signal?: AbortSignal;
}

export interface MemorySample {
  /** Seconds since the start. */
  t: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
}

export interface LoadTestResult {
  scenario: Scenario;
  summary: RunSummary;
  thresholds: ThresholdResult[];
  /** For arrival-rate scenarios: where the thresholds first failed over a recent window. */
  breakpoint: { found: boolean; elapsedMs: number | null; ratePerS: number | null; failed: string[]; windowMs: number } | null;
  memory: {
    /** Where the samples came from; null when nowhere (the reason says why). */
    source: 'metrics-endpoint' | 'in-process' | null;
    reason: string | null;
    samples: MemorySample[];
    rssDriftBytesPerHour: number | null;
    heapDriftBytesPerHour: number | null;
  };
  serverMetrics: { before: ServerMetricsReading; after: ServerMetricsReading; delta: ServerMetricsDelta | null };
  pass: boolean;
}

/** Time-series interval: 1 s, or longer for long runs so a report keeps about 600 points at most. */
export function intervalFor(durationMs: number): number {
  return Math.max(1000, Math.ceil(durationMs / 600 / 1000) * 1000);
}

export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestResult> {
  const { target, scenario: sc } = options;
  const log = options.log ?? (() => {});
  if (sc.executor === 'arrival-rate' && !isLoopbackUrl(target.baseUrl) && !options.allowRemoteBreakpoint) {
    throw new TargetError(
      `the ${sc.name} scenario ramps the arrival rate until something breaks; against ${target.baseUrl} that can scale a deployment (and its bill) up. ` +
        'Pass --i-understand-autoscaling-cost to run it anyway.',
    );
  }
  const durationMs = totalDurationMs(sc.stages);
  const thresholds = options.thresholds ?? parseThresholds(DEFAULT_LOAD_THRESHOLDS);
  const client: HttpClientOptions = { baseUrl: target.baseUrl, headers: target.headers, timeoutMs: options.timeoutMs ?? 10_000 };
  const random = seededRandom(options.seed ?? 1);
  const next = createRequestSource(options.mix ?? loadTestMix(), new RequestBuilder(client), random);
  const recorder = new Recorder({ intervalMs: intervalFor(durationMs) });
  const progress = options.progressStream ? createProgress({ stream: options.progressStream, label: sc.name, totalMs: durationMs }) : null;
  const stop = new AbortController();
  const abort = () => stop.abort();
  options.signal?.addEventListener('abort', abort, { once: true });

  // Memory: from /api/metrics when it answers, else from this process when it holds the server.
  const before = await readServerMetrics(target);
  const samples: MemorySample[] = [];
  const memorySource: LoadTestResult['memory']['source'] = before.ok ? 'metrics-endpoint' : options.inProcessMemory ? 'in-process' : null;
  const sampleMemory = async () => {
    const t = (performance.now() - recorder.startedAt) / 1000;
    if (memorySource === 'metrics-endpoint') {
      const r = await readServerMetrics(target);
      if (r.ok) samples.push({ t, rssBytes: r.metrics.rssBytes, heapUsedBytes: r.metrics.heapUsedBytes });
    } else if (memorySource === 'in-process') {
      samples.push({ t, ...options.inProcessMemory!() });
    }
  };
  const sampleEveryMs = Math.max(5000, durationMs / 40);
  let lastSample = -Infinity;

  // Breakpoint: check the thresholds over a recent window, once a second.
  const breakpointWindowMs = Math.min(10_000, Math.max(2000, durationMs / 30));
  let breakpoint: LoadTestResult['breakpoint'] = sc.executor === 'arrival-rate' ? { found: false, elapsedMs: null, ratePerS: null, failed: [], windowMs: breakpointWindowMs } : null;
  let lastCheck = 0;
  const checkBreakpoint = (elapsedMs: number) => {
    if (breakpoint === null || breakpoint.found || elapsedMs - lastCheck < 1000 || sc.executor !== 'arrival-rate') return;
    lastCheck = elapsedMs;
    const w = recorder.window(breakpointWindowMs);
    if (w.requests < 20 && w.dropped === 0) return;
    const failed = evaluateThresholds(thresholds, windowMetric(w)).filter((r) => r.actual !== null && !r.pass);
    if (failed.length === 0) return;
    breakpoint = {
      found: true,
      elapsedMs,
      ratePerS: valueAt(sc.startRate, sc.stages, elapsedMs),
      failed: failed.map((f) => `${f.threshold.source} (was ${Number(f.actual!.toPrecision(4))})`),
      windowMs: breakpointWindowMs,
    };
    log(`\nbreakpoint: ${breakpoint.failed.join(', ')} at ${breakpoint.ratePerS!.toFixed(1)} req/s; stopping`);
    stop.abort();
  };

  const onTick = (elapsedMs: number, vus: number) => {
    progress?.update(recorder, vus, elapsedMs);
    checkBreakpoint(elapsedMs);
    if (memorySource !== null && elapsedMs - lastSample >= sampleEveryMs) {
      lastSample = elapsedMs;
      void sampleMemory();
    }
  };
  log(`${sc.name}: ${sc.description} (${(durationMs / 1000).toFixed(1)} s) against ${target.baseUrl}`);
  const common = { client, next, recorder, durationMs, maxRequests: options.maxRequests ?? 5_000_000, signal: stop.signal, onTick };
  try {
    if (sc.executor === 'vus') {
      const think = options.thinkTimeMs === undefined ? { min: 500, max: 1500 } : options.thinkTimeMs;
      await runClosed({ ...common, vus: { start: sc.startVus, stages: sc.stages }, thinkTimeMs: think ?? undefined, random });
    } else {
      await runOpen({ ...common, rate: { start: sc.startRate, stages: sc.stages }, maxConnections: sc.maxConnections });
    }
  } finally {
    progress?.done();
    options.signal?.removeEventListener('abort', abort);
  }
  await sampleMemory();
  const after = await readServerMetrics(target);
  const summary = recorder.summary();
  const results = evaluateThresholds(thresholds, recorder.metric);
  const drift = (key: 'rssBytes' | 'heapUsedBytes') => memoryDriftPerHour(samples.map((s) => ({ at: s.t * 1000, bytes: s[key] })));
  return {
    scenario: sc,
    summary,
    thresholds: results,
    breakpoint,
    memory: {
      source: memorySource,
      reason: memorySource === null ? (before.ok ? null : before.reason) : null,
      samples,
      rssDriftBytesPerHour: drift('rssBytes'),
      heapDriftBytesPerHour: drift('heapUsedBytes'),
    },
    serverMetrics: { before, after, delta: before.ok && after.ok ? serverMetricsDelta(before.metrics, after.metrics) : null },
    pass: results.every((r) => r.pass) && !(breakpoint?.found ?? false) && !options.signal?.aborted,
  };
}
