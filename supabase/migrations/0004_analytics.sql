-- 0004_analytics: hourly and daily rollups of model runs, maintained at ingest,
-- and the stats functions rewritten to read them.
--
-- What is stored (docs/analytics.md has the reasoning and the error bounds):
-- one row per (project, dimension, grain, bucket, value), where a dimension is
-- one of the attributes dashboards group by (model, expert, agent, prompt
-- version) or `all`, a grain is an hour or a UTC day, and a value is the
-- attribute's value ('' when a run has none, and for `all`). Each row holds
-- counts and sums (of tokens, cost, cost², latency, latency², confidence) and a
-- latency histogram. Counts and sums merge by adding; so does the histogram.
--
-- The histogram. Latencies fall into fixed log-spaced buckets: bucket i holds
-- (γ^(i-1), γ^i] ms with γ = 1.019, from 1 µs to 1 day (1,339 buckets), plus a
-- zero bucket for latencies under 1 µs. The estimate of a bucket is
-- 2γ^i/(γ+1), within (γ-1)/(γ+1) = 0.941% of every latency in it. Buckets are
-- numbered 0 (zero bucket) to 1339 and called lanes. A histogram is stored as
-- one numeric: lane L's count times 10^(12 L), i.e. twelve decimal digits per
-- lane. Adding two such numbers adds every lane at once without carries (a
-- lane holds counts below 10^12), so merging histograms is `sum()` over
-- numerics, a single aggregate transition per row instead of one per bucket
-- (about 30x faster than unnesting int[] bucket arrays: `npm run
-- bench:analytics -- --design`, docs/analytics.md). A second,
-- coarse numeric counts 32 lanes per lane so that a percentile is found by
-- reading about 40 lanes instead of all of them.
--
-- Consistency. ingest_runs writes the raw rows and the rollups in one
-- statement, so a committed batch is in both and a failed one in neither.
-- Upserts take rollup row locks in primary-key order, so concurrent ingests
-- wait for each other on a shared row instead of deadlocking, and ON CONFLICT
-- DO UPDATE adds to the latest committed row, so no update is lost. The
-- backfill takes a per-project advisory lock exclusively; ingest takes it
-- shared, so a rebuild never races a write into the hours it replaces.
--
-- Idempotent: create ... if not exists, create or replace.

-- ----------------------------------------------------------------- table --

create table if not exists public.run_rollups (
  project_id uuid not null references public.projects (id) on delete cascade,
  dimension text not null check (dimension in ('all', 'model', 'expert', 'agent', 'prompt_version')),
  grain text not null check (grain in ('hour', 'day')),
  bucket_start timestamptz not null,
  -- The attribute's value; '' for `all` and for runs without one (agent, prompt version).
  value text not null,
  runs bigint not null check (runs > 0),
  successes bigint not null,
  failures bigint not null,
  partials bigint not null,
  input_tokens bigint not null,
  output_tokens bigint not null,
  -- Exact: the sum of numeric(14, 6) costs.
  cost_usd numeric not null,
  -- The second moments and the latency and confidence sums are double
  -- precision, as every statistics engine keeps them: equal to a recomputation
  -- from raw runs up to the order of float additions (check_run_rollups
  -- compares them to 1e-9 relative).
  cost_usd_sq double precision not null,
  latency_ms_sum double precision not null,
  latency_ms_sq double precision not null,
  -- Runs with a confidence, and the sum of their confidences.
  confidence_n bigint not null,
  confidence_sum double precision not null,
  latency_hist numeric not null,
  latency_hist_coarse numeric not null,
  constraint run_rollups_pkey primary key (project_id, dimension, grain, bucket_start, value)
)
-- Ingest updates the same few rows of the current hour over and over: leave
-- room on each page so those updates stay HOT (no index write).
with (fillfactor = 70);

alter table public.run_rollups enable row level security;

comment on table public.run_rollups is
  'Counts, sums and latency histograms of model_runs per project, dimension (all, model, expert, '
  'agent, prompt_version), grain (hour, day in UTC), bucket and value. Maintained by ingest_runs; '
  'rebuilt by backfill_run_rollups; checked by check_run_rollups.';

-- A run as the rollups see it: what ingest inserted or what a raw scan read.
do $$
begin
  if not exists (select 1 from pg_type where typname = 'iris_run_fact' and typnamespace = 'public'::regnamespace) then
    create type public.iris_run_fact as (
      created_at timestamptz,
      model text,
      expert_id text,
      agent_id text,
      prompt_version text,
      outcome text,
      input_tokens integer,
      output_tokens integer,
      cost_usd numeric,
      latency_ms double precision,
      confidence real
    );
  end if;
  -- A rollup row without its project: what the aggregation functions return.
  if not exists (select 1 from pg_type where typname = 'iris_rollup' and typnamespace = 'public'::regnamespace) then
    create type public.iris_rollup as (
      grain text,
      dimension text,
      bucket_start timestamptz,
      value text,
      runs bigint,
      successes bigint,
      failures bigint,
      partials bigint,
      input_tokens bigint,
      output_tokens bigint,
      cost_usd numeric,
      cost_usd_sq double precision,
      latency_ms_sum double precision,
      latency_ms_sq double precision,
      confidence_n bigint,
      confidence_sum double precision,
      latency_hist numeric,
      latency_hist_coarse numeric
    );
  end if;
end;
$$;

-- ------------------------------------------------------------- histogram --

create or replace function public.iris_latency_lane(p_latency_ms double precision)
returns integer
language sql
immutable
parallel safe
as $$
  -- Bucket i = ceil(ln(x) / ln γ) holds (γ^(i-1), γ^i]; lane = i + 368, so
  -- 1 µs (i = -367) is lane 1 and 1 day (i = 971) lane 1339. Under 1 µs: lane 0.
  select case
    when p_latency_ms < 0.001 then 0
    else least(greatest(ceil(ln(p_latency_ms) / ln(1.019::double precision))::integer + 368, 1), 1339)
  end;
$$;

