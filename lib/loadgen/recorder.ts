import { LatencyHistogram, type LatencySummary } from './histogram.js';
import type { HttpResult } from './http-client.js';
import type { Aggregation, MetricSource } from './thresholds.js';
import { cacheOutcome, failureReason, serverTimingMs, type CacheOutcome } from './response-meta.js';

/**
 * Collects what every request came to: per endpoint and overall, successful
 * and failed latencies in separate histograms, status codes, failure reasons,
 * cache outcomes and database time, plus a time series for charts and live
 * progress. Failed requests (no response, or status >= 400) never enter the
 * success latency distribution.
 */

/** Options of a {@link Recorder}. */
export interface RecorderOptions {
  /**
   * Width of one time-series interval.
   * @default 1000
   */
  intervalMs?: number;
  /**
   * performance.now() at the start of the run; time-series offsets count from it.
   * @default performance.now() when the recorder is created
   */
  startedAt?: number;
}

/** Counters and distributions of one endpoint (or of all of them). */
class EndpointStats {
  requests = 0;
  failed = 0;
  readonly latency = new LatencyHistogram();
  readonly service = new LatencyHistogram();
  readonly failedLatency = new LatencyHistogram();
  readonly statuses = new Map<number, number>();
  readonly reasons = new Map<string, number>();
  readonly xCache = new Map<string, number>();
  readonly vercelCache = new Map<string, number>();
  cacheHits = 0;
  cacheMisses = 0;
  cacheBypasses = 0;
  dbSumMs = 0;
  dbReported = 0;
  bytes = 0;
}

/** One interval of the time series. */
class Interval {
  requests = 0;
  failed = 0;
  dropped = 0;
  late = 0;
  vus = 0;
  readonly latency = new LatencyHistogram({ precisionBits: 6 });
}

/** Latency, counts and cache figures of one endpoint, or of all (`endpoint: '*'`). */
export interface EndpointSummary {
  endpoint: string;
  requests: number;
  ok: number;
  failed: number;
  /** failed ÷ requests; 0 when there were none. */
  errorRate: number;
  /** Completed requests per second over the run. */
  throughputPerS: number;
  /** Successful requests, measured from the intended send time (open model) or the send (closed). */
  latencyMs: LatencySummary | null;
  /** Successful requests, measured from when the request was actually written. */
  serviceLatencyMs: LatencySummary | null;
  /** Failed requests, reported apart. */
  failedLatencyMs: LatencySummary | null;
  /** Count per HTTP status; `0` is no response. */
  statusCodes: Record<string, number>;
  /** Count per failure reason (`503 service_unavailable`, `timeout`). */
  errorReasons: Record<string, number>;
  cache: {
    /** hits ÷ (hits + misses + bypasses); null when no response carried `X-Cache` or `x-vercel-cache`. */
    hitRate: number | null;
    hits: number;
    misses: number;
    bypasses: number;
    xCache: Record<string, number>;
    vercelCache: Record<string, number>;
  };
  db: {
    /** Mean `Server-Timing` db duration over the responses that reported one. */
    meanMs: number | null;
    /** Total db time ÷ successful responses (cached answers count as 0 ms when others reported db time). */
    perRequestMs: number | null;
    /** Responses that carried a db duration. */
    reported: number;
  };
  bytes: number;
}

/** One point of the time series. */
export interface IntervalSummary {
  /** Offset of the interval's start from the run start, seconds. */
  t: number;
  requests: number;
  failed: number;
  /** Completed requests per second in the interval. */
  rps: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Most virtual users active (or connections busy, for the open model) in the interval. */
  vus: number;
  dropped: number;
  late: number;
}

/** What the last few seconds of a run came to (see {@link Recorder.window}). */
export interface RecentWindow {
  requests: number;
  failed: number;
  dropped: number;
  seconds: number;
  /** Successful requests only. */
  latency: LatencyHistogram;
}

/**
 * Threshold metrics over a recent window, for checks while a run goes on
 * (the breakpoint test); cache and db metrics are not kept per interval, so null.
 */
export function windowMetric(w: RecentWindow): MetricSource {
  return (metric, aggregation) => {
    switch (metric) {
      case 'http_req_duration':
        return w.latency.count === 0 ? null : aggregate(w.latency, aggregation);
      case 'http_req_failed':
        if (aggregation.kind === 'count') return w.failed;
        return w.requests === 0 ? null : w.failed / w.requests;
      case 'http_reqs':
        return aggregation.kind === 'rate' ? w.requests / w.seconds : w.requests;
      case 'dropped_iterations':
        if (aggregation.kind === 'count') return w.dropped;
        return w.requests + w.dropped === 0 ? null : w.dropped / (w.requests + w.dropped);
      default:
        return null;
    }
  };
}

export interface RunSummary {
  durationMs: number;
  overall: EndpointSummary;
  endpoints: EndpointSummary[];
  /** Scheduled requests never sent (open model: no connection free and the queue full, or the run ended). */
  dropped: number;
  /** Requests sent later than the tolerance after their scheduled time (open model). */
  late: number;
  /** Requests cut off by the end of the graceful-stop window; in no other figure. */
  interrupted: number;
  intervalMs: number;
  timeSeries: IntervalSummary[];
}

