-- 0008_pricing: token parts, a model price table, and how each run's cost was obtained (issue 12).
--
-- Token convention (OpenTelemetry GenAI, gen_ai.usage.*): input_tokens counts
-- every prompt token, cache reads and cache writes included; output_tokens
-- every generated token, reasoning included. The parts are new columns inside
-- those totals, enforced by CHECK constraints here and by the API's schema.
--
-- Prices: model_prices holds Iris's defaults (project_id null, shipped below as
-- data, each row with its source and the date it was read) and each project's
-- own overrides, which win. A price applies from its effective_from on; a run
-- keeps the cost computed at its ingest, so a later price never reaches back.
-- The API computes a run's cost from these prices when the client sends none
-- (lib/pricing); cost_source says how each stored cost was obtained, and
-- unknown_models counts, per project, runs whose model no price matched, so
-- they are listed, never silently $0.
--
-- replace_project_prices joins write_once_functions (0007), so a retried
-- price change under one Idempotency-Key is applied once.
--
-- Idempotent: add column if not exists, create ... if not exists, create or
-- replace with unchanged result types, inserts on conflict do nothing, so 0001
-- to 0008 can run again in order.

-- ------------------------------------------------------------ token parts --

alter table public.model_runs add column if not exists cache_read_tokens integer not null default 0;
alter table public.model_runs add column if not exists cache_write_tokens integer not null default 0;
alter table public.model_runs add column if not exists reasoning_tokens integer not null default 0;
alter table public.model_runs add column if not exists cost_source text not null default 'client';

do $$
begin
  -- NOT VALID, then VALIDATE: new rows are checked at once; existing rows (all
  -- zero parts, all 'client') are checked by a scan that does not block writes.
  if not exists (select 1 from pg_constraint where conname = 'model_runs_token_parts_check') then
    alter table public.model_runs add constraint model_runs_token_parts_check check (
      cache_read_tokens >= 0 and cache_write_tokens >= 0 and reasoning_tokens >= 0
      and cache_read_tokens + cache_write_tokens <= input_tokens
      and reasoning_tokens <= output_tokens
    ) not valid;
    alter table public.model_runs validate constraint model_runs_token_parts_check;
  end if;
  if not exists (select 1 from pg_constraint where conname = 'model_runs_cost_source_check') then
    alter table public.model_runs add constraint model_runs_cost_source_check
      check (cost_source in ('client', 'computed', 'unknown_model')) not valid;
    alter table public.model_runs validate constraint model_runs_cost_source_check;
  end if;
end;
$$;

-- ----------------------------------------------------------------- prices --

create table if not exists public.model_prices (
  id uuid primary key default gen_random_uuid(),
  -- Null: one of Iris's defaults; else the project's own price, which wins.
  project_id uuid references public.projects (id) on delete cascade,
  model text not null check (length(model) between 1 and 200),
  aliases text[] not null default '{}' check (cardinality(aliases) <= 50),
  -- A glob, `*` for any characters: `claude-3-5-sonnet-*`; the longest matching one wins.
  pattern text check (length(pattern) between 1 and 200),
  effective_from timestamptz not null,
  -- USD per million tokens; a missing part is billed at its total's rate.
  input_per_mtok numeric(14, 6) not null check (input_per_mtok >= 0),
  output_per_mtok numeric(14, 6) not null check (output_per_mtok >= 0),
  cache_read_per_mtok numeric(14, 6) check (cache_read_per_mtok >= 0),
  cache_write_per_mtok numeric(14, 6) check (cache_write_per_mtok >= 0),
  reasoning_per_mtok numeric(14, 6) check (reasoning_per_mtok >= 0),
  -- [{"aboveInputTokens": n, "rates": {"inputPerMtok": …, …}}]: rates for a whole run above n input tokens.
  tiers jsonb not null default '[]'::jsonb check (jsonb_typeof(tiers) = 'array'),
  -- Where a default's figures were read, and when; null for a project's own prices.
  source text check (length(source) <= 500),
  read_at date,
  created_at timestamptz not null default now()
);

-- One price per (owner, model, effective date); serves the seed's ON CONFLICT below.
create unique index if not exists model_prices_owner_model_from_idx
  on public.model_prices ((coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid)), model, effective_from);

-- list_model_prices and replace_project_prices: a project's rows, and the defaults (project_id null).
create index if not exists model_prices_project_idx on public.model_prices (project_id);

alter table public.model_prices enable row level security;

