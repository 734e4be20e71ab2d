-- 0002_functions: every read and write Iris does, one function per RPC.
--
-- The names, parameter names and returned columns match `RpcMap` in
-- lib/db/types.ts exactly: the adapters call `public.<fn>(p_x => $1, ...)` and
-- return `to_jsonb(row)`, and PostgREST calls them by the same names.
-- Every function filters on p_project_id where it touches tenant data, pins
-- search_path, and returns timestamps as timestamptz. Idempotent: create or
-- replace keeps the grants made in 0003_privileges.sql.

-- ---------------------------------------------------------------- api keys --

create or replace function public.verify_api_key(p_key_hash text)
returns table (key_id uuid, project_id uuid, project_name text, settings jsonb, key_hash text)
language sql
volatile
set search_path = public
as $$
  with k as (
    select a.id, a.project_id, p.name, p.settings, a.key_hash
    from api_keys a
    join projects p on p.id = a.project_id
    where a.key_hash = p_key_hash
      and a.revoked_at is null
  ),
  -- Runs even though nothing reads it. The row is written at most once a
  -- minute: a concurrent caller re-checks the condition after the first
  -- commits (READ COMMITTED re-evaluation) and skips the write.
  touched as (
    update api_keys a
    set last_used_at = now()
    from k
    where a.id = k.id
      and (a.last_used_at is null or a.last_used_at < now() - interval '1 minute')
    returning a.id
  )
  select k.id, k.project_id, k.name, k.settings, k.key_hash
  from k;
$$;

comment on function public.verify_api_key(text) is
  'Returns the key id, project id, project name, project settings and stored hash of the '
  'unrevoked key with this SHA-256 hash (zero rows when unknown or revoked), and stamps '
  'last_used_at at most once a minute. Served by api_keys_key_hash_key (unique) and projects_pkey.';

create or replace function public.create_api_key(
  p_project_id uuid,
  p_key_hash text,
  p_prefix text,
  p_label text
)
returns table (
  id uuid,
  project_id uuid,
  prefix text,
  label text,
  created_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
)
language sql
volatile
set search_path = public
as $$
  insert into api_keys (project_id, key_hash, prefix, label)
  values (p_project_id, p_key_hash, p_prefix, p_label)
  returning id, project_id, prefix, label, created_at, last_used_at, revoked_at;
$$;

comment on function public.create_api_key(uuid, text, text, text) is
  'Stores a new key (its SHA-256 hash only) and returns it without the hash. Fails with 23505 '
  'when the hash exists and 23503 when the project does not. Writes api_keys_pkey, '
  'api_keys_key_hash_key and api_keys_project_created_idx.';

create or replace function public.revoke_api_key(p_key_id uuid)
returns table (
  id uuid,
  project_id uuid,
  prefix text,
  label text,
  created_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  key_hash text
)
language sql
volatile
set search_path = public
as $$
  -- coalesce keeps the first revocation time, so revoking twice is harmless.
  update api_keys a
  set revoked_at = coalesce(a.revoked_at, now())
  where a.id = p_key_id
  returning a.id, a.project_id, a.prefix, a.label, a.created_at, a.last_used_at, a.revoked_at, a.key_hash;
$$;

comment on function public.revoke_api_key(uuid) is
  'Revokes a key and returns it with its hash (so callers can evict it from caches); zero rows '
  'when the key does not exist; revoking twice keeps the first revoked_at. Served by api_keys_pkey.';

create or replace function public.rotate_api_key(p_key_id uuid, p_new_key_hash text, p_new_prefix text)
returns table (
  id uuid,
  project_id uuid,
  prefix text,
  label text,
  created_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  old_key_hash text
)
language sql
volatile
set search_path = public
as $$
  -- One statement: the old key is revoked only if its successor is inserted.
  -- A concurrent rotation of the same key waits on the row lock, then sees
  -- revoked_at set and returns zero rows.
  with old as (
    update api_keys a
    set revoked_at = now()
    where a.id = p_key_id
      and a.revoked_at is null
    returning a.project_id, a.label, a.key_hash
  ),
  successor as (
    insert into api_keys (project_id, key_hash, prefix, label)
    select old.project_id, p_new_key_hash, p_new_prefix, old.label
    from old
    returning id, project_id, prefix, label, created_at, last_used_at, revoked_at
  )
  select s.id, s.project_id, s.prefix, s.label, s.created_at, s.last_used_at, s.revoked_at, old.key_hash
  from successor s
  cross join old;
