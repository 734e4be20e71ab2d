/**
 * Every operation of the API, by domain. A new route adds its domain's file
 * here (or its operations to an existing one): a route in api/ without an
 * operation per method fails test/routes/openapi.test.ts and every route test
 * that calls it (test/support/contract.ts).
 */
import type { OperationSpec } from '../operation.js';
import { adminOperations } from './admin.js';
import { budgetsOperations } from './budgets.js';
import { experimentsOperations } from './experiments.js';
import { expertsOperations } from './experts.js';
import { healthOperations } from './health.js';
import { operationsOperations } from './operations.js';
import { otlpOperations } from './otlp.js';
import { pricesOperations } from './prices.js';
import { promptsOperations } from './prompts.js';
import { referenceOperations } from './reference.js';
import { reportsOperations } from './reports.js';
import { runsOperations } from './runs.js';
import { statsOperations } from './stats.js';
import { webhooksOperations } from './webhooks.js';

export const OPERATIONS: readonly OperationSpec[] = [
  ...runsOperations,
  ...statsOperations,
  ...expertsOperations,
  ...reportsOperations,
  ...webhooksOperations,
  ...pricesOperations,
  ...budgetsOperations,
  ...otlpOperations,
  ...promptsOperations,
  ...experimentsOperations,
  ...adminOperations,
  ...healthOperations,
  ...operationsOperations,
  ...referenceOperations,
];
