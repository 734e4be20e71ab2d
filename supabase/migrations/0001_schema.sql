-- 0001_schema: Iris tables, constraints and indexes.
--
-- Idempotent: every statement can run again on a database that already has it
-- (`psql -v ON_ERROR_STOP=1 -f` twice, `supabase db push`, PGlite at start-up).
-- Every table is tenant-scoped by project_id and reached only through the
-- functions in 0002_functions.sql. Row level security is enabled with no
-- policies, so the anon and authenticated roles of Supabase read nothing; the
-- service role (and the table owner) bypass RLS.

create table if not exists public.projects (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  settings jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
  created_at timestamptz not null default now()
);

-- Only the SHA-256 of a key is stored; `prefix` is what a dashboard shows.
create table if not exists public.api_keys (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  prefix text not null check (length(prefix) between 1 and 32),
  label text check (length(label) <= 200),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  -- Requests made with the key, added in batches by record_key_usage (never one write per request).
  usage_count bigint not null default 0 check (usage_count >= 0)
);

create table if not exists public.model_runs (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  expert_id text not null check (length(expert_id) between 1 and 200),
  agent_id text check (length(agent_id) <= 200),
  model text not null check (length(model) between 1 and 200),
  prompt_version text check (length(prompt_version) <= 100),
  input_tokens integer not null check (input_tokens >= 0),
  output_tokens integer not null check (output_tokens >= 0),
  cost_usd numeric(14, 6) not null check (cost_usd >= 0),
  latency_ms double precision not null check (latency_ms >= 0 and latency_ms < 'infinity'),
  confidence real check (confidence between 0 and 1),
  outcome text not null check (outcome in ('success', 'failure', 'partial')),
  error_type text check (length(error_type) <= 200),
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

create table if not exists public.expert_signatures (
  project_id uuid not null references public.projects (id) on delete cascade,
  expert_id text not null check (length(expert_id) between 1 and 200),
  version integer not null check (version >= 1),
  signature text not null,
  active boolean not null default true,
  performance jsonb not null default '{}'::jsonb,
  usage_count bigint not null default 0 check (usage_count >= 0),
  updated_at timestamptz not null default now(),
  constraint expert_signatures_pkey primary key (project_id, expert_id, version)
);

create table if not exists public.reflexions (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  expert_id text not null check (length(expert_id) between 1 and 200),
  kind text not null check (length(kind) between 1 and 100),
  context text not null,
  outcome text not null,
  success boolean not null,
  impact_score real not null check (impact_score between 0 and 1),
  reuse_count integer not null default 0 check (reuse_count >= 0),
  created_at timestamptz not null default now()
);

create table if not exists public.iris_reports (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  kind text not null check (length(kind) between 1 and 100),
  health_score integer not null check (health_score between 0 and 100),
  overall_health text not null check (overall_health in ('healthy', 'degraded', 'critical')),
  severity text not null check (severity in ('info', 'warning', 'critical')),
  title text not null check (length(title) between 1 and 500),
  data jsonb not null default '{}'::jsonb,
  resolved_at timestamptz,
  created_at timestamptz not null default now()
);

-- Indexes, one per query path (the function that uses each is named).

-- list_api_keys. verify_api_key uses the unique index on key_hash.
create index if not exists api_keys_project_created_idx
  on public.api_keys (project_id, created_at desc, id desc);

-- One index serves every model_runs read, so ingest maintains one extra index:
--   list_runs: keyset pagination on (created_at, id) desc within a project;
--   get_project_overview: 24 h aggregates as an index-only scan (the INCLUDE
--     columns are everything it reads);
--   get_token_stats, get_performance_stats: per-model aggregates over a time
--     range, also index-only (model and confidence are included for them).
create index if not exists model_runs_project_created_idx
  on public.model_runs (project_id, created_at desc, id desc)
  include (outcome, latency_ms, input_tokens, output_tokens, cost_usd, model, confidence);

-- At most one active version per expert (upsert_expert_signature keeps it so);
-- serves list_experts(p_active_only => true), increment_expert_usage and the
-- overview's active_experts count. list_experts(false) uses the primary key.
create unique index if not exists expert_signatures_active_idx
  on public.expert_signatures (project_id, expert_id)
  where active;

-- list_reflexions without an expert filter, and the overview's reflexions count.
create index if not exists reflexions_project_created_idx
  on public.reflexions (project_id, created_at desc, id desc);

-- list_reflexions for one expert.
create index if not exists reflexions_project_expert_created_idx
  on public.reflexions (project_id, expert_id, created_at desc, id desc);

-- list_reports, and the overview's latest report.
create index if not exists iris_reports_project_created_idx
  on public.iris_reports (project_id, created_at desc, id desc);

-- The overview's open critical reports count.
create index if not exists iris_reports_open_critical_idx
  on public.iris_reports (project_id)
  where severity = 'critical' and resolved_at is null;

alter table public.projects enable row level security;
alter table public.api_keys enable row level security;
alter table public.model_runs enable row level security;
alter table public.expert_signatures enable row level security;
alter table public.reflexions enable row level security;
alter table public.iris_reports enable row level security;
