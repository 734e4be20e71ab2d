import { answerValidUntil, checkBudgets, createCheckAnswers, viewBudget, type Availability, type BudgetState } from '../budgets/index.js';
import { CACHE_POLICIES, cacheKey } from '../cache/index.js';
import type { BudgetRow, BudgetStatusRow, Json } from '../db/types.js';
import { notFound } from '../errors.js';
import { defineRoute, json, parseBody, parseParams, parseQuery, respond, PRIVATE_NO_CACHE, type MaybePromise, type RouteContext } from '../http/index.js';
import { BudgetCheckQuery, BudgetParams, CreateBudgetBody, ListBudgetsQuery, UpdateBudgetBody } from '../schemas/index.js';
import { invalidate } from './cached.js';
import { runWrite } from './idempotent.js';

/** The cached value every budget read decodes: the project's budgets with their spend. */
interface BudgetsBody {
  projectId: string;
  budgets: BudgetState[];
}

/** A budget's settings, as every budget answer shows them. */
function budgetSettings(row: BudgetRow) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    scopeValue: row.scope_value,
    period: row.period,
    timeZone: row.time_zone,
    amountUsd: Number(row.amount_usd),
    thresholds: row.thresholds.map(Number),
    hardLimit: row.hard_limit,
    failMode: row.fail_mode,
  };
}

function budgetState(row: BudgetStatusRow): BudgetState {
  return {
    ...budgetSettings(row),
    periodStart: new Date(row.period_start).toISOString(),
    periodEnd: new Date(row.period_end).toISOString(),
    spentUsd: Number(row.spent_usd),
  };
}

