export { computeCost, tierFor, TokenUsageError, tokenUsageProblems, type CostBreakdown } from './cost.js';
export { createPriceIndex, findPrice, globMatches, type PriceIndex } from './match.js';
export { priceFromView, priceRun, priceView, type PricedRun, type PriceView } from './table.js';
export type { CostSource, ModelPrice, PriceOrigin, PriceTier, TokenRates, TokenUsage } from './types.js';