const ALL = '*';

export class Recorder {
  readonly intervalMs: number;
  readonly startedAt: number;
  private readonly total = new EndpointStats();
  private readonly byEndpoint = new Map<string, EndpointStats>();
  private readonly intervals: Interval[] = [];
  private dropped = 0;
  private late = 0;
  private interrupted = 0;
  private endedAt: number | null = null;

  constructor(options: RecorderOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
    if (!(this.intervalMs > 0)) throw new RangeError(`RecorderOptions.intervalMs must be positive, got ${this.intervalMs}`);
    this.startedAt = options.startedAt ?? performance.now();
  }

  /**
   * Records one request. `intendedAt` (performance.now()) is when it was meant
   * to go; latency counts from there, so waiting for a free connection is part
   * of it (coordinated omission, Gil Tene). Defaults to when it was sent.
   */
  record(endpoint: string, result: HttpResult, intendedAt: number = result.sentAt): void {
    if (result.error === 'interrupted') {
      this.interrupted += 1;
      return;
    }
    let stats = this.byEndpoint.get(endpoint);
    if (stats === undefined) {
      stats = new EndpointStats();
      this.byEndpoint.set(endpoint, stats);
    }
    const interval = this.intervalAt(result.endedAt);
    const latencyMs = result.endedAt - Math.min(intendedAt, result.sentAt);
    const serviceMs = result.endedAt - result.sentAt;
    const failed = result.status === 0 || result.status >= 400;
    const reason = failed ? failureReason(result.status, result.error, result.body) : null;
    const xCache = result.headers['x-cache'];
    const vercelCache = result.headers['x-vercel-cache'];
    const cache = cacheOutcome(xCache, vercelCache);
    const dbMs = serverTimingMs(result.headers['server-timing'], 'db');
    const sample: Sample = { status: result.status, bytes: result.bodyBytes, latencyMs, serviceMs, reason, xCache, vercelCache, cache, dbMs };
    add(stats, sample);
    add(this.total, sample);
    interval.requests += 1;
    if (reason !== null) interval.failed += 1;
    else interval.latency.record(latencyMs);
  }

  /** Counts a scheduled request that was never sent. */
  drop(at: number = performance.now()): void {
    this.dropped += 1;
    this.intervalAt(at).dropped += 1;
  }

  /** Counts a request sent later than the tolerance after its scheduled time. */
  markLate(at: number = performance.now()): void {
    this.late += 1;
    this.intervalAt(at).late += 1;
  }

  /** Notes how many virtual users (or busy connections) are active now. */
  sampleVus(vus: number, at: number = performance.now()): void {
    const interval = this.intervalAt(at);
    if (vus > interval.vus) interval.vus = vus;
  }

  /** Marks the end of the run (throughput divides by start..end); later calls keep the first end. */
  finish(at: number = performance.now()): void {
    this.endedAt ??= at;
  }

  /** Requests recorded so far, and how many failed. */
  get counts(): { requests: number; failed: number; dropped: number } {
    return { requests: this.total.requests, failed: this.total.failed, dropped: this.dropped };
  }

  /** The success-latency percentile over everything recorded so far. */
  percentileSoFar(p: number): number | null {
    return this.total.latency.count === 0 ? null : this.total.latency.percentile(p);
  }

  /**
   * Requests, failures and success latency of the last `windowMs` (whole
   * intervals, the current one included), for live progress and breakpoint checks.
   */
  window(windowMs: number, at: number = performance.now()): RecentWindow {
    const last = Math.floor((at - this.startedAt) / this.intervalMs);
    const span = Math.max(1, Math.round(windowMs / this.intervalMs));
    const latency = new LatencyHistogram({ precisionBits: 6 });
    let requests = 0;
    let failed = 0;
    let dropped = 0;
    const first = Math.max(0, last - span + 1);
    for (let i = first; i <= last; i++) {
      const interval = this.intervals[i];
      if (interval === undefined) continue;
      requests += interval.requests;
      failed += interval.failed;
      dropped += interval.dropped;
      latency.merge(interval.latency);
    }
    // The current interval is partial: divide by the time actually covered.
    const seconds = Math.max(0.001, (at - this.startedAt - first * this.intervalMs) / 1000);
    return { requests, failed, dropped, seconds, latency };
  }

  /**
   * The recorded value of a threshold metric (lib/loadgen/thresholds.ts) over
   * the run or one endpoint; null when there is no data for it.
   */
  readonly metric: MetricSource = (metric, aggregation, endpoint) => {
    const s = endpoint === null ? this.total : this.byEndpoint.get(endpoint);
    if (s === undefined) return null;
    const seconds = Math.max(1, (this.endedAt ?? performance.now()) - this.startedAt) / 1000;
    switch (metric) {
      case 'http_req_duration':
        return s.latency.count === 0 ? null : aggregate(s.latency, aggregation);
      case 'http_req_failed':
        if (aggregation.kind === 'count') return s.failed;
        return s.requests === 0 ? null : s.failed / s.requests;
      case 'http_reqs':
        return aggregation.kind === 'rate' ? s.requests / seconds : s.requests;
      case 'dropped_iterations':
        if (aggregation.kind === 'count') return this.dropped;
        return s.requests + this.dropped === 0 ? null : this.dropped / (s.requests + this.dropped);
      case 'http_req_cache_hit': {
        const lookups = s.cacheHits + s.cacheMisses + s.cacheBypasses;
        return lookups === 0 ? null : s.cacheHits / lookups;
      }
      case 'db_time':
        return s.dbReported === 0 ? null : s.dbSumMs / s.dbReported;
    }
  };

