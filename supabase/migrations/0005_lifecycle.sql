-- 0005_lifecycle: idempotent writes, run ids, and retention (issue 11).
--
-- Idempotent writes. A write sent with an Idempotency-Key header
-- (draft-ietf-httpapi-idempotency-key-header) goes through write_once, which
-- runs the write function and stores its result under (scope, key) in the same
-- transaction: a crash leaves either both or neither, never a write without its
-- record or a record without its write. A scope is a project id, or 'admin' for
-- the admin routes; the key is stored only as its SHA-256 hash. A retry with
-- the same key and the same request (fingerprint) gets the stored result back;
-- another request under the same key is refused; a key whose first request is
-- still running is reported in flight (a transaction-scoped advisory lock, so a
-- crashed request never leaves a stale lock behind). Records live 24 h by
-- default (the TTL is the caller's, 1 minute to 7 days) and are deleted by the
-- retention sweep once expired. docs/lifecycle.md has the HTTP side.
--
-- Run ids. ingest_runs takes an optional client-generated `id` per run and
-- inserts with ON CONFLICT (id) DO NOTHING, so a run is stored once however
-- often it arrives; it still returns how many it inserted (the caller's
-- batch size minus that is the duplicates). The rollups are fed from the INSERT's RETURNING rows, as in
-- 0004, so a duplicate never reaches them; raw rows and rollups are still
-- written by one statement. An id already used by another project fails the
-- batch (23505) instead of being counted as a duplicate.
--
-- Retention. Per project, raw runs older than settings.retention.runsDays
-- (default 400, the backfill window) and rollup buckets that ended more than
-- settings.retention.rollupsDays ago (default 800, never less than runsDays)
-- are deleted in bounded batches by delete_expired_runs and
-- delete_expired_rollups, which skip rows another transaction holds, so a
-- sweep never waits on ingest. Rollups of days whose raw runs may already be
-- gone are never rebuilt or checked (backfill_run_rollups, check_run_rollups
-- are replaced below with that guard).
--
-- Idempotent: create ... if not exists, create or replace; no result type
-- changes, so 0001 to 0005 can run again in order.

-- ------------------------------------------------------------ idempotency --

create table if not exists public.idempotency_keys (
  -- A project id, or 'admin' for the admin routes: the same key in two scopes is two keys.
  scope text not null check (scope = 'admin' or scope ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  -- SHA-256 (hex) of the Idempotency-Key; the key itself is never stored.
  key_hash text not null check (key_hash ~ '^[0-9a-f]{64}$'),
  -- SHA-256 (hex) of the method, path and body of the first request.
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  -- The write function that ran, and its rows as to_jsonb renders them.
  rpc text not null,
  result jsonb not null check (jsonb_typeof(result) = 'array'),
  -- A secret of the first answer (a minted API key), encrypted by the caller
  -- with a key derived from the Idempotency-Key and a server secret: unreadable here.
  sealed text check (length(sealed) <= 4096),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  constraint idempotency_keys_pkey primary key (scope, key_hash)
);

-- delete_expired_idempotency_keys: expired records, oldest first.
create index if not exists idempotency_keys_expires_idx on public.idempotency_keys (expires_at);

alter table public.idempotency_keys enable row level security;

comment on table public.idempotency_keys is
  'One row per (scope, SHA-256 of an Idempotency-Key): the fingerprint of the first request and the '
  'result of the write it ran, until expires_at. Written by write_once in the write''s own transaction; '
  'deleted by delete_expired_idempotency_keys.';

-- ----------------------------------------------------------------- ingest --

-- The result type stays (inserted integer), as in 0002 and 0004, so every
-- file can still run again in order (a changed result type would make 0002's
-- CREATE OR REPLACE fail); callers know how many runs they sent, so the
-- duplicates are the difference.
create or replace function public.ingest_runs(p_project_id uuid, p_runs jsonb)
returns table (inserted integer)
language plpgsql
volatile
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
-- Hash aggregation for every grouping set of the rollups (0004); the upsert's
-- ORDER BY, the lock order, still sorts.
set enable_sort = off
as $$
#variable_conflict use_column
declare
  v_inserted integer;
  v_repeated uuid[];
begin
  perform pg_advisory_xact_lock_shared(iris_rollup_lock_key(p_project_id));

  -- One statement: the raw rows, then the hourly and daily rollups of exactly
  -- the rows inserted (RETURNING), so a batch is stored whole (both) or not at
  -- all, and a run whose id is already stored reaches neither. Any element
  -- that fails a type conversion or a CHECK constraint fails the batch.
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
      cost_usd numeric,
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
      cost_usd, latency_ms, confidence, outcome, error_type, metadata, created_at
    )
    select
      coalesce(r.id, gen_random_uuid()), p_project_id, r.expert_id, r.agent_id, r.model, r.prompt_version,
      r.input_tokens, r.output_tokens, r.cost_usd, r.latency_ms, r.confidence, r.outcome, r.error_type,
      coalesce(r.metadata, '{}'::jsonb), coalesce(r.created_at, now())
    from given r
    -- A repeated id, in this batch or an earlier one, is stored once: the first wins.
    on conflict (id) do nothing
    returning id, created_at, model, expert_id, agent_id, prompt_version, outcome,
      input_tokens, output_tokens, cost_usd, latency_ms, confidence
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
  'Inserts a JSON array of runs into the project (each with an optional client id; a run whose id is '
  'already stored is skipped) and adds exactly the inserted runs to its hourly and daily rollups in one '
  'statement; returns how many were inserted (the rest of the array were duplicates). Atomic: one bad element, or '
  'an id used by another project (23505), fails the whole batch. Writes model_runs_pkey (the conflict '
  'arbiter), model_runs_project_created_idx and run_rollups_pkey (rows locked in key order).';

-- ------------------------------------------------------------- write_once --

create or replace function public.write_once(
  p_scope text,
  p_key_hash text,
  p_fingerprint text,
  p_ttl_seconds integer,
  p_rpc text,
  p_args jsonb,
  p_sealed text
)
returns table (outcome text, result jsonb, sealed text, first_seen_at timestamptz)
language plpgsql
volatile
set search_path = public
set jit = off
as $$
#variable_conflict use_column
declare
  v_found idempotency_keys%rowtype;
  v_call text;
  v_result jsonb;
begin
  -- Only Iris's own write functions, never anything a caller names.
  if p_rpc is null or not (p_rpc = any (array[
    'ingest_runs', 'create_report', 'record_reflexion', 'upsert_expert_signature', 'increment_expert_usage',
    'create_project', 'create_api_key', 'revoke_api_key', 'rotate_api_key'
  ])) then
    raise exception 'write_once does not call %', coalesce(p_rpc, 'null') using errcode = '22023';
  end if;
  if p_ttl_seconds is null or p_ttl_seconds not between 60 and 604800 then
    raise exception 'p_ttl_seconds must be between 60 and 604800' using errcode = '22023';
  end if;

  -- Held until this transaction ends: a second request with the key while the
  -- first runs is told so at once instead of waiting for it.
  if not pg_try_advisory_xact_lock(hashtextextended('iris.idempotency:' || p_scope || ':' || p_key_hash, 0)) then
    return query select 'in_flight'::text, null::jsonb, null::text, null::timestamptz;
    return;
  end if;

  -- A new snapshot: a first request that committed just before the lock was
  -- granted is visible here.
  select * into v_found
  from idempotency_keys k
  where k.scope = p_scope and k.key_hash = p_key_hash and k.expires_at > now();
  if found then
    if v_found.fingerprint = p_fingerprint then
      return query select 'replayed'::text, v_found.result, v_found.sealed, v_found.created_at;
    else
      return query select 'mismatch'::text, null::jsonb, null::text, v_found.created_at;
    end if;
    return;
  end if;

  -- Named arguments from p_args, each cast to the parameter's declared type
  -- (names and types from the catalog; values only ever travel as $1).
  select string_agg(
           format('%I => %s', a.name,
             case when a.type = 'jsonb'::regtype then format('$1 -> %L', a.name)
                  else format('($1 ->> %L)::%s', a.name, format_type(a.type, null)) end),
           ', ' order by a.ord)
  into v_call
  from pg_proc p
  cross join lateral unnest(p.proargnames[1:p.pronargs], p.proargtypes::oid[]) with ordinality as a (name, type, ord)
  where p.pronamespace = 'public'::regnamespace and p.proname = p_rpc;

  execute format('select coalesce(jsonb_agg(to_jsonb(r)), ''[]''::jsonb) from (select * from public.%I(%s)) r', p_rpc, v_call)
  into v_result
  using p_args;

  -- Under the lock, a row still here has expired: the key starts a new life.
  insert into idempotency_keys as k (scope, key_hash, fingerprint, rpc, result, sealed, created_at, expires_at)
  values (p_scope, p_key_hash, p_fingerprint, p_rpc, v_result, p_sealed, now(), now() + make_interval(secs => p_ttl_seconds))
  on conflict (scope, key_hash) do update set
    fingerprint = excluded.fingerprint,
    rpc = excluded.rpc,
    result = excluded.result,
    sealed = excluded.sealed,
    created_at = excluded.created_at,
    expires_at = excluded.expires_at;

  return query select 'stored'::text, v_result, p_sealed, now();
end;
$$;

comment on function public.write_once(text, text, text, integer, text, jsonb, text) is
  'Runs the write function p_rpc (one of Iris''s nine writes) with the named arguments in p_args at most '
  'once per (p_scope, p_key_hash) within p_ttl_seconds, storing its rows in the same transaction. Returns '
  'one row: outcome stored (it ran now; result = its rows as to_jsonb renders them), replayed (same '
  'fingerprint seen before: the stored rows and sealed text), mismatch (another fingerprint under this key: '
  'nothing ran) or in_flight (the key''s first request is still running: nothing ran). Served by '
  'idempotency_keys_pkey, then by whatever index serves p_rpc.';

-- -------------------------------------------------------------- retention --

create or replace function public.iris_retention_days(p_settings jsonb, p_field text)
returns integer
language sql
immutable
parallel safe
as $$
  -- A whole number of days from settings.retention.<field> when it is one in
  -- 7..3650, else the default (lib/lifecycle/retention-settings.ts has the
  -- same numbers): runsDays 400, the backfill window; rollupsDays 800. Rollups
  -- are never kept for less time than the raw runs they summarise.
  with v as (
    select
      case when jsonb_typeof(p_settings #> '{retention,runsDays}') = 'number'
            and (p_settings #>> '{retention,runsDays}') ~ '^[0-9]{1,4}$'
            and (p_settings #>> '{retention,runsDays}')::integer between 7 and 3650
           then (p_settings #>> '{retention,runsDays}')::integer else 400 end as runs,
      case when jsonb_typeof(p_settings #> '{retention,rollupsDays}') = 'number'
            and (p_settings #>> '{retention,rollupsDays}') ~ '^[0-9]{1,4}$'
            and (p_settings #>> '{retention,rollupsDays}')::integer between 7 and 3650
           then (p_settings #>> '{retention,rollupsDays}')::integer else 800 end as rollups
  )
  select case p_field when 'runsDays' then v.runs when 'rollupsDays' then greatest(v.rollups, v.runs) end
  from v;
$$;

comment on function public.iris_retention_days(jsonb, text) is
  'Returns the project''s retention in days for p_field (runsDays or rollupsDays) from its settings, with '
  'the defaults 400 and 800 for a missing or invalid value, and rollupsDays never below runsDays; null for '
  'another field. Pure.';

-- The batch size of the delete functions: p_limit within 1..50000, 5000 when null.
create or replace function public.iris_batch_limit(p_limit integer)
returns integer
language sql
immutable
parallel safe
as $$
  select least(greatest(coalesce(p_limit, 5000), 1), 50000);
$$;

comment on function public.iris_batch_limit(integer) is
  'Returns p_limit clamped to 1..50000, or 5000 when it is null: the batch size of the delete_expired_* functions. Pure.';

create or replace function public.delete_expired_runs(p_limit integer)
returns table (deleted integer)
language sql
volatile
set search_path = public
set jit = off
as $$
  -- Oldest first within each project; rows a concurrent sweep holds are
  -- skipped, so two sweeps share the work instead of queueing.
  with doomed as (
    select m.id
    from projects p
    cross join lateral (
      select m.id
      from model_runs m
      where m.project_id = p.id
        and m.created_at < now() - make_interval(days => iris_retention_days(p.settings, 'runsDays'))
      order by m.created_at
      limit iris_batch_limit(p_limit)
      for update of m skip locked
    ) m
    limit iris_batch_limit(p_limit)
  ),
  gone as (
    delete from model_runs m
    using doomed d
    where m.id = d.id
    returning 1
  )
  select count(*)::integer from gone;
$$;

comment on function public.delete_expired_runs(integer) is
  'Deletes up to p_limit (1..50000, default 5000) raw runs older than their project''s '
  'settings.retention.runsDays (default 400), oldest first, skipping rows locked by another transaction; '
  'returns how many it deleted (fewer than p_limit: nothing more is due now). Served by a range scan of '
  'model_runs_project_created_idx per project, and model_runs_pkey for the delete.';

create or replace function public.delete_expired_rollups(p_limit integer)
returns table (deleted integer)
language sql
volatile
set search_path = public
set jit = off
as $$
  -- A bucket goes once it has ended before the cutoff, so a day still partly
  -- inside the retention keeps its daily row. Rows an ingest is updating are
  -- skipped (an ingest never touches buckets that old, but the sweep must not
  -- wait if one does).
  with doomed as (
    select r.project_id, r.dimension, r.grain, r.bucket_start, r.value
    from projects p
    cross join lateral unnest(iris_rollup_dimensions()) as d (dimension)
    cross join lateral (values ('hour', interval '1 hour'), ('day', interval '1 day')) as g (grain, width)
    cross join lateral (
      select r.project_id, r.dimension, r.grain, r.bucket_start, r.value
      from run_rollups r
      where r.project_id = p.id
        and r.dimension = d.dimension
        and r.grain = g.grain
        and r.bucket_start <= now() - make_interval(days => iris_retention_days(p.settings, 'rollupsDays')) - g.width
      order by r.bucket_start
      limit iris_batch_limit(p_limit)
      for update of r skip locked
    ) r
    limit iris_batch_limit(p_limit)
  ),
  gone as (
    delete from run_rollups t
    using doomed d
    where t.project_id = d.project_id and t.dimension = d.dimension and t.grain = d.grain
      and t.bucket_start = d.bucket_start and t.value = d.value
    returning 1
  )
  select count(*)::integer from gone;
$$;

comment on function public.delete_expired_rollups(integer) is
  'Deletes up to p_limit (1..50000, default 5000) hourly and daily rollup rows whose bucket ended more '
  'than their project''s settings.retention.rollupsDays (default 800, at least runsDays) ago, oldest '
  'first, skipping rows locked by another transaction; returns how many it deleted. Served by range scans '
  'of run_rollups_pkey on (project_id, dimension, grain, bucket_start).';

create or replace function public.delete_expired_idempotency_keys(p_limit integer)
returns table (deleted integer)
language sql
volatile
set search_path = public
as $$
  with doomed as (
    select k.scope, k.key_hash
    from idempotency_keys k
    where k.expires_at <= now()
    order by k.expires_at
    limit iris_batch_limit(p_limit)
    for update skip locked
  ),
  gone as (
    delete from idempotency_keys k
    using doomed d
    where k.scope = d.scope and k.key_hash = d.key_hash
    returning 1
  )
  select count(*)::integer from gone;
$$;

comment on function public.delete_expired_idempotency_keys(integer) is
  'Deletes up to p_limit (1..50000, default 5000) expired idempotency records, oldest first, skipping rows '
  'locked by another transaction; returns how many it deleted. Served by idempotency_keys_expires_idx, '
  'and idempotency_keys_pkey for the delete.';

-- ------------------------------------- backfill and check, within retention --

-- As in 0004, except that a day that began before the project's raw-run
-- cutoff is left alone: its raw runs may be partly deleted, and rebuilding
-- from them would erase rollups that retention means to keep.
create or replace function public.backfill_run_rollups(p_project_id uuid, p_day timestamptz)
returns table (runs bigint, rollup_rows integer)
language plpgsql
volatile
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
-- Hash aggregation of a day's runs (0004).
set enable_sort = off
as $$
#variable_conflict use_column
declare
  v_day timestamptz := date_trunc('day', p_day, 'UTC');
  v_runs bigint;
  v_rows integer;
begin
  if v_day < (
    select now() - make_interval(days => iris_retention_days(p.settings, 'runsDays'))
    from projects p where p.id = p_project_id
  ) then
    return query select 0::bigint, 0;
    return;
  end if;
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
    from (select array_agg(f) as facts from facts) b
    cross join lateral iris_rollup_rows(b.facts, iris_rollup_dimensions()) r
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
  'project while it runs. Returns the runs read and the rollup rows written; (0, 0) without touching '
  'anything for a day that began before the project''s raw-run retention cutoff.';

create or replace function public.check_run_rollups(p_project_id uuid, p_from timestamptz, p_to timestamptz)
returns table (grain text, dimension text, bucket_start timestamptz, value text, field text, rollup text, raw text)
language plpgsql
stable
set search_path = public
-- Plans of these functions are generic and their cost estimates large; JIT
-- compilation would cost more (50+ ms) than running them.
set jit = off
-- Hash aggregation of a day's runs (0004).
set enable_sort = off
as $$
#variable_conflict use_column
declare
  v_day timestamptz := date_trunc('day', p_from, 'UTC');
  -- The first whole UTC day whose raw runs retention has not touched.
  v_kept timestamptz := (
    select date_trunc('day', now() - make_interval(days => iris_retention_days(p.settings, 'runsDays')), 'UTC') + interval '1 day'
    from projects p where p.id = p_project_id
  );
begin
  if p_to - p_from > interval '400 days' then
    raise exception 'check_run_rollups checks at most 400 days at a time' using errcode = '22023';
  end if;
  v_day := greatest(v_day, coalesce(v_kept, v_day));
  -- One UTC day at a time, so memory stays bounded by one day of runs.
  while v_day < p_to loop
    return query
      with expected as (
        select r.*
        from (
          select array(
            select row(m.created_at, m.model, m.expert_id, m.agent_id, m.prompt_version, m.outcome,
                       m.input_tokens, m.output_tokens, m.cost_usd, m.latency_ms, m.confidence)::iris_run_fact
            from model_runs m
            where m.project_id = p_project_id
              and m.created_at >= v_day
              and m.created_at < v_day + interval '1 day'
          ) as facts
        ) b
        cross join lateral iris_rollup_rows(b.facts, iris_rollup_dimensions()) r
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
  'Recomputes the project''s rollups of every UTC day touching [p_from, p_to) (at most 400 days) whose raw '
  'runs are all within the project''s raw-run retention, and returns one row per field that differs from '
  'run_rollups (rollup or raw null when a row is missing on that side; histograms compared by digest). No '
  'rows means consistent. Days retention may have thinned are not compared.';

-- ------------------------------------------------------------- privileges --

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
      and p.proname in (
        'ingest_runs', 'write_once', 'iris_retention_days', 'iris_batch_limit', 'delete_expired_runs', 'delete_expired_rollups',
        'delete_expired_idempotency_keys', 'backfill_run_rollups', 'check_run_rollups'
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
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke all on table public.idempotency_keys from %I', role_name);
    end if;
  end loop;
end;
$$;
