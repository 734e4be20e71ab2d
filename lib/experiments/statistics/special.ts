/**
 * Special functions behind the distribution functions: log-gamma, log-beta,
 * and the regularized incomplete gamma and beta functions.
 *
 * Algorithms (all in double precision, no tables beyond Bernoulli numbers):
 * - `lnGamma`: Stirling's series with seven Bernoulli terms for x >= 10 and
 *   the recurrence Γ(x) = Γ(x + k) / (x (x + 1) … (x + k - 1)) below; the
 *   truncation error at x = 10 is below 1e-17 (DLMF 5.11.1).
 * - `lnBeta`: for large arguments the Stirling parts are combined before
 *   they are subtracted, with log1p, so ln B(a, b) keeps its relative
 *   accuracy when a is 1e6 and b is 0.5 (the Student-t case with many
 *   degrees of freedom); the same rearrangement as TOMS 708's `betaln`
 *   (Didonato & Morris 1992).
 * - `regularizedGamma`: P(a, x) by its power series when x < a + 1, else
 *   Q(a, x) by its continued fraction evaluated with the modified Lentz
 *   method (Press et al., Numerical Recipes 3rd ed., §6.2; Lentz 1976); the
 *   other one by subtraction, which loses nothing because the directly
 *   computed side is the one that can be tiny.
 * - `regularizedBeta`: I_x(a, b) by its continued fraction (DLMF 8.17.22)
 *   with modified Lentz, on the side x < (a + 1) / (a + b + 2) where it
 *   converges fast, using I_x(a, b) = 1 - I_{1-x}(b, a) otherwise
 *   (Numerical Recipes §6.4). For a >= 15, b <= 1 and x >= 0.7 (the tail of
 *   Student's t with many degrees of freedom), where the continued fraction
 *   needs O(√a) steps and loses about √a·ε, Didonato & Morris's asymptotic
 *   expansion (TOMS 708's BGRAT) instead. The caller may pass 1 - x
 *   separately so that a value of x close to 1 keeps its precision.
 */

/** Relative size of a series term or continued-fraction step at which it has converged: one unit in the last place. */
const EPS = Number.EPSILON;
/** Smallest magnitude the Lentz recurrences may divide by. */
const TINY = 1e-300;
/** The iteration limit; convergence needs O(sqrt(max(a, b))) steps, so this covers a, b up to about 1e9. */
const MAX_ITERATIONS = 200_000;
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Coefficients B_2k / (2k (2k - 1)) of Stirling's series for ln Γ, from the
 * Bernoulli numbers B_2 … B_14: 1/6, -1/30, 1/42, -1/30, 5/66, -691/2730, 7/6.
 */
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156];

/** δ(x) = ln Γ(x) - [(x - 1/2) ln x - x + ln √(2π)] for x >= 10: the small tail of Stirling's series. */
function stirlingCorrection(x: number): number {
  const inv2 = 1 / (x * x);
  let sum = 0;
  for (let k = STIRLING.length - 1; k >= 0; k--) sum = sum * inv2 + STIRLING[k]!;
  return sum / x;
}

/** ln Γ(x) for x > 0. */
export function lnGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return x;
  let shift = 0;
  let product = 1;
  let y = x;
  while (y < 10) {
    product *= y;
    y += 1;
    shift += 1;
  }
  const stirling = (y - 0.5) * Math.log(y) - y + LN_SQRT_2PI + stirlingCorrection(y);
  return shift === 0 ? stirling : stirling - Math.log(product);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b) for a, b > 0, without cancellation for large a or b. */
export function lnBeta(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) return Number.NaN;
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < 10) return lnGamma(big) + lnGamma(small) - lnGamma(big + small);
  const sum = big + small;
  // ln Γ(big) - ln Γ(big + small), Stirling parts combined: -(big - 1/2) log1p(small/big) - small ln(sum) + small.
  const ratioPart = -(big - 0.5) * Math.log1p(small / big);
  if (small < 10) {
    return lnGamma(small) + ratioPart - small * Math.log(sum) + small + stirlingCorrection(big) - stirlingCorrection(sum);
  }
  // Both large: ln Γ(small) expanded as well, the ±small terms cancel.
  return (
    LN_SQRT_2PI +
    ratioPart +
    (small - 0.5) * Math.log(small / sum) -
    0.5 * Math.log(sum) +
    stirlingCorrection(big) +
    stirlingCorrection(small) -
    stirlingCorrection(sum)
  );
}

/** P(a, x) and Q(a, x) = 1 - P(a, x), each accurate in relative terms where it is small. */
export interface GammaTails {
  lower: number;
  upper: number;
}

/**
 * The regularized incomplete gamma functions P(a, x) = γ(a, x) / Γ(a) and
 * Q(a, x) = Γ(a, x) / Γ(a), for a > 0 and x >= 0.
 */
export function regularizedGamma(a: number, x: number): GammaTails {
  if (!(a > 0) || !(x >= 0)) return { lower: Number.NaN, upper: Number.NaN };
  if (x === 0) return { lower: 0, upper: 1 };
  if (x === Number.POSITIVE_INFINITY) return { lower: 1, upper: 0 };
  const logPrefix = gammaLogPrefix(a, x);
  if (x < a + 1) {
    const lower = Math.min(1, gammaSeries(a, x) * Math.exp(logPrefix));
    return { lower, upper: 1 - lower };
  }
  const upper = Math.min(1, Math.exp(logPrefix) * gammaContinuedFraction(a, x));
  return { lower: 1 - upper, upper };
}