function budgetView(row: BudgetRow) {
  return {
    ...budgetSettings(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const budgetsKey = (projectId: string) => cacheKey(projectId, 'budgets', {});
const decodeBudgets = (value: string): BudgetState[] => (JSON.parse(value) as BudgetsBody).budgets;

/** Reads the project's budgets and their spend from the database (the cache's compute). */
async function loadBudgets(c: RouteContext, projectId: string): Promise<string> {
  const rows = await c.get('services').db.rpc('budget_status', { p_project_id: projectId });
  return JSON.stringify({ projectId, budgets: rows.map(budgetState) } satisfies BudgetsBody);
}

/**
 * The project's budget states and how current they are: from L1 without
 * waiting when a fresh copy is there; else through the cache, where a failed
 * read serves the last copy within its grace (`stale`); with no copy at all,
 * `unknown`, so the check can fail open by design rather than by accident.
 */
export function projectBudgets(c: RouteContext): MaybePromise<{ states: BudgetState[]; availability: Availability }> {
  const { cache, metrics } = c.get('services');
  const projectId = c.get('project').id;
  const key = budgetsKey(projectId);
  const known = cache.peekDecoded(key, decodeBudgets);
  if (known) return { states: known, availability: 'fresh' };
  return cache.getOrCompute(key, () => loadBudgets(c, projectId), { policy: CACHE_POLICIES.budgets }).then(
    (result) => {
      const states = cache.peekDecoded(key, decodeBudgets) ?? decodeBudgets(result.value);
      const project = c.get('project').name;
      for (const s of states) metrics.budgetUtilization(`${project}/${s.name}`, s.spentUsd / s.amountUsd);
      return { states, availability: result.status === 'STALE-ERROR' ? ('stale' as const) : ('fresh' as const) };
    },
    (error: unknown) => {
      metrics.budgetCheckDegraded('budgets_unavailable');
      c.get('services').log.warn('budget states unavailable; the budget check fails open', { requestId: c.get('requestId'), error });
      return { states: [], availability: 'unknown' as const };
    },
  );
}

/**
 * Serialized answers per copy of a project's budgets (lib/budgets/answers.ts):
 * keyed by the copy's array, which belongs to one instance's L1 entry, so
 * sharing one across services (tests build several) mixes nothing.
 */
const checkAnswers = createCheckAnswers();

function checkResponse(c: RouteContext, states: BudgetState[], availability: Availability): Response {
  const { now, metrics } = c.get('services');
  const url = c.req.url;
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const nowMs = now();
  // A query this copy of the budgets answered before was valid then and gets the same answer now.
  let answer = availability === 'fresh' ? checkAnswers.get(states, query, nowMs) : undefined;
  if (answer === undefined) {
    const check = checkBudgets(states, parseQuery(c, BudgetCheckQuery), nowMs, availability);
    answer = { body: JSON.stringify(check), allowed: check.allowed, validUntilMs: answerValidUntil(check.budgets) };
    if (availability === 'fresh') checkAnswers.set(states, query, answer);
    else if (check.degraded && availability === 'stale') metrics.budgetCheckDegraded(check.degraded.reason);
  }
  metrics.budgetCheck(answer.allowed);
  const headers = c.get('responseHeaders');
  headers['Cache-Control'] = PRIVATE_NO_CACHE;
  headers['Content-Type'] = 'application/json';
  return respond(c, answer.body, 200);
}

/**
 * GET /api/iris/budgets/check?agentId&expertId&model: may this call spend?
 * Answered from the budgets in memory, synchronously when they are (a hot
 * path agents call before every LLM call).
 */
export const budgetCheckRoute = defineRoute({
  path: '/api/iris/budgets/check',
  access: 'project',
  methods: {
    GET: (c) => {
      const budgets = projectBudgets(c);
      if (budgets instanceof Promise) return budgets.then(({ states, availability }) => checkResponse(c, states, availability));
      return checkResponse(c, budgets.states, budgets.availability);
    },
  },
});

/** After a budget write: every instance re-reads the budgets, and the overview its project budget. */
async function changed(c: RouteContext): Promise<void> {
  await invalidate(c, 'budgets', 'overview');
}

/** GET|POST /api/iris/budgets: the project's budgets with their spend this period; create one. */
export const budgetsRoute = defineRoute({
  path: '/api/iris/budgets',
  access: 'project',
  methods: {
    GET: async (c) => {
      parseQuery(c, ListBudgetsQuery);
      const { states, availability } = await projectBudgets(c);
      const now = c.get('services').now();
      c.get('responseHeaders')['Cache-Control'] = PRIVATE_NO_CACHE;
      return json(c, {
        projectId: c.get('project').id,
        degraded: availability === 'fresh' ? null : { reason: availability === 'stale' ? 'database_unavailable' : 'budgets_unavailable' },
        data: states.map((s) => viewBudget(s, now, availability === 'stale' ? 'stale' : 'fresh')),
      });
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateBudgetBody);
      const { rows } = await runWrite(c, {
        rpc: 'create_budget',
        args: {
          p_project_id: c.get('project').id,
          p_name: body.name,
          p_scope: body.scope,
          p_scope_value: body.scopeValue ?? null,
          p_period: body.period,
          p_time_zone: body.timeZone,
          p_amount_usd: body.amountUsd,
          p_thresholds: body.thresholds,
          p_hard_limit: body.hardLimit,
          p_fail_mode: body.failMode,
        },
        body,
      });
      await changed(c);
      return json(c, budgetView(rows[0]!), 201);
    },
  },
});

const CHANGES: Record<string, string> = {
  name: 'name',
  period: 'period',
  timeZone: 'time_zone',
  amountUsd: 'amount_usd',
  thresholds: 'thresholds',
  hardLimit: 'hard_limit',
  failMode: 'fail_mode',
};

/** GET|PATCH|DELETE /api/iris/budgets/{id} */
export const budgetRoute = defineRoute({
  path: '/api/iris/budgets/:id',
  access: 'project',
  methods: {
    GET: async (c) => {
      const { id } = parseParams(c, BudgetParams);
      parseQuery(c, ListBudgetsQuery);
      const { states, availability } = await projectBudgets(c);
      const state = states.find((s) => s.id === id);
      if (!state) throw notFound(`No budget ${id} in this project.`, 'budget_not_found');
      c.get('responseHeaders')['Cache-Control'] = PRIVATE_NO_CACHE;
      return json(c, viewBudget(state, c.get('services').now(), availability === 'stale' ? 'stale' : 'fresh'));
    },
    PATCH: async (c) => {
      const { id } = parseParams(c, BudgetParams);
      const body = await parseBody(c, UpdateBudgetBody);
      const changes: Record<string, Json> = {};
      for (const [field, column] of Object.entries(CHANGES)) {
        const value = (body as Record<string, unknown>)[field];
        if (value !== undefined) changes[column] = value as Json;
      }
      const { rows } = await runWrite(c, { rpc: 'update_budget', args: { p_project_id: c.get('project').id, p_budget_id: id, p_changes: changes }, body });
      if (!rows[0]) throw notFound(`No budget ${id} in this project.`, 'budget_not_found');
      await changed(c);
      return json(c, budgetView(rows[0]));
    },
    DELETE: async (c) => {
      const { id } = parseParams(c, BudgetParams);
      const { rows } = await runWrite(c, { rpc: 'delete_budget', args: { p_project_id: c.get('project').id, p_budget_id: id }, body: { id } });
      if (!rows[0]) throw notFound(`No budget ${id} in this project.`, 'budget_not_found');
      await changed(c);
      return respond(c, null, 204);
    },
  },
});

/**
 * After an ingest, in the background: records every threshold the project's
 * spend has reached (once each; the database decides) and, when there was
 * one, makes every instance re-read the budgets, so a hard limit that was
 * reached refuses fleet-wide within the generation check, and starts sending
 * the crossings' webhook events. Skipped when the
 * budgets in memory say the project has none.
 */
export async function evaluateBudgets(c: RouteContext): Promise<number> {
  const { cache, db, webhooks } = c.get('services');
  const projectId = c.get('project').id;
  const known = cache.peekDecoded(budgetsKey(projectId), decodeBudgets);
  if (known && known.length === 0) return 0;
  const crossings = await db.rpc('record_budget_crossings', { p_project_id: projectId });
  if (crossings.length > 0) {
    await cache.bump(projectId, 'budgets');
    // Their budget.threshold_crossed events are in the outbox; send them now rather than at the next cron.
    void webhooks.drainSoon();
  }
  return crossings.length;
}
