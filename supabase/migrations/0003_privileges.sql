-- 0003_privileges: only the server calls Iris functions and reads its tables.
--
-- Functions are executable by PUBLIC by default, and Supabase also grants
-- anon and authenticated everything in the public schema, which would let a
-- browser holding the anon key call ingest_runs through PostgREST. Revoke both;
-- grant the service role back where it exists. The roles do not exist on plain
-- PostgreSQL or PGlite, hence the checks. Idempotent.

do $$
declare
  fn regprocedure;
  tbl regclass;
  role_name text;
begin
  for fn in
    select p.oid::regprocedure
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public'
      and p.proname in (
        'verify_api_key', 'create_api_key', 'revoke_api_key', 'rotate_api_key', 'list_api_keys', 'record_key_usage',
        'create_project', 'list_projects', 'get_project',
        'ingest_runs', 'list_runs', 'get_project_overview', 'get_token_stats', 'get_performance_stats',
        'list_experts', 'upsert_expert_signature', 'increment_expert_usage',
        'record_reflexion', 'list_reflexions', 'create_report', 'list_reports'
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

  -- RLS (0001) already hides every row from these roles; revoking the table
  -- privileges as well means a missing policy can never expose data.
  for tbl in
    select c.oid::regclass
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public'
      and c.relkind = 'r'
      and c.relname in ('projects', 'api_keys', 'model_runs', 'expert_signatures', 'reflexions', 'iris_reports')
  loop
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table %s from %I', tbl, role_name);
      end if;
    end loop;
  end loop;
end;
$$;
