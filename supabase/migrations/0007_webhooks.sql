-- 0007_webhooks: signed webhooks from a durable outbox (issue 12).
--
-- A webhook that must not be lost is a row first and a request second. A
-- producer (the budgets engine, inside its own transaction) calls
-- enqueue_webhook_event: the event is stored once per (project, dedupe key)
-- in webhook_events, and one row per enabled endpoint subscribed to its type
-- goes into webhook_deliveries, in the same transaction as whatever made the
-- event happen. Nothing is sent from SQL. Deliverers (lib/webhooks, after the
-- write through waitUntil, and the GET /api/cron/webhooks cron route) claim
-- due deliveries with FOR UPDATE SKIP LOCKED, so two instances never send the
-- same attempt, send them signed (Standard Webhooks), and record each
-- attempt's outcome with record_webhook_attempt.
--
-- Times of the queue come from the caller (p_now, p_at, p_next_attempt_at;
-- a claim never goes by a clock behind the database's now(), so a delivery
-- queued a moment ago is due at once): the retry schedule is TypeScript's
-- judgement (lib/webhooks/schedule.ts: exponential from 30 s, doubling,
-- capped at 4 h, +-20% jitter, the last attempt at most 24 h after the
-- delivery was queued, at most 15 attempts), and tests move a clock instead
-- of sleeping. A claim is a lease: the delivery is 'delivering' until the
-- claim's time + p_lease_seconds, after which another claim may take it again
-- (an instance that froze mid-send loses nothing; the attempt it may have
-- made still counts). A stale deliverer cannot overwrite a newer attempt:
-- record_webhook_attempt only updates the attempt it names.
--
-- Bounded: at most 20 enabled endpoints per project, 1,000 live (pending or
-- delivering) deliveries per endpoint (further ones are stored as failed
-- with the reason, never silently dropped), payloads up to 64 KiB, and events
-- (with their deliveries) are deleted 90 days after they were created by
-- delete_expired_webhook_events: a dedupe key holds for those 90 days.
--
-- Secrets: webhook_endpoints.secret_ciphertext is the endpoint's whsec_
-- secret encrypted by the API (AES-256-GCM under IRIS_ENCRYPTION_KEY, bound
-- to the project and endpoint id); the database never sees the plaintext or
-- the key.
--
-- write_once (0005) runs only the write functions it knows; that list becomes
-- a table here (write_once_functions) so each domain's migration adds its
-- writes with one INSERT instead of replacing write_once again.
--
-- Idempotent: create ... if not exists, create or replace, on conflict do nothing.

-- -------------------------------------------------------------- endpoints --

