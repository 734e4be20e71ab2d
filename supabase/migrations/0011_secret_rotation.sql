-- 0011: rotation of IRIS_ENCRYPTION_KEY.
--
-- Webhook signing secrets are stored sealed under IRIS_ENCRYPTION_KEY
-- (lib/webhooks/secret-box.ts). To rotate it, an operator sets the new key
-- there and keeps the old one in IRIS_ENCRYPTION_KEY_PREVIOUS: secrets sealed
-- under the old key still open, and Iris seals each one again under the new
-- key when it next reads it (a delivery). This function stores that new
-- value, only if the stored one is still the value that was read, so a
-- concurrent re-seal, or an endpoint deleted meanwhile, is never overwritten.

create or replace function public.reseal_webhook_secret(
  p_project_id uuid,
  p_endpoint_id uuid,
  p_sealed_before text,
  p_sealed_after text
)
returns table (resealed boolean)
language sql
volatile
set search_path = public
as $$
  with changed as (
    update webhook_endpoints e
       set secret_ciphertext = p_sealed_after
     where e.project_id = p_project_id
       and e.id = p_endpoint_id
       and e.secret_ciphertext = p_sealed_before
    returning 1
  )
  select exists (select 1 from changed);
$$;

comment on function public.reseal_webhook_secret(uuid, uuid, text, text) is
  'Replaces the project''s endpoint''s sealed secret p_sealed_before with p_sealed_after (the same secret '
  'sealed under the current IRIS_ENCRYPTION_KEY). Compare-and-set: returns resealed = false and changes '
  'nothing when the stored value is no longer p_sealed_before or the endpoint is not the project''s. '
  'Served by webhook_endpoints_pkey.';

do $$
declare
  role_name text;
begin
  revoke execute on function public.reseal_webhook_secret(uuid, uuid, text, text) from public;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function public.reseal_webhook_secret(uuid, uuid, text, text) from %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function public.reseal_webhook_secret(uuid, uuid, text, text) to service_role;
  end if;
end;
$$;
