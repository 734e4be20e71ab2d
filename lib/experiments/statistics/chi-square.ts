/**
 * The chi-square distribution with k degrees of freedom: CDF and survival
 * function, as P(k/2, x/2) and Q(k/2, x/2), the regularized incomplete gamma
 * functions of `special.ts` (DLMF 8.2.4; power series below k/2 + 1,
 * Lentz continued fraction above). The survival function is computed
 * directly, not as 1 - CDF, so tiny p-values keep their relative accuracy.
 */
import { regularizedGamma } from './special.js';

/** P(X <= x) for X ~ χ²(k); k > 0 need not be an integer. NaN for k <= 0. */
export function chiSquareCdf(x: number, degreesOfFreedom: number): number {
  if (x <= 0) return degreesOfFreedom > 0 ? 0 : Number.NaN;
  return regularizedGamma(degreesOfFreedom / 2, x / 2).lower;
}

/** P(X > x) for X ~ χ²(k): the p-value of a chi-square statistic x. */
export function chiSquareSf(x: number, degreesOfFreedom: number): number {
  if (x <= 0) return degreesOfFreedom > 0 ? 1 : Number.NaN;
  return regularizedGamma(degreesOfFreedom / 2, x / 2).upper;
}
