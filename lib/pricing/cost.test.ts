import { describe, expect, it } from 'vitest';
import { computeCost, tierFor, TokenUsageError } from './cost.js';
import type { ModelPrice } from './types.js';

const price = (rates: ModelPrice['rates'], tiers: ModelPrice['tiers'] = []): ModelPrice => ({
  model: 'm', aliases: [], pattern: null, effectiveFrom: '2024-01-01T00:00:00Z', rates, tiers, origin: 'default', source: null, readAt: null,
});

// Hand-worked: tokens × USD per million tokens = micro-dollars.
describe('computeCost', () => {
  it.each([
    {
      name: 'plain input and output',
      usage: { inputTokens: 1000, outputTokens: 200 },
      rates: { inputPerMtok: 2.5, outputPerMtok: 10 },
      // 1000 × 2.5 + 200 × 10 = 2500 + 2000 = 4500 µ$
      costUsd: 0.0045,
    },
    {
      name: 'cache reads inside the input, at the cached rate (OpenAI)',
      usage: { inputTokens: 10_000, outputTokens: 500, cacheReadTokens: 6000 },
      rates: { inputPerMtok: 2.5, outputPerMtok: 10, cacheReadPerMtok: 1.25 },
      // 4000 × 2.5 + 6000 × 1.25 + 500 × 10 = 10000 + 7500 + 5000 = 22500 µ$
      costUsd: 0.0225,
    },
    {
      name: 'cache writes and reads, each at its own rate (Anthropic)',
      usage: { inputTokens: 2000, outputTokens: 400, cacheWriteTokens: 1500, cacheReadTokens: 200 },
      rates: { inputPerMtok: 3, outputPerMtok: 15, cacheWritePerMtok: 3.75, cacheReadPerMtok: 0.3 },
      // 300 × 3 + 1500 × 3.75 + 200 × 0.3 + 400 × 15 = 900 + 5625 + 60 + 6000 = 12585 µ$
      costUsd: 0.012585,
    },
    {
      name: 'reasoning inside the output, at the output rate when the price has no reasoning rate',
      usage: { inputTokens: 1000, outputTokens: 5000, reasoningTokens: 4000 },
      rates: { inputPerMtok: 1.1, outputPerMtok: 4.4 },
      // 1000 × 1.1 + 1000 × 4.4 + 4000 × 4.4 = 1100 + 4400 + 17600 = 23100 µ$
      costUsd: 0.0231,
    },
    {
      name: 'reasoning at its own rate when the price has one',
      usage: { inputTokens: 0, outputTokens: 3000, reasoningTokens: 2000 },
      rates: { inputPerMtok: 1, outputPerMtok: 4, reasoningPerMtok: 2 },
      // 1000 × 4 + 2000 × 2 = 8000 µ$
      costUsd: 0.008,
    },
    {
      name: 'cache reads at the input rate when the price has no cached rate (never free)',
      usage: { inputTokens: 1000, outputTokens: 0, cacheReadTokens: 1000 },
      rates: { inputPerMtok: 0.5, outputPerMtok: 1.5 },
      costUsd: 0.0005,
    },
    {
      name: 'less than half a micro-dollar rounds to zero',
      usage: { inputTokens: 3, outputTokens: 0 },
      rates: { inputPerMtok: 0.15, outputPerMtok: 0.6 },
      costUsd: 0,
    },
    {
      name: 'float noise does not move the rounding (0.1 + 0.2)',
      usage: { inputTokens: 1, outputTokens: 1 },
      rates: { inputPerMtok: 0.1, outputPerMtok: 0.4 },
      // 0.1 + 0.4 = 0.5 µ$, rounds half up to 1 µ$
      costUsd: 0.000001,
    },
  ])('prices $name', ({ usage, rates, costUsd }) => {
    expect(computeCost(usage, price(rates)).costUsd).toBe(costUsd);
  });

  const tiered = price({ inputPerMtok: 1.25, outputPerMtok: 5 }, [{ aboveInputTokens: 128_000, rates: { inputPerMtok: 2.5, outputPerMtok: 10 } }]);

  it('prices the whole run at the higher tier once the input exceeds its threshold (Gemini above 128k)', () => {
    // 200000 × 2.5 + 1000 × 10 = 510000 µ$
    expect(computeCost({ inputTokens: 200_000, outputTokens: 1000 }, tiered)).toMatchObject({ costUsd: 0.51, tier: tiered.tiers[0] });
    // 100000 × 1.25 + 1000 × 5 = 130000 µ$; exactly at the threshold is still the base tier
    expect(computeCost({ inputTokens: 100_000, outputTokens: 1000 }, tiered)).toMatchObject({ costUsd: 0.13, tier: null });
    expect(tierFor(tiered, 128_000)).toBeNull();
    expect(tierFor(tiered, 128_001)).toBe(tiered.tiers[0]);
  });

  it('keeps the base rates a tier does not replace', () => {
    const partial = price({ inputPerMtok: 1, outputPerMtok: 2, cacheReadPerMtok: 0.1 }, [{ aboveInputTokens: 10, rates: { inputPerMtok: 3 } }]);
    // 10 × 3 + 10 × 0.1 + 10 × 2 = 30 + 1 + 20 = 51 µ$
    expect(computeCost({ inputTokens: 20, cacheReadTokens: 10, outputTokens: 10 }, partial).costUsd).toBe(0.000051);
  });

  it('picks the highest threshold the input exceeds', () => {
    const steps = price({ inputPerMtok: 1, outputPerMtok: 1 }, [
      { aboveInputTokens: 1000, rates: { inputPerMtok: 2 } },
      { aboveInputTokens: 100, rates: { inputPerMtok: 1.5 } },
    ]);
    expect(tierFor(steps, 5000)?.aboveInputTokens).toBe(1000);
    expect(tierFor(steps, 500)?.aboveInputTokens).toBe(100);
  });

  it.each([
    [{ inputTokens: 100, outputTokens: 0, cacheReadTokens: 80, cacheWriteTokens: 30 }, /cacheReadTokens \+ cacheWriteTokens \(110\) exceed inputTokens \(100\)/],
    [{ inputTokens: 0, outputTokens: 10, reasoningTokens: 11 }, /reasoningTokens \(11\) exceed outputTokens \(10\)/],
  ])('refuses parts that exceed their totals: %j', (usage, message) => {
    expect(() => computeCost(usage, price({ inputPerMtok: 1, outputPerMtok: 1 }))).toThrow(TokenUsageError);
    expect(() => computeCost(usage, price({ inputPerMtok: 1, outputPerMtok: 1 }))).toThrow(message);
  });
});
