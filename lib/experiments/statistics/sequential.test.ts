import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../loadgen/index.js';
import { twoProportionZTest, welchTTest } from './fixed-horizon.js';
import { normalQuantile } from './normal.js';
import { DEFAULT_PLANNED_SAMPLE_SIZE, mixingVarianceFor, sequentialMeans, sequentialProportions } from './sequential.js';

describe('mixture SPRT', () => {
  it("matches Johari et al.'s closed form for equal groups (100/1000 vs 130/1000)", () => {
    const result = sequentialProportions({ n: 1000, successes: 100 }, { n: 1000, successes: 130 });
    // Λ = √(V/(V + nτ²)) · exp(n²τ²d² / (2V(V + nτ²))), V = p_C(1 - p_C) + p_T(1 - p_T), τ² = φ²V.
    const n = 1000;
    const V = 0.1 * 0.9 + 0.13 * 0.87;
    const tau2 = mixingVarianceFor(DEFAULT_PLANNED_SAMPLE_SIZE) * V;
    const d = 0.03;
    const lambda = Math.sqrt(V / (V + n * tau2)) * Math.exp((n * n * tau2 * d * d) / (2 * V * (V + n * tau2)));
    expect(result.pValue).toBeCloseTo(1 / lambda, 12);
    expect(result.logLikelihoodRatio).toBeCloseTo(Math.log(lambda), 12);
    expect(result.effectiveSampleSize).toBeCloseTo(1000, 9);
    // The fixed-horizon test calls this significant (p ≈ 0.035); the always-valid one does not, yet.
    expect(twoProportionZTest({ n: 1000, successes: 100 }, { n: 1000, successes: 130 }).pValue).toBeLessThan(0.05);
    expect(result.significant).toBe(false);
  });

  it('has the default mixing variance (2 ln(1/α) + ln(1 + 2 ln(1/α))) / 5000 ≈ 0.00159', () => {
    const l = 2 * Math.log(20);
    expect(mixingVarianceFor(5000)).toBeCloseTo((l + Math.log(1 + l)) / 5000, 15);
    expect(mixingVarianceFor(5000)).toBeCloseTo(0.0015872, 6);
    expect(sequentialMeans({ n: 3, sum: 6, sumOfSquares: 14 }, { n: 3, sum: 6, sumOfSquares: 14 }).mixingVariance).toBe(mixingVarianceFor(5000));
    expect(sequentialMeans({ n: 3, sum: 6, sumOfSquares: 14 }, { n: 3, sum: 6, sumOfSquares: 14 }, { alpha: 0.01 }).mixingVariance).toBe(mixingVarianceFor(5000, 0.01));
  });

  it('is about 1.55 times as wide as the fixed-horizon interval at the planned sample size, and always wider', () => {
    const at = (n: number) => {
      const control = { n, successes: Math.round(0.3 * n) };
      const treatment = { n, successes: Math.round(0.3 * n) };
      const sequential = sequentialProportions(control, treatment);
      return (sequential.interval!.upper - sequential.difference!) / (normalQuantile(0.975) * sequential.standardError!);
    };
    expect(at(5000)).toBeCloseTo(1.5485, 3);
    for (const n of [10, 100, 1000, 50_000, 1_000_000]) expect(at(n)).toBeGreaterThan(at(5000));
  });

  it('rejects exactly when the confidence sequence excludes 0', () => {
    const random = seededRandom(7);
    let significant = 0;
    for (let i = 0; i < 500; i++) {
      const n = 50 + Math.floor(random() * 20_000);
      const p = 0.05 + 0.9 * random();
      const control = { n, successes: Math.round(n * p) };
      const treatment = { n, successes: Math.min(n, Math.round(n * (p + (random() - 0.5) * 0.1))) };
      const result = sequentialProportions(control, treatment);
      if (result.undefinedReason) continue;
      const excludesZero = result.interval!.lower > 0 || result.interval!.upper < 0;
      expect(result.significant).toBe(excludesZero);
      if (result.significant) significant++;
    }
    expect(significant).toBeGreaterThan(50);
    expect(significant).toBeLessThan(450);
  });

  it('gives p = 1 when there is no difference at all: Λ < 1', () => {
    const result = sequentialMeans({ n: 100, sum: 500, sumOfSquares: 2600 }, { n: 100, sum: 500, sumOfSquares: 2600 });
    expect(result.logLikelihoodRatio).toBeLessThan(0);
    expect(result.pValue).toBe(1);
  });

  it('keeps the false-positive rate at alpha when an A/A test is checked at every one of 20 looks', () => {
    // 400 A/A experiments on a 10% success rate, 100 runs per variant between looks.
    const random = seededRandom(2024);
    let naive = 0;
    let sequential = 0;
    for (let e = 0; e < 400; e++) {
      const control = { n: 0, successes: 0 };
      const treatment = { n: 0, successes: 0 };
      let naiveHit = false;
      let sequentialHit = false;
      for (let look = 0; look < 20; look++) {
        for (let i = 0; i < 100; i++) {
          control.successes += random() < 0.1 ? 1 : 0;
          treatment.successes += random() < 0.1 ? 1 : 0;
        }
        control.n += 100;
        treatment.n += 100;
        naiveHit ||= twoProportionZTest(control, treatment).pValue < 0.05;
        sequentialHit ||= sequentialProportions(control, treatment).significant;
      }
      if (naiveHit) naive++;
      if (sequentialHit) sequential++;
    }
    expect(sequential / 400).toBeLessThanOrEqual(0.05);
    expect(naive / 400).toBeGreaterThan(0.12);
  });

  it('finds a real difference once there is enough data (10% vs 12% at 20,000 per variant)', () => {
    const result = sequentialProportions({ n: 20_000, successes: 2000 }, { n: 20_000, successes: 2400 });
    expect(result.significant).toBe(true);
    expect(result.interval!.lower).toBeGreaterThan(0);
    expect(result.interval!.lower).toBeLessThan(0.02);
    expect(result.interval!.upper).toBeGreaterThan(0.02);
  });

  it('works on means with unequal group sizes through the effective sample size', () => {
    const control = { n: 400, sum: 400 * 1000, sumOfSquares: 399 * 300 ** 2 + 400 * 1000 ** 2 };
    const treatment = { n: 1600, sum: 1600 * 950, sumOfSquares: 1599 * 300 ** 2 + 1600 * 950 ** 2 };
    const result = sequentialMeans(control, treatment);
    // Equal variances: V/s² = 2 / (1/400 + 1/1600) = 640, the harmonic-mean size.
    expect(result.effectiveSampleSize).toBeCloseTo(640, 9);
    expect(result.difference).toBeCloseTo(-50, 9);
    const fixed = welchTTest(control, treatment);
    expect(result.standardError).toBeCloseTo(fixed.standardError!, 12);
  });

  it.each([
    ['an empty variant', { n: 0, sum: 0, sumOfSquares: 0 }, { n: 5, sum: 5, sumOfSquares: 7 }, 'empty variant'],
    ['a single observation', { n: 1, sum: 2, sumOfSquares: 4 }, { n: 5, sum: 5, sumOfSquares: 7 }, 'too few observations'],
    ['no spread', { n: 4, sum: 8, sumOfSquares: 16 }, { n: 4, sum: 12, sumOfSquares: 36 }, 'zero variance'],
  ])('claims nothing for %s', (_label, control, treatment, reason) => {
    expect(sequentialMeans(control, treatment)).toMatchObject({ pValue: 1, interval: null, significant: false, undefinedReason: reason });
  });

  it('claims nothing when both success rates are 0% or 100%', () => {
    expect(sequentialProportions({ n: 50, successes: 50 }, { n: 60, successes: 0 })).toMatchObject({ pValue: 1, significant: false, undefinedReason: 'zero variance' });
  });

  it('names the option or argument at fault', () => {
    const ok = { n: 10, successes: 5 };
    expect(() => sequentialProportions(ok, ok, { mixingVariance: 0 })).toThrow(/^options\.mixingVariance must be a finite number > 0; got 0$/);
    expect(() => sequentialProportions(ok, ok, { alpha: 2 })).toThrow(/^options\.alpha/);
    expect(() => sequentialProportions(ok, { n: -1, successes: 0 })).toThrow(/^treatment\.n/);
    expect(() => mixingVarianceFor(0)).toThrow(/^plannedSampleSizePerVariant/);
  });
});
