/**
 * The database port. Every read and write Iris does is a Postgres function in
 * `supabase/migrations`, called by name with named arguments, so the three
 * adapters (PGlite, postgres.js, Supabase/PostgREST) only have to agree on how
 * a function call travels, not on any SQL.
 *
 * Row shape contract: every RPC is declared `RETURNS TABLE (...)` or
 * `RETURNS SETOF <composite>`, and each adapter returns its rows as plain JSON
 * objects exactly as `to_jsonb(row)` renders them (which is also what PostgREST
 * sends): integers and numerics as JS numbers, timestamptz as ISO-8601 strings
 * in UTC, jsonb as parsed JSON, uuid as strings, SQL NULL as `null`.
 */

/** ISO-8601 timestamp string as rendered by `to_jsonb(timestamptz)` (UTC). */
export type Timestamp = string;
export type Uuid = string;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type RunOutcome = 'success' | 'failure' | 'partial';
export type OverallHealth = 'healthy' | 'degraded' | 'critical';
export type Severity = 'info' | 'warning' | 'critical';

/** A run as `ingest_runs` accepts it inside `p_runs` (snake_case JSON). */
export interface RunInput {
  /** Client-generated id: a run whose id is already stored is skipped. Defaults to a random UUID. */
  id?: Uuid;
  expert_id: string;
  agent_id?: string | null;
  model: string;
  prompt_version?: string | null;
  /** Every prompt token, cache reads and writes included (gen_ai.usage.input_tokens). */
  input_tokens: number;
  /** Every generated token, reasoning included (gen_ai.usage.output_tokens). */
  output_tokens: number;
  /** Parts of input_tokens and output_tokens. @default 0 */
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  reasoning_tokens?: number;
  cost_usd: number;
  /** How cost_usd was obtained. @default 'client' */
  cost_source?: CostSource;
  latency_ms: number;
  confidence?: number | null;
  outcome: RunOutcome;
  error_type?: string | null;
  metadata?: Json;
  /** Defaults to now() when absent. */
  created_at?: Timestamp;
}

/** How a run's cost was obtained: sent by the client, computed from the price table, or no price matched its model. */
export type CostSource = 'client' | 'computed' | 'unknown_model';

/** A run as list_model_runs returns it: RunRow with the token parts and cost source. */
export interface ModelRunRow extends RunRow {
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_source: CostSource;
}

/** One price of one model from one date on, as list_model_prices returns it. USD per million tokens. */
export interface ModelPriceRow {
  id: Uuid;
  origin: 'default' | 'project';
  model: string;
  aliases: string[];
  pattern: string | null;
  effective_from: Timestamp;
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok: number | null;
  cache_write_per_mtok: number | null;
  reasoning_per_mtok: number | null;
  tiers: { aboveInputTokens: number; rates: Record<string, number> }[];
  source: string | null;
  read_at: string | null;
}