comment on function public.iris_latency_lane(double precision) is
  'Returns the histogram lane (0..1339) of a latency in ms: 0 under 1 µs, else ceil(ln x / ln 1.019) + 368, '
  'clamped to 1..1339 (1 µs .. 1 day).';

create or replace function public.iris_latency_lane_value(p_lane integer)
returns double precision
language sql
immutable
parallel safe
as $$
  -- 2γ^i/(γ+1) lies within (γ-1)/(γ+1) of both ends of (γ^(i-1), γ^i].
  select case when p_lane <= 0 then 0::double precision
              else 2 * power(1.019::double precision, p_lane - 368) / 2.019 end;
$$;

comment on function public.iris_latency_lane_value(integer) is
  'Returns the estimate of a histogram lane in ms: 0 for lane 0, else 2 * 1.019^(lane - 368) / 2.019, '
  'within 0.941% of every latency the lane holds.';

create or replace function public.iris_hist_unit(p_lane integer)
returns numeric
language sql
immutable
parallel safe
as $$
  -- 10^(12 lane): one count in the lane. Parsed from text: numeric power()
  -- would compute a fractional result at full precision. text || text (not
  -- text || integer, which is only stable) keeps this inlinable.
  select ('1e' || (12 * p_lane)::text)::numeric;
$$;

comment on function public.iris_hist_unit(integer) is
  'Returns 10^(12 * lane), the histogram numeric of one latency in that lane.';

create or replace function public.iris_hist_quantiles(p_fine numeric, p_coarse numeric, p_quantiles double precision[])
returns double precision[]
language plpgsql
immutable
parallel safe
as $$
declare
  -- Lane k of a histogram is the k-th group of 12 digits from the right of its
  -- decimal text. bytea so that substring() is O(1) (text is UTF-8 here).
  v_fine bytea := convert_to(p_fine::text, 'UTF8');
  v_coarse bytea := convert_to(p_coarse::text, 'UTF8');
  v_fine_len integer := length(v_fine);
  v_coarse_len integer := length(v_coarse);
  -- Lane sums are the numeric modulo 10^12 - 1 (10^12 ≡ 1), exact below 10^12 - 1 runs.
  v_total bigint := mod(p_coarse, 999999999999)::bigint;
  v_order integer[];
  v_result double precision[] := array_fill(null::double precision, array[cardinality(p_quantiles)]);
  v_next integer := 1;
  v_rank bigint;
  v_cum bigint := 0;
  v_count bigint;
  v_fine_cum bigint;
  v_lane integer;
  v_coarse_lane integer;
  v_start integer;
begin
  if p_fine is null or p_coarse is null or v_total <= 0 or cardinality(p_quantiles) = 0 then
    return v_result;
  end if;
  -- Visit the quantiles in ascending order, so one pass over the lanes finds all.
  select array_agg(o::integer order by q, o) into v_order
  from unnest(p_quantiles) with ordinality as u (q, o);
  -- Trailing zero lanes (latencies nobody had) are skipped without reading them.
  v_coarse_lane := (v_coarse_len - length(rtrim(convert_from(v_coarse, 'UTF8'), '0'))) / 12;
  while v_next <= cardinality(v_order) loop
    -- Nearest rank: the smallest latency with at least q * n latencies at or below it.
    v_rank := greatest(ceil(p_quantiles[v_order[v_next]] * v_total)::bigint, 1);
    -- The coarse lane that holds the rank.
    loop
      v_start := v_coarse_len - 12 * v_coarse_lane - 11;
      exit when v_start + 11 < 1;
      v_count := convert_from(substring(v_coarse from greatest(v_start, 1) for 12 + least(v_start - 1, 0)), 'UTF8')::bigint;
      exit when v_cum + v_count >= v_rank;
      v_cum := v_cum + v_count;
      v_coarse_lane := v_coarse_lane + 1;
    end loop;
    exit when v_start + 11 < 1;
    -- The fine lane inside it.
    v_fine_cum := v_cum;
    v_lane := 32 * v_coarse_lane;
    loop
      v_start := v_fine_len - 12 * v_lane - 11;
      v_count := case when v_start + 11 < 1 then 0
        else convert_from(substring(v_fine from greatest(v_start, 1) for 12 + least(v_start - 1, 0)), 'UTF8')::bigint end;
      exit when v_fine_cum + v_count >= v_rank or v_lane >= 32 * v_coarse_lane + 31;
      v_fine_cum := v_fine_cum + v_count;
      v_lane := v_lane + 1;
    end loop;
    v_result[v_order[v_next]] := round(public.iris_latency_lane_value(v_lane)::numeric, 3)::double precision;
    v_next := v_next + 1;
  end loop;
  return v_result;
end;
$$;

comment on function public.iris_hist_quantiles(numeric, numeric, double precision[]) is
  'Returns, for each quantile q in p_quantiles, the estimate (ms, rounded to 1 µs) of the lane that '
  'holds the nearest-rank latency (rank ceil(q n), at least 1) of a histogram given as its fine and '
  'coarse numerics; nulls for an empty histogram. Reads about 40 lanes per quantile.';

-- ----------------------------------------------------------- aggregation --

