import { describe, expect, it } from 'vitest';
import { experimentResults, type VariantSums } from './results.js';

/** Sums of n runs with `successes` successes, every latency `latency` ms ± `spread`, every cost `cost`. */
function sums(name: string, n: number, successes: number, latency = 1000, spread = 100, cost = 0.001): VariantSums {
  // Half the runs at latency - spread, half at latency + spread: mean `latency`, sample variance ≈ spread².
  const lo = latency - spread;
  const hi = latency + spread;
  return {
    name,
    weight: 1,
    runs: n,
    successes,
    costUsd: n * cost,
    costUsdSq: n * cost * cost,
    latencyMsSum: (n / 2) * (lo + hi),
    latencyMsSq: (n / 2) * (lo * lo + hi * hi),
    confidenceN: n,
    confidenceSum: n * 0.8,
  };
}

const experiment = { control: 'control', primaryMetric: 'success_rate' as const, guardrailMetrics: ['mean_latency' as const, 'mean_cost' as const] };

describe('experimentResults', () => {
  it('reads the documented example: 400/4,000 against 492/4,000 is treatment better, on the sequential test', () => {
    const r = experimentResults(experiment, [sums('control', 4000, 400), sums('treatment', 4000, 492)]);
    expect(r.variants.map((v) => v.successRate.rate)).toEqual([0.1, 0.123]);
    const [c] = r.comparisons;
    expect(c!.primary.fixedHorizon.pValue).toBeCloseTo(0.0011, 4);
    expect(c!.primary.sequential.pValue).toBeCloseTo(0.027, 3);
    expect(c!.primary.sequential.interval!.lower).toBeCloseTo(0.0016, 4);
    expect(r.sampleRatio!.mismatch).toBe(false);
    expect(c!.verdict.verdict).toBe('treatment better');
  });

  it('says no detectable difference yet where only the fixed-horizon test would claim one', () => {
    // p ≈ 0.03 at a single look: the always-valid p is far above 0.05.
    const r = experimentResults(experiment, [sums('control', 2000, 200), sums('treatment', 2000, 240)]);
    const [c] = r.comparisons;
    expect(c!.primary.fixedHorizon.pValue).toBeLessThan(0.05);
    expect(c!.primary.sequential.pValue).toBeGreaterThan(0.05);
    expect(c!.verdict.verdict).toBe('no detectable difference yet');
  });

  it('flags a split that does not match the weights as a sample ratio mismatch, whatever the metric says', () => {
    const r = experimentResults(experiment, [sums('control', 5000, 500), sums('treatment', 4000, 800)]);
    expect(r.sampleRatio!.mismatch).toBe(true);
    expect(r.comparisons[0]!.verdict.verdict).toBe('sample ratio mismatch');
  });

  it('calls a slower treatment worse on a latency primary, since lower is better', () => {
    const r = experimentResults({ ...experiment, primaryMetric: 'mean_latency' }, [sums('control', 5000, 500, 1000), sums('treatment', 5000, 500, 1100)]);
    expect(r.comparisons[0]!.primary.better).toBe('lower');
    expect(r.comparisons[0]!.verdict.verdict).toBe('treatment worse');
    expect(r.variants[1]!.meanLatencyMs.mean).toBe(1100);
  });

  it('compares every guardrail except the primary, and answers empty variants without claiming anything', () => {
    const r = experimentResults({ ...experiment, guardrailMetrics: ['success_rate', 'mean_confidence'] }, [
      sums('control', 0, 0),
      sums('b', 0, 0),
      sums('c', 0, 0),
    ]);
    expect(r.comparisons.map((c) => c.variant)).toEqual(['b', 'c']);
    expect(r.comparisons[0]!.guardrails.map((g) => g.metric)).toEqual(['mean_confidence']);
    expect(r.comparisons.every((c) => c.verdict.verdict === 'no detectable difference yet')).toBe(true);
    expect(r.variants[0]!.share).toBeNull();
    expect(r.sampleRatio!.pValue).toBe(1);
  });

  it('bounds the confidence variance by what values in [0, 1] allow, so its interval is never too narrow', () => {
    const r = experimentResults(experiment, [sums('control', 100, 50), sums('treatment', 100, 50)]);
    // Mean 0.8 in [0, 1]: the largest variance is 0.8·0.2 = 0.16 (times n/(n-1)).
    expect(r.variants[0]!.meanConfidence.standardDeviation).toBeCloseTo(Math.sqrt((0.16 * 100) / 99), 9);
  });
});
