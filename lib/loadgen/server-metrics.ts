/**
 * The server's own view of itself, from the JSON summary at GET /api/metrics
 * (`Authorization: Bearer <metrics token>`, `Accept: application/json`):
 * `{ instance, uptimeS, requests: { total, errorRate, p50Latency, p95Latency,
 * p99Latency }, cache: { hitRate }, database: { p95Latency }, memory: { rssBytes,
 * heapUsedBytes } }`, latencies in milliseconds (lib/telemetry/summary.ts).
 * Read before and after a run for memory growth and server-side latency. With
 * no token the tools still ask: outside production Iris serves /api/metrics to
 * anyone while IRIS_METRICS_TOKEN is unset (`npm run dev`). A missing endpoint
 * or a refusal is reported as a reason, never as an error.
 */
import { irisPath, type SuccessBody } from '../client/index.js';
import type { Target } from './target.js';

type Summary = SuccessBody<'/api/metrics', 'get'>;
/** The summary fields read below, as the OpenAPI document types them: renaming one in the API stops this compiling. */
export type ServerMetricsFields = [
  Summary['instance'],
  Summary['uptimeS'],
  Summary['requests']['total'],
  Summary['requests']['errorRate'],
  Summary['requests']['p95Latency'],
  Summary['cache']['hitRate'],
  Summary['database']['p95Latency'],
  Summary['memory']['rssBytes'],
  Summary['memory']['heapUsedBytes'],
];

/** What the tools use from the summary; a field the server did not send is null. */
export interface ServerMetrics {
  instance: string | null;
  uptimeS: number | null;
  requestsTotal: number | null;
  errorRate: number | null;
  /** Server-side latency percentiles in ms (a `...LatencyMs` field if present, else `...Latency` read as ms). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  cacheHitRate: number | null;
  /** Server-side p95 of database calls, ms (`database.p95Latency`). */
  dbP95Ms: number | null;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  /** performance.now() when read. */
  at: number;
}

/** A reading, or why there is none. */
export type ServerMetricsReading = { ok: true; metrics: ServerMetrics } | { ok: false; reason: string };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** Reads the fields the tools use from a parsed summary; null when it is not an object. */
export function parseServerMetrics(json: unknown, at: number): ServerMetrics | null {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return null;
  const root = obj(json);
  const requests = obj(root.requests);
  const latency = (name: string) => num(requests[`${name}LatencyMs`]) ?? num(requests[`${name}Latency`]);
  return {
    instance: typeof root.instance === 'string' ? root.instance : null,
    uptimeS: num(root.uptimeS),
    requestsTotal: num(requests.total),
    errorRate: num(requests.errorRate),
    p50Ms: latency('p50'),
    p95Ms: latency('p95'),
    p99Ms: latency('p99'),
    cacheHitRate: num(obj(root.cache).hitRate),
    dbP95Ms: num(obj(root.database).p95LatencyMs) ?? num(obj(root.database).p95Latency),
    rssBytes: num(obj(root.memory).rssBytes),
    heapUsedBytes: num(obj(root.memory).heapUsedBytes),
    at,
  };
}

/**
 * GET /api/metrics as JSON, with the target's metrics token when it has one and
 * without any when not. Never throws: 404 (the endpoint is not deployed),
 * 401/403 (a token is needed, or the one sent was refused), a network error or
 * a body that is not the JSON summary come back as `{ ok: false, reason }`.
 */
export async function readServerMetrics(target: Target, fetchImpl: typeof fetch = fetch): Promise<ServerMetricsReading> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.metricsToken !== null) headers.authorization = `Bearer ${target.metricsToken}`;
  const bypass = target.headers['x-vercel-protection-bypass'];
  if (bypass !== undefined) headers['x-vercel-protection-bypass'] = bypass;
  let response: Response;
  try {
    response = await fetchImpl(`${target.baseUrl}${irisPath('/api/metrics', 'get')}`, { headers, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return { ok: false, reason: `GET /api/metrics failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 404) return { ok: false, reason: 'GET /api/metrics answered 404: the endpoint is missing on this server' };
  if (response.status === 401 || response.status === 403) {
    const why = target.metricsToken === null ? 'it needs a metrics token (set BENCHMARK_METRICS_TOKEN)' : 'the metrics token was refused';
    return { ok: false, reason: `GET /api/metrics answered ${response.status}: ${why}` };
  }
  if (!response.ok) return { ok: false, reason: `GET /api/metrics answered ${response.status}` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'GET /api/metrics did not answer JSON (the JSON summary is needed, not the text format)' };
  }
  const metrics = parseServerMetrics(json, performance.now());
  return metrics === null ? { ok: false, reason: 'GET /api/metrics answered JSON without the summary fields' } : { ok: true, metrics };
}

/** Change between two readings. */
export interface ServerMetricsDelta {
  requests: number | null;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  /** Same instance (and no restart) in both readings, as far as the server says. */
  sameInstance: boolean | null;
}

export function serverMetricsDelta(before: ServerMetrics, after: ServerMetrics): ServerMetricsDelta {
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const sameInstance =
    before.instance === null || after.instance === null
      ? null
      : before.instance === after.instance && (before.uptimeS === null || after.uptimeS === null || after.uptimeS >= before.uptimeS);
  return {
    requests: diff(before.requestsTotal, after.requestsTotal),
    rssBytes: diff(before.rssBytes, after.rssBytes),
    heapUsedBytes: diff(before.heapUsedBytes, after.heapUsedBytes),
    sameInstance,
  };
}

/**
 * Least-squares slope of memory over time, in bytes per hour, from readings
 * (soak tests); null with fewer than two readings with the value.
 */
export function memoryDriftPerHour(readings: readonly { at: number; bytes: number | null }[]): number | null {
  const points = readings.filter((r): r is { at: number; bytes: number } => r.bytes !== null);
  if (points.length < 2) return null;
  const n = points.length;
  const meanT = points.reduce((s, p) => s + p.at, 0) / n;
  const meanB = points.reduce((s, p) => s + p.bytes, 0) / n;
  let num2 = 0;
  let den = 0;
  for (const p of points) {
    num2 += (p.at - meanT) * (p.bytes - meanB);
    den += (p.at - meanT) ** 2;
  }
  return den === 0 ? null : (num2 / den) * 3_600_000;
}
