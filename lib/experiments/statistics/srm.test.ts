import { describe, expect, it } from 'vitest';
import { sampleRatioMismatch } from './srm.js';

describe('sample-ratio mismatch', () => {
  it.each([
    // observed, weights, χ², p (χ²_1 survival: 4 → 0.0455, 100 → 1.52e-23), flagged at p < 0.001
    [[5100, 4900], [50, 50], 4, 0.04550026389635857, false],
    [[5500, 4500], [50, 50], 100, 1.5239706048320995e-23, true],
    [[250, 750], [1, 3], 0, 1, false],
    [[5000, 5000], [0.5, 0.5], 0, 1, false],
  ])('tests %j against weights %j: χ² = %s, p = %s', (observed, weights, chiSquare, pValue, mismatch) => {
    const result = sampleRatioMismatch(observed, weights);
    expect(result.chiSquare).toBeCloseTo(chiSquare, 12);
    expect(result.pValue).toBeCloseTo(pValue, 14);
    if (pValue < 1e-10) expect(result.pValue / pValue).toBeCloseTo(1, 10);
    expect(result.mismatch).toBe(mismatch);
    expect(result.degreesOfFreedom).toBe(1);
  });

  it('does not care how the weights are scaled', () => {
    const a = sampleRatioMismatch([330, 340, 330], [1, 1, 1]);
    const b = sampleRatioMismatch([330, 340, 330], [33.3, 33.3, 33.3]);
    expect(a.pValue).toBeCloseTo(b.pValue, 14);
    expect(a.expected).toEqual([1000 / 3, 1000 / 3, 1000 / 3]);
    expect(a.degreesOfFreedom).toBe(2);
  });

  it('flags a 1% excess of one variant over 200,000 subjects (χ² = 20), not over 2,000 (χ² = 0.2)', () => {
    expect(sampleRatioMismatch([101_000, 99_000], [1, 1]).mismatch).toBe(true);
    expect(sampleRatioMismatch([1010, 990], [1, 1]).mismatch).toBe(false);
  });

  it('has a configurable threshold', () => {
    const result = sampleRatioMismatch([5100, 4900], [1, 1], { threshold: 0.05 });
    expect(result).toMatchObject({ mismatch: true, threshold: 0.05 });
  });

  it('finds no mismatch before the first observation', () => {
    expect(sampleRatioMismatch([0, 0], [1, 1])).toMatchObject({ chiSquare: 0, pValue: 1, mismatch: false });
  });

  it.each([
    [[10], [1], 'observed'],
    [[10, 10], [1], 'weights'],
    [[10, -1], [1, 1], 'observed[1]'],
    [[10, 2.5], [1, 1], 'observed[1]'],
    [[10, 10], [1, 0], 'weights[1]'],
  ])('rejects %j with weights %j, naming %s', (observed, weights, argument) => {
    expect(() => sampleRatioMismatch(observed, weights)).toThrow(new RegExp(`^${argument.replace(/[[\]]/g, '\\$&')} must be`));
  });

  it('names a bad threshold', () => {
    expect(() => sampleRatioMismatch([1, 1], [1, 1], { threshold: 0 })).toThrow(/^options\.threshold/);
  });
});