create table if not exists public.webhook_endpoints (
  -- Chosen by the API, which binds the encrypted secret to it.
  id uuid primary key,
  project_id uuid not null references public.projects (id) on delete cascade,
  -- Checked by the API's SSRF guard before it gets here (and again at every delivery).
  url text not null check (length(url) between 10 and 2048 and url ~ '^https?://'),
  description text check (length(description) <= 256),
  -- Standard Webhooks event types: full-stop delimited lowercase identifiers.
  event_types text[] not null check (
    cardinality(event_types) between 1 and 16
    and array_to_string(event_types, ',', '') ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+(,[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)*$'
  ),
  secret_ciphertext text not null check (length(secret_ciphertext) between 1 and 1024),
  created_at timestamptz not null default now(),
  disabled_at timestamptz,
  -- deleted: DELETE /api/iris/webhooks/{id}; gone: the receiver answered 410 Gone.
  disabled_reason text check (disabled_reason in ('deleted', 'gone')),
  constraint webhook_endpoints_disabled_check check ((disabled_at is null) = (disabled_reason is null))
);

-- list_webhook_endpoints (keyset, newest first), get_webhook_endpoint, the endpoint cap and the fan-out.
create index if not exists webhook_endpoints_project_created_idx
  on public.webhook_endpoints (project_id, created_at desc, id desc);

alter table public.webhook_endpoints enable row level security;

comment on table public.webhook_endpoints is
  'Webhook endpoints of a project: URL, subscribed event types, the signing secret encrypted by the API '
  '(never the plaintext), and when and why it was disabled. Disabled endpoints stay, with their delivery log.';

-- ----------------------------------------------------------------- outbox --

create table if not exists public.webhook_events (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  type text not null check (length(type) <= 64 and type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  -- The event's data (the body's "data" member); the API adds type and timestamp around it.
  payload jsonb not null check (jsonb_typeof(payload) = 'object' and octet_length(payload::text) <= 65536),
  -- Null: no deduplication (test events). Otherwise the event exists once per project and key.
  dedupe_key text check (length(dedupe_key) between 1 and 256),
  created_at timestamptz not null default now(),
  constraint webhook_events_dedupe_key_key unique (project_id, dedupe_key)
);

-- delete_expired_webhook_events: oldest first.
create index if not exists webhook_events_created_idx on public.webhook_events (created_at);

alter table public.webhook_events enable row level security;

comment on table public.webhook_events is
  'The outbox: one row per event a project''s webhooks announce, at most once per (project_id, dedupe_key); '
  'kept 90 days.';

create table if not exists public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  event_id uuid not null references public.webhook_events (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivering', 'succeeded', 'failed')),
  -- Attempts started (claims), the one in flight included.
  attempts integer not null default 0 check (attempts between 0 and 1000),
  -- pending: when it is due; delivering: when the claim's lease ends; null once finished.
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  last_status integer check (last_status between 100 and 599),
  last_error text check (length(last_error) <= 512),
  -- The start of the receiver's last response body.
  last_response text check (length(last_response) <= 1024),
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  constraint webhook_deliveries_event_endpoint_key unique (event_id, endpoint_id),
  constraint webhook_deliveries_live_check check ((status in ('pending', 'delivering')) = (next_attempt_at is not null)),
  constraint webhook_deliveries_done_check check ((status in ('succeeded', 'failed')) = (completed_at is not null))
);

-- claim_webhook_deliveries and webhook_backlog: live deliveries by when they are due.
create index if not exists webhook_deliveries_due_idx
  on public.webhook_deliveries (next_attempt_at) where status in ('pending', 'delivering');
-- list_webhook_deliveries: the delivery log of an endpoint, newest first.
create index if not exists webhook_deliveries_endpoint_created_idx
  on public.webhook_deliveries (endpoint_id, created_at desc, id desc);
-- The per-endpoint backlog cap and disable_webhook_endpoint: an endpoint's live deliveries.
create index if not exists webhook_deliveries_endpoint_live_idx
  on public.webhook_deliveries (endpoint_id) where status in ('pending', 'delivering');

alter table public.webhook_deliveries enable row level security;

comment on table public.webhook_deliveries is
  'One row per (event, endpoint): the delivery''s state, attempts, when the next attempt is due, and the '
  'last attempt''s status, error and response start. Readable per endpoint as the delivery log.';

-- ---------------------------------------------------------------- fan-out --

-- Deliveries of one event: to p_endpoint_id alone when given (a test send,
-- whatever it subscribes to), else to every enabled endpoint of the project
-- subscribed to p_type. An endpoint with 1,000 live deliveries gets this one
-- as failed, with the reason, so the queue stays bounded and nothing vanishes.
create or replace function public.iris_webhook_fan_out(p_project_id uuid, p_event_id uuid, p_type text, p_endpoint_id uuid)
returns table (delivery_id uuid)
language sql
volatile
set search_path = public
as $$
  insert into webhook_deliveries as d (project_id, event_id, endpoint_id, status, next_attempt_at, last_error, completed_at)
  select p_project_id, p_event_id, e.id,
    case when b.full then 'failed' else 'pending' end,
    case when b.full then null else now() end,
    case when b.full then 'not sent: the endpoint already has 1000 deliveries waiting' end,
    case when b.full then now() end
  from webhook_endpoints e
  cross join lateral (
    select count(*) >= 1000 as full
    from (select 1 from webhook_deliveries l where l.endpoint_id = e.id and l.status in ('pending', 'delivering') limit 1000) l
  ) b
  where e.project_id = p_project_id
    and e.disabled_at is null
    and (case when p_endpoint_id is null then p_type = any (e.event_types) else e.id = p_endpoint_id end)
  returning d.id;
$$;

comment on function public.iris_webhook_fan_out(uuid, uuid, text, uuid) is
  'Inserts the deliveries of event p_event_id: to p_endpoint_id alone when given, else to every enabled '
  'endpoint of the project subscribed to p_type; a delivery to an endpoint with 1000 live deliveries is '
  'stored as failed. Returns the new delivery ids. Internal to enqueue_webhook_event and send_test_webhook. '
  'Served by webhook_endpoints_project_created_idx and webhook_deliveries_endpoint_live_idx.';

create or replace function public.enqueue_webhook_event(p_project_id uuid, p_type text, p_payload jsonb, p_dedupe_key text)
returns table (event_id uuid, deliveries integer)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_event uuid;
begin
  -- A concurrent call with the same key waits here for the first one's
  -- transaction, then inserts nothing: the event exists once per key.
  insert into webhook_events (project_id, type, payload, dedupe_key)
  values (p_project_id, p_type, coalesce(p_payload, '{}'::jsonb), p_dedupe_key)
  on conflict (project_id, dedupe_key) do nothing
  returning id into v_event;
  if v_event is null then
    return;
  end if;
  return query select v_event, (select count(*)::integer from iris_webhook_fan_out(p_project_id, v_event, p_type, null));
end;
$$;

comment on function public.enqueue_webhook_event(uuid, text, jsonb, text) is
  'For event producers, inside their own transaction: stores the event (type: full-stop delimited lowercase '
  'identifiers; p_payload: a JSON object up to 64 KiB, the body''s "data") once per (p_project_id, '
  'p_dedupe_key), and one pending delivery per enabled endpoint of the project subscribed to p_type. Returns '
  'one row (event_id, deliveries: how many deliveries were queued, 0 with no subscriber) when the event is new, '
  'and no row when an event with this dedupe key already exists (nothing is written). A null p_dedupe_key '
  'never deduplicates. Fails with 23503 for an unknown project and 23514 for a malformed type or payload. '
  'Served by webhook_events_dedupe_key_key (the conflict arbiter), then as iris_webhook_fan_out.';

create or replace function public.send_test_webhook(p_project_id uuid, p_endpoint_id uuid)
returns table (event_id uuid, delivery_id uuid)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_event uuid;
begin
  if not exists (
    select 1 from webhook_endpoints e where e.id = p_endpoint_id and e.project_id = p_project_id and e.disabled_at is null
  ) then
    return;
  end if;
  insert into webhook_events (project_id, type, payload)
  values (p_project_id, 'webhook.test', jsonb_build_object('endpointId', p_endpoint_id, 'message', 'A test event sent from Iris.'))
  returning id into v_event;
  return query select v_event, f.delivery_id from iris_webhook_fan_out(p_project_id, v_event, 'webhook.test', p_endpoint_id) f;
end;
$$;

comment on function public.send_test_webhook(uuid, uuid) is
  'Queues one webhook.test event to the project''s enabled endpoint p_endpoint_id (whatever types it '
  'subscribes to). Returns (event_id, delivery_id), or no row when the endpoint is not the project''s or is '
  'disabled. Served by webhook_endpoints_pkey, then as iris_webhook_fan_out.';

-- -------------------------------------------------------------- endpoints --

create or replace function public.create_webhook_endpoint(
  p_project_id uuid,
  p_id uuid,
  p_url text,
  p_description text,
  p_event_types jsonb,
  p_secret_ciphertext text
)
returns table (
  id uuid,
  url text,
  description text,
  event_types text[],
  created_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  secret_ciphertext text
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
begin
  if jsonb_typeof(p_event_types) is distinct from 'array' then
    raise exception 'p_event_types must be a JSON array of event types' using errcode = '22023';
  end if;
  -- Creations in one project take turns, so the cap holds under concurrency.
  perform pg_advisory_xact_lock(hashtextextended('iris.webhook_endpoints:' || p_project_id::text, 0));
  if (select count(*) from webhook_endpoints e where e.project_id = p_project_id and e.disabled_at is null) >= 20 then
    return;
  end if;
  return query
    insert into webhook_endpoints as e (id, project_id, url, description, event_types, secret_ciphertext)
    values (
      p_id, p_project_id, p_url, p_description,
      array(select distinct t from jsonb_array_elements_text(p_event_types) as t order by t),
      p_secret_ciphertext
    )
    returning e.id, e.url, e.description, e.event_types, e.created_at, e.disabled_at, e.disabled_reason, e.secret_ciphertext;
end;
$$;

comment on function public.create_webhook_endpoint(uuid, uuid, text, text, jsonb, text) is
  'Creates an endpoint with the given id, URL, description, event types (a JSON array; stored sorted and '
  'distinct) and encrypted secret. Returns it with secret_ciphertext (the only function that does, so the '
  'API can show the secret once, and again on an Idempotency-Key replay); no row when the project already '
  'has 20 enabled endpoints. 23505 for a taken id, 23503 for an unknown project, 23514 for a value the '
  'table refuses. Served by webhook_endpoints_project_created_idx.';

create or replace function public.list_webhook_endpoints(
  p_project_id uuid,
  p_limit integer,
  p_before_created_at timestamptz,
  p_before_id uuid
)
returns table (
  id uuid,
  url text,
  description text,
  event_types text[],
  created_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text
)
language sql
stable
set search_path = public
as $$
  select e.id, e.url, e.description, e.event_types, e.created_at, e.disabled_at, e.disabled_reason
  from webhook_endpoints e
  where e.project_id = p_project_id
    and (e.created_at, e.id) < (
      coalesce(p_before_created_at, 'infinity'::timestamptz),
      coalesce(p_before_id, '00000000-0000-0000-0000-000000000000'::uuid)
    )
  order by e.created_at desc, e.id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 1000);
$$;

comment on function public.list_webhook_endpoints(uuid, integer, timestamptz, uuid) is
  'Returns up to p_limit (1..1000, default 50) endpoints of the project, disabled ones included, newest '
  'first, strictly before the (p_before_created_at, p_before_id) cursor when given; never the secret. '
  'Served by webhook_endpoints_project_created_idx.';

create or replace function public.get_webhook_endpoint(p_project_id uuid, p_id uuid)
returns table (
  id uuid,
  url text,
  description text,
  event_types text[],
  created_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text
)
language sql
stable
set search_path = public
as $$
  select e.id, e.url, e.description, e.event_types, e.created_at, e.disabled_at, e.disabled_reason
  from webhook_endpoints e
  where e.id = p_id and e.project_id = p_project_id;
$$;

comment on function public.get_webhook_endpoint(uuid, uuid) is
  'Returns the project''s endpoint p_id without its secret, or no row when it is not the project''s. '
  'Served by webhook_endpoints_pkey.';

create or replace function public.disable_webhook_endpoint(p_project_id uuid, p_id uuid, p_reason text)
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
declare
  v_found webhook_endpoints%rowtype;
begin
  if p_reason is null or p_reason not in ('deleted', 'gone') then
    raise exception 'p_reason must be deleted or gone' using errcode = '22023';
  end if;
  -- The first disabling wins: a second call changes nothing and answers the same.
  update webhook_endpoints e
  set disabled_at = coalesce(e.disabled_at, now()), disabled_reason = coalesce(e.disabled_reason, p_reason)
  where e.id = p_id and e.project_id = p_project_id
  returning e.* into v_found;
  if not found then
    return;
  end if;
  -- Deliveries still waiting are finished as failed; one in flight finishes as its deliverer records it.
  update webhook_deliveries d
  set status = 'failed', next_attempt_at = null, completed_at = now(),
      last_error = 'not sent: the endpoint was disabled (' || v_found.disabled_reason || ')'
  where d.endpoint_id = p_id and d.status = 'pending';
  return query select v_found.id, v_found.url, v_found.description, v_found.event_types, v_found.created_at,
    v_found.disabled_at, v_found.disabled_reason;
end;
$$;

comment on function public.disable_webhook_endpoint(uuid, uuid, text) is
  'Disables the project''s endpoint p_id for p_reason (deleted or gone; the first disabling''s time and '
  'reason stay) and finishes its pending deliveries as failed. Returns the endpoint without its secret, or '
  'no row when it is not the project''s. Idempotent. Served by webhook_endpoints_pkey and '
  'webhook_deliveries_endpoint_live_idx.';

-- ------------------------------------------------------------- deliveries --

create or replace function public.list_webhook_deliveries(
  p_project_id uuid,
  p_endpoint_id uuid,
  p_limit integer,
  p_before_created_at timestamptz,
  p_before_id uuid
)
returns table (
  id uuid,
  event_id uuid,
  event_type text,
  status text,
  attempts integer,
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  last_status integer,
  last_error text,
  last_response text,
  created_at timestamptz,
  completed_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select d.id, d.event_id, v.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status,
    d.last_error, d.last_response, d.created_at, d.completed_at
  from webhook_deliveries d
  join webhook_events v on v.id = d.event_id
  where d.endpoint_id = p_endpoint_id
    and d.project_id = p_project_id
    and (d.created_at, d.id) < (
      coalesce(p_before_created_at, 'infinity'::timestamptz),
      coalesce(p_before_id, '00000000-0000-0000-0000-000000000000'::uuid)
    )
  order by d.created_at desc, d.id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 1000);
$$;

comment on function public.list_webhook_deliveries(uuid, uuid, integer, timestamptz, uuid) is
  'The delivery log of the project''s endpoint p_endpoint_id: up to p_limit (1..1000, default 50) '
  'deliveries, newest first, strictly before the (p_before_created_at, p_before_id) cursor when given, with '
  'the event type, status, attempts, next and last attempt, last status, error and response start. No rows '
  'for another project''s endpoint. Served by webhook_deliveries_endpoint_created_idx and webhook_events_pkey.';

create or replace function public.claim_webhook_deliveries(p_now timestamptz, p_limit integer, p_lease_seconds integer)
returns table (
  id uuid,
  attempt integer,
  project_id uuid,
  endpoint_id uuid,
  url text,
  secret_ciphertext text,
  event_id uuid,
  event_type text,
  payload jsonb,
  event_created_at timestamptz,
  created_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  -- The caller's clock (tests move it), but never behind the database's: a
  -- delivery queued a moment ago is due at once whatever the caller's skew.
  v_now timestamptz := greatest(p_now, now());
begin
  if p_now is null then
    raise exception 'p_now is required' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 3600 then
    raise exception 'p_lease_seconds must be between 1 and 3600' using errcode = '22023';
  end if;
  -- A delivery whose endpoint was disabled while it was in flight, and whose
  -- deliverer never recorded it, would stay live forever: it ends here.
  with orphans as (
    select d.id, e.disabled_reason
    from webhook_deliveries d
    join webhook_endpoints e on e.id = d.endpoint_id
    where d.status in ('pending', 'delivering') and d.next_attempt_at <= v_now and e.disabled_at is not null
    for update of d skip locked
  )
  update webhook_deliveries d
  set status = 'failed', next_attempt_at = null, completed_at = v_now,
      last_error = 'not sent: the endpoint was disabled (' || o.disabled_reason || ')'
  from orphans o
  where d.id = o.id;
  return query
    with due as (
      select d.id
      from webhook_deliveries d
      join webhook_endpoints e on e.id = d.endpoint_id
      where d.status in ('pending', 'delivering')
        and d.next_attempt_at <= v_now
        and e.disabled_at is null
      order by d.next_attempt_at
      limit least(greatest(coalesce(p_limit, 10), 1), 100)
      -- Rows another claimer holds are skipped, and a row it has just
      -- claimed (committed) is re-checked and no longer due: one attempt, one sender.
      for update of d skip locked
    ),
    claimed as (
      update webhook_deliveries d
      set status = 'delivering', attempts = d.attempts + 1, last_attempt_at = v_now,
          next_attempt_at = v_now + make_interval(secs => p_lease_seconds)
      from due
      where d.id = due.id
      returning d.id, d.attempts, d.project_id, d.endpoint_id, d.event_id, d.created_at
    )
    select c.id, c.attempts, c.project_id, c.endpoint_id, e.url, e.secret_ciphertext, c.event_id, v.type, v.payload,
      v.created_at, c.created_at
    from claimed c
    join webhook_endpoints e on e.id = c.endpoint_id
    join webhook_events v on v.id = c.event_id
    order by c.created_at, c.id;
end;
$$;

comment on function public.claim_webhook_deliveries(timestamptz, integer, integer) is
  'Claims up to p_limit (1..100, default 10) deliveries due at p_now or the database''s now(), whichever is later '
  '(pending, or delivering with an expired '
  'lease) of enabled endpoints, oldest due first, skipping rows another transaction holds (due deliveries of '
  'disabled endpoints are finished as failed instead): each becomes '
  'delivering, its attempts + 1, leased for p_lease_seconds (1..3600). Returns each claimed '
  'delivery with its attempt number (the fencing token for record_webhook_attempt), URL, encrypted secret '
  'and event. Served by webhook_deliveries_due_idx, then the primary keys.';

create or replace function public.record_webhook_attempt(
  p_delivery_id uuid,
  p_attempt integer,
  p_outcome text,
  p_at timestamptz,
  p_next_attempt_at timestamptz,
  p_status integer,
  p_error text,
  p_response text
)
returns table (id uuid, status text, attempts integer, next_attempt_at timestamptz, completed_at timestamptz)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_outcome text := p_outcome;
begin
  if p_outcome is null or p_outcome not in ('succeeded', 'retry', 'failed') then
    raise exception 'p_outcome must be succeeded, retry or failed' using errcode = '22023';
  end if;
  if p_at is null or (p_outcome = 'retry' and p_next_attempt_at is null) then
    raise exception 'p_at, and p_next_attempt_at for a retry, are required' using errcode = '22023';
  end if;
  -- A retry to an endpoint disabled meanwhile would wait forever: it ends here.
  if v_outcome = 'retry' and exists (
    select 1 from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
    where d.id = p_delivery_id and e.disabled_at is not null
  ) then
    v_outcome := 'failed';
  end if;
  return query
    update webhook_deliveries d
    set status = case v_outcome when 'retry' then 'pending' else v_outcome end,
        next_attempt_at = case when v_outcome = 'retry' then p_next_attempt_at end,
        completed_at = case when v_outcome = 'retry' then null else p_at end,
        last_status = p_status,
        last_error = left(p_error, 512),
        last_response = left(p_response, 1024)
    -- Only the attempt this deliverer claimed: after its lease ran out and
    -- another claim started attempt n + 1, attempt n's outcome changes nothing.
    where d.id = p_delivery_id and d.status = 'delivering' and d.attempts = p_attempt
    returning d.id, d.status, d.attempts, d.next_attempt_at, d.completed_at;
end;
$$;

comment on function public.record_webhook_attempt(uuid, integer, text, timestamptz, timestamptz, integer, text, text) is
  'Records the outcome of attempt p_attempt of a claimed delivery: succeeded or failed (finished at p_at), '
  'or retry (pending again, due at p_next_attempt_at; failed instead when the endpoint was disabled '
  'meanwhile), with the HTTP status, error (first 512 characters) and response start (first 1024). Returns '
  'the delivery''s new state, or no row when the attempt is no longer the delivery''s current one (its lease '
  'expired and it was claimed again, or it finished). Served by webhook_deliveries_pkey.';

create or replace function public.webhook_backlog(p_now timestamptz)
returns table (due integer, waiting integer, next_due_at timestamptz)
language sql
stable
set search_path = public
as $$
  -- Counted up to 100,000 each, so the gauge costs a bounded index scan; "due" as claim_webhook_deliveries means it.
  select
    (select count(*)::integer from (
      select 1 from webhook_deliveries d
      where d.status in ('pending', 'delivering') and d.next_attempt_at <= greatest(p_now, now()) limit 100000) x),
    (select count(*)::integer from (
      select 1 from webhook_deliveries d
      where d.status in ('pending', 'delivering') and d.next_attempt_at > greatest(p_now, now()) limit 100000) x),
    (select min(d.next_attempt_at) from webhook_deliveries d where d.status in ('pending', 'delivering'));
$$;

comment on function public.webhook_backlog(timestamptz) is
  'Returns how many live deliveries are due at p_now (or now(), whichever is later) and how many are waiting for a later attempt (each '
  'counted up to 100000), and when the earliest one is due (null when none is live). Served by '
  'webhook_deliveries_due_idx.';

create or replace function public.delete_expired_webhook_events(p_limit integer)
returns table (deleted integer)
language sql
volatile
set search_path = public
as $$
  -- 90 days, with their deliveries (on delete cascade); an event with a
  -- delivery still live is kept until it finishes.
  with doomed as (
    select v.id
    from webhook_events v
    where v.created_at < now() - interval '90 days'
      and not exists (
        select 1 from webhook_deliveries d where d.event_id = v.id and d.status in ('pending', 'delivering')
      )
    order by v.created_at
    limit iris_batch_limit(p_limit)
    for update skip locked
  ),
  gone as (
    delete from webhook_events v
    using doomed
    where v.id = doomed.id
    returning 1
  )
  select count(*)::integer from gone;
$$;

comment on function public.delete_expired_webhook_events(integer) is
  'Deletes up to p_limit (1..50000, default 5000) events created more than 90 days ago, with their '
  'deliveries, oldest first, keeping any with a live delivery and skipping rows locked by another '
  'transaction; returns how many events it deleted. Served by webhook_events_created_idx, and '
  'webhook_deliveries_event_endpoint_key for the cascade.';

-- ------------------------------------------------------------- write_once --

-- The writes write_once may run. 0005 kept them in an array inside the
-- function; every migration that adds one now inserts a row here instead.
create table if not exists public.write_once_functions (
  name text primary key check (name ~ '^[a-z_][a-z0-9_]*$'),
  -- The migration that registered it.
  added_in text not null
);

alter table public.write_once_functions enable row level security;

comment on table public.write_once_functions is
  'The write functions write_once may run under an Idempotency-Key, one row per function, each added by '
  'the migration that introduced it.';

-- Whatever the installed write_once allows is carried over (0005's nine
-- writes, and any a migration between 0005 and this one added to its array),
-- so replacing it below takes nothing away.
insert into public.write_once_functions (name, added_in)
select distinct regexp_replace(w, '[\s'']', '', 'g'), 'carried over from write_once'
from pg_proc p
cross join lateral regexp_matches(p.prosrc, 'p_rpc = any \(array\[([^]]*)\]') as m
cross join lateral unnest(string_to_array(m[1], ',')) as w
where p.pronamespace = 'public'::regnamespace and p.proname = 'write_once'
  and regexp_replace(w, '[\s'']', '', 'g') ~ '^[a-z_][a-z0-9_]*$'
on conflict (name) do nothing;

insert into public.write_once_functions (name, added_in)
values
  ('ingest_runs', '0005_lifecycle'), ('create_report', '0005_lifecycle'), ('record_reflexion', '0005_lifecycle'),
  ('upsert_expert_signature', '0005_lifecycle'), ('increment_expert_usage', '0005_lifecycle'),
  ('create_project', '0005_lifecycle'), ('create_api_key', '0005_lifecycle'), ('revoke_api_key', '0005_lifecycle'),
  ('rotate_api_key', '0005_lifecycle'),
  ('create_webhook_endpoint', '0007_webhooks'), ('disable_webhook_endpoint', '0007_webhooks'),
  ('send_test_webhook', '0007_webhooks')
on conflict (name) do nothing;

-- As in 0005, except that the writes it may run are the rows of write_once_functions.
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
  -- Only Iris's own write functions (write_once_functions), never anything a caller names.
  if p_rpc is null or not exists (select 1 from write_once_functions f where f.name = p_rpc) then
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
  'Runs the write function p_rpc (one listed in write_once_functions) with the named arguments in p_args at most '
  'once per (p_scope, p_key_hash) within p_ttl_seconds, storing its rows in the same transaction. Returns '
  'one row: outcome stored (it ran now; result = its rows as to_jsonb renders them), replayed (same '
  'fingerprint seen before: the stored rows and sealed text), mismatch (another fingerprint under this key: '
  'nothing ran) or in_flight (the key''s first request is still running: nothing ran). Served by '
  'idempotency_keys_pkey and write_once_functions_pkey, then by whatever index serves p_rpc.';


-- ------------------------------------------------------------- privileges --

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
        'iris_webhook_fan_out', 'enqueue_webhook_event', 'send_test_webhook', 'create_webhook_endpoint',
        'list_webhook_endpoints', 'get_webhook_endpoint', 'disable_webhook_endpoint', 'list_webhook_deliveries',
        'claim_webhook_deliveries', 'record_webhook_attempt', 'webhook_backlog', 'delete_expired_webhook_events',
        'write_once'
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

  for tbl in
    select c.oid::regclass
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public'
      and c.relkind = 'r'
      and c.relname in ('webhook_endpoints', 'webhook_events', 'webhook_deliveries', 'write_once_functions')
  loop
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table %s from %I', tbl, role_name);
      end if;
    end loop;
  end loop;
end;
$$;
