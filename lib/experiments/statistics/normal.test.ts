import { describe, expect, it } from 'vitest';
import { normalCdf, normalPdf, normalQuantile, normalSf } from './normal.js';

const expectRelative = (actual: number, expected: number, tolerance = 1e-13) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));

describe('normal distribution', () => {
  it.each([
    // x, Φ(x): Abramowitz & Stegun table 26.1 to the digits shown there, here to double precision.
    [0, 0.5],
    [1.96, 0.9750021048517795],
    [-1, 0.15865525393145707],
    [-3, 0.0013498980316300933],
    [-10, 7.61985302416047e-24],
  ])('has Φ(%s) = %s', (x, p) => {
    expectRelative(normalCdf(x), p);
    expectRelative(normalSf(-x), p);
  });

  it('keeps relative accuracy far in the tail, where 1 - Φ would round to 0', () => {
    // Mills ratio: 1 - Φ(x) = φ(x)/x · (1 - 1/x² + 3/x⁴ - 15/x⁶ + …).
    const x = 30;
    const series = (normalPdf(x) / x) * (1 - 1 / x ** 2 + 3 / x ** 4 - 15 / x ** 6 + 105 / x ** 8);
    expectRelative(normalSf(x), series, 1e-11);
    expect(1 - normalCdf(x)).toBe(0);
  });

  it.each([
    [0.975, 1.959963984540054],
    [0.995, 2.5758293035489004],
    [0.5, 0],
    [1e-10, -6.361340902404056],
  ])('has the quantile Φ⁻¹(%s) = %s', (p, x) => {
    if (x === 0) expect(normalQuantile(p)).toBe(0);
    else expectRelative(normalQuantile(p), x, 1e-14);
  });

  it('inverts the CDF on both tails, down to 1e-300', () => {
    for (const p of [1e-300, 1e-100, 1e-20, 1e-5, 0.02425, 0.1, 0.3, 0.49]) {
      expectRelative(normalCdf(normalQuantile(p)), p, 1e-12);
      if (p > 1e-15) expectRelative(normalQuantile(1 - p), -normalQuantile(1 - (1 - p)), 1e-14);
    }
  });

  it('maps 0 and 1 to the infinities and anything outside [0, 1] to NaN', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(-0.1)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
    expect(normalCdf(Number.NaN)).toBeNaN();
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
  });
});
