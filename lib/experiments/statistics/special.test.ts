import { describe, expect, it } from 'vitest';
import { lnBeta, lnGamma, regularizedBeta, regularizedGamma } from './special.js';

/** |actual - expected| <= tolerance · |expected|. */
function expectRelative(actual: number, expected: number, tolerance = 1e-13) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

describe('lnGamma', () => {
  it('equals ln((n - 1)!) at the integers', () => {
    let factorial = 1;
    for (let n = 1; n <= 25; n++) {
      expectRelative(Math.exp(lnGamma(n)), factorial, 1e-13);
      factorial *= n;
    }
  });

  // In absolute terms: ln Γ is used as an exponent, where absolute error becomes relative error.
  it('equals ln √π at 1/2 and ln(√π / 2) at 3/2 to 4e-15', () => {
    expect(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI))).toBeLessThan(4e-15);
    expect(Math.abs(lnGamma(1.5) - (0.5 * Math.log(Math.PI) - Math.log(2)))).toBeLessThan(4e-15);
  });

  it('follows Γ(x + 1) = x Γ(x) across the switch to Stirling at 10', () => {
    for (const x of [1e-8, 0.1, 2.5, 9.25, 9.999, 10, 10.5, 123.4, 1e6]) {
      expect(lnGamma(x + 1) - lnGamma(x)).toBeCloseTo(Math.log(x), 12);
    }
  });

  it('is NaN for x <= 0', () => {
    expect(lnGamma(0)).toBeNaN();
    expect(lnGamma(-1)).toBeNaN();
  });
});

describe('lnBeta', () => {
  it('is symmetric and equals -ln b at a = 1', () => {
    for (const b of [0.5, 3, 17, 2e6]) {
      expectRelative(lnBeta(1, b), -Math.log(b), 1e-13);
      expect(lnBeta(b, 0.5)).toBe(lnBeta(0.5, b));
    }
  });

  it('keeps its precision for large arguments, where ln Γ differences cancel', () => {
    // B(a, 1/2) = √π Γ(a)/Γ(a + 1/2) = √(π/a) (1 + 1/(8a) + 1/(128a²) + …) for large a.
    const a = 2e6;
    expectRelative(lnBeta(a, 0.5), 0.5 * Math.log(Math.PI / a) + Math.log1p(1 / (8 * a) + 1 / (128 * a * a)), 1e-14);
    // B(a, a) = 2^(1 - 2a) √π Γ(a)/Γ(a + 1/2) (Legendre duplication), the same ratio again.
    expectRelative(lnBeta(1e6, 1e6), (1 - 2e6) * Math.LN2 + 0.5 * Math.log(Math.PI / 1e6) + Math.log1p(1 / 8e6 + 1 / 1.28e14), 1e-15);
  });
});

describe('regularizedGamma', () => {
  it('is the exponential distribution at a = 1: P = 1 - e^-x', () => {
    for (const x of [1e-6, 0.3, 1, 5, 50, 700]) {
      const { lower, upper } = regularizedGamma(1, x);
      expectRelative(upper, Math.exp(-x), 1e-13);
      expectRelative(lower, -Math.expm1(-x), 1e-13);
    }
  });

  it('is erf at a = 1/2: P(1/2, x²) = erf(x), so Q(1/2, 4) = erfc(2)', () => {
    expectRelative(regularizedGamma(0.5, 4).upper, 0.004677734981047266, 1e-13);
  });

  it('handles the ends and rejects what is not defined', () => {
    expect(regularizedGamma(2, 0)).toEqual({ lower: 0, upper: 1 });
    expect(regularizedGamma(2, Number.POSITIVE_INFINITY)).toEqual({ lower: 1, upper: 0 });
    expect(regularizedGamma(0, 1).lower).toBeNaN();
    expect(regularizedGamma(1, -1).upper).toBeNaN();
  });
});

describe('regularizedBeta', () => {
  it('has the closed forms I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b', () => {
    for (const x of [0.01, 0.3, 0.7, 0.999]) {
      for (const p of [0.5, 2, 15, 40, 1000]) {
        expectRelative(regularizedBeta(p, 1, x).lower, Math.pow(x, p), 1e-12);
        expectRelative(regularizedBeta(1, p, x).upper, Math.pow(1 - x, p), 1e-12);
      }
    }
  });

  it('is uniform at a = b = 1 and symmetric: I_x(a, b) = 1 - I_{1-x}(b, a)', () => {
    expect(regularizedBeta(1, 1, 0.25).lower).toBeCloseTo(0.25, 15);
    for (const [a, b, x] of [[2, 3, 0.4], [0.5, 40, 0.01], [200, 0.5, 0.995]] as const) {
      expectRelative(regularizedBeta(a, b, x).lower, regularizedBeta(b, a, 1 - x).upper, 1e-12);
    }
  });

  it('takes ln x when x itself underflows but x^a does not', () => {
    // I_x(1/2, 1) = √x; x = e^-800 is not a double, √x = e^-400 is.
    expectRelative(regularizedBeta(0.5, 1, 0, 1, -800).lower, Math.exp(-400), 1e-12);
  });

  it('returns the ends exactly and NaN outside the domain', () => {
    expect(regularizedBeta(2, 3, 0)).toEqual({ lower: 0, upper: 1 });
    expect(regularizedBeta(2, 3, 1)).toEqual({ lower: 1, upper: 0 });
    expect(regularizedBeta(2, 3, 1.5).lower).toBeNaN();
    expect(regularizedBeta(-2, 3, 0.5).lower).toBeNaN();
  });
});