  summary(): RunSummary {
    const durationMs = (this.endedAt ?? performance.now()) - this.startedAt;
    const seconds = Math.max(durationMs, 1) / 1000;
    const endpoints = [...this.byEndpoint.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, stats]) => summarize(name, stats, seconds));
    return {
      durationMs,
      overall: summarize(ALL, this.total, seconds),
      endpoints,
      dropped: this.dropped,
      late: this.late,
      interrupted: this.interrupted,
      intervalMs: this.intervalMs,
      timeSeries: this.intervals.map((interval, i) => {
        // The last interval may be partial: divide by the part the run covered
        // (at least a quarter interval, so a few stragglers are not a spike).
        const covered = Math.max(this.intervalMs / 4, Math.min(this.intervalMs, durationMs - i * this.intervalMs));
        const hasLatency = interval.latency.count > 0;
        return {
          t: (i * this.intervalMs) / 1000,
          requests: interval.requests,
          failed: interval.failed,
          rps: interval.requests / (covered / 1000),
          p50: hasLatency ? interval.latency.percentile(50) : null,
          p95: hasLatency ? interval.latency.percentile(95) : null,
          p99: hasLatency ? interval.latency.percentile(99) : null,
          vus: interval.vus,
          dropped: interval.dropped,
          late: interval.late,
        };
      }),
    };
  }

  private intervalAt(at: number): Interval {
    const index = Math.max(0, Math.floor((at - this.startedAt) / this.intervalMs));
    while (this.intervals.length <= index) this.intervals.push(new Interval());
    return this.intervals[index]!;
  }
}

/** A latency statistic of a histogram. */
export function aggregate(h: LatencyHistogram, aggregation: Aggregation): number {
  switch (aggregation.kind) {
    case 'p':
      return h.percentile(aggregation.percentile);
    case 'med':
      return h.percentile(50);
    case 'min':
      return h.min;
    case 'max':
      return h.max;
    case 'count':
      return h.count;
    default:
      return h.mean;
  }
}

/** What one request adds to the statistics. */
interface Sample {
  status: number;
  bytes: number;
  latencyMs: number;
  serviceMs: number;
  reason: string | null;
  xCache: string | undefined;
  vercelCache: string | undefined;
  cache: CacheOutcome | null;
  dbMs: number | null;
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function add(s: EndpointStats, sample: Sample): void {
  s.requests += 1;
  s.bytes += sample.bytes;
  increment(s.statuses, sample.status);
  if (sample.reason !== null) {
    s.failed += 1;
    s.failedLatency.record(sample.latencyMs);
    increment(s.reasons, sample.reason);
  } else {
    s.latency.record(sample.latencyMs);
    s.service.record(sample.serviceMs);
  }
  if (sample.xCache !== undefined) increment(s.xCache, sample.xCache);
  if (sample.vercelCache !== undefined) increment(s.vercelCache, sample.vercelCache);
  if (sample.cache === 'hit') s.cacheHits += 1;
  else if (sample.cache === 'miss') s.cacheMisses += 1;
  else if (sample.cache === 'bypass') s.cacheBypasses += 1;
  if (sample.dbMs !== null) {
    s.dbSumMs += sample.dbMs;
    s.dbReported += 1;
  }
}

function record<K extends string | number>(map: Map<K, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort(([a], [b]) => String(a).localeCompare(String(b))));
}

function summarize(endpoint: string, s: EndpointStats, seconds: number): EndpointSummary {
  const ok = s.requests - s.failed;
  const lookups = s.cacheHits + s.cacheMisses + s.cacheBypasses;
  return {
    endpoint,
    requests: s.requests,
    ok,
    failed: s.failed,
    errorRate: s.requests === 0 ? 0 : s.failed / s.requests,
    throughputPerS: s.requests / seconds,
    latencyMs: s.latency.summary(),
    serviceLatencyMs: s.service.summary(),
    failedLatencyMs: s.failedLatency.summary(),
    statusCodes: record(s.statuses),
    errorReasons: record(s.reasons),
    cache: {
      hitRate: lookups === 0 ? null : s.cacheHits / lookups,
      hits: s.cacheHits,
      misses: s.cacheMisses,
      bypasses: s.cacheBypasses,
      xCache: record(s.xCache),
      vercelCache: record(s.vercelCache),
    },
    db: {
      meanMs: s.dbReported === 0 ? null : s.dbSumMs / s.dbReported,
      perRequestMs: s.dbReported === 0 || ok === 0 ? null : s.dbSumMs / ok,
      reported: s.dbReported,
    },
    bytes: s.bytes,
  };
}
