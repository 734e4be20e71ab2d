import { z } from 'zod';
import { identifier, jsonObject, pageQuery, projectIdAssertion, text, timestamp } from './common.js';
import { tokenUsageProblems } from '../pricing/index.js';
import { RunId } from './lifecycle.js';

const tokens = z.int().min(0).max(100_000_000);

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
  /** Every prompt token, cache reads and writes included (gen_ai.usage.input_tokens). */
  inputTokens: tokens.default(0),
  /** Every generated token, reasoning included (gen_ai.usage.output_tokens). */
  outputTokens: tokens.default(0),
  /** Parts of inputTokens: served from, and written to, the provider's prompt cache. */
  cacheReadTokens: tokens.optional(),
  cacheWriteTokens: tokens.optional(),
  /** Part of outputTokens spent on reasoning. */
  reasoningTokens: tokens.optional(),
  /** The run's cost; when absent Iris computes it from the price table (GET /api/iris/prices). */
  costUsd: z.number().min(0).max(100_000).optional(),
  latencyMs: z.number().min(0).max(86_400_000),
  confidence: z.number().min(0).max(1).optional(),
  outcome: z.enum(['success', 'failure', 'partial']),
  errorType: text(128, 1).optional(),
  metadata: jsonObject(16_384).optional(),
  /** When the run happened; defaults to the time of ingest. */
  createdAt: timestamp.optional(),
}).superRefine((run, ctx) => {
  // The convention is enforced, not guessed: parts inside their totals (lib/pricing/types.ts).
  for (const problem of tokenUsageProblems(run)) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
});
export type RunBody = z.output<typeof RunSchema>;

export const RunBatchSchema = z.strictObject({
  ...projectIdAssertion,
  runs: z.array(RunSchema).min(1).max(MAX_RUNS_PER_BATCH),
});

export const ListRunsQuery = z.strictObject({ ...projectIdAssertion, ...pageQuery });
