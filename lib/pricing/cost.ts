import type { ModelPrice, PriceTier, TokenRates, TokenUsage } from './types.js';

/** What a run costs at a price, and how it was reckoned. */
export interface CostBreakdown {
  /** Rounded to whole micro-dollars (the precision runs are stored with, numeric(14, 6)). */
  costUsd: number;
  /** The tier that applied, or null for the base rates. */
  tier: PriceTier | null;
  /** Tokens billed at each rate: the parts are taken out of their totals. */
  tokens: { input: number; cacheRead: number; cacheWrite: number; output: number; reasoning: number };
}

/** A usage whose parts exceed their totals, or with a negative or fractional count. */
export class TokenUsageError extends RangeError {
  override readonly name = 'TokenUsageError';
}

/**
 * Checks the convention (parts inside their totals, whole non-negative
 * counts) and returns the problems as `{ path, message }`; empty when valid.
 */
export function tokenUsageProblems(usage: TokenUsage): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  if (cacheRead + cacheWrite > usage.inputTokens) {
    problems.push({ path: 'cacheReadTokens', message: `cacheReadTokens + cacheWriteTokens (${cacheRead + cacheWrite}) exceed inputTokens (${usage.inputTokens}), which includes them` });
  }
  if (reasoning > usage.outputTokens) {
    problems.push({ path: 'reasoningTokens', message: `reasoningTokens (${reasoning}) exceed outputTokens (${usage.outputTokens}), which includes them` });
  }
  return problems;
}

/** The tier for this many input tokens: the one with the highest threshold below them, or none. */
export function tierFor(price: ModelPrice, inputTokens: number): PriceTier | null {
  let chosen: PriceTier | null = null;
  for (const tier of price.tiers) {
    if (inputTokens > tier.aboveInputTokens && (chosen === null || tier.aboveInputTokens > chosen.aboveInputTokens)) chosen = tier;
  }
  return chosen;
}

/**
 * The cost of one run at `price`. Cache reads, cache writes and reasoning are
 * billed at their own rates when the price has them, else at the rate of the
 * total they are part of; the rest of the input and output at the input and
 * output rates. A tier's rates replace the base rates for the whole run.
 * Tokens × USD per million tokens is micro-dollars, summed and rounded once.
 * @throws TokenUsageError when the parts exceed their totals.
 */
export function computeCost(usage: TokenUsage, price: ModelPrice): CostBreakdown {
  const problems = tokenUsageProblems(usage);
  if (problems.length > 0) throw new TokenUsageError(problems.map((p) => p.message).join('; '));
  const tier = tierFor(price, usage.inputTokens);
  const rates: TokenRates = tier ? { ...price.rates, ...tier.rates } : price.rates;
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  const tokens = {
    input: usage.inputTokens - cacheRead - cacheWrite,
    cacheRead,
    cacheWrite,
    output: usage.outputTokens - reasoning,
    reasoning,
  };
  const micros =
    tokens.input * rates.inputPerMtok +
    tokens.cacheRead * (rates.cacheReadPerMtok ?? rates.inputPerMtok) +
    tokens.cacheWrite * (rates.cacheWritePerMtok ?? rates.inputPerMtok) +
    tokens.output * rates.outputPerMtok +
    tokens.reasoning * (rates.reasoningPerMtok ?? rates.outputPerMtok);
  // Round at 1e-9 µ$ first so float noise (0.1 + 0.2) never tips a half-micro-dollar the wrong way.
  return { costUsd: Math.round(Math.round(micros * 1e3) / 1e3) / 1e6, tier, tokens };
}