$$;

comment on function public.rotate_api_key(uuid, text, text) is
  'Atomically revokes a key and creates its successor in the same project with the same label; '
  'returns the new key (without hash) and old_key_hash. Zero rows when the old key does not exist '
  'or is already revoked. Served by api_keys_pkey.';

create or replace function public.list_api_keys(p_project_id uuid)
returns table (
  id uuid,
  project_id uuid,
  prefix text,
  label text,
  created_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  usage_count bigint
)
language sql
stable
set search_path = public
as $$
  select a.id, a.project_id, a.prefix, a.label, a.created_at, a.last_used_at, a.revoked_at, a.usage_count
  from api_keys a
  where a.project_id = p_project_id
  order by a.created_at desc, a.id desc;
$$;

comment on function public.list_api_keys(uuid) is
  'Returns every key of the project, revoked ones included, newest first, with its usage count, '
  'never the hashes. Served by api_keys_project_created_idx.';

create or replace function public.record_key_usage(p_usage jsonb)
returns table (updated integer)
language sql
volatile
set search_path = public
as $$
  -- One UPDATE for a whole batch ([{key_id, count, last_used_at}]) that an
  -- instance collected in memory: counts add up, last_used_at only moves forward.
  with batch as (
    select u.key_id, sum(u.count)::bigint as count, max(u.last_used_at) as last_used_at
    from jsonb_to_recordset(coalesce(p_usage, '[]'::jsonb)) as u (key_id uuid, count bigint, last_used_at timestamptz)
    where u.count > 0
    group by u.key_id
  ), upd as (
    update api_keys a
    set usage_count = a.usage_count + b.count,
        last_used_at = greatest(a.last_used_at, b.last_used_at)
    from batch b
    where a.id = b.key_id
    returning 1
  )
  select count(*)::integer from upd;
$$;

comment on function public.record_key_usage(jsonb) is
  'Adds a batch of per-key request counts to api_keys.usage_count, moves last_used_at forward, and '
  'returns how many keys were updated. Served by api_keys_pkey.';

-- ---------------------------------------------------------------- projects --

create or replace function public.create_project(p_name text, p_settings jsonb)
returns table (id uuid, name text, settings jsonb, created_at timestamptz)
language sql
volatile
set search_path = public
as $$
  insert into projects (name, settings)
  values (p_name, coalesce(p_settings, '{}'::jsonb))
  returning id, name, settings, created_at;
$$;

comment on function public.create_project(text, jsonb) is
  'Creates a project (settings default to {}) and returns it. Writes projects_pkey.';

create or replace function public.list_projects()
returns table (id uuid, name text, settings jsonb, created_at timestamptz)
language sql
stable
set search_path = public
as $$
  select p.id, p.name, p.settings, p.created_at
  from projects p
  order by p.created_at desc, p.id desc;
$$;

comment on function public.list_projects() is
  'Returns every project, newest first (an admin view; one row per tenant, so a sequential '
  'scan of projects and a sort serve it).';

create or replace function public.get_project(p_project_id uuid)
returns table (id uuid, name text, settings jsonb, created_at timestamptz)
language sql
stable
set search_path = public
as $$
  select p.id, p.name, p.settings, p.created_at
  from projects p
  where p.id = p_project_id;
$$;

comment on function public.get_project(uuid) is
  'Returns the project, or zero rows when it does not exist. Served by projects_pkey.';

-- -------------------------------------------------------------- model runs --

create or replace function public.ingest_runs(p_project_id uuid, p_runs jsonb)
returns table (inserted integer)
language sql
volatile
set search_path = public
as $$
  -- One INSERT ... SELECT over the whole array: any element that fails a type
  -- conversion or a CHECK constraint fails the batch and nothing is stored.
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
    returning 1
  )
  select count(*)::integer
  from ins;
$$;

comment on function public.ingest_runs(uuid, jsonb) is
  'Inserts a JSON array of runs into the project in one statement and returns how many were '
  'inserted; atomic (one bad element fails the whole batch). Writes model_runs_pkey and '
  'model_runs_project_created_idx.';

