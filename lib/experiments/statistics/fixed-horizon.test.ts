import { describe, expect, it } from 'vitest';
import { twoProportionZTest, welchTTest } from './fixed-horizon.js';
import type { ContinuousStats } from './sufficient.js';

function sums(values: readonly number[]): ContinuousStats {
  return { n: values.length, sum: values.reduce((a, b) => a + b, 0), sumOfSquares: values.reduce((a, b) => a + b * b, 0) };
}

describe('two-proportion z-test', () => {
  it('tests with the pooled standard error and builds the interval on the unpooled one (200/1000 vs 250/1000)', () => {
    const result = twoProportionZTest({ n: 1000, successes: 200 }, { n: 1000, successes: 250 });
    // Pooled p̄ = 0.225: z = 0.05 / √(0.225·0.775·2/1000) = 2.6774, p = 0.00742 (Agresti's formula, by hand).
    expect(result.statistic).toBeCloseTo(2.677397763008329, 12);
    expect(result.pValue).toBeCloseTo(0.007419649261025687, 14);
    // Unpooled SE = √(0.2·0.8/1000 + 0.25·0.75/1000) = 0.018641; 0.05 ± 1.96·SE.
    expect(result.standardError).toBeCloseTo(Math.sqrt(0.16 / 1000 + 0.1875 / 1000), 15);
    expect(result.interval!.lower).toBeCloseTo(0.013463621687539853, 14);
    expect(result.interval!.upper).toBeCloseTo(0.08653637831246015, 14);
    expect(result.difference).toBeCloseTo(0.05, 15);
    expect(result.relativeDifference).toBeCloseTo(0.25, 14);
    expect(result.degreesOfFreedom).toBeNull();
    expect(result.undefinedReason).toBeNull();
  });

  it('gives the delta-method interval for the relative difference', () => {
    const result = twoProportionZTest({ n: 1000, successes: 200 }, { n: 1000, successes: 250 });
    // Var(r) ≈ p_T(1 - p_T)/(n_T p_C²) + p_T² p_C(1 - p_C)/(n_C p_C⁴).
    const se = Math.sqrt((0.25 * 0.75) / (1000 * 0.04) + (0.0625 * 0.16) / (1000 * 0.0016));
    expect(result.relativeInterval!.lower).toBeCloseTo(0.25 - 1.959963984540054 * se, 13);
    expect(result.relativeInterval!.upper).toBeCloseTo(0.25 + 1.959963984540054 * se, 13);
  });

  it('finds nothing between equal groups: z = 0, p = 1', () => {
    const result = twoProportionZTest({ n: 500, successes: 50 }, { n: 500, successes: 50 });
    expect(result.statistic).toBe(0);
    expect(result.pValue).toBe(1);
    expect(result.interval!.lower).toBeLessThan(0);
    expect(result.interval!.upper).toBeGreaterThan(0);
  });

  it('still tests when one group is all successes, through the pooled error', () => {
    const result = twoProportionZTest({ n: 100, successes: 100 }, { n: 100, successes: 90 });
    expect(result.statistic).toBeCloseTo(-3.2444284226152487, 12);
    expect(result.pValue).toBeCloseTo(0.0011768659106247482, 14);
    expect(result.relativeDifference).toBeCloseTo(-0.1, 15);
  });

  it.each([
    ['an empty variant', { n: 0, successes: 0 }, { n: 10, successes: 3 }, 'empty variant'],
    ['all successes in both', { n: 100, successes: 100 }, { n: 50, successes: 50 }, 'zero variance'],
    ['no successes in either', { n: 1, successes: 0 }, { n: 1, successes: 0 }, 'zero variance'],
  ])('claims nothing for %s: p = 1, no statistic, no interval', (_label, control, treatment, reason) => {
    const result = twoProportionZTest(control, treatment);
    expect(result).toMatchObject({ pValue: 1, statistic: null, interval: null, relativeInterval: null, undefinedReason: reason });
  });

  it('has no relative difference when the control rate is 0', () => {
    const result = twoProportionZTest({ n: 100, successes: 0 }, { n: 100, successes: 5 });
    expect(result.relativeDifference).toBeNull();
    expect(result.relativeInterval).toBeNull();
    expect(result.pValue).toBeLessThan(0.05);
  });

  it('names the argument at fault', () => {
    expect(() => twoProportionZTest({ n: 10, successes: 11 }, { n: 10, successes: 1 })).toThrow(/^control\.successes must be at most control\.n \(10\); got 11$/);
    expect(() => twoProportionZTest({ n: 10, successes: 1 }, { n: 10, successes: 1 }, { alpha: 0 })).toThrow(/options\.alpha/);
  });
});

describe("Welch's t-test", () => {
  // Wikipedia's "Welch's t-test" worked example 1: two samples of 15, unequal variances.
  const a1 = sums([27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]);
  const a2 = sums([27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]);

  it('reproduces the textbook example: t = 2.46, ν = 24.99, p = 0.021', () => {
    const result = welchTTest(a1, a2);
    expect(result.statistic).toBeCloseTo(2.455356398286006, 10);
    expect(result.degreesOfFreedom).toBeCloseTo(24.988529290231416, 10);
    expect(result.pValue).toBeCloseTo(0.021378001462866985, 12);
    expect(result.difference).toBeCloseTo((344.8 - 312.3) / 15, 12);
  });

  it('builds the interval on the t quantile with Welch–Satterthwaite degrees of freedom', () => {
    const result = welchTTest(a1, a2, { alpha: 0.1 });
    const half = result.interval!.upper - result.difference!;
    // t_{0.95, 24.99} ≈ 1.7081: wider than the normal 1.6449.
    expect(half / result.standardError!).toBeCloseTo(1.70815, 4);
    expect(result.interval!.lower).toBeGreaterThan(0);
  });

  it('agrees with the z-test on 0/1 data in large samples', () => {
    const welch = welchTTest({ n: 100_000, sum: 20_000, sumOfSquares: 20_000 }, { n: 100_000, sum: 20_500, sumOfSquares: 20_500 });
    const z = twoProportionZTest({ n: 100_000, successes: 20_000 }, { n: 100_000, successes: 20_500 });
    expect(welch.pValue).toBeCloseTo(z.pValue, 4);
  });

  it('uses n - 1 degrees of freedom when only one group varies', () => {
    const result = welchTTest(sums([5, 5, 5, 5]), sums([4, 6, 5, 7, 3]));
    expect(result.degreesOfFreedom).toBe(4);
  });

  it.each([
    ['an empty variant', { n: 0, sum: 0, sumOfSquares: 0 }, sums([1, 2]), 'empty variant', null],
    ['a single observation', sums([3]), sums([1, 2, 3]), 'too few observations', 3],
    ['no spread in either group', sums([2, 2, 2]), sums([3, 3, 3]), 'zero variance', 2],
  ])('claims nothing for %s', (_label, control, treatment, reason, controlMean) => {
    const result = welchTTest(control, treatment);
    expect(result).toMatchObject({ pValue: 1, statistic: null, interval: null, undefinedReason: reason, controlMean });
  });

  it('names the argument at fault', () => {
    expect(() => welchTTest(a1, { n: 2, sum: 10, sumOfSquares: 1 })).toThrow(/^treatment\.sumOfSquares must be at least/);
  });
});
