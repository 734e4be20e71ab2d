/**
 * The plain-language verdict on an experiment's primary metric, decided by
 * the always-valid (sequential) comparison only, so that it may be read at
 * every refresh of a dashboard without inflating the false-positive rate.
 *
 * In order:
 * 1. `sample ratio mismatch` when the SRM test flags the split: the
 *    assignment is broken, and no metric difference means anything.
 * 2. `no detectable difference yet` when the comparison is undefined (an
 *    empty variant, no spread) or its always-valid p-value is not below
 *    alpha: the confidence sequence still contains 0. "Yet", because more
 *    data may still find one; this is not evidence that there is none.
 * 3. Otherwise `treatment better` or `treatment worse`, from the sign of
 *    treatment - control and whether higher is better for the metric:
 *    success rate and confidence, higher; latency and cost, lower.
 *
 * The fixed-horizon p-value is deliberately not consulted: it is only valid
 * at one pre-planned look.
 */
import { StatisticsInputError } from './errors.js';
import type { SequentialResult } from './sequential.js';
import type { SampleRatioResult } from './srm.js';

export type Verdict = 'treatment better' | 'treatment worse' | 'no detectable difference yet' | 'sample ratio mismatch';

/** Which direction of the metric is an improvement. */
export type BetterDirection = 'higher' | 'lower';

export interface VerdictInput {
  /** The always-valid comparison of treatment against control on the primary metric. */
  comparison: SequentialResult;
  /** `higher` for success rate and confidence, `lower` for latency and cost. */
  better: BetterDirection;
  /** The SRM test of the experiment's split; omit only when it cannot be computed. */
  sampleRatio?: SampleRatioResult | null;
}

export interface VerdictResult {
  verdict: Verdict;
  /** One sentence saying why, with the numbers it rests on. */
  reason: string;
}

const percent = (alpha: number) => `${Number(((1 - alpha) * 100).toFixed(2))}%`;
const figure = (x: number) => Number(x.toPrecision(3)).toString();

/** The verdict on the primary metric. */
export function verdict(input: VerdictInput): VerdictResult {
  const { comparison, better, sampleRatio } = input;
  if (better !== 'higher' && better !== 'lower') throw new StatisticsInputError('better', '"higher" or "lower"', better);
  if (sampleRatio?.mismatch) {
    return {
      verdict: 'sample ratio mismatch',
      reason: `The split between variants does not match the weights (chi-square p = ${sampleRatio.pValue.toExponential(2)} < ${sampleRatio.threshold}), so assignment or logging is broken and the metrics cannot be compared.`,
    };
  }
  const { interval, difference } = comparison;
  if (comparison.undefinedReason !== null || interval === null || difference === null) {
    return { verdict: 'no detectable difference yet', reason: `The comparison cannot be computed yet (${comparison.undefinedReason ?? 'no data'}).` };
  }
  const range = `${percent(comparison.alpha)} always-valid interval ${figure(interval.lower)} to ${figure(interval.upper)}`;
  if (!comparison.significant) {
    return {
      verdict: 'no detectable difference yet',
      reason: `The difference (treatment - control) is ${figure(difference)}, but the ${range} still contains 0 (always-valid p = ${figure(comparison.pValue)}).`,
    };
  }
  const higher = difference > 0;
  const improved = higher === (better === 'higher');
  return {
    verdict: improved ? 'treatment better' : 'treatment worse',
    reason: `The treatment is ${higher ? 'higher' : 'lower'} than control by ${figure(Math.abs(difference))} (${range}, always-valid p = ${figure(comparison.pValue)}), and ${better} is better for this metric.`,
  };
}
