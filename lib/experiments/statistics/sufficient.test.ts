import { describe, expect, it } from 'vitest';
import { StatisticsInputError } from './errors.js';
import {
  binaryAsContinuous,
  boundedSumOfSquares,
  centeredSumOfSquares,
  checkBinaryStats,
  checkContinuousStats,
  mean,
  proportion,
  sampleVariance,
  type ContinuousStats,
} from './sufficient.js';

function sums(values: readonly number[]): ContinuousStats {
  let sum = 0;
  let sumOfSquares = 0;
  for (const x of values) {
    sum += x;
    sumOfSquares += x * x;
  }
  return { n: values.length, sum, sumOfSquares };
}

/** The error a call throws, so its fields can be checked. */
function thrown(fn: () => unknown): StatisticsInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StatisticsInputError);
    return error as StatisticsInputError;
  }
  throw new Error('expected a StatisticsInputError');
}

describe('sufficient statistics', () => {
  it('gives the textbook mean and sample variance of 2, 4, 4, 4, 5, 5, 7, 9 (mean 5, s² = 32/7)', () => {
    const stats = sums([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(mean(stats)).toBe(5);
    expect(sampleVariance(stats)).toBeCloseTo(32 / 7, 14);
  });

  it.each([
    ['n = 0', { n: 0, sum: 0, sumOfSquares: 0 }, null, null],
    ['n = 1', { n: 1, sum: 3, sumOfSquares: 9 }, 3, null],
    ['n = 2', { n: 2, sum: 4, sumOfSquares: 10 }, 2, 2],
  ])('has mean and variance only where they exist (%s)', (_label, stats, m, v) => {
    expect(mean(stats)).toBe(m);
    expect(sampleVariance(stats)).toBe(v);
  });

  it('reads a constant metric as zero variance, not as rounding noise', () => {
    // A million runs that each cost 0.0123 USD: Σx² - (Σx)²/n is a few ulps of noise, not a spread.
    const n = 1_000_000;
    let sum = 0;
    let sumOfSquares = 0;
    for (let i = 0; i < n; i++) {
      sum += 0.0123;
      sumOfSquares += 0.0123 * 0.0123;
    }
    expect(sumOfSquares - (sum * sum) / n).not.toBe(0);
    expect(centeredSumOfSquares({ n, sum, sumOfSquares })).toBe(0);
    expect(sampleVariance({ n, sum, sumOfSquares })).toBe(0);
  });

  it('keeps a real spread that is small against the mean (latency 1000 ms ± 0.5 ms)', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 + (i % 2 === 0 ? 0.5 : -0.5));
    expect(sampleVariance(sums(values))).toBeCloseTo(0.25 * (1000 / 999), 6);
  });

  it('reads binary counts as a rate and as sums of 0s and 1s', () => {
    expect(proportion({ n: 0, successes: 0 })).toBeNull();
    expect(proportion({ n: 8, successes: 2 })).toBe(0.25);
    const asSums = binaryAsContinuous({ n: 8, successes: 2 });
    expect(asSums).toEqual(sums([1, 1, 0, 0, 0, 0, 0, 0]));
    expect(sampleVariance(asSums)).toBeCloseTo((0.25 * 0.75 * 8) / 7, 14);
  });

  it.each([
    ['control', { n: -1, successes: 0 }, 'control.n'],
    ['control', { n: 2.5, successes: 0 }, 'control.n'],
    ['treatment', { n: 10, successes: 11 }, 'treatment.successes'],
    ['treatment', { n: 10, successes: Number.NaN }, 'treatment.successes'],
  ])('rejects invalid binary stats and names the argument (%s: %j)', (name, stats, argument) => {
    const error = thrown(() => checkBinaryStats(name, stats));
    expect(error.argument).toBe(argument);
    expect(error.code).toBe('invalid_statistics_input');
    expect(error.message).toContain(argument);
  });

  it.each([
    [{ n: 3, sum: Number.POSITIVE_INFINITY, sumOfSquares: 1 }, 'stats.sum'],
    [{ n: 3, sum: 1, sumOfSquares: -1 }, 'stats.sumOfSquares'],
    [{ n: 0, sum: 1, sumOfSquares: 1 }, 'stats.sum'],
    [{ n: 2, sum: 10, sumOfSquares: 10 }, 'stats.sumOfSquares'],
  ])('rejects impossible continuous sums and names the argument (%j)', (stats, argument) => {
    expect(thrown(() => checkContinuousStats('stats', stats)).argument).toBe(argument);
  });

  it('bounds the sum of squares of values in [lower, upper] by its extreme arrangement', () => {
    // Confidence in [0, 1] with mean 0.8 over 10 runs: at most eight 1s and two 0s, Σx² = 8.
    expect(boundedSumOfSquares(10, 8, 0, 1)).toBe(8);
    const bound = { n: 10, sum: 8, sumOfSquares: boundedSumOfSquares(10, 8, 0, 1) };
    expect(sampleVariance(bound)).toBeGreaterThanOrEqual(sampleVariance(sums([0.7, 0.9, 0.8, 0.8, 0.75, 0.85, 0.8, 0.8, 0.8, 0.8]))!);
    expect(thrown(() => boundedSumOfSquares(10, 11, 0, 1)).argument).toBe('sum');
    expect(thrown(() => boundedSumOfSquares(10, 5, 1, 1)).argument).toBe('upper');
  });
});
