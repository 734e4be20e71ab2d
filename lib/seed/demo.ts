import { backfillRollups } from '../analytics/index.js';
import type { SqlDb } from '../db/index.js';

/** Name of the project `seedDemo` creates unless told otherwise. */
export const DEMO_PROJECT_NAME = 'Iris demo';

/** Per-minute budgets of a project's API keys, as `settings.rateLimit` holds them (lib/rate-limit/policy.ts). */
export interface DemoRateLimit {
  readsPerMinute: number;
  writesPerMinute: number;
}

/**
 * The demo project's budgets: a billion requests a minute each, which no
 * benchmark or load test reaches, so `npm run benchmark` and the load tests
 * measure the server, not the limiter, with the key `npm run dev` prints
 * (the default 1,000 reads a minute answer 429 within a second of a benchmark).
 */
export const DEMO_RATE_LIMIT: Readonly<DemoRateLimit> = Object.freeze({ readsPerMinute: 1_000_000_000, writesPerMinute: 1_000_000_000 });

export interface SeedDemoOptions {
  /**
   * Model runs to generate.
   * @default 50_000
   */
  runs?: number;
  /**
   * Length of the history in days, ending at `now`.
   * @default 30
   */
  days?: number;
  /**
   * Seed of the pseudo-random draws: the same seed (and `now`) gives the same history.
   * @default 42
   */
  seed?: number;
  /**
   * Name of the created project.
   * @default DEMO_PROJECT_NAME
   */
  projectName?: string;
  /**
   * End of the history; every timestamp is an offset from it.
   * @default the current time
   */
  now?: Date;
  /**
   * Rate limits of the project's keys; null keeps the defaults (1,000 reads and 300 writes a minute).
   * @default DEMO_RATE_LIMIT
   */
  rateLimit?: DemoRateLimit | null;
  /**
   * Run VACUUM (ANALYZE) on model_runs afterwards, so the planner has statistics
   * and index-only scans find an up-to-date visibility map.
   * @default true
   */
  vacuum?: boolean;
}

export interface SeedDemoResult {
  projectId: string;
  runs: number;
}

const MAX_RUNS = 50_000_000;

/**
 * A uniform draw in [0, 1) for row `i` and stream `k`: a hash rather than
 * random(), so a seed reproduces the history. hashint8extended is what hash
 * partitioning uses, so it is stable across platforms and major versions.
 */
const draw = (i: string, k: number) => `(hashint8extended(${i}, $4::bigint * 64 + ${k}) & 4294967295)::float8 / 4294967296.0`;

/** Select-list items `<draw for g.i, stream firstStream + n> as <names[n]>`, one independent stream each. */
const drawColumns = (firstStream: number, names: string[]) =>
  names.map((name, n) => `${draw('g.i', firstStream + n)} as ${name}`).join(',\n    ');

/**
 * Models, each with its share of traffic (slots out of 100), typical latency
 * (log-normal median and sigma), the default prices per million tokens of
 * 0008_pricing.sql (input, output, cache reads; null: no price) and failure rate.
 */
const MODELS = `
  models (idx, model, slots, latency_ms, sigma, usd_per_mtok_in, usd_per_mtok_out, usd_per_mtok_cache_read, failure_rate) as (
    values
      (1, 'gpt-4o',            22, 1400.0, 0.45, 2.50, 10.00, 1.25,  0.050),
      (2, 'gpt-4o-mini',       29,  650.0, 0.40, 0.15,  0.60, 0.075, 0.065),
      (3, 'claude-3-5-sonnet', 18, 1900.0, 0.50, 3.00, 15.00, 0.30,  0.040),
      (4, 'claude-3-5-haiku',  15,  800.0, 0.40, 0.80,  4.00, 0.08,  0.055),
      (5, 'llama-3.1-70b',     10, 1100.0, 0.60, 0.59,  0.79, null,  0.095),
      (6, 'mistral-large',      5, 1300.0, 0.55, 2.00,  6.00, null,  0.075),
      -- A model no default price knows: its runs are stored at $0 as unknown_model and listed.
      (7, 'acme-agent-llm',     1,  900.0, 0.40, null,  null, null,  0.050)
  )`;

