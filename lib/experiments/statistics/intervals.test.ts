import { describe, expect, it } from 'vitest';
import { summarizeMean, summarizeProportion } from './intervals.js';

describe('per-variant intervals', () => {
  it.each([
    // successes, n, Wilson 95% interval (Newcombe 1998, table I, and by hand from the formula).
    [0, 10, 0, 0.2775],
    [1, 10, 0.0179, 0.4042],
    [5, 10, 0.2366, 0.7634],
    [10, 10, 0.7225, 1],
    [81, 263, 0.2553, 0.3662],
  ])('gives the Wilson interval for %s of %s', (successes, n, lower, upper) => {
    const summary = summarizeProportion({ n, successes });
    expect(summary.rate).toBe(successes / n);
    expect(summary.interval!.lower).toBeCloseTo(lower, 4);
    expect(summary.interval!.upper).toBeCloseTo(upper, 4);
  });

  it('stays inside [0, 1] and is exact at the ends, where the Wald interval collapses', () => {
    const none = summarizeProportion({ n: 1_000_000, successes: 0 }).interval!;
    expect(none.lower).toBe(0);
    expect(none.upper).toBeGreaterThan(0);
    expect(summarizeProportion({ n: 1, successes: 1 }).interval).toEqual({ lower: expect.closeTo(0.2065, 4), upper: 1 });
  });

  it('has no rate or interval for an empty variant', () => {
    expect(summarizeProportion({ n: 0, successes: 0 })).toEqual({ n: 0, successes: 0, rate: null, interval: null });
    expect(summarizeMean({ n: 0, sum: 0, sumOfSquares: 0 })).toEqual({ n: 0, mean: null, standardDeviation: null, interval: null });
    expect(summarizeMean({ n: 1, sum: 5, sumOfSquares: 25 })).toEqual({ n: 1, mean: 5, standardDeviation: null, interval: null });
  });

  it('gives the t interval of a mean: 2, 4, 4, 4, 5, 5, 7, 9 is 5 ± 2.3646·√(32/7/8)', () => {
    const summary = summarizeMean({ n: 8, sum: 40, sumOfSquares: 232 });
    const half = 2.364624251592785 * Math.sqrt(32 / 7 / 8);
    expect(summary.mean).toBe(5);
    expect(summary.standardDeviation).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(summary.interval!.lower).toBeCloseTo(5 - half, 12);
    expect(summary.interval!.upper).toBeCloseTo(5 + half, 12);
  });

  it('widens with the confidence level and names a bad alpha', () => {
    const at95 = summarizeProportion({ n: 100, successes: 30 }).interval!;
    const at99 = summarizeProportion({ n: 100, successes: 30 }, { alpha: 0.01 }).interval!;
    expect(at99.lower).toBeLessThan(at95.lower);
    expect(at99.upper).toBeGreaterThan(at95.upper);
    expect(() => summarizeMean({ n: 3, sum: 3, sumOfSquares: 5 }, { alpha: 1 })).toThrow(/options\.alpha must be a number strictly between 0 and 1; got 1/);
  });
});
