import { z } from 'zod';
import { EmptyBody } from '../../schemas/index.js';
import { MetricsQuery } from '../../routes/metrics.js';
import type { OperationSpec } from '../operation.js';

export const RetentionReport = z.strictObject({
  deleted: z.strictObject({ model_runs: z.int(), run_rollups: z.int(), idempotency_keys: z.int() }),
  batches: z.int(),
  outcome: z.enum(['complete', 'budget_exhausted']),
  elapsedMs: z.number(),
});

const ratio = z.number().nullable();
const circuit = z.enum(['closed', 'open', 'half-open', 'none']);
const latencies = {
  total: z.number(),
  errorRate: z.number().nullable(),
  p50Latency: z.number().nullable(),
  p95Latency: z.number().nullable(),
  p99Latency: z.number().nullable(),
};

/** The JSON summary of GET /api/metrics (lib/telemetry/summary.ts); latencies in ms. */
export const MetricsSummary = z.strictObject({
  instance: z.string(),
  instances: z.int(),
  uptimeS: z.int(),
  requests: z.strictObject({ ...latencies, byRoute: z.record(z.string(), z.strictObject(latencies)) }),
  cache: z.strictObject({ hitRate: ratio, l1HitRate: ratio, l2HitRate: ratio, staleServed: z.number(), coalesced: z.number() }),
  rateLimit: z.strictObject({ decisions: z.number(), blockRate: ratio }),
  database: z.strictObject({ totalQueries: z.number(), errorRate: ratio, p95Latency: z.number().nullable(), circuit: circuit, unanswered: z.number() }),
  kv: z.strictObject({ operations: z.number(), errorRate: ratio, circuit }),
  memory: z.strictObject({ rssBytes: z.number().nullable(), heapUsedBytes: z.number().nullable() }),
});

/** Retention, metrics: what operators and Vercel Cron call. */
export const operationsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/cron/retention',
    operationId: 'cronRetention',
    summary: 'One retention sweep (Vercel Cron, daily)',
    description: "Deletes raw runs, rollups and idempotency records past each project's retention, in batches of 5,000 rows for at most 20 s.",
    tag: 'Operations',
    auth: 'cron',
    query: EmptyBody,
    responses: { 200: { description: 'What the sweep deleted.', schema: RetentionReport } },
  },
  {
    method: 'GET',
    path: '/api/metrics',
    operationId: 'getMetrics',
    summary: 'Metrics: a JSON summary, Prometheus text or OpenMetrics',
    description:
      '`?format=` or `Accept` (`text/plain`, `application/openmetrics-text`) choose the exposition; `?scope=fleet` merges every live instance. Needs the metrics token when it is set; refuses to serve in production without one (403).',
    tag: 'Operations',
    auth: 'metrics',
    query: MetricsQuery,
    responses: {
      200: {
        description: 'The metrics.',
        schema: MetricsSummary,
        textTypes: ['text/plain', 'application/openmetrics-text'],
        headers: ['Warning'],
      },
    },
  },
];