/** ln(x^a e^-x / Γ(a)), the factor both expansions share. */
function gammaLogPrefix(a: number, x: number): number {
  return a * Math.log(x) - x - lnGamma(a);
}

/** P(a, x) / (x^a e^-x / Γ(a)) = Σ_n x^n / (a (a + 1) … (a + n)), for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  let denominator = a;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    denominator += 1;
    term *= x / denominator;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum;
}

/**
 * Q(a, x) / (x^a e^-x / Γ(a)) = 1/(x + 1 - a - 1·(1 - a)/(x + 3 - a - 2·(2 - a)/(x + 5 - a - …))),
 * for x >= a + 1, by modified Lentz.
 */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Q(a, x) / (x^a e^-x / Γ(a)), finite where both the numerator and the denominator underflow. */
function scaledUpperGamma(a: number, x: number): number {
  if (x >= a + 1) return gammaContinuedFraction(a, x);
  const prefix = Math.exp(gammaLogPrefix(a, x));
  return (1 - gammaSeries(a, x) * prefix) / prefix;
}

/** I_x(a, b) and 1 - I_x(a, b), each accurate in relative terms where it is small. */
export interface BetaTails {
  lower: number;
  upper: number;
}

/**
 * The regularized incomplete beta function I_x(a, b) for a, b > 0 and
 * 0 <= x <= 1, with its complement. `y` is 1 - x; pass it when it is known
 * more precisely than `1 - x` can be computed (x close to 1). `lnX` is ln x;
 * pass it when x underflows to 0 but x^a does not (the far tail of Student's t).
 */
export function regularizedBeta(a: number, b: number, x: number, y: number = 1 - x, lnX?: number): BetaTails {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(y >= 0)) return { lower: Number.NaN, upper: Number.NaN };
  const logX = lnX ?? (x <= 0.5 ? Math.log(x) : Math.log1p(-y));
  const logY = y <= 0.5 ? Math.log(y) : Math.log1p(-x);
  if (logX === Number.NEGATIVE_INFINITY) return { lower: 0, upper: 1 };
  if (y === 0) return { lower: 1, upper: 0 };
  if (x > (a + 1) / (a + b + 2)) {
    const swapped = betaSide(b, a, y, logY, logX);
    return { lower: 1 - swapped, upper: swapped };
  }
  const lower = betaSide(a, b, x, logX, logY);
  return { lower, upper: 1 - lower };
}

/**
 * I_x(a, b) on the side x < (a + 1) / (a + b + 2): the continued fraction,
 * except for a large, b small and x close to 1, where it needs O(√a) steps
 * and loses about √a·ε to rounding (3e-10 relative at a = 2e6), and the
 * asymptotic expansion takes over.
 */
function betaSide(a: number, b: number, x: number, lnX: number, lnY: number): number {
  if (a >= LARGE_A && b <= 1 && x >= 0.7) return betaLargeASmallB(a, b, lnX);
  return betaContinuedFractionSide(a, b, x, lnX, lnY);
}

/** Where the asymptotic expansion for large a replaces the continued fraction (its derivation assumes a >= 15). */
const LARGE_A = 15;
/** Terms of the asymptotic expansion; Didonato & Morris show 30 reach double precision for a >= 15. */
const EXPANSION_TERMS = 30;

/**
 * I_x(a, b) for a >= 15 and b <= 1 by the asymptotic expansion of Didonato
 * and Morris (ACM TOMS 18(3), 1992, algorithm 708, §9, their BGRAT, after
 * Temme): with ν = a + (b - 1)/2 and z = -ν ln x,
 *
 *   I_x(a, b) = Γ(a + b) / (Γ(a) ν^b) · e^-z z^b / Γ(b) · Σ_n d_n J_n,
 *
 * J_0 = Q(b, z) Γ(b) e^z / z^b, and J_n, d_n from their recurrences in
 * powers of 1/(2ν)² and (ln x / 2)². Everything is kept relative to
 * e^-z z^b / Γ(b), so a far tail that underflows on the way does not turn
 * into 0/0.
 */
function betaLargeASmallB(a: number, b: number, lnX: number): number {
  const nu = a + (b - 1) / 2;
  const z = -nu * lnX;
  const logFactor = -z + b * Math.log(z) - lnBeta(a, b) - b * Math.log(nu);
  const v = 0.25 / (nu * nu);
  const t2 = 0.25 * lnX * lnX;
  let j = scaledUpperGamma(b, z);
  let sum = j;
  let t = 1;
  let cn = 1;
  let n2 = 0;
  const c: number[] = [0];
  const d: number[] = [0];
  for (let n = 1; n <= EXPANSION_TERMS; n++) {
    const bp2n = b + n2;
    j = (bp2n * (bp2n + 1) * j + (z + bp2n + 1) * t) * v;
    n2 += 2;
    t *= t2;
    cn /= n2 * (n2 + 1);
    c[n] = cn;
    let s = 0;
    let coefficient = b - n;
    for (let i = 1; i < n; i++) {
      s += coefficient * c[i]! * d[n - i]!;
      coefficient += b;
    }
    d[n] = (b - 1) * cn + s / n;
    const term = d[n]! * j;
    sum += term;
    if (Math.abs(term) <= EPS * sum) break;
  }
  return Math.min(1, Math.exp(logFactor + Math.log(sum)));
}

/** I_x(a, b) through its continued fraction, for x on the side where it converges quickly. */
function betaContinuedFractionSide(a: number, b: number, x: number, lnX: number, lnY: number): number {
  const logPrefix = a * lnX + b * lnY - lnBeta(a, b) - Math.log(a);
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    let an = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + an * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    an = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + an * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.min(1, Math.exp(logPrefix) * h);
}