comment on table public.model_prices is
  'Model prices in USD per million tokens by token type, from effective_from on: Iris''s defaults '
  '(project_id null, with source and read_at) and projects'' own overrides. Read by list_model_prices; '
  'written by replace_project_prices and by this migration''s defaults.';

-- The defaults, read on 2026-12-01 from the providers' pricing pages (as
-- stored copies; verify before relying on them for billing): standard
-- (non-batch) API prices, 5-minute cache writes for Anthropic. A project with
-- negotiated or different prices sets its own (PUT /api/admin/projects/{id}/prices).
insert into public.model_prices (
  project_id, model, aliases, pattern, effective_from,
  input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok, reasoning_per_mtok, tiers, source, read_at
)
values
  (null, 'gpt-4o', array['gpt-4o-2024-05-13', 'gpt-4o-2024-08-06', 'gpt-4o-2024-11-20', 'chatgpt-4o-latest'], 'gpt-4o-*', '2024-05-13T00:00:00Z',
   2.50, 10.00, 1.25, null, null, '[]', 'https://openai.com/api/pricing/', '2026-12-01'),
  (null, 'gpt-4o-mini', array['gpt-4o-mini-2024-07-18'], 'gpt-4o-mini-*', '2024-07-18T00:00:00Z',
   0.15, 0.60, 0.075, null, null, '[]', 'https://openai.com/api/pricing/', '2026-12-01'),
  (null, 'gpt-5.5', '{}', 'gpt-5.5-2*', '2026-01-01T00:00:00Z',
   5.00, 30.00, 0.50, null, null, '[]', 'https://openai.com/api/pricing/', '2026-12-01'),
  (null, 'gpt-5.4', '{}', 'gpt-5.4-2*', '2026-01-01T00:00:00Z',
   2.50, 15.00, 0.25, null, null, '[]', 'https://openai.com/api/pricing/', '2026-12-01'),
  (null, 'gpt-5.4-mini', '{}', 'gpt-5.4-mini-*', '2026-01-01T00:00:00Z',
   0.75, 4.50, 0.075, null, null, '[]', 'https://openai.com/api/pricing/', '2026-12-01'),
  (null, 'gpt-5.4-nano', '{}', 'gpt-5.4-nano-*', '2026-01-01T00:00:00Z',
   0.20, 1.25, 0.02, null, null, '[]', 'https://openai.com/api/pricing/', '2026-12-01'),
  (null, 'claude-3-5-sonnet', array['claude-3-5-sonnet-latest'], 'claude-3-5-sonnet-*', '2024-06-20T00:00:00Z',
   3.00, 15.00, 0.30, 3.75, null, '[]', 'https://platform.claude.com/docs/en/about-claude/pricing', '2026-12-01'),
  (null, 'claude-3-5-haiku', array['claude-3-5-haiku-latest'], 'claude-3-5-haiku-*', '2024-10-22T00:00:00Z',
   0.80, 4.00, 0.08, 1.00, null, '[]', 'https://platform.claude.com/docs/en/about-claude/pricing', '2026-12-01'),
  -- Sonnet 5.5's cache reads were cut from $0.20 to $0.10 on 2026-10-07: two rows, each from its date.
  (null, 'claude-sonnet-5-5', '{}', 'claude-sonnet-5-5*', '2026-01-01T00:00:00Z',
   2.00, 10.00, 0.20, 2.50, null, '[]', 'https://platform.claude.com/docs/en/about-claude/pricing', '2026-12-01'),
  (null, 'claude-sonnet-5-5', '{}', 'claude-sonnet-5-5*', '2026-10-07T00:00:00Z',
   2.00, 10.00, 0.10, 2.50, null, '[]', 'https://platform.claude.com/docs/en/about-claude/pricing', '2026-12-01'),
  -- Haiku 5.5 is priced by prompt length: above 100,000 input tokens every token of the request costs five times as much.
  (null, 'claude-haiku-5-5', '{}', 'claude-haiku-5-5*', '2026-10-07T00:00:00Z',
   0.10, 0.50, 0.01, 0.125, null,
   '[{"aboveInputTokens": 100000, "rates": {"inputPerMtok": 0.50, "outputPerMtok": 2.50, "cacheReadPerMtok": 0.05, "cacheWritePerMtok": 0.625}}]',
   'https://platform.claude.com/docs/en/models/haiku-5-5/overview', '2026-12-01'),
  (null, 'claude-opus-5-5', '{}', 'claude-opus-5-5*', '2026-01-01T00:00:00Z',
   4.00, 20.00, 0.20, 5.00, null, '[]', 'https://platform.claude.com/docs/en/about-claude/pricing', '2026-12-01'),
  -- Gemini 2.5 Pro: prompts above 200,000 tokens are billed at the higher rates, output included.
  (null, 'gemini-2.5-pro', '{}', 'gemini-2.5-pro-*', '2025-06-17T00:00:00Z',
   1.25, 10.00, 0.125, null, null,
   '[{"aboveInputTokens": 200000, "rates": {"inputPerMtok": 2.50, "outputPerMtok": 15.00, "cacheReadPerMtok": 0.25}}]',
   'https://ai.google.dev/gemini-api/docs/pricing', '2026-12-01'),
  -- Open-weight models are priced by whoever serves them; these are Groq's and Mistral's own prices.
  (null, 'llama-3.1-70b', array['llama-3.1-70b-versatile', 'meta-llama/llama-3.1-70b-instruct'], 'llama-3.1-70b-*', '2024-07-23T00:00:00Z',
   0.59, 0.79, null, null, null, '[]', 'https://groq.com/pricing', '2026-12-01'),
  (null, 'mistral-large', array['mistral-large-latest'], 'mistral-large-*', '2024-11-18T00:00:00Z',
   2.00, 6.00, null, null, null, '[]', 'https://mistral.ai/pricing', '2026-12-01')