/** Experts, each with its share of traffic (slots out of 100), typical token counts and signature versions. */
const EXPERTS = `
  experts (idx, expert_id, slots, tokens_in, tokens_out, versions) as (
    values
      (1, 'planner',        18, 1800,  400, 3),
      (2, 'code-review',    16, 4200,  650, 2),
      (3, 'sql-generation', 14, 1200,  220, 3),
      (4, 'summarizer',     14, 6000,  300, 1),
      (5, 'triage',         12,  700,   60, 2),
      (6, 'translation',    10,  900,  900, 1),
      (7, 'retrieval',      10, 2500,  120, 2),
      (8, 'safety-check',    6,  500,   20, 1)
  )`;

/** 100 slots → row index, so picking by weight is an array lookup and an equi-join. */
const slotsOf = (table: string) =>
  `(select array_agg(t.idx order by t.idx, n) from ${table} t, generate_series(1, t.slots) n)`;

/**
 * One INSERT ... SELECT over generate_series. Parameters: $1 project id,
 * $2 runs, $3 days, $4 seed, $5 now. Recent runs of sql-generation fail three
 * times as often (the incident the open critical report describes).
 */
const RUNS_SQL = `
with ${MODELS}, ${EXPERTS},
draws as (
  select
    g.i,
    ${drawColumns(0, ['u_time', 'u_model', 'u_expert', 'u_agent', 'u_lat_a', 'u_lat_b', 'u_in', 'u_out', 'u_outcome', 'u_error', 'u_conf', 'u_cache'])}
  from generate_series(1, $2::integer) as g (i)
),
picked as (
  select
    d.*,
    (${slotsOf('models')})[1 + floor(d.u_model * 100)::integer] as model_idx,
    (${slotsOf('experts')})[1 + floor(d.u_expert * 100)::integer] as expert_idx,
    $3::integer * d.u_time as age_days
  from draws d
),
shaped as (
  select
    p.*,
    m.model,
    e.expert_id,
    m.latency_ms * exp(m.sigma * sqrt(-2 * ln(greatest(p.u_lat_a, 1e-12))) * cos(2 * pi() * p.u_lat_b)) as latency,
    (e.tokens_in * (0.3 + 1.4 * p.u_in))::integer as tokens_in,
    e.tokens_out * (0.3 + 1.4 * p.u_out) as tokens_out,
    m.usd_per_mtok_in,
    m.usd_per_mtok_out,
    m.usd_per_mtok_cache_read,
    case
      when p.u_outcome < m.failure_rate * (case when e.expert_id = 'sql-generation' and p.age_days < 1.5 then 3 else 1 end)
        then 'failure'
      when p.u_outcome > 0.975 then 'partial'
      else 'success'
    end as outcome
  from picked p
  join models m on m.idx = p.model_idx
  join experts e on e.idx = p.expert_idx
),
finished as (
  select
    s.*,
    case s.outcome
      when 'failure' then (array['timeout', 'rate_limited', 'invalid_output', 'context_length_exceeded', 'upstream_error'])[1 + floor(s.u_error * 5)::integer]
      when 'partial' then 'truncated_output'
    end as error_type,
    (case s.outcome when 'failure' then s.tokens_out * 0.1 when 'partial' then s.tokens_out * 0.5 else s.tokens_out end)::integer as output_tokens,
    -- Models with prompt caching hit the cache on about half the runs, for 40-80% of the prompt.
    case when s.usd_per_mtok_cache_read is not null and s.u_cache < 0.5 then floor(s.tokens_in * (0.4 + 0.8 * s.u_cache))::integer else 0 end
      as cache_read_tokens
  from shaped s
)
insert into public.model_runs (
  id, project_id, expert_id, agent_id, model, prompt_version, input_tokens, output_tokens,
  cache_read_tokens, cost_usd, cost_source, latency_ms, confidence, outcome, error_type, metadata, created_at
)
select
  md5($1::text || ':' || f.i)::uuid,
  $1::uuid,
  f.expert_id,
  'agent-' || lpad((1 + floor(f.u_agent * 12))::integer::text, 2, '0'),
  f.model,
  'v' || (3 - floor(f.u_time * 3)::integer),
  f.tokens_in,
  f.output_tokens,
  f.cache_read_tokens,
  -- As ingest would price a run sent without a cost (lib/pricing): cache reads at their own rate.
  case when f.usd_per_mtok_in is null then 0
       else round((f.tokens_in - f.cache_read_tokens) * f.usd_per_mtok_in + f.cache_read_tokens * coalesce(f.usd_per_mtok_cache_read, f.usd_per_mtok_in)
                  + f.output_tokens * f.usd_per_mtok_out) / 1e6
  end::numeric(14, 6),
  -- A third of the runs report their own cost; the rest were priced by Iris, or had no price.
  case when f.usd_per_mtok_in is null then 'unknown_model' when f.u_cache > 0.67 then 'client' else 'computed' end,
  case
    when f.error_type = 'timeout' then 30000 + round(f.u_lat_b * 5000)
    else round(f.latency * (0.7 + 0.6 * f.u_out) * 10) / 10
  end,
  case
    when f.u_conf < 0.03 then null
    when f.outcome = 'success' then 0.62 + 0.37 * f.u_conf
    when f.outcome = 'partial' then 0.30 + 0.40 * f.u_conf
    else 0.05 + 0.40 * f.u_conf
  end::real,
  f.outcome,
  f.error_type,
  '{"synthetic": true}'::jsonb,
  $5::timestamptz - make_interval(secs => $3::integer * 86400 * f.u_time)
from finished f`;

