/**
 * Sufficient statistics, as the rollups keep them, and the moments computed
 * from them.
 *
 * A binary metric (success rate) is summed as (n, successes); a continuous
 * one (latency, cost, confidence) as (n, sum, sum of squares). Everything a
 * z-test, a t-test or the mixture SPRT needs is a function of these, so
 * results for any window are computed from added-up rollup rows, never from
 * raw runs (GrowthBook's gbstats works the same way).
 *
 * Sample variance from the sums: s² = (Σx² - (Σx)²/n) / (n - 1). The
 * subtraction cancels when the mean is large against the spread: its
 * relative error is about ε·Σx²/M2 with M2 = Σx² - (Σx)²/n, i.e. ε·(1 + x̄²/s²)
 * on top of the rounding already in Σx² (Higham, "Accuracy and Stability of
 * Numerical Algorithms", 2nd ed., §1.9). For the metrics here (latency in ms,
 * cost in USD, confidence in [0, 1]) x̄/s is rarely above 100, so a few
 * digits of ~16 are lost at most. The danger is a metric that is constant
 * (every run of a variant costs the same): M2 is then pure rounding noise,
 * a tiny positive or negative number, and a test would find a "difference"
 * with a standard error of 1e-20. So M2 is treated as exactly 0 when it is
 * within the rounding bound of recursive summation, 2nε·Σx², of zero.
 */
import { checkCount, StatisticsInputError } from './errors.js';

/** Counts of a binary metric: n observations, `successes` of them 1 and the rest 0. */
export interface BinaryStats {
  n: number;
  successes: number;
}

/** Sums of a continuous metric over n observations. */
export interface ContinuousStats {
  n: number;
  /** Σx. */
  sum: number;
  /** Σx². */
  sumOfSquares: number;
}

/**
 * Throws a StatisticsInputError naming `argument` unless `stats` is a valid
 * BinaryStats: n an integer >= 0, successes an integer in [0, n].
 */
export function checkBinaryStats(argument: string, stats: BinaryStats): BinaryStats {
  if (typeof stats !== 'object' || stats === null) throw new StatisticsInputError(argument, 'an object { n, successes }', stats);
  const n = checkCount(`${argument}.n`, stats.n);
  const successes = checkCount(`${argument}.successes`, stats.successes);
  if (successes > n) throw new StatisticsInputError(`${argument}.successes`, `at most ${argument}.n (${n})`, successes);
  return stats;
}

/**
 * Throws a StatisticsInputError naming `argument` unless `stats` is a valid
 * ContinuousStats: n an integer >= 0, finite sums, Σx² >= 0, both sums 0
 * when n is 0, and (Σx)² <= n·Σx² (Cauchy–Schwarz) up to rounding.
 */
export function checkContinuousStats(argument: string, stats: ContinuousStats): ContinuousStats {
  if (typeof stats !== 'object' || stats === null) throw new StatisticsInputError(argument, 'an object { n, sum, sumOfSquares }', stats);
  const n = checkCount(`${argument}.n`, stats.n);
  const { sum, sumOfSquares } = stats;
  if (typeof sum !== 'number' || !Number.isFinite(sum)) throw new StatisticsInputError(`${argument}.sum`, 'a finite number', sum);
  if (typeof sumOfSquares !== 'number' || !Number.isFinite(sumOfSquares) || sumOfSquares < 0) {
    throw new StatisticsInputError(`${argument}.sumOfSquares`, 'a finite number >= 0', sumOfSquares);
  }
  if (n === 0 && (sum !== 0 || sumOfSquares !== 0)) throw new StatisticsInputError(`${argument}.sum`, `0 when ${argument}.n is 0`, sum);
  if (sum * sum > n * sumOfSquares * (1 + 1e-9)) {
    throw new StatisticsInputError(`${argument}.sumOfSquares`, `at least ${argument}.sum² / ${argument}.n (Cauchy–Schwarz)`, sumOfSquares);
  }
  return stats;
}

/** A binary metric as a continuous one: x ∈ {0, 1}, so Σx = Σx² = successes. */
export function binaryAsContinuous(stats: BinaryStats): ContinuousStats {
  return { n: stats.n, sum: stats.successes, sumOfSquares: stats.successes };
}

/** The mean Σx / n, or null when n is 0. */
export function mean(stats: ContinuousStats): number | null {
  return stats.n === 0 ? null : stats.sum / stats.n;
}

/** The success rate successes / n, or null when n is 0. */
export function proportion(stats: BinaryStats): number | null {
  return stats.n === 0 ? null : stats.successes / stats.n;
}

/**
 * M2 = Σ(x - x̄)² = Σx² - (Σx)²/n, clamped to 0 when it is within the
 * rounding error of the sums (2nε·Σx²) or negative; 0 when n < 2.
 */
export function centeredSumOfSquares(stats: ContinuousStats): number {
  if (stats.n < 2) return 0;
  const m2 = stats.sumOfSquares - stats.sum * (stats.sum / stats.n);
  return m2 <= 2 * stats.n * Number.EPSILON * stats.sumOfSquares ? 0 : m2;
}

/** The unbiased sample variance M2 / (n - 1), or null when n < 2. See the module comment for its precision. */
export function sampleVariance(stats: ContinuousStats): number | null {
  return stats.n < 2 ? null : centeredSumOfSquares(stats) / (stats.n - 1);
}

/**
 * The largest Σx² that n values in [lower, upper] with sum Σx can have:
 * (lower + upper)·Σx - n·lower·upper, from (x - lower)(upper - x) >= 0 for
 * each value (the Bhatia–Davis inequality). For a metric whose rollup keeps
 * a sum but no sum of squares (confidence in [0, 1]), it gives the most
 * conservative variance, so a test built on it can only understate
 * significance.
 */
export function boundedSumOfSquares(n: number, sum: number, lower: number, upper: number): number {
  checkCount('n', n);
  if (typeof lower !== 'number' || !Number.isFinite(lower)) throw new StatisticsInputError('lower', 'a finite number', lower);
  if (typeof upper !== 'number' || !Number.isFinite(upper) || !(upper > lower)) throw new StatisticsInputError('upper', 'a finite number > lower', upper);
  const slack = 1e-9 * Math.max(1, Math.abs(n * lower), Math.abs(n * upper));
  if (typeof sum !== 'number' || !(sum >= n * lower - slack && sum <= n * upper + slack)) {
    throw new StatisticsInputError('sum', `between n·lower (${n * lower}) and n·upper (${n * upper})`, sum);
  }
  return Math.max(0, (lower + upper) * sum - n * lower * upper);
}
