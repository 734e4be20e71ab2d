/**
 * The standard normal distribution: density, CDF, survival function and
 * quantile.
 *
 * - CDF: Φ(x) = erfc(-x/√2) / 2 with erfc(z) = Q(1/2, z²) (DLMF 7.11.2), the
 *   regularized upper incomplete gamma function of `special.ts`: a power
 *   series near 0 and a Lentz continued fraction in the tails, so Φ(-37)
 *   (about 6e-300) is as accurate in relative terms as Φ(0).
 * - Quantile: Acklam's rational approximation (relative error below
 *   1.15e-9 over (0, 1); P. J. Acklam, "An algorithm for computing the
 *   inverse normal cumulative distribution function", 2003), then one
 *   Halley step against the CDF above, which brings it to full double
 *   precision. The refinement works on the smaller tail, so quantiles of
 *   probabilities like 1e-300 stay accurate.
 */
import { regularizedGamma } from './special.js';

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/** Φ(x) = P(Z <= x) for a standard normal Z. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return x;
  const tail = 0.5 * regularizedGamma(0.5, 0.5 * x * x).upper;
  return x < 0 ? tail : 1 - tail;
}

/** 1 - Φ(x) = P(Z > x), accurate for large x where 1 - normalCdf(x) would round to 0. */
export function normalSf(x: number): number {
  return normalCdf(-x);
}

// Acklam's coefficients: central region |p - 1/2| <= 0.47575, tails beyond.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Acklam's approximation of Φ⁻¹(p) for 0 < p <= 1/2 (relative error < 1.15e-9). */
function acklamLower(p: number): number {
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
    (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1)
  );
}

/**
 * Φ⁻¹(p), the standard normal quantile: the x with Φ(x) = p. Returns -∞ for
 * p = 0, +∞ for p = 1 and NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  // Work on the lower tail: for p > 1/2, 1 - p is exact (Sterbenz) and Φ⁻¹(p) = -Φ⁻¹(1 - p).
  const lower = p < 0.5 ? p : 1 - p;
  let x = acklamLower(lower);
  // One Halley step on f(x) = Φ(x) - lower: x -= u / (1 + x u / 2), u = f(x) / φ(x).
  const u = (normalCdf(x) - lower) / normalPdf(x);
  if (Number.isFinite(u)) x -= u / (1 + (x * u) / 2);
  return p < 0.5 ? x : -x;
}
