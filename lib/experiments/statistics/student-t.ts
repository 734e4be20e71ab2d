/**
 * Student's t distribution with ν > 0 degrees of freedom (ν need not be an
 * integer: Welch's test produces fractional ν).
 *
 * - CDF: for t < 0, P(T <= t) = I_x(ν/2, 1/2) / 2 with x = ν / (ν + t²)
 *   (DLMF 8.17.1 and Abramowitz & Stegun 26.7.1), the regularized
 *   incomplete beta function of `special.ts`; x and 1 - x = t² / (ν + t²)
 *   are both passed so neither loses precision. The tail is computed
 *   directly, so P(T > 40) for ν = 10 (about 1e-12) keeps its relative
 *   accuracy. ν = ∞ is the standard normal.
 * - Quantile: Newton's method on ln F(-e^u) = ln q in u = ln|t|, for the
 *   smaller tail q, from the normal quantile (|t_q| >= |z_q| always), kept
 *   inside a bracket that falls back to bisection. In u the power-law tail
 *   of small ν is close to a straight line, so Newton needs a handful of
 *   steps even for q = 1e-300 and ν = 1.
 */
import { normalCdf, normalQuantile } from './normal.js';
import { lnBeta, regularizedBeta } from './special.js';

/** ln(f(t) · |t|) for |t| = e^u, without forming t² (the quantile's Newton slope). */
function logPdfTimesT(u: number, nu: number): number {
  // ln(1 + t²/ν) = 2u - ln ν + log1p(ν/t²) when t² > ν.
  const lnT2OverNu = 2 * u - Math.log(nu);
  const log1pT2 = lnT2OverNu > 0 ? lnT2OverNu + Math.log1p(Math.exp(-lnT2OverNu)) : Math.log1p(Math.exp(lnT2OverNu));
  return u - 0.5 * (nu + 1) * log1pT2 - 0.5 * Math.log(nu) - lnBeta(nu / 2, 0.5);
}

/** f(t), the density. */
export function studentTPdf(t: number, degreesOfFreedom: number): number {
  const nu = degreesOfFreedom;
  if (nu === Number.POSITIVE_INFINITY) return Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  // f(t) = (1 + t²/ν)^(-(ν+1)/2) / (√ν B(ν/2, 1/2)).
  return Math.exp(-0.5 * (nu + 1) * Math.log1p((t * t) / nu) - 0.5 * Math.log(nu) - lnBeta(nu / 2, 0.5));
}

/** Beyond this |t|, ν/t² is formed from logarithms: t² would overflow, or ν/t² underflow while (ν/t²)^(ν/2) does not. */
const LOG_PATH_T = 1e150;

/** P(T <= -|t|) for |t| = e^u: the lower tail, computed directly. */
function lowerTailOfLog(u: number, nu: number): number {
  if (nu === Number.POSITIVE_INFINITY) return normalCdf(-Math.exp(u));
  const absT = Math.exp(u);
  if (absT < LOG_PATH_T) return lowerTail(absT, nu);
  // r = ν/t², ln x = ln r - log1p(r) with x = r / (1 + r).
  const lnR = Math.log(nu) - 2 * u;
  const r = Math.exp(lnR);
  return 0.5 * regularizedBeta(nu / 2, 0.5, r / (1 + r), 1 / (1 + r), lnR - Math.log1p(r)).lower;
}

/** P(T <= -|t|): the lower tail at -|t|, computed directly. */
function lowerTail(absT: number, nu: number): number {
  if (nu === Number.POSITIVE_INFINITY) return normalCdf(-absT);
  if (absT >= LOG_PATH_T) return absT === Number.POSITIVE_INFINITY ? 0 : lowerTailOfLog(Math.log(absT), nu);
  const t2 = absT * absT;
  if (t2 <= nu) {
    const denominator = nu + t2;
    return 0.5 * regularizedBeta(nu / 2, 0.5, nu / denominator, t2 / denominator).lower;
  }
  const r = nu / t2;
  return 0.5 * regularizedBeta(nu / 2, 0.5, r / (1 + r), 1 / (1 + r)).lower;
}

/** P(T <= t). NaN when ν <= 0 or t is NaN. */
export function studentTCdf(t: number, degreesOfFreedom: number): number {
  if (!(degreesOfFreedom > 0) || Number.isNaN(t)) return Number.NaN;
  const tail = lowerTail(Math.abs(t), degreesOfFreedom);
  return t < 0 ? tail : 1 - tail;
}

/** P(T > t), accurate in the upper tail. */
export function studentTSf(t: number, degreesOfFreedom: number): number {
  return studentTCdf(-t, degreesOfFreedom);
}

const MAX_STEPS = 200;

/**
 * The quantile t with P(T <= t) = p. Returns ∓∞ at p = 0 and 1, NaN for p
 * outside [0, 1] or ν <= 0.
 */
export function studentTQuantile(p: number, degreesOfFreedom: number): number {
  const nu = degreesOfFreedom;
  if (!(p >= 0 && p <= 1) || !(nu > 0)) return Number.NaN;
  if (nu === Number.POSITIVE_INFINITY) return normalQuantile(p);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  const q = p < 0.5 ? p : 1 - p;
  const lnQ = Math.log(q);
  // h(u) = ln F(-e^u) - ln q falls as u grows; its root is ln|t_q|.
  const h = (u: number) => Math.log(lowerTailOfLog(u, nu)) - lnQ;
  let lo = Math.log(-normalQuantile(q)); // h(lo) >= 0: the t tail is heavier than the normal one
  let hi = Number.POSITIVE_INFINITY;
  let u = lo;
  for (let step = 0; step < MAX_STEPS; step++) {
    const value = h(u);
    if (value === 0) break;
    if (value > 0) lo = Math.max(lo, u);
    else hi = Math.min(hi, u);
    // dh/du = -f(-x) · x / F(-x) with x = e^u; in logarithms, since f(-x) x and F(-x) can both underflow.
    const slope = -Math.exp(logPdfTimesT(u, nu) - Math.log(lowerTailOfLog(u, nu)));
    let next = u - value / slope;
    if (!Number.isFinite(next) || next <= lo || next >= hi) {
      next = hi === Number.POSITIVE_INFINITY ? Math.max(u, lo) + 1 : 0.5 * (lo + hi);
    }
    if (Math.abs(next - u) <= 4 * Number.EPSILON * Math.max(1, Math.abs(u))) {
      u = next;
      break;
    }
    u = next;
  }
  const t = Math.exp(u);
  return p < 0.5 ? -t : t;
}
