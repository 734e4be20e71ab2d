-- 0006_operations: what an operator's health check asks the database (issue 11).
--
-- GET /api/health/detailed compares the migrations the database has applied
-- with the files the deployed code expects. On PGlite and postgres.js the
-- tracking table could be read with SQL, but on Supabase only functions are
-- reachable (PostgREST), so the list comes from one function every adapter
-- calls alike; calling it is also the health check's round trip to the
-- database. docs/observability.md ("Detailed health") has the HTTP side.
--
-- Idempotent: create or replace, and the privileges block below can run again.

-- ------------------------------------------------------------------ health --

-- Migrations are recorded by whoever applied them: `npm run db:migrate` (and
-- PGlite at start-up) in public.iris_schema_migrations, the Supabase CLI
-- (`supabase db push`) in supabase_migrations.schema_migrations as a version
-- and a name (`0001` and `schema` for 0001_schema.sql). Both are read when
-- they exist; neither exists when the files were applied with psql, and the
-- answer is then empty (the caller says the history is untracked). Dynamic
-- SQL for the CLI's table: it is not there on plain PostgreSQL or PGlite, and
-- its `name` column is missing in old CLI versions, and a role that may not
-- read its schema gets the other tracker's rows only.
create or replace function public.iris_applied_migrations()
returns table (name text, applied_at timestamptz, source text)
language plpgsql
stable
set search_path = public
as $$
begin
  if to_regclass('public.iris_schema_migrations') is not null then
    return query select m.name, m.applied_at, 'iris'::text from public.iris_schema_migrations m;
  end if;
  if to_regclass('supabase_migrations.schema_migrations') is not null and exists (
    select 1 from information_schema.columns c
    where c.table_schema = 'supabase_migrations' and c.table_name = 'schema_migrations' and c.column_name = 'name'
  ) then
    begin
      return query execute
        'select (s.version || ''_'' || s.name || ''.sql'')::text, null::timestamptz, ''supabase''::text '
        'from supabase_migrations.schema_migrations s where s.name is not null';
    exception when insufficient_privilege then
      -- A role that may not read the CLI's schema gets what the other tracker says.
      null;
    end;
  end if;
end;
$$;

comment on function public.iris_applied_migrations() is
  'The migration files recorded as applied, by npm run db:migrate (source iris, with applied_at) and by the '
  'Supabase CLI (source supabase, applied_at null): one row per file and tracker, in no order. Empty when '
  'neither tracker exists (applied with psql). Reads two small tables whole; no index needed.';

-- ------------------------------------------------------------- privileges --

-- The rule 0003 to 0005 apply with a loop each, as one function later
-- migrations can call: PUBLIC, anon and authenticated may not execute the
-- function (Supabase grants them everything in public by default, so a
-- browser holding the anon key could call it through PostgREST); the service
-- role may, where it exists. The roles do not exist on plain PostgreSQL or
-- PGlite, hence the checks.
create or replace function public.iris_server_only(p_fn regprocedure)
returns void
language plpgsql
volatile
set search_path = public
as $$
declare
  role_name text;
begin
  execute format('revoke execute on function %s from public', p_fn);
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function %s from %I', p_fn, role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    execute format('grant execute on function %s to service_role', p_fn);
  end if;
end;
$$;

comment on function public.iris_server_only(regprocedure) is
  'Makes a function callable by the server only: revokes EXECUTE from PUBLIC, anon and authenticated, grants it '
  'to service_role where those roles exist. Returns nothing; touches no table. For migrations, not for the API.';

select public.iris_server_only('public.iris_server_only(regprocedure)'::regprocedure);
select public.iris_server_only('public.iris_applied_migrations()'::regprocedure);