/**
 * Three budgets sized from the seeded spend, so every budget feature shows: a
 * project month about 62% spent (past the 50% threshold), a hard daily cap
 * on agent-01 about 90% spent (past 80%, still allowed), and a roomy weekly
 * budget on gpt-4o. Parameters: $1 project id, $2 now. Crossings are then
 * recorded as ingest would record them.
 */
const BUDGETS_SQL = `
with spend as (
  select
    coalesce(sum(cost_usd) filter (where created_at >= date_trunc('month', $2::timestamptz at time zone 'UTC') at time zone 'UTC'), 0) as month,
    coalesce(sum(cost_usd) filter (where agent_id = 'agent-01' and created_at >= date_trunc('day', $2::timestamptz at time zone 'UTC') at time zone 'UTC'), 0) as agent_day,
    coalesce(sum(cost_usd) filter (where model = 'gpt-4o' and created_at >= date_trunc('week', $2::timestamptz at time zone 'UTC') at time zone 'UTC'), 0) as model_week
  from public.model_runs
  where project_id = $1 and created_at >= $2::timestamptz - interval '32 days' and created_at <= $2::timestamptz
)
insert into public.budgets (project_id, name, scope, scope_value, period, amount_usd, hard_limit, fail_mode)
select $1, 'Monthly spend', 'project', null, 'month', greatest(round(month / 0.62, 2), 0.01), false, 'open' from spend
union all
select $1, 'agent-01 daily cap', 'agent', 'agent-01', 'day', greatest(round(agent_day / 0.9, 2), 0.01), true, 'closed' from spend
union all
select $1, 'gpt-4o weekly', 'model', 'gpt-4o', 'week', greatest(round(model_week * 1.5, 2), 5), false, 'open' from spend`;

/** The runs no price matched, counted as ingest_runs counts them. Parameters: $1 project id. */
const UNKNOWN_MODELS_SQL = `
insert into public.unknown_models (project_id, model, runs, first_seen_at, last_seen_at)
select $1::uuid, r.model, count(*), min(r.created_at), max(r.created_at)
from public.model_runs r
where r.project_id = $1::uuid and r.cost_source = 'unknown_model'
group by r.model
on conflict (project_id, model) do nothing`;

/**
 * Every version of every expert; the newest is active, older ones are not.
 * Usage counts follow each expert's traffic share. Parameters: $1 project id,
 * $2 runs, $3 days, $4 seed, $5 now.
 */
const EXPERTS_SQL = `
with ${EXPERTS}
insert into public.expert_signatures (project_id, expert_id, version, signature, active, performance, usage_count, updated_at)
select
  $1::uuid,
  e.expert_id,
  v.version,
  format('You are the %s expert of Iris (signature v%s). Answer in JSON. Cite the inputs you used.', e.expert_id, v.version),
  v.version = e.versions,
  jsonb_build_object(
    'success_rate', round((0.86 + 0.03 * v.version + 0.02 * (${draw('e.idx * 10 + v.version', 20)}))::numeric, 3),
    'p95_latency_ms', round(1500 + 2500 * (${draw('e.idx * 10 + v.version', 21)})),
    'evaluated_runs', 200 * v.version
  ),
  (round($2::integer * e.slots / 100.0 * (case when v.version = e.versions then 0.8 else 0.2 / v.version end)))::bigint,
  $5::timestamptz - make_interval(secs => $3::integer * 86400 * (e.versions - v.version + 1) / (e.versions + 1)::float8)
from experts e
cross join lateral generate_series(1, e.versions) as v (version)`;

