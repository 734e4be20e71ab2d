-- 0012: rotation of a webhook endpoint's signing secret, without downtime.
--
-- POST /api/iris/webhooks/{id}/rotate-secret gives the endpoint a new whsec_
-- secret. For an overlap (24 h unless the caller says otherwise, at most
-- 7 days) the old one stays too, and every delivery is signed with both:
-- Standard Webhooks lets `webhook-signature` carry several space-delimited
-- signatures for exactly this, and a receiver accepts a delivery when any one
-- verifies. The receiver can switch to the new secret at any time in the
-- overlap; after it, deliveries carry the new signature only.
--
-- Both values are sealed under IRIS_ENCRYPTION_KEY like the secret itself
-- (0007). Only one previous secret is kept: rotating again during an overlap
-- retires the oldest at once.

alter table public.webhook_endpoints
  add column if not exists previous_secret_ciphertext text
    check (length(previous_secret_ciphertext) between 1 and 1024),
  add column if not exists previous_secret_expires_at timestamptz;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'webhook_endpoints_previous_secret_check') then
    alter table public.webhook_endpoints
      add constraint webhook_endpoints_previous_secret_check
      check ((previous_secret_ciphertext is null) = (previous_secret_expires_at is null));
  end if;
end;
$$;

create or replace function public.rotate_webhook_secret(
  p_project_id uuid,
  p_id uuid,
  p_secret_ciphertext text,
  p_overlap_seconds integer
)
returns table (
  id uuid,
  url text,
  description text,
  event_types text[],
  created_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  secret_ciphertext text,
  previous_secret_expires_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  if p_overlap_seconds is null or p_overlap_seconds not between 0 and 604800 then
    raise exception 'p_overlap_seconds must be between 0 and 604800' using errcode = '22023';
  end if;
  return query
    update webhook_endpoints e
       set previous_secret_ciphertext = case when p_overlap_seconds > 0 then e.secret_ciphertext end,
           previous_secret_expires_at = case when p_overlap_seconds > 0 then now() + make_interval(secs => p_overlap_seconds) end,
           secret_ciphertext = p_secret_ciphertext
     where e.project_id = p_project_id
       and e.id = p_id
       and e.disabled_at is null
    returning e.id, e.url, e.description, e.event_types, e.created_at, e.disabled_at, e.disabled_reason,
      e.secret_ciphertext, e.previous_secret_expires_at;
end;
$$;

comment on function public.rotate_webhook_secret(uuid, uuid, text, integer) is
  'Replaces the project''s enabled endpoint''s sealed signing secret with p_secret_ciphertext. With '
  'p_overlap_seconds > 0 (at most 604800) the old secret stays as the previous one until now() plus the '
  'overlap, and deliveries are signed with both; with 0 it is retired at once. A previous secret still in '
  'its overlap is dropped. Returns the endpoint with the new sealed secret (so an idempotent replay can '
  'show it again); no row when the endpoint is not the project''s or is disabled. Served by webhook_endpoints_pkey.';

-- The previous secrets of the endpoints a deliverer has just claimed
-- deliveries for, while their overlap lasts: claim_webhook_deliveries (0007)
-- keeps its shape, so every migration file can run again in order.
create or replace function public.webhook_previous_secrets(p_endpoint_ids jsonb, p_now timestamptz)
returns table (endpoint_id uuid, previous_secret_ciphertext text)
language sql
stable
set search_path = public
as $$
  select e.id, e.previous_secret_ciphertext
  from webhook_endpoints e
  where e.id in (select value::uuid from jsonb_array_elements_text(p_endpoint_ids))
    and e.previous_secret_ciphertext is not null
    and e.previous_secret_expires_at > greatest(p_now, now());
$$;

comment on function public.webhook_previous_secrets(jsonb, timestamptz) is
  'Returns the sealed previous signing secret of each endpoint id in the JSON array p_endpoint_ids whose rotation overlap lasts past p_now '
  'or the database''s now(), whichever is later (the clock claim_webhook_deliveries goes by); no row for the '
  'others. For the deliverer, which signs each claimed delivery with both secrets during the overlap. Served by '
  'webhook_endpoints_pkey.';

insert into public.write_once_functions (name, added_in)
values ('rotate_webhook_secret', '0012_webhook_secret_rotation')
on conflict (name) do nothing;

do $$
declare
  fn regprocedure;
  role_name text;
begin
  foreach fn in array array[
    'public.rotate_webhook_secret(uuid, uuid, text, integer)'::regprocedure,
    'public.webhook_previous_secrets(jsonb, timestamptz)'::regprocedure
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
