-- 0010_prompts: the prompt registry (prompts, immutable numbered versions,
-- labels with a recorded history of moves) and experiments over its versions,
-- with their results read from the rollups (issue 13).
--
-- Versions. A version's content (template or chat messages, declared
-- variables, model config, commit message) is written once by
-- create_prompt / create_prompt_version and never changed: the trigger
-- prompt_versions_immutable refuses any UPDATE of those columns, whoever
-- sends it. Only the lifecycle status (draft, testing, active, deprecated)
-- moves, through set_prompt_version_status.
--
-- Labels. A label (production, staging, or custom: [a-z0-9_-], at most 20 per
-- prompt) points at one version; `latest` is not stored, it is always the
-- newest version. A move is one UPDATE of prompt_labels and one INSERT into
-- prompt_label_moves in the same transaction (iris_move_prompt_label), so a
-- rollback is a move back and the history says who moved what, when, from
-- where. `production` never points at a deprecated version: the move refuses
-- it, and so does deprecating the version production points at.
--
-- Experiments compare variants (a prompt version, or a named payload) by
-- weight. Runs of a variant carry its run tag as their promptVersion (by
-- default `<prompt>@<version>`), so the results are the prompt_version rows of
-- run_rollups in the experiment's window (iris_rollup_merge, 0004): counts,
-- sums and sums of squares per variant, one round trip, exact at the edges.
-- The statistics are computed from those sums in lib/experiments.
--
-- Domain refusals (no such prompt, a label that may not point there) are an
-- `outcome` column rather than an exception, so an Idempotency-Key replay
-- renders the same answer and the API names the reason precisely.
--
-- Idempotent: create ... if not exists, create or replace, inserts on conflict do nothing.

-- --------------------------------------------------------------- tables --

