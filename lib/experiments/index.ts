/**
 * Experiments: deterministic assignment and results from rollup sums. The
 * statistics themselves are in ./statistics (its own entry).
 */
export { assignmentPoint, assignVariant, murmur3, type WeightedVariant } from './assignment.js';
export {
  BETTER,
  EXPERIMENT_METRICS,
  experimentResults,
  type ExperimentMetric,
  type ExperimentResults,
  type ExperimentResultsOptions,
  type MetricComparison,
  type TreatmentComparison,
  type VariantSummary,
  type VariantSums,
} from './results.js';
