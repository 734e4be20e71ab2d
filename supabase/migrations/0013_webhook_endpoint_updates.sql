-- 0013: changing a webhook endpoint in place, and retiring rotated secrets.
--
-- PATCH /api/iris/webhooks/{id} changes an enabled endpoint's URL, event
-- types or description without a new endpoint: its id, signing secret and
-- delivery log stay. Deliveries read the URL when they are claimed
-- (claim_webhook_deliveries, 0007), so pending deliveries and retries go to
-- the new URL; events already queued for the endpoint are still delivered
-- after their type is unsubscribed, and new events follow the new types.
--
-- A previous signing secret (0012) is never used after its overlap; the
-- webhooks cron now also clears it from the row once the overlap has ended,
-- so no sealed secret is kept longer than it signs.
--
-- Idempotent: create or replace, on conflict do nothing.

create or replace function public.update_webhook_endpoint(p_project_id uuid, p_id uuid, p_changes jsonb)
returns table (
  id uuid,
  url text,
  description text,
  event_types text[],
  created_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  if jsonb_typeof(p_changes) is distinct from 'object' then
    raise exception 'p_changes must be a JSON object' using errcode = '22023';
  end if;
  if p_changes ? 'url' and jsonb_typeof(p_changes -> 'url') is distinct from 'string' then
    raise exception 'p_changes.url must be a string' using errcode = '22023';
  end if;
  if p_changes ? 'description' and jsonb_typeof(p_changes -> 'description') not in ('string', 'null') then
    raise exception 'p_changes.description must be a string or null' using errcode = '22023';
  end if;
  if p_changes ? 'event_types' and jsonb_typeof(p_changes -> 'event_types') is distinct from 'array' then
    raise exception 'p_changes.event_types must be a JSON array of event types' using errcode = '22023';
  end if;
  -- Only the fields present in p_changes change, only on an enabled endpoint of the caller's project.
  return query
    update webhook_endpoints e set
      url = case when p_changes ? 'url' then p_changes ->> 'url' else e.url end,
      description = case when p_changes ? 'description' then p_changes ->> 'description' else e.description end,
      event_types = case when p_changes ? 'event_types'
                         then array(select distinct t from jsonb_array_elements_text(p_changes -> 'event_types') as t order by t)
                         else e.event_types end
    where e.id = p_id
      and e.project_id = p_project_id
      and e.disabled_at is null
    returning e.id, e.url, e.description, e.event_types, e.created_at, e.disabled_at, e.disabled_reason;
end;
$$;

comment on function public.update_webhook_endpoint(uuid, uuid, jsonb) is
  'Changes the fields named in p_changes (url, description: a string or null to clear it, event_types: a '
  'JSON array, stored sorted and distinct) of the project''s enabled endpoint p_id; the id, secret and '
  'delivery log stay. Returns the endpoint without its secret, or no row when it is not the project''s or '
  'is disabled. 22023 for a malformed p_changes, 23514 for a value the table refuses. Served by '
  'webhook_endpoints_pkey.';

create or replace function public.retire_expired_webhook_secrets(p_limit integer)
returns table (retired integer)
language sql
volatile
set search_path = public
as $$
  -- Only endpoints with a previous secret can match: few rows, found by a scan
  -- of a table capped at 20 enabled endpoints per project.
  with doomed as (
    select e.id
    from webhook_endpoints e
    where e.previous_secret_expires_at is not null
      and e.previous_secret_expires_at <= now()
    order by e.previous_secret_expires_at
    limit iris_batch_limit(p_limit)
    for update skip locked
  ),
  cleared as (
    update webhook_endpoints e
       set previous_secret_ciphertext = null, previous_secret_expires_at = null
      from doomed
     where e.id = doomed.id
    returning 1
  )
  select count(*)::integer from cleared;
$$;

comment on function public.retire_expired_webhook_secrets(integer) is
  'Clears the sealed previous signing secret of up to p_limit (1..50000, default 5000) endpoints whose '
  'rotation overlap has ended, oldest first, skipping rows locked by another transaction; returns how '
  'many it cleared. Called by the webhooks cron. A previous secret is never used after its overlap '
  '(webhook_previous_secrets), so clearing it changes no delivery.';

insert into public.write_once_functions (name, added_in)
values ('update_webhook_endpoint', '0013_webhook_endpoint_updates')
on conflict (name) do nothing;

do $$
declare
  fn regprocedure;
  role_name text;
begin
  foreach fn in array array[
    'public.update_webhook_endpoint(uuid, uuid, jsonb)'::regprocedure,
    'public.retire_expired_webhook_secrets(integer)'::regprocedure
  ] loop
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
end;
$$;
