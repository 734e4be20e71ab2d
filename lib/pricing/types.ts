/**
 * A model's price, in US dollars per million tokens, by token type.
 *
 * The token convention Iris uses (and enforces at ingest) is the OpenTelemetry
 * GenAI one (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/):
 * `inputTokens` counts every prompt token, cache reads and cache writes
 * included (`gen_ai.usage.input_tokens`); `outputTokens` counts every generated
 * token, reasoning included (`gen_ai.usage.output_tokens`). The parts are
 * optional counts inside those totals.
 */

/** Token counts of one run. Parts are inside the totals: cacheRead + cacheWrite <= input, reasoning <= output. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens served from the provider's prompt cache. @default 0 */
  cacheReadTokens?: number | undefined;
  /** Prompt tokens written to the provider's prompt cache. @default 0 */
  cacheWriteTokens?: number | undefined;
  /** Generated tokens spent on reasoning. @default 0 */
  reasoningTokens?: number | undefined;
}

/** USD per million tokens. A missing part is billed at its total's rate: cache reads and writes at `input`, reasoning at `output`. */
export interface TokenRates {
  inputPerMtok: number;
  outputPerMtok: number;
  cacheReadPerMtok?: number | undefined;
  cacheWritePerMtok?: number | undefined;
  reasoningPerMtok?: number | undefined;
}

/** Rates that replace the base rates for a whole run whose input tokens exceed `aboveInputTokens` (Gemini's >200k prices). */
export interface PriceTier {
  aboveInputTokens: number;
  rates: Partial<TokenRates>;
}

/** Where a price comes from: Iris's shipped defaults, or a project's own (negotiated) override, which wins. */
export type PriceOrigin = 'default' | 'project';

/** One price of one model from one date on. */
export interface ModelPrice {
  /** The canonical model id, such as `gpt-4o`. */
  model: string;
  /** Other exact ids billed the same, such as `gpt-4o-2024-08-06`. */
  aliases: readonly string[];
  /**
   * A glob (`*` matches any characters) for ids not listed, such as
   * `claude-3-5-sonnet-*`; the longest matching pattern wins. Null for exact ids only.
   */
  pattern: string | null;
  /** From when the price applies (ISO-8601); an earlier run keeps the price of its own time. */
  effectiveFrom: string;
  rates: TokenRates;
  tiers: readonly PriceTier[];
  origin: PriceOrigin;
  /** Where the figures were read (a URL), and when; null for project overrides. */
  source: string | null;
  readAt: string | null;
}

export type { CostSource } from '../db/types.js';