/** Roughly one reflexion per 500 runs, between 20 and 500. Same parameters. */
const REFLEXIONS_SQL = `
with ${EXPERTS},
draws as (
  select
    g.i,
    ${drawColumns(30, ['u_time', 'u_expert', 'u_kind', 'u_success', 'u_impact'])}
  from generate_series(1, least(500, greatest(20, $2::integer / 500))) as g (i)
)
insert into public.reflexions (project_id, expert_id, kind, context, outcome, success, impact_score, reuse_count, created_at)
select
  $1::uuid,
  e.expert_id,
  k.kind,
  format('%s on run batch %s: %s', e.expert_id, d.i, k.context),
  case when d.u_success < 0.65 then k.fix else 'No measurable change; reverted.' end,
  d.u_success < 0.65,
  round(d.u_impact::numeric, 2)::real,
  floor(d.u_impact * d.u_impact * 25)::integer,
  $5::timestamptz - make_interval(secs => $3::integer * 86400 * d.u_time)
from draws d
join experts e on e.idx = 1 + floor(d.u_expert * 8)::integer
join (
  values
    (0, 'failure_analysis', 'timeouts clustered on long contexts', 'Split inputs above 6k tokens; timeouts dropped.'),
    (1, 'prompt_revision', 'answers drifted from the JSON schema', 'Added a schema example to the prompt; invalid outputs fell.'),
    (2, 'tool_use', 'the retrieval tool was called twice per run', 'Cached tool results per run; latency improved.'),
    (3, 'model_choice', 'a cheaper model matched quality on short inputs', 'Routed short inputs to the mini model; cost fell.')
) as k (idx, kind, context, fix) on k.idx = floor(d.u_kind * 4)::integer`;

/**
 * Reports along the history: weekly health checks, a resolved cost warning,
 * a resolved latency incident, an open critical error spike and a recent
 * degraded check (the latest, so the overview shows it). Same parameters.
 */
const REPORTS_SQL = `
insert into public.iris_reports (project_id, kind, health_score, overall_health, severity, title, data, resolved_at, created_at)
select
  $1::uuid, r.kind, r.health_score, r.overall_health, r.severity, r.title,
  r.data::jsonb || jsonb_build_object('demo_runs', $2::integer, 'demo_seed', $4::bigint),
  case when r.resolved_after_hours is null then null
       else $5::timestamptz - make_interval(secs => r.age_hours * 3600) + make_interval(hours => r.resolved_after_hours) end,
  $5::timestamptz - make_interval(secs => r.age_hours * 3600)
from (
  values
    ('weekly_health', 93, 'healthy', 'info', 'Weekly health check: all experts nominal', '{"window_days": 7}', null::integer, $3::integer * 24 * 0.95),
    ('cost_anomaly', 74, 'degraded', 'warning', 'Cost per run up 35% on gpt-4o', '{"model": "gpt-4o", "change_pct": 35}', 20, $3::integer * 24 * 0.70),
    ('weekly_health', 88, 'healthy', 'info', 'Weekly health check: cost back to baseline', '{"window_days": 7}', null, $3::integer * 24 * 0.47),
    ('latency_regression', 51, 'critical', 'critical', 'p99 latency above 20 s on claude-3-5-sonnet', '{"model": "claude-3-5-sonnet", "p99_ms": 21400}', 9, $3::integer * 24 * 0.30),
    ('weekly_health', 85, 'healthy', 'info', 'Weekly health check: latency recovered', '{"window_days": 7}', null, $3::integer * 24 * 0.23),
    ('error_spike', 44, 'critical', 'critical', 'Failure rate of sql-generation above 15%', '{"expert_id": "sql-generation", "failure_rate": 0.16}', null, least(30.0, $3::integer * 24 * 0.04)),
    ('health_check', 71, 'degraded', 'warning', 'Degraded: one open critical report', '{"open_critical": 1}', null, least(2.0, $3::integer * 24 * 0.01))
) as r (kind, health_score, overall_health, severity, title, data, resolved_after_hours, age_hours)`;

/** The demo's prompt, its experiment, and the tags the experiment's runs carry. */
export const DEMO_PROMPT = 'support-triage';
export const DEMO_EXPERIMENT = 'support-triage-v3';
const CONTROL_TAG = `${DEMO_PROMPT}@2`;
const TREATMENT_TAG = `${DEMO_PROMPT}@3`;