create table if not exists public.prompts (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  name text not null check (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  description text not null default '' check (length(description) <= 2000),
  created_at timestamptz not null default now(),
  constraint prompts_project_name_key unique (project_id, name)
);

alter table public.prompts enable row level security;

create table if not exists public.prompt_versions (
  prompt_id uuid not null references public.prompts (id) on delete cascade,
  version integer not null check (version >= 1),
  -- Exactly one of a text template or a chat message list.
  template text check (length(template) <= 100000),
  messages jsonb check (messages is null or (jsonb_typeof(messages) = 'array' and octet_length(messages::text) <= 200000)),
  variables text[] not null default '{}' check (cardinality(variables) <= 50),
  config jsonb not null default '{}' check (jsonb_typeof(config) = 'object' and octet_length(config::text) <= 16384),
  commit_message text check (length(commit_message) <= 1000),
  status text not null default 'draft' check (status in ('draft', 'testing', 'active', 'deprecated')),
  created_by text,
  created_at timestamptz not null default now(),
  constraint prompt_versions_pkey primary key (prompt_id, version),
  constraint prompt_versions_one_body check ((template is null) <> (messages is null))
);

alter table public.prompt_versions enable row level security;

create table if not exists public.prompt_labels (
  prompt_id uuid not null references public.prompts (id) on delete cascade,
  label text not null check (label ~ '^[a-z0-9_-]{1,32}$' and label <> 'latest'),
  version integer not null,
  moved_by text,
  moved_at timestamptz not null default now(),
  constraint prompt_labels_pkey primary key (prompt_id, label),
  constraint prompt_labels_version_fkey foreign key (prompt_id, version) references public.prompt_versions (prompt_id, version)
);

alter table public.prompt_labels enable row level security;

create table if not exists public.prompt_label_moves (
  id bigint generated always as identity primary key,
  prompt_id uuid not null references public.prompts (id) on delete cascade,
  label text not null,
  -- null when the label was created by this move.
  from_version integer,
  to_version integer not null,
  moved_by text,
  reason text check (length(reason) <= 500),
  moved_at timestamptz not null default now()
);

-- list_prompt_label_moves: one label's history, newest first.
create index if not exists prompt_label_moves_label_idx on public.prompt_label_moves (prompt_id, label, id desc);

alter table public.prompt_label_moves enable row level security;

create table if not exists public.experiments (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  key text not null check (key ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  name text not null check (length(name) between 1 and 200),
  description text not null default '' check (length(description) <= 2000),
  status text not null default 'draft' check (status in ('draft', 'running', 'stopped', 'completed')),
  -- [{name, weight, runTag, prompt: {name, version} | null, payload}], validated by the API (lib/schemas/experiments.ts).
  variants jsonb not null check (jsonb_typeof(variants) = 'array' and jsonb_array_length(variants) between 2 and 10),
  control text not null,
  primary_metric text not null check (primary_metric in ('success_rate', 'mean_latency', 'mean_cost', 'mean_confidence')),
  guardrail_metrics text[] not null default '{}',
  -- Hashed with each subject id: stable for the experiment's life, so every instance assigns alike.
  salt text not null,
  winner text,
  started_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint experiments_project_key_key unique (project_id, key)
);

alter table public.experiments enable row level security;

comment on table public.prompts is 'Prompts of a project by name. Written by create_prompt.';
comment on table public.prompt_versions is
  'Immutable numbered versions of a prompt (only status changes, by set_prompt_version_status). Written by create_prompt and create_prompt_version.';
comment on table public.prompt_labels is 'Where each label of a prompt points. Written only by iris_move_prompt_label.';
comment on table public.prompt_label_moves is 'Every label move, with the version it left. Written only by iris_move_prompt_label.';
comment on table public.experiments is 'Experiments over prompt versions or named variants. Written by create_experiment and update_experiment.';

-- Versions are immutable: whatever issues the UPDATE, only the status may change.
create or replace function public.iris_prompt_versions_immutable()
returns trigger
language plpgsql
as $$
begin
  if new.prompt_id is distinct from old.prompt_id or new.version is distinct from old.version
     or new.template is distinct from old.template or new.messages is distinct from old.messages
     or new.variables is distinct from old.variables or new.config is distinct from old.config
     or new.commit_message is distinct from old.commit_message or new.created_by is distinct from old.created_by
     or new.created_at is distinct from old.created_at then
    raise exception 'prompt versions are immutable; create a new version instead' using errcode = '23514';
  end if;
  return new;
end;
$$;

drop trigger if exists prompt_versions_immutable on public.prompt_versions;
create trigger prompt_versions_immutable before update on public.prompt_versions
  for each row execute function public.iris_prompt_versions_immutable();

-- ------------------------------------------------------------- versions --

-- A version as every prompt RPC returns it: its content, status and the labels pointing at it.
create or replace function public.iris_prompt_version_view(p_prompt_id uuid, p_version integer)
returns table (
  name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language sql
stable
set search_path = public
as $$
  select p.name, p.description, v.version, v.template, v.messages, v.variables, v.config, v.commit_message, v.status,
    v.created_by, v.created_at,
    array(select l.label from prompt_labels l where l.prompt_id = v.prompt_id and l.version = v.version order by l.label),
    (select max(w.version) from prompt_versions w where w.prompt_id = v.prompt_id)
  from prompt_versions v
  join prompts p on p.id = v.prompt_id
  where v.prompt_id = p_prompt_id and v.version = p_version;
$$;

comment on function public.iris_prompt_version_view(uuid, integer) is
  'Returns one version with its prompt''s name and description, the labels pointing at it and the newest version number. '
  'Served by prompt_versions_pkey and prompt_labels_pkey.';

-- The row a prompt RPC answers when it refuses: the outcome, the name (and version) asked for, nulls.
create or replace function public.iris_prompt_refusal(p_outcome text, p_name text, p_version integer)
returns table (
  outcome text, name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language sql
immutable
as $$
  select p_outcome, p_name, null::text, p_version, null::text, null::jsonb, null::text[], null::jsonb,
    null::text, null::text, null::text, null::timestamptz, null::text[], null::integer;
$$;

-- Moves one label; the caller holds the prompt's row lock. Outcomes: moved, unchanged,
-- version_not_found, deprecated_production, too_many_labels.
create or replace function public.iris_move_prompt_label(p_prompt_id uuid, p_label text, p_version integer, p_actor text, p_reason text)
returns table (outcome text, previous_version integer)
language plpgsql
volatile
set search_path = public
as $$
declare
  v_status text;
  v_previous integer;
begin
  select v.status into v_status from prompt_versions v where v.prompt_id = p_prompt_id and v.version = p_version;
  if not found then
    return query select 'version_not_found'::text, null::integer;
    return;
  end if;
  if p_label = 'production' and v_status = 'deprecated' then
    return query select 'deprecated_production'::text, null::integer;
    return;
  end if;
  select l.version into v_previous from prompt_labels l where l.prompt_id = p_prompt_id and l.label = p_label for update;
  if found and v_previous = p_version then
    return query select 'unchanged'::text, v_previous;
    return;
  end if;
  if not found and (select count(*) from prompt_labels l where l.prompt_id = p_prompt_id) >= 20 then
    return query select 'too_many_labels'::text, null::integer;
    return;
  end if;
  insert into prompt_labels as l (prompt_id, label, version, moved_by, moved_at)
  values (p_prompt_id, p_label, p_version, p_actor, now())
  on conflict (prompt_id, label) do update set version = excluded.version, moved_by = excluded.moved_by, moved_at = excluded.moved_at;
  insert into prompt_label_moves (prompt_id, label, from_version, to_version, moved_by, reason)
  values (p_prompt_id, p_label, v_previous, p_version, p_actor, p_reason);
  return query select 'moved'::text, v_previous;
end;
$$;

comment on function public.iris_move_prompt_label(uuid, text, integer, text, text) is
  'Points p_label of the prompt at p_version and records the move (from, to, who, when, why) in the same transaction. '
  'Returns the outcome (moved, unchanged, version_not_found, deprecated_production, too_many_labels) and the version the label left. '
  'Served by prompt_versions_pkey and prompt_labels_pkey.';

-- Adds a version to a locked prompt and points p_labels at it; shared by create_prompt and create_prompt_version.
create or replace function public.iris_add_prompt_version(
  p_prompt_id uuid, p_template text, p_messages jsonb, p_variables jsonb, p_config jsonb, p_commit_message text,
  p_status text, p_labels jsonb, p_actor text
)
returns table (outcome text, version integer)
language plpgsql
volatile
set search_path = public
as $$
declare
  v_version integer;
  v_label text;
  v_outcome text;
begin
  select coalesce(max(w.version), 0) + 1 into v_version from prompt_versions w where w.prompt_id = p_prompt_id;
  insert into prompt_versions (prompt_id, version, template, messages, variables, config, commit_message, status, created_by)
  values (
    -- write_once passes an absent jsonb argument as JSON null: both mean none.
    p_prompt_id, v_version, p_template, nullif(p_messages, 'null'::jsonb),
    array(select jsonb_array_elements_text(coalesce(nullif(p_variables, 'null'::jsonb), '[]'::jsonb))),
    coalesce(nullif(p_config, 'null'::jsonb), '{}'::jsonb), p_commit_message, coalesce(p_status, 'draft'), p_actor
  );
  for v_label in select jsonb_array_elements_text(coalesce(nullif(p_labels, 'null'::jsonb), '[]'::jsonb)) loop
    select m.outcome into v_outcome from iris_move_prompt_label(p_prompt_id, v_label, v_version, p_actor, 'new version') m;
    if v_outcome not in ('moved', 'unchanged') then
      -- Nothing of this version may stay: the caller's whole statement rolls back.
      raise exception 'label % cannot point at the new version: %', v_label, v_outcome using errcode = 'P0001', hint = v_outcome;
    end if;
  end loop;
  return query select 'created'::text, v_version;
end;
$$;

-- Both prompt writes: a refused label is an outcome, and nothing of the write stays.
create or replace function public.iris_prompt_write(
  p_project_id uuid, p_name text, p_create boolean, p_description text, p_template text, p_messages jsonb,
  p_variables jsonb, p_config jsonb, p_commit_message text, p_status text, p_labels jsonb, p_actor text
)
returns table (
  outcome text, name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_prompt_id uuid;
  v_version integer;
  v_refusal text;
begin
  if p_create then
    insert into prompts as p (project_id, name, description)
    values (p_project_id, p_name, coalesce(p_description, ''))
    on conflict (project_id, name) do nothing
    returning p.id into v_prompt_id;
    if v_prompt_id is null then
      return query select * from iris_prompt_refusal('prompt_exists', p_name, null);
      return;
    end if;
  else
    -- The row lock orders concurrent new versions of one prompt: each gets the next number.
    select p.id into v_prompt_id from prompts p where p.project_id = p_project_id and p.name = p_name for update;
    if v_prompt_id is null then
      return query select * from iris_prompt_refusal('prompt_not_found', p_name, null);
      return;
    end if;
  end if;
  begin
    select a.version into v_version
    from iris_add_prompt_version(v_prompt_id, p_template, p_messages, p_variables, p_config, p_commit_message, p_status, p_labels, p_actor) a;
  exception when sqlstate 'P0001' then
    -- The version and its labels are rolled back with this block; on create, the prompt goes too.
    get stacked diagnostics v_refusal = pg_exception_hint;
    if p_create then delete from prompts p where p.id = v_prompt_id; end if;
    return query select * from iris_prompt_refusal(v_refusal, p_name, null);
    return;
  end;
  return query select 'created'::text, v.* from iris_prompt_version_view(v_prompt_id, v_version) v;
end;
$$;

comment on function public.iris_prompt_write(uuid, text, boolean, text, text, jsonb, jsonb, jsonb, text, text, jsonb, text) is
  'Creates a prompt with its first version (p_create) or adds the next version to an existing one, pointing p_labels at it; '
  'returns the outcome (created, prompt_exists, prompt_not_found, or the label''s refusal: deprecated_production, too_many_labels) and the version. '
  'Served by prompts_project_name_key and prompt_versions_pkey.';

create or replace function public.create_prompt(
  p_project_id uuid, p_name text, p_description text, p_template text, p_messages jsonb, p_variables jsonb,
  p_config jsonb, p_commit_message text, p_status text, p_labels jsonb, p_actor text
)
returns table (
  outcome text, name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language sql
volatile
set search_path = public
as $$
  select * from iris_prompt_write(p_project_id, p_name, true, p_description, p_template, p_messages, p_variables, p_config,
    p_commit_message, p_status, p_labels, p_actor);
$$;

comment on function public.create_prompt(uuid, text, text, text, jsonb, jsonb, jsonb, text, text, jsonb, text) is
  'Creates a prompt with version 1 and points p_labels at it (iris_prompt_write). Outcome prompt_exists when the name is taken in the project.';

create or replace function public.create_prompt_version(
  p_project_id uuid, p_name text, p_template text, p_messages jsonb, p_variables jsonb,
  p_config jsonb, p_commit_message text, p_status text, p_labels jsonb, p_actor text
)
returns table (
  outcome text, name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language sql
volatile
set search_path = public
as $$
  select * from iris_prompt_write(p_project_id, p_name, false, null, p_template, p_messages, p_variables, p_config,
    p_commit_message, p_status, p_labels, p_actor);
$$;

comment on function public.create_prompt_version(uuid, text, text, jsonb, jsonb, jsonb, text, text, jsonb, text) is
  'Adds the next version (max + 1, under the prompt''s row lock) and points p_labels at it (iris_prompt_write).';

create or replace function public.list_prompts(p_project_id uuid)
returns table (name text, description text, created_at timestamptz, latest_version integer, labels jsonb)
language sql
stable
set search_path = public
as $$
  select p.name, p.description, p.created_at,
    (select max(v.version) from prompt_versions v where v.prompt_id = p.id),
    coalesce((select jsonb_object_agg(l.label, l.version) from prompt_labels l where l.prompt_id = p.id), '{}'::jsonb)
  from prompts p
  where p.project_id = p_project_id
  order by p.name
  limit 1000;
$$;

comment on function public.list_prompts(uuid) is
  'Returns the project''s prompts by name (at most 1000) with their newest version and their labels. Served by prompts_project_name_key.';

create or replace function public.get_prompt_version(p_project_id uuid, p_name text, p_label text, p_version integer)
returns table (
  outcome text, name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language plpgsql
stable
set search_path = public
as $$
#variable_conflict use_column
declare
  v_prompt_id uuid;
  v_version integer;
begin
  select p.id into v_prompt_id from prompts p where p.project_id = p_project_id and p.name = p_name;
  if v_prompt_id is null then
    return query select * from iris_prompt_refusal('prompt_not_found', p_name, null);
    return;
  end if;
  if p_version is not null then
    v_version := p_version;
  elsif p_label = 'latest' then
    select max(v.version) into v_version from prompt_versions v where v.prompt_id = v_prompt_id;
  else
    select l.version into v_version from prompt_labels l where l.prompt_id = v_prompt_id and l.label = coalesce(p_label, 'production');
    if v_version is null then
      return query select * from iris_prompt_refusal('label_not_found', p_name, null);
      return;
    end if;
  end if;
  return query select 'found'::text, v.* from iris_prompt_version_view(v_prompt_id, v_version) v;
  if not found then
    return query select * from iris_prompt_refusal('version_not_found', p_name, null);
  end if;
end;
$$;

comment on function public.get_prompt_version(uuid, text, text, integer) is
  'Returns the version p_version of the project''s prompt, or the one p_label points at (production when both are null; '
  'latest is the newest), with outcome found, prompt_not_found, label_not_found or version_not_found. '
  'Served by prompts_project_name_key, prompt_labels_pkey and prompt_versions_pkey.';

create or replace function public.list_prompt_versions(p_project_id uuid, p_name text)
returns table (
  name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language sql
stable
set search_path = public
as $$
  select v.*
  from prompts p
  cross join lateral (select w.version from prompt_versions w where w.prompt_id = p.id order by w.version desc limit 500) w
  cross join lateral iris_prompt_version_view(p.id, w.version) v
  where p.project_id = p_project_id and p.name = p_name
  order by v.version desc;
$$;

comment on function public.list_prompt_versions(uuid, text) is
  'Returns the prompt''s versions, newest first (at most 500); no rows when the project has no such prompt. '
  'Served by prompts_project_name_key and prompt_versions_pkey.';

create or replace function public.move_prompt_label(p_project_id uuid, p_name text, p_label text, p_version integer, p_actor text, p_reason text)
returns table (outcome text, label text, version integer, previous_version integer, moved_by text, moved_at timestamptz)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_prompt_id uuid;
  v_outcome text;
  v_previous integer;
begin
  select p.id into v_prompt_id from prompts p where p.project_id = p_project_id and p.name = p_name for update;
  if v_prompt_id is null then
    return query select 'prompt_not_found'::text, p_label, p_version, null::integer, null::text, null::timestamptz;
    return;
  end if;
  select m.outcome, m.previous_version into v_outcome, v_previous from iris_move_prompt_label(v_prompt_id, p_label, p_version, p_actor, p_reason) m;
  return query select v_outcome, p_label, p_version, v_previous, l.moved_by, l.moved_at
    from (select 1) one left join prompt_labels l on l.prompt_id = v_prompt_id and l.label = p_label and v_outcome in ('moved', 'unchanged');
end;
$$;

comment on function public.move_prompt_label(uuid, text, text, integer, text, text) is
  'Points a label of the project''s prompt at p_version in one atomic, recorded move (iris_move_prompt_label); outcome '
  'moved, unchanged, prompt_not_found, version_not_found, deprecated_production or too_many_labels, and the version it left. '
  'Served by prompts_project_name_key, prompt_versions_pkey and prompt_labels_pkey.';

create or replace function public.list_prompt_label_moves(p_project_id uuid, p_name text, p_label text, p_limit integer)
returns table (label text, from_version integer, to_version integer, moved_by text, reason text, moved_at timestamptz)
language sql
stable
set search_path = public
as $$
  select m.label, m.from_version, m.to_version, m.moved_by, m.reason, m.moved_at
  from prompts p
  join prompt_label_moves m on m.prompt_id = p.id and m.label = p_label
  where p.project_id = p_project_id and p.name = p_name
  order by m.id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 500);
$$;

comment on function public.list_prompt_label_moves(uuid, text, text, integer) is
  'Returns a label''s moves, newest first. Served by prompts_project_name_key and prompt_label_moves_label_idx.';

create or replace function public.set_prompt_version_status(p_project_id uuid, p_name text, p_version integer, p_status text)
returns table (
  outcome text, name text, description text, version integer, template text, messages jsonb, variables text[], config jsonb,
  commit_message text, status text, created_by text, created_at timestamptz, labels text[], latest_version integer
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_prompt_id uuid;
  v_outcome text := 'updated';
begin
  -- The prompt's row lock: a concurrent move of production waits for this, and this for it.
  select p.id into v_prompt_id from prompts p where p.project_id = p_project_id and p.name = p_name for update;
  if v_prompt_id is null then
    v_outcome := 'prompt_not_found';
  elsif not exists (select 1 from prompt_versions v where v.prompt_id = v_prompt_id and v.version = p_version) then
    v_outcome := 'version_not_found';
  elsif p_status = 'deprecated'
        and exists (select 1 from prompt_labels l where l.prompt_id = v_prompt_id and l.label = 'production' and l.version = p_version) then
    v_outcome := 'deprecated_production';
  end if;
  if v_outcome <> 'updated' then
    return query select * from iris_prompt_refusal(v_outcome, p_name, p_version);
    return;
  end if;
  update prompt_versions v set status = p_status where v.prompt_id = v_prompt_id and v.version = p_version;
  return query select v_outcome, v.* from iris_prompt_version_view(v_prompt_id, p_version) v;
end;
$$;

comment on function public.set_prompt_version_status(uuid, text, integer, text) is
  'Moves a version''s lifecycle status (its only mutable column); refuses deprecating the version production points at. '
  'Outcome updated, prompt_not_found, version_not_found or deprecated_production. Served by prompts_project_name_key and prompt_versions_pkey.';

-- ---------------------------------------------------------- experiments --

-- An experiment as every experiment RPC returns it; each prompt variant carries its version's content.
create or replace function public.iris_experiment_view(p_experiment_id uuid)
returns table (
  key text, name text, description text, status text, variants jsonb, control text, primary_metric text,
  guardrail_metrics text[], salt text, winner text, started_at timestamptz, ended_at timestamptz,
  created_at timestamptz, updated_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select e.key, e.name, e.description, e.status,
    (select jsonb_agg(
              case when x.v ? 'prompt' and jsonb_typeof(x.v -> 'prompt') = 'object' then
                jsonb_set(x.v, '{prompt}', (x.v -> 'prompt') || coalesce((
                  select jsonb_build_object('template', pv.template, 'messages', pv.messages, 'variables', to_jsonb(pv.variables),
                                            'config', pv.config, 'status', pv.status)
                  from prompts p
                  join prompt_versions pv on pv.prompt_id = p.id and pv.version = (x.v -> 'prompt' ->> 'version')::integer
                  where p.project_id = e.project_id and p.name = x.v -> 'prompt' ->> 'name'), '{}'::jsonb))
              else x.v end
              order by x.i)
     from jsonb_array_elements(e.variants) with ordinality as x (v, i)),
    e.control, e.primary_metric, e.guardrail_metrics, e.salt, e.winner, e.started_at, e.ended_at, e.created_at, e.updated_at
  from experiments e
  where e.id = p_experiment_id;
$$;

comment on function public.iris_experiment_view(uuid) is
  'Returns one experiment with each prompt variant''s version content (template or messages, variables, config). '
  'Served by experiments_pkey, prompts_project_name_key and prompt_versions_pkey.';

-- The row an experiment RPC answers when it refuses: the outcome, the key, a detail in name, nulls.
create or replace function public.iris_experiment_refusal(p_outcome text, p_key text, p_detail text)
returns table (
  outcome text, key text, name text, description text, status text, variants jsonb, control text, primary_metric text,
  guardrail_metrics text[], salt text, winner text, started_at timestamptz, ended_at timestamptz,
  created_at timestamptz, updated_at timestamptz
)
language sql
immutable
as $$
  select p_outcome, p_key, p_detail, null::text, null::text, null::jsonb, null::text, null::text,
    null::text[], null::text, null::text, null::timestamptz, null::timestamptz, null::timestamptz, null::timestamptz;
$$;

create or replace function public.create_experiment(
  p_project_id uuid, p_key text, p_name text, p_description text, p_variants jsonb, p_control text,
  p_primary_metric text, p_guardrail_metrics jsonb, p_salt text, p_status text
)
returns table (
  outcome text, key text, name text, description text, status text, variants jsonb, control text, primary_metric text,
  guardrail_metrics text[], salt text, winner text, started_at timestamptz, ended_at timestamptz,
  created_at timestamptz, updated_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_id uuid;
  v_missing text;
begin
  -- Every prompt variant names a version of this project.
  select x.v -> 'prompt' ->> 'name' || '@' || (x.v -> 'prompt' ->> 'version') into v_missing
  from jsonb_array_elements(p_variants) x (v)
  where jsonb_typeof(x.v -> 'prompt') = 'object'
    and not exists (
      select 1 from prompts p join prompt_versions pv on pv.prompt_id = p.id
      where p.project_id = p_project_id and p.name = x.v -> 'prompt' ->> 'name' and pv.version = (x.v -> 'prompt' ->> 'version')::integer)
  limit 1;
  if v_missing is not null then
    return query select * from iris_experiment_refusal('prompt_version_not_found', p_key, v_missing);
    return;
  end if;
  insert into experiments as e (project_id, key, name, description, status, variants, control, primary_metric, guardrail_metrics, salt, started_at)
  values (p_project_id, p_key, p_name, coalesce(p_description, ''), coalesce(p_status, 'draft'), p_variants, p_control, p_primary_metric,
          array(select jsonb_array_elements_text(coalesce(nullif(p_guardrail_metrics, 'null'::jsonb), '[]'::jsonb))), p_salt,
          case when p_status = 'running' then now() end)
  on conflict (project_id, key) do nothing
  returning e.id into v_id;
  if v_id is null then
    return query select * from iris_experiment_refusal('experiment_exists', p_key, null);
    return;
  end if;
  return query select 'created'::text, v.* from iris_experiment_view(v_id) v;
end;
$$;

comment on function public.create_experiment(uuid, text, text, text, jsonb, text, text, jsonb, text, text) is
  'Creates an experiment (started now when created running); outcome created, experiment_exists or prompt_version_not_found '
  '(the missing name@version in name). Served by experiments_project_key_key, prompts_project_name_key and prompt_versions_pkey.';

create or replace function public.list_experiments(p_project_id uuid)
returns table (
  key text, name text, description text, status text, variants jsonb, control text, primary_metric text,
  guardrail_metrics text[], salt text, winner text, started_at timestamptz, ended_at timestamptz,
  created_at timestamptz, updated_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select v.*
  from (select e.id from experiments e where e.project_id = p_project_id order by e.created_at desc, e.id limit 500) e
  cross join lateral iris_experiment_view(e.id) v
  order by v.created_at desc, v.key;
$$;

comment on function public.list_experiments(uuid) is
  'Returns the project''s experiments, newest first (at most 500). Served by experiments_project_key_key.';

create or replace function public.get_experiment(p_project_id uuid, p_key text)
returns table (
  key text, name text, description text, status text, variants jsonb, control text, primary_metric text,
  guardrail_metrics text[], salt text, winner text, started_at timestamptz, ended_at timestamptz,
  created_at timestamptz, updated_at timestamptz
)
language sql
stable
set search_path = public
as $$
  select v.* from experiments e cross join lateral iris_experiment_view(e.id) v where e.project_id = p_project_id and e.key = p_key;
$$;

comment on function public.get_experiment(uuid, text) is
  'Returns one experiment of the project by key; no rows when there is none. Served by experiments_project_key_key.';

create or replace function public.update_experiment(
  p_project_id uuid, p_key text, p_changes jsonb, p_winner text, p_move_label text, p_actor text
)
returns table (
  outcome text, key text, name text, description text, status text, variants jsonb, control text, primary_metric text,
  guardrail_metrics text[], salt text, winner text, started_at timestamptz, ended_at timestamptz,
  created_at timestamptz, updated_at timestamptz
)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_e experiments%rowtype;
  v_to text := coalesce(p_changes ->> 'status', null);
  v_outcome text := 'updated';
  v_variant jsonb;
  v_prompt_id uuid;
  v_move text;
begin
  select * into v_e from experiments e where e.project_id = p_project_id and e.key = p_key for update;
  if not found then
    v_outcome := 'experiment_not_found';
  elsif v_to is not null and v_to <> v_e.status and not (
      (v_e.status = 'draft' and v_to in ('running', 'stopped'))
      or (v_e.status = 'running' and v_to in ('stopped', 'completed'))
      or (v_e.status = 'stopped' and v_to = 'completed')) then
    v_outcome := 'invalid_transition';
  elsif (p_changes ? 'variants' or p_changes ? 'control' or p_changes ? 'primary_metric') and v_e.status <> 'draft' then
    v_outcome := 'not_draft';
  elsif p_winner is not null and coalesce(v_to, v_e.status) <> 'completed' then
    v_outcome := 'winner_needs_completion';
  elsif p_winner is not null then
    select x.v into v_variant from jsonb_array_elements(v_e.variants) x (v) where x.v ->> 'name' = p_winner;
    if v_variant is null then
      v_outcome := 'winner_not_found';
    elsif p_move_label is not null and jsonb_typeof(v_variant -> 'prompt') is distinct from 'object' then
      v_outcome := 'winner_has_no_prompt';
    end if;
  end if;
  if v_outcome = 'updated' and p_move_label is not null then
    -- The label moves in this transaction: the completion and the move commit together, recorded like any move.
    select p.id into v_prompt_id from prompts p where p.project_id = p_project_id and p.name = v_variant -> 'prompt' ->> 'name' for update;
    select m.outcome into v_move
    from iris_move_prompt_label(v_prompt_id, p_move_label, (v_variant -> 'prompt' ->> 'version')::integer, p_actor,
                                'experiment ' || p_key || ' completed: ' || p_winner) m;
    if v_move not in ('moved', 'unchanged') then v_outcome := v_move; end if;
  end if;
  if v_outcome <> 'updated' then
    return query select * from iris_experiment_refusal(v_outcome, p_key, null);
    return;
  end if;
  update experiments e set
    name = coalesce(p_changes ->> 'name', e.name),
    description = coalesce(p_changes ->> 'description', e.description),
    variants = coalesce(p_changes -> 'variants', e.variants),
    control = coalesce(p_changes ->> 'control', e.control),
    primary_metric = coalesce(p_changes ->> 'primary_metric', e.primary_metric),
    guardrail_metrics = case when p_changes ? 'guardrail_metrics'
                             then array(select jsonb_array_elements_text(p_changes -> 'guardrail_metrics')) else e.guardrail_metrics end,
    status = coalesce(v_to, e.status),
    started_at = case when v_to = 'running' and e.started_at is null then now() else e.started_at end,
    ended_at = case when v_to in ('stopped', 'completed') and e.ended_at is null and e.started_at is not null then now() else e.ended_at end,
    winner = coalesce(p_winner, e.winner),
    updated_at = now()
  where e.id = v_e.id;
  return query select 'updated'::text, v.* from iris_experiment_view(v_e.id) v;
end;
$$;

comment on function public.update_experiment(uuid, text, jsonb, text, text, text) is
  'Changes an experiment: name, description, guardrails at any time; variants, control and primary metric while draft; status '
  'draft -> running -> stopped -> completed (starting and ending its window); with p_winner on completion, and p_move_label, '
  'points that label at the winner''s prompt version in the same transaction. Outcome updated or the reason it refused. '
  'Served by experiments_project_key_key and the prompt indexes.';

create or replace function public.experiment_results(p_project_id uuid, p_key text)
returns table (
  variant text, run_tag text, runs bigint, successes bigint, cost_usd double precision, cost_usd_sq double precision,
  latency_ms_sum double precision, latency_ms_sq double precision, confidence_n bigint, confidence_sum double precision,
  window_from timestamptz, window_to timestamptz
)
language sql
stable
set search_path = public
set jit = off
as $$
  with e as (
    select x.started_at, coalesce(x.ended_at, now()) as ended_at, x.variants
    from experiments x where x.project_id = p_project_id and x.key = p_key and x.started_at is not null
  ),
  sums as (
    select r.value, r.runs, r.successes, r.cost_usd, r.cost_usd_sq, r.latency_ms_sum, r.latency_ms_sq, r.confidence_n, r.confidence_sum
    from e cross join lateral iris_rollup_merge(p_project_id, array['prompt_version'], e.started_at, e.ended_at) r
  )
  select v.v ->> 'name', v.v ->> 'runTag', coalesce(s.runs, 0)::bigint, coalesce(s.successes, 0)::bigint,
    coalesce(s.cost_usd, 0)::double precision, coalesce(s.cost_usd_sq, 0), coalesce(s.latency_ms_sum, 0), coalesce(s.latency_ms_sq, 0),
    coalesce(s.confidence_n, 0)::bigint, coalesce(s.confidence_sum, 0), e.started_at, e.ended_at
  from e
  cross join lateral jsonb_array_elements(e.variants) with ordinality as v (v, i)
  left join sums s on s.value = v.v ->> 'runTag'
  order by v.i;
$$;

comment on function public.experiment_results(uuid, text) is
  'Returns, per variant of a started experiment (in variant order), the counts, sums and sums of squares of the runs tagged '
  'with its run tag in [started_at, ended_at or now): the prompt_version rows of run_rollups through iris_rollup_merge '
  '(run_rollups_pkey for whole hours and days, model_runs_project_created_idx for the partial hours at the ends). '
  'No rows when the experiment has not started or does not exist.';

insert into public.write_once_functions (name, added_in)
values
  ('create_prompt', '0010_prompts'), ('create_prompt_version', '0010_prompts'), ('move_prompt_label', '0010_prompts'),
  ('set_prompt_version_status', '0010_prompts'), ('create_experiment', '0010_prompts'), ('update_experiment', '0010_prompts')
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
        'iris_prompt_versions_immutable', 'iris_prompt_version_view', 'iris_prompt_refusal', 'iris_experiment_refusal', 'iris_move_prompt_label', 'iris_add_prompt_version',
        'iris_prompt_write', 'create_prompt', 'create_prompt_version', 'list_prompts', 'get_prompt_version',
        'list_prompt_versions', 'move_prompt_label', 'list_prompt_label_moves', 'set_prompt_version_status',
        'iris_experiment_view', 'create_experiment', 'list_experiments', 'get_experiment', 'update_experiment',
        'experiment_results'
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
  foreach tbl in array array['prompts', 'prompt_versions', 'prompt_labels', 'prompt_label_moves', 'experiments'] loop
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table public.%I from %I', tbl, role_name);
      end if;
    end loop;
  end loop;
end;
$$;
