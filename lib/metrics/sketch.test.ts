import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors.js';
import { Sketch } from './sketch.js';
import { normal, seededRandom } from './test-support.js';

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** The value the sketch's guarantee refers to: the one at rank ⌊q·(n−1)⌋. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function sketchOf(values: readonly number[], options = {}): Sketch {
  const sketch = new Sketch(options);
  for (const v of values) sketch.add(v);
  return sketch;
}

function expectWithinRelativeError(values: number[], alpha: number, quantiles = QUANTILES): void {
  const sketch = sketchOf(values, { relativeAccuracy: alpha });
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of quantiles) {
    const exact = exactQuantile(sorted, q);
    const estimate = sketch.quantile(q);
    // A hair of slack for floating-point rounding of log() at bucket edges.
    expect(Math.abs(estimate - exact), `q=${q} exact=${exact} estimate=${estimate}`).toBeLessThanOrEqual(
      alpha * Math.abs(exact) * (1 + 1e-9),
    );
  }
}

const N = 100_000;
const distributions: Record<string, (random: () => number) => number> = {
  'uniform latencies (0 to 2 s)': (r) => 2 * r(),
  'exponential latencies (mean 50 ms)': (r) => -0.05 * Math.log(1 - r()),
  'log-normal latencies (median 30 ms)': (r) => 0.03 * Math.exp(normal(r)),
  'Pareto tail (alpha 1.2)': (r) => 0.001 / Math.pow(1 - r(), 1 / 1.2),
  'normal values of both signs with zeros': (r) => (r() < 0.05 ? 0 : 10 * normal(r)),
};

describe('Sketch quantile accuracy', () => {
  for (const [name, draw] of Object.entries(distributions)) {
    it(`keeps every quantile within 1% for ${name}`, () => {
      const random = seededRandom(name.length * 7919);
      const values = Array.from({ length: N }, () => draw(random));
      expectWithinRelativeError(values, 0.01);
    });
  }

  it('honours a coarser stated accuracy (5%) with fewer buckets', () => {
    const random = seededRandom(42);
    const values = Array.from({ length: N }, () => 0.03 * Math.exp(2 * normal(random)));
    expectWithinRelativeError(values, 0.05);
    expect(sketchOf(values, { relativeAccuracy: 0.05 }).bucketCount).toBeLessThan(
      sketchOf(values, { relativeAccuracy: 0.01 }).bucketCount / 4,
    );
  });

  it('returns the exact minimum and maximum at q = 0 and q = 1', () => {
    const sketch = sketchOf([0.0123, 4.56, 0.789]);
    expect(sketch.quantile(0)).toBe(0.0123);
    expect(sketch.quantile(1)).toBe(4.56);
    expect([sketch.min, sketch.max, sketch.count]).toEqual([0.0123, 4.56, 3]);
  });

  it('answers NaN when empty or asked for a quantile outside [0, 1]', () => {
    expect(new Sketch().quantile(0.5)).toBeNaN();
    expect(sketchOf([1]).quantile(1.5)).toBeNaN();
    expect(sketchOf([1]).quantile(NaN)).toBeNaN();
  });

  it('ignores NaN and infinite values', () => {
    const sketch = sketchOf([1, NaN, Infinity, -Infinity]);
    expect(sketch.count).toBe(1);
  });
});

describe('Sketch memory bound', () => {
  it('collapses the lowest buckets past maxBuckets and keeps high quantiles accurate', () => {
    const random = seededRandom(7);
    // Log-uniform over 12 orders of magnitude needs ~1400 buckets at 1%; allow 128.
    const values = Array.from({ length: N }, () => Math.pow(10, -6 + 12 * random()));
    const sketch = sketchOf(values, { maxBuckets: 128 });
    expect(sketch.bucketCount).toBeLessThanOrEqual(128);
    expect(sketch.capacity).toBeLessThanOrEqual(128);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.95, 0.99, 1]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(sketch.quantile(q) - exact)).toBeLessThanOrEqual(0.01 * exact * (1 + 1e-9));
    }
    // The median fell into the collapsed bucket: the price of the bound.
    expect(sketch.quantile(0.5)).toBeGreaterThan(exactQuantile(sorted, 0.5) * 1.01);
  });

  it('spans at most maxBuckets per sign over the whole double range', () => {
    const sketch = new Sketch({ maxBuckets: 64 });
    for (let e = -300; e <= 300; e++) {
      sketch.add(10 ** e);
      sketch.add(-(10 ** e));
    }
    expect(sketch.bucketCount).toBeLessThanOrEqual(128);
    expect(sketch.capacity).toBeLessThanOrEqual(128);
    expect(sketch.quantile(1)).toBe(1e300);
  });
});

describe('Sketch merge', () => {
  const values = fc.array(
    fc.oneof(
      fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
      fc.double({ min: -1e6, max: -1e-6, noNaN: true }),
      fc.constant(0),
    ),
    { maxLength: 300 },
  );

  it('equals the sketch of the union of both inputs', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const merged = sketchOf(a).merge(sketchOf(b));
        expect(merged.toState()).toEqual(sketchOf([...a, ...b]).toState());
      }),
    );
  });

  it('gives the same quantiles as the union on a large latency sample', () => {
    const random = seededRandom(99);
    const a = Array.from({ length: N }, () => 0.02 * Math.exp(normal(random)));
    const b = Array.from({ length: N }, () => 0.2 * Math.exp(normal(random)));
    const merged = sketchOf(a).merge(sketchOf(b));
    const union = sketchOf([...a, ...b]);
    for (const q of QUANTILES) expect(merged.quantile(q)).toBe(union.quantile(q));
    expectWithinRelativeError([...a, ...b], 0.01);
  });

  it('refuses to merge sketches of different accuracy', () => {
    expect(() => sketchOf([1], { relativeAccuracy: 0.01 }).merge(sketchOf([1], { relativeAccuracy: 0.02 }))).toThrow(
      MetricsError,
    );
  });
});

describe('Sketch state', () => {
  it('survives a JSON round trip unchanged', () => {
    const random = seededRandom(3);
    const sketch = sketchOf(Array.from({ length: 10_000 }, () => normal(random)));
    const restored = Sketch.fromState(JSON.parse(JSON.stringify(sketch.toState())));
    expect(restored.toState()).toEqual(sketch.toState());
    expect(restored.quantile(0.99)).toBe(sketch.quantile(0.99));
  });

  it('stores an empty sketch as finite zeros', () => {
    expect(new Sketch().toState()).toEqual({ count: 0, min: 0, max: 0, zero: 0 });
  });

  it('rejects accuracies outside (0, 1) and caps below 2', () => {
    expect(() => new Sketch({ relativeAccuracy: 0 })).toThrow(/relativeAccuracy/);
    expect(() => new Sketch({ relativeAccuracy: 1 })).toThrow(/relativeAccuracy/);
    expect(() => new Sketch({ maxBuckets: 1 })).toThrow(/maxBuckets/);
  });
});
