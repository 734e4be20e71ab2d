import { z } from 'zod';
import { BudgetCheckQuery, BudgetParams, CreateBudgetBody, ListBudgetsQuery, UpdateBudgetBody } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { id, isoTime } from '../schemas.js';

const definition = {
  id,
  name: z.string(),
  scope: z.enum(['project', 'agent', 'expert', 'model']),
  scopeValue: z.string().nullable(),
  period: z.enum(['day', 'week', 'month']),
  timeZone: z.string(),
  amountUsd: z.number(),
  thresholds: z.array(z.number()),
  hardLimit: z.boolean(),
  failMode: z.enum(['open', 'closed']),
};

/** A budget as written (POST, PATCH). */
export const BudgetDefinition = z.strictObject({ ...definition, createdAt: isoTime, updatedAt: isoTime });

/** A budget with its spend this period (GET). */
export const BudgetStatus = z.strictObject({
  ...definition,
  periodStart: isoTime,
  periodEnd: isoTime,
  spentUsd: z.number(),
  remainingUsd: z.number(),
  utilization: z.number(),
  exceeded: z.boolean(),
  thresholdsCrossed: z.array(z.number()),
  blocking: z.boolean().meta({ description: 'True when this budget alone would refuse the call.' }),
});

const degraded = z
  .strictObject({ reason: z.enum(['database_unavailable', 'budgets_unavailable']) })
  .nullable()
  .meta({ description: 'Null when the budgets were read fresh; else why the answer comes from a stale copy or from none.' });

export const BudgetList = z.strictObject({ projectId: id, degraded, data: z.array(BudgetStatus) });

export const BudgetCheckBody = z.strictObject({
  allowed: z.boolean(),
  remainingUsd: z.number().nullable(),
  periodEndsAt: isoTime.nullable(),
  budgets: z.array(BudgetStatus),
  degraded,
});

const TAG = 'Pricing and budgets';
const NOT_FOUND = { description: 'No such budget in this project (`budget_not_found`).' };

export const budgetsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/budgets',
    operationId: 'listBudgets',
    summary: "The project's budgets with their spend this period",
    tag: TAG,
    auth: 'project',
    query: ListBudgetsQuery,
    responses: { 200: { description: 'Every budget.', schema: BudgetList } },
  },
  {
    method: 'POST',
    path: '/api/iris/budgets',
    operationId: 'createBudget',
    summary: 'Create a budget',
    tag: TAG,
    auth: 'project',
    body: CreateBudgetBody,
    idempotent: true,
    responses: { 201: { description: 'The budget.', schema: BudgetDefinition }, 409: { description: 'The project has the most budgets it may have.' } },
  },
  {
    method: 'GET',
    path: '/api/iris/budgets/check',
    operationId: 'checkBudgets',
    summary: 'May this call spend?',
    description:
      'Answered from the budgets in memory: call it before an LLM call. Fails open (or closed, per budget) while the database is unreachable, and says so in `degraded`.',
    tag: TAG,
    auth: 'project',
    query: BudgetCheckQuery,
    responses: { 200: { description: 'The verdict and the budgets that apply.', schema: BudgetCheckBody } },
  },
  {
    method: 'GET',
    path: '/api/iris/budgets/:id',
    operationId: 'getBudget',
    summary: 'One budget with its spend this period',
    tag: TAG,
    auth: 'project',
    params: BudgetParams,
    query: ListBudgetsQuery,
    responses: { 200: { description: 'The budget.', schema: BudgetStatus }, 404: NOT_FOUND },
  },
  {
    method: 'PATCH',
    path: '/api/iris/budgets/:id',
    operationId: 'updateBudget',
    summary: 'Change a budget (not its scope)',
    tag: TAG,
    auth: 'project',
    params: BudgetParams,
    body: UpdateBudgetBody,
    idempotent: true,
    responses: { 200: { description: 'The budget.', schema: BudgetDefinition }, 404: NOT_FOUND },
  },
  {
    method: 'DELETE',
    path: '/api/iris/budgets/:id',
    operationId: 'deleteBudget',
    summary: 'Delete a budget',
    tag: TAG,
    auth: 'project',
    params: BudgetParams,
    idempotent: true,
    responses: { 204: { description: 'Deleted.' }, 404: NOT_FOUND },
  },
];
