import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from './normal.js';
import { studentTCdf, studentTPdf, studentTQuantile, studentTSf } from './student-t.js';

const expectRelative = (actual: number, expected: number, tolerance = 1e-13) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));

describe("Student's t distribution", () => {
  it('is the Cauchy distribution at ν = 1: F(t) = 1/2 + atan(t)/π', () => {
    for (const t of [-1e10, -50, -3, -0.2, 0, 0.7, 12.7]) {
      const exact = t < 0 ? Math.atan(-1 / t) / Math.PI : 0.5 + Math.atan(t) / Math.PI; // atan(-1/t)/π = 1/2 + atan(t)/π for t < 0, without cancellation
      expectRelative(studentTCdf(t, 1), exact, 1e-13);
    }
  });

  it('has the closed form F(t) = 1/2 + t / (2√(2 + t²)) at ν = 2', () => {
    for (const t of [-3, -1, 0.5, 4]) expectRelative(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13);
  });

  it.each([
    // p, ν, t_p: closed forms for ν = 1 (tan(π(p - 1/2))) and ν = 2 ((2p - 1)/√(2p(1 - p))).
    [0.975, 1, Math.tan(Math.PI * 0.475)],
    [0.975, 2, 0.95 / Math.sqrt(2 * 0.975 * 0.025)],
    [0.995, 2, 0.99 / Math.sqrt(2 * 0.995 * 0.005)],
    [0.025, 1, -Math.tan(Math.PI * 0.475)],
  ])('has the quantile t(%s, ν = %s) = %s exactly as its closed form', (p, nu, t) => {
    expectRelative(studentTQuantile(p, nu), t, 1e-13);
  });

  it.each([
    // The t table's critical values, to the six decimals tables print.
    [0.975, 10, 2.228139],
    [0.975, 30, 2.042272],
    [0.995, 5, 4.032143],
    [0.95, 120, 1.657651],
  ])('has the table value t(%s, ν = %s) = %s', (p, nu, t) => {
    expect(studentTQuantile(p, nu)).toBeCloseTo(t, 6);
  });

  it('inverts the CDF for fractional and huge degrees of freedom and tiny tails', () => {
    for (const nu of [0.5, 1, 2.7, 24.99, 1e3, 1e6, 1e9]) {
      for (const p of [1e-12, 0.001, 0.025, 0.3]) {
        const t = studentTQuantile(p, nu);
        expect(t).toBeLessThan(0);
        expectRelative(studentTCdf(t, nu), p, 1e-11);
        // 1 - p is not exactly representable: compare with the quantile of the tail it does represent.
        expectRelative(studentTQuantile(1 - p, nu), -studentTQuantile(1 - (1 - p), nu), 1e-12);
      }
    }
  });

  it('reaches the Cauchy quantile of 1e-300 without overflowing t²', () => {
    expectRelative(studentTQuantile(1e-300, 1), -1 / (Math.PI * 1e-300), 1e-12);
    expectRelative(studentTCdf(-1e200, 1), 1 / (Math.PI * 1e200), 1e-12);
  });

  it('approaches the normal distribution as ν grows, and is it at ν = ∞', () => {
    expect(studentTCdf(-2, Number.POSITIVE_INFINITY)).toBe(normalCdf(-2));
    expect(studentTQuantile(0.975, Number.POSITIVE_INFINITY)).toBe(normalQuantile(0.975));
    // First-order correction (Fisher 1925): F(t) ≈ Φ(t) - φ(t)(t³ + t)/(4ν).
    const nu = 1e7;
    const t = -2;
    const phi = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    expectRelative(studentTCdf(t, nu), normalCdf(t) - (phi * (t ** 3 + t)) / (4 * nu), 1e-12);
  });

  it('computes the upper tail directly, so small p-values survive', () => {
    const sf = studentTSf(40, 10);
    expect(sf).toBeGreaterThan(1e-13);
    expect(sf).toBeLessThan(1e-11);
    expect(studentTSf(40, 10)).toBe(studentTCdf(-40, 10));
  });

  it('has a density that integrates its CDF: F(b) - F(a) ≈ Σ f Δt', () => {
    let integral = 0;
    const steps = 20_000;
    for (let i = 0; i < steps; i++) integral += studentTPdf(-1 + (2 * (i + 0.5)) / steps, 3.5) * (2 / steps);
    expect(integral).toBeCloseTo(studentTCdf(1, 3.5) - studentTCdf(-1, 3.5), 8);
  });

  it('returns NaN for ν <= 0 and p outside [0, 1], the infinities at 0 and 1', () => {
    expect(studentTCdf(1, 0)).toBeNaN();
    expect(studentTQuantile(0.5, -1)).toBeNaN();
    expect(studentTQuantile(1.2, 3)).toBeNaN();
    expect(studentTQuantile(0, 3)).toBe(Number.NEGATIVE_INFINITY);
    expect(studentTQuantile(1, 3)).toBe(Number.POSITIVE_INFINITY);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });
});
