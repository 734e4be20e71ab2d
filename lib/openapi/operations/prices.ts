import { z } from 'zod';
import { PricesQuery, ProjectParams, ReplacePricesBody } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { id, isoTime } from '../schemas.js';

const rate = z.number();
const rates = { inputPerMtok: rate, outputPerMtok: rate, cacheReadPerMtok: rate, cacheWritePerMtok: rate, reasoningPerMtok: rate };

export const PriceView = z.strictObject({
  id,
  origin: z.enum(['default', 'project']),
  model: z.string(),
  aliases: z.array(z.string()),
  pattern: z.string().nullable(),
  effectiveFrom: isoTime,
  inputPerMtok: rate,
  outputPerMtok: rate,
  cacheReadPerMtok: rate.nullable(),
  cacheWritePerMtok: rate.nullable(),
  reasoningPerMtok: rate.nullable(),
  tiers: z.array(z.strictObject({ aboveInputTokens: z.int(), rates: z.strictObject(rates).partial() })),
  source: z.string().nullable(),
  readAt: z.string().nullable(),
});

export const PricesBody = z.strictObject({ projectId: id, prices: z.array(PriceView) });

export const UnknownModelsBody = z.strictObject({
  projectId: id,
  data: z.array(z.strictObject({ model: z.string(), runs: z.int(), firstSeenAt: isoTime, lastSeenAt: isoTime })),
});

const TAG = 'Pricing and budgets';

export const pricesOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/prices',
    operationId: 'listPrices',
    summary: "The price table: Iris's defaults merged with the project's own",
    description: "USD per million tokens, every effective date; the project's own prices win.",
    tag: TAG,
    auth: 'project',
    query: PricesQuery,
    cached: true,
    responses: { 200: { description: 'The prices ingest prices runs from.', schema: PricesBody } },
  },
  {
    method: 'GET',
    path: '/api/iris/prices/unknown-models',
    operationId: 'listUnknownModels',
    summary: "Models of the project's runs that no price matched",
    tag: TAG,
    auth: 'project',
    query: PricesQuery,
    cached: true,
    responses: { 200: { description: 'With their run counts.', schema: UnknownModelsBody } },
  },
  {
    method: 'PUT',
    path: '/api/admin/projects/:id/prices',
    operationId: 'replaceProjectPrices',
    summary: "Replace a project's own prices",
    description: 'The whole set: an empty list removes them.',
    tag: 'Admin',
    auth: 'admin',
    params: ProjectParams,
    body: ReplacePricesBody,
    idempotent: true,
    responses: { 200: { description: "The project's own prices now.", schema: PricesBody }, 404: { description: 'No such project.' } },
  },
];
