import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './histogram.js';

/** The nearest-rank percentile of `values`, the definition the histogram follows. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

describe('LatencyHistogram', () => {
  it('reports nothing for an empty histogram', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toBeNull();
    expect(h.percentile(99)).toBe(0);
    expect(h.count).toBe(0);
  });

  it('is exact for small values and keeps count, min, max and mean exact', () => {
    const h = new LatencyHistogram({ resolutionMs: 1 });
    for (const v of [1, 2, 3, 4, 100]) h.record(v);
    expect(h.count).toBe(5);
    expect(h.min).toBe(1);
    expect(h.max).toBe(100);
    expect(h.mean).toBeCloseTo(22, 10);
    expect(h.percentile(50)).toBe(3);
    expect(h.percentile(80)).toBe(4);
    expect(h.percentile(100)).toBe(100);
  });

  it('computes the population standard deviation exactly', () => {
    const h = new LatencyHistogram();
    for (const v of [2, 4, 4, 4, 5, 5, 7, 9]) h.record(v);
    expect(h.stddev).toBeCloseTo(2, 9);
  });

  it('keeps every percentile within the relative error of its precision, never below the true value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 600_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(1, 50, 90, 95, 99, 99.9, 100),
        fc.constantFrom(4, 8, 11),
        (values, p, precisionBits) => {
          const h = new LatencyHistogram({ precisionBits });
          for (const v of values) h.record(v);
          const rounded = values.map((v) => Math.round(v * 1000) / 1000);
          const exact = exactPercentile(rounded, p);
          const estimate = h.percentile(p);
          const tolerance = exact * 2 ** -(precisionBits - 1) + 0.001;
          expect(estimate).toBeGreaterThanOrEqual(exact - 1e-9);
          expect(estimate).toBeLessThanOrEqual(exact + tolerance + 1e-9);
        },
      ),
    );
  });

  it('merges into the same distribution as recording everything in one', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 10_000, noNaN: true })), fc.array(fc.double({ min: 0, max: 10_000, noNaN: true })), (a, b) => {
        const left = new LatencyHistogram();
        const right = new LatencyHistogram();
        const all = new LatencyHistogram();
        for (const v of a) {
          left.record(v);
          all.record(v);
        }
        for (const v of b) {
          right.record(v);
          all.record(v);
        }
        left.merge(right);
        expect(left.count).toBe(all.count);
        for (const p of [50, 95, 99]) expect(left.percentile(p)).toBe(all.percentile(p));
        expect(left.mean).toBeCloseTo(all.mean, 6);
        expect(left.stddev).toBeCloseTo(all.stddev, 6);
        expect(left.max).toBe(all.max);
        expect(left.min).toBe(all.min);
      }),
    );
  });

  it('clamps negative values to 0 and huge ones to the largest recordable value', () => {
    const h = new LatencyHistogram();
    h.record(-5);
    h.record(1e12);
    expect(h.min).toBe(0);
    expect(h.max).toBeCloseTo(4_294_967.295, 3);
  });

  it('refuses histograms that cannot merge and invalid options', () => {
    expect(() => new LatencyHistogram().merge(new LatencyHistogram({ precisionBits: 6 }))).toThrow(RangeError);
    expect(() => new LatencyHistogram({ precisionBits: 1 })).toThrow(/precisionBits/);
    expect(() => new LatencyHistogram({ resolutionMs: 0 })).toThrow(/resolutionMs/);
  });
});
