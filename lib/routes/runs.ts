import { z } from 'zod';
import type { RunInput } from '../db/types.js';
import { unprocessable } from '../errors.js';
import { defineRoute, json, parseQuery, readJsonBody, validate, type RouteContext } from '../http/index.js';
import { DEFAULT_RUN_RETENTION_DAYS, retentionOf } from '../lifecycle/index.js';
import { ListRunsQuery, MAX_RUNS_PER_BATCH, RunBatchSchema, RunSchema, type RunBody } from '../schemas/index.js';
import { forbidden } from '../errors.js';
import { priceRun, type PricedRun } from '../pricing/index.js';
import { respondCachedPage } from './cached.js';
import { evaluateBudgets } from './budgets.js';
import { projectPriceIndex } from './prices.js';
import { runWrite } from './idempotent.js';

const DAY_MS = 24 * 3600 * 1000;
/** How far back a run's `createdAt` may be backfilled (at most; a shorter raw-run retention shortens it), and how far ahead a client clock may run. */
export const MAX_BACKFILL_DAYS = DEFAULT_RUN_RETENTION_DAYS;
export const MAX_BACKFILL_MS = MAX_BACKFILL_DAYS * DAY_MS;
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const RunArraySchema = z.array(RunSchema).min(1).max(MAX_RUNS_PER_BATCH);

/** A batch where every run carries its own cost needs no price table. */
const CLIENT_COST = (run: RunBody): PricedRun => ({ costUsd: run.costUsd ?? 0, costSource: 'client' });

/**
 * The three accepted body shapes: one run, an array of runs, or
 * `{ "runs": [...] }` (which may carry a `projectId` assertion).
 */
function parseRuns(body: unknown, c: RouteContext): RunBody[] {
  if (Array.isArray(body)) return validate(RunArraySchema, body, 'body');
  if (body !== null && typeof body === 'object' && 'runs' in body) {
    const batch = validate(RunBatchSchema, body, 'body');
    if (batch.projectId !== undefined && batch.projectId !== c.get('project').id) {
      throw forbidden('project_mismatch', 'projectId does not match the project of this API key.');
    }
    return batch.runs;
  }
  return [validate(RunSchema, body, 'body')];
}

function toRunInput(run: RunBody, priced: PricedRun): RunInput {
  return {
    ...(run.id ? { id: run.id } : {}),
    expert_id: run.expertId,
    agent_id: run.agentId ?? null,
    model: run.model,
    prompt_version: run.promptVersion ?? null,
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    cache_read_tokens: run.cacheReadTokens ?? 0,
    cache_write_tokens: run.cacheWriteTokens ?? 0,
    reasoning_tokens: run.reasoningTokens ?? 0,
    cost_usd: priced.costUsd,
    cost_source: priced.costSource,
    latency_ms: run.latencyMs,
    confidence: run.confidence ?? null,
    outcome: run.outcome,
    error_type: run.errorType ?? null,
    metadata: (run.metadata ?? {}) as RunInput['metadata'],
    ...(run.createdAt ? { created_at: new Date(run.createdAt).toISOString() } : {}),
  };
}

/**
 * A run may be backfilled up to 400 days, or the project's raw-run retention
 * when that is shorter: an older run would be deleted by the next retention
 * sweep, and a run id whose row is already deleted would be stored (and
 * counted in the rollups) a second time.
 */
function checkTimestamps(runs: RunBody[], nowMs: number, retentionDays: number): void {
  const backfillDays = Math.min(MAX_BACKFILL_DAYS, retentionDays);
  const issues = [];
  for (let i = 0; i < runs.length && issues.length < 20; i++) {
    const at = runs[i]!.createdAt;
    if (at === undefined) continue;
    const ms = Date.parse(at);
    if (ms > nowMs + MAX_CLOCK_SKEW_MS) issues.push({ path: `${i}.createdAt`, code: 'custom', message: 'is in the future' });
    else if (ms < nowMs - backfillDays * DAY_MS) issues.push({ path: `${i}.createdAt`, code: 'custom', message: `is more than ${backfillDays} days old` });
  }
  if (issues.length > 0) throw unprocessable('Some runs have a createdAt outside the accepted window.', issues);
}

/**
 * Stores a validated batch of runs (at most MAX_RUNS_PER_BATCH) in the
 * request's project: the one ingest path of POST /api/iris/runs and OTLP
 * (lib/routes/otlp.ts). Runs without a cost are priced from the project's
 * table; one `ingest_runs` call stores the batch whole or not at all and
 * skips ids already stored; then budgets are evaluated in the background and
 * the ingest metrics counted. `body` is what an Idempotency-Key's fingerprint
 * is taken over.
 */
export async function storeRuns(c: RouteContext, runs: RunBody[], body: unknown = runs): Promise<{ inserted: number; duplicates: number }> {
  const project = c.get('project');
  const nowMs = c.get('services').now();
  // Runs sent without a cost are priced from the project's table (cached; decoded once per copy).
  const index = runs.some((r) => r.costUsd === undefined) ? await projectPriceIndex(c) : null;
  const priced = runs.map((r) => (index ? priceRun(index, r, r.createdAt ? Date.parse(r.createdAt) : nowMs) : CLIENT_COST(r)));
  // One statement: the batch is stored whole or not at all, and the answer is sent only after it committed.
  // Runs with an id already stored are skipped (duplicates); with an Idempotency-Key the whole answer is replayed.
  const { rows, replayed } = await runWrite(c, {
    rpc: 'ingest_runs',
    args: { p_project_id: project.id, p_runs: runs.map((r, i) => toRunInput(r, priced[i]!)) },
    body,
  });
  const inserted = rows[0]?.inserted ?? 0;
  const duplicates = runs.length - inserted;
  if (!replayed) {
    const { metrics, background } = c.get('services');
    // Spend moved: record any budget threshold it reached (once; the database decides), off the request path.
    if (inserted > 0) void background.run('budgets.evaluate', () => evaluateBudgets(c));
    metrics.runsIngested(inserted);
    metrics.runsDuplicate(duplicates);
    // Tokens and cost as sent (duplicates included: a batch does not say which runs were skipped, and they are rare).
    if (duplicates === 0) metrics.llmUsage(runs, priced);
  }
  return { inserted, duplicates };
}

/** GET /api/iris/runs?limit&cursor: recent runs, newest first. POST: ingests one run or a batch of up to 1,000. */
export const runsRoute = defineRoute({
  path: '/api/iris/runs',
  access: 'project',
  methods: {
    GET: (c) => {
      const query = parseQuery(c, ListRunsQuery);
      const projectId = c.get('project').id;
      // Runs arrive continuously, so ingest does not invalidate: the list is at most the runs TTL (5 s) behind.
      return respondCachedPage(c, 'runs', query, {}, (args) => c.get('services').db.rpc('list_model_runs', { p_project_id: projectId, ...args }));
    },
    POST: async (c) => {
      const project = c.get('project');
      const runs = parseRuns(await readJsonBody(c.req.raw), c);
      checkTimestamps(runs, c.get('services').now(), retentionOf(project.settings).runsDays);
      const { inserted, duplicates } = await storeRuns(c, runs);
      return json(c, { inserted, duplicates }, 201);
    },
  },
});