/**
 * The runs of the experiment's window become its variants' runs: each of the
 * newest prompt version's runs since the experiment started is tagged with
 * control or treatment by a hash of its (seeded) time and latency, 50/50, and
 * 30% of the treatment's failures succeed instead, so the results show a real
 * difference. Parameters: $1 project id, $2 start of the experiment, $3 seed.
 */
const EXPERIMENT_RUNS_SQL = `
update public.model_runs r
set prompt_version = case when (hashtextextended(r.created_at::text || ':' || r.latency_ms::text, $3::bigint) & 1) = 0 then '${CONTROL_TAG}' else '${TREATMENT_TAG}' end
where r.project_id = $1::uuid and r.created_at >= $2::timestamptz and r.prompt_version = 'v3';
update public.model_runs r
set outcome = 'success', error_type = null
where r.project_id = $1::uuid and r.created_at >= $2::timestamptz and r.prompt_version = '${TREATMENT_TAG}' and r.outcome = 'failure'
  and (hashtextextended(r.created_at::text, $3::bigint + 1) & 1023) < 307`;

/**
 * The demo's prompt registry: support-triage with three versions (v1
 * deprecated, v2 in production after a recorded move from v1, v3 on staging)
 * and the running experiment comparing v2 with v3 over the last days of runs.
 */
async function seedPrompts(db: SqlDb, projectId: string, startedAt: string): Promise<void> {
  const base = { p_project_id: projectId, p_config: { model: 'gpt-4o-mini', temperature: 0 }, p_actor: 'seed' };
  const system = (extra: string) => `You triage support tickets for {{product}}.${extra} Answer with one of: billing, bug, how-to, other.`;
  await db.rpc('create_prompt', {
    ...base,
    p_name: DEMO_PROMPT,
    p_description: 'Sorts incoming support tickets into queues.',
    p_template: 'Classify this support ticket for {{product}}: {{ticket}}',
    p_messages: null,
    p_variables: ['product', 'ticket'],
    p_commit_message: 'First version',
    p_status: 'active',
    p_labels: ['production', 'canary'],
  });
  for (const [extra, status, labels, message, variables] of [
    ['', 'active', ['production'], 'Chat messages, fixed answer set', ['product', 'ticket']],
    [" Consider the customer's plan ({{plan}}) first.", 'testing', ['staging'], 'Use the plan to route billing questions', ['product', 'plan', 'ticket']],
  ] as const) {
    await db.rpc('create_prompt_version', {
      ...base,
      p_name: DEMO_PROMPT,
      p_template: null,
      p_messages: [
        { role: 'system', content: system(extra) },
        { role: 'user', content: '{{ticket}}' },
      ],
      p_variables: [...variables],
      p_commit_message: message,
      p_status: status,
      p_labels: [...labels],
    });
  }
  await db.rpc('set_prompt_version_status', { p_project_id: projectId, p_name: DEMO_PROMPT, p_version: 1, p_status: 'deprecated' });
  // A label that served its purpose: removed, its history kept (GET .../labels/canary shows it).
  await db.rpc('remove_prompt_label', { p_project_id: projectId, p_name: DEMO_PROMPT, p_label: 'canary', p_actor: base.p_actor, p_reason: 'v1 deprecated' });
  await db.rpc('create_experiment', {
    p_project_id: projectId,
    p_key: DEMO_EXPERIMENT,
    p_name: 'Support triage: plan-aware routing (v3) against production (v2)',
    p_description: 'Does telling the model the customer plan reduce misrouted tickets?',
    p_variants: [
      { name: 'control', weight: 1, runTag: CONTROL_TAG, prompt: { name: DEMO_PROMPT, version: 2 }, payload: null },
      { name: 'plan-aware', weight: 1, runTag: TREATMENT_TAG, prompt: { name: DEMO_PROMPT, version: 3 }, payload: null },
    ],
    p_control: 'control',
    p_primary_metric: 'success_rate',
    p_guardrail_metrics: ['mean_latency', 'mean_cost'],
    p_salt: DEMO_EXPERIMENT,
    p_status: 'running',
  });
  await db.query(`update public.experiments set started_at = $2 where project_id = $1 and key = $3`, [projectId, startedAt, DEMO_EXPERIMENT]);
}

