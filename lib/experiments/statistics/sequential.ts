/**
 * The always-valid comparison: a mixture sequential probability ratio test
 * (mSPRT) with a normal mixture, giving a p-value and a confidence sequence
 * for treatment minus control that stay valid however often, and whenever,
 * someone looks.
 *
 * References:
 * - R. Johari, P. Koomen, L. Pekelis, D. Walsh, "Peeking at A/B Tests: Why
 *   it matters, and what to do about it", KDD 2017; and "Always Valid
 *   Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3),
 *   2022. The mSPRT and its closed form for normal data and a normal mixture.
 * - S. R. Howard, A. Ramdas, J. McAuliffe, J. Sekhon, "Time-uniform,
 *   nonparametric, nonasymptotic confidence sequences", Annals of Statistics
 *   49(2), 2021: the same normal-mixture boundary read as a confidence
 *   sequence, and how its mixing variance sets the sample size at which it
 *   is tightest.
 * - I. Waudby-Smith, D. Arbour, R. Sinha, E. H. Kennedy, A. Ramdas,
 *   "Time-uniform central limit theory and asymptotic confidence sequences",
 *   arXiv:2103.06476: why plugging estimated variances into the boundary
 *   keeps it valid asymptotically for any metric with a finite variance,
 *   not only normal data.
 *
 * The statistic. With d the observed difference of means (or proportions),
 * s² = σ_C²/n_C + σ_T²/n_T its variance, V = σ_C² + σ_T² the variance of one
 * treatment observation minus one control observation (σ² = p(1 - p) for a
 * proportion, the sample variance for a mean; always unpooled, so that the
 * p-value and the interval agree) and a normal mixing distribution
 * θ ~ N(0, τ²) over the true difference, the mixture likelihood ratio of
 * H1 against H0: θ = 0 is
 *
 *   Λ = √(s² / (s² + τ²)) · exp( τ² d² / (2 s² (s² + τ²)) ).
 *
 * With equal groups of n, s² = V/n and this is Johari et al.'s
 * √(V/(V + nτ²))·exp(n²τ²d²/(2V(V + nτ²))). Λ is a nonnegative martingale
 * under H0 (exactly for normal data with known variances, asymptotically
 * with estimated ones: Waudby-Smith et al.), so by Ville's inequality
 * P(Λ ever reaches 1/α) <= α: the
 * always-valid p-value is p = min(1, 1/Λ), and rejecting when p < α keeps
 * the false-positive rate at α under continuous monitoring. Inverting the
 * test at every θ gives the confidence sequence
 *
 *   d ± s · √( (1 + r)/r · (2 ln(1/α) + ln(1 + r)) ),   r = τ²/s²,
 *
 * which contains the true difference at all times at once with probability
 * 1 - α (Howard et al.'s two-sided normal-mixture boundary; GrowthBook's
 * sequential intervals have this shape). Everything depends on the data only
 * through z = d/s and r, and is computed in logarithms.
 *
 * The mixing variance. τ² is given on the standardized scale: τ² = φ²·V, so
 * φ² is the variance of the mixing distribution for the effect measured in
 * standard deviations of (treatment observation - control observation), and
 * r = φ²·n_eff with n_eff = V/s² (exactly n with equal groups of n). The
 * half-width is smallest where r = 2 ln(1/α) + ln(1 + r) (8.21 at α = 0.05);
 * one step of that fixed point gives φ² = (2 ln(1/α) + ln(1 + 2 ln(1/α))) / n
 * for a planned n per variant (the tuning GrowthBook's sequential testing uses),
 * which `mixingVarianceFor(n)` computes (at α = 0.05 it is within 0.1% of
 * the optimum width). The default plans for 5,000 observations per variant:
 * Iris experiments compare prompt versions over thousands of agent runs.
 * The width is forgiving around the plan: relative to the best φ² for the
 * n actually reached, it is 5% wider at a third of the plan and 26% at a
 * tenth, 2% at three times the plan and 7% at ten times. So plan for about
 * the number of runs per variant expected when the experiment would be
 * stopped anyway, erring large rather than small. At the planned size the
 * interval is about 1.55 times as wide as the fixed-horizon 95% interval:
 * the price of being allowed to look at every run.
 *
 * Across looks. Each look's p-value and interval are valid on their own at
 * any stopping time. A caller that keeps history may also report the
 * running minimum of the p-values and the running intersection of the
 * intervals, which are just as valid; a caller that does not (a results
 * route computing from rollups) loses nothing in validity, only the rare
 * case where evidence that crossed the line later recedes.
 */
import { checkPositive, checkProbability } from './errors.js';
import { DEFAULT_ALPHA, type Interval } from './intervals.js';
import { binaryPair, continuousPair, type Pair, type UndefinedReason } from './pairs.js';
import type { BinaryStats, ContinuousStats } from './sufficient.js';

/** The planned observations per variant behind the default mixing variance. */
export const DEFAULT_PLANNED_SAMPLE_SIZE = 5_000;

