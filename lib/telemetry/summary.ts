import { decodeNumber, quantile, type HistogramSnapshot, type MetricSnapshot, type Snapshot } from '../metrics/index.js';
import { CIRCUIT_STATE_VALUE, type CircuitStateName } from './instruments.js';

/** The JSON summary of `GET /api/metrics`. Latencies are in milliseconds here (seconds in Prometheus). */
export interface JsonSummary {
  instance: string;
  /** Instances merged: 1 for the instance view. */
  instances: number;
  uptimeS: number;
  requests: {
    total: number;
    /** Share of responses with a 5xx status. */
    errorRate: number;
    p50Latency: number | null;
    p95Latency: number | null;
    p99Latency: number | null;
    byRoute: Record<string, { total: number; errorRate: number; p50Latency: number | null; p95Latency: number | null; p99Latency: number | null }>;
  };
  cache: { hitRate: number | null; l1HitRate: number | null; l2HitRate: number | null; staleServed: number; coalesced: number };
  rateLimit: { decisions: number; blockRate: number | null };
  database: {
    totalQueries: number;
    errorRate: number | null;
    p95Latency: number | null;
    /** The database circuit breaker's state. */
    circuit: CircuitStateName;
    /** Calls that got no answer (`db_rejections_total`): refused while the circuit was open, timed out, or unreachable. */
    unanswered: number;
  };
  kv: { operations: number; errorRate: number | null; circuit: CircuitStateName };
  memory: { rssBytes: number | null; heapUsedBytes: number | null };
}

function find(snapshot: Snapshot, name: string): MetricSnapshot | undefined {
  return snapshot.metrics.find((m) => m.name === name);
}

/** Sum of a counter's series whose labels match `where`. */
function sum(snapshot: Snapshot, name: string, where: Record<string, (value: string) => boolean> = {}): number {
  const metric = find(snapshot, name);
  if (metric?.type !== 'counter') return 0;
  let total = 0;
  for (const s of metric.series) {
    if (metric.labelNames.every((label, i) => where[label]?.(s.labels[i] ?? '') ?? true)) total += s.value;
  }
  return total;
}

/** The value of a gauge's first series whose labels match `where`. */
function gauge(snapshot: Snapshot, name: string, where: Record<string, (value: string) => boolean> = {}): number | null {
  const metric = find(snapshot, name);
  if (metric?.type !== 'gauge') return null;
  const series = metric.series.find((s) => metric.labelNames.every((label, i) => where[label]?.(s.labels[i] ?? '') ?? true));
  if (series === undefined) return null;
  const value = decodeNumber(series.value);
  return Number.isNaN(value) ? null : value;
}

const ms = (seconds: number) => (Number.isNaN(seconds) ? null : Math.round(seconds * 1e6) / 1e3);
const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** Quantile over the series of a histogram whose first label equals `first` (all series when undefined). */
function latency(snapshot: Snapshot, name: string, q: number, first?: string): number | null {
  const metric = find(snapshot, name);
  if (metric?.type !== 'histogram') return null;
  const narrowed: HistogramSnapshot =
    first === undefined ? metric : { ...metric, series: metric.series.filter((s) => s.labels[0] === first) };
  return ms(quantile({ ...snapshot, metrics: [narrowed] }, name, q));
}

export function toJsonSummary(snapshot: Snapshot, meta: { instance: string; instances: number; uptimeS: number }): JsonSummary {
  const is = (v: string) => (x: string) => x === v;
  const is5xx = (s: string) => s.startsWith('5');

  const total = sum(snapshot, 'http_requests_total');
  const routes = new Set<string>();
  const requests = find(snapshot, 'http_requests_total');
  if (requests?.type === 'counter') for (const s of requests.series) routes.add(s.labels[0] ?? '');
  const byRoute: JsonSummary['requests']['byRoute'] = {};
  for (const route of [...routes].sort()) {
    const routeTotal = sum(snapshot, 'http_requests_total', { route: is(route) });
    byRoute[route] = {
      total: routeTotal,
      errorRate: ratio(sum(snapshot, 'http_requests_total', { route: is(route), status: is5xx }), routeTotal) ?? 0,
      p50Latency: latency(snapshot, 'http_request_duration_seconds', 0.5, route),
      p95Latency: latency(snapshot, 'http_request_duration_seconds', 0.95, route),
      p99Latency: latency(snapshot, 'http_request_duration_seconds', 0.99, route),
    };
  }

  const l1Hits = sum(snapshot, 'cache_requests_total', { layer: is('l1'), result: (r) => r !== 'miss' });
  const l1All = sum(snapshot, 'cache_requests_total', { layer: is('l1') });
  const l2Hits = sum(snapshot, 'cache_requests_total', { layer: is('l2'), result: (r) => r !== 'miss' });
  const l2All = sum(snapshot, 'cache_requests_total', { layer: is('l2') });

  const decisions = sum(snapshot, 'rate_limit_decisions_total');
  const queries = sum(snapshot, 'db_rpc_total');
  const kvOps = (() => {
    const m = find(snapshot, 'kv_operation_duration_seconds');
    return m?.type === 'histogram' ? m.series.reduce((n, s) => n + s.counts.reduce((a, b) => a + b, 0), 0) : 0;
  })();
  const kvErrors = sum(snapshot, 'kv_errors_total');
  const circuitOf = (dependency: string) => {
    const value = gauge(snapshot, 'circuit_state', { dependency: is(dependency) }) ?? 0;
    return (Object.entries(CIRCUIT_STATE_VALUE).find(([, v]) => v === value)?.[0] ?? 'closed') as CircuitStateName;
  };

  return {
    instance: meta.instance,
    instances: meta.instances,
    uptimeS: meta.uptimeS,
    requests: {
      total,
      errorRate: ratio(sum(snapshot, 'http_requests_total', { status: is5xx }), total) ?? 0,
      p50Latency: latency(snapshot, 'http_request_duration_seconds', 0.5),
      p95Latency: latency(snapshot, 'http_request_duration_seconds', 0.95),
      p99Latency: latency(snapshot, 'http_request_duration_seconds', 0.99),
      byRoute,
    },
    cache: {
      // Every cached read starts at L1; a read served from L1 or L2 (fresh or stale) is a hit.
      hitRate: ratio(l1Hits + l2Hits, l1All),
      l1HitRate: ratio(l1Hits, l1All),
      l2HitRate: ratio(l2Hits, l2All),
      staleServed: sum(snapshot, 'cache_stale_served_total'),
      coalesced: sum(snapshot, 'cache_coalesced_total'),
    },
    rateLimit: { decisions, blockRate: ratio(sum(snapshot, 'rate_limit_decisions_total', { result: is('limited') }), decisions) },
    database: {
      totalQueries: queries,
      errorRate: ratio(sum(snapshot, 'db_rpc_total', { result: is('error') }), queries),
      p95Latency: latency(snapshot, 'db_rpc_duration_seconds', 0.95),
      circuit: circuitOf('db'),
      unanswered: sum(snapshot, 'db_rejections_total'),
    },
    kv: { operations: kvOps, errorRate: ratio(kvErrors, kvOps + sum(snapshot, 'kv_errors_total', { reason: is('circuit_open') })), circuit: circuitOf('kv') },
    memory: {
      rssBytes: gauge(snapshot, 'process_resident_memory_bytes'),
      heapUsedBytes: gauge(snapshot, 'nodejs_heap_used_bytes'),
    },
  };
}
