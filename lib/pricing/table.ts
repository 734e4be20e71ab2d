import type { ModelPriceRow } from '../db/types.js';
import { computeCost } from './cost.js';
import type { PriceIndex } from './match.js';
import type { CostSource, ModelPrice, PriceTier, TokenRates, TokenUsage } from './types.js';

/**
 * A price as the API shows it (GET /api/iris/prices): a list_model_prices row
 * with camelCase fields. The same JSON is what ingest reads its prices from.
 */
export interface PriceView {
  id: string;
  origin: 'default' | 'project';
  model: string;
  aliases: string[];
  pattern: string | null;
  effectiveFrom: string;
  inputPerMtok: number;
  outputPerMtok: number;
  cacheReadPerMtok: number | null;
  cacheWritePerMtok: number | null;
  reasoningPerMtok: number | null;
  tiers: PriceTier[];
  source: string | null;
  readAt: string | null;
}

/** A row of list_model_prices as the API shows it. */
export function priceView(row: ModelPriceRow): PriceView {
  return {
    id: row.id,
    origin: row.origin,
    model: row.model,
    aliases: row.aliases,
    pattern: row.pattern,
    effectiveFrom: row.effective_from,
    inputPerMtok: Number(row.input_per_mtok),
    outputPerMtok: Number(row.output_per_mtok),
    cacheReadPerMtok: row.cache_read_per_mtok === null ? null : Number(row.cache_read_per_mtok),
    cacheWritePerMtok: row.cache_write_per_mtok === null ? null : Number(row.cache_write_per_mtok),
    reasoningPerMtok: row.reasoning_per_mtok === null ? null : Number(row.reasoning_per_mtok),
    tiers: row.tiers as PriceTier[],
    source: row.source,
    readAt: row.read_at,
  };
}

/** A price as the pricing functions take it. */
export function priceFromView(view: PriceView): ModelPrice {
  const rates: TokenRates = {
    inputPerMtok: view.inputPerMtok,
    outputPerMtok: view.outputPerMtok,
    ...(view.cacheReadPerMtok === null ? {} : { cacheReadPerMtok: view.cacheReadPerMtok }),
    ...(view.cacheWritePerMtok === null ? {} : { cacheWritePerMtok: view.cacheWritePerMtok }),
    ...(view.reasoningPerMtok === null ? {} : { reasoningPerMtok: view.reasoningPerMtok }),
  };
  return {
    model: view.model,
    aliases: view.aliases,
    pattern: view.pattern,
    effectiveFrom: view.effectiveFrom,
    rates,
    tiers: view.tiers,
    origin: view.origin,
    source: view.source,
    readAt: view.readAt,
  };
}

/** What a run's stored cost is and how it was obtained. */
export interface PricedRun {
  costUsd: number;
  costSource: CostSource;
}

/**
 * The cost to store for one run: the client's own `costUsd` always wins
 * (`client`); else the price of its model at its time (`computed`); else 0
 * with `unknown_model`, which the database counts per project so unknown
 * models are listed rather than silently free.
 */
export function priceRun(index: PriceIndex, run: TokenUsage & { model: string; costUsd?: number | undefined }, atMs: number): PricedRun {
  if (run.costUsd !== undefined) return { costUsd: run.costUsd, costSource: 'client' };
  const price = index.find(run.model, atMs);
  if (price === null) return { costUsd: 0, costSource: 'unknown_model' };
  return { costUsd: computeCost(run, price).costUsd, costSource: 'computed' };
}
