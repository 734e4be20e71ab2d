/**
 * Sample-ratio mismatch (SRM): a chi-square goodness-of-fit test of the
 * observed count per variant against the counts the assignment weights
 * predict (Pearson 1900):
 *
 *   E_i = N·w_i / Σw,   χ² = Σ (O_i - E_i)² / E_i,   df = k - 1,   p = P(χ²_df > χ²).
 *
 * This is scipy.stats.chisquare(observed, expected). A small p means the
 * split is not what the weights say: assignment or logging is broken (a
 * variant crashes before it records a run, a cache serves one variant's
 * prompt to everyone), and no comparison of the metrics can be trusted,
 * whatever it shows (Fabijan et al., "Diagnosing Sample Ratio Mismatch in
 * Online Controlled Experiments", KDD 2019). The default threshold, 0.001,
 * is a common one (GrowthBook's default, for example): a healthy experiment
 * trips it with probability 0.1% per look, and successive looks at growing
 * counts are strongly correlated, so checking every day rarely raises a
 * false alarm; a real mismatch of a few percent over thousands of runs
 * drives p far below it.
 */
import { chiSquareSf } from './chi-square.js';
import { checkCount, checkPositive, checkProbability, StatisticsInputError } from './errors.js';

export const DEFAULT_SRM_THRESHOLD = 0.001;

export interface SampleRatioOptions {
  /**
   * The p-value below which the split is flagged as a mismatch.
   * @default 0.001
   */
  threshold?: number;
}

export interface SampleRatioResult {
  /** The counts the weights predict, in the order of `observed`. */
  expected: number[];
  chiSquare: number;
  degreesOfFreedom: number;
  /** 1 when there are no observations. */
  pValue: number;
  /** pValue < threshold. */
  mismatch: boolean;
  threshold: number;
}

/**
 * Tests observed counts per variant against the expected split.
 * @param observed the number of subjects (or runs) per variant
 * @param weights the assignment weights in the same order; any positive scale (50/50, 0.5/0.5, 1/1)
 */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[], options: SampleRatioOptions = {}): SampleRatioResult {
  if (!Array.isArray(observed) || observed.length < 2) throw new StatisticsInputError('observed', 'an array of at least two counts', observed);
  if (!Array.isArray(weights) || weights.length !== observed.length) {
    throw new StatisticsInputError('weights', `an array as long as observed (${observed.length})`, Array.isArray(weights) ? weights.length : weights);
  }
  const threshold = checkProbability('options.threshold', options.threshold ?? DEFAULT_SRM_THRESHOLD);
  let total = 0;
  let weightSum = 0;
  observed.forEach((count, i) => (total += checkCount(`observed[${i}]`, count)));
  weights.forEach((weight, i) => (weightSum += checkPositive(`weights[${i}]`, weight)));
  const expected = weights.map((w) => (total * w) / weightSum);
  const degreesOfFreedom = observed.length - 1;
  if (total === 0) return { expected, chiSquare: 0, degreesOfFreedom, pValue: 1, mismatch: false, threshold };
  let chiSquare = 0;
  observed.forEach((count, i) => {
    const e = expected[i]!;
    chiSquare += ((count - e) * (count - e)) / e;
  });
  const pValue = chiSquareSf(chiSquare, degreesOfFreedom);
  return { expected, chiSquare, degreesOfFreedom, pValue, mismatch: pValue < threshold, threshold };
}
