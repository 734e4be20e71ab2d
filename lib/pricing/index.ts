export { computeCost, tierFor, TokenUsageError, tokenUsageProblems, type CostBreakdown } from './cost.js';
export { findPrice, globMatches } from './match.js';
export type { CostSource, ModelPrice, PriceOrigin, PriceTier, TokenRates, TokenUsage } from './types.js';