create or replace function public.iris_rollup_facts(p_facts public.iris_run_fact[], p_dimensions text[], p_grain text)
returns setof public.iris_rollup
language sql
immutable
parallel safe
as $$
  -- The one place where runs become rollup sums: ingest, the backfill, the
  -- read path's edges and the consistency check all call it. p_grain is
  -- 'hour' or 'day' (UTC buckets), or null for one bucket (bucket_start null).
  -- One pass: each run's terms are computed once and added to one group per
  -- dimension (grouping sets), histograms included, as a sum of one
  -- 10^(12 lane) per run. Callers pass p_grain as a literal and nothing here
  -- may stop the planner from inlining this function (no SET clause, only
  -- immutable expressions): inlined, the grain folds away, and the
  -- aggregation runs several times faster than as a function call.
  select
    p_grain,
    case grouping(f.model, f.expert_id, f.agent_id, f.prompt_version)
      when 15 then 'all' when 7 then 'model' when 11 then 'expert' when 13 then 'agent' else 'prompt_version'
    end as dimension,
    f.bucket_start,
    coalesce(f.model, f.expert_id, f.agent_id, f.prompt_version, '') as value,
    count(*),
    count(*) filter (where f.outcome = 'success'),
    count(*) filter (where f.outcome = 'failure'),
    count(*) filter (where f.outcome = 'partial'),
    sum(f.input_tokens)::bigint,
    sum(f.output_tokens)::bigint,
    -- Whole micro-dollars (cost_usd is numeric(14, 6)): an exact integer sum.
    sum(f.cost_micros) / 1000000,
    sum(f.cost_sq),
    sum(f.latency_ms),
    sum(f.latency_sq),
    count(f.confidence),
    coalesce(sum(f.confidence), 0),
    sum(public.iris_hist_unit(f.lane)),
    sum(public.iris_hist_unit(f.lane / 32))
  from (
    select
      -- date_bin from the epoch is UTC truncation without a time-zone lookup per row.
      -- (Interval literals, not a cast of p_grain: a cast is not folded and costs microseconds per run.)
      case p_grain
        when 'hour' then date_bin(interval '1 hour', r.created_at, timestamptz '1970-01-01 00:00:00+00')
        when 'day' then date_bin(interval '1 day', r.created_at, timestamptz '1970-01-01 00:00:00+00')
      end as bucket_start,
      -- Never null here, so a null below can only mean "not grouped by".
      r.model, r.expert_id, coalesce(r.agent_id, '') as agent_id, coalesce(r.prompt_version, '') as prompt_version,
      r.outcome, r.input_tokens, r.output_tokens,
      (r.cost_usd * 1000000)::bigint as cost_micros,
      r.cost_usd::double precision * r.cost_usd::double precision as cost_sq,
      r.latency_ms,
      r.latency_ms * r.latency_ms as latency_sq,
      r.confidence::double precision as confidence,
      public.iris_latency_lane(r.latency_ms) as lane
    from unnest(p_facts) as r
  ) f
  group by grouping sets (
    (f.bucket_start),
    (f.bucket_start, f.model),
    (f.bucket_start, f.expert_id),
    (f.bucket_start, f.agent_id),
    (f.bucket_start, f.prompt_version)
  )
  having case grouping(f.model, f.expert_id, f.agent_id, f.prompt_version)
      when 15 then 'all' when 7 then 'model' when 11 then 'expert' when 13 then 'agent' else 'prompt_version'
    end = any (p_dimensions);
$$;

comment on function public.iris_rollup_facts(public.iris_run_fact[], text[], text) is
  'Returns the rollup sums and histograms of the given runs per dimension (of p_dimensions), bucket '
  '(hour or UTC day of p_grain; null when p_grain is null) and value. Pure: reads no table.';

create or replace function public.iris_rollup_rows(p_facts public.iris_run_fact[], p_dimensions text[])
returns setof public.iris_rollup
language sql
immutable
parallel safe
as $$
  -- Hourly rows, and daily rows as the sums of their hours.
  with hourly as materialized (
    select h.* from public.iris_rollup_facts(p_facts, p_dimensions, 'hour') h
  )
  select h.* from hourly h
  union all
  select
    'day', h.dimension, date_trunc('day', h.bucket_start, 'UTC'), h.value,
    sum(h.runs)::bigint, sum(h.successes)::bigint, sum(h.failures)::bigint, sum(h.partials)::bigint,
    sum(h.input_tokens)::bigint, sum(h.output_tokens)::bigint,
    sum(h.cost_usd), sum(h.cost_usd_sq), sum(h.latency_ms_sum), sum(h.latency_ms_sq),
    sum(h.confidence_n)::bigint, sum(h.confidence_sum),
    sum(h.latency_hist), sum(h.latency_hist_coarse)
  from hourly h
  group by h.dimension, date_trunc('day', h.bucket_start, 'UTC'), h.value;
$$;

comment on function public.iris_rollup_rows(public.iris_run_fact[], text[]) is
  'Returns the hourly and daily rollup rows (grain hour, then day) of the given runs for p_dimensions. '
  'Pure: reads no table. Used by ingest_runs, backfill_run_rollups and check_run_rollups.';

-- All dimensions a rollup row can have, in the order ingest writes them.
create or replace function public.iris_rollup_dimensions()
returns text[]
language sql
immutable
parallel safe
as $$
  select array['all', 'model', 'expert', 'agent', 'prompt_version'];
$$;

-- The per-project lock that orders ingest (shared) against the backfill (exclusive).
create or replace function public.iris_rollup_lock_key(p_project_id uuid)
returns bigint
language sql
immutable
parallel safe
as $$
  select hashtextextended('iris.run_rollups:' || p_project_id::text, 0);
$$;

-- -------------------------------------------------------------- ingest --

