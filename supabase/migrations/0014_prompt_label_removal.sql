-- 0014: removing a prompt label.
--
-- DELETE /api/iris/prompts/{name}/labels/{label} removes a label from its
-- prompt, so a project that has used up its 20 labels can free one, and a
-- label nobody should fetch any more stops answering. The removal is
-- recorded like a move (prompt_label_moves, with no version it points to),
-- so the label's history shows what it pointed at and who removed it, and
-- putting it back is a move (PUT) to that version.
--
-- `production` cannot be removed: agents fetch it by default on every call,
-- so it is only ever moved. `latest` is not stored (it is always the newest
-- version) and so cannot be removed either.
--
-- Idempotent: alter ... drop not null, create or replace, on conflict do nothing.

-- A removal is recorded as a move to no version.
alter table public.prompt_label_moves alter column to_version drop not null;

comment on column public.prompt_label_moves.to_version is
  'The version the label points at after this move; null when the move removed the label (remove_prompt_label).';

create or replace function public.remove_prompt_label(p_project_id uuid, p_name text, p_label text, p_actor text, p_reason text)
returns table (outcome text, label text, previous_version integer, moved_by text, moved_at timestamptz)
language plpgsql
volatile
set search_path = public
as $$
#variable_conflict use_column
declare
  v_prompt_id uuid;
  v_previous integer;
  v_move prompt_label_moves%rowtype;
begin
  if p_label = 'production' then
    return query select 'production_label'::text, p_label, null::integer, null::text, null::timestamptz;
    return;
  end if;
  -- The prompt's row lock, as for a move: label writes of one prompt take turns.
  select p.id into v_prompt_id from prompts p where p.project_id = p_project_id and p.name = p_name for update;
  if v_prompt_id is null then
    return query select 'prompt_not_found'::text, p_label, null::integer, null::text, null::timestamptz;
    return;
  end if;
  delete from prompt_labels l where l.prompt_id = v_prompt_id and l.label = p_label returning l.version into v_previous;
  if not found then
    return query select 'label_not_found'::text, p_label, null::integer, null::text, null::timestamptz;
    return;
  end if;
  insert into prompt_label_moves as m (prompt_id, label, from_version, to_version, moved_by, reason)
  values (v_prompt_id, p_label, v_previous, null, p_actor, p_reason)
  returning m.* into v_move;
  return query select 'removed'::text, p_label, v_previous, v_move.moved_by, v_move.moved_at;
end;
$$;

comment on function public.remove_prompt_label(uuid, text, text, text, text) is
  'Removes p_label from the project''s prompt p_name and records the removal (from the version it pointed at, to '
  'none, who, when, why) in prompt_label_moves in the same transaction. Outcome removed, prompt_not_found, '
  'label_not_found, or production_label (production is only ever moved), with the version the label left. '
  'Served by prompts_project_name_key and prompt_labels_pkey.';

insert into public.write_once_functions (name, added_in)
values ('remove_prompt_label', '0014_prompt_label_removal')
on conflict (name) do nothing;

do $$
declare
  role_name text;
begin
  revoke execute on function public.remove_prompt_label(uuid, text, text, text, text) from public;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function public.remove_prompt_label(uuid, text, text, text, text) from %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function public.remove_prompt_label(uuid, text, text, text, text) to service_role;
  end if;
end;
$$;