on conflict ((coalesce(project_id, '00000000-0000-0000-0000-000000000000'::uuid)), model, effective_from) do nothing;

create or replace function public.list_model_prices(p_project_id uuid)
returns table (
  id uuid,
  origin text,
  model text,
  aliases text[],
  pattern text,
  effective_from timestamptz,
  input_per_mtok numeric,
  output_per_mtok numeric,
  cache_read_per_mtok numeric,
  cache_write_per_mtok numeric,
  reasoning_per_mtok numeric,
  tiers jsonb,
  source text,
  read_at date
)
language sql
stable
set search_path = public
as $$
  select p.id, case when p.project_id is null then 'default' else 'project' end, p.model, p.aliases, p.pattern,
    p.effective_from, p.input_per_mtok, p.output_per_mtok, p.cache_read_per_mtok, p.cache_write_per_mtok,
    p.reasoning_per_mtok, p.tiers, p.source, p.read_at
  from model_prices p
  where p.project_id = p_project_id or p.project_id is null
  order by p.project_id is null, p.model, p.effective_from;
$$;

comment on function public.list_model_prices(uuid) is
  'Returns the project''s own prices (origin project) then Iris''s defaults (origin default), each ordered '
  'by model and effective_from: every price of every date, for lib/pricing to match runs against. Served by '
  'model_prices_project_idx.';