create or replace function public.ingest_runs(p_project_id uuid, p_runs jsonb)
returns table (inserted integer)
language sql
volatile
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
-- Hash aggregation for every grouping set of the rollups: planned for a batch
-- of unknown size, the planner would otherwise sort the runs and aggregate
-- some sets in order, measured several times slower. The upsert's ORDER BY
-- (the lock order) still sorts: it has no alternative.
set enable_sort = off
as $$
  select pg_advisory_xact_lock_shared(iris_rollup_lock_key(p_project_id));

  -- One statement: the raw rows, then their hourly and daily rollups, so a
  -- batch is stored whole (both) or not at all. Any element that fails a type
  -- conversion or a CHECK constraint fails the batch.
  with ins as (
    insert into model_runs (
      project_id, expert_id, agent_id, model, prompt_version, input_tokens, output_tokens,
      cost_usd, latency_ms, confidence, outcome, error_type, metadata, created_at
    )
    select
      p_project_id, r.expert_id, r.agent_id, r.model, r.prompt_version, r.input_tokens, r.output_tokens,
      r.cost_usd, r.latency_ms, r.confidence, r.outcome, r.error_type,
      coalesce(r.metadata, '{}'::jsonb), coalesce(r.created_at, now())
    from jsonb_to_recordset(coalesce(p_runs, '[]'::jsonb)) as r (
      expert_id text,
      agent_id text,
      model text,
      prompt_version text,
      input_tokens integer,
      output_tokens integer,
      cost_usd numeric,
      latency_ms double precision,
      confidence real,
      outcome text,
      error_type text,
      metadata jsonb,
      created_at timestamptz
    )
    returning created_at, model, expert_id, agent_id, prompt_version, outcome,
      input_tokens, output_tokens, cost_usd, latency_ms, confidence
  ),
  batch as (
    select array_agg(row(i.*)::iris_run_fact) as facts from ins i
  ),
  rolled as (
    -- A column, not a subquery, as the argument, so the planner can inline the
    -- aggregation with its grain known.
    select r.*
    from batch b
    cross join lateral iris_rollup_rows(b.facts, iris_rollup_dimensions()) r
  ),
  upserted as (
    insert into run_rollups as t (
      project_id, dimension, grain, bucket_start, value, runs, successes, failures, partials,
      input_tokens, output_tokens, cost_usd, cost_usd_sq, latency_ms_sum, latency_ms_sq,
      confidence_n, confidence_sum, latency_hist, latency_hist_coarse
    )
    select p_project_id, u.dimension, u.grain, u.bucket_start, u.value, u.runs, u.successes, u.failures, u.partials,
      u.input_tokens, u.output_tokens, u.cost_usd, u.cost_usd_sq, u.latency_ms_sum, u.latency_ms_sq,
      u.confidence_n, u.confidence_sum, u.latency_hist, u.latency_hist_coarse
    from rolled u
    -- Primary-key order: every ingest locks shared rows in the same order.
    order by u.dimension, u.grain, u.bucket_start, u.value
    on conflict (project_id, dimension, grain, bucket_start, value) do update set
      runs = t.runs + excluded.runs,
      successes = t.successes + excluded.successes,
      failures = t.failures + excluded.failures,
      partials = t.partials + excluded.partials,
      input_tokens = t.input_tokens + excluded.input_tokens,
      output_tokens = t.output_tokens + excluded.output_tokens,
      cost_usd = t.cost_usd + excluded.cost_usd,
      cost_usd_sq = t.cost_usd_sq + excluded.cost_usd_sq,
      latency_ms_sum = t.latency_ms_sum + excluded.latency_ms_sum,
      latency_ms_sq = t.latency_ms_sq + excluded.latency_ms_sq,
      confidence_n = t.confidence_n + excluded.confidence_n,
      confidence_sum = t.confidence_sum + excluded.confidence_sum,
      latency_hist = t.latency_hist + excluded.latency_hist,
      latency_hist_coarse = t.latency_hist_coarse + excluded.latency_hist_coarse
    returning 1
  )
  select count(*)::integer
  from ins;
$$;

comment on function public.ingest_runs(uuid, jsonb) is
  'Inserts a JSON array of runs into the project and adds them to its hourly and daily rollups in one '
  'statement; returns how many runs were inserted. Atomic: one bad element fails the whole batch. Writes '
  'model_runs_pkey, model_runs_project_created_idx and run_rollups_pkey (rows locked in key order).';

-- ----------------------------------------------------------- read path --

create or replace function public.iris_rollup_merge(
  p_project_id uuid,
  p_dimensions text[],
  p_from timestamptz,
  p_to timestamptz
)
-- grain and bucket_start are null: one merged row per (dimension, value).
returns setof public.iris_rollup
language sql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
-- Hash aggregation of the raw edges, as in ingest_runs.
set enable_sort = off
as $$
  -- [p_from, p_to) exactly: whole UTC days from daily rows, the whole hours
  -- around them from hourly rows, and the partial hours at either end from
  -- raw runs. A 90-day window reads about 90 + 46 rollup rows per value and
  -- at most two hours of raw runs.
  with b as (
    select h1, h2, d1, d2
    from (select
            date_trunc('hour', p_from, 'UTC') + case when date_trunc('hour', p_from, 'UTC') < p_from then interval '1 hour' else interval '0' end as h1,
            date_trunc('hour', p_to, 'UTC') as h2) h
    cross join lateral (select
            date_trunc('day', h.h1, 'UTC') + case when date_trunc('day', h.h1, 'UTC') < h.h1 then interval '1 day' else interval '0' end as d1,
            date_trunc('day', h.h2, 'UTC') as d2) d
  ),
  pieces (kind, lo, hi) as (
    select 'day', d1, d2 from b where h1 < h2 and d1 < d2
    union all select 'hour', h1, d1 from b where h1 < h2 and d1 < d2
    union all select 'hour', d2, h2 from b where h1 < h2 and d1 < d2
    union all select 'hour', h1, h2 from b where h1 < h2 and not d1 < d2
    union all select 'raw', p_from, h1 from b where h1 < h2
    union all select 'raw', h2, p_to from b where h1 < h2
    union all select 'raw', p_from, p_to from b where not h1 < h2
  ),
  edges as materialized (
    select array(
      select row(m.created_at, m.model, m.expert_id, m.agent_id, m.prompt_version, m.outcome,
                 m.input_tokens, m.output_tokens, m.cost_usd, m.latency_ms, m.confidence)::iris_run_fact
      from pieces s
      join model_runs m
        on m.project_id = p_project_id
       and m.created_at >= s.lo
       and m.created_at < s.hi
      where s.kind = 'raw' and s.lo < s.hi
    ) as facts
  ),
  parts as (
    select r.dimension, r.value, r.runs, r.successes, r.failures, r.partials, r.input_tokens, r.output_tokens,
      r.cost_usd, r.cost_usd_sq, r.latency_ms_sum, r.latency_ms_sq, r.confidence_n, r.confidence_sum,
      r.latency_hist, r.latency_hist_coarse
    from pieces s
    join run_rollups r
      on r.project_id = p_project_id
     and r.dimension = any (p_dimensions)
     and r.grain = s.kind
     and r.bucket_start >= s.lo
     and r.bucket_start < s.hi
    where s.kind <> 'raw' and s.lo < s.hi
    union all
    select e.dimension, e.value, e.runs, e.successes, e.failures, e.partials, e.input_tokens, e.output_tokens,
      e.cost_usd, e.cost_usd_sq, e.latency_ms_sum, e.latency_ms_sq, e.confidence_n, e.confidence_sum,
      e.latency_hist, e.latency_hist_coarse
    from edges
    -- A column as the argument (not a subquery), so the aggregation is inlined.
    cross join lateral iris_rollup_facts(edges.facts, p_dimensions, null) e
  )
  select null::text, p.dimension, null::timestamptz, p.value,
    sum(p.runs)::bigint, sum(p.successes)::bigint, sum(p.failures)::bigint, sum(p.partials)::bigint,
    sum(p.input_tokens)::bigint, sum(p.output_tokens)::bigint,
    sum(p.cost_usd), sum(p.cost_usd_sq), sum(p.latency_ms_sum), sum(p.latency_ms_sq),
    sum(p.confidence_n)::bigint, sum(p.confidence_sum),
    sum(p.latency_hist), sum(p.latency_hist_coarse)
  from parts p
  group by p.dimension, p.value;
