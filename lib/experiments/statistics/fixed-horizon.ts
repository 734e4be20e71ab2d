/**
 * Fixed-horizon tests of treatment against control: the two-proportion
 * z-test for a binary metric and Welch's t-test for a continuous one. Both
 * are valid when the data are looked at once, at a sample size fixed in
 * advance; looked at repeatedly they reject far more often than alpha (see
 * `sequential.ts` and docs/experiments.md).
 *
 * Two-proportion z-test (e.g. Agresti, "Categorical Data Analysis", §3.1):
 *   d = p̂_T - p̂_C
 *   test:     z = d / √(p̄(1 - p̄)(1/n_C + 1/n_T)), p̄ = (x_C + x_T)/(n_C + n_T),
 *             the pooled standard error, which is the right one under
 *             H0: p_T = p_C; p = 2·(1 - Φ(|z|)).
 *   interval: d ± z_{1-α/2}·√(p̂_C(1 - p̂_C)/n_C + p̂_T(1 - p̂_T)/n_T), the
 *             unpooled (Wald) standard error, because the interval is about
 *             the difference wherever it is, not under H0. So the interval
 *             and the p-value can disagree by a hair near the boundary.
 * Welch's t-test (Welch 1947; Satterthwaite 1946):
 *   d = x̄_T - x̄_C, SE = √(s_C²/n_C + s_T²/n_T),
 *   ν = (s_C²/n_C + s_T²/n_T)² / ((s_C²/n_C)²/(n_C - 1) + (s_T²/n_T)²/(n_T - 1)),
 *   t = d / SE, p = 2·P(T_ν > |t|), interval d ± t_{1-α/2, ν}·SE.
 *   This is scipy.stats.ttest_ind(equal_var=False).
 * Relative difference, r = x̄_T / x̄_C - 1, by the delta method (first-order
 * Taylor expansion of the ratio; e.g. Deng, Knoblich & Lu, "Applying the
 * Delta Method in Metric Analytics", KDD 2018):
 *   Var(r) ≈ σ_T²/(n_T x̄_C²) + x̄_T² σ_C²/(n_C x̄_C⁴),
 *   interval r ± c·√Var(r) with the same critical value c as the absolute
 *   interval (σ² = p̂(1 - p̂) for a proportion, s² for a mean). Null when the
 *   control mean is 0. It ignores the skew of a ratio, so it is a good
 *   approximation only when the control mean is many standard errors from 0.
 *
 * Degenerate inputs get a result that claims nothing: p-value 1, null
 * statistic and intervals, and `undefinedReason` saying why (an empty
 * variant; fewer than two observations for Welch; no spread at all, where a
 * test statistic would be 0/0 or ±∞).
 */
import { checkProbability } from './errors.js';
import { DEFAULT_ALPHA, type Interval } from './intervals.js';
import { normalQuantile, normalSf } from './normal.js';
import { studentTQuantile, studentTSf } from './student-t.js';
import { binaryPair, continuousPair, type PairMoments, type UndefinedReason } from './pairs.js';
import type { BinaryStats, ContinuousStats } from './sufficient.js';

export interface FixedHorizonOptions {
  /**
   * Two-sided error rate: intervals have level 1 - alpha.
   * @default 0.05
   */
  alpha?: number;
}

/** Treatment against control at one point in time. Differences are treatment minus control. */
export interface FixedHorizonResult {
  method: 'two-proportion z-test' | 'welch t-test';
  controlMean: number | null;
  treatmentMean: number | null;
  /** treatment - control. */
  difference: number | null;
  /** treatment / control - 1; null when the control mean is 0. */
  relativeDifference: number | null;
  /** The standard error of `difference` the interval uses (unpooled). */
  standardError: number | null;
  /** z or t. */
  statistic: number | null;
  /** Welch–Satterthwaite ν; null for the z-test. */
  degreesOfFreedom: number | null;
  /** Two-sided; 1 when the comparison is undefined. */
  pValue: number;
  interval: Interval | null;
  relativeInterval: Interval | null;
  undefinedReason: UndefinedReason | null;
}

