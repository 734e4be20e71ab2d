import { z } from 'zod';
import { BreakdownQuery, OverviewQuery, StatsQuery, TimeseriesQuery } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { id, isoTime } from '../schemas.js';

const BudgetSummary = z.strictObject({
  id,
  name: z.string(),
  period: z.enum(['day', 'week', 'month']),
  periodEnd: isoTime,
  amountUsd: z.number(),
  spentUsd: z.number(),
  remainingUsd: z.number(),
  utilization: z.number(),
  hardLimit: z.boolean(),
});

export const OverviewBody = z.strictObject({
  projectId: id,
  generatedAt: isoTime,
  runsToday: z.int(),
  runs24h: z.int(),
  successRate24h: z.number().nullable(),
  p95LatencyMs24h: z.number().nullable(),
  inputTokens24h: z.int(),
  outputTokens24h: z.int(),
  costUsd24h: z.number(),
  activeExperts: z.int(),
  reflexions: z.int(),
  latestHealthScore: z.int().nullable(),
  overallHealth: z.enum(['healthy', 'degraded', 'critical']).nullable(),
  openCriticalReports: z.int(),
  budgets: z.array(BudgetSummary).meta({ description: "Spend against the project's own budgets this period." }),
});

const tokenFields = { runs: z.int(), inputTokens: z.int(), outputTokens: z.int(), costUsd: z.number() };
const performanceFields = {
  runs: z.int(),
  successRate: z.number().nullable(),
  p50LatencyMs: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  p99LatencyMs: z.number().nullable(),
  meanConfidence: z.number().nullable(),
};
const window = { projectId: id, from: isoTime, to: isoTime };

export const TokenStatsBody = z.strictObject({
  ...window,
  models: z.array(z.strictObject({ model: z.string(), ...tokenFields })),
  totals: z.strictObject(tokenFields).nullable(),
});
export const PerformanceStatsBody = z.strictObject({
  ...window,
  models: z.array(z.strictObject({ model: z.string(), ...performanceFields })),
  totals: z.strictObject(performanceFields).nullable(),
});

export const TimeseriesBody = z.strictObject({
  ...window,
  metric: TimeseriesQuery.shape.metric.unwrap(),
  interval: z.enum(['hour', 'day']),
  groupBy: TimeseriesQuery.shape.groupBy.unwrap(),
  top: z.int().nullable(),
  series: z.array(
    z.strictObject({
      kind: z.enum(['all', 'group', 'other']),
      group: z.string().nullable(),
      points: z.array(z.strictObject({ t: isoTime, runs: z.int(), value: z.number().nullable() })),
    }),
  ),
});

export const BreakdownBody = z.strictObject({
  ...window,
  by: BreakdownQuery.shape.by,
  sort: BreakdownQuery.shape.sort.unwrap(),
  order: z.enum(['asc', 'desc']),
  limit: z.int(),
  totalGroups: z.int(),
  data: z.array(
    z.strictObject({
      group: z.string().nullable(),
      runs: z.int(),
      successRate: z.number().nullable(),
      inputTokens: z.int(),
      outputTokens: z.int(),
      costUsd: z.number(),
      meanLatencyMs: z.number().nullable(),
      p50LatencyMs: z.number().nullable(),
      p95LatencyMs: z.number().nullable(),
      p99LatencyMs: z.number().nullable(),
      meanConfidence: z.number().nullable(),
    }),
  ),
});

const TAG = 'Analytics';

export const statsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/overview',
    operationId: 'getOverview',
    summary: "The project's headline numbers",
    description:
      'Runs today and in the last 24 h, success rate, p95 latency, tokens and cost (24 h), active experts, reflexions, the latest health score, open critical reports, and project budgets.',
    tag: TAG,
    auth: 'project',
    query: OverviewQuery,
    cached: true,
    responses: { 200: { description: 'The overview (cached up to 30 s).', schema: OverviewBody } },
  },
  {
    method: 'GET',
    path: '/api/iris/stats/tokens',
    operationId: 'getTokenStats',
    summary: 'Runs, tokens and cost per model, plus totals',
    description: 'The window is widened to whole UTC hours; default: the current hour and the 23 before it; at most 92 days.',
    tag: TAG,
    auth: 'project',
    query: StatsQuery,
    cached: true,
    responses: { 200: { description: 'Per model and in total.', schema: TokenStatsBody } },
  },
  {
    method: 'GET',
    path: '/api/iris/stats/performance',
    operationId: 'getPerformanceStats',
    summary: 'Success rate, latency percentiles and mean confidence per model, plus totals',
    tag: TAG,
    auth: 'project',
    query: StatsQuery,
    cached: true,
    responses: { 200: { description: 'Per model and in total.', schema: PerformanceStatsBody } },
  },
  {
    method: 'GET',
    path: '/api/iris/stats/timeseries',
    operationId: 'getTimeseries',
    summary: 'One point per UTC hour or day of a metric, optionally per group',
    description: 'Every bucket present; `groupBy` charts the `top` groups and folds the rest into `other`. At most 2,500 points.',
    tag: TAG,
    auth: 'project',
    query: TimeseriesQuery,
    cached: true,
    responses: { 200: { description: 'The series.', schema: TimeseriesBody } },
  },
  {
    method: 'GET',
    path: '/api/iris/stats/breakdown',
    operationId: 'getBreakdown',
    summary: 'One row per model, expert, agent or prompt version',
    tag: TAG,
    auth: 'project',
    query: BreakdownQuery,
    cached: true,
    responses: { 200: { description: 'The groups, sorted.', schema: BreakdownBody } },
  },
];
