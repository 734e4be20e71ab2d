import { DbError } from './errors.js';
import type { RpcName } from './types.js';

/**
 * How an RPC travels over a SQL connection, shared by the PGlite and
 * postgres.js adapters: one parameterised statement that calls the function
 * with named arguments and renders each row with `to_jsonb`, so both return
 * exactly what PostgREST would.
 */

/** Every RPC name; the `Record` makes the compiler reject a missing or extra name. */
const RPC_NAMES: Record<RpcName, true> = {
  verify_api_key: true,
  ingest_runs: true,
  list_runs: true,
  list_model_runs: true,
  list_model_prices: true,
  replace_project_prices: true,
  list_unknown_models: true,
  list_budgets: true,
  budget_status: true,
  record_budget_crossings: true,
  create_budget: true,
  update_budget: true,
  delete_budget: true,
  get_project_overview: true,
  get_token_stats: true,
  get_performance_stats: true,
  get_stats_breakdown: true,
  get_stats_timeseries: true,
  backfill_run_rollups: true,
  check_run_rollups: true,
  list_experts: true,
  upsert_expert_signature: true,
  increment_expert_usage: true,
  list_reports: true,
  create_report: true,
  record_reflexion: true,
  list_reflexions: true,
  create_project: true,
  list_projects: true,
  get_project: true,
  create_api_key: true,
  revoke_api_key: true,
  rotate_api_key: true,
  list_api_keys: true,
  record_key_usage: true,
  write_once: true,
  delete_expired_runs: true,
  delete_expired_rollups: true,
  delete_expired_idempotency_keys: true,
  enqueue_webhook_event: true,
  send_test_webhook: true,
  create_webhook_endpoint: true,
  list_webhook_endpoints: true,
  get_webhook_endpoint: true,
  disable_webhook_endpoint: true,
  list_webhook_deliveries: true,
  claim_webhook_deliveries: true,
  record_webhook_attempt: true,
  reseal_webhook_secret: true,
  rotate_webhook_secret: true,
  update_webhook_endpoint: true,
  retire_expired_webhook_secrets: true,
  webhook_previous_secrets: true,
  webhook_backlog: true,
  delete_expired_webhook_events: true,
  iris_applied_migrations: true,
  list_prompts: true,
  create_prompt: true,
  create_prompt_version: true,
  get_prompt_version: true,
  list_prompt_versions: true,
  move_prompt_label: true,
  remove_prompt_label: true,
  list_prompt_label_moves: true,
  set_prompt_version_status: true,
  list_experiments: true,
  get_experiment: true,
  create_experiment: true,
  update_experiment: true,
  experiment_results: true,
};

/** jsonb parameters: always sent as JSON text, even when the value is a JSON string or number. */
const JSON_ARGS = new Set(['p_runs', 'p_settings', 'p_performance', 'p_data', 'p_usage', 'p_args', 'p_payload', 'p_event_types', 'p_prices', 'p_changes', 'p_thresholds', 'p_messages', 'p_variables', 'p_config', 'p_labels', 'p_variants', 'p_guardrail_metrics', 'p_endpoint_ids']);

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ARG_NAME = /^p_[a-z0-9_]+$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Codes meaning the server could not be reached or refused the connection: the call was never sent. */
const REFUSED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CONNECT_TIMEOUT',
  // cannot_connect_now: the server is starting up or shutting down and takes no new sessions.
  '57P03',
]);

/**
 * Codes meaning the connection was lost or the server is going away (admin
 * or crash shutdown): an outage, not a refusal of the call, and for a call
 * already sent its outcome is unknown.
 */
const LOST_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  '57P01',
  '57P02',
]);

/** A statement ready for a driver: text with `$n` placeholders and text (or null) parameters. */
export interface RpcStatement {
  text: string;
  params: (string | null)[];
}

/** True when `name` is one of the RPCs in `RpcMap`. */
export function isRpcName(name: string): name is RpcName {
  return Object.hasOwn(RPC_NAMES, name) && IDENTIFIER.test(name);
}

/**
 * Builds `select to_jsonb(r) as r from (select * from public.<name>(p_a => $1, ...)) r`.
 * The subquery matters: for a function with one output column (ingest_runs)
 * `from fn() r` binds `r` to the bare value, so `to_jsonb(r)` would be `1`
 * instead of `{"inserted": 1}`; a subquery alias is always the whole row.
 * Parameters are untyped text so Postgres resolves each one to the declared
 * parameter type (uuid, timestamptz, jsonb ...) without a driver round trip
 * through JS Dates, which would drop microseconds from keyset cursors.
 * @throws DbError (`42883`) for a name not in `RpcMap` or a malformed argument name.
 */
export function buildRpcStatement(name: string, args: Readonly<Record<string, unknown>>): RpcStatement {
  if (!isRpcName(name)) throw new DbError(name, '42883', `unknown RPC ${JSON.stringify(name)}`);
  const names = Object.keys(args);
  const params: (string | null)[] = [];
  const named: string[] = [];
  for (const arg of names) {
    if (!ARG_NAME.test(arg)) throw new DbError(name, '42883', `invalid argument name ${JSON.stringify(arg)}`);
    params.push(encodeArg(arg, args[arg]));
    named.push(`${arg} => $${params.length}`);
  }
  return { text: `select to_jsonb(r) as r from (select * from public.${name}(${named.join(', ')})) r`, params };
}

function encodeArg(arg: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (JSON_ARGS.has(arg)) return JSON.stringify(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/**
 * Maps whatever a driver threw to a `DbError`: `connection` when the server
 * could not be reached or the connection was lost, the SQLSTATE when Postgres
 * answered, else `fallback` (a client-side failure). The original error is the
 * cause. `sent` says whether the statement had gone out: only a sent call whose
 * connection was lost may have committed (an error Postgres answered rolls the
 * one statement back).
 */
export function toDbError(fn: string, error: unknown, fallback = 'XX000', sent = true): DbError {
  if (error instanceof DbError) return error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  // Connection codes first: 'EPIPE' would otherwise pass for a SQLSTATE.
  const lost = LOST_CODES.has(code);
  const sqlState = lost || REFUSED_CODES.has(code) ? 'connection' : SQLSTATE.test(code) ? code : fallback;
  return new DbError(fn, sqlState, message, { cause: error, mayHaveCommitted: sent && lost });
}