create or replace function public.list_runs(
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
  cost_usd numeric,
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
  -- Keyset pagination. With no cursor the bound is (infinity, nil uuid), which
  -- every row is below, so one index condition serves the first and later
  -- pages alike; a cursor with only a timestamp means strictly older rows.
  select
    r.id, r.expert_id, r.agent_id, r.model, r.prompt_version, r.input_tokens, r.output_tokens,
    r.cost_usd, r.latency_ms, r.confidence, r.outcome, r.error_type, r.metadata, r.created_at
  from model_runs r
  where r.project_id = p_project_id
    and (r.created_at, r.id) < (
      coalesce(p_before_created_at, 'infinity'::timestamptz),
      coalesce(p_before_id, '00000000-0000-0000-0000-000000000000'::uuid)
    )
  order by r.created_at desc, r.id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 1000);
$$;

comment on function public.list_runs(uuid, integer, timestamptz, uuid) is
  'Returns up to p_limit (1..1000, default 50) runs of the project, newest first, strictly before '
  'the (p_before_created_at, p_before_id) cursor when given. Served by an index scan of '
  'model_runs_project_created_idx (keyset condition on the index, no sort).';

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
as $$
  -- UTC midnight is always inside the last 24 h, so one range scan over the
  -- 24 h window yields both runs_today (a FILTER) and the 24 h aggregates.
  select
    w.runs_today,
    w.runs_24h,
    w.success_rate_24h,
    w.p95_latency_ms_24h,
    w.input_tokens_24h,
    w.output_tokens_24h,
    w.cost_usd_24h,
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
  from (
    select
      count(*) filter (where r.created_at >= date_trunc('day', now(), 'UTC')) as runs_today,
      count(*) as runs_24h,
      (count(*) filter (where r.outcome = 'success'))::double precision / nullif(count(*), 0)
        as success_rate_24h,
      percentile_cont(0.95) within group (order by r.latency_ms) as p95_latency_ms_24h,
      coalesce(sum(r.input_tokens), 0)::bigint as input_tokens_24h,
      coalesce(sum(r.output_tokens), 0)::bigint as output_tokens_24h,
      coalesce(sum(r.cost_usd), 0) as cost_usd_24h
    from model_runs r
    where r.project_id = p_project_id
      and r.created_at >= now() - interval '24 hours'
  ) w
  left join lateral (
    select i.health_score, i.overall_health
    from iris_reports i
    where i.project_id = p_project_id
    order by i.created_at desc, i.id desc
    limit 1
  ) latest on true;
$$;

comment on function public.get_project_overview(uuid) is
  'Returns one row: runs since UTC midnight, runs / success rate / p95 latency (percentile_cont) / '
  'tokens / cost over the last 24 h, active experts, reflexions, the latest report''s health score '
  'and overall health, and open critical reports (severity critical, resolved_at null). Served by '
  'an index-only scan of model_runs_project_created_idx (covering INCLUDE), expert_signatures_active_idx, '
  'reflexions_project_created_idx, iris_reports_project_created_idx and iris_reports_open_critical_idx.';

