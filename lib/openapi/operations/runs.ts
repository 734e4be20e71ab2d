import { z } from 'zod';
import { ListRunsQuery, RunBatchSchema, RunSchema } from '../../schemas/index.js';
import type { OperationSpec } from '../operation.js';
import { anyJson, id, isoTime, page } from '../schemas.js';

/** A stored run as GET /api/iris/runs lists it. */
export const RunView = z.strictObject({
  id,
  expertId: z.string(),
  agentId: z.string().nullable(),
  model: z.string(),
  promptVersion: z.string().nullable(),
  inputTokens: z.int(),
  outputTokens: z.int(),
  cacheReadTokens: z.int(),
  cacheWriteTokens: z.int(),
  reasoningTokens: z.int(),
  costUsd: z.number(),
  costSource: z.enum(['client', 'computed', 'unknown_model']),
  latencyMs: z.number(),
  confidence: z.number().nullable(),
  outcome: z.enum(['success', 'failure', 'partial']),
  errorType: z.string().nullable(),
  metadata: anyJson,
  createdAt: isoTime,
});

export const IngestResult = z.strictObject({
  inserted: z.int().meta({ description: 'Runs stored by this request.' }),
  duplicates: z.int().meta({ description: 'Runs skipped because their id was already stored.' }),
});

export const runsOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/runs',
    operationId: 'listRuns',
    summary: 'Recent runs, newest first',
    tag: 'Runs',
    auth: 'project',
    query: ListRunsQuery,
    cached: true,
    responses: { 200: { description: 'A page of runs.', schema: page(RunView) } },
  },
  {
    method: 'POST',
    path: '/api/iris/runs',
    operationId: 'ingestRuns',
    summary: 'Ingest one run, an array of runs, or { runs: [...] }',
    description: "Up to 1,000 runs; a batch is stored whole or not at all. Runs without costUsd are priced from the project's price table.",
    tag: 'Runs',
    auth: 'project',
    body: z.union([RunSchema, z.array(RunSchema).min(1).max(1000), RunBatchSchema]),
    idempotent: true,
    responses: { 201: { description: 'Stored (runs whose id was already stored are counted as duplicates).', schema: IngestResult } },
  },
];
