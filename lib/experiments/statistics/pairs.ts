/**
 * Treatment and control side by side: the means and per-observation
 * variances every comparison starts from, or the reason there are none.
 * Both the fixed-horizon tests and the sequential method read them from
 * here, so they agree on what "too few observations" means.
 */
import { checkBinaryStats, checkContinuousStats, sampleVariance, type BinaryStats, type ContinuousStats } from './sufficient.js';

/** Why a comparison could not be computed. */
export type UndefinedReason = 'empty variant' | 'too few observations' | 'zero variance';

/** Means, per-observation variances (σ²) and sizes of control (C) and treatment (T). */
export interface PairMoments {
  meanC: number;
  meanT: number;
  varC: number;
  varT: number;
  nC: number;
  nT: number;
}

/** The means where they exist, and the moments when the whole pair is usable. */
export interface Pair {
  meanC: number | null;
  meanT: number | null;
  moments: PairMoments | null;
  /** Set exactly when `moments` is null. */
  reason: UndefinedReason | null;
}

/** Two binary groups: σ² = p(1 - p), the Bernoulli variance. Validates both. */
export function binaryPair(control: BinaryStats, treatment: BinaryStats): Pair {
  checkBinaryStats('control', control);
  checkBinaryStats('treatment', treatment);
  const meanC = control.n === 0 ? null : control.successes / control.n;
  const meanT = treatment.n === 0 ? null : treatment.successes / treatment.n;
  if (meanC === null || meanT === null) return { meanC, meanT, moments: null, reason: 'empty variant' };
  const moments = { meanC, meanT, varC: meanC * (1 - meanC), varT: meanT * (1 - meanT), nC: control.n, nT: treatment.n };
  return { meanC, meanT, moments, reason: null };
}

/** Two continuous groups: σ² = the sample variance, which needs n >= 2. Validates both. */
export function continuousPair(control: ContinuousStats, treatment: ContinuousStats): Pair {
  checkContinuousStats('control', control);
  checkContinuousStats('treatment', treatment);
  const meanC = control.n === 0 ? null : control.sum / control.n;
  const meanT = treatment.n === 0 ? null : treatment.sum / treatment.n;
  if (meanC === null || meanT === null) return { meanC, meanT, moments: null, reason: 'empty variant' };
  const varC = sampleVariance(control);
  const varT = sampleVariance(treatment);
  if (varC === null || varT === null) return { meanC, meanT, moments: null, reason: 'too few observations' };
  return { meanC, meanT, moments: { meanC, meanT, varC, varT, nC: control.n, nT: treatment.n }, reason: null };
}
