import { z } from 'zod';
import { identifier, jsonObject, pageQuery, projectIdAssertion, text, timestamp } from './common.js';
import { RunId } from './lifecycle.js';

/** The largest batch one POST /api/iris/runs accepts. */
export const MAX_RUNS_PER_BATCH = 1000;

/** One model run as clients send it. */
export const RunSchema = z.strictObject({
  /** Client-generated UUID: the run is stored once however often it arrives. Defaults to a random one. */
  id: RunId.optional(),
  expertId: identifier,
  agentId: identifier.optional(),
  model: identifier,
  promptVersion: text(64, 1).optional(),
  inputTokens: z.int().min(0).max(100_000_000).default(0),
  outputTokens: z.int().min(0).max(100_000_000).default(0),
  costUsd: z.number().min(0).max(100_000).default(0),
  latencyMs: z.number().min(0).max(86_400_000),
  confidence: z.number().min(0).max(1).optional(),
  outcome: z.enum(['success', 'failure', 'partial']),
  errorType: text(128, 1).optional(),
  metadata: jsonObject(16_384).optional(),
  /** When the run happened; defaults to the time of ingest. */
  createdAt: timestamp.optional(),
});
export type RunBody = z.output<typeof RunSchema>;

export const RunBatchSchema = z.strictObject({
  ...projectIdAssertion,
  runs: z.array(RunSchema).min(1).max(MAX_RUNS_PER_BATCH),
});

export const ListRunsQuery = z.strictObject({ ...projectIdAssertion, ...pageQuery });