create or replace function public.get_token_stats(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (model text, runs bigint, input_tokens bigint, output_tokens bigint, cost_usd numeric)
language sql
stable
set search_path = public
as $$
  select
    r.model,
    count(*),
    coalesce(sum(r.input_tokens), 0)::bigint,
    coalesce(sum(r.output_tokens), 0)::bigint,
    coalesce(sum(r.cost_usd), 0)
  from model_runs r
  where r.project_id = p_project_id
    and r.created_at >= p_from
    and r.created_at < p_to
  group by grouping sets ((r.model), ())
  order by grouping(r.model), r.model;
$$;

comment on function public.get_token_stats(uuid, timestamptz, timestamptz) is
  'Returns runs, input/output tokens and cost per model over [p_from, p_to), ordered by model, '
  'then one totals row whose model is null (present even when there are no runs). Served by an '
  'index-only scan of model_runs_project_created_idx.';

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
-- The per-model sort feeding the ordered-set aggregates stays in memory for a
-- few hundred thousand runs instead of spilling to disk at the 4MB default.
set work_mem = '32MB'
as $$
  -- The three percentile_cont calls share one sort (identical ordered-set inputs).
  select
    r.model,
    count(*),
    avg((r.outcome = 'success')::integer)::double precision,
    percentile_cont(0.50) within group (order by r.latency_ms),
    percentile_cont(0.95) within group (order by r.latency_ms),
    percentile_cont(0.99) within group (order by r.latency_ms),
    avg(r.confidence)::double precision
  from model_runs r
  where r.project_id = p_project_id
    and r.created_at >= p_from
    and r.created_at < p_to
  group by grouping sets ((r.model), ())
  order by grouping(r.model), r.model;
$$;

comment on function public.get_performance_stats(uuid, timestamptz, timestamptz) is
  'Returns runs, success rate, p50/p95/p99 latency (percentile_cont) and mean confidence per model '
  'over [p_from, p_to), ordered by model, then one totals row whose model is null (null rates and '
  'percentiles when there are no runs). Served by an index-only scan of model_runs_project_created_idx.';

-- ----------------------------------------------------------------- experts --

create or replace function public.list_experts(p_project_id uuid, p_active_only boolean)
returns table (
  expert_id text,
  version integer,
  signature text,
  active boolean,
  performance jsonb,
  usage_count bigint,
  updated_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select e.expert_id, e.version, e.signature, e.active, e.performance, e.usage_count, e.updated_at
  from expert_signatures e
  where e.project_id = p_project_id
    and (e.active or not coalesce(p_active_only, false))
  order by e.expert_id, e.version desc;
$$;

comment on function public.list_experts(uuid, boolean) is
  'Returns the project''s expert signature versions (only the active ones when p_active_only), '
  'ordered by expert_id then version descending. Served by expert_signatures_pkey (project_id '
  'prefix, already in output order).';

create or replace function public.upsert_expert_signature(
  p_project_id uuid,
  p_expert_id text,
  p_version integer,
  p_signature text,
  p_active boolean,
  p_performance jsonb
)
returns table (
  expert_id text,
  version integer,
  signature text,
  active boolean,
  performance jsonb,
  usage_count bigint,
  updated_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  -- Writers of one expert take turns, so deactivating the other versions and
  -- activating this one never races into expert_signatures_active_idx.
  perform pg_advisory_xact_lock(hashtextextended('iris.expert_signatures:' || p_project_id::text || ':' || p_expert_id, 0));

  if coalesce(p_active, true) then
    update expert_signatures e
    set active = false, updated_at = now()
    where e.project_id = p_project_id
      and e.expert_id = p_expert_id
      and e.active
      and e.version <> p_version;
  end if;

  return query
    insert into expert_signatures as e (project_id, expert_id, version, signature, active, performance)
    values (
      p_project_id, p_expert_id, p_version, p_signature,
      coalesce(p_active, true), coalesce(p_performance, '{}'::jsonb)
    )
    on conflict (project_id, expert_id, version) do update
      set signature = excluded.signature,
          active = excluded.active,
          performance = excluded.performance,
          updated_at = now()
    returning e.expert_id, e.version, e.signature, e.active, e.performance, e.usage_count, e.updated_at;
end;
$$;

comment on function public.upsert_expert_signature(uuid, text, integer, text, boolean, jsonb) is
  'Creates or replaces one version of an expert''s signature and returns it (usage_count kept). '
  'Activating a version deactivates the expert''s other versions, so at most one is active. '
  'Served by expert_signatures_pkey and expert_signatures_active_idx.';

create or replace function public.increment_expert_usage(p_project_id uuid, p_expert_id text)
returns table (expert_id text, version integer, usage_count bigint)
language sql
volatile
set search_path = public
as $$
  -- The increment is one UPDATE, so concurrent calls never lose a count.
  update expert_signatures e
  set usage_count = e.usage_count + 1
  where e.project_id = p_project_id
    and e.expert_id = p_expert_id
    and e.version = (
      select t.version
      from expert_signatures t
      where t.project_id = p_project_id
        and t.expert_id = p_expert_id
      order by t.active desc, t.version desc
      limit 1
    )
  returning e.expert_id, e.version, e.usage_count;
$$;

comment on function public.increment_expert_usage(uuid, text) is
  'Adds one to usage_count of the expert''s active version (its highest version when none is '
  'active) and returns the new count; zero rows when the expert does not exist in the project. '
  'Served by expert_signatures_pkey.';

-- ------------------------------------------------------------- reflexions --

create or replace function public.record_reflexion(
  p_project_id uuid,
  p_expert_id text,
  p_kind text,
  p_context text,
  p_outcome text,
  p_success boolean,
  p_impact_score real
)
returns table (
  id uuid,
  expert_id text,
  kind text,
  context text,
  outcome text,
  success boolean,
  impact_score real,
  reuse_count integer,
  created_at timestamptz
)
language sql
volatile
set search_path = public
as $$
  insert into reflexions (project_id, expert_id, kind, context, outcome, success, impact_score)
  values (p_project_id, p_expert_id, p_kind, p_context, p_outcome, p_success, p_impact_score)
  returning id, expert_id, kind, context, outcome, success, impact_score, reuse_count, created_at;
$$;

comment on function public.record_reflexion(uuid, text, text, text, text, boolean, real) is
  'Stores a reflexion (impact_score 0..1) and returns it. Writes reflexions_pkey and both '
  'reflexions_project_* indexes.';

create or replace function public.list_reflexions(
  p_project_id uuid,
  p_expert_id text,
  p_limit integer,
  p_before_created_at timestamptz,
  p_before_id uuid
)
returns table (
  id uuid,
  expert_id text,
  kind text,
  context text,
  outcome text,
  success boolean,
  impact_score real,
  reuse_count integer,
  created_at timestamptz
)
language plpgsql
stable
set search_path = public
as $$
#variable_conflict use_column
declare
  v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 1000);
  v_before_created_at timestamptz := coalesce(p_before_created_at, 'infinity'::timestamptz);
  v_before_id uuid := coalesce(p_before_id, '00000000-0000-0000-0000-000000000000'::uuid);
begin
  -- Two statements so each filter gets the index whose order matches it.
  if p_expert_id is null then
    return query
      select x.id, x.expert_id, x.kind, x.context, x.outcome, x.success, x.impact_score, x.reuse_count, x.created_at
      from reflexions x
      where x.project_id = p_project_id
        and (x.created_at, x.id) < (v_before_created_at, v_before_id)
      order by x.created_at desc, x.id desc
      limit v_limit;
  else
    return query
      select x.id, x.expert_id, x.kind, x.context, x.outcome, x.success, x.impact_score, x.reuse_count, x.created_at
      from reflexions x
      where x.project_id = p_project_id
        and x.expert_id = p_expert_id
        and (x.created_at, x.id) < (v_before_created_at, v_before_id)
      order by x.created_at desc, x.id desc
      limit v_limit;
  end if;
end;
$$;

comment on function public.list_reflexions(uuid, text, integer, timestamptz, uuid) is
  'Returns up to p_limit (1..1000, default 50) reflexions of the project (of one expert when '
  'p_expert_id is given), newest first, strictly before the (p_before_created_at, p_before_id) '
  'cursor when given. Served by reflexions_project_created_idx or '
  'reflexions_project_expert_created_idx.';

-- ---------------------------------------------------------------- reports --

create or replace function public.create_report(
  p_project_id uuid,
  p_kind text,
  p_health_score integer,
  p_overall_health text,
  p_severity text,
  p_title text,
  p_data jsonb
)
returns table (
  id uuid,
  kind text,
  health_score integer,
  overall_health text,
  severity text,
  title text,
  data jsonb,
  resolved_at timestamptz,
  created_at timestamptz
)
language sql
volatile
set search_path = public
as $$
  insert into iris_reports (project_id, kind, health_score, overall_health, severity, title, data)
  values (p_project_id, p_kind, p_health_score, p_overall_health, p_severity, p_title, coalesce(p_data, '{}'::jsonb))
  returning id, kind, health_score, overall_health, severity, title, data, resolved_at, created_at;
$$;

comment on function public.create_report(uuid, text, integer, text, text, text, jsonb) is
  'Stores a health report (health_score 0..100) and returns it. Writes iris_reports_pkey and the '
  'iris_reports_* indexes.';

create or replace function public.list_reports(
  p_project_id uuid,
  p_limit integer,
  p_before_created_at timestamptz,
  p_before_id uuid
)
returns table (
  id uuid,
  kind text,
  health_score integer,
  overall_health text,
  severity text,
  title text,
  data jsonb,
  resolved_at timestamptz,
  created_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select i.id, i.kind, i.health_score, i.overall_health, i.severity, i.title, i.data, i.resolved_at, i.created_at
  from iris_reports i
  where i.project_id = p_project_id
    and (i.created_at, i.id) < (
      coalesce(p_before_created_at, 'infinity'::timestamptz),
      coalesce(p_before_id, '00000000-0000-0000-0000-000000000000'::uuid)
    )
  order by i.created_at desc, i.id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 1000);
$$;

comment on function public.list_reports(uuid, integer, timestamptz, uuid) is
  'Returns up to p_limit (1..1000, default 50) reports of the project, newest first, strictly '
  'before the (p_before_created_at, p_before_id) cursor when given. Served by '
  'iris_reports_project_created_idx.';
