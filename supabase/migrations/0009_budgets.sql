-- 0009_budgets: spend budgets per project, agent, expert or model, their spend
-- per period read from the rollups, and threshold crossings recorded once (issue 12).
--
-- A budget has a period (day, week from Monday, or month) in a time zone (UTC
-- unless given), an amount in USD, soft thresholds (fractions of the amount,
-- default 50%, 80%, 100%), an optional hard limit (the budget check answers
-- `allowed: false` once spend reaches the amount) and a fail mode for when the
-- database is unreachable (open by default). Spend in the current period is
-- exact: whole hours from run_rollups, the partial hours at a period's edges
-- (time zones off the hour) from raw runs, in numeric, so it equals the sum of
-- the raw runs' costs to the cent and below.
--
-- Crossings. record_budget_crossings inserts one row per (budget, period
-- start, threshold) that spend has reached, ON CONFLICT DO NOTHING: however
-- many instances and concurrent ingests evaluate the same crossing, the unique
-- key lets exactly one of them insert it, and only that one enqueues the
-- `budget.threshold_crossed` webhook event (0007's outbox, whose dedupe key is
-- the same triple), in the same transaction.
--
-- Idempotent: create ... if not exists, create or replace, inserts on conflict do nothing.

create table if not exists public.budgets (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  -- What the budget counts: the whole project, or one agent, expert or model.
  scope text not null check (scope in ('project', 'agent', 'expert', 'model')),
  scope_value text check (length(scope_value) between 1 and 200),
  period text not null check (period in ('day', 'week', 'month')),
  time_zone text not null default 'UTC' check (length(time_zone) between 1 and 64),
  amount_usd numeric(14, 6) not null check (amount_usd > 0),
  -- Fractions of the amount, ascending, each in (0, 10].
  thresholds numeric[] not null default '{0.5, 0.8, 1.0}' check (cardinality(thresholds) between 1 and 10),
  hard_limit boolean not null default false,
  fail_mode text not null default 'open' check (fail_mode in ('open', 'closed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint budgets_scope_matches_value check ((scope = 'project') = (scope_value is null))
);

-- list_budgets, budget_status and record_budget_crossings: a project's budgets.
create index if not exists budgets_project_idx on public.budgets (project_id, created_at, id);

alter table public.budgets enable row level security;

create table if not exists public.budget_crossings (
  budget_id uuid not null references public.budgets (id) on delete cascade,
  period_start timestamptz not null,
  threshold numeric not null,
  spent_usd numeric not null,
  crossed_at timestamptz not null default now(),
  constraint budget_crossings_pkey primary key (budget_id, period_start, threshold)
);

alter table public.budget_crossings enable row level security;

comment on table public.budgets is
  'Spend budgets of a project (optionally one agent, expert or model) per day, week or month in a time zone, '
  'with soft thresholds, an optional hard limit and a fail mode. Written by create_budget, update_budget, delete_budget.';
comment on table public.budget_crossings is
  'One row per budget, period and threshold that spend reached, inserted once by record_budget_crossings.';

-- ------------------------------------------------------------------ spend --

create or replace function public.iris_period_bounds(p_period text, p_time_zone text, p_at timestamptz)
returns table (period_start timestamptz, period_end timestamptz)
language sql
stable
as $$
  -- Local calendar arithmetic, so a day is a local day even across a DST change.
  select date_trunc(p_period, p_at at time zone p_time_zone) at time zone p_time_zone,
         (date_trunc(p_period, p_at at time zone p_time_zone) + ('1 ' || p_period)::interval) at time zone p_time_zone;
$$;

comment on function public.iris_period_bounds(text, text, timestamptz) is
  'Returns the start and end of the day, week (from Monday) or month holding p_at in the time zone p_time_zone.';

create or replace function public.iris_spend(p_project_id uuid, p_dimension text, p_value text, p_from timestamptz, p_to timestamptz)
returns numeric
language sql
stable
set search_path = public
set jit = off
as $$
  -- As iris_rollup_merge (0004), for one value and cost only: whole days and
  -- hours from rollups, the partial hours at either end from raw runs.
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
  )
  select coalesce((
    select sum(r.cost_usd)
    from pieces s
    join run_rollups r
      on r.project_id = p_project_id and r.dimension = p_dimension and r.grain = s.kind
     and r.bucket_start >= s.lo and r.bucket_start < s.hi and r.value = p_value
    where s.kind <> 'raw' and s.lo < s.hi
  ), 0) + coalesce((
    select sum(m.cost_usd)
    from pieces s
    join model_runs m on m.project_id = p_project_id and m.created_at >= s.lo and m.created_at < s.hi
    where s.kind = 'raw' and s.lo < s.hi
      and case p_dimension
            when 'all' then true
            when 'model' then m.model = p_value
            when 'expert' then m.expert_id = p_value
            when 'agent' then coalesce(m.agent_id, '') = p_value
            else coalesce(m.prompt_version, '') = p_value
          end
  ), 0);
$$;

comment on function public.iris_spend(uuid, text, text, timestamptz, timestamptz) is
  'Returns the exact cost of the project''s runs in [p_from, p_to) whose p_dimension is p_value (dimension all, '
  'value ''''): run_rollups_pkey range scans for whole hours and days, model_runs_project_created_idx for the '
  'partial hours at either end.';

create or replace function public.budget_status(p_project_id uuid)
returns table (
  id uuid,
  name text,
  scope text,
  scope_value text,
  period text,
  time_zone text,
  amount_usd numeric,
  thresholds numeric[],
  hard_limit boolean,
  fail_mode text,
  period_start timestamptz,
  period_end timestamptz,
  spent_usd numeric,
  created_at timestamptz,
  updated_at timestamptz
)
language sql
stable
set search_path = public
set jit = off
as $$
  select b.id, b.name, b.scope, b.scope_value, b.period, b.time_zone, b.amount_usd, b.thresholds, b.hard_limit, b.fail_mode,
    w.period_start, w.period_end,
    iris_spend(p_project_id, case b.scope when 'project' then 'all' else b.scope end, coalesce(b.scope_value, ''), w.period_start, w.period_end),
    b.created_at, b.updated_at
  from budgets b
  cross join lateral iris_period_bounds(b.period, b.time_zone, now()) w
  where b.project_id = p_project_id
  order by b.created_at, b.id;
$$;

comment on function public.budget_status(uuid) is
  'Returns every budget of the project with the bounds of its current period and the exact spend in it '
  '(iris_spend). Served by budgets_project_idx, then run_rollups_pkey and model_runs_project_created_idx.';

-- ------------------------------------------------------------- crossings --

create or replace function public.record_budget_crossings(p_project_id uuid)
returns table (budget_id uuid, name text, period_start timestamptz, period_end timestamptz, threshold numeric, spent_usd numeric, amount_usd numeric)
language plpgsql
volatile
set search_path = public
set jit = off
as $$
#variable_conflict use_column
declare
  v_row record;
begin
  for v_row in
    with status as (
      select * from budget_status(p_project_id)
    ),
    due as (
      select s.id, s.name, s.scope, s.scope_value, s.period, s.period_start, s.period_end, t.threshold, s.spent_usd, s.amount_usd
      from status s
      -- A hard limit is a threshold at 100% too, so reaching it always bumps the
      -- budgets' generation and the check refuses fleet-wide within its bound.
      cross join lateral (
        select distinct trim_scale(x) from unnest(s.thresholds || case when s.hard_limit then array[1.0] else '{}'::numeric[] end) as x
      ) as t (threshold)
      where s.spent_usd >= s.amount_usd * t.threshold
    ),
    inserted as (
      insert into budget_crossings as c (budget_id, period_start, threshold, spent_usd)
      select d.id, d.period_start, d.threshold, d.spent_usd
      from due d
      -- Key order, so concurrent evaluations take the same locks in the same order.
      order by d.id, d.period_start, d.threshold
      on conflict (budget_id, period_start, threshold) do nothing
      returning c.budget_id, c.period_start, c.threshold
    )
    select d.* from due d join inserted i on i.budget_id = d.id and i.period_start = d.period_start and i.threshold = d.threshold
    order by d.id, d.threshold
  loop
    -- The crossing row and its webhook event commit together, or neither does.
    perform enqueue_webhook_event(
      p_project_id,
      'budget.threshold_crossed',
      -- BudgetThresholdCrossedData (lib/webhooks/events.ts), times as ISO-8601 UTC.
      jsonb_build_object(
        'budgetId', v_row.id,
        'name', v_row.name,
        'threshold', v_row.threshold,
        'period', jsonb_build_object(
          'start', to_char(v_row.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'end', to_char(v_row.period_end at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
        'amountUsd', v_row.amount_usd,
        'spentUsd', v_row.spent_usd,
        'scope', jsonb_build_object(
          'agentId', case when v_row.scope = 'agent' then v_row.scope_value end,
          'expertId', case when v_row.scope = 'expert' then v_row.scope_value end,
          'model', case when v_row.scope = 'model' then v_row.scope_value end)
      ),
      'budget:' || v_row.id || ':' || v_row.threshold || ':' || to_char(v_row.period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    );
    return query select v_row.id, v_row.name, v_row.period_start, v_row.period_end, v_row.threshold, v_row.spent_usd, v_row.amount_usd;
  end loop;
end;
$$;

comment on function public.record_budget_crossings(uuid) is
  'Records every threshold of every budget of the project that spend has reached in the current period and '
  'has not been recorded yet, enqueues one budget.threshold_crossed webhook event for each, in the same '
  'transaction, and returns them. Exactly once per (budget, period, threshold) however many callers race: '
  'budget_crossings_pkey decides. Served by budgets_project_idx and budget_crossings_pkey.';

-- ------------------------------------------------------------------ CRUD --

create or replace function public.list_budgets(p_project_id uuid)
returns table (
  id uuid, name text, scope text, scope_value text, period text, time_zone text, amount_usd numeric,
  thresholds numeric[], hard_limit boolean, fail_mode text, created_at timestamptz, updated_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select b.id, b.name, b.scope, b.scope_value, b.period, b.time_zone, b.amount_usd, b.thresholds, b.hard_limit, b.fail_mode,
    b.created_at, b.updated_at
  from budgets b
  where b.project_id = p_project_id
  order by b.created_at, b.id;
$$;

comment on function public.list_budgets(uuid) is 'Returns the project''s budgets, oldest first. Served by budgets_project_idx.';

create or replace function public.iris_check_time_zone(p_time_zone text)
returns void
language plpgsql
stable
as $$
begin
  if not exists (select 1 from pg_timezone_names where name = p_time_zone) then
    raise exception 'unknown time zone %', p_time_zone using errcode = '22023';
  end if;
end;
$$;

create or replace function public.create_budget(
  p_project_id uuid, p_name text, p_scope text, p_scope_value text, p_period text, p_time_zone text,
  p_amount_usd numeric, p_thresholds jsonb, p_hard_limit boolean, p_fail_mode text
)
returns table (
  id uuid, name text, scope text, scope_value text, period text, time_zone text, amount_usd numeric,
  thresholds numeric[], hard_limit boolean, fail_mode text, created_at timestamptz, updated_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  perform iris_check_time_zone(coalesce(p_time_zone, 'UTC'));
  return query
    insert into budgets as b (project_id, name, scope, scope_value, period, time_zone, amount_usd, thresholds, hard_limit, fail_mode)
    values (p_project_id, p_name, p_scope, p_scope_value, p_period, coalesce(p_time_zone, 'UTC'), p_amount_usd,
            case when p_thresholds is null then '{0.5, 0.8, 1.0}'::numeric[]
                 else array(select jsonb_array_elements_text(p_thresholds)::numeric) end,
            coalesce(p_hard_limit, false), coalesce(p_fail_mode, 'open'))
    returning b.id, b.name, b.scope, b.scope_value, b.period, b.time_zone, b.amount_usd, b.thresholds, b.hard_limit,
      b.fail_mode, b.created_at, b.updated_at;
end;
$$;

comment on function public.create_budget(uuid, text, text, text, text, text, numeric, jsonb, boolean, text) is
  'Creates a budget and returns it (22023 for an unknown time zone, 23514 for a value a CHECK refuses). Writes budgets_pkey and budgets_project_idx.';

create or replace function public.update_budget(p_project_id uuid, p_budget_id uuid, p_changes jsonb)
returns table (
  id uuid, name text, scope text, scope_value text, period text, time_zone text, amount_usd numeric,
  thresholds numeric[], hard_limit boolean, fail_mode text, created_at timestamptz, updated_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  if p_changes ? 'time_zone' then
    perform iris_check_time_zone(p_changes ->> 'time_zone');
  end if;
  -- Only the fields present in p_changes change; the project comes from the caller, so another project's budget is never touched.
  return query
    update budgets b set
      name = case when p_changes ? 'name' then p_changes ->> 'name' else b.name end,
      period = case when p_changes ? 'period' then p_changes ->> 'period' else b.period end,
      time_zone = case when p_changes ? 'time_zone' then p_changes ->> 'time_zone' else b.time_zone end,
      amount_usd = case when p_changes ? 'amount_usd' then (p_changes ->> 'amount_usd')::numeric else b.amount_usd end,
      thresholds = case when p_changes ? 'thresholds'
                        then array(select jsonb_array_elements_text(p_changes -> 'thresholds')::numeric) else b.thresholds end,
      hard_limit = case when p_changes ? 'hard_limit' then (p_changes ->> 'hard_limit')::boolean else b.hard_limit end,
      fail_mode = case when p_changes ? 'fail_mode' then p_changes ->> 'fail_mode' else b.fail_mode end,
      updated_at = now()
    where b.id = p_budget_id and b.project_id = p_project_id
    returning b.id, b.name, b.scope, b.scope_value, b.period, b.time_zone, b.amount_usd, b.thresholds, b.hard_limit,
      b.fail_mode, b.created_at, b.updated_at;
end;
$$;

comment on function public.update_budget(uuid, uuid, jsonb) is
  'Changes the fields present in p_changes (name, period, time_zone, amount_usd, thresholds, hard_limit, '
  'fail_mode; the scope is fixed) of one of the project''s budgets and returns it; zero rows when the project '
  'has no such budget. Served by budgets_pkey.';

create or replace function public.delete_budget(p_project_id uuid, p_budget_id uuid)
returns table (id uuid)
language sql
volatile
set search_path = public
as $$
  delete from budgets b where b.id = p_budget_id and b.project_id = p_project_id returning b.id;
$$;

comment on function public.delete_budget(uuid, uuid) is
  'Deletes one of the project''s budgets (its crossings with it) and returns its id; zero rows when the project has no such budget. Served by budgets_pkey.';

insert into public.write_once_functions (name, added_in)
values ('create_budget', '0009_budgets'), ('update_budget', '0009_budgets'), ('delete_budget', '0009_budgets')
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
      and p.proname in (
        'iris_period_bounds', 'iris_spend', 'budget_status', 'record_budget_crossings', 'list_budgets',
        'iris_check_time_zone', 'create_budget', 'update_budget', 'delete_budget'
      )
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
  foreach tbl in array array['budgets', 'budget_crossings'] loop
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table public.%I from %I', tbl, role_name);
      end if;
    end loop;
  end loop;
end;
$$;
