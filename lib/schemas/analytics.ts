import { z } from 'zod';
import type { StatsDimension, StatsMetric } from '../db/types.js';
import { projectIdAssertion, timestamp } from './common.js';

/** The attributes a time series or breakdown groups by, as clients name them, and their SQL dimension. */
export const GROUPINGS = {
  model: 'model',
  expert: 'expert',
  agent: 'agent',
  promptVersion: 'prompt_version',
} as const satisfies Record<string, StatsDimension>;

/** The metrics, as clients name them, and their SQL names. */
export const METRICS = {
  runs: 'runs',
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  costUsd: 'cost_usd',
  successRate: 'success_rate',
  meanLatencyMs: 'mean_latency_ms',
  p50LatencyMs: 'p50_latency_ms',
  p95LatencyMs: 'p95_latency_ms',
  p99LatencyMs: 'p99_latency_ms',
} as const satisfies Record<string, StatsMetric>;

/** What a breakdown can be sorted by: every metric, and mean confidence. */
export const BREAKDOWN_SORTS = { ...METRICS, meanConfidence: 'mean_confidence' } as const;

const keys = <T extends object>(o: T) => Object.keys(o) as [Extract<keyof T, string>, ...Extract<keyof T, string>[]];

/** Most series a grouped time series shows on their own (the rest fold into `other`). */
export const MAX_TOP = 20;

/** GET /api/iris/stats/timeseries */
export const TimeseriesQuery = z.strictObject({
  ...projectIdAssertion,
  metric: z.enum(keys(METRICS)).default('runs'),
  interval: z.enum(['hour', 'day']).default('hour'),
  from: timestamp.optional(),
  to: timestamp.optional(),
  groupBy: z.enum(['none', ...keys(GROUPINGS)]).default('none'),
  top: z.coerce.number().int().min(1).max(MAX_TOP).default(5),
});
export type TimeseriesParams = z.output<typeof TimeseriesQuery>;

/** GET /api/iris/stats/breakdown */
export const BreakdownQuery = z.strictObject({
  ...projectIdAssertion,
  by: z.enum(keys(GROUPINGS)),
  from: timestamp.optional(),
  to: timestamp.optional(),
  sort: z.enum(keys(BREAKDOWN_SORTS)).default('runs'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
export type BreakdownParams = z.output<typeof BreakdownQuery>;
