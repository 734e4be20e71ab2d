/**
 * The reference for `npm run bench:analytics`: each analytics answer computed
 * from raw model_runs rows the way Iris did before rollups (0002's functions),
 * with nearest-rank percentiles (percentile_disc) so the comparison is the
 * same statistic the rollups estimate. Plain statements the benchmark sends
 * itself, never part of a migration. Parameters: $1 project, $2 from, $3 to.
 */

/** Per model and in total: runs, tokens, cost (0002's get_token_stats). */
const TOKENS = `
  select r.model, count(*) as runs, coalesce(sum(r.input_tokens), 0)::bigint as input_tokens,
    coalesce(sum(r.output_tokens), 0)::bigint as output_tokens, coalesce(sum(r.cost_usd), 0) as cost_usd
  from public.model_runs r
  where r.project_id = $1 and r.created_at >= $2 and r.created_at < $3
  group by grouping sets ((r.model), ())
  order by grouping(r.model), r.model`;

/** Per model and in total: success rate, p50/p95/p99, mean confidence (0002's get_performance_stats). */
const PERFORMANCE = `
  select r.model, count(*) as runs, avg((r.outcome = 'success')::integer)::double precision as success_rate,
    percentile_disc(0.50) within group (order by r.latency_ms) as p50_latency_ms,
    percentile_disc(0.95) within group (order by r.latency_ms) as p95_latency_ms,
    percentile_disc(0.99) within group (order by r.latency_ms) as p99_latency_ms,
    avg(r.confidence)::double precision as mean_confidence
  from public.model_runs r
  where r.project_id = $1 and r.created_at >= $2 and r.created_at < $3
  group by grouping sets ((r.model), ())
  order by grouping(r.model), r.model`;

/** p95 latency per UTC day (the timeseries with metric=p95LatencyMs&interval=day). */
const TIMESERIES = `
  select date_trunc('day', r.created_at, 'UTC') as bucket_start, count(*) as runs,
    percentile_disc(0.95) within group (order by r.latency_ms) as value
  from public.model_runs r
  where r.project_id = $1 and r.created_at >= date_trunc('day', $2::timestamptz, 'UTC') and r.created_at < $3
  group by 1 order by 1`;

/** One row per agent (the breakdown with by=agent). */
const BREAKDOWN = `
  select r.agent_id as value, count(*) as runs, avg((r.outcome = 'success')::integer)::double precision as success_rate,
    sum(r.input_tokens)::bigint as input_tokens, sum(r.output_tokens)::bigint as output_tokens, sum(r.cost_usd) as cost_usd,
    avg(r.latency_ms) as mean_latency_ms,
    percentile_disc(0.50) within group (order by r.latency_ms) as p50_latency_ms,
    percentile_disc(0.95) within group (order by r.latency_ms) as p95_latency_ms,
    percentile_disc(0.99) within group (order by r.latency_ms) as p99_latency_ms,
    avg(r.confidence)::double precision as mean_confidence
  from public.model_runs r
  where r.project_id = $1 and r.created_at >= $2 and r.created_at < $3
  group by r.agent_id order by runs desc, r.agent_id`;

/** The 24-hour part of 0002's get_project_overview ($2 and $3 unused). */
const OVERVIEW = `
  select count(*) filter (where r.created_at >= date_trunc('day', now(), 'UTC')) as runs_today, count(*) as runs_24h,
    (count(*) filter (where r.outcome = 'success'))::double precision / nullif(count(*), 0) as success_rate_24h,
    percentile_disc(0.95) within group (order by r.latency_ms) as p95_latency_ms_24h,
    coalesce(sum(r.input_tokens), 0)::bigint as input_tokens_24h, coalesce(sum(r.output_tokens), 0)::bigint as output_tokens_24h,
    coalesce(sum(r.cost_usd), 0) as cost_usd_24h
  from public.model_runs r
  where r.project_id = $1 and r.created_at >= now() - interval '24 hours' and $2::timestamptz is not null and $3::timestamptz is not null`;

export const RAW_QUERIES = { tokens: TOKENS, performance: PERFORMANCE, timeseries: TIMESERIES, breakdown: BREAKDOWN, overview: OVERVIEW } as const;
export type RawQuery = keyof typeof RAW_QUERIES;