function rateLimitSettings(rateLimit: DemoRateLimit | null = DEMO_RATE_LIMIT): { rateLimit?: DemoRateLimit } {
  return rateLimit === null ? {} : { rateLimit: { readsPerMinute: rateLimit.readsPerMinute, writesPerMinute: rateLimit.writesPerMinute } };
}

/**
 * Gives an existing project the demo's rate limits (a demo project seeded
 * before they existed, kept in IRIS_DATA_DIR or a real database). Keys already
 * verified keep their cached limits until the auth cache forgets them.
 */
export async function applyDemoRateLimit(db: SqlDb, projectId: string, rateLimit: DemoRateLimit = DEMO_RATE_LIMIT): Promise<void> {
  await db.query('update public.projects set settings = settings || $2::jsonb where id = $1', [projectId, JSON.stringify(rateLimitSettings(rateLimit))]);
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`seedDemo: ${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/**
 * Creates one demo project with a synthetic, deterministic history: runs of
 * several models (different latency and price profiles), experts, agents and
 * prompt versions, about 7% failures and 2.5% partial runs, expert signatures
 * with inactive older versions, reflexions and reports including one open
 * critical, and a prompt with three versions and labels under a running experiment whose
 * runs carry its variants' tags (docs/prompts.md). The project's keys get {@link DEMO_RATE_LIMIT} unless told otherwise. Generated in SQL (generate_series plus hash-based draws), so a
 * million runs take seconds on PostgreSQL. Never part of the migrations.
 * On failure the half-seeded project is deleted.
 * @example
 * const { projectId } = await seedDemo(db, { runs: 1_000_000 });
 */
export async function seedDemo(db: SqlDb, options: SeedDemoOptions = {}): Promise<SeedDemoResult> {
  const runs = checkInteger('runs', options.runs ?? 50_000, 0, MAX_RUNS);
  const days = checkInteger('days', options.days ?? 30, 1, 3650);
  const seed = checkInteger('seed', options.seed ?? 42, 0, 2 ** 31 - 1);
  const now = (options.now ?? new Date()).toISOString();

  const [project] = await db.query<{ id: string }>(
    `insert into public.projects (name, settings, created_at)
     values ($1, $2::jsonb, $3::timestamptz - make_interval(days => $4::integer))
     returning id`,
    [options.projectName ?? DEMO_PROJECT_NAME, JSON.stringify({ demo: true, seed, ...rateLimitSettings(options.rateLimit) }), now, days],
  );
  if (!project) throw new Error('seedDemo: inserting the project returned no row');
  const params = [project.id, runs, days, seed, now];
  try {
    for (const sql of [RUNS_SQL, EXPERTS_SQL, REFLEXIONS_SQL, REPORTS_SQL]) await db.query(sql, params);
    await db.query(UNKNOWN_MODELS_SQL, [project.id]);
    // The experiment covers the newest week (a quarter of a shorter history), in runs of the newest prompt version (the newest third).
    const startedAt = new Date(Date.parse(now) - Math.min(7, days / 4) * 86_400_000).toISOString();
    for (const statement of EXPERIMENT_RUNS_SQL.split(';\n')) await db.query(statement, [project.id, startedAt, seed]);
    await seedPrompts(db, project.id, startedAt);
    // The runs went straight into model_runs (much faster than ingest_runs for
    // millions of rows): build their hourly and daily rollups from them.
    const endMs = Date.parse(now);
    await backfillRollups(db, { projectId: project.id, fromMs: endMs - days * 86_400_000, toMs: endMs + 1 });
    await db.query(BUDGETS_SQL, [project.id, now]);
    await db.query('select count(*) from public.record_budget_crossings($1)', [project.id]);
  } catch (error) {
    await db.query('delete from public.projects where id = $1', [project.id]);
    throw error;
  }
  if (options.vacuum ?? true) {
    // VACUUM marks a page all-visible only once the inserts' commit hint bits
    // can be set, which waits until their commit record is flushed. With
    // synchronous_commit = off (the test harness) it may not be yet, so commit
    // one synchronous write first (a no-op update; a transaction that writes no
    // WAL commits asynchronously regardless): its flush covers the seed's commits.
    await db.exec(`set local synchronous_commit = on; update public.projects set name = name where id = '${project.id}'`);
    await db.exec('vacuum (analyze) public.model_runs, public.run_rollups, public.expert_signatures, public.reflexions, public.iris_reports');
  }
  return { projectId: project.id, runs };
}