/** A budget as list_budgets and the budget writes return it. */
export interface BudgetRow {
  id: Uuid;
  name: string;
  scope: 'project' | 'agent' | 'expert' | 'model';
  scope_value: string | null;
  period: 'day' | 'week' | 'month';
  time_zone: string;
  amount_usd: number;
  thresholds: number[];
  hard_limit: boolean;
  fail_mode: 'open' | 'closed';
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A budget with its current period and the exact spend in it. */
export interface BudgetStatusRow extends BudgetRow {
  period_start: Timestamp;
  period_end: Timestamp;
  spent_usd: number;
}

/** A prompt version as every prompt RPC returns it (0010_prompts): immutable content, its status and the labels pointing at it. */
export interface PromptVersionRow {
  name: string;
  description: string;
  version: number;
  template: string | null;
  messages: { role: string; content: string }[] | null;
  variables: string[];
  config: Record<string, Json>;
  commit_message: string | null;
  status: PromptStatus;
  created_by: string | null;
  created_at: Timestamp;
  labels: string[];
  latest_version: number;
}

export type PromptStatus = 'draft' | 'testing' | 'active' | 'deprecated';

/** A prompt RPC's answer: `outcome` says what happened; the version's columns are null unless it found or wrote one. */
export type PromptOutcomeRow<O extends string> = { outcome: O } & Nullable<PromptVersionRow>;

type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The arguments of both prompt writes (the content of one version). */
type PromptVersionArgs = {
  p_project_id: Uuid;
  p_name: string;
  p_template: string | null;
  p_messages: { role: string; content: string }[] | null;
  p_variables: string[];
  p_config: Record<string, Json>;
  p_commit_message: string | null;
  p_status: PromptStatus;
  p_labels: string[];
  /** Who wrote it: `key:<api key id>`. */
  p_actor: string;
};

/** An experiment as every experiment RPC returns it (0010_prompts). */
export interface ExperimentRow {
  key: string;
  name: string;
  description: string;
  status: 'draft' | 'running' | 'stopped' | 'completed';
  /** As stored, each prompt variant with its version's content added (template, messages, variables, config, status). */
  variants: Json[];
  control: string;
  primary_metric: 'success_rate' | 'mean_latency' | 'mean_cost' | 'mean_confidence';
  guardrail_metrics: string[];
  salt: string;
  winner: string | null;
  started_at: Timestamp | null;
  ended_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The sums of one variant's runs in the experiment's window, from the rollups. */
export interface ExperimentResultRow {
  variant: string;
  run_tag: string;
  runs: number;
  successes: number;
  cost_usd: number;
  cost_usd_sq: number;
  latency_ms_sum: number;
  latency_ms_sq: number;
  confidence_n: number;
  confidence_sum: number;
  window_from: Timestamp;
  window_to: Timestamp;
}

/** A price as replace_project_prices takes it inside p_prices. */
export interface ModelPriceInput {
  model: string;
  aliases?: string[];
  pattern?: string | null;
  effective_from?: Timestamp;
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok?: number | null;
  cache_write_per_mtok?: number | null;
  reasoning_per_mtok?: number | null;
  tiers?: { aboveInputTokens: number; rates: Record<string, number> }[];
}

export interface ProjectRow {
  id: Uuid;
  name: string;
  settings: Json;
  created_at: Timestamp;
}

export interface ApiKeyRow {
  id: Uuid;
  project_id: Uuid;
  prefix: string;
  label: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface RunRow {
  id: Uuid;
  expert_id: string;
  agent_id: string | null;
  model: string;
  prompt_version: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  latency_ms: number;
  confidence: number | null;
  outcome: RunOutcome;
  error_type: string | null;
  metadata: Json;
  created_at: Timestamp;
}

export interface ExpertRow {
  expert_id: string;
  version: number;
  signature: string;
  active: boolean;
  performance: Json;
  usage_count: number;
  updated_at: Timestamp;
}

export interface ReflexionRow {
  id: Uuid;
  expert_id: string;
  kind: string;
  context: string;
  outcome: string;
  success: boolean;
  impact_score: number;
  reuse_count: number;
  created_at: Timestamp;
}

export interface ReportRow {
  id: Uuid;
  kind: string;
  health_score: number;
  overall_health: OverallHealth;
  severity: Severity;
  title: string;
  data: Json;
  resolved_at: Timestamp | null;
  created_at: Timestamp;
}

export interface OverviewRow {
  runs_today: number;
  runs_24h: number;
  /** 0..1, null when there were no runs in the last 24 h. */
  success_rate_24h: number | null;
  p95_latency_ms_24h: number | null;
  input_tokens_24h: number;
  output_tokens_24h: number;
  cost_usd_24h: number;
  active_experts: number;
  reflexions: number;
  latest_health_score: number | null;
  overall_health: OverallHealth | null;
  open_critical_reports: number;
}

/** One row per model, plus one totals row whose `model` is null. */
export interface TokenStatsRow {
  model: string | null;
  runs: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** One row per model, plus one totals row whose `model` is null. */
export interface PerformanceStatsRow {
  model: string | null;
  runs: number;
  success_rate: number | null;
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
  p99_latency_ms: number | null;
  mean_confidence: number | null;
}

/** The attributes analytics group by, as the SQL functions name them. */
export type StatsDimension = 'model' | 'expert' | 'agent' | 'prompt_version';

/** The metrics a time series or a breakdown can chart or sort by, as SQL column names. */
export type StatsMetric =
  | 'runs'
  | 'input_tokens'
  | 'output_tokens'
  | 'cost_usd'
  | 'success_rate'
  | 'mean_latency_ms'
  | 'p50_latency_ms'
  | 'p95_latency_ms'
  | 'p99_latency_ms';

/** One group of a breakdown; `value` is null for runs without the attribute. */
export interface BreakdownRow {
  value: string | null;
  runs: number;
  success_rate: number | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  mean_latency_ms: number | null;
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
  p99_latency_ms: number | null;
  mean_confidence: number | null;
  /** Groups in the window before the limit (the same on every row). */
  total_groups: number;
}

/** One point of one series of a time series. */
export interface TimeseriesRow {
  bucket_start: Timestamp;
  /** `all` without grouping; `group` for a top value; `other` for the rest folded together. */
  kind: 'all' | 'group' | 'other';
  /** The group's value for kind `group` (null for runs without the attribute), else null. */
  grp: string | null;
  runs: number;
  /** 0 for an empty bucket of an additive metric; null for an empty bucket of a rate, mean or percentile. */
  value: number | null;
}

/** One field of one rollup row that differs from its recomputation from raw runs. */
export interface RollupMismatchRow {
  grain: 'hour' | 'day';
  dimension: 'all' | StatsDimension;
  bucket_start: Timestamp;
  value: string;
  field: string;
  /** The stored value as text (null when the rollup row is missing). */
  rollup: string | null;
  /** The value recomputed from raw runs as text (null when no raw run backs the row). */
  raw: string | null;
}

export interface VerifiedKeyRow {
  key_id: Uuid;
  project_id: Uuid;
  project_name: string;
  settings: Json;
  /** The stored hash, so the caller can re-compare it in constant time. */
  key_hash: string;
}

/**
 * Every RPC: its named arguments and the row it returns. Argument names are the
 * SQL parameter names. Optional arguments may be passed as null.
 */
export interface RpcMap {
  verify_api_key: { args: { p_key_hash: string }; row: VerifiedKeyRow };
  /** Runs whose id is already stored are skipped (`p_runs.length - inserted` duplicates); an id another project uses fails the batch (23505). */
  ingest_runs: { args: { p_project_id: Uuid; p_runs: RunInput[] }; row: { inserted: number } };
  list_runs: {
    args: { p_project_id: Uuid; p_limit: number; p_before_created_at: Timestamp | null; p_before_id: Uuid | null };
    row: RunRow;
  };
  get_project_overview: { args: { p_project_id: Uuid }; row: OverviewRow };
  get_token_stats: { args: { p_project_id: Uuid; p_from: Timestamp; p_to: Timestamp }; row: TokenStatsRow };
  get_performance_stats: {
    args: { p_project_id: Uuid; p_from: Timestamp; p_to: Timestamp };
    row: PerformanceStatsRow;
  };
  get_stats_breakdown: {
    args: {
      p_project_id: Uuid;
      p_by: StatsDimension;
      p_from: Timestamp;
      p_to: Timestamp;
      p_sort: StatsMetric | 'mean_confidence';
      p_descending: boolean;
      p_limit: number;
    };
    row: BreakdownRow;
  };
  get_stats_timeseries: {
    args: {
      p_project_id: Uuid;
      p_metric: StatsMetric;
      p_interval: 'hour' | 'day';
      p_from: Timestamp;
      p_to: Timestamp;
      p_group_by: StatsDimension | 'none';
      p_top: number;
    };
    row: TimeseriesRow;
  };
  /** Rebuilds one UTC day of the project's rollups from raw runs; idempotent. */
  backfill_run_rollups: { args: { p_project_id: Uuid; p_day: Timestamp }; row: { runs: number; rollup_rows: number } };
  /** Zero rows when the rollups of every day touching the window equal their recomputation from raw runs. */
  check_run_rollups: { args: { p_project_id: Uuid; p_from: Timestamp; p_to: Timestamp }; row: RollupMismatchRow };
  /** list_runs with the token parts and cost source (list_runs keeps its older result type). */
  list_model_runs: {
    args: { p_project_id: Uuid; p_limit: number; p_before_created_at: Timestamp | null; p_before_id: Uuid | null };
    row: ModelRunRow;
  };
  /** The project's own prices, then Iris's defaults, every effective date of each. */
  list_model_prices: { args: { p_project_id: Uuid }; row: ModelPriceRow };
  /** Replaces the project's own prices with the given set; returns the new rows. */
  replace_project_prices: { args: { p_project_id: Uuid; p_prices: ModelPriceInput[] }; row: ModelPriceRow };
  /** Models of the project's runs that no price matched, most runs first. */
  list_unknown_models: { args: { p_project_id: Uuid }; row: { model: string; runs: number; first_seen_at: Timestamp; last_seen_at: Timestamp } };
  list_budgets: { args: { p_project_id: Uuid }; row: BudgetRow };
  /** Every budget of the project with its current period's bounds and spend. */
  budget_status: { args: { p_project_id: Uuid }; row: BudgetStatusRow };
  /** Records (once) every threshold spend has reached and enqueues its webhook event; returns the new crossings. */
  record_budget_crossings: {
    args: { p_project_id: Uuid };
    row: { budget_id: Uuid; name: string; period_start: Timestamp; period_end: Timestamp; threshold: number; spent_usd: number; amount_usd: number };
  };
  create_budget: {
    args: {
      p_project_id: Uuid;
      p_name: string;
      p_scope: BudgetRow['scope'];
      p_scope_value: string | null;
      p_period: BudgetRow['period'];
      p_time_zone: string;
      p_amount_usd: number;
      p_thresholds: number[];
      p_hard_limit: boolean;
      p_fail_mode: BudgetRow['fail_mode'];
    };
    row: BudgetRow;
  };
  /** Zero rows when the project has no such budget. */
  update_budget: { args: { p_project_id: Uuid; p_budget_id: Uuid; p_changes: Record<string, Json> }; row: BudgetRow };
  /** Zero rows when the project has no such budget. */
  delete_budget: { args: { p_project_id: Uuid; p_budget_id: Uuid }; row: { id: Uuid } };
  list_experts: { args: { p_project_id: Uuid; p_active_only: boolean }; row: ExpertRow };
  upsert_expert_signature: {
    args: {
      p_project_id: Uuid;
      p_expert_id: string;
      p_version: number;
      p_signature: string;
      p_active: boolean;
      p_performance: Json;
    };
    row: ExpertRow;
  };
  /** Zero rows when the expert does not exist in the project. */
  increment_expert_usage: { args: { p_project_id: Uuid; p_expert_id: string }; row: { expert_id: string; version: number; usage_count: number } };
  list_reports: {
    args: { p_project_id: Uuid; p_limit: number; p_before_created_at: Timestamp | null; p_before_id: Uuid | null };
    row: ReportRow;
  };
  create_report: {
    args: {
      p_project_id: Uuid;
      p_kind: string;
      p_health_score: number;
      p_overall_health: OverallHealth;
      p_severity: Severity;
      p_title: string;
      p_data: Json;
    };
    row: ReportRow;
  };
  record_reflexion: {
    args: {
      p_project_id: Uuid;
      p_expert_id: string;
      p_kind: string;
      p_context: string;
      p_outcome: string;
      p_success: boolean;
      p_impact_score: number;
    };
    row: ReflexionRow;
  };
  list_reflexions: {
    args: {
      p_project_id: Uuid;
      p_expert_id: string | null;
      p_limit: number;
      p_before_created_at: Timestamp | null;
      p_before_id: Uuid | null;
    };
    row: ReflexionRow;
  };
  create_project: { args: { p_name: string; p_settings: Json }; row: ProjectRow };
  list_projects: { args: Record<string, never>; row: ProjectRow };
  /** Zero rows when the project does not exist. */
  get_project: { args: { p_project_id: Uuid }; row: ProjectRow };
  create_api_key: {
    args: { p_project_id: Uuid; p_key_hash: string; p_prefix: string; p_label: string | null };
    row: ApiKeyRow;
  };
  /** Zero rows when the key does not exist. Idempotent: revoking twice keeps the first revoked_at. */
  revoke_api_key: { args: { p_key_id: Uuid }; row: ApiKeyRow & { key_hash: string } };
  /** Revokes the old key and creates its successor (same project and label) atomically. Zero rows when the old key does not exist or is already revoked. */
  rotate_api_key: {
    args: { p_key_id: Uuid; p_new_key_hash: string; p_new_prefix: string };
    row: ApiKeyRow & { old_key_hash: string };
  };
  list_api_keys: { args: { p_project_id: Uuid }; row: ApiKeyRow & { usage_count: number } };
  /** Adds batched per-key request counts; returns how many keys were updated. */
  record_key_usage: {
    args: { p_usage: { key_id: Uuid; count: number; last_used_at: Timestamp }[] };
    row: { updated: number };
  };
  /** Runs one of the `IdempotentRpc` writes at most once per (scope, key), storing its rows in the same transaction. */
  write_once: {
    args: {
      /** A project id, or `admin`. */
      p_scope: string;
      /** SHA-256 (hex) of the Idempotency-Key. */
      p_key_hash: string;
      /** SHA-256 (hex) of the request's method, path and body. */
      p_fingerprint: string;
      p_ttl_seconds: number;
      p_rpc: IdempotentRpc;
      /** The named arguments of `p_rpc`. */
      p_args: Readonly<Record<string, unknown>>;
      /** Encrypted secret to hand back on a replay, or null. */
      p_sealed: string | null;
    };
    row: WriteOnceRow;
  };
  /** Deletes up to p_limit raw runs older than their project's retention; returns how many. */
  delete_expired_runs: { args: { p_limit: number }; row: { deleted: number } };
  /** Deletes up to p_limit rollup rows whose bucket ended before their project's rollup retention; returns how many. */
  delete_expired_rollups: { args: { p_limit: number }; row: { deleted: number } };
  /** Deletes up to p_limit expired idempotency records; returns how many. */
  delete_expired_idempotency_keys: { args: { p_limit: number }; row: { deleted: number } };
  /**
   * For event producers (usually called from SQL, inside the producer's transaction): stores the event once
   * per (project, dedupe key) and queues one delivery per subscribed endpoint. Zero rows when the key was used.
   */
  enqueue_webhook_event: {
    args: { p_project_id: Uuid; p_type: string; p_payload: { [key: string]: Json }; p_dedupe_key: string | null };
    row: { event_id: Uuid; deliveries: number };
  };
  /** Queues a `webhook.test` event to one enabled endpoint of the project; zero rows when it is not one. */
  send_test_webhook: { args: { p_project_id: Uuid; p_endpoint_id: Uuid }; row: { event_id: Uuid; delivery_id: Uuid } };
  /** Zero rows when the project already has the most enabled endpoints it may have (20). */
  create_webhook_endpoint: {
    args: {
      p_project_id: Uuid;
      p_id: Uuid;
      p_url: string;
      p_description: string | null;
      p_event_types: string[];
      /** The `whsec_` secret encrypted by lib/webhooks (never the plaintext). */
      p_secret_ciphertext: string;
    };
    row: WebhookEndpointRow & { secret_ciphertext: string };
  };
  list_webhook_endpoints: {
    args: { p_project_id: Uuid; p_limit: number; p_before_created_at: Timestamp | null; p_before_id: Uuid | null };
    row: WebhookEndpointRow;
  };
  /** Zero rows when the endpoint is not the project's. */
  get_webhook_endpoint: { args: { p_project_id: Uuid; p_id: Uuid }; row: WebhookEndpointRow };
  /** Idempotent; finishes the endpoint's pending deliveries as failed. Zero rows when it is not the project's. */
  disable_webhook_endpoint: { args: { p_project_id: Uuid; p_id: Uuid; p_reason: 'deleted' | 'gone' }; row: WebhookEndpointRow };
  /**
   * Changes the fields present in `p_changes` (`url`, `description`: null clears it, `event_types`) of the project's
   * enabled endpoint (0013). Zero rows when the endpoint is not the project's or is disabled.
   */
  update_webhook_endpoint: {
    args: { p_project_id: Uuid; p_id: Uuid; p_changes: { url?: string; description?: string | null; event_types?: string[] } };
    row: WebhookEndpointRow;
  };
  list_webhook_deliveries: {
    args: {
      p_project_id: Uuid;
      p_endpoint_id: Uuid;
      p_limit: number;
      p_before_created_at: Timestamp | null;
      p_before_id: Uuid | null;
    };
    row: WebhookDeliveryRow;
  };
  /** Leases up to p_limit due deliveries (FOR UPDATE SKIP LOCKED); each row's `attempt` fences its outcome. */
  /**
   * A new sealed signing secret for the project's enabled endpoint; the old one signs too until
   * `previous_secret_expires_at` (null with no overlap). Zero rows when the endpoint is not the project's or is disabled.
   */
  rotate_webhook_secret: {
    args: { p_project_id: Uuid; p_id: Uuid; p_secret_ciphertext: string; p_overlap_seconds: number };
    row: WebhookEndpointRow & { secret_ciphertext: string; previous_secret_expires_at: Timestamp | null };
  };
  /** The sealed previous secret of each endpoint whose rotation overlap lasts past `p_now` (or the database's clock); no row for the others. */
  webhook_previous_secrets: { args: { p_endpoint_ids: Uuid[]; p_now: Timestamp }; row: { endpoint_id: Uuid; previous_secret_ciphertext: string } };
  claim_webhook_deliveries: { args: { p_now: Timestamp; p_limit: number; p_lease_seconds: number }; row: ClaimedDeliveryRow };
  /** Zero rows when `p_attempt` is no longer the delivery's current attempt. */
  /**
   * Stores the endpoint's secret sealed again under the current key, only if the stored value is still
   * `p_sealed_before` (compare-and-set); `resealed` false when it was not (or the endpoint is another project's).
   */
  reseal_webhook_secret: {
    args: { p_project_id: Uuid; p_endpoint_id: Uuid; p_sealed_before: string; p_sealed_after: string };
    row: { resealed: boolean };
  };
  record_webhook_attempt: {
    args: {
      p_delivery_id: Uuid;
      p_attempt: number;
      p_outcome: 'succeeded' | 'retry' | 'failed';
      p_at: Timestamp;
      p_next_attempt_at: Timestamp | null;
      p_status: number | null;
      p_error: string | null;
      p_response: string | null;
    };
    row: { id: Uuid; status: WebhookDeliveryStatus; attempts: number; next_attempt_at: Timestamp | null; completed_at: Timestamp | null };
  };
  /** Live deliveries due at p_now and waiting for later (each counted up to 100,000), and the earliest due time. */
  webhook_backlog: { args: { p_now: Timestamp }; row: { due: number; waiting: number; next_due_at: Timestamp | null } };
  /** Deletes up to p_limit events older than 90 days (with their deliveries); returns how many. */
  delete_expired_webhook_events: { args: { p_limit: number }; row: { deleted: number } };
  /** Clears up to `p_limit` previous signing secrets whose rotation overlap has ended (0013). */
  retire_expired_webhook_secrets: { args: { p_limit: number }; row: { retired: number } };
  /** The project's prompts by name, with their newest version and labels (0010_prompts). */
  list_prompts: { args: { p_project_id: Uuid }; row: { name: string; description: string; created_at: Timestamp; latest_version: number; labels: Record<string, number> } };
  create_prompt: { args: PromptVersionArgs & { p_description: string }; row: PromptOutcomeRow<'created' | 'prompt_exists' | 'deprecated_production' | 'too_many_labels'> };
  create_prompt_version: { args: PromptVersionArgs; row: PromptOutcomeRow<'created' | 'prompt_not_found' | 'deprecated_production' | 'too_many_labels'> };
  /** A version by number, or the one a label points at (production when both are null; `latest` the newest). */
  get_prompt_version: {
    args: { p_project_id: Uuid; p_name: string; p_label: string | null; p_version: number | null };
    row: PromptOutcomeRow<'found' | 'prompt_not_found' | 'label_not_found' | 'version_not_found'>;
  };
  /** Newest first; no rows when the project has no such prompt. */
  list_prompt_versions: { args: { p_project_id: Uuid; p_name: string }; row: PromptVersionRow };
  move_prompt_label: {
    args: { p_project_id: Uuid; p_name: string; p_label: string; p_version: number; p_actor: string; p_reason: string | null };
    row: {
      outcome: 'moved' | 'unchanged' | 'prompt_not_found' | 'version_not_found' | 'deprecated_production' | 'too_many_labels';
      label: string;
      version: number;
      previous_version: number | null;
      moved_by: string | null;
      moved_at: Timestamp | null;
    };
  };
  /** Removes a label (not production) and records the removal as a move to no version (0014). */
  remove_prompt_label: {
    args: { p_project_id: Uuid; p_name: string; p_label: string; p_actor: string; p_reason: string | null };
    row: {
      outcome: 'removed' | 'prompt_not_found' | 'label_not_found' | 'production_label';
      label: string;
      previous_version: number | null;
      moved_by: string | null;
      moved_at: Timestamp | null;
    };
  };
  /** A label's moves, newest first; `to_version` is null for a removal (0014). */
  list_prompt_label_moves: {
    args: { p_project_id: Uuid; p_name: string; p_label: string; p_limit: number };
    row: { label: string; from_version: number | null; to_version: number | null; moved_by: string | null; reason: string | null; moved_at: Timestamp };
  };
  set_prompt_version_status: {
    args: { p_project_id: Uuid; p_name: string; p_version: number; p_status: PromptStatus };
    row: PromptOutcomeRow<'updated' | 'prompt_not_found' | 'version_not_found' | 'deprecated_production'>;
  };
  list_experiments: { args: { p_project_id: Uuid }; row: ExperimentRow };
  /** No rows when the project has no such experiment. */
  get_experiment: { args: { p_project_id: Uuid; p_key: string }; row: ExperimentRow };
  create_experiment: {
    args: {
      p_project_id: Uuid;
      p_key: string;
      p_name: string;
      p_description: string;
      p_variants: Json[];
      p_control: string;
      p_primary_metric: ExperimentRow['primary_metric'];
      p_guardrail_metrics: string[];
      p_salt: string;
      p_status: 'draft' | 'running';
    };
    row: { outcome: 'created' | 'experiment_exists' | 'prompt_version_not_found' } & Nullable<ExperimentRow>;
  };
  update_experiment: {
    args: { p_project_id: Uuid; p_key: string; p_changes: Record<string, Json>; p_winner: string | null; p_move_label: string | null; p_actor: string };
    row: { outcome: string } & Nullable<ExperimentRow>;
  };
  /** Per variant, the sums of its runs in the experiment's window; no rows before it started. */
  experiment_results: { args: { p_project_id: Uuid; p_key: string }; row: ExperimentResultRow };
  /** The migration files the database records as applied, by each tracker it has (0006_operations); the detailed health check's round trip. */
  iris_applied_migrations: { args: Record<string, never>; row: AppliedMigrationRow };
}

/** One migration file a tracker records as applied. */
export interface AppliedMigrationRow {
  /** The file name, `0001_schema.sql`. */
  name: string;
  /** When `npm run db:migrate` applied it; null from the Supabase CLI's tracker, which keeps no time. */
  applied_at: Timestamp | null;
  /** `iris`: public.iris_schema_migrations; `supabase`: supabase_migrations.schema_migrations. */
  source: 'iris' | 'supabase';
}

/** A webhook endpoint as the API shows it: never its secret. */
export interface WebhookEndpointRow {
  id: Uuid;
  url: string;
  description: string | null;
  event_types: string[];
  created_at: Timestamp;
  disabled_at: Timestamp | null;
  /** `deleted` (DELETE /api/iris/webhooks/{id}) or `gone` (the receiver answered 410). */
  disabled_reason: 'deleted' | 'gone' | null;
}

export type WebhookDeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

/** One row of an endpoint's delivery log. */
export interface WebhookDeliveryRow {
  id: Uuid;
  event_id: Uuid;
  event_type: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  last_status: number | null;
  last_error: string | null;
  last_response: string | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
}

/** A delivery a deliverer has leased, with what it needs to send it. */
export interface ClaimedDeliveryRow {
  id: Uuid;
  /** This attempt's number (1 for the first); pass it back to record_webhook_attempt. */
  attempt: number;
  project_id: Uuid;
  endpoint_id: Uuid;
  url: string;
  secret_ciphertext: string;
  event_id: Uuid;
  event_type: string;
  payload: { [key: string]: Json };
  event_created_at: Timestamp;
  /** When the delivery was queued: the retry window starts here. */
  created_at: Timestamp;
}

/** The writes `write_once` may run (the rows of `write_once_functions` in SQL: 0007, and each later migration adds its own). */
export type IdempotentRpc =
  | 'ingest_runs'
  | 'create_report'
  | 'record_reflexion'
  | 'upsert_expert_signature'
  | 'increment_expert_usage'
  | 'create_project'
  | 'create_api_key'
  | 'revoke_api_key'
  | 'rotate_api_key'
  | 'create_webhook_endpoint'
  | 'disable_webhook_endpoint'
  | 'send_test_webhook'
  | 'rotate_webhook_secret'
  | 'update_webhook_endpoint'
  | 'replace_project_prices'
  | 'create_budget'
  | 'update_budget'
  | 'delete_budget'
  | 'create_prompt'
  | 'create_prompt_version'
  | 'move_prompt_label'
  | 'remove_prompt_label'
  | 'set_prompt_version_status'
  | 'create_experiment'
  | 'update_experiment';

/** What `write_once` did with one keyed request. */
export interface WriteOnceRow {
  /** `stored`: the write ran now; `replayed`: the same request ran before; `mismatch`: another request owns the key; `in_flight`: the key's first request is still running. */
  outcome: 'stored' | 'replayed' | 'mismatch' | 'in_flight';
  /** The write's rows (stored, replayed), else null. */
  result: Json[] | null;
  /** The sealed secret stored with the first answer, if any. */
  sealed: string | null;
  /** When the key's first request ran (null while in flight). */
  first_seen_at: Timestamp | null;
}

export type RpcName = keyof RpcMap;
export type RpcArgs<N extends RpcName> = RpcMap[N]['args'];
export type RpcRow<N extends RpcName> = RpcMap[N]['row'];

/** Per-call options of `Db.rpc`. */
export interface RpcOptions {
  /**
   * Abandons the call when aborted: the call rejects with a `DbError`
   * `timeout` whose `mayHaveCommitted` says whether it had been sent. An
   * adapter that can cancels the work too (postgres.js cancels the query,
   * supabase-js aborts the fetch); PGlite cannot, and only stops waiting.
   * The guarded Db (guarded.ts) aborts it when the call's time budget is spent.
   */
  signal?: AbortSignal;
}

/** The port every adapter implements. */
export interface Db {
  /** Which adapter this is, for logs and metrics labels. */
  readonly kind: 'pglite' | 'postgres' | 'supabase';
  /**
   * Calls `public.<name>(<arg> => <value>, ...)` and returns its rows as JSON.
   * Rejects with a `DbError` when the database refuses the call.
   */
  rpc<N extends RpcName>(name: N, args: RpcArgs<N>, options?: RpcOptions): Promise<RpcRow<N>[]>;
  /** Releases connections. Safe to call twice. */
  close(): Promise<void>;
}

/** A Db that can also run raw SQL: the Node-side adapters, for migrations, seeding and benchmarks. */
export interface SqlDb extends Db {
  readonly kind: 'pglite' | 'postgres';
  /** Runs one or more statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs one parameterised statement and returns its rows as the driver parses them. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}