create or replace function public.replace_project_prices(p_project_id uuid, p_prices jsonb)
returns table (
  id uuid,
  origin text,
  model text,
  aliases text[],
  pattern text,
  effective_from timestamptz,
  input_per_mtok numeric,
  output_per_mtok numeric,
  cache_read_per_mtok numeric,
  cache_write_per_mtok numeric,
  reasoning_per_mtok numeric,
  tiers jsonb,
  source text,
  read_at date
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  if not exists (select 1 from projects p where p.id = p_project_id) then
    raise exception 'no project %', p_project_id using errcode = '23503';
  end if;
  -- One transaction: the project's prices are the given set, or unchanged.
  delete from model_prices m where m.project_id = p_project_id;
  return query
    insert into model_prices as m (
      project_id, model, aliases, pattern, effective_from,
      input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok, reasoning_per_mtok, tiers
    )
    select p_project_id, r.model, coalesce(r.aliases, '{}'), r.pattern, coalesce(r.effective_from, '1970-01-01T00:00:00Z'),
      r.input_per_mtok, r.output_per_mtok, r.cache_read_per_mtok, r.cache_write_per_mtok, r.reasoning_per_mtok,
      coalesce(r.tiers, '[]'::jsonb)
    from jsonb_to_recordset(coalesce(p_prices, '[]'::jsonb)) as r (
      model text,
      aliases text[],
      pattern text,
      effective_from timestamptz,
      input_per_mtok numeric,
      output_per_mtok numeric,
      cache_read_per_mtok numeric,
      cache_write_per_mtok numeric,
      reasoning_per_mtok numeric,
      tiers jsonb
    )
    returning m.id, 'project'::text, m.model, m.aliases, m.pattern, m.effective_from, m.input_per_mtok,
      m.output_per_mtok, m.cache_read_per_mtok, m.cache_write_per_mtok, m.reasoning_per_mtok, m.tiers, m.source, m.read_at;
end;
$$;

comment on function public.replace_project_prices(uuid, jsonb) is
  'Replaces the project''s own prices with the JSON array given (an empty array removes them; effective_from '
  'defaults to 1970, i.e. always) and returns the new rows; atomic. 23503 for an unknown project, 23505 for '
  'two prices of one model from the same date. Writes model_prices_pkey and both model_prices indexes.';

-- -------------------------------------------------------- unknown models --

create table if not exists public.unknown_models (
  project_id uuid not null references public.projects (id) on delete cascade,
  model text not null,
  runs bigint not null check (runs > 0),
  first_seen_at timestamptz not null,
  last_seen_at timestamptz not null,
  constraint unknown_models_pkey primary key (project_id, model)
);

alter table public.unknown_models enable row level security;

comment on table public.unknown_models is
  'Per project and model, the runs stored with cost_source unknown_model (no price matched and the client '
  'sent no cost), with when they were first and last seen. Maintained by ingest_runs; read by list_unknown_models.';

create or replace function public.list_unknown_models(p_project_id uuid)
returns table (model text, runs bigint, first_seen_at timestamptz, last_seen_at timestamptz)
language sql
stable
set search_path = public
as $$
  select u.model, u.runs, u.first_seen_at, u.last_seen_at
  from unknown_models u
  where u.project_id = p_project_id
  order by u.runs desc, u.model;
$$;

comment on function public.list_unknown_models(uuid) is
  'Returns the models of the project''s runs that no price matched, most runs first. Served by unknown_models_pkey.';

-- ----------------------------------------------------------------- ingest --

create or replace function public.ingest_runs(p_project_id uuid, p_runs jsonb)
returns table (inserted integer)
language plpgsql
volatile
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
-- Hash aggregation for every grouping set of the rollups (0004); the upserts'
-- ORDER BY, the lock order, still sorts.
set enable_sort = off
as $$
#variable_conflict use_column
declare
  v_inserted integer;
  v_repeated uuid[];
begin
  perform pg_advisory_xact_lock_shared(iris_rollup_lock_key(p_project_id));

  -- One statement, as in 0005: the raw rows (with their token parts and cost
  -- source), the rollups of exactly the rows inserted, and the count of runs
  -- whose model had no price. A run whose id is already stored reaches none of them.
  with given as materialized (
    select r.*
    from jsonb_to_recordset(coalesce(p_runs, '[]'::jsonb)) as r (
      id uuid,
      expert_id text,
      agent_id text,
      model text,
      prompt_version text,
      input_tokens integer,
      output_tokens integer,
      cache_read_tokens integer,
      cache_write_tokens integer,
      reasoning_tokens integer,
      cost_usd numeric,
      cost_source text,
      latency_ms double precision,
      confidence real,
      outcome text,
      error_type text,
      metadata jsonb,
      created_at timestamptz
    )
  ),
  ins as (
    insert into model_runs (
      id, project_id, expert_id, agent_id, model, prompt_version, input_tokens, output_tokens,
      cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, cost_source,
      latency_ms, confidence, outcome, error_type, metadata, created_at
    )
    select
      coalesce(r.id, gen_random_uuid()), p_project_id, r.expert_id, r.agent_id, r.model, r.prompt_version,
      r.input_tokens, r.output_tokens, coalesce(r.cache_read_tokens, 0), coalesce(r.cache_write_tokens, 0),
      coalesce(r.reasoning_tokens, 0), r.cost_usd, coalesce(r.cost_source, 'client'),
      r.latency_ms, r.confidence, r.outcome, r.error_type, coalesce(r.metadata, '{}'::jsonb), coalesce(r.created_at, now())
    from given r
    -- A repeated id, in this batch or an earlier one, is stored once: the first wins.
    on conflict (id) do nothing
    returning id, created_at, model, expert_id, agent_id, prompt_version, outcome,
      input_tokens, output_tokens, cost_usd, latency_ms, confidence, cost_source
  ),
  batch as (
    select array_agg(row(i.created_at, i.model, i.expert_id, i.agent_id, i.prompt_version, i.outcome,
                         i.input_tokens, i.output_tokens, i.cost_usd, i.latency_ms, i.confidence)::iris_run_fact) as facts
    from ins i
  ),
  rolled as (
    -- A column, not a subquery, as the argument, so the planner can inline the
    -- aggregation with its grain known (0004).
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
  ),
  unknown as (
    insert into unknown_models as u (project_id, model, runs, first_seen_at, last_seen_at)
    select p_project_id, i.model, count(*), min(i.created_at), max(i.created_at)
    from ins i
    where i.cost_source = 'unknown_model'
    group by i.model
    -- Model order, like the rollups: concurrent ingests take these row locks in one order.
    order by i.model
    on conflict (project_id, model) do update set
      runs = u.runs + excluded.runs,
      first_seen_at = least(u.first_seen_at, excluded.first_seen_at),
      last_seen_at = greatest(u.last_seen_at, excluded.last_seen_at)
    returning 1
  )
  select (select count(*)::integer from ins),
         array(select g.id from given g where g.id is not null except select i.id from ins i)
  into v_inserted, v_repeated;

  -- A new statement, so it sees every committed run, also those a concurrent
  -- batch committed while this one waited on its conflict: an id that is taken
  -- by another project is a conflict, never a silent duplicate.
  if cardinality(v_repeated) > 0 and exists (
    select 1 from model_runs m where m.id = any (v_repeated) and m.project_id <> p_project_id
  ) then
    raise exception 'a run id in this batch is already used by another project'
      using errcode = '23505', hint = 'Run ids must be unique; generate them with a UUID v4 or v7 generator.';
  end if;

  return query select v_inserted;
end;
$$;

comment on function public.ingest_runs(uuid, jsonb) is
  'Inserts a JSON array of runs into the project (each with an optional client id, token parts and cost '
  'source; a run whose id is already stored is skipped), adds exactly the inserted runs to its hourly and '
  'daily rollups and counts those without a price in unknown_models, in one statement; returns how many were '
  'inserted. Atomic: one bad element (a part above its total is 23514), or an id used by another project '
  '(23505), fails the whole batch. Writes model_runs_pkey, model_runs_project_created_idx, run_rollups_pkey '
  'and unknown_models_pkey (rows locked in key order).';

create or replace function public.list_model_runs(
  p_project_id uuid,
  p_limit integer,
  p_before_created_at timestamptz,
  p_before_id uuid
)
returns table (
  id uuid,
  expert_id text,
  agent_id text,
  model text,
  prompt_version text,
  input_tokens integer,
  output_tokens integer,
  cache_read_tokens integer,
  cache_write_tokens integer,
  reasoning_tokens integer,
  cost_usd numeric,
  cost_source text,
  latency_ms double precision,
  confidence real,
  outcome text,
  error_type text,
  metadata jsonb,
  created_at timestamptz
)
language sql
stable
set search_path = public
as $$
  -- list_runs (0002) with the columns added since; list_runs keeps its result
  -- type so that every migration can run again in order.
  select
    r.id, r.expert_id, r.agent_id, r.model, r.prompt_version, r.input_tokens, r.output_tokens,
    r.cache_read_tokens, r.cache_write_tokens, r.reasoning_tokens, r.cost_usd, r.cost_source,
    r.latency_ms, r.confidence, r.outcome, r.error_type, r.metadata, r.created_at
  from model_runs r
  where r.project_id = p_project_id
    and (r.created_at, r.id) < (
      coalesce(p_before_created_at, 'infinity'::timestamptz),
      coalesce(p_before_id, '00000000-0000-0000-0000-000000000000'::uuid)
    )
  order by r.created_at desc, r.id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 1000);
$$;

comment on function public.list_model_runs(uuid, integer, timestamptz, uuid) is
  'Returns up to p_limit (1..1000, default 50) runs of the project with every column, token parts and cost '
  'source included, newest first, strictly before the (p_before_created_at, p_before_id) cursor when given. '
  'Served by an index scan of model_runs_project_created_idx (keyset condition on the index, no sort).';

-- -------------------------------------------------------- write registry --

-- write_once (0007: the rows of write_once_functions) may run the price writes.
insert into public.write_once_functions (name, added_in)
values ('replace_project_prices', '0008_pricing')
on conflict (name) do nothing;

-- ------------------------------------------------------------- privileges --

do $$
declare
  fn regprocedure;
  tbl text;
  role_name text;
begin
  for fn in
    select p.oid::regprocedure
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and p.proname in ('list_model_prices', 'replace_project_prices', 'list_unknown_models', 'ingest_runs', 'list_model_runs')
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
  foreach tbl in array array['model_prices', 'unknown_models'] loop
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table public.%I from %I', tbl, role_name);
      end if;
    end loop;
  end loop;
end;
$$;
