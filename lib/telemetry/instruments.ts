import { createRegistry, registerProcessMetrics, type Registry } from '../metrics/index.js';

/**
 * Every metric Iris exports, declared once with bounded labels. Routes are
 * labelled by their template (`/api/iris/experts/:expertId/usage`), never by
 * the raw path; no label ever holds an id, a key or user input.
 * docs/observability.md explains each one.
 */

/** Buckets for request latency, in seconds, dense around the 150 ms / 200 ms targets. */
export const HTTP_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];
/** Buckets for database and KV calls, in seconds. */
export const DEPENDENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const LOOKUP_LABELS = ['layer', 'result'] as const;
const LIMIT_LABELS = ['result', 'reason'] as const;
/** Most (route, method, status) children remembered; beyond it lookups go to the registry each time. */
const MAX_MEMO = 1_000;

export type CircuitStateName = 'closed' | 'half-open' | 'open';
export const CIRCUIT_STATE_VALUE: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface InstrumentsOptions {
  /** Registry to declare the metrics in. @default a new registry */
  registry?: Registry;
  /** Reported as `iris_build_info{version}`. */
  version: string;
  /** Register process gauges (memory, uptime, event-loop lag). @default true */
  processMetrics?: boolean;
}

export function createInstruments(options: InstrumentsOptions) {
  const registry = options.registry ?? createRegistry();

  const httpRequests = registry.counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code.',
    labelNames: ['route', 'method', 'status'],
  });
  const httpDuration = registry.histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to handing back its response, by route template and method.',
    labelNames: ['route', 'method'],
    buckets: HTTP_BUCKETS_S,
    sketch: true,
  });
  const cacheRequests = registry.counter({
    name: 'cache_requests_total',
    help: 'Cache lookups by layer (l1, l2) and result (hit, miss, stale).',
    labelNames: ['layer', 'result'],
  });
  const cacheCoalesced = registry.counter({
    name: 'cache_coalesced_total',
    help: 'Requests that shared another request’s computation instead of running their own, by scope (local, fleet).',
    labelNames: ['scope'],
  });
  const cacheStale = registry.counter({
    name: 'cache_stale_served_total',
    help: 'Stale values served, by reason (revalidate: while one refresh runs; error: the refresh failed; timeout: the refresh took longer than the wait budget).',
    labelNames: ['reason'],
  });
  const kvDuration = registry.histogram({
    name: 'kv_operation_duration_seconds',
    help: 'Duration of KV (Redis) operations, by operation.',
    labelNames: ['op'],
    buckets: DEPENDENCY_BUCKETS_S,
  });
  const kvErrors = registry.counter({
    name: 'kv_errors_total',
    help: 'KV operations that failed or were skipped, by operation and reason (timeout, error, circuit_open).',
    labelNames: ['op', 'reason'],
  });
  const circuitState = registry.gauge({
    name: 'circuit_state',
    help: 'Circuit breaker state by dependency: 0 closed, 1 half-open, 2 open.',
    labelNames: ['dependency'],
    merge: 'max',
  });
  const dbRpc = registry.counter({
    name: 'db_rpc_total',
    help: 'Database RPC calls by function and result (ok, error).',
    labelNames: ['fn', 'result'],
  });
  const dbRejections = registry.counter({
    name: 'db_rejections_total',
    help: 'Database calls that got no answer, by reason (circuit_open: not attempted, the circuit is open; timeout: no answer within the call budget; connection: unreachable, lost or shutting down).',
    labelNames: ['reason'],
  });
  const dbDuration = registry.histogram({
    name: 'db_rpc_duration_seconds',
    help: 'Database RPC duration, by function.',
    labelNames: ['fn'],
    buckets: DEPENDENCY_BUCKETS_S,
    sketch: true,
  });
  const rateLimit = registry.counter({
    name: 'rate_limit_decisions_total',
    help: 'Rate-limit decisions by result (allowed, limited) and reason (ok, limit, timeout, error, cache_block).',
    labelNames: ['result', 'reason'],
  });
  const authFailures = registry.counter({
    name: 'auth_failures_total',
    help: 'Requests refused by authentication, by reason.',
    labelNames: ['reason'],
  });
  const runsIngested = registry.counter({
    name: 'runs_ingested_total',
    help: 'Model runs stored through POST /api/iris/runs.',
  });
  // Model names are client input: each metric keeps at most this many series, then folds the rest into `other`.
  const llmTokens = registry.counter({
    name: 'llm_tokens_total',
    help: 'Tokens of ingested runs by model and type (input and output are totals; cache_read, cache_write and reasoning are parts of them).',
    labelNames: ['model', 'type'],
    maxSeries: 500,
  });
  const llmCost = registry.counter({
    name: 'llm_cost_usd_total',
    help: 'Cost in USD of ingested runs by model, as stored (sent by the client or computed from the price table).',
    labelNames: ['model'],
    maxSeries: 100,
  });
  const costSources = registry.counter({
    name: 'runs_cost_source_total',
    help: 'Ingested runs by how their cost was obtained (client, computed, unknown_model: no price matched, stored as 0).',
    labelNames: ['source'],
  });
  const budgetChecks = registry.counter({
    name: 'budget_checks_total',
    help: 'Answers of GET /api/iris/budgets/check, by result (allowed, refused).',
    labelNames: ['result'],
  });
  const budgetDegraded = registry.counter({
    name: 'budget_check_degraded_total',
    help: 'Budget checks answered without current data, by reason (database_unavailable: from the last copy, by each budget\'s fail mode; budgets_unavailable: no copy, failed open).',
    labelNames: ['reason'],
  });
  // Budget names are client input: one series per "<project name>/<budget name>", at most 200, then `other`.
  const budgetUtilization = registry.gauge({
    name: 'budget_utilization_ratio',
    help: 'Spend in the current period over the amount, per budget ("<project>/<budget>" names), as this instance last read it.',
    labelNames: ['budget'],
    maxSeries: 200,
  });
  const idempotent = registry.counter({
    name: 'idempotent_requests_total',
    help: 'Write requests sent with an Idempotency-Key, by route template and outcome (stored, replayed, mismatch, in_flight).',
    labelNames: ['route', 'outcome'],
  });
  const runDuplicates = registry.counter({
    name: 'runs_duplicate_total',
    help: 'Runs sent to POST /api/iris/runs whose id was already stored, so they were skipped.',
  });
  const otlpSpans = registry.counter({
    name: 'otlp_spans_total',
    help: 'Spans received on POST /api/otel/v1/traces, by outcome (run: mapped to a run, stored or a duplicate as runs_ingested_total and runs_duplicate_total count; skipped: not a GenAI span, or an AI SDK span summing its model calls; rejected: a GenAI span whose values make no run) and convention (gen_ai, openinference, ai_sdk, none).',
    labelNames: ['outcome', 'convention'],
  });
  const retentionDeleted = registry.counter({
    name: 'retention_deleted_rows_total',
    help: 'Rows the retention sweep deleted, by table (model_runs, run_rollups, idempotency_keys).',
    labelNames: ['table'],
  });
  const retentionSweeps = registry.counter({
    name: 'retention_sweeps_total',
    help: 'Retention sweeps, by outcome (complete; budget_exhausted: time ran out, the next sweep continues; failed).',
    labelNames: ['outcome'],
  });
  const webhookAttempts = registry.counter({
    name: 'webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts, by event type (known types, else other) and outcome (success, http_error, timeout, network_error, blocked, unreadable_secret).',
    labelNames: ['event_type', 'outcome'],
  });
  const webhookDeliveries = registry.counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook deliveries that finished, by event type and status (succeeded; failed: retries used up, 410 Gone, or the endpoint disabled).',
    labelNames: ['event_type', 'status'],
  });
  const webhookBacklog = registry.gauge({
    name: 'webhook_backlog',
    help: 'Webhook deliveries waiting in the outbox after the last drain, by state (due: should be sent now; waiting: scheduled for a later attempt).',
    labelNames: ['state'],
    merge: 'max',
  });
  const webhookDrains = registry.counter({
    name: 'webhook_drains_total',
    help: 'Drains of the webhook outbox, by trigger (write, request, cron) and outcome (complete, budget_exhausted, failed).',
    labelNames: ['trigger', 'outcome'],
  });
  registry
    .gauge({ name: 'iris_build_info', help: 'Always 1; the version label says what is deployed.', labelNames: ['version'], merge: 'max' })
    .labels({ version: options.version })
    .set(1);
  circuitState.labels({ dependency: 'kv' }).set(0);
  circuitState.labels({ dependency: 'db' }).set(0);

  const processMetrics = options.processMetrics === false ? null : registerProcessMetrics(registry);

  // Children of the label sets every request touches, looked up once: the
  // label domains are bounded (route templates, methods, status codes Iris
  // sends, fixed enums), and so are these memos.
  // Nested by label value rather than keyed by a joined string: the values are
  // strings V8 has hashed already (templates, methods, literals) or small
  // integers, so a lookup builds and hashes nothing.
  type HttpChildren = { count: ReturnType<typeof httpRequests.labels>; duration: ReturnType<typeof httpDuration.labels> };
  const httpChildren = new Map<string, Map<string, Map<number, HttpChildren>>>();
  let httpMemoSize = 0;
  const lookupChildren = new Map<string, Map<string, ReturnType<typeof cacheRequests.labels>>>();
  const limitChildren = new Map<string, Map<string, ReturnType<typeof rateLimit.labels>>>();
  /** The memoised child of a two-label metric whose label values come from small fixed sets (a and b). */
  function child2<C>(memo: Map<string, Map<string, C>>, metric: { labels(values: Record<string, string>): C }, names: readonly [string, string], a: string, b: string): C {
    let inner = memo.get(a);
    if (inner === undefined) memo.set(a, (inner = new Map()));
    let found = inner.get(b);
    if (found === undefined) inner.set(b, (found = metric.labels({ [names[0]]: a, [names[1]]: b })));
    return found;
  }

  return {
    registry,
    /** Records one answered request; call exactly once per request. */
    recordHttp(route: string, method: string, status: number, seconds: number): void {
      const m = METHODS.has(method) ? method : 'other';
      let byMethod = httpChildren.get(route);
      let byStatus = byMethod?.get(m);
      let children = byStatus?.get(status);
      if (children === undefined) {
        children = { count: httpRequests.labels({ route, method: m, status: String(status) }), duration: httpDuration.labels({ route, method: m }) };
        if (httpMemoSize < MAX_MEMO) {
          httpMemoSize += 1;
          if (byMethod === undefined) httpChildren.set(route, (byMethod = new Map()));
          if (byStatus === undefined) byMethod.set(m, (byStatus = new Map()));
          byStatus.set(status, children);
        }
      }
      children.count.inc();
      children.duration.observe(seconds);
    },
    dbRejection(reason: 'circuit_open' | 'timeout' | 'connection'): void {
      dbRejections.labels({ reason }).inc();
    },
    recordDb(fn: string, ok: boolean, seconds: number): void {
      dbRpc.labels({ fn, result: ok ? 'ok' : 'error' }).inc();
      dbDuration.labels({ fn }).observe(seconds);
    },
    cacheLookup(layer: 'l1' | 'l2', result: 'hit' | 'miss' | 'stale'): void {
      child2(lookupChildren, cacheRequests, LOOKUP_LABELS, layer, result).inc();
    },
    cacheCoalesced(scope: 'local' | 'fleet'): void {
      cacheCoalesced.labels({ scope }).inc();
    },
    cacheStale(reason: 'revalidate' | 'error' | 'timeout'): void {
      cacheStale.labels({ reason }).inc();
    },
    kvOperation(op: string, seconds: number): void {
      kvDuration.labels({ op }).observe(seconds);
    },
    kvError(op: string, reason: 'timeout' | 'error' | 'circuit_open'): void {
      kvErrors.labels({ op, reason }).inc();
    },
    circuit(dependency: string, state: CircuitStateName): void {
      circuitState.labels({ dependency }).set(CIRCUIT_STATE_VALUE[state]);
    },
    rateLimitDecision(result: 'allowed' | 'limited', reason: 'ok' | 'limit' | 'timeout' | 'error' | 'cache_block'): void {
      child2(limitChildren, rateLimit, LIMIT_LABELS, result, reason).inc();
    },
    authFailure(reason: 'missing' | 'malformed' | 'unknown_or_revoked' | 'admin_token' | 'metrics_token' | 'cron_secret' | 'health_token'): void {
      authFailures.labels({ reason }).inc();
    },
    runsIngested(count: number): void {
      runsIngested.inc(count);
    },
    /** Tokens and cost of a batch of ingested runs, summed per model before touching the counters. */
    llmUsage(
      runs: readonly { model: string; inputTokens: number; outputTokens: number; cacheReadTokens?: number | undefined; cacheWriteTokens?: number | undefined; reasoningTokens?: number | undefined }[],
      priced: readonly { costUsd: number; costSource: 'client' | 'computed' | 'unknown_model' }[],
    ): void {
      const perModel = new Map<string, { input: number; output: number; cache_read: number; cache_write: number; reasoning: number; cost: number }>();
      const perSource = { client: 0, computed: 0, unknown_model: 0 };
      runs.forEach((run, i) => {
        let sums = perModel.get(run.model);
        if (sums === undefined) perModel.set(run.model, (sums = { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0, cost: 0 }));
        sums.input += run.inputTokens;
        sums.output += run.outputTokens;
        sums.cache_read += run.cacheReadTokens ?? 0;
        sums.cache_write += run.cacheWriteTokens ?? 0;
        sums.reasoning += run.reasoningTokens ?? 0;
        sums.cost += priced[i]?.costUsd ?? 0;
        perSource[priced[i]?.costSource ?? 'client'] += 1;
      });
      for (const [model, sums] of perModel) {
        for (const type of ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const) {
          if (sums[type] > 0) llmTokens.labels({ model, type }).inc(sums[type]);
        }
        if (sums.cost > 0) llmCost.labels({ model }).inc(sums.cost);
      }
      for (const [source, count] of Object.entries(perSource)) if (count > 0) costSources.labels({ source }).inc(count);
    },
    budgetCheck(allowed: boolean): void {
      budgetChecks.labels({ result: allowed ? 'allowed' : 'refused' }).inc();
    },
    budgetCheckDegraded(reason: 'database_unavailable' | 'budgets_unavailable'): void {
      budgetDegraded.labels({ reason }).inc();
    },
    budgetUtilization(budget: string, ratio: number): void {
      budgetUtilization.labels({ budget: budget.slice(0, 200) }).set(ratio);
    },
    /** OTLP spans by outcome and the convention they were read with (both fixed sets). */
    otlpSpans(outcome: 'run' | 'skipped' | 'rejected', convention: 'gen_ai' | 'openinference' | 'ai_sdk' | 'none', count: number): void {
      if (count > 0) otlpSpans.labels({ outcome, convention }).inc(count);
    },
    runsDuplicate(count: number): void {
      if (count > 0) runDuplicates.inc(count);
    },
    /** One keyed write request; `route` is the template, never the key or the path. */
    idempotentRequest(route: string, outcome: 'stored' | 'replayed' | 'mismatch' | 'in_flight'): void {
      idempotent.labels({ route, outcome }).inc();
    },
    retentionDeleted(table: 'model_runs' | 'run_rollups' | 'idempotency_keys', rows: number): void {
      retentionDeleted.labels({ table }).inc(rows);
    },
    retentionSweep(outcome: 'complete' | 'budget_exhausted' | 'failed'): void {
      retentionSweeps.labels({ outcome }).inc();
    },
    /** One webhook delivery attempt; `eventType` is already bounded (eventTypeLabel). */
    webhookAttempt(eventType: string, outcome: 'success' | 'http_error' | 'timeout' | 'network_error' | 'blocked' | 'unreadable_secret'): void {
      webhookAttempts.labels({ event_type: eventType, outcome }).inc();
    },
    webhookDelivery(eventType: string, status: 'succeeded' | 'failed'): void {
      webhookDeliveries.labels({ event_type: eventType, status }).inc();
    },
    webhookBacklog(due: number, waiting: number): void {
      webhookBacklog.labels({ state: 'due' }).set(due);
      webhookBacklog.labels({ state: 'waiting' }).set(waiting);
    },
    webhookDrain(trigger: 'write' | 'request' | 'cron', outcome: 'complete' | 'budget_exhausted' | 'failed'): void {
      webhookDrains.labels({ trigger, outcome }).inc();
    },
    /** Stops the process gauges' timers. */
    stop(): void {
      processMetrics?.stop();
    },
  };
}

export type Instruments = ReturnType<typeof createInstruments>;
