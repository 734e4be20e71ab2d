/**
 * Per-variant summaries: a success rate with its Wilson score interval and a
 * mean with its Student-t interval, each at level 1 - alpha.
 *
 * - Wilson (1927): the set of p for which the score test does not reject,
 *   (p̂ + z²/2n ± z·√(p̂(1 - p̂)/n + z²/4n²)) / (1 + z²/n) with z = Φ⁻¹(1 - α/2).
 *   Unlike the Wald interval p̂ ± z·√(p̂(1 - p̂)/n) it stays inside [0, 1] and
 *   keeps its coverage at 0 or n successes (Brown, Cai & DasGupta 2001).
 * - Mean: x̄ ± t_{1-α/2, n-1}·s/√n, the textbook interval for a mean, which
 *   the central limit theorem makes approximately right for skewed metrics
 *   such as latency once n is in the hundreds.
 */
import { checkProbability } from './errors.js';
import { normalQuantile } from './normal.js';
import { studentTQuantile } from './student-t.js';
import { checkBinaryStats, checkContinuousStats, mean, sampleVariance, type BinaryStats, type ContinuousStats } from './sufficient.js';

/** A closed interval [lower, upper]. */
export interface Interval {
  lower: number;
  upper: number;
}

export interface IntervalOptions {
  /**
   * One minus the confidence level: 0.05 gives 95% intervals.
   * @default 0.05
   */
  alpha?: number;
}

export const DEFAULT_ALPHA = 0.05;

/** A success rate with its interval; rate and interval are null when n is 0. */
export interface ProportionSummary {
  n: number;
  successes: number;
  rate: number | null;
  interval: Interval | null;
}

/** A mean with its standard deviation and interval; null where n is too small (mean: n = 0; the others: n < 2). */
export interface MeanSummary {
  n: number;
  mean: number | null;
  standardDeviation: number | null;
  interval: Interval | null;
}

/** The success rate of one variant with its Wilson score interval. */
export function summarizeProportion(stats: BinaryStats, options: IntervalOptions = {}): ProportionSummary {
  checkBinaryStats('stats', stats);
  const alpha = checkProbability('options.alpha', options.alpha ?? DEFAULT_ALPHA);
  const { n, successes } = stats;
  if (n === 0) return { n, successes, rate: null, interval: null };
  return { n, successes, rate: successes / n, interval: wilsonInterval(successes, n, normalQuantile(1 - alpha / 2)) };
}

/** The Wilson score interval for `successes` out of `n` > 0 at critical value z. */
export function wilsonInterval(successes: number, n: number, z: number): Interval {
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  // At 0 or n successes the bound is exactly 0 or 1; rounding must not move it past.
  return { lower: successes === 0 ? 0 : Math.max(0, center - half), upper: successes === n ? 1 : Math.min(1, center + half) };
}

/** The mean of one variant with its Student-t interval. */
export function summarizeMean(stats: ContinuousStats, options: IntervalOptions = {}): MeanSummary {
  checkContinuousStats('stats', stats);
  const alpha = checkProbability('options.alpha', options.alpha ?? DEFAULT_ALPHA);
  const m = mean(stats);
  const variance = sampleVariance(stats);
  if (m === null || variance === null) return { n: stats.n, mean: m, standardDeviation: null, interval: null };
  const half = studentTQuantile(1 - alpha / 2, stats.n - 1) * Math.sqrt(variance / stats.n);
  return { n: stats.n, mean: m, standardDeviation: Math.sqrt(variance), interval: { lower: m - half, upper: m + half } };
}