$$;

comment on function public.iris_rollup_merge(uuid, text[], timestamptz, timestamptz) is
  'Returns, per dimension of p_dimensions and value, the sums and merged histograms of the project''s '
  'runs in [p_from, p_to): daily and hourly run_rollups rows (run_rollups_pkey range scans) for whole '
  'days and hours, and raw model_runs (model_runs_project_created_idx) for the partial hours at the ends. '
  'No row for a value without runs.';

-- Rounding: float results carry no noise such as 0.30000000000000004.
create or replace function public.iris_ratio(p_numerator double precision, p_denominator double precision, p_digits integer)
returns double precision
language sql
immutable
parallel safe
as $$
  select case when p_denominator > 0 then round((p_numerator / p_denominator)::numeric, p_digits)::double precision end;
$$;

comment on function public.iris_ratio(double precision, double precision, integer) is
  'Returns p_numerator / p_denominator rounded to p_digits decimals, or null when the denominator is not positive.';

create or replace function public.get_token_stats(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (model text, runs bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
language sql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
  with m as materialized (
    select * from iris_rollup_merge(p_project_id, array['model', 'all'], p_from, p_to)
  )
  select x.model, x.runs, x.input_tokens, x.output_tokens, x.cost_usd
  from (
    select m.value as model, m.runs, m.input_tokens, m.output_tokens, m.cost_usd, 0 as o
    from m where m.dimension = 'model'
    union all
    -- The totals row is there even when the window has no runs.
    select null, coalesce(a.runs, 0), coalesce(a.input_tokens, 0), coalesce(a.output_tokens, 0), coalesce(a.cost_usd, 0), 1
    from (select 1) one left join m a on a.dimension = 'all'
  ) x
  order by x.o, x.model;
$$;

comment on function public.get_token_stats(uuid, timestamptz, timestamptz) is
  'Returns runs, input/output tokens and cost per model over [p_from, p_to), ordered by model, then one '
  'totals row whose model is null (present even when there are no runs). Exact; read from run_rollups '
  'with raw edges (iris_rollup_merge).';

create or replace function public.get_performance_stats(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (
  model text,
  runs bigint,
  success_rate double precision,
  p50_latency_ms double precision,
  p95_latency_ms double precision,
  p99_latency_ms double precision,
  mean_confidence double precision
)
language sql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
  with m as materialized (
    select * from iris_rollup_merge(p_project_id, array['model', 'all'], p_from, p_to)
  ),
  rows as (
    select m.value as model, m.runs, m.successes, m.confidence_n, m.confidence_sum, m.latency_hist, m.latency_hist_coarse, 0 as o
    from m where m.dimension = 'model'
    union all
    select null, coalesce(a.runs, 0), a.successes, a.confidence_n, a.confidence_sum, a.latency_hist, a.latency_hist_coarse, 1
    from (select 1) one left join m a on a.dimension = 'all'
  )
  select r.model, r.runs, iris_ratio(r.successes, r.runs, 6), q[1], q[2], q[3], iris_ratio(r.confidence_sum, r.confidence_n, 6)
  from rows r
  cross join lateral (select iris_hist_quantiles(r.latency_hist, r.latency_hist_coarse, array[0.5, 0.95, 0.99]) as q) qs
  order by r.o, r.model;
$$;

comment on function public.get_performance_stats(uuid, timestamptz, timestamptz) is
  'Returns runs, success rate, p50/p95/p99 latency and mean confidence per model over [p_from, p_to), '
  'ordered by model, then one totals row whose model is null (null rates and percentiles when there are '
  'no runs). Percentiles are nearest-rank estimates from the merged latency histogram, within 1% '
  '(docs/analytics.md). Read from run_rollups with raw edges (iris_rollup_merge).';

create or replace function public.get_project_overview(p_project_id uuid)
returns table (
  runs_today bigint,
  runs_24h bigint,
  success_rate_24h double precision,
  p95_latency_ms_24h double precision,
  input_tokens_24h bigint,
  output_tokens_24h bigint,
  cost_usd_24h numeric,
  active_experts bigint,
  reflexions bigint,
  latest_health_score integer,
  overall_health text,
  open_critical_reports bigint
)
language sql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
  -- Whole UTC hours, so both windows are read from rollup rows alone: "today"
  -- is midnight to the end of the current hour, "the last 24 h" the current
  -- hour and the 23 before it. (A run ingested with a createdAt up to 5 minutes
  -- ahead that falls in the next hour counts once that hour begins.)
  select
    coalesce((select t.runs from iris_rollup_merge(p_project_id, array['all'], date_trunc('day', now(), 'UTC'), date_trunc('hour', now(), 'UTC') + interval '1 hour') t), 0),
    coalesce(w.runs, 0),
    iris_ratio(w.successes, w.runs, 6),
    (iris_hist_quantiles(w.latency_hist, w.latency_hist_coarse, array[0.95]))[1],
    coalesce(w.input_tokens, 0),
    coalesce(w.output_tokens, 0),
    coalesce(w.cost_usd, 0),
    (select count(*) from expert_signatures e where e.project_id = p_project_id and e.active),
    (select count(*) from reflexions x where x.project_id = p_project_id),
    latest.health_score,
    latest.overall_health,
    (
      select count(*)
      from iris_reports c
      where c.project_id = p_project_id
        and c.severity = 'critical'
        and c.resolved_at is null
    )
  from (select 1) one
  left join iris_rollup_merge(p_project_id, array['all'], date_trunc('hour', now(), 'UTC') - interval '23 hours', date_trunc('hour', now(), 'UTC') + interval '1 hour') w on true
  left join lateral (
    select i.health_score, i.overall_health
    from iris_reports i
    where i.project_id = p_project_id
    order by i.created_at desc, i.id desc
    limit 1
  ) latest on true;
$$;

comment on function public.get_project_overview(uuid) is
  'Returns one row: runs since UTC midnight, runs / success rate / p95 latency (histogram estimate) / '
  'tokens / cost over the current UTC hour and the 23 before it (both windows in whole hours, to the end '
  'of the current one, so they read rollup rows only), '
  'active experts, reflexions, the latest report''s health score and overall health, and open critical '
  'reports. Served by run_rollups_pkey with raw edges, expert_signatures_active_idx, '
  'reflexions_project_created_idx, iris_reports_project_created_idx and iris_reports_open_critical_idx.';

-- ------------------------------------------------------------ breakdown --

create or replace function public.get_stats_breakdown(
  p_project_id uuid,
  p_by text,
  p_from timestamptz,
  p_to timestamptz,
  p_sort text,
  p_descending boolean,
  p_limit integer
)
returns table (
  value text,
  runs bigint,
  success_rate double precision,
  input_tokens bigint,
  output_tokens bigint,
  cost_usd numeric,
  mean_latency_ms double precision,
  p50_latency_ms double precision,
  p95_latency_ms double precision,
  p99_latency_ms double precision,
  mean_confidence double precision,
  total_groups bigint
)
language sql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
  -- One row per value of p_by (model, expert, agent or prompt_version) over
  -- [p_from, p_to), sorted by p_sort (a column name), ties by value; value is
  -- null for runs without the attribute. Percentiles are computed only for the
  -- returned rows unless the sort needs them for every group.
  with m as materialized (
    select * from iris_rollup_merge(p_project_id, array[p_by], p_from, p_to)
  ),
  g as (
    select
      nullif(m.value, '') as value, m.value as sort_value, m.runs,
      iris_ratio(m.successes, m.runs, 6) as success_rate,
      m.input_tokens, m.output_tokens, m.cost_usd,
      iris_ratio(m.latency_ms_sum, m.runs, 3) as mean_latency_ms,
      iris_ratio(m.confidence_sum, m.confidence_n, 6) as mean_confidence,
      case when p_sort in ('p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms')
        then (iris_hist_quantiles(m.latency_hist, m.latency_hist_coarse,
               array[case p_sort when 'p50_latency_ms' then 0.5 when 'p95_latency_ms' then 0.95 else 0.99 end]))[1]
      end as sort_quantile,
      m.latency_hist, m.latency_hist_coarse,
      count(*) over () as total_groups
    from m
  ),
  top as (
    select g.*,
      case p_sort
        when 'runs' then g.runs::double precision
        when 'success_rate' then g.success_rate
        when 'input_tokens' then g.input_tokens::double precision
        when 'output_tokens' then g.output_tokens::double precision
        when 'cost_usd' then g.cost_usd::double precision
        when 'mean_latency_ms' then g.mean_latency_ms
        when 'mean_confidence' then g.mean_confidence
        else g.sort_quantile
      end as sort_key
    from g
  ),
  picked as (
    select t.*, row_number() over (
      order by case when p_descending then t.sort_key end desc nulls last,
               case when not p_descending then t.sort_key end asc nulls last,
               t.sort_value
    ) as position
    from top t
  )
  select p.value, p.runs, p.success_rate, p.input_tokens, p.output_tokens, p.cost_usd, p.mean_latency_ms,
    q[1], q[2], q[3], p.mean_confidence, p.total_groups
  from picked p
  cross join lateral (select iris_hist_quantiles(p.latency_hist, p.latency_hist_coarse, array[0.5, 0.95, 0.99]) as q) qs
  where p.position <= least(greatest(coalesce(p_limit, 50), 1), 1000)
  order by p.position;
$$;

comment on function public.get_stats_breakdown(uuid, text, timestamptz, timestamptz, text, boolean, integer) is
  'Returns one row per value of p_by (model, expert, agent, prompt_version; value null for runs without '
  'one) over [p_from, p_to): runs, success rate, tokens, cost, mean and p50/p95/p99 latency, mean '
  'confidence, and the number of groups before the limit; sorted by the column p_sort, ties by value, '
  'at most p_limit (1..1000) rows. Read from run_rollups with raw edges (iris_rollup_merge).';

-- ----------------------------------------------------------- time series --

create or replace function public.get_stats_timeseries(
  p_project_id uuid,
  p_metric text,
  p_interval text,
  p_from timestamptz,
  p_to timestamptz,
  p_group_by text,
  p_top integer
)
returns table (bucket_start timestamptz, kind text, grp text, runs bigint, value numeric)
language sql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
  -- Buckets are UTC hours or days: [p_from, p_to) is widened to whole
  -- buckets, each read from one rollup row per value (no raw edges). With a
  -- p_group_by other than 'none', the p_top values with the largest metric
  -- over the window are their own series (kind 'group', grp the value, null
  -- for runs without one) and the rest fold into one series of kind 'other';
  -- without grouping there is one series of kind 'all'. Every bucket of every
  -- series is present: runs 0, and value 0 for additive metrics (runs,
  -- tokens, cost), null for rates, means and percentiles.
  with w as (
    select date_trunc(p_interval, p_from, 'UTC') as lo,
           date_trunc(p_interval, p_to, 'UTC')
             + case when date_trunc(p_interval, p_to, 'UTC') < p_to then ('1 ' || p_interval)::interval else interval '0' end as hi
  ),
  rows as materialized (
    select r.*
    from w
    join run_rollups r
      on r.project_id = p_project_id
     and r.dimension = case when p_group_by = 'none' then 'all' else p_group_by end
     and r.grain = p_interval
     and r.bucket_start >= w.lo
     and r.bucket_start < w.hi
  ),
  totals as (
    select r.value, sum(r.runs)::bigint as runs, sum(r.successes)::bigint as successes,
      sum(r.input_tokens)::bigint as input_tokens, sum(r.output_tokens)::bigint as output_tokens,
      sum(r.cost_usd) as cost_usd, sum(r.latency_ms_sum) as latency_ms_sum,
      sum(r.latency_hist) as latency_hist, sum(r.latency_hist_coarse) as latency_hist_coarse
    from rows r
    group by r.value
  ),
  ranked as (
    select t.value, row_number() over (
      order by case p_metric
        when 'runs' then t.runs::numeric
        when 'input_tokens' then t.input_tokens::numeric
        when 'output_tokens' then t.output_tokens::numeric
        when 'cost_usd' then t.cost_usd
        when 'success_rate' then t.successes::numeric / t.runs
        when 'mean_latency_ms' then (t.latency_ms_sum / t.runs)::numeric
        else ((iris_hist_quantiles(t.latency_hist, t.latency_hist_coarse, array[
               case p_metric when 'p50_latency_ms' then 0.5 when 'p95_latency_ms' then 0.95 else 0.99 end]))[1])::numeric
      end desc nulls last, t.runs desc, t.value
    ) as position
    from totals t
  ),
  series as (
    select case when p_group_by = 'none' then 'all' when k.position <= greatest(p_top, 1) then 'group' else 'other' end as kind,
           case when p_group_by <> 'none' and k.position <= greatest(p_top, 1) then k.value end as grp,
           k.value,
           -- Series order: by rank, other last.
           case when p_group_by <> 'none' and k.position > greatest(p_top, 1) then greatest(p_top, 1) + 1 else k.position end as position
    from ranked k
  ),
  merged as (
    select r.bucket_start, s.kind, s.grp,
      sum(r.runs)::bigint as runs, sum(r.successes)::bigint as successes,
      sum(r.input_tokens)::bigint as input_tokens, sum(r.output_tokens)::bigint as output_tokens,
      sum(r.cost_usd) as cost_usd, sum(r.latency_ms_sum) as latency_ms_sum,
      sum(r.latency_hist) as latency_hist, sum(r.latency_hist_coarse) as latency_hist_coarse
    from rows r
    join series s on s.value = r.value
    group by r.bucket_start, s.kind, s.grp
  ),
  grid as (
    select b.bucket_start, s.kind, s.grp, s.position
    from w
    cross join lateral generate_series(w.lo, w.hi - ('1 ' || p_interval)::interval, ('1 ' || p_interval)::interval) as b (bucket_start)
    cross join (select kind, grp, min(position) as position from series group by kind, grp
                union all select 'all', null, 1 where p_group_by = 'none' and not exists (select 1 from series)) s
  )
  select g.bucket_start, g.kind, nullif(g.grp, ''), coalesce(m.runs, 0),
    case p_metric
      when 'runs' then coalesce(m.runs, 0)::numeric
      when 'input_tokens' then coalesce(m.input_tokens, 0)::numeric
      when 'output_tokens' then coalesce(m.output_tokens, 0)::numeric
      when 'cost_usd' then coalesce(m.cost_usd, 0)
      when 'success_rate' then iris_ratio(m.successes, m.runs, 6)::numeric
      when 'mean_latency_ms' then iris_ratio(m.latency_ms_sum, m.runs, 3)::numeric
      else ((iris_hist_quantiles(m.latency_hist, m.latency_hist_coarse, array[
             case p_metric when 'p50_latency_ms' then 0.5 when 'p95_latency_ms' then 0.95 else 0.99 end]))[1])::numeric
    end
  from grid g
  left join merged m on m.bucket_start = g.bucket_start and m.kind = g.kind and m.grp is not distinct from g.grp
  order by g.position, g.bucket_start;
$$;

comment on function public.get_stats_timeseries(uuid, text, text, timestamptz, timestamptz, text, integer) is
  'Returns one point per UTC hour or day (p_interval) of [p_from, p_to) widened to whole buckets, per '
  'series: the top p_top values of p_group_by (model, expert, agent, prompt_version) by the metric over '
  'the window, one ''other'' series for the rest, or one ''all'' series when p_group_by is ''none''. '
  'Empty buckets have runs 0 and value 0 (additive metrics) or null. Series ordered by rank, other last; '
  'points by time. Served by run_rollups_pkey range scans of one grain.';

-- --------------------------------------------------- backfill and check --

create or replace function public.backfill_run_rollups(p_project_id uuid, p_day timestamptz)
returns table (runs bigint, rollup_rows integer)
language plpgsql
volatile
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
#variable_conflict use_column
declare
  v_day timestamptz := date_trunc('day', p_day, 'UTC');
  v_runs bigint;
  v_rows integer;
begin
  -- Exclusive against ingest into this project for the day's rebuild (ingest
  -- takes the lock shared), so no write lands between the read and the replace.
  perform pg_advisory_xact_lock(iris_rollup_lock_key(p_project_id));
  delete from run_rollups r
  where r.project_id = p_project_id
    and r.bucket_start >= v_day
    and r.bucket_start < v_day + interval '1 day';
  with facts as materialized (
    select row(m.created_at, m.model, m.expert_id, m.agent_id, m.prompt_version, m.outcome,
               m.input_tokens, m.output_tokens, m.cost_usd, m.latency_ms, m.confidence)::iris_run_fact as f
    from model_runs m
    where m.project_id = p_project_id
      and m.created_at >= v_day
      and m.created_at < v_day + interval '1 day'
  ),
  ins as (
    insert into run_rollups (
      project_id, grain, dimension, bucket_start, value, runs, successes, failures, partials,
      input_tokens, output_tokens, cost_usd, cost_usd_sq, latency_ms_sum, latency_ms_sq,
      confidence_n, confidence_sum, latency_hist, latency_hist_coarse
    )
    select p_project_id, r.*
    from iris_rollup_rows((select array_agg(f) from facts), iris_rollup_dimensions()) r
    order by r.dimension, r.grain, r.bucket_start, r.value
    returning 1
  )
  select (select count(*) from facts), (select count(*)::integer from ins) into v_runs, v_rows;
  return query select v_runs, v_rows;
end;
$$;

comment on function public.backfill_run_rollups(uuid, timestamptz) is
  'Rebuilds the project''s hourly and daily rollups of one UTC day (the day of p_day) from its raw runs, '
  'replacing what was there; idempotent, bounded to one day per call, exclusive with ingest into the '
  'project while it runs. Returns the runs read and the rollup rows written.';

create or replace function public.check_run_rollups(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (grain text, dimension text, bucket_start timestamptz, value text, field text, rollup text, raw text)
language plpgsql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
as $$
#variable_conflict use_column
declare
  v_day timestamptz := date_trunc('day', p_from, 'UTC');
begin
  if p_to - p_from > interval '400 days' then
    raise exception 'check_run_rollups checks at most 400 days at a time' using errcode = '22023';
  end if;
  -- One UTC day at a time, so memory stays bounded by one day of runs.
  while v_day < p_to loop
    return query
      with expected as (
        select r.*
        from iris_rollup_rows(
          array(
            select row(m.created_at, m.model, m.expert_id, m.agent_id, m.prompt_version, m.outcome,
                       m.input_tokens, m.output_tokens, m.cost_usd, m.latency_ms, m.confidence)::iris_run_fact
            from model_runs m
            where m.project_id = p_project_id
              and m.created_at >= v_day
              and m.created_at < v_day + interval '1 day'
          ),
          iris_rollup_dimensions()
        ) r
      ),
      actual as (
        select r.*
        from run_rollups r
        where r.project_id = p_project_id
          and r.bucket_start >= v_day
          and r.bucket_start < v_day + interval '1 day'
      )
      select coalesce(a.grain, e.grain), coalesce(a.dimension, e.dimension), coalesce(a.bucket_start, e.bucket_start),
        coalesce(a.value, e.value), d.field, d.rollup, d.raw
      from actual a
      full join expected e
        on e.grain = a.grain and e.dimension = a.dimension and e.bucket_start = a.bucket_start and e.value = a.value
      cross join lateral (
        values
          ('runs', a.runs::text, e.runs::text),
          ('successes', a.successes::text, e.successes::text),
          ('failures', a.failures::text, e.failures::text),
          ('partials', a.partials::text, e.partials::text),
          ('input_tokens', a.input_tokens::text, e.input_tokens::text),
          ('output_tokens', a.output_tokens::text, e.output_tokens::text),
          ('cost_usd', a.cost_usd::text, e.cost_usd::text),
          ('cost_usd_sq', a.cost_usd_sq::text, e.cost_usd_sq::text),
          ('latency_ms_sum', a.latency_ms_sum::text, e.latency_ms_sum::text),
          ('latency_ms_sq', a.latency_ms_sq::text, e.latency_ms_sq::text),
          ('confidence_n', a.confidence_n::text, e.confidence_n::text),
          ('confidence_sum', a.confidence_sum::text, e.confidence_sum::text),
          ('latency_hist', md5(a.latency_hist::text), md5(e.latency_hist::text)),
          ('latency_hist_coarse', md5(a.latency_hist_coarse::text), md5(e.latency_hist_coarse::text))
      ) as d (field, rollup, raw)
      -- Counts, tokens and cost are exact; the float sums may differ in the
      -- last bits with the order of additions; histograms by digest.
      where (d.rollup is null) <> (d.raw is null)
         or (d.field like 'latency_hist%' and d.rollup <> d.raw)
         or (d.field in ('cost_usd_sq', 'latency_ms_sum', 'latency_ms_sq', 'confidence_sum')
             and abs(d.rollup::double precision - d.raw::double precision)
                 > 1e-9 * greatest(abs(d.rollup::double precision), abs(d.raw::double precision)))
         or (d.field not like 'latency_hist%'
             and d.field not in ('cost_usd_sq', 'latency_ms_sum', 'latency_ms_sq', 'confidence_sum')
             and d.rollup::numeric <> d.raw::numeric);
    v_day := v_day + interval '1 day';
  end loop;
end;
$$;

comment on function public.check_run_rollups(uuid, timestamptz, timestamptz) is
  'Recomputes the project''s rollups of every UTC day touching [p_from, p_to) (at most 400 days) from '
  'raw runs and returns one row per field that differs from run_rollups (rollup or raw null when a row '
  'is missing on that side; histograms compared by digest). No rows means consistent.';

-- ------------------------------------------------- existing runs, privileges --

-- Databases migrated from 0003 have runs without rollups: build them here when
-- there are at most a million (seconds); otherwise say how to run the backfill
-- in chunks (`npm run db:backfill`, docs/analytics.md).
do $$
declare
  v_runs bigint;
  v_day record;
begin
  select count(*) into v_runs from (select 1 from public.model_runs limit 1000001) x;
  if v_runs = 0 or exists (select 1 from public.run_rollups limit 1) then
    return;
  end if;
  if v_runs > 1000000 then
    raise notice 'model_runs holds more than 1,000,000 runs: run `npm run db:backfill` to build their rollups';
    return;
  end if;
  for v_day in
    select distinct m.project_id, date_trunc('day', m.created_at, 'UTC') as day
    from public.model_runs m
  loop
    perform public.backfill_run_rollups(v_day.project_id, v_day.day);
  end loop;
end;
$$;

do $$
declare
  fn regprocedure;
  role_name text;
begin
  for fn in
    select p.oid::regprocedure
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and (p.proname like 'iris\_%' or p.proname in (
        'ingest_runs', 'get_token_stats', 'get_performance_stats', 'get_project_overview',
        'get_stats_breakdown', 'get_stats_timeseries', 'backfill_run_rollups', 'check_run_rollups'
      ))
  loop
    execute format('revoke execute on function %s from public', fn);
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke execute on function %s from %I', fn, role_name);
      end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke all on table public.run_rollups from %I', role_name);
    end if;
  end loop;
end;
$$;
