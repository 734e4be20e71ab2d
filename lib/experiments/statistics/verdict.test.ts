import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from './fixed-horizon.js';
import { sequentialMeans, sequentialProportions } from './sequential.js';
import { sampleRatioMismatch } from './srm.js';
import { verdict } from './verdict.js';

const rates = (control: number, treatment: number, n = 20_000) =>
  sequentialProportions({ n, successes: Math.round(control * n) }, { n, successes: Math.round(treatment * n) });
const latencies = (controlMs: number, treatmentMs: number, n = 20_000, sdMs = 300) =>
  sequentialMeans(
    { n, sum: n * controlMs, sumOfSquares: (n - 1) * sdMs ** 2 + n * controlMs ** 2 },
    { n, sum: n * treatmentMs, sumOfSquares: (n - 1) * sdMs ** 2 + n * treatmentMs ** 2 },
  );
const balanced = sampleRatioMismatch([20_000, 20_000], [1, 1]);

describe('verdict', () => {
  it.each([
    ['success rate up, higher is better', rates(0.1, 0.12), 'higher', 'treatment better'],
    ['success rate down, higher is better', rates(0.12, 0.1), 'higher', 'treatment worse'],
    ['latency down, lower is better', latencies(1000, 980), 'lower', 'treatment better'],
    ['latency up, lower is better', latencies(980, 1000), 'lower', 'treatment worse'],
    ['a difference too small to see', rates(0.1, 0.101), 'higher', 'no detectable difference yet'],
    ['no difference', latencies(1000, 1000), 'lower', 'no detectable difference yet'],
  ] as const)('reads %s as %s', (_label, comparison, better, expected) => {
    const result = verdict({ comparison, better, sampleRatio: balanced });
    expect(result.verdict).toBe(expected);
    expect(result.reason.length).toBeGreaterThan(20);
  });

  it('puts a sample ratio mismatch before any metric, however clear', () => {
    const broken = sampleRatioMismatch([21_000, 19_000], [1, 1]);
    const result = verdict({ comparison: rates(0.1, 0.2), better: 'higher', sampleRatio: broken });
    expect(result.verdict).toBe('sample ratio mismatch');
    expect(result.reason).toMatch(/does not match the weights/);
  });

  it('does not claim what only the fixed-horizon test would: p < 0.05 once is not enough', () => {
    const control = { n: 1000, successes: 100 };
    const treatment = { n: 1000, successes: 130 };
    expect(twoProportionZTest(control, treatment).pValue).toBeLessThan(0.05);
    const result = verdict({ comparison: sequentialProportions(control, treatment), better: 'higher', sampleRatio: sampleRatioMismatch([1000, 1000], [1, 1]) });
    expect(result.verdict).toBe('no detectable difference yet');
    expect(result.reason).toMatch(/still contains 0/);
  });

  it('says why when the comparison cannot be computed yet', () => {
    const empty = sequentialProportions({ n: 0, successes: 0 }, { n: 10, successes: 2 });
    expect(verdict({ comparison: empty, better: 'higher' })).toEqual({
      verdict: 'no detectable difference yet',
      reason: 'The comparison cannot be computed yet (empty variant).',
    });
  });

  it('states the numbers it rests on', () => {
    const result = verdict({ comparison: rates(0.1, 0.12), better: 'higher', sampleRatio: null });
    expect(result.reason).toMatch(/^The treatment is higher than control by 0\.02 \(95% always-valid interval 0\.01\d* to 0\.02\d*, always-valid p = [\d.e-]+\), and higher is better for this metric\.$/);
  });

  it('names a direction that is neither higher nor lower', () => {
    expect(() => verdict({ comparison: rates(0.1, 0.12), better: 'up' as never })).toThrow(/^better must be "higher" or "lower"; got "up"$/);
  });
});