function undefinedResult(method: FixedHorizonResult['method'], reason: UndefinedReason, meanC: number | null, meanT: number | null): FixedHorizonResult {
  const difference = meanC === null || meanT === null ? null : meanT - meanC;
  const relativeDifference = difference === null || meanC === 0 || meanC === null ? null : difference / meanC;
  return {
    method,
    controlMean: meanC,
    treatmentMean: meanT,
    difference,
    relativeDifference,
    standardError: null,
    statistic: null,
    degreesOfFreedom: null,
    pValue: 1,
    interval: null,
    relativeInterval: null,
    undefinedReason: reason,
  };
}

/** The delta-method interval for treatment/control - 1 at critical value `critical`; null when the control mean is 0. */
function relativeDifferenceInterval(m: PairMoments, critical: number): Interval | null {
  if (m.meanC === 0) return null;
  const r = m.meanT / m.meanC - 1;
  const c2 = m.meanC * m.meanC;
  const variance = m.varT / (m.nT * c2) + (m.meanT * m.meanT * m.varC) / (m.nC * c2 * c2);
  const half = critical * Math.sqrt(variance);
  return { lower: r - half, upper: r + half };
}

function resultOf(
  method: FixedHorizonResult['method'],
  m: PairMoments,
  statistic: number,
  pValue: number,
  critical: number,
  degreesOfFreedom: number | null,
): FixedHorizonResult {
  const difference = m.meanT - m.meanC;
  const standardError = Math.sqrt(m.varC / m.nC + m.varT / m.nT);
  const half = critical * standardError;
  return {
    method,
    controlMean: m.meanC,
    treatmentMean: m.meanT,
    difference,
    relativeDifference: m.meanC === 0 ? null : difference / m.meanC,
    standardError,
    statistic,
    degreesOfFreedom,
    pValue,
    interval: { lower: difference - half, upper: difference + half },
    relativeInterval: relativeDifferenceInterval(m, critical),
    undefinedReason: null,
  };
}

/** The two-proportion z-test of treatment against control (pooled SE for the test, unpooled for the interval). */
export function twoProportionZTest(control: BinaryStats, treatment: BinaryStats, options: FixedHorizonOptions = {}): FixedHorizonResult {
  const pair = binaryPair(control, treatment);
  const alpha = checkProbability('options.alpha', options.alpha ?? DEFAULT_ALPHA);
  const method = 'two-proportion z-test';
  const m = pair.moments;
  if (m === null) return undefinedResult(method, pair.reason!, pair.meanC, pair.meanT);
  const pooled = (control.successes + treatment.successes) / (m.nC + m.nT);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / m.nC + 1 / m.nT));
  if (pooledSe === 0) return undefinedResult(method, 'zero variance', m.meanC, m.meanT);
  const z = (m.meanT - m.meanC) / pooledSe;
  return resultOf(method, m, z, 2 * normalSf(Math.abs(z)), normalQuantile(1 - alpha / 2), null);
}

/** Welch's t-test of treatment against control, with Welch–Satterthwaite degrees of freedom. */
export function welchTTest(control: ContinuousStats, treatment: ContinuousStats, options: FixedHorizonOptions = {}): FixedHorizonResult {
  const pair = continuousPair(control, treatment);
  const alpha = checkProbability('options.alpha', options.alpha ?? DEFAULT_ALPHA);
  const method = 'welch t-test';
  const m = pair.moments;
  if (m === null) return undefinedResult(method, pair.reason!, pair.meanC, pair.meanT);
  const a = m.varC / m.nC;
  const b = m.varT / m.nT;
  if (a + b === 0) return undefinedResult(method, 'zero variance', m.meanC, m.meanT);
  const df = ((a + b) * (a + b)) / ((a * a) / (m.nC - 1) + (b * b) / (m.nT - 1));
  const t = (m.meanT - m.meanC) / Math.sqrt(a + b);
  return resultOf(method, m, t, 2 * studentTSf(Math.abs(t), df), studentTQuantile(1 - alpha / 2, df), df);
}
