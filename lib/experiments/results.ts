/**
 * An experiment's results from its variants' sufficient statistics (the
 * rollup sums experiment_results returns): per variant n, success rate and
 * means with 95% intervals; per treatment against control, on the primary
 * metric and each guardrail, the fixed-horizon test (two-proportion z or
 * Welch t) and the always-valid mixture-SPRT comparison; the sample-ratio
 * check of the split; and the verdict, decided by the sequential comparison
 * only (docs/experiments.md). Pure: the route fetches the sums and calls this.
 */
import {
  boundedSumOfSquares,
  DEFAULT_ALPHA,
  DEFAULT_PLANNED_SAMPLE_SIZE,
  mixingVarianceFor,
  sampleRatioMismatch,
  sequentialMeans,
  sequentialProportions,
  summarizeMean,
  summarizeProportion,
  twoProportionZTest,
  verdict,
  welchTTest,
  type BetterDirection,
  type ContinuousStats,
  type FixedHorizonResult,
  type MeanSummary,
  type ProportionSummary,
  type SampleRatioResult,
  type SequentialResult,
  type VerdictResult,
} from './statistics/index.js';

/** The metrics an experiment can compare. */
export const EXPERIMENT_METRICS = ['success_rate', 'mean_latency', 'mean_cost', 'mean_confidence'] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

/** Which way each metric improves. */
export const BETTER: Record<ExperimentMetric, BetterDirection> = {
  success_rate: 'higher',
  mean_latency: 'lower',
  mean_cost: 'lower',
  mean_confidence: 'higher',
};

/** One variant's sums over the experiment's window, as the rollups keep them. */
export interface VariantSums {
  name: string;
  weight: number;
  runs: number;
  successes: number;
  costUsd: number;
  costUsdSq: number;
  latencyMsSum: number;
  latencyMsSq: number;
  confidenceN: number;
  confidenceSum: number;
}

/** What `experimentResults` takes besides the sums. */
export interface ExperimentResultsOptions {
  /** Two-sided error rate of every test and interval. @default 0.05 */
  alpha?: number;
  /** Runs per variant the sequential test is tuned for (its mixing variance). @default 5000 */
  plannedSampleSizePerVariant?: number;
}

export interface VariantSummary {
  name: string;
  weight: number;
  runs: number;
  /** This variant's share of all runs, against `weight / Σ weights`. */
  share: number | null;
  successRate: ProportionSummary;
  meanLatencyMs: MeanSummary;
  meanCostUsd: MeanSummary;
  /** Its interval uses the largest variance confidences in [0, 1] with this sum can have (no Σx² is kept). */
  meanConfidence: MeanSummary;
}

export interface MetricComparison {
  metric: ExperimentMetric;
  better: BetterDirection;
  /** Valid at one pre-planned look only. */
  fixedHorizon: FixedHorizonResult;
  /** Valid at every look: act on this one. */
  sequential: SequentialResult;
}

export interface TreatmentComparison {
  variant: string;
  primary: MetricComparison;
  guardrails: MetricComparison[];
  verdict: VerdictResult;
}

export interface ExperimentResults {
  control: string;
  primaryMetric: ExperimentMetric;
  alpha: number;
  plannedSampleSizePerVariant: number;
  variants: VariantSummary[];
  sampleRatio: SampleRatioResult | null;
  comparisons: TreatmentComparison[];
}

const latency = (v: VariantSums): ContinuousStats => ({ n: v.runs, sum: v.latencyMsSum, sumOfSquares: v.latencyMsSq });
const cost = (v: VariantSums): ContinuousStats => ({ n: v.runs, sum: v.costUsd, sumOfSquares: v.costUsdSq });
const confidence = (v: VariantSums): ContinuousStats => ({
  n: v.confidenceN,
  sum: v.confidenceSum,
  sumOfSquares: v.confidenceN === 0 ? 0 : boundedSumOfSquares(v.confidenceN, v.confidenceSum, 0, 1),
});

function compare(metric: ExperimentMetric, control: VariantSums, treatment: VariantSums, alpha: number, mixingVariance: number): MetricComparison {
  const options = { alpha, mixingVariance };
  if (metric === 'success_rate') {
    const c = { n: control.runs, successes: control.successes };
    const t = { n: treatment.runs, successes: treatment.successes };
    return { metric, better: BETTER[metric], fixedHorizon: twoProportionZTest(c, t, { alpha }), sequential: sequentialProportions(c, t, options) };
  }
  const stats = metric === 'mean_latency' ? latency : metric === 'mean_cost' ? cost : confidence;
  return {
    metric,
    better: BETTER[metric],
    fixedHorizon: welchTTest(stats(control), stats(treatment), { alpha }),
    sequential: sequentialMeans(stats(control), stats(treatment), options),
  };
}

/**
 * The results of an experiment whose variants have these sums.
 * @throws Error when `control` is not one of the variants.
 */
export function experimentResults(
  experiment: { control: string; primaryMetric: ExperimentMetric; guardrailMetrics: readonly ExperimentMetric[] },
  sums: readonly VariantSums[],
  options: ExperimentResultsOptions = {},
): ExperimentResults {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const planned = options.plannedSampleSizePerVariant ?? DEFAULT_PLANNED_SAMPLE_SIZE;
  const mixingVariance = mixingVarianceFor(planned, alpha);
  const control = sums.find((v) => v.name === experiment.control);
  if (!control) throw new Error(`control ${experiment.control} is not a variant`);
  const total = sums.reduce((n, v) => n + v.runs, 0);

  const variants = sums.map((v) => ({
    name: v.name,
    weight: v.weight,
    runs: v.runs,
    share: total === 0 ? null : v.runs / total,
    successRate: summarizeProportion({ n: v.runs, successes: v.successes }, { alpha }),
    meanLatencyMs: summarizeMean(latency(v), { alpha }),
    meanCostUsd: summarizeMean(cost(v), { alpha }),
    meanConfidence: summarizeMean(confidence(v), { alpha }),
  }));
  const sampleRatio =
    sums.length >= 2
      ? sampleRatioMismatch(
          sums.map((v) => v.runs),
          sums.map((v) => v.weight),
        )
      : null;
  const guardrails = experiment.guardrailMetrics.filter((m) => m !== experiment.primaryMetric);
  const comparisons = sums
    .filter((v) => v !== control)
    .map((treatment) => {
      const primary = compare(experiment.primaryMetric, control, treatment, alpha, mixingVariance);
      return {
        variant: treatment.name,
        primary,
        guardrails: guardrails.map((m) => compare(m, control, treatment, alpha, mixingVariance)),
        verdict: verdict({ comparison: primary.sequential, better: primary.better, sampleRatio }),
      };
    });
  return { control: control.name, primaryMetric: experiment.primaryMetric, alpha, plannedSampleSizePerVariant: planned, variants, sampleRatio, comparisons };
}