export interface SequentialOptions {
  /**
   * Two-sided error rate: the p-value is compared with it and the confidence
   * sequence has coverage 1 - alpha over all looks at once.
   * @default 0.05
   */
  alpha?: number;
  /**
   * φ², the variance of the normal mixing distribution on the standardized
   * scale (effect divided by the standard deviation of one treatment
   * observation minus one control observation). Larger values favour large
   * effects found early; smaller ones small effects found late.
   * @default mixingVarianceFor(DEFAULT_PLANNED_SAMPLE_SIZE, alpha), about 0.00159 at alpha 0.05
   */
  mixingVariance?: number;
}

/**
 * The φ² whose confidence sequence is (within 0.1% at α = 0.05) narrowest
 * after `plannedSampleSizePerVariant` observations per variant:
 * (2 ln(1/α) + ln(1 + 2 ln(1/α))) / n, one step of the fixed point
 * r = 2 ln(1/α) + ln(1 + r) that minimizes the half-width (see the module comment).
 * @example mixingVarianceFor(5_000) // 0.0015872…
 */
export function mixingVarianceFor(plannedSampleSizePerVariant: number, alpha: number = DEFAULT_ALPHA): number {
  checkPositive('plannedSampleSizePerVariant', plannedSampleSizePerVariant);
  checkProbability('alpha', alpha);
  const l = 2 * Math.log(1 / alpha);
  return (l + Math.log1p(l)) / plannedSampleSizePerVariant;
}

/** The always-valid comparison at one look. Differences are treatment minus control. */
export interface SequentialResult {
  method: 'mixture sprt';
  alpha: number;
  /** φ² as used. */
  mixingVariance: number;
  controlMean: number | null;
  treatmentMean: number | null;
  /** treatment - control. */
  difference: number | null;
  /** √(σ_C²/n_C + σ_T²/n_T), unpooled. */
  standardError: number | null;
  /** V/s²: the per-variant sample size of a balanced experiment with the same precision. */
  effectiveSampleSize: number | null;
  /** ln Λ, the log mixture likelihood ratio; 0 when undefined. */
  logLikelihoodRatio: number;
  /** min(1, 1/Λ); 1 when undefined. */
  pValue: number;
  /** The confidence sequence at this look; null when undefined. */
  interval: Interval | null;
  /** pValue < alpha, equivalently the interval excludes 0. */
  significant: boolean;
  undefinedReason: UndefinedReason | null;
}

interface Resolved {
  alpha: number;
  mixingVariance: number;
}

function resolve(options: SequentialOptions): Resolved {
  const alpha = checkProbability('options.alpha', options.alpha ?? DEFAULT_ALPHA);
  const mixingVariance =
    options.mixingVariance === undefined ? mixingVarianceFor(DEFAULT_PLANNED_SAMPLE_SIZE, alpha) : checkPositive('options.mixingVariance', options.mixingVariance);
  return { alpha, mixingVariance };
}

function mixture(options: Resolved, pair: Pair): SequentialResult {
  const { meanC, meanT, moments: m } = pair;
  const base = {
    method: 'mixture sprt' as const,
    alpha: options.alpha,
    mixingVariance: options.mixingVariance,
    controlMean: meanC,
    treatmentMean: meanT,
    difference: meanC === null || meanT === null ? null : meanT - meanC,
  };
  const s2 = m === null ? 0 : m.varC / m.nC + m.varT / m.nT;
  if (m === null || !(s2 > 0)) {
    const undefinedReason = pair.reason ?? 'zero variance';
    return { ...base, standardError: null, effectiveSampleSize: null, logLikelihoodRatio: 0, pValue: 1, interval: null, significant: false, undefinedReason };
  }
  const d = m.meanT - m.meanC;
  const effectiveSampleSize = (m.varC + m.varT) / s2;
  const r = options.mixingVariance * effectiveSampleSize; // τ²/s²
  const z2 = (d * d) / s2;
  // ln Λ = -½ ln(1 + r) + (z²/2)·r/(1 + r).
  const logLikelihoodRatio = -0.5 * Math.log1p(r) + (0.5 * z2 * r) / (1 + r);
  const pValue = Math.min(1, Math.exp(-logLikelihoodRatio));
  const standardError = Math.sqrt(s2);
  const half = standardError * Math.sqrt(((1 + r) / r) * (2 * Math.log(1 / options.alpha) + Math.log1p(r)));
  return {
    ...base,
    standardError,
    effectiveSampleSize,
    logLikelihoodRatio,
    pValue,
    interval: { lower: d - half, upper: d + half },
    significant: pValue < options.alpha,
    undefinedReason: null,
  };
}

/** The always-valid comparison of two success rates (σ² = p(1 - p) per group). */
export function sequentialProportions(control: BinaryStats, treatment: BinaryStats, options: SequentialOptions = {}): SequentialResult {
  const pair = binaryPair(control, treatment);
  return mixture(resolve(options), pair);
}

/** The always-valid comparison of two means (σ² = the sample variance per group). */
export function sequentialMeans(control: ContinuousStats, treatment: ContinuousStats, options: SequentialOptions = {}): SequentialResult {
  const pair = continuousPair(control, treatment);
  return mixture(resolve(options), pair);
}
